import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SparseDelta } from "sparselab";
import { cli, cliJson, expectOneLineError, scratchDir } from "./support/cli.js";

// `sparselab finetune` on the shipped pretrained ViT and the embedded Fashion-MNIST subset (the built CLI).
const dir = scratchDir("sparselab-finetune-cli-");
const SMALL = ["--data", "embedded", "--train-per-class", "10", "--test-per-class", "6", "--steps", "3", "--batch-size", "8"];

describe("sparselab finetune", () => {
  it("prints a recipe from flags, runs it from the file, and saves the delta it reports", async () => {
    const recipe = await cliJson(["finetune", "--method", "ltsft", "--config", '{"budget":40}', ...SMALL, "--print-recipe"]);
    expect(recipe).toMatchObject({ kind: "finetune", method: "ltsft", config: { budget: 40, l1: 0 }, train: { steps: 3, batchSize: 8 },
      task: { classes: [5, 6, 7, 8, 9], sizes: { train: 50, validation: 30, test: 30 }, origin: { data: { source: "embedded" } } } });
    expect(Object.keys(recipe.evaluate)).toEqual(["source"]);
    const file = join(dir, "ltsft.json");
    writeFileSync(file, JSON.stringify(recipe));
    const deltaFile = join(dir, "ltsft.sldelta");
    const summary = await cliJson(["finetune", file, "--delta", deltaFile, "--json"]);
    expect(summary).toMatchObject({ method: "ltsft", steps: 6, deltaEntries: expect.any(Number) });
    expect(summary.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(summary.evaluations.source).toBeGreaterThan(0.2);
    const delta = await SparseDelta.load(deltaFile);
    expect(delta.nnz).toBe(summary.deltaEntries);
    // 40 body entries plus the densely trained head (the recipe's default).
    expect(delta.nnz).toBeGreaterThan(40);
  });

  it("gives one-line errors for a missing --config, plan flags next to a recipe and a foreign base", async () => {
    await expectOneLineError(["finetune", "--method", "s2ft", ...SMALL], /sparselab finetune\(--config\).*s2ft options/);
    await expectOneLineError(["finetune", "--method", "dora"], /sparselab finetune\(--method\).*"dora"/);
    const file = join(dir, "full.json");
    writeFileSync(file, JSON.stringify(await cliJson(["finetune", "--method", "full", ...SMALL, "--print-recipe"])));
    await expectOneLineError(["finetune", file, "--steps", "9"], /sparselab finetune\(--steps\).*no plan flags/);
    const tampered = join(dir, "tampered.json");
    writeFileSync(tampered, JSON.stringify({ ...JSON.parse((await cli(["finetune", "--method", "full", ...SMALL, "--print-recipe"])).stdout), base: "0".repeat(64) }));
    await expectOneLineError(["finetune", tampered], /finetune\.fromRecipe\(recipe\.base\).*fingerprint/);
  });
});
