import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { plan } from "../dsl/src/builder/impl.js";
import { tinyRecipe } from "../dsl/src/sweep/testing.js";
import { cli, expectOneLineError, scratchDir } from "./support/cli.js";

// `sparselab sweep` (the built CLI: `npm run build` first).
const dir = scratchDir("sparselab-sweep-cli-");

function recipesFile(name: string, recipes: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(recipes));
  return file;
}

const GOOD = [tinyRecipe(1), tinyRecipe(2, { sparsity: { name: "uniform", sparsity: 0.5 } })];

describe("sparselab sweep", () => {
  const file = recipesFile("good.json", GOOD);
  const runs = join(dir, "runs");

  it("--json prints every run's summary in input order, equal to an in-process run; progress goes to stderr", async () => {
    const { code, stdout, stderr } = await cli(["sweep", file, "--runs", runs, "--workers", "1", "--json"]);
    expect(code, stderr).toBe(0);
    expect(stdout.trim().split("\n")).toHaveLength(1);
    const outcomes = JSON.parse(stdout);
    expect(outcomes.map((o: { index: number; ok: boolean; loaded: boolean }) => [o.index, o.ok, o.loaded])).toEqual([[0, true, false], [1, true, false]]);
    for (const [index, recipe] of GOOD.entries()) {
      const local = await plan(recipe).run();
      const { seconds: _, ...summary } = outcomes[index].summary;
      const { seconds: __, ...expected } = local.toJSON();
      expect(summary).toEqual(expected);
      local.net.dispose();
    }
    const lines = stderr.trim().split("\n");
    expect(lines.filter((l) => / started in worker \d+$/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /^\[\d\] [0-9a-f]{16} epoch 1\/1 {2}loss \d\.\d{4}/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /^\[\d\] [0-9a-f]{16} finished: test acc \d\.\d{4} in \d+\.\ds$/.test(l))).toHaveLength(2);
  });

  it("run again: a table of loaded runs, nothing recomputed", async () => {
    const { code, stdout, stderr } = await cli(["sweep", file, "--runs", runs]);
    expect(code, stderr).toBe(0);
    expect(stderr.trim().split("\n").map((l) => l.replace(/ [0-9a-f]{16} /, " H ").replace(/\d\.\d{4}$/, "A"))).toEqual(["[0] H loaded: test acc A", "[1] H loaded: test acc A"]);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^index\s+run\s+status\s+test acc\s+density\s+seconds$/);
    expect(lines[1]).toMatch(/^0\s+[0-9a-f]{16}\s+loaded\s+\d\.\d{4}\s+0\.2\d{3}\s+\d+\.\d$/);
    expect(lines[2]).toMatch(/^1\s+[0-9a-f]{16}\s+loaded\s+\d\.\d{4}\s+0\.5\d{3}\s+\d+\.\d$/);
    expect(lines[3]).toBe(`2 runs in ${runs}: 0 computed, 2 loaded, 0 failed`);
  });

  it("a run that fails: exit 1, its row names the error, the other runs are kept", async () => {
    const mixed = recipesFile("mixed.json", [GOOD[0], tinyRecipe(3, { data: { name: "synthetic", seed: "x" } as never })]);
    const { code, stdout, stderr } = await cli(["sweep", mixed, "--runs", runs]);
    expect(code).toBe(1);
    expect(stderr).toContain('recipes[1]: loadDataset(spec.seed): expected an integer, received "x"\n');
    const lines = stdout.trim().split("\n");
    expect(lines[1]).toMatch(/^0\s+[0-9a-f]{16}\s+loaded\s/);
    expect(lines[2]).toMatch(/^1\s+[0-9a-f]{16}\s+failed\s+recipes\[1\]: loadDataset\(spec\.seed\): expected an integer, received "x"$/);
    expect(lines[3]).toBe(`2 runs in ${runs}: 0 computed, 1 loaded, 1 failed`);
  });

  it("bad input: non-zero exit and one line on stderr naming the argument and the value", async () => {
    await expectOneLineError(["sweep"], /^sparselab sweep\(RECIPES\): expected one JSON file holding an array of recipes, received \[\]$/);
    await expectOneLineError(["sweep", join(dir, "missing.json")], /^sparselab sweep\(RECIPE\): expected a readable JSON file \(ENOENT\), received ".*missing\.json"$/);
    await expectOneLineError(["sweep", recipesFile("object.json", GOOD[0])], /^sparselab sweep\(RECIPES\): expected an array of training recipes, received \{"version":1,/);
    const badEpochs = recipesFile("bad-epochs.json", [GOOD[0], tinyRecipe(2, { train: { ...GOOD[0].train, epochs: 0 } })]);
    await expectOneLineError(["sweep", badEpochs], /^sparselab sweep\(RECIPES\[1\]\): plan\(epochs\): expected a positive integer, received 0$/);
    const lottery = recipesFile("lottery.json", [{ ...GOOD[0], sparsity: undefined, criterion: undefined, lottery: { rounds: 2, rate: 0.2, scope: "global", rewind: { step: 0 }, controls: [] } }]);
    await expectOneLineError(["sweep", lottery], /^sparselab sweep\(RECIPES\[0\]\.lottery\): expected a training recipe \(lottery and soup recipes run through sl\.experiment\(recipe\), resumable on their own\), received /);
    await expectOneLineError(["sweep", file, "--workers", "0"], /^sparselab sweep\(--workers\): expected a positive integer, received "0"$/);
    await expectOneLineError(["sweep", file, "--workers", "two"], /^sparselab sweep\(--workers\): expected a number, received "two"$/);
    await expectOneLineError(["sweep", file, "--retries=-1"], /^sparselab sweep\(--retries\): expected a non-negative integer, received "-1"$/);
    await expectOneLineError(["sweep", file, "--worker", "2"], /^sparselab sweep\(flags\): expected valid options \(--runs --workers --retries --json\), received "Unknown option '--worker'/);
  });
});
