import { argError } from "../display/errors.js";
import { Chart } from "./chart.js";
import { PANEL, topLevel } from "./theme.js";
import { checkChartOptions, checkLabel, checkNumber, checkOptionalNumber, checkRecords, type ChartOptions, type Range, type Rec } from "./validate.js";

/** One point of an accuracy-vs-sparsity curve; `lo`/`hi` bound an interval (e.g. 95% over seeds). */
export interface SparsityPoint {
  readonly sparsity: number;
  readonly accuracy: number;
  readonly series: string;
  readonly lo?: number;
  readonly hi?: number;
}

/** One point of a lottery-ticket curve: accuracy at a fraction of weights remaining, per arm. */
export interface LotteryPoint {
  readonly remaining: number;
  readonly accuracy: number;
  /** e.g. "winning ticket", "random reinit", "random mask". */
  readonly arm: string;
  readonly lo?: number;
  readonly hi?: number;
}

export interface CurveOptions extends ChartOptions {
  /** y-axis title (default "accuracy"). */
  readonly yTitle?: string;
}

const PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d", "#ff9da6", "#bab0ac"];
const LOTTERY_ARMS = ["winning ticket", "random reinit", "random mask"];
/** Remaining fractions worth a tick on a log axis. */
const NICE_REMAINING = [1, 0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001, 0.0005, 0.0002, 0.0001];

interface CurveSpec {
  call: string;
  rows: Rec[];
  seriesKey: string;
  /** Field holding the fraction of weights remaining (x, log scale, reversed: sparser to the right). */
  xTitle: string;
  labelExpr: string;
  tickValues: number[];
  seriesOrder: string[];
  title: string;
  description: string;
  yTitle: string;
  width?: number;
  height?: number;
  tooltipX: { field: string; title: string; format: string };
}

/** Lines + points per series, with interval bands where rows carry `lo` and `hi`. */
function fractionCurve(c: CurveSpec): Chart {
  const hasBands = c.rows.some((r) => r.lo !== undefined && r.hi !== undefined);
  const color = { field: c.seriesKey, type: "nominal", sort: c.seriesOrder, title: c.seriesKey, scale: { domain: c.seriesOrder, range: paletteFor(c.seriesOrder) } };
  const x = {
    field: "remaining", type: "quantitative", title: c.xTitle,
    scale: { type: "log", reverse: true, nice: false, padding: 12 },
    axis: { values: c.tickValues, labelExpr: c.labelExpr, grid: true },
  };
  const y = { field: "accuracy", type: "quantitative", title: c.yTitle, scale: { zero: false } };
  const layers: Rec[] = [];
  if (hasBands) {
    layers.push({
      transform: [{ filter: "isValid(datum.lo) && isValid(datum.hi)" }],
      mark: { type: "errorband", opacity: 0.2 },
      encoding: { x, y: { field: "lo", type: "quantitative", title: c.yTitle }, y2: { field: "hi" }, color: { ...color, legend: null } },
    });
  }
  const tooltip = [
    { field: c.seriesKey, type: "nominal" },
    { ...c.tooltipX, type: "quantitative" },
    { field: "accuracy", type: "quantitative", format: ".4f" },
    ...(hasBands ? [{ field: "lo", type: "quantitative", format: ".4f" }, { field: "hi", type: "quantitative", format: ".4f" }] : []),
  ];
  layers.push({ mark: { type: "line", point: { filled: true, size: 40 } }, encoding: { x, y, color, tooltip } });
  const spec = topLevel({
    data: { values: c.rows },
    width: c.width ?? PANEL.width + 80,
    height: c.height ?? PANEL.height + 40,
    layer: layers,
    // The bands' colour needs no legend of its own; the lines' legend names the series.
    resolve: { legend: { color: "independent" } },
  }, c.title, c.description);
  return new Chart(spec, `<Chart: ${c.title}: ${c.description}>`);
}

function paletteFor(series: readonly string[]): string[] {
  return series.map((_s, i) => PALETTE[i % PALETTE.length]);
}

function firstSeen(values: readonly string[], preferred: readonly string[] = []): string[] {
  const seen = [...new Set(values)];
  return [...preferred.filter((p) => seen.includes(p)), ...seen.filter((s) => !preferred.includes(s))];
}

function checkInterval(call: string, arg: string, row: Rec, accuracy: number): { lo?: number; hi?: number } {
  const lo = checkOptionalNumber(call, `${arg}.lo`, row.lo);
  const hi = checkOptionalNumber(call, `${arg}.hi`, row.hi);
  if ((lo === undefined) !== (hi === undefined)) throw argError(call, arg, "both lo and hi, or neither", row);
  if (lo !== undefined && hi !== undefined && !(lo <= accuracy && accuracy <= hi)) {
    throw argError(call, arg, "lo ≤ accuracy ≤ hi", row);
  }
  return lo === undefined ? {} : { lo, hi };
}

function ticks(remaining: readonly number[], extra: readonly number[] = []): number[] {
  const min = Math.min(...remaining);
  const max = Math.max(...remaining);
  return [...new Set([...NICE_REMAINING, ...extra])].filter((v) => v >= min * 0.999 && v <= max * 1.001).sort((a, b) => b - a);
}

/**
 * Accuracy against sparsity, one line per series, with interval bands when rows have `lo`/`hi`.
 * The x axis is the fraction of weights remaining (1 − sparsity) on a log scale, reversed and
 * labelled by sparsity: 90%, 99% and 99.9% sit equally far apart, where the differences are.
 *
 *   accuracyVsSparsity([{ sparsity: 0.9, accuracy: 0.85, series: "erk", lo: 0.84, hi: 0.86 }, …])
 */
export function accuracyVsSparsity(rows: readonly SparsityPoint[], options?: CurveOptions): Chart {
  const call = "accuracyVsSparsity";
  const { opts, title, width, height } = checkChartOptions(call, options, ["yTitle"]);
  const checked = checkRecords(call, "rows", rows, "{ sparsity, accuracy, series, lo?, hi? } objects");
  const range: Range = { min: 0, max: 1, openMax: true };
  const values = checked.map((row, i) => {
    const arg = `rows[${i}]`;
    const sparsity = checkNumber(call, `${arg}.sparsity`, row.sparsity, range);
    const accuracy = checkNumber(call, `${arg}.accuracy`, row.accuracy);
    const series = checkLabel(call, `${arg}.series`, row.series);
    return { series, sparsity, remaining: 1 - sparsity, accuracy, ...checkInterval(call, arg, row, accuracy) };
  });
  const series = firstSeen(values.map((v) => v.series));
  const yTitle = opts.yTitle === undefined ? "accuracy" : checkLabel(call, "options.yTitle", opts.yTitle);
  return fractionCurve({
    call, rows: values, seriesKey: "series", seriesOrder: series,
    xTitle: "sparsity (log scale of weights remaining)",
    labelExpr: "format(1 - datum.value, '.3~%')",
    tickValues: ticks(values.map((v) => v.remaining)),
    title: title ?? "Accuracy vs sparsity",
    description: `${yTitle} vs sparsity for ${series.length} series (${series.join(", ")}), ${plural(values.length, "point")}`,
    yTitle, width, height,
    tooltipX: { field: "sparsity", title: "sparsity", format: ".2%" },
  });
}

/**
 * The lottery-ticket plot: accuracy against the fraction of weights remaining (log scale,
 * reversed: pruning proceeds to the right), one line per arm (winning ticket, random reinit,
 * random mask, …) with interval bands when rows have `lo`/`hi`.
 */
export function lotteryCurve(rows: readonly LotteryPoint[], options?: CurveOptions): Chart {
  const call = "lotteryCurve";
  const { opts, title, width, height } = checkChartOptions(call, options, ["yTitle"]);
  const checked = checkRecords(call, "rows", rows, "{ remaining, accuracy, arm, lo?, hi? } objects");
  const values = checked.map((row, i) => {
    const arg = `rows[${i}]`;
    const remaining = checkNumber(call, `${arg}.remaining`, row.remaining, { min: 0, max: 1, openMin: true });
    const accuracy = checkNumber(call, `${arg}.accuracy`, row.accuracy);
    const arm = checkLabel(call, `${arg}.arm`, row.arm);
    return { arm, remaining, accuracy, ...checkInterval(call, arg, row, accuracy) };
  });
  const arms = firstSeen(values.map((v) => v.arm), LOTTERY_ARMS);
  const levels = [...new Set(values.map((v) => v.remaining))];
  const yTitle = opts.yTitle === undefined ? "accuracy" : checkLabel(call, "options.yTitle", opts.yTitle);
  return fractionCurve({
    call, rows: values, seriesKey: "arm", seriesOrder: arms,
    xTitle: "weights remaining (log scale)",
    labelExpr: "format(datum.value, '.3~%')",
    // IMP levels (0.8^k) are the natural ticks when there are few of them.
    tickValues: levels.length <= 12 ? levels.sort((a, b) => b - a) : ticks(levels),
    title: title ?? "Lottery tickets: accuracy vs weights remaining",
    description: `${yTitle} vs fraction of weights remaining for ${plural(arms.length, "arm")} (${arms.join(", ")}), ${plural(values.length, "point")}`,
    yTitle, width, height,
    tooltipX: { field: "remaining", title: "remaining", format: ".2%" },
  });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
