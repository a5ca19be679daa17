import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, scratchDir, cliJson, expectOneLineError } from "./support/cli.js";

// `sparselab train` with dynamic sparse training (the built CLI: `npm run build` first).
const dir = scratchDir("sparselab-dst-cli-");

const json = (args: string[]) => cliJson<Summary>(args);


interface Layer { name: string; total: number; kept: number; density: number; dropped: number; grown: number }
interface Summary { explorationRate: number; steps: number; overall: { total: number; kept: number; density: number }; layers: Layer[]; testAccuracy: number }

// Synthetic data (900 train examples) in batches of 64: 15 steps in one epoch.
const T = ["--net", "mlp:784-64-10", "--data", "synthetic", "--epochs", "1", "--batch-size", "64"];
const TOTALS = { "fc1.kernel": 784 * 64, "fc2.kernel": 64 * 10 };

describe("sparselab train --regrow", () => {
  it("RigL keeps the recipe's ERK density exactly (per layer and overall), explores beyond it, and reports ⌊f·n⌋ replaced per update", async () => {
    const density = JSON.parse((await cli(["density", "--net", "mlp:784-64-10", "--dist", "erk", "--sparsity", "0.9", "--json"])).stdout);
    const summary = await json(["train", ...T, "--sparsity", "0.9", "--regrow", "rigl", "--every", "2", "--json"]);
    expect(Object.keys(summary).sort()).toEqual(["backend", "engine", "explorationRate", "layers", "overall", "seconds", "seed", "steps", "testAccuracy", "testLoss", "valAccuracy", "valLoss"]);
    expect(summary.layers.map((l) => Object.keys(l))).toEqual(new Array(2).fill(["name", "shape", "total", "kept", "density", "dropped", "grown"]));
    expect(summary.steps).toBe(15);
    expect(summary.overall).toEqual(density.overall);
    expect(summary.overall.kept).toBe(Math.round(0.1 * 50816));
    expect(summary.layers.map((l) => l.kept)).toEqual(density.layers.map((l: Layer) => l.kept));
    expect(summary.explorationRate).toBeGreaterThan(summary.overall.density);
    expect(summary.explorationRate).toBeLessThanOrEqual(1);
    // Updates at steps 2, 4, 6, 8, 10 (until round(0.75 · 15) = 11); f = 0.3 · (1 + cos(π t / 11)) / 2.
    for (const layer of summary.layers) {
      const replaced = [2, 4, 6, 8, 10].reduce((n, t) => n + Math.floor(0.15 * (1 + Math.cos((Math.PI * t) / 11)) * layer.kept), 0);
      expect(layer.dropped, layer.name).toBe(replaced);
      expect(layer.grown, layer.name).toBe(replaced);
    }
    expect(summary.layers.map((l) => l.dropped)).toEqual([3152, 273]);
  });

  it("SET likewise conserves every layer's count", async () => {
    const summary = await json(["train", ...T, "--sparsity", "0.8", "--dist", "uniform", "--regrow", "set", "--every", "3", "--drop", "0.2", "--json"]);
    expect(summary.layers.map((l) => l.kept)).toEqual([Math.round(0.2 * TOTALS["fc1.kernel"]), Math.round(0.2 * TOTALS["fc2.kernel"])]);
    for (const l of summary.layers) expect(l.grown).toBe(l.dropped);
    expect(summary.explorationRate).toBeGreaterThan(summary.overall.density);
  });
});

describe("sparselab train --prune granet / --nm", () => {
  it("--prune granet: reaches --sparsity exactly (global), regrows as many as it re-drops, and reports exploration", async () => {
    const dense = await json(["train", ...T, "--sparsity", "0.9", "--prune", "granet", "--every", "2", "--json"]);
    expect(dense.overall.kept).toBe(Math.round(0.1 * 50816));
    // Dense start: every weight was active once.
    expect(dense.explorationRate).toBe(1);
    for (const l of dense.layers) {
      expect(l.grown).toBeGreaterThan(0);
      // What was dropped beyond the regrown is exactly what pruning removed.
      expect(l.dropped - l.grown).toBe(l.total - l.kept);
    }
    const fromHalf = await json(["train", ...T, "--sparsity", "0.9", "--prune", "granet", "--every", "2", "--init-sparsity", "0.5", "--json"]);
    expect(fromHalf.overall.kept).toBe(Math.round(0.1 * 50816));
    expect(fromHalf.explorationRate).toBeGreaterThan(0.5);
    expect(fromHalf.explorationRate).toBeLessThan(1);
  });

  it("--nm 2:4: half of every kernel, exactly, with the masks' moves counted", async () => {
    const summary = await json(["train", ...T, "--nm", "2:4", "--json"]);
    expect(summary.overall).toEqual({ total: 50816, kept: 25408, density: 0.5 });
    expect(summary.layers.map((l) => l.density)).toEqual([0.5, 0.5]);
    for (const l of summary.layers) expect(l.grown).toBe(l.dropped);
    expect(summary.explorationRate).toBeGreaterThanOrEqual(0.5);
  });
});

describe("recipes with regrow / prune+regrow / nm round-trip through --print-recipe", () => {
  const cases: [string, string[], Record<string, unknown>][] = [
    ["rigl", ["--sparsity", "0.9", "--regrow", "rigl", "--every", "2", "--drop", "0.4", "--until", "0.5"],
      { regrow: { method: "rigl", every: 2, until: 0.5, begin: 0, drop: { kind: "cosine", initial: 0.4 } } }],
    ["granet", ["--sparsity", "0.9", "--prune", "granet", "--every", "2"], {
      prune: { method: "gmp", to: 0.9, start: 0, end: 0.75, every: 2, scope: "global" },
      regrow: { method: "gradient", every: 2, drop: { kind: "cosine", initial: 0.5, final: 0.005 }, begin: 0, until: 0.75 },
    }],
    ["nm", ["--nm", "2:4"], { nm: { n: 2, m: 4, every: 10, variant: "srste", refine: 2e-4, decayEnd: 0.75, decayShape: "exponential" } }],
  ];
  for (const [label, flags, expected] of cases) {
    it(`${label}: flags → recipe → file → the same recipe`, async () => {
      const printed = await cli(["train", ...T, ...flags, "--print-recipe"]);
      expect(printed.code, printed.stderr).toBe(0);
      const recipe = JSON.parse(printed.stdout);
      expect(recipe).toMatchObject(expected);
      const file = join(dir, `${label}.json`);
      writeFileSync(file, printed.stdout);
      const again = await cli(["train", file, "--print-recipe"]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toBe(printed.stdout);
    });
  }

  it("a RigL recipe file runs to the density it states", async () => {
    const printed = await cli(["train", ...T, "--sparsity", "0.95", "--dist", "uniform", "--regrow", "rigl", "--every", "4", "--print-recipe"]);
    const file = join(dir, "rigl-run.json");
    writeFileSync(file, printed.stdout);
    const summary = await json(["train", file, "--json"]);
    expect(summary.layers.map((l) => l.kept)).toEqual([Math.round(0.05 * TOTALS["fc1.kernel"]), Math.round(0.05 * TOTALS["fc2.kernel"])]);
    expect(summary.explorationRate).toBeGreaterThan(summary.overall.density);
  });
});

describe("bad input: non-zero exit and one line on stderr naming the argument and the value", () => {
  it("flags: drop-and-grow", async () => {
    await expectOneLineError(["train", ...T, "--sparsity", "0.9", "--regrow", "rigl", "--drop", "1"], /^plan\(drop\.initial\): expected a number in \[0, 1\), received 1$/);
    await expectOneLineError(["train", ...T, "--sparsity", "0.9", "--prune", "granet", "--drop", "1.2"], /^plan\(drop\.initial\): expected a number in \[0, 1\), received 1\.2$/);
    await expectOneLineError(["train", ...T, "--sparsity", "0.9", "--regrow", "rigl", "--until", "1.5"], /^plan\(until\): expected a number in \[0, 1\], received 1\.5$/);
    await expectOneLineError(["train", ...T, "--sparsity", "0.9", "--regrow", "set", "--every", "0"], /^plan\(every\): expected a positive integer, received 0$/);
  });

  it("flags: N:M and combinations", async () => {
    await expectOneLineError(["train", ...T, "--nm", "5:4"], /^plan\(n\): expected at most m \(4\), received 5$/);
    await expectOneLineError(["train", ...T, "--nm", "2:3"], /^nm\(m\): expected a divisor of fc1\.kernel's input dimension 784 .*, received 3$/);
    await expectOneLineError(["train", ...T, "--nm", "2-4"], /^sparselab train\(--nm\): expected N:M like "2:4", received "2-4"$/);
    await expectOneLineError(["train", ...T, "--nm", "2:4", "--sparsity", "0.5"], /^sparselab train\(--nm\): expected no --sparsity, --prune or --regrow alongside it, received "2:4"$/);
    await expectOneLineError(["train", ...T, "--sparsity", "0.9", "--regrow", "lamp"], /^sparselab train\(--regrow\): expected "set" \| "rigl", received "lamp"$/);
    await expectOneLineError(["train", ...T, "--regrow", "rigl"], /^sparselab train\(--regrow\): expected a --sparsity above 0 to go with it, received "rigl"$/);
    await expectOneLineError(["train", ...T, "--sparsity", "0.9", "--regrow", "rigl", "--prune", "gmp"], /^sparselab train\(--regrow\): expected no --prune alongside it .*, received "rigl"$/);
  });

  it("recipe files", async () => {
    const base = JSON.parse((await cli(["train", ...T, "--sparsity", "0.9", "--regrow", "rigl", "--print-recipe"])).stdout);
    const write = (name: string, recipe: unknown) => {
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify(recipe));
      return file;
    };
    await expectOneLineError(["train", write("until.json", { ...base, regrow: { ...base.regrow, begin: 0.5, until: 0.2 } })],
      /^plan\(until\): expected a fraction ≥ begin \(0\.5\), received 0\.2$/);
    await expectOneLineError(["train", write("drop.json", { ...base, regrow: { ...base.regrow, drop: { kind: "cosine", initial: 1 } } })],
      /^plan\(drop\.initial\): expected a number in \[0, 1\), received 1$/);
    await expectOneLineError(["train", write("kind.json", { ...base, regrow: { ...base.regrow, drop: { kind: "linear", initial: 0.3 } } })],
      /^plan\(drop\.kind\): expected "constant" \| "cosine" \| "exponential", received "linear"$/);
    await expectOneLineError(["train", write("end.json", { ...base, regrow: undefined, prune: { method: "gmp", to: 0.9, start: 0.5, end: 0.2, scope: "global" } })],
      /^plan\(end\): expected a fraction ≥ start \(0\.5\), received 0\.2$/);
    const { sparsity: _s, criterion: _c, regrow: _r, ...plain } = base;
    await expectOneLineError(["train", write("nm.json", { ...plain, nm: { n: 3, m: 2, every: 10, variant: "srste", refine: 0, decayEnd: 0.75, decayShape: "linear" } })],
      /^plan\(n\): expected at most m \(2\), received 3$/);
    await expectOneLineError(["train", write("nm-divide.json", { ...plain, nm: { n: 1, m: 5, every: 10, variant: "decay", refine: 0, decayEnd: 0.75, decayShape: "linear" } })],
      /^nm\(m\): expected a divisor of fc1\.kernel's input dimension 784 .*, received 5$/);
    await expectOneLineError(["train", write("nm-with-regrow.json", { ...plain, regrow: base.regrow, nm: { n: 2, m: 4, every: 10, variant: "srste", refine: 0, decayEnd: 0.75, decayShape: "linear" } })],
      /^plan\(recipe\.nm\): expected no sparsity, prune or regrow alongside it/);
  });
});
