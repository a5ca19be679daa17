// The workers run the built code (dsl/dist/sweep/worker.js): `npm run build` first (`npm test` does).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { plan } from "../builder/impl.js";
import { validateRecipe } from "../io/recipe.js";
import { sweep } from "./sweep.js";
import { tinyRecipe } from "./testing.js";
import type { SweepEvent, SweepOutcome, SweepRun } from "./types.js";

const root = mkdtempSync(join(tmpdir(), "sparselab-sweep-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A sweep that records its events. */
async function recorded(recipes: Parameters<typeof sweep>[0], options: Parameters<typeof sweep>[1] = {}) {
  const events: SweepEvent[] = [];
  const outcomes = await sweep(recipes, { ...options, onEvent: (e) => events.push(e) });
  return { outcomes, events, types: (index: number) => events.filter((e) => e.index === index).map((e) => e.type) };
}

function succeeded(outcome: SweepOutcome): SweepRun {
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome;
}

/** Everything a run reports but its wall-clock time. */
const timeless = ({ seconds: _, ...summary }: SweepRun["summary"]) => summary;

const SPARSE = tinyRecipe(1);
const REGROW = tinyRecipe(2, { regrow: { method: "set", every: 4, drop: { kind: "cosine", initial: 0.3 }, begin: 0, until: 0.75 } });
const BAD_DATA = tinyRecipe(3, { data: { name: "synthetic", seed: "x" } as never });

describe("sl.sweep", () => {
  const dir = join(root, "main");

  it("gives what plan(recipe).run() gives in-process, in input order, each run stored under its recipe's hash", async () => {
    const { outcomes, events, types } = await recorded([SPARSE, REGROW], { dir, workers: 2 });
    expect(outcomes.map((o) => o.index)).toEqual([0, 1]);
    expect(new Set(events.flatMap((e) => (e.type === "started" ? [e.pid] : []))).size).toBe(2);
    for (const [index, recipe] of [SPARSE, REGROW].entries()) {
      const run = succeeded(outcomes[index]);
      const local = await plan(recipe).run();
      expect(timeless(run.summary)).toEqual(timeless(local.toJSON()));
      expect(run.summary.testAccuracy).toBe(local.metrics.testAccuracy);
      expect(run.summary.overall.density).toBe(local.report.overall.density);
      expect(run.recipe).toEqual(local.recipe);
      expect(run.loaded).toBe(false);
      expect(run.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(run.dir).toBe(join(dir, run.hash.slice(0, 16)));
      expect(JSON.parse(readFileSync(join(run.dir, "recipe.json"), "utf8"))).toEqual(validateRecipe(recipe));
      expect(JSON.parse(readFileSync(join(run.dir, "result.json"), "utf8"))).toEqual({ hash: run.hash, recipe: run.recipe, summary: run.summary, seconds: run.seconds });
      expect(types(index)).toEqual(["started", "epoch", "finished"]);
      local.net.dispose();
    }
    expect(outcomes[0].hash).not.toBe(outcomes[1].hash);
  });

  it("run again: every run is loaded from disk, nothing recomputed, the same results", async () => {
    const first = await sweep([SPARSE, REGROW], { dir, workers: 2 });
    // Another process's save in progress there (a job writing the same run) is left alone.
    const inFlight = join(first[0].dir, ".result.json.0123456789ab.tmp");
    writeFileSync(inFlight, "{");
    const { outcomes, events } = await recorded([SPARSE, REGROW], { dir, workers: 2 });
    expect(events.map((e) => [e.type, e.index])).toEqual([["loaded", 0], ["loaded", 1]]);
    expect(outcomes).toEqual(first.map((o) => ({ ...o, loaded: true })));
    expect(existsSync(inFlight)).toBe(true);
  });

  it("a recipe that fails reports one line naming its index; the others' results stand", async () => {
    const { outcomes, events } = await recorded([SPARSE, BAD_DATA, REGROW], { dir, workers: 1 });
    expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
    const failure = outcomes[1];
    expect(failure.ok || failure.error).toMatch(/^recipes\[1\]: loadDataset\(spec\.seed\): expected an integer, received "x"$/);
    expect(failure.ok || failure.attempts).toBe(1);
    expect(events.filter((e) => e.type === "failed")).toEqual([{ type: "failed", index: 1, hash: failure.hash, error: failure.ok || failure.error, retrying: false }]);
    expect(existsSync(join(failure.dir, "result.json"))).toBe(false);
  });

  it("an unreadable or foreign result.json is set aside and the run recomputed", async () => {
    const [sparse, regrow] = (await sweep([SPARSE, REGROW], { dir, workers: 1 })).map(succeeded);
    writeFileSync(join(sparse.dir, "result.json"), '{"hash": "cut sh');
    // What a worker killed mid-save leaves: removed by the worker that recomputes the run.
    const leftover = join(sparse.dir, ".result.json.0123456789ab.tmp");
    writeFileSync(leftover, "{");
    writeFileSync(join(regrow.dir, "result.json"), JSON.stringify({ hash: sparse.hash, recipe: sparse.recipe, summary: sparse.summary, seconds: sparse.seconds }));
    const { outcomes, events } = await recorded([SPARSE, REGROW], { dir, workers: 1 });
    const started = events.filter((e) => e.type === "started");
    expect(started.map((e) => e.index)).toEqual([0, 1]);
    expect(started[0].type === "started" && started[0].recomputing).toMatch(/^not JSON/);
    expect(started[1].type === "started" && started[1].recomputing).toBe(`written for recipe ${sparse.hash}`);
    expect(readFileSync(join(sparse.dir, "result.json.corrupt"), "utf8")).toBe('{"hash": "cut sh');
    expect(existsSync(leftover)).toBe(false);
    expect(outcomes.map(succeeded).map((o) => timeless(o.summary))).toEqual([timeless(sparse.summary), timeless(regrow.summary)]);
  });
});

describe("sl.sweep: a worker process that dies", () => {
  const killFirstAttempt = (events: SweepEvent[]) => (e: SweepEvent) => {
    events.push(e);
    if (e.type === "started" && e.index === 0 && e.attempt === 1) process.kill(e.pid, "SIGKILL");
  };

  it("fails only the run it held; the next run gets a fresh worker", async () => {
    const events: SweepEvent[] = [];
    const outcomes = await sweep([SPARSE, REGROW], { dir: join(root, "kill"), workers: 1, onEvent: killFirstAttempt(events) });
    expect(outcomes[0].ok || outcomes[0].error).toMatch(/^recipes\[0\]: worker process \d+ killed by SIGKILL/);
    succeeded(outcomes[1]);
    const pids = events.flatMap((e) => (e.type === "started" ? [e.pid] : []));
    expect(new Set(pids).size).toBe(2);
  });

  it("with retries: the run starts again in a new process and succeeds", async () => {
    const events: SweepEvent[] = [];
    const outcomes = await sweep([SPARSE], { dir: join(root, "retry"), workers: 1, retries: 1, onEvent: killFirstAttempt(events) });
    expect(events.map((e) => e.type)).toEqual(["started", "failed", "started", "epoch", "finished"]);
    expect(events[1].type === "failed" && events[1].retrying).toBe(true);
    const run = succeeded(outcomes[0]);
    const reference = await sweep([SPARSE], { dir: join(root, "main"), workers: 1 });
    expect(timeless(run.summary)).toEqual(timeless(succeeded(reference[0]).summary));
  });
});

describe("sl.sweep: bad input is an error naming the argument, before any run starts", () => {
  const dir = join(root, "never");
  const rejects = (recipes: unknown, options: object, message: RegExp) =>
    expect(sweep(recipes as never, { dir, ...options })).rejects.toThrow(message);

  it("recipes", async () => {
    await rejects({ version: 1 }, {}, /^sweep\(recipes\): expected an array of training recipes, received \{"version":1\}$/);
    await rejects([SPARSE, tinyRecipe(2, { train: { ...SPARSE.train, epochs: 0 } })], {}, /^sweep\(recipes\[1\]\): plan\(epochs\): expected a positive integer, received 0$/);
    await rejects([SPARSE, { ...SPARSE, lottery: { rounds: 2, rate: 0.2, scope: "global", rewind: { step: 0 }, controls: [] }, sparsity: undefined, criterion: undefined }], {},
      /^sweep\(recipes\[1\]\.lottery\): expected a training recipe \(lottery and soup recipes run through sl\.experiment\(recipe\), resumable on their own\)/);
    await rejects([SPARSE, REGROW, { ...SPARSE }], {}, /^sweep\(recipes\[2\]\): expected a recipe not already in the sweep \(it repeats recipes\[0\]\)/);
  });

  it("options", async () => {
    await rejects([SPARSE], { workers: 0 }, /^sweep\(options\.workers\): expected a positive integer, received 0$/);
    await rejects([SPARSE], { retries: -1 }, /^sweep\(options\.retries\): expected a non-negative integer, received -1$/);
    await rejects([SPARSE], { dir: "" }, /^sweep\(options\.dir\): expected a directory path, received ""$/);
    await rejects([SPARSE], { worker: 2 }, /^sweep\(options\.worker\): expected no such option \(known: dir, workers, retries, onEvent\), received 2$/);
    expect(existsSync(dir)).toBe(false);
  });
});
