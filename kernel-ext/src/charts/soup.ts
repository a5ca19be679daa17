import { argError } from "../display/errors.js";
import { Chart } from "./chart.js";
import { PANEL, topLevel } from "./theme.js";
import { checkChartOptions, checkNumber, checkRecords, type ChartOptions } from "./validate.js";

export const SOUP_KINDS = ["ingredient", "uniform soup", "greedy soup", "imp"] as const;
export type SoupKind = (typeof SOUP_KINDS)[number];

/** One accuracy of a sparse-model-soup experiment: an ingredient, a soup, or the IMP baseline, at a phase. */
export interface SoupPoint {
  readonly phase: number | string;
  readonly kind: SoupKind;
  readonly accuracy: number;
}

const COLORS: Record<SoupKind, string> = { ingredient: "#9a9a9a", "uniform soup": "#4c78a8", "greedy soup": "#f58518", imp: "#54a24b" };
const SHAPES: Record<SoupKind, string> = { ingredient: "circle", "uniform soup": "square", "greedy soup": "diamond", imp: "triangle-up" };

/**
 * Sparse model soups per phase: every ingredient as a grey dot, the uniform and greedy soups and
 * the IMP baseline as lines across phases.
 *
 *   soupChart([{ phase: 1, kind: "ingredient", accuracy: 0.84 }, { phase: 1, kind: "greedy soup", accuracy: 0.86 }, …])
 */
export function soupChart(rows: readonly SoupPoint[], options?: ChartOptions & { readonly yTitle?: string }): Chart {
  const call = "soupChart";
  const { opts, title, width, height } = checkChartOptions(call, options, ["yTitle"]);
  const checked = checkRecords(call, "rows", rows, "{ phase, kind, accuracy } objects");
  const values = checked.map((row, i) => {
    const at = `rows[${i}]`;
    const phase = row.phase;
    if (!((typeof phase === "number" && Number.isFinite(phase)) || (typeof phase === "string" && phase !== ""))) {
      throw argError(call, `${at}.phase`, "a phase number or label", phase);
    }
    const kind = row.kind;
    if (!SOUP_KINDS.includes(kind as SoupKind)) throw argError(call, `${at}.kind`, `one of ${SOUP_KINDS.map((k) => `"${k}"`).join(", ")}`, kind);
    return { phase: String(phase), kind: kind as SoupKind, accuracy: checkNumber(call, `${at}.accuracy`, row.accuracy) };
  });
  // Numbered phases in numeric order, labelled ones as they first appear.
  const phases = [...new Set(values.map((v) => v.phase))];
  if (checked.every((r) => typeof r.phase === "number")) phases.sort((a, b) => Number(a) - Number(b));
  const kinds = SOUP_KINDS.filter((k) => values.some((v) => v.kind === k));
  const yTitle = typeof opts.yTitle === "string" ? opts.yTitle : "accuracy";
  const x = { field: "phase", type: "ordinal", sort: phases, title: "phase", axis: { labelAngle: 0 } };
  const y = { field: "accuracy", type: "quantitative", title: yTitle, scale: { zero: false } };
  const color = { field: "kind", type: "nominal", title: null, sort: kinds, scale: { domain: kinds, range: kinds.map((k) => COLORS[k]) } };
  const shape = { field: "kind", type: "nominal", title: null, sort: kinds, scale: { domain: kinds, range: kinds.map((k) => SHAPES[k]) } };
  const tooltip = [{ field: "phase", type: "ordinal" }, { field: "kind", type: "nominal" }, { field: "accuracy", type: "quantitative", format: ".4f" }];
  const soups = kinds.filter((k) => k !== "ingredient");
  const spec = topLevel({
    data: { values },
    width: width ?? { step: 70 },
    height: height ?? PANEL.height + 40,
    layer: [
      ...(soups.length > 0 ? [{
        transform: [{ filter: "datum.kind !== 'ingredient'" }],
        mark: { type: "line", strokeWidth: 2 },
        encoding: { x, y, color, detail: { field: "kind", type: "nominal" } },
      }] : []),
      {
        mark: { type: "point", filled: true, size: 60, opacity: 0.85 },
        encoding: { x, y, color, shape, tooltip },
      },
    ],
  }, title ?? "Sparse model soups", `accuracy per phase for ${kinds.join(", ")} over ${phases.length} phase${phases.length === 1 ? "" : "s"}`);
  const best = (k: SoupKind) => {
    const own = values.filter((v) => v.kind === k);
    return own.length ? Math.max(...own.map((v) => v.accuracy)).toFixed(4) : undefined;
  };
  const summary = kinds.map((k) => `${k} best ${best(k)}`).join(", ");
  return new Chart(spec, `<Chart: ${title ?? "sparse model soups"}: ${phases.length} phases; ${summary}>`);
}
