import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compile } from "vega-lite";
import type { HistoryRecord, MaskSetReport } from "sparselab";
import { afterAll, describe, expect, it } from "vitest";
import { DISPLAY } from "../display/protocol.js";
import { Chart } from "./chart.js";
import { accuracyVsSparsity, lotteryCurve } from "./curves.js";
import { maskHeatmap } from "./heatmap.js";
import { layerDensities, maskTimeline } from "./masks.js";
import { chartBundle, VEGALITE_MIME } from "./render.js";
import { soupChart } from "./soup.js";
import { trainingCurves } from "./training.js";

/** vega-lite compiles the spec without a single warning. */
function compilesCleanly(chart: Chart) {
  const warnings: string[] = [];
  const logger = {
    level() { return logger; },
    warn: (...a: unknown[]) => (warnings.push(a.join(" ")), logger),
    error: (...a: unknown[]) => (warnings.push(a.join(" ")), logger),
    info: () => logger,
    debug: () => logger,
  };
  const vega = compile(structuredClone(chart.spec) as never, { logger: logger as never }).spec;
  expect(warnings).toEqual([]);
  return vega;
}

/** Renders through the display protocol; checks the bundle's shape and that `marks` were drawn. */
async function rendersWith(chart: Chart, marks: string[]) {
  const bundle = await chart[DISPLAY]();
  expect(Object.keys(bundle).sort()).toEqual([VEGALITE_MIME, "image/png", "image/svg+xml", "text/plain"]);
  expect(bundle[VEGALITE_MIME]).toEqual(chart.spec);
  expect(bundle["text/plain"]).toBe(chart.description);
  const png = Buffer.from(bundle["image/png"]!, "base64");
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const svg = bundle["image/svg+xml"]!;
  expect(svg).toMatch(/^<svg /);
  for (const mark of marks) expect(svg).toContain(`mark-${mark}`);
  expect((await chart.render()).warnings).toEqual([]);
  return { bundle, svg };
}

const history = (shift: number): HistoryRecord[] => [1, 2, 3].map((epoch) => ({
  epoch, step: epoch * 10, lr: 0.1, trainLoss: 1 / (epoch + shift), trainAccuracy: 0.6 + 0.1 * epoch, valLoss: 1.2 / (epoch + shift),
  valAccuracy: 0.55 + 0.1 * epoch, density: 0.1, explorationRate: 0.1, seconds: 1,
}));

const report: MaskSetReport = {
  layers: [
    { name: "dense_0/kernel", shape: [784, 300], total: 235200, kept: 23520, density: 0.1 },
    { name: "dense_1/kernel", shape: [300, 100], total: 30000, kept: 6000, density: 0.2 },
  ],
  overall: { total: 265200, kept: 29520, density: 29520 / 265200 },
};

describe("chartBundle", () => {
  it("renders any Vega-Lite spec to the four MIME types", async () => {
    const spec = { data: { values: [{ a: 1, b: 2 }] }, mark: "point", encoding: { x: { field: "a", type: "quantitative" } } } as const;
    const bundle = await chartBundle(spec as never);
    expect(bundle["text/plain"]).toBe("<Vega-Lite chart (point)>");
    expect(bundle["image/svg+xml"]).toContain("mark-symbol");
  });

  it("names the spec when vega-lite rejects it", async () => {
    await expect(chartBundle({ data: { values: [] }, mark: "nope" } as never)).rejects.toThrow(/^chartBundle\(spec\): vega-lite could not compile the spec: /);
    await expect(chartBundle(42 as never)).rejects.toThrow(/^chartBundle\(spec\): expected a Vega-Lite spec object, received 42/);
  });
});

describe("Chart", () => {
  const dir = mkdtempSync(join(tmpdir(), "sparselab-chart-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("freezes its spec, renders once and saves by extension", async () => {
    const chart = layerDensities(report);
    expect(Object.isFrozen(chart.spec)).toBe(true);
    expect(chart.render()).toBe(chart.render());
    const png = await chart.save(join(dir, "d.png"));
    expect(readFileSync(png).subarray(1, 4).toString()).toBe("PNG");
    expect(readFileSync(await chart.save(join(dir, "d.svg")), "utf8")).toMatch(/^<svg /);
    expect(JSON.parse(readFileSync(await chart.save(join(dir, "d.json")), "utf8"))).toEqual(chart.spec);
    await expect(chart.save(join(dir, "d.gif"))).rejects.toThrow(/^Chart\.save\(path\): expected a file path ending in \.png, \.svg, \.json or \.html, received ".*d\.gif"/);
  });
});

describe("trainingCurves", () => {
  it("draws loss and accuracy panels for one run", async () => {
    const chart = trainingCurves(history(0));
    const vega = compilesCleanly(chart);
    expect(JSON.stringify(vega)).toContain("\"loss\"");
    const values = (chart.spec as { data: { values: { metric: string; split: string }[] } }).data.values;
    expect(values).toHaveLength(12); // 3 epochs × 4 series
    await rendersWith(chart, ["line", "symbol"]);
    expect(chart.description).toBe("<Chart: training curves: loss and accuracy vs epoch, 1 run, 3 epochs>");
  });

  it("takes labelled runs (object or list) and RunResult-like objects", () => {
    const byObject = trainingCurves({ rigl: { records: history(0) }, set: history(1) });
    const byList = trainingCurves([{ label: "rigl", history: { records: history(0) } }, { label: "set", history: history(1) }]);
    expect(byObject.spec).toEqual(byList.spec);
    compilesCleanly(byObject);
    expect(JSON.stringify(byObject.spec)).toContain("strokeDash");
  });

  it("skips metrics that were not measured (NaN)", () => {
    const chart = trainingCurves(history(0).map((r) => ({ ...r, valLoss: Number.NaN, valAccuracy: Number.NaN })));
    expect((chart.spec as { data: { values: unknown[] } }).data.values).toHaveLength(6);
  });

  it.each([
    [() => trainingCurves([] as never), /^trainingCurves\(history\): expected a run's history/],
    [() => trainingCurves(5 as never), /^trainingCurves\(history\): expected a run's history .*received 5/],
    [() => trainingCurves([{ epoch: "one", trainLoss: 1 }] as never), /^trainingCurves\(history\[0\]\.epoch\): expected a finite number, received "one"/],
    [() => trainingCurves({ rigl: 3 } as never), /^trainingCurves\(history\["rigl"\]\): expected HistoryRecord\[\] or a RunResult, received 3/],
    [() => trainingCurves(history(0), { width: 0 }), /^trainingCurves\(options\.width\): expected an integer ≥ 20, received 0/],
  ])("rejects bad input %#", (f, message) => {
    expect(f).toThrow(message);
  });
});

describe("accuracyVsSparsity", () => {
  const rows = [0, 0.5, 0.9, 0.99].flatMap((sparsity) => ["erk", "uniform"].map((series, j) => {
    const accuracy = 0.88 - sparsity * 0.1 - j * 0.01;
    return { sparsity, accuracy, series, lo: accuracy - 0.01, hi: accuracy + 0.01 };
  }));

  it("plots remaining weights on a reversed log axis with bands", async () => {
    const chart = accuracyVsSparsity(rows, { title: "random pruning" });
    compilesCleanly(chart);
    const layers = (chart.spec as { layer: { mark: { type: string }; encoding: { x: { scale: unknown } } }[] }).layer;
    expect(layers.map((l) => l.mark.type)).toEqual(["errorband", "line"]);
    expect(layers[1].encoding.x.scale).toMatchObject({ type: "log", reverse: true });
    const { svg } = await rendersWith(chart, ["area", "line", "symbol"]);
    expect(svg).toContain(">99%<"); // ticks are labelled by sparsity
  });

  it("draws no band without intervals", () => {
    const chart = accuracyVsSparsity(rows.map(({ sparsity, accuracy, series }) => ({ sparsity, accuracy, series })));
    expect((chart.spec as { layer: unknown[] }).layer).toHaveLength(1);
    compilesCleanly(chart);
  });

  it.each([
    [[{ sparsity: 1, accuracy: 0.5, series: "a" }], /^accuracyVsSparsity\(rows\[0\]\.sparsity\): expected a number in \[0, 1\), received 1/],
    [[{ sparsity: 0.5, accuracy: "high", series: "a" }], /^accuracyVsSparsity\(rows\[0\]\.accuracy\): expected a finite number, received "high"/],
    [[{ sparsity: 0.5, accuracy: 0.5 }], /^accuracyVsSparsity\(rows\[0\]\.series\): expected a non-empty string, received undefined/],
    [[{ sparsity: 0.5, accuracy: 0.5, series: "a", lo: 0.4 }], /^accuracyVsSparsity\(rows\[0\]\): expected both lo and hi, or neither/],
    [[{ sparsity: 0.5, accuracy: 0.5, series: "a", lo: 0.6, hi: 0.7 }], /^accuracyVsSparsity\(rows\[0\]\): expected lo ≤ accuracy ≤ hi/],
    [[], /^accuracyVsSparsity\(rows\): expected a non-empty array of/],
  ])("rejects bad rows %#", (bad, message) => {
    expect(() => accuracyVsSparsity(bad as never)).toThrow(message);
  });
});

describe("lotteryCurve", () => {
  it("orders the arms winning ticket, random reinit, random mask and ticks at the levels", async () => {
    const levels = [1, 0.8, 0.64, 0.512];
    const rows = levels.flatMap((remaining) => ["random mask", "winning ticket", "random reinit"].map((arm, j) => ({ remaining, accuracy: 0.9 - j * (1 - remaining) * 0.1, arm })));
    const chart = lotteryCurve(rows);
    compilesCleanly(chart);
    const line = (chart.spec as { layer: { encoding: { color: { sort: string[] }; x: { axis: { values: number[] } } } }[] }).layer[0];
    expect(line.encoding.color.sort).toEqual(["winning ticket", "random reinit", "random mask"]);
    expect(line.encoding.x.axis.values).toEqual(levels);
    await rendersWith(chart, ["line"]);
  });

  it("rejects remaining outside (0, 1]", () => {
    expect(() => lotteryCurve([{ remaining: 0, accuracy: 0.5, arm: "winning ticket" }])).toThrow(/^lotteryCurve\(rows\[0\]\.remaining\): expected a number in \(0, 1\], received 0/);
  });
});

describe("layerDensities", () => {
  it("draws a bar per layer with kept/total tooltips and the overall rule", async () => {
    const chart = layerDensities(report);
    compilesCleanly(chart);
    expect(JSON.stringify(chart.spec)).toContain("\"field\":\"kept\"");
    await rendersWith(chart, ["rect", "rule", "text"]);
    expect(chart.description).toContain("dense_0/kernel 10.0%");
  });

  it("takes a MaskSet (report()), a RunResult (.report) or the layer list", () => {
    const fromMaskSet = layerDensities({ report: () => report } as never);
    const fromRun = layerDensities({ report } as never);
    const fromLayers = layerDensities(report.layers);
    expect(fromMaskSet.spec).toEqual(fromRun.spec);
    expect(fromLayers.spec).toEqual(fromRun.spec);
  });

  it.each([
    [null, /^layerDensities\(source\): expected a MaskSetReport, a MaskSet, a RunResult or an array of layer reports, received null/],
    [{ layers: [{ name: "a", total: 10, kept: 11 }] }, /^layerDensities\(source\.layers\[0\]\.kept\): expected an integer ≤ total \(10\), received 11/],
    [{ layers: [{ name: "", total: 10, kept: 1 }] }, /^layerDensities\(source\.layers\[0\]\.name\): expected a non-empty string/],
  ])("rejects bad input %#", (bad, message) => {
    expect(() => layerDensities(bad as never)).toThrow(message);
  });
});

describe("maskTimeline", () => {
  const events = [
    { type: "start" },
    { type: "step", step: 1 },
    ...[100, 200].map((step) => ({ type: "mask", step, dropped: { a: 10, b: 5 }, grown: { a: 8, b: 7 }, report })),
    { type: "end" },
  ];

  it("draws dropped (−) and grown (+) per layer, and densities when reports come along", async () => {
    const chart = maskTimeline(events as never);
    compilesCleanly(chart);
    expect(chart.description).toBe("<Chart: mask updates: 2 mask updates over 4 layers: 30 weights dropped, 30 grown>");
    await rendersWith(chart, ["rect", "line"]);
  });

  it("takes bare {step, dropped, grown} updates", () => {
    const chart = maskTimeline([{ step: 5, dropped: { a: 3 }, grown: { a: 1 } }]);
    const values = (chart.spec as { data: { values: { signed: number }[] } }).data.values;
    expect(values.map((v) => v.signed)).toEqual([-3, 1]);
    compilesCleanly(chart);
  });

  it.each([
    [[{ type: "step" }], /^maskTimeline\(events\): expected at least one mask event \(type "mask"\), received "1 events of other types"/],
    [[{ step: 1, dropped: { a: -1 }, grown: {} }], /^maskTimeline\(events\[0\]\.dropped\["a"\]\): expected a non-negative integer, received -1/],
    [[{ step: 1, dropped: 3, grown: {} }], /^maskTimeline\(events\[0\]\.dropped\): expected an object of per-layer counts, received 3/],
  ])("rejects bad input %#", (bad, message) => {
    expect(() => maskTimeline(bad as never)).toThrow(message);
  });
});

describe("maskHeatmap", () => {
  it("draws a rect raster of a mask", async () => {
    const bits = Uint8Array.from({ length: 12 * 8 }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const chart = maskHeatmap({ name: "fc", mask: { shape: [12, 8], bits } });
    compilesCleanly(chart);
    const { svg } = await rendersWith(chart, ["rect"]);
    expect(svg.match(/<path d=/g)?.length ?? 0).toBeGreaterThanOrEqual(32); // one per live weight, no aria labels
    expect(chart.description).toBe("<Chart: mask fc[12×8], 32 of 96 weights live>");
  });
});

describe("soupChart", () => {
  it("draws ingredients as dots and the soups as lines across phases", async () => {
    const rows = [2, 1].flatMap((phase) => [
      { phase, kind: "ingredient" as const, accuracy: 0.8 },
      { phase, kind: "ingredient" as const, accuracy: 0.82 },
      { phase, kind: "uniform soup" as const, accuracy: 0.83 },
      { phase, kind: "greedy soup" as const, accuracy: 0.85 },
      { phase, kind: "imp" as const, accuracy: 0.84 },
    ]);
    const chart = soupChart(rows);
    compilesCleanly(chart);
    expect(JSON.stringify(chart.spec)).toContain("\"sort\":[\"1\",\"2\"]");
    await rendersWith(chart, ["line", "symbol"]);
  });

  it("rejects unknown kinds", () => {
    expect(() => soupChart([{ phase: 1, kind: "soup", accuracy: 0.5 }] as never))
      .toThrow(/^soupChart\(rows\[0\]\.kind\): expected one of "ingredient", "uniform soup", "greedy soup", "imp", received "soup"/);
  });
});
