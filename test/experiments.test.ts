import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, MAIN, scratchDir, cliJson, expectOneLineError } from "./support/cli.js";

// `sparselab train --lottery / --soup` (the built CLI: `npm run build` first).
const dir = scratchDir("sparselab-experiments-");

const json = (args: string[]) => cliJson<Record<string, any>>(args);

const TINY = ["--net", "mlp:784-16-10", "--data", "synthetic", "--epochs", "2", "--batch-size", "64"];
/** Drops the wall-clock field, the one thing a resumed run may legitimately report differently. */
const timeless = (levels: Record<string, unknown>[]) => levels.map(({ seconds: _, ...rest }) => rest);

describe("sparselab train --lottery", () => {
  it("--json prints levels[] with remaining, testAccuracy, earlyStopIteration and the controls", async () => {
    const out = await json(["train", ...TINY, "--lottery", "3", "--rate", "0.2", "--control", "reinit", "--control", "random-mask", "--runs", join(dir, "shape"), "--json"]);
    expect(Object.keys(out)).toEqual(["seed", "run", "dir", "units", "levels"]);
    expect(out.run).toMatch(/^[0-9a-f]{16}$/);
    expect(out.dir).toBe(join(dir, "shape", out.run));
    expect(out.units).toEqual({ loaded: 0, computed: 11, recomputed: 0 });
    expect(out.levels).toHaveLength(4);
    const total = 784 * 16 + 16 * 10;
    out.levels.forEach((l: Record<string, any>, level: number) => {
      expect(Object.keys(l)).toEqual(["level", "remaining", "kept", "total", "testAccuracy", "earlyStopIteration", "earlyStopTestAccuracy", "valLoss", "steps", "controls"]);
      expect(l.level).toBe(level);
      expect(l.kept).toBe(Math.round(total * 0.8 ** level));
      expect(l.remaining).toBe(l.kept / total);
      expect(l.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(l.testAccuracy).toBeLessThanOrEqual(1);
      expect(Number.isInteger(l.earlyStopIteration)).toBe(true);
      expect(l.earlyStopIteration).toBeGreaterThan(0);
      expect(l.earlyStopIteration).toBeLessThanOrEqual(2 * 15); // ⌈900 / 64⌉ steps per epoch
      expect(Object.keys(l.controls)).toEqual(level === 0 ? [] : ["reinit", "random-mask"]);
      for (const c of Object.values(l.controls) as Record<string, number>[]) {
        expect(Object.keys(c)).toEqual(["remaining", "testAccuracy", "earlyStopIteration", "earlyStopTestAccuracy"]);
        expect(c.remaining).toBe(l.remaining);
      }
    });
    expect(readdirSync(out.dir).sort()).toEqual(["level-0.slckpt", ...[1, 2, 3].flatMap((l) => [`level-${l}.random-mask.slckpt`, `level-${l}.reinit.slckpt`, `level-${l}.slckpt`]),
      "recipe.json", "results.json", "rewind.slckpt"].sort());
  });

  it("--print-recipe prints the recipe, which runs the same from a file", async () => {
    const flags = ["--lottery", "2", "--rate", "0.5", "--rewind", "5", "--layer-rate", "fc2.kernel=0.25", "--eval-every", "4"];
    const printed = await cli(["train", ...TINY, ...flags, "--print-recipe"]);
    expect(printed.code, printed.stderr).toBe(0);
    const recipe = JSON.parse(printed.stdout);
    expect(recipe.lottery).toEqual({ rounds: 2, rate: 0.5, layerRates: { "fc2.kernel": 0.25 }, scope: "layer", rewind: { step: 5 }, controls: [], evalEvery: 4 });
    const file = join(dir, "lottery.json");
    writeFileSync(file, printed.stdout);
    const fromFile = await json(["train", file, "--runs", join(dir, "file"), "--json"]);
    const fromFlags = await json(["train", ...TINY, ...flags, "--runs", join(dir, "flags"), "--json"]);
    expect(fromFile.run).toBe(fromFlags.run); // same recipe, same hash
    expect(timeless(fromFile.levels)).toEqual(timeless(fromFlags.levels));
    expect(fromFile.levels.map((l: { kept: number }) => l.kept)).toEqual([12544 + 160, Math.round(12544 * 0.5) + Math.round(160 * 0.75), Math.round(12544 * 0.25) + Math.round(160 * 0.5625)]);
    expect(fromFile.levels[1].steps).toBe(30 - 5);
  });

  it("a run killed with SIGKILL in the middle of a level resumes and ends with the same results as an uninterrupted run", async () => {
    const args = ["train", "--net", "mlp:784-64-10", "--data", "synthetic", "--epochs", "3", "--batch-size", "32", "--lottery", "3", "--rate", "0.5", "--control", "reinit", "--json"];
    const whole = await json([...args, "--runs", join(dir, "whole")]);

    const runs = join(dir, "killed");
    const { SPARSELAB_BACKEND: _, ...env } = process.env;
    const child = spawn(process.execPath, [MAIN, ...args, "--runs", runs], { env, stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    // Kill as soon as the first pruned level's checkpoint is on disk: the process is then training the next unit.
    const runDir = join(runs, whole.run);
    const killedAfter = await new Promise<string[]>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        if (existsSync(join(runDir, "level-1.slckpt"))) {
          child.kill("SIGKILL");
          clearInterval(poll);
          resolve(readdirSync(runDir));
        } else if (Date.now() - started > 120_000) {
          clearInterval(poll);
          reject(new Error("level-1.slckpt never appeared"));
        }
      }, 5);
    });
    expect(await exited).toBe("SIGKILL");
    expect(killedAfter).toContain("level-0.slckpt");
    const remaining = readdirSync(runDir).filter((f) => f.endsWith(".slckpt"));
    expect(remaining).not.toContain("level-3.slckpt");
    expect(remaining).not.toContain("results.json");

    const resumed = await json([...args, "--runs", runs]);
    expect(resumed.run).toBe(whole.run);
    expect(resumed.units.loaded).toBeGreaterThanOrEqual(3); // rewind, level-0, level-1 at least
    expect(resumed.units.loaded + resumed.units.computed).toBe(whole.units.computed);
    expect(timeless(resumed.levels)).toEqual(timeless(whole.levels));
    expect(readdirSync(runDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a corrupted checkpoint is recomputed, not loaded", async () => {
    const args = ["train", ...TINY, "--lottery", "2", "--rate", "0.5", "--runs", join(dir, "corrupt"), "--json"];
    const first = await json(args);
    writeFileSync(join(first.dir, "level-1.slckpt"), "not a checkpoint");
    const { code, stdout, stderr } = await cli(args);
    expect(code, stderr).toBe(0);
    const again = JSON.parse(stdout);
    expect(again.units).toEqual({ loaded: 3, computed: 0, recomputed: 1 });
    expect(stderr).toMatch(/^level-1: recomputed \(loadCheckpoint\(".*level-1\.slckpt"\): not a valid sparselab checkpoint \(bad magic or too short\)\)$/m);
    expect(stderr).not.toMatch(/^level-1: loaded$/m);
    expect(timeless(again.levels)).toEqual(timeless(first.levels));
  });
});

describe("sparselab train --soup", () => {
  it("--json prints phases[] with each ingredient's and the soup's testAccuracy and density", async () => {
    const out = await json(["train", ...TINY, "--epochs", "1", "--soup", "3", "--phases", "2", "--merge", "greedy", "--sparsity", "0.9", "--runs", join(dir, "soup"), "--json"]);
    expect(Object.keys(out)).toEqual(["seed", "run", "dir", "units", "pretrained", "phases"]);
    expect(out.units).toEqual({ loaded: 0, computed: 1 + 3 + 3 + 1, recomputed: 0 });
    expect(out.pretrained.density).toBe(1);
    const total = 784 * 16 + 16 * 10;
    expect(out.phases.map((p: { kept: number }) => p.kept)).toEqual([Math.round(total * Math.sqrt(0.1)), Math.round(total * 0.1)]);
    for (const phase of out.phases) {
      expect(Object.keys(phase)).toEqual(["phase", "targetSparsity", "density", "kept", "total", "ingredients", "soup", "uniformSoup", "greedySoup", "bestIngredient", "imp"]);
      expect(phase.ingredients).toHaveLength(3);
      for (const ingredient of phase.ingredients) {
        expect(Object.keys(ingredient)).toEqual(["index", "value", "testAccuracy", "valAccuracy", "density"]);
        expect(ingredient.density).toBe(phase.kept / total);
      }
      expect(Object.keys(phase.soup)).toEqual(["merge", "members", "testAccuracy", "valAccuracy", "density"]);
      expect(phase.soup.merge).toBe("greedy");
      expect(phase.soup.density).toBe(phase.kept / total);
      expect(phase.soup.members).toMatch(/^\d(\+\d)*$/);
      expect(phase.uniformSoup.members).toBe("0+1+2");
      expect(phase.greedySoup.valAccuracy).toBeGreaterThanOrEqual(phase.bestIngredient.valAccuracy);
      for (const model of [phase.uniformSoup, phase.greedySoup, phase.bestIngredient, phase.imp]) expect(model.density).toBe(phase.kept / total);
    }
    expect(out.phases[1].targetSparsity).toBeCloseTo(0.9, 12);
  });

  it("--vary lr --values: one learning rate per ingredient; --merge uniform continues from the uniform soup", async () => {
    const out = await json(["train", ...TINY, "--epochs", "1", "--soup", "2", "--phases", "1", "--merge", "uniform", "--vary", "lr", "--values", "0.05,0.02",
      "--sparsity", "0.5", "--dist", "uniform", "--pretrain", "1", "--no-baseline", "--runs", join(dir, "soup-lr"), "--json"]);
    expect(out.phases[0].ingredients.map((i: { value: number }) => i.value)).toEqual([0.05, 0.02]);
    expect(out.phases[0].soup.merge).toBe("uniform");
    expect(out.phases[0].soup.members).toBe("0+1");
    expect(out.phases[0]).not.toHaveProperty("imp");
  });
});

describe("bad input: non-zero exit and one line on stderr naming the argument and the value", () => {
  it("lottery flags", async () => {
    const L = ["train", ...TINY];
    await expectOneLineError([...L, "--lottery", "0", "--rate", "0.2"], /^sparselab train\(--lottery\): expected a positive integer \(pruning rounds\), received "0"$/);
    await expectOneLineError([...L, "--lottery", "2.5", "--rate", "0.2"], /^sparselab train\(--lottery\): expected a positive integer \(pruning rounds\), received "2\.5"$/);
    await expectOneLineError([...L, "--lottery", "3", "--rate", "1.5"], /^sparselab train\(--rate\): expected a number in \(0, 1\), received "1\.5"$/);
    await expectOneLineError([...L, "--lottery", "3", "--rate", "0"], /^sparselab train\(--rate\): expected a number in \(0, 1\), received "0"$/);
    await expectOneLineError([...L, "--lottery", "3"], /^sparselab train\(--rate\): expected a pruning rate in \(0, 1\) with --lottery, received undefined$/);
    await expectOneLineError([...L, "--lottery", "3", "--rate", "0.2", "--control", "shuffle"], /^sparselab train\(--control\): expected "reinit" \| "random-mask", received "shuffle"$/);
    await expectOneLineError([...L, "--lottery", "3", "--rate", "0.2", "--rewind=-1"], /^sparselab train\(--rewind\): expected a non-negative integer \(optimizer steps\), received "-1"$/);
    await expectOneLineError([...L, "--lottery", "3", "--rate", "0.2", "--scope", "net"], /^sparselab train\(--scope\): expected "global" \| "layer", received "net"$/);
    await expectOneLineError([...L, "--lottery", "3", "--rate", "0.2", "--layer-rate", "fc2.kernel"], /^sparselab train\(--layer-rate\): expected NAME=RATE .*, received "fc2\.kernel"$/);
    await expectOneLineError([...L, "--lottery", "3", "--rate", "0.2", "--sparsity", "0.9"], /^sparselab train\(--sparsity\): expected no such flag with --lottery \(IMP starts dense and prunes by itself\), received "0\.9"$/);
    await expectOneLineError([...L, "--rate", "0.2"], /^sparselab train\(--rate\): expected --lottery to go with it, received "0\.2"$/);
    await expectOneLineError([...L, "--sparsity", "0.5", "--runs", "x"], /^sparselab train\(--runs\): expected --lottery or --soup to go with it .*, received "x"$/);
    await expectOneLineError([...L, "--lottery", "1", "--rate", "0.2", "--rewind", "1000", "--runs", join(dir, "bad")], /^lottery\(rewind\.step\): expected at most the run's 30 steps, received 1000$/);
    await expectOneLineError([...L, "--lottery", "1", "--rate", "0.2", "--layer-rate", "fc9.kernel=0.1", "--runs", join(dir, "bad")], /^lottery\(layerRates\["fc9\.kernel"\]\): expected a prunable tensor \(fc1\.kernel, fc2\.kernel\), received 0\.1$/);
  });

  it("soup flags", async () => {
    const S = ["train", ...TINY];
    await expectOneLineError([...S, "--soup", "0", "--phases", "2", "--sparsity", "0.9"], /^sparselab train\(--soup\): expected a positive integer \(ingredients per phase\), received "0"$/);
    await expectOneLineError([...S, "--soup", "3", "--phases", "2"], /^sparselab train\(--soup\): expected a goal --sparsity above 0 to go with it, received "3"$/);
    await expectOneLineError([...S, "--soup", "3", "--phases", "0", "--sparsity", "0.9"], /^sparselab train\(--phases\): expected a positive integer, received "0"$/);
    await expectOneLineError([...S, "--soup", "3", "--phases", "2", "--merge", "mean", "--sparsity", "0.9"], /^sparselab train\(--merge\): expected "uniform" \| "greedy", received "mean"$/);
    await expectOneLineError([...S, "--soup", "3", "--vary", "momentum", "--sparsity", "0.9"], /^sparselab train\(--vary\): expected "seed" \| "weight-decay" \| "lr" \| "epochs", received "momentum"$/);
    await expectOneLineError([...S, "--soup", "3", "--vary", "lr", "--values", "0.1,0.2", "--sparsity", "0.9"], /^experiment\(values\): expected 3 lr values \(one per ingredient\), received \[0\.1,0\.2\]$/);
    await expectOneLineError([...S, "--soup", "3", "--sparsity", "0.9", "--dist", "erk"], /^sparselab train\(--dist\): expected "global" \| "uniform" with --soup, received "erk"$/);
    await expectOneLineError([...S, "--soup", "3", "--sparsity", "0.9", "--criterion", "snip"], /^sparselab train\(--criterion\): expected "magnitude" with --soup, received "snip"$/);
    await expectOneLineError([...S, "--phases", "2"], /^sparselab train\(--phases\): expected --soup to go with it, received "2"$/);
  });

  it("recipe files", async () => {
    const recipe = JSON.parse((await cli(["train", ...TINY, "--lottery", "2", "--rate", "0.2", "--print-recipe"])).stdout);
    const file = join(dir, "bad-lottery.json");
    writeFileSync(file, JSON.stringify({ ...recipe, lottery: { ...recipe.lottery, rate: 2 } }));
    await expectOneLineError(["train", file], /^experiment\(rate\): expected a number in \(0, 1\), received 2$/);
    writeFileSync(file, JSON.stringify({ ...recipe, lottery: { ...recipe.lottery, controls: ["reinit", "reinit"] } }));
    await expectOneLineError(["train", file], /^experiment\(controls\): expected each control at most once, received \["reinit","reinit"\]$/);
  });
});
