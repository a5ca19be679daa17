import type { HistoryRecord, RunResult } from "sparselab";
import { argError, isPlainObject } from "../display/errors.js";
import { frameToRows, isDataFrame } from "../tables/dataframe.js";
import { Chart } from "./chart.js";
import { PANEL, topLevel } from "./theme.js";
import { checkChartOptions, checkNumber, checkRecords, type ChartOptions, type Rec } from "./validate.js";

/** One run's history: its records, a RunResult, or anything with `records` (or a danfo frame of them). */
export type HistoryLike = readonly HistoryRecord[] | RunResult | { readonly records: readonly HistoryRecord[] };

/** Several runs, labelled: `{ rigl: runA, set: runB }` or `[{ label: "rigl", history: runA }, …]`. */
export type LabelledHistories =
  | Readonly<Record<string, HistoryLike>>
  | readonly { readonly label: string; readonly history: HistoryLike }[];

const call = "trainingCurves";
const METRICS = [
  { key: "trainLoss", metric: "loss", split: "train" },
  { key: "valLoss", metric: "loss", split: "validation" },
  { key: "trainAccuracy", metric: "accuracy", split: "train" },
  { key: "valAccuracy", metric: "accuracy", split: "validation" },
] as const;

/**
 * Loss and accuracy against epoch, train (solid) and validation (dashed), one panel each; with
 * several labelled runs, one colour per run.
 *
 *   trainingCurves(run)                          // a RunResult or its records
 *   trainingCurves({ rigl: runA, set: runB })    // labelled runs
 */
export function trainingCurves(history: HistoryLike | LabelledHistories, options?: ChartOptions): Chart {
  const { title, width, height } = checkChartOptions(call, options);
  const runs = normaliseRuns(history);
  const values: Rec[] = [];
  for (const { label, records, arg } of runs) {
    records.forEach((r, i) => {
      const epoch = checkNumber(call, `${arg}[${i}].epoch`, r.epoch);
      for (const { key, metric, split } of METRICS) {
        const v = r[key];
        if (v === undefined || v === null || (typeof v === "number" && Number.isNaN(v))) continue; // not measured
        values.push({ run: label, epoch, metric, split, value: checkNumber(call, `${arg}[${i}].${key}`, v) });
      }
    });
  }
  if (values.length === 0) throw argError(call, "history", "records with trainLoss / valLoss / trainAccuracy / valAccuracy values", history);
  const labels = runs.map((r) => r.label);
  const several = runs.length > 1;
  const epochs = new Set(values.map((v) => v.epoch)).size;
  const spec = topLevel({
    data: { values },
    facet: { column: { field: "metric", type: "nominal", title: null, sort: ["loss", "accuracy"], header: { labelFontSize: 12 } } },
    spec: {
      width: width ?? PANEL.width,
      height: height ?? PANEL.height,
      mark: { type: "line", point: epochs <= 30 },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "epoch", axis: { tickMinStep: 1 } },
        y: { field: "value", type: "quantitative", title: null, scale: { zero: false } },
        ...(several
          ? {
              color: { field: "run", type: "nominal", sort: labels, title: "run" },
              strokeDash: { field: "split", type: "nominal", sort: ["train", "validation"], title: "split" },
              detail: { field: "split", type: "nominal" },
            }
          : { color: { field: "split", type: "nominal", sort: ["train", "validation"], title: "split" } }),
        tooltip: [
          ...(several ? [{ field: "run", type: "nominal" }] : []),
          { field: "epoch", type: "quantitative" },
          { field: "metric", type: "nominal" },
          { field: "split", type: "nominal" },
          { field: "value", type: "quantitative", format: ".4f" },
        ],
      },
    },
    resolve: { scale: { y: "independent" } },
  }, title ?? "Training curves", `loss and accuracy vs epoch (train / validation) for ${several ? `${runs.length} runs: ${labels.join(", ")}` : "one run"}`);
  return new Chart(spec, `<Chart: ${title ?? "training curves"}: loss and accuracy vs epoch, ${runs.length} run${several ? "s" : ""}, ${epochs} epoch${epochs === 1 ? "" : "s"}>`);
}

interface NormalisedRun {
  label: string;
  records: readonly Record<string, unknown>[];
  /** How the records are named in error messages. */
  arg: string;
}

function recordsOf(value: unknown, arg: string): readonly Record<string, unknown>[] | undefined {
  if (Array.isArray(value)) return checkRecords(call, arg, value, "history records");
  if (isDataFrame(value)) return frameToRows(value, { index: false });
  if (value !== null && typeof value === "object" && Array.isArray((value as { records?: unknown }).records)) {
    return checkRecords(call, `${arg}.records`, (value as { records: unknown[] }).records, "history records");
  }
  return undefined;
}

function isRecordArray(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && isPlainObject(value[0]) && "epoch" in value[0];
}

function normaliseRuns(history: unknown): NormalisedRun[] {
  const expected = "a run's history (HistoryRecord[] or a RunResult) or labelled runs ({ label: history } or [{ label, history }])";
  if (isRecordArray(history) || isDataFrame(history) || (history !== null && typeof history === "object" && !Array.isArray(history) && "records" in history)) {
    return [{ label: "run", records: recordsOf(history, "history")!, arg: "history" }];
  }
  if (Array.isArray(history) && history.length > 0) {
    return history.map((entry: unknown, i) => {
      if (!isPlainObject(entry) || typeof entry.label !== "string" || entry.label === "") throw argError(call, `history[${i}]`, "{ label, history }", entry);
      const records = recordsOf(entry.history, `history[${i}].history`);
      if (!records) throw argError(call, `history[${i}].history`, "HistoryRecord[] or a RunResult", entry.history);
      return { label: entry.label, records, arg: `history[${i}].history` };
    });
  }
  if (isPlainObject(history) && Object.keys(history).length > 0) {
    return Object.entries(history).map(([label, value]) => {
      const records = recordsOf(value, `history["${label}"]`);
      if (!records) throw argError(call, `history["${label}"]`, "HistoryRecord[] or a RunResult", value);
      return { label, records, arg: `history["${label}"]` };
    });
  }
  throw argError(call, "history", expected, history);
}
