import type { LayerReport, MaskSet, MaskSetReport, RunResult } from "sparselab";
import { argError, isPlainObject } from "../display/errors.js";
import { Chart } from "./chart.js";
import { PANEL, topLevel } from "./theme.js";
import { checkChartOptions, checkInteger, checkNumber, checkRecords, checkString, type ChartOptions, type Rec } from "./validate.js";

/** Anything with per-layer densities: a report, a MaskSet, a RunResult, or the report's layers. */
export type DensitySource = MaskSetReport | MaskSet | RunResult | { readonly report: MaskSetReport } | readonly LayerReport[];

interface CheckedLayer {
  name: string;
  shape: string;
  kept: number;
  total: number;
  density: number;
}

function reportOf(call: string, source: unknown): { layers: unknown; overall?: unknown } {
  const expected = "a MaskSetReport, a MaskSet, a RunResult or an array of layer reports";
  if (Array.isArray(source)) return { layers: source };
  if (source === null || typeof source !== "object") throw argError(call, "source", expected, source);
  const s = source as { layers?: unknown; overall?: unknown; report?: unknown };
  if (Array.isArray(s.layers)) return s as { layers: unknown; overall?: unknown };
  if (typeof s.report === "function") return reportOf(call, (s.report as () => unknown).call(source));
  if (s.report !== null && typeof s.report === "object") return reportOf(call, s.report);
  throw argError(call, "source", expected, source);
}

function checkLayers(call: string, arg: string, layers: unknown): CheckedLayer[] {
  return checkRecords(call, arg, layers, "layer reports { name, kept, total, density }").map((l, i) => {
    const at = `${arg}[${i}]`;
    const name = checkString(call, `${at}.name`, l.name);
    const total = checkInteger(call, `${at}.total`, l.total, 1);
    const kept = checkInteger(call, `${at}.kept`, l.kept, 0);
    if (kept > total) throw argError(call, `${at}.kept`, `an integer ≤ total (${total})`, kept);
    const density = l.density === undefined ? kept / total : checkNumber(call, `${at}.density`, l.density, { min: 0, max: 1 });
    const shape = Array.isArray(l.shape) ? l.shape.join("×") : "";
    return { name, shape, kept, total, density };
  });
}

/**
 * Per-layer density as bars in network order, with the overall density as a dashed rule;
 * tooltips give kept / total weights and the tensor's shape.
 *
 *   layerDensities(run)            // or run.report, run.masks, masks.report()
 */
export function layerDensities(source: DensitySource, options?: ChartOptions): Chart {
  const call = "layerDensities";
  const { title, width, height } = checkChartOptions(call, options);
  const report = reportOf(call, source);
  const layers = checkLayers(call, "source.layers", report.layers);
  if (new Set(layers.map((l) => l.name)).size !== layers.length) {
    throw argError(call, "source.layers", "unique layer names", layers.map((l) => l.name));
  }
  const kept = layers.reduce((a, l) => a + l.kept, 0);
  const total = layers.reduce((a, l) => a + l.total, 0);
  const overall = total === 0 ? 0 : kept / total;
  const values = layers.map((l) => ({ ...l, label: pct(l.density) }));
  const step = Math.max(28, Math.min(60, Math.floor(PANEL.width / layers.length)));
  const longest = Math.max(...layers.map((l) => l.name.length));
  const angled = longest * 6.5 > step;
  const x = { field: "name", type: "nominal", sort: null, title: null, axis: angled ? { labelAngle: -35, labelAlign: "right", labelLimit: 160 } : { labelAngle: 0 } };
  const y = { field: "density", type: "quantitative", title: "density", scale: { domain: [0, 1] }, axis: { format: "%" } };
  const spec = topLevel({
    width: width ?? { step },
    height: height ?? PANEL.height,
    layer: [
      {
        data: { values },
        mark: { type: "bar", color: "#4c78a8" },
        encoding: {
          x, y,
          tooltip: [
            { field: "name", type: "nominal", title: "layer" },
            { field: "shape", type: "nominal" },
            { field: "kept", type: "quantitative", format: "," },
            { field: "total", type: "quantitative", format: "," },
            { field: "density", type: "quantitative", format: ".2%" },
          ],
        },
      },
      {
        data: { values },
        mark: { type: "text", dy: -6, fontSize: 10 },
        encoding: { x, y, text: { field: "label", type: "nominal" } },
      },
      {
        data: { values: [{ overall }] },
        mark: { type: "rule", strokeDash: [4, 3], color: "#e45756" },
        encoding: { y: { field: "overall", type: "quantitative" } },
      },
    ],
  }, {
    text: title ?? "Density per layer",
    subtitle: `overall ${pct(overall)} (dashed): ${kept.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} weights kept`,
  }, `density of ${layers.length} layers, overall ${pct(overall)} (${kept} of ${total} weights kept)`);
  return new Chart(spec, `<Chart: ${title ?? "density per layer"}: ${layers.map((l) => `${l.name} ${pct(l.density)}`).join(", ")}; overall ${pct(overall)}>`);
}

/** A mask update: `RunEvent` of type "mask" (other events are skipped), or just its counts. */
export interface MaskUpdate {
  readonly step: number;
  readonly dropped: Readonly<Record<string, number>>;
  readonly grown: Readonly<Record<string, number>>;
  readonly report?: MaskSetReport;
}

/**
 * Weights dropped (below zero) and grown (above zero) per layer at each mask update, stacked by
 * layer; when the events carry reports, a panel above shows each layer's density over steps.
 *
 *   const events: RunEvent[] = [];
 *   await plan.run({ onEvent: (e) => events.push(e) });
 *   show(maskTimeline(events));
 */
export function maskTimeline(events: readonly (MaskUpdate | { readonly type: string })[], options?: ChartOptions): Chart {
  const call = "maskTimeline";
  const { title, width, height } = checkChartOptions(call, options);
  const all = checkRecords(call, "events", events, "mask events { step, dropped, grown }");
  const counts: Rec[] = [];
  const densities: Rec[] = [];
  const layerOrder: string[] = [];
  const see = (layer: string) => layerOrder.includes(layer) || layerOrder.push(layer);
  let updates = 0;
  all.forEach((e, i) => {
    if (e.type !== undefined && e.type !== "mask") return;
    updates++;
    const at = `events[${i}]`;
    const step = checkNumber(call, `${at}.step`, e.step, { min: 0 });
    for (const kind of ["dropped", "grown"] as const) {
      const byLayer = e[kind];
      if (!isPlainObject(byLayer)) throw argError(call, `${at}.${kind}`, "an object of per-layer counts", byLayer);
      for (const [layer, n] of Object.entries(byLayer)) {
        const count = checkInteger(call, `${at}.${kind}["${layer}"]`, n, 0);
        see(layer);
        if (count > 0) counts.push({ step, layer, kind, count, signed: kind === "dropped" ? -count : count });
      }
    }
    if (e.report !== undefined) {
      const report = e.report as { layers?: unknown; overall?: { density?: unknown } };
      for (const l of checkLayers(call, `${at}.report.layers`, report.layers)) {
        see(l.name);
        densities.push({ step, layer: l.name, density: l.density });
      }
    }
  });
  if (updates === 0) throw argError(call, "events", "at least one mask event (type \"mask\")", `${all.length} events of other types`);
  const w = width ?? PANEL.width + 120;
  const color = { field: "layer", type: "nominal", sort: layerOrder, title: "layer" };
  const x = { field: "step", type: "quantitative", title: "step" };
  const countsPanel = {
    width: w,
    height: height ?? PANEL.height,
    data: { values: counts },
    layer: [
      {
        mark: { type: "bar", size: Math.max(2, Math.min(12, Math.floor(w / Math.max(1, updates) / 2))) },
        encoding: {
          x, color,
          y: { field: "signed", type: "quantitative", stack: "zero", title: "weights dropped (−) / grown (+)" },
          tooltip: [
            { field: "step", type: "quantitative" },
            { field: "layer", type: "nominal" },
            { field: "kind", type: "nominal" },
            { field: "count", type: "quantitative", format: "," },
          ],
        },
      },
      { data: { values: [{ zero: 0 }] }, mark: { type: "rule", color: "#888" }, encoding: { y: { field: "zero", type: "quantitative" } } },
    ],
  };
  const body = densities.length === 0
    ? countsPanel
    : {
        vconcat: [
          {
            width: w,
            height: Math.round((height ?? PANEL.height) * 0.7),
            data: { values: densities },
            mark: { type: "line", point: updates <= 40 },
            encoding: {
              x, color,
              y: { field: "density", type: "quantitative", title: "density", axis: { format: "%" }, scale: { zero: false } },
              tooltip: [{ field: "step", type: "quantitative" }, { field: "layer", type: "nominal" }, { field: "density", type: "quantitative", format: ".2%" }],
            },
          },
          countsPanel,
        ],
      };
  const dropped = counts.filter((c) => c.kind === "dropped").reduce((a, c) => a + (c.count as number), 0);
  const grown = counts.filter((c) => c.kind === "grown").reduce((a, c) => a + (c.count as number), 0);
  const description = `${updates} mask updates over ${layerOrder.length} layers: ${dropped} weights dropped, ${grown} grown`;
  return new Chart(topLevel(body, title ?? "Mask updates", description), `<Chart: ${title ?? "mask updates"}: ${description}>`);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : x < 0.1 ? 2 : 1)}%`;
}
