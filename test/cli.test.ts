import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, scratchDir, expectOneLineError } from "./support/cli.js";

const dir = scratchDir("sparselab-cli-");


const LENET = "mlp:784-300-100-10";
const TOTALS = [784 * 300, 300 * 100, 100 * 10];

describe("sparselab density", () => {
  it("--json prints the per-layer allocation in the documented shape, with the DESIGN's ERK densities", async () => {
    const { code, stdout, stderr } = await cli(["density", "--net", LENET, "--dist", "erk", "--sparsity", "0.9", "--json"]);
    expect(code, stderr).toBe(0);
    expect(stderr).toBe("");
    expect(stdout.endsWith("\n")).toBe(true);
    expect(stdout.trim().split("\n")).toHaveLength(1);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(["layers", "overall"]);
    expect(result.layers.map((l: object) => Object.keys(l))).toEqual(new Array(3).fill(["name", "shape", "total", "kept", "density"]));
    expect(Object.keys(result.overall)).toEqual(["total", "kept", "density"]);
    expect(result.layers.map((l: { name: string }) => l.name)).toEqual(["fc1.kernel", "fc2.kernel", "fc3.kernel"]);
    expect(result.layers.map((l: { shape: number[] }) => l.shape)).toEqual([[784, 300], [300, 100], [100, 10]]);
    expect(result.layers.map((l: { total: number }) => l.total)).toEqual(TOTALS);
    // rigl's test vectors for LeNet-300-100 at 90%: 0.0796 / 0.2302 / 1.0
    [0.0796, 0.2302, 1.0].forEach((d, i) => expect(result.layers[i].density).toBeCloseTo(d, 4));
    for (const l of result.layers) {
      expect(Number.isInteger(l.kept)).toBe(true);
      expect(l.density).toBe(l.kept / l.total);
    }
    expect(result.overall).toEqual({ total: 266200, kept: 26620, density: 0.1 });
    expect(result.layers.reduce((n: number, l: { kept: number }) => n + l.kept, 0)).toBe(26620);
  });

  it("--dist uniform: the same density everywhere (--dense-last keeps fc3 dense within the budget)", async () => {
    const uniform = JSON.parse((await cli(["density", "--net", LENET, "--dist", "uniform", "--sparsity", "0.9", "--json"])).stdout);
    expect(uniform.layers.map((l: { kept: number }) => l.kept)).toEqual(TOTALS.map((t) => Math.round(0.1 * t)));
    expect(uniform.overall.kept).toBe(26620);
    const denseLast = JSON.parse((await cli(["density", "--net", LENET, "--dist", "uniform", "--sparsity", "0.9", "--dense-last", "--json"])).stdout);
    expect(denseLast.layers[2].kept).toBe(1000);
    expect(denseLast.overall.kept).toBe(26620);
  });

  it("--dist er: for dense kernels ER and ERK agree", async () => {
    const er = JSON.parse((await cli(["density", "--net", LENET, "--dist", "er", "--sparsity", "0.98", "--json"])).stdout);
    // s = 0.98 → 0.0154 / 0.0445 / 0.3674
    [0.0154, 0.0445, 0.3674].forEach((d, i) => expect(er.layers[i].density).toBeCloseTo(d, 3));
    expect(er.overall.kept).toBe(Math.round(0.02 * 266200));
  });

  it("without --json prints a table", async () => {
    const { code, stdout } = await cli(["density", "--net", "mlp:20-10-2", "--dist", "uniform", "--sparsity", "0.5"]);
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^fc1\.kernel\s+\[20×10\]\s+100 \/ 200\s+0\.5000$/);
    expect(lines[2]).toMatch(/^overall\s+110 \/ 220\s+0\.5000$/);
  });

  it("bad input: non-zero exit and one line on stderr naming the argument and the value", async () => {
    await expectOneLineError(["density", "--net", LENET, "--dist", "erk", "--sparsity", "1.5"], /^erk\(sparsity\): expected a number in \[0, 1\), received 1\.5$/);
    await expectOneLineError(["density", "--net", LENET, "--dist", "erk", "--sparsity", "lots"], /^sparselab density\(--sparsity\): expected a number, received "lots"$/);
    await expectOneLineError(["density", "--net", LENET, "--dist", "lamp", "--sparsity", "0.9"], /^sparselab density\(--dist\): expected "uniform" \| "er" \| "erk", received "lamp"$/);
    await expectOneLineError(["density", "--net", LENET, "--sparsty", "0.9"], /^sparselab density\(flags\): expected valid options \(--net --dist --sparsity --dense-first --dense-last --json\), received "Unknown option '--sparsty'/);
    await expectOneLineError(["density", "--net", "mlp:784", "--sparsity", "0.9"], /^sparselab density\(net\): expected a net like "mlp:784-300-100-10" .*, received "mlp:784"$/);
    await expectOneLineError(["density", "--net", LENET, "--sparsity", "0.9", "0.8"], /^sparselab density\(arguments\): expected only --flags .*, received "0\.8"$/);
    await expectOneLineError(["desnity"], /^sparselab\(command\): expected one of density \| train \| finetune \| sweep \| run \| kernel, received "desnity"$/);
  });
});

describe("sparselab train", () => {
  const tiny = ["--net", "mlp:784-16-10", "--data", "synthetic", "--epochs", "1", "--batch-size", "64"];

  it("--print-recipe prints a recipe that `train RECIPE.json --json` runs", async () => {
    const printed = await cli(["train", ...tiny, "--sparsity", "0.8", "--dist", "erk", "--criterion", "snip", "--seed", "3", "--print-recipe"]);
    expect(printed.code, printed.stderr).toBe(0);
    const recipe = JSON.parse(printed.stdout);
    expect(recipe).toEqual({
      version: 1,
      net: { kind: "mlp", sizes: [784, 16, 10], seed: 3 },
      data: { name: "synthetic" },
      sparsity: { name: "erk", sparsity: 0.8 },
      criterion: { name: "snip", seed: 3 },
      train: { epochs: 1, batchSize: 64, seed: 3, schedule: { kind: "cosine" }, optimizer: { name: "sgd", lr: 0.05, momentum: 0.9 } },
    });
    const file = join(dir, "recipe.json");
    writeFileSync(file, printed.stdout);
    const ran = await cli(["train", file, "--json"]);
    expect(ran.code, ran.stderr).toBe(0);
    const summary = JSON.parse(ran.stdout);
    expect(summary.seed).toBe(3);
    expect(summary.overall.density).toBeCloseTo(0.2, 3);
    expect(summary.steps).toBe(15); // ⌈900 / 64⌉
    // Progress goes to stderr, one line per epoch.
    expect(ran.stderr).toMatch(/^epoch 1\/1 {2}loss \d+\.\d{4} {2}val acc \d\.\d{4} {2}density 0\.2\d{3} {2}\d+\.\ds\n$/);
  });

  it("trains a tiny synthetic-data recipe and prints the summary JSON", async () => {
    const { code, stdout, stderr } = await cli(["train", ...tiny, "--sparsity", "0.5", "--dist", "uniform", "--json"]);
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout);
    expect(Object.keys(summary).sort()).toEqual(["backend", "engine", "explorationRate", "layers", "overall", "seconds", "seed", "steps", "testAccuracy", "testLoss", "valAccuracy", "valLoss"]);
    expect(summary.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(summary.testAccuracy).toBeLessThanOrEqual(1);
    expect(summary.seed).toBe(1);
    expect(summary.backend).toBe("wasm");
    expect(summary.overall).toEqual({ total: 784 * 16 + 160, kept: Math.round(0.5 * (784 * 16 + 160)), density: Math.round(0.5 * (784 * 16 + 160)) / (784 * 16 + 160) });
    expect(summary.layers.map((l: { name: string; kept: number }) => [l.name, l.kept])).toEqual([["fc1.kernel", 6272], ["fc2.kernel", 80]]);
  });

  it("SPARSELAB_BACKEND=cpu and --backend choose the backend", async () => {
    const viaEnv = await cli(["train", ...tiny, "--json"], { SPARSELAB_BACKEND: "cpu" });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(JSON.parse(viaEnv.stdout).backend).toBe("cpu");
    expect(JSON.parse(viaEnv.stdout).overall.density).toBe(1);
    await expectOneLineError(["train", ...tiny, "--backend", "webgl"], /^useBackend\(backend\): expected one of "tensorflow" \| "wasm" \| "cpu", received "webgl"$/);
  });

  it("bad input: non-zero exit and one line on stderr naming the argument and the value", async () => {
    await expectOneLineError(["train", join(dir, "missing.json")], /^sparselab train\(RECIPE\): expected a readable JSON file \(ENOENT\), received ".*missing\.json"$/);
    const notJson = join(dir, "broken.json");
    writeFileSync(notJson, "{ version: 1");
    await expectOneLineError(["train", notJson], /^sparselab train\(RECIPE\): expected valid JSON \(.*\), received ".*broken\.json"$/);

    const base = JSON.parse((await cli(["train", ...tiny, "--print-recipe"])).stdout);
    const extraKey = join(dir, "extra-key.json");
    writeFileSync(extraKey, JSON.stringify({ ...base, epochs: 3 }));
    await expectOneLineError(["train", extraKey], /^plan\(recipe\.epochs\): expected no such option \(known: version, net, data, sparsity, criterion, train, prune, regrow, nm, lottery, soup\), received 3$/);
    const badData = join(dir, "bad-data.json");
    writeFileSync(badData, JSON.stringify({ ...base, data: { name: "synthetic", sampels: 10 } }));
    await expectOneLineError(["train", badData], /^plan\(recipe\.data\.sampels\): expected no such option .*, received 10$/);

    await expectOneLineError(["train", ...tiny, "--sparsity", "1.5"], /^erk\(sparsity\): expected a number in \[0, 1\), received 1\.5$/);
    await expectOneLineError(["train", ...tiny, "--sparsity", "0.9", "--dist", "lamp"], /^sparselab train\(--dist\): expected "uniform" \| "er" \| "erk" \| "global", received "lamp"$/);
    await expectOneLineError(["train", ...tiny, "--sparsity", "0.9", "--criterion", "lamp"], /^plan\(recipe\.criterion\.name\): expected one of "random" \| "magnitude" \| "snip" \| "grasp" \| "synflow", received "lamp"$/);
    await expectOneLineError(["train", ...tiny, "--criterion", "snip"], /^sparselab train\(--criterion\): expected a --sparsity above 0 to go with it, received "snip"$/);
    await expectOneLineError(["train", ...tiny, "--optimizer", "lion"], /^sparselab train\(--optimizer\): expected "sgd" \| "adam" \| "adamw", received "lion"$/);
    await expectOneLineError(["train", ...tiny, "--epochs", "0"], /^plan\(epochs\): expected a positive integer, received 0$/);
    await expectOneLineError(["train", ...tiny, "--prune", "rigl"], /^sparselab train\(--prune\): expected "gmp" | "granet", received "rigl"$/);
    await expectOneLineError(["train", ...tiny, "--epoch", "2"], /^sparselab train\(flags\): expected valid options .*, received "Unknown option '--epoch'/);
    await expectOneLineError(["train", extraKey, "--epochs", "2"], /^sparselab train\(--epochs\): expected no recipe flags alongside a RECIPE file \(edit the file instead\), received "2"$/);
  });
});
