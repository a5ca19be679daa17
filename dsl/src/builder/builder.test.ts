import { synthetic } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { gmp } from "../algorithms/gmp.js";
import { useBackend } from "../backend/index.js";
import { erk } from "../distributions/index.js";
import { mlp } from "../nets/index.js";
import { cosineLr, stepLr } from "../schedules/lr.js";
import type { RunEvent } from "../train/events.js";
import { sgd } from "../train/optimizers.js";
import { plan, sparsify } from "./impl.js";
import type { TrainingPlan } from "./plan.js";

// 300 train examples, batch 30 → 10 steps per epoch.
const data = synthetic({ train: 330, validation: 30, test: 60, features: 16, numClasses: 4, seed: 1 });
const options = { data, epochs: 2, batchSize: 30, optimizer: sgd(0.1, { momentum: 0.9 }) };

beforeAll(async () => {
  await useBackend();
});

const net16 = () => mlp([16, 24, 4], { seed: 2 });

describe("plans are immutable", () => {
  it("every call returns a new frozen plan and leaves the one it was called on as it was", () => {
    const net = mlp([16, 24, 4], { seed: 1 });
    const start = net.sparsify();
    const distributed = start.erk(0.5);
    const chosen = distributed.magnitude();
    const training = chosen.train(options);
    const pruned = training.prune(gmp({ to: 0.8 }));
    const stages: object[] = [start, distributed, chosen, training, pruned];
    expect(new Set(stages).size).toBe(stages.length);
    for (const stage of stages) expect(Object.isFrozen(stage)).toBe(true);

    // The earlier stages still describe what they described.
    expect(start.train(options).toJSON()).not.toHaveProperty("sparsity");
    expect(distributed.train(options).toJSON()).not.toHaveProperty("criterion");
    expect(training.toJSON()).not.toHaveProperty("prune");
    expect(training.toJSON().criterion).toEqual({ name: "magnitude", seed: 1 });
    expect(pruned.toJSON().prune).toEqual(gmp({ to: 0.8 }));

    // Branching from one plan gives independent plans.
    const a = distributed.random({ seed: 4 }).train(options).toJSON();
    const b = distributed.snip({ seed: 5 }).train(options).toJSON();
    expect([a.criterion, b.criterion]).toEqual([{ name: "random", seed: 4 }, { name: "snip", seed: 5 }]);
    expect(a.sparsity).toEqual({ name: "erk", sparsity: 0.5 });
    net.dispose();
  });

  it("a plan does not share arrays its caller still holds", () => {
    const net = mlp([16, 24, 4], { seed: 1 });
    const milestones = [1];
    const p = net.sparsify().train({ ...options, schedule: stepLr(milestones) });
    milestones.push(0);
    expect(p.toJSON().train.schedule).toEqual({ kind: "step", milestones: [1], gamma: 0.1 });
    expect(() => milestones.push(2)).not.toThrow();
    net.dispose();
  });

  it("a plan cannot be changed through its methods' results or its recipe", () => {
    const net = mlp([16, 24, 4], { seed: 1 });
    const recipe = net.sparsify().erk(0.5).train(options).toJSON();
    expect(Object.isFrozen(recipe)).toBe(true);
    expect(Object.isFrozen(recipe.train)).toBe(true);
    expect(Object.isFrozen(recipe.train.optimizer)).toBe(true);
    expect(Object.isFrozen(recipe.net)).toBe(true);
    expect(() => {
      (recipe.train as { epochs: number }).epochs = 100;
    }).toThrow(TypeError);
    net.dispose();
  });
});

describe("plan ⇄ JSON recipe", () => {
  const net = mlp([16, 24, 4], { seed: 3 });
  const plans: [string, TrainingPlan | Omit<TrainingPlan, "prune">][] = [
    ["dense", net.sparsify().train(options)],
    ["ERK + random", net.sparsify().erk(0.9).random({ seed: 7 }).train({ ...options, schedule: cosineLr({ warmup: 2 }), seed: 11 })],
    ["uniform dense-first + SNIP", net.sparsify().uniform(0.8, { denseFirst: true }).snip().train(options)],
    ["global + synflow", net.sparsify().global(0.8).synflow().train(options)],
    ["custom + grasp", net.sparsify().custom({ "fc1.kernel": 0.25, "fc2.kernel": 1 }).grasp().train(options)],
    ["gradual magnitude pruning", net.sparsify().train({ ...options, dropLast: true }).prune(gmp({ to: 0.9, start: 0.2, end: 0.8, every: 3, scope: "global" }))],
  ];

  for (const [label, p] of plans) {
    it(`${label}: toJSON → JSON text → sl.plan → toJSON is the same recipe`, () => {
      const recipe = p.toJSON();
      const again = plan(JSON.parse(JSON.stringify(recipe))).toJSON();
      expect(again).toEqual(recipe);
      expect(JSON.parse(JSON.stringify(again))).toEqual(JSON.parse(JSON.stringify(recipe)));
      expect(recipe.version).toBe(1);
      expect(recipe.net).toEqual({ kind: "mlp", sizes: [16, 24, 4], seed: 3 });
      expect(recipe.data).toEqual(data.spec);
    });
  }

  it("records the defaults: the train and criterion seeds follow the net's seed", () => {
    const recipe = net.sparsify().erk(0.5).random().train(options).toJSON();
    expect(recipe.train).toEqual({ epochs: 2, batchSize: 30, optimizer: { name: "sgd", lr: 0.1, momentum: 0.9 }, seed: 3 });
    expect(recipe.criterion).toEqual({ name: "random", seed: 3 });
  });

  const valid = (): Record<string, unknown> => JSON.parse(JSON.stringify(net.sparsify().erk(0.5).random().train(options).toJSON()));
  const withChange = (change: (r: Record<string, any>) => void) => {
    const r = valid();
    change(r);
    return r;
  };

  it("sl.plan rejects unknown keys, naming the key and the value", () => {
    expect(() => plan(withChange((r) => (r.epochs = 3)))).toThrow(/^plan\(recipe\.epochs\): expected no such option \(known: version, net, data, sparsity, criterion, train, prune, regrow, nm, lottery, soup\), received 3$/);
    expect(() => plan(withChange((r) => (r.train.lr = 0.1)))).toThrow(/^plan\(options\.lr\): expected no such option \(known: epochs, batchSize, optimizer, schedule, seed, dropLast\), received 0\.1$/);
    expect(() => plan(withChange((r) => (r.criterion.kind = "x")))).toThrow(/^plan\(recipe\.criterion\.kind\): expected no such option \(known: name, seed\), received "x"$/);
    expect(() => plan(withChange((r) => (r.net.width = 2)))).toThrow(/^plan\(net\.width\): expected no such option \(known: kind, sizes, seed\), received 2$/);
    expect(() => plan(withChange((r) => (r.sparsity.denseFirst = true)))).toThrow(/^distributions\.fromConfig\(config\.denseFirst\): expected no such option \(known: name, sparsity\), received true$/);
  });

  it("sl.plan rejects wrong types, naming the key and the value", () => {
    expect(() => plan(withChange((r) => (r.train.epochs = "2")))).toThrow(/^plan\(epochs\): expected a positive integer, received "2"$/);
    expect(() => plan(withChange((r) => (r.train.optimizer.lr = -1)))).toThrow(/^plan\(lr\): expected a positive number, received -1$/);
    expect(() => plan(withChange((r) => (r.criterion.name = "lamp")))).toThrow(/^plan\(recipe\.criterion\.name\): expected one of "random" \| "magnitude" \| "snip" \| "grasp" \| "synflow", received "lamp"$/);
    expect(() => plan(withChange((r) => (r.sparsity.sparsity = 1.5)))).toThrow(/^erk\(sparsity\): expected a number in \[0, 1\), received 1\.5$/);
    expect(() => plan(withChange((r) => (r.version = 2)))).toThrow(/^plan\(recipe\.version\): expected 1, received 2$/);
    expect(() => plan(withChange((r) => (r.data = "synthetic")))).toThrow(/^plan\(recipe\.data\): expected an object, received "synthetic"$/);
    expect(() => plan([])).toThrow(/^plan\(recipe\): expected an object, received \[\]$/);
  });
});

describe("running a plan", () => {
  it("same seeds → identical masks, history and metrics; the recipe alone reproduces the run", async () => {
    const net = mlp([16, 24, 4], { seed: 2 });
    const p = net.sparsify().erk(0.6).random({ seed: 9 }).train(options);
    const first = await p.run();
    const second = await p.run();
    const fromRecipe = await plan(JSON.parse(JSON.stringify(first.recipe))).run();
    for (const other of [second, fromRecipe]) {
      expect(other.masks.equals(first.masks)).toBe(true);
      expect(other.metrics).toEqual(first.metrics);
      expect(other.records.map(({ seconds: _, ...r }) => r)).toEqual(first.records.map(({ seconds: _, ...r }) => r));
      for (const [name, w] of other.net.snapshot()) expect(w).toEqual(first.net.snapshot().get(name));
    }
    // Running does not train the plan's own net (each run starts from a clone).
    for (const [name, w] of net.snapshot()) expect(w).not.toEqual(first.net.snapshot().get(name));
    for (const r of [first, second, fromRecipe]) r.net.dispose();
    net.dispose();
  });

  it("a different criterion seed gives different masks with the same counts", async () => {
    const net = mlp([16, 24, 4], { seed: 2 });
    const runOnce = (seed: number) => net.sparsify().erk(0.6).random({ seed }).train({ ...options, epochs: 1 }).run();
    const [a, b] = [await runOnce(1), await runOnce(2)];
    expect(a.masks.equals(b.masks)).toBe(false);
    expect(a.report.layers.map((l) => l.kept)).toEqual(b.report.layers.map((l) => l.kept));
    for (const r of [a, b]) r.net.dispose();
    net.dispose();
  });

  it("reports what ran: recipe, realised densities, metrics, events", async () => {
    const net = mlp([16, 24, 4], { seed: 2 });
    const p = net.sparsify().erk(0.6).magnitude().train(options);
    const events: RunEvent["type"][] = [];
    const result = await p.run({ onEvent: (e) => events.push(e.type) });
    expect(result.recipe).toEqual(p.toJSON());
    const allocation = erk(0.6).allocate(net.prunable);
    if (allocation.kind !== "layerwise") throw new Error("erk allocates per layer");
    expect(result.report.layers.map((l) => l.kept)).toEqual(allocation.layers.map((l) => l.kept));
    expect(result.report.overall.kept).toBe(allocation.kept);
    expect(result.steps).toBe(20);
    expect(result.records).toHaveLength(2);
    expect(result.metrics.testAccuracy).toBeGreaterThan(0.5);
    expect(result.backend).toBe("wasm");
    expect(events[0]).toBe("start");
    expect(events.at(-1)).toBe("end");
    expect(events.filter((e) => e === "step")).toHaveLength(20);
    const summary = result.toJSON();
    expect(Object.keys(summary).sort()).toEqual(["backend", "engine", "explorationRate", "layers", "overall", "seconds", "seed", "steps", "testAccuracy", "testLoss", "valAccuracy", "valLoss"]);
    expect(summary.seed).toBe(2);
    result.net.dispose();
    net.dispose();
  });

  it("the run's recipe records the data actually loaded (defaults filled in), so it reruns on the same examples", async () => {
    const net = net16();
    const recipe = { ...net.sparsify().train(options).toJSON(), data: { name: "synthetic", features: 16, numClasses: 4, train: 120 } };
    net.dispose();
    const result = await plan(recipe).run();
    expect(result.recipe.data).toEqual({
      name: "synthetic", train: 120, test: 200, validation: 0.1, inputShape: [1, 16, 1], numClasses: 4, noise: 0.5, seed: 0, splitSeed: 0,
    });
    expect(result.steps).toBe(2 * Math.ceil(108 / 30));
    const again = await plan(result.recipe).run();
    expect(again.metrics).toEqual(result.metrics);
    for (const r of [result, again]) r.net.dispose();
  });

  it("gradual magnitude pruning reaches its target", async () => {
    const net = mlp([16, 24, 4], { seed: 2 });
    const result = await net.sparsify().train(options).prune(gmp({ to: 0.75, start: 0.1, end: 0.6 })).run();
    for (const l of result.report.layers) expect(l.kept).toBe(Math.round(0.25 * l.total));
    expect(result.records.at(-1)!.density).toBe(result.report.overall.density);
    result.net.dispose();
    net.dispose();
  });
});

describe("builder input errors", () => {
  const net = mlp([16, 24, 4], { seed: 1 });

  it("train() without a Dataset", () => {
    const noData = { ...options, data: undefined } as unknown as typeof options;
    expect(() => net.sparsify().train(noData)).toThrow(/^train\(data\): expected a Dataset \(e\.g\. await sl\.datasets\.fashionMnist\(\)\), received undefined$/);
    const spec = { ...options, data: data.spec } as unknown as typeof options;
    expect(() => net.sparsify().erk(0.5).train(spec)).toThrow(/^train\(data\): expected a Dataset/);
    expect(() => net.sparsify().train(undefined as never)).toThrow(/^train\(options\): expected an object, received undefined$/);
  });

  it("bad training options name the option and the value", () => {
    expect(() => net.sparsify().train({ ...options, epochs: 0 })).toThrow(/^train\(epochs\): expected a positive integer, received 0$/);
    expect(() => net.sparsify().train({ ...options, batchSize: 2.5 })).toThrow(/^train\(batchSize\): expected a positive integer, received 2\.5$/);
    expect(() => net.sparsify().train({ ...options, epoch: 3 } as never)).toThrow(/^train\(options\.epoch\): expected no such option/);
  });

  it("bad distribution and criterion arguments", () => {
    expect(() => net.sparsify().erk(1.5)).toThrow(/^erk\(sparsity\): expected a number in \[0, 1\), received 1\.5$/);
    expect(() => net.sparsify().uniform(-0.1)).toThrow(/^uniform\(sparsity\): expected a number in \[0, 1\), received -0\.1$/);
    expect(() => net.sparsify().erk(0.5).random({ seed: -1 })).toThrow(/^random\(seed\): expected a non-negative integer, received -1$/);
    expect(() => net.sparsify().erk(0.5).snip({ sed: 1 } as never)).toThrow(/^snip\(options\.sed\): expected no such option \(known: seed\), received 1$/);
    expect(() => sparsify({} as never)).toThrow(/^sparsify\(net\): expected a sparselab Net/);
  });

  it(".prune() twice is an error (the types also forbid it)", () => {
    const once = net.sparsify().train(options).prune(gmp({ to: 0.5 }));
    expect(() => (once as unknown as TrainingPlan).prune(gmp({ to: 0.9 }))).toThrow(/^prune\(spec\): this plan already prunes; a plan takes one pruning schedule$/);
    expect(() => net.sparsify().train(options).prune({ to: 0.9 } as never)).toThrow(/^prune\(/);
  });

  it("a plan without .train() cannot run or become a recipe (the types also forbid it)", () => {
    const untrained = net.sparsify().erk(0.5) as unknown as TrainingPlan;
    expect(() => untrained.toJSON()).toThrow(/^toJSON\(\): a plan becomes a recipe once \.train\(\{\.\.\.\}\) is set$/);
    expect(() => untrained.run()).toThrow(/^run\(\): set \.train\(\{ data, epochs, batchSize, optimizer \}\) first$/);
  });
});
