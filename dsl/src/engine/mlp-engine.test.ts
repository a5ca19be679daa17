import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { availableKernels, kernelLabel, randomMask, seededRandom } from "../kernels/testing.js";
import { mlp } from "../nets/index.js";
import type { Net } from "../nets/index.js";
import { lossAndGradients } from "../train/gradients.js";
import { adam, adamw, Optimizer, sgd, type OptimizerSpec } from "../train/optimizers.js";
import { createMlpEngine } from "./mlp-engine.js";
import { applyMasks, maxAbsDiff, prunedNonzeros, tfjsStep, trainAndCopy, type Masks } from "./testing.js";

const SIZES = [13, 17, 11, 5];
const BATCH = 37; // not a multiple of 8 or 32: exercises the kernels' tail blocks
const impls = availableKernels();

beforeAll(async () => {
  await useBackend({ backend: "cpu" });
});
afterAll(() => impls.forEach((k) => k.dispose()));

/** fc1 sparse (density 0.3 → sparse kernels), fc2 masked but dense-routed (0.8), fc3 dense. */
function masks(seed: number): Map<string, Uint8Array | undefined> {
  const random = seededRandom(seed);
  return new Map([
    ["fc1.kernel", randomMask(SIZES[0] * SIZES[1], 0.3, random)],
    ["fc2.kernel", randomMask(SIZES[1] * SIZES[2], 0.8, random)],
    ["fc3.kernel", undefined],
  ]);
}

function batch(seed: number, n = BATCH): { x: Float32Array; y: Int32Array } {
  const random = seededRandom(seed);
  const x = Float32Array.from({ length: n * SIZES[0] }, () => random() * 2 - 1);
  const y = Int32Array.from({ length: n }, () => Math.floor(random() * SIZES[SIZES.length - 1]));
  return { x, y };
}

/** A tfjs net with the masks applied to its weights, as the training loop does at the start. */
const maskedNet = (seed: number, m: Masks): Net => applyMasks(mlp(SIZES, { seed }), m);

describe.each(impls.map((k) => [kernelLabel(k), k] as const))("MLP engine on %s kernels", (_name, kernels) => {
  it("routes layers by density, and its loss and gradients equal tfjs's (1e-4)", () => {
    const m = masks(1);
    const net = maskedNet(3, m);
    const engine = createMlpEngine({ sizes: SIZES, weights: net.snapshot(), masks: m, kernels, optimizer: sgd(0.1), sparseBelow: 0.5 });
    expect(engine.layers().map((l) => l.mode)).toEqual(["sparse", "dense", "dense"]);
    const { x, y } = batch(2);
    const { loss, grads } = engine.gradients(x, y);
    const ref = lossAndGradients(net, tf.tensor2d(x, [BATCH, SIZES[0]]), tf.tensor1d(y, "int32"));
    expect(Math.abs(loss - ref.loss.dataSync()[0])).toBeLessThan(1e-4);
    expect([...grads.keys()].sort()).toEqual([...ref.grads.keys()].sort());
    for (const [name, g] of grads) expect(maxAbsDiff(g, ref.grads.get(name)!.dataSync()), name).toBeLessThan(1e-4);
    const logits = engine.predict(x);
    expect(maxAbsDiff(logits, net.apply(tf.tensor2d(x, [BATCH, SIZES[0]])).dataSync())).toBeLessThan(1e-4);
    // large inputs run in chunks of 1024 rows
    const big = batch(4, 2500);
    const bigLogits = engine.predict(big.x);
    expect(maxAbsDiff(bigLogits, net.apply(tf.tensor2d(big.x, [2500, SIZES[0]])).dataSync())).toBeLessThan(1e-4);
    const { loss: bigLoss, correct } = engine.evaluate(big.x, big.y);
    let right = 0;
    for (let i = 0; i < 2500; i++) {
      const row = Array.from(bigLogits.subarray(i * 5, i * 5 + 5));
      if (row.indexOf(Math.max(...row)) === big.y[i]) right++;
    }
    expect(correct).toBe(right);
    const refBig = lossAndGradients(net, tf.tensor2d(big.x, [2500, SIZES[0]]), tf.tensor1d(big.y, "int32")).loss.dataSync()[0];
    expect(Math.abs(bigLoss - refBig)).toBeLessThan(1e-4);
    engine.dispose();
    net.dispose();
  });

  const optimizers: [string, OptimizerSpec, number][] = [
    ["SGD", sgd(0.1), 0.1],
    ["SGD momentum + nesterov + weight decay", sgd(0.05, { momentum: 0.9, nesterov: true, weightDecay: 1e-3 }), 0.05],
    ["Adam + L2", adam(1e-3, { weightDecay: 1e-3 }), 1e-3],
    ["AdamW", adamw(2e-3), 2e-3],
  ];
  it.each(optimizers)("%s steps with masks give tfjs's weights (1e-5), pruned weights and slots stay 0", (_label, spec, lr) => {
    const m = masks(5);
    const net = maskedNet(7, m);
    const opt = new Optimizer(spec);
    const engine = createMlpEngine({ sizes: SIZES, weights: net.snapshot(), masks: m, kernels, optimizer: spec, sparseBelow: 0.5 });
    expect(engine.layers().map((l) => l.mode)).toEqual(["sparse", "dense", "dense"]); // both masked routes
    for (let s = 0; s < 6; s++) {
      const { x, y } = batch(100 + s);
      const ref = tfjsStep(net, opt, m, x, y, lr);
      const loss = engine.step(x, y, lr);
      expect(Math.abs(loss - ref)).toBeLessThan(1e-5);
    }
    const mine = engine.weights();
    for (const [name, p] of net.params) expect(maxAbsDiff(mine.get(name)!, p.dataSync()), name).toBeLessThan(1e-5);
    for (const [name, p] of net.params) {
      const slots = opt.slots(name);
      engine.slots(name).forEach((s, i) => expect(maxAbsDiff(s, slots[i].dataSync()), `${name} slot ${i}`).toBeLessThan(1e-5));
    }
    expect(prunedNonzeros(engine, m)).toEqual([]);
    engine.dispose();
    opt.dispose();
    net.dispose();
  });

  it("mask changes (incremental sparse update) match the tfjs loop's re-masking", () => {
    const spec = sgd(0.05, { momentum: 0.9 });
    const m = masks(9);
    const net = maskedNet(11, m);
    const opt = new Optimizer(spec);
    const engine = createMlpEngine({ sizes: SIZES, weights: net.snapshot(), masks: m, kernels, optimizer: spec, sparseBelow: 0.5 });
    const random = seededRandom(12);
    for (let s = 0; s < 6; s++) {
      const { x, y } = batch(200 + s);
      tfjsStep(net, opt, m, x, y, 0.05);
      engine.step(x, y, 0.05);
      if (s % 2 === 1) {
        // drop 30% of fc1's kept weights, grow as many elsewhere; fc2 becomes sparse-routed
        const bits = Uint8Array.from(m.get("fc1.kernel")!);
        const on = [...bits.keys()].filter((i) => bits[i]), off = [...bits.keys()].filter((i) => !bits[i]);
        const drop = on.filter(() => random() < 0.3);
        drop.forEach((i) => (bits[i] = 0));
        off.filter(() => random() < drop.length / off.length).forEach((i) => (bits[i] = 1));
        m.set("fc1.kernel", bits);
        if (s === 3) m.set("fc2.kernel", randomMask(SIZES[1] * SIZES[2], 0.25, random));
        for (const name of ["fc1.kernel", "fc2.kernel"]) {
          engine.setMask(name, m.get(name));
          const keep = tf.tensor(m.get(name)!, net.params.get(name)!.shape, "float32");
          net.params.get(name)!.assign(tf.mul(net.params.get(name)!, keep));
          opt.maskSlots(name, keep);
          keep.dispose();
        }
      }
    }
    expect(engine.layers().map((l) => l.mode)).toEqual(["sparse", "sparse", "dense"]);
    const mine = engine.weights();
    for (const [name, p] of net.params) expect(maxAbsDiff(mine.get(name)!, p.dataSync()), name).toBeLessThan(1e-5);
    expect(prunedNonzeros(engine, m)).toEqual([]);
    engine.dispose();
    opt.dispose();
    net.dispose();
  });

  it("sparse and dense routing of the same masks give the same training", () => {
    const m = masks(13);
    const net = maskedNet(14, m);
    const spec = adam(1e-2);
    const run = (sparseBelow: number) => trainAndCopy(createMlpEngine({ sizes: SIZES, weights: net.snapshot(), masks: m, kernels, optimizer: spec, sparseBelow }),
      [0, 1, 2, 3].map((s) => batch(300 + s)));
    const allSparse = run(1), allDense = run(0);
    for (const [name, w] of allSparse) expect(maxAbsDiff(w, allDense.get(name)!), name).toBeLessThan(1e-5);
    net.dispose();
  });
});

describe("MLP engine weight and optimizer resets", () => {
  it("setWeights re-masks and reaches the sparse format; resetOptimizer restarts Adam", () => {
    const kernels = impls[0];
    const m = masks(21);
    const net = maskedNet(22, m);
    const spec = adam(1e-2);
    const engine = createMlpEngine({ sizes: SIZES, weights: net.snapshot(), masks: m, kernels, optimizer: spec, sparseBelow: 0.5 });
    const fresh = createMlpEngine({ sizes: SIZES, weights: net.snapshot(), masks: m, kernels, optimizer: spec, sparseBelow: 0.5 });
    const { x, y } = batch(23);
    engine.step(x, y);
    engine.step(x, y);
    engine.setWeights(net.snapshot()); // back to the start (unmasked values: re-masked on the way in)
    engine.resetOptimizer();
    expect(engine.steps).toBe(0);
    expect(prunedNonzeros(engine, m)).toEqual([]);
    for (let s = 0; s < 3; s++) expect(engine.step(x, y)).toBe(fresh.step(x, y));
    const [a, b] = [engine.weights(), fresh.weights()];
    for (const [name, w] of a) expect(maxAbsDiff(w, b.get(name)!), name).toBe(0);
    engine.dispose();
    fresh.dispose();
    net.dispose();
  });
});

describe("MLP engine memory", () => {
  // WASM counts what it holds in its linear memory (bytesInUse), so the test can weigh an engine.
  const kernels = impls.find((k) => k.name === "wasm");
  const sizes = [784, 300, 100, 10];
  const at10 = (seed: number) => {
    const random = seededRandom(seed);
    return new Map([["fc1.kernel", randomMask(784 * 300, 0.1, random)], ["fc2.kernel", randomMask(300 * 100, 0.1, random)]]);
  };

  it.runIf(kernels)("a sparse-routed layer holds its compact copies only, not dense weights and slots", () => {
    const k = kernels!, weights = mlp(sizes, { seed: 5 }).snapshot(), momentum = sgd(0.1, { momentum: 0.9 });
    const heldBy = (masks?: Map<string, Uint8Array>) => {
      const before = k.bytesInUse(), engine = createMlpEngine({ sizes, weights, masks, kernels: k, optimizer: momentum });
      engine.step(new Float32Array(16 * 784), new Int32Array(16));
      const held = k.bytesInUse() - before;
      engine.dispose();
      return held;
    };
    const dense = heldBy(), sparse = heldBy(at10(6));
    // dense: weights, velocity and gradient of 266k parameters (3.2 MB) plus activations
    expect(dense).toBeGreaterThan(3 * 266_000 * 4);
    // at 10% the two big layers keep about a tenth of that, in a handful of compact arrays
    expect(sparse).toBeLessThan(0.3 * dense);
  });

  it("reads the caller's weights without writing them, on either route", () => {
    const weights = mlp(SIZES, { seed: 9 }).snapshot(), copies = new Map([...weights].map(([n, w]) => [n, Float32Array.from(w)]));
    const engine = createMlpEngine({ sizes: SIZES, weights, masks: masks(10), kernels: impls[0], optimizer: sgd(0.1), sparseBelow: 0.5 });
    expect(engine.layers().map((l) => l.mode)).toEqual(["sparse", "dense", "dense"]);
    for (const [name, w] of weights) expect(maxAbsDiff(w, copies.get(name)!), name).toBe(0);
    expect(prunedNonzeros(engine, masks(10))).toEqual([]);
    engine.dispose();
  });

  it.runIf(kernels)("weights() of a sparse-routed layer is a view that the next step replaces; written and synced, it is the truth", () => {
    const k = kernels!, weights = mlp(sizes, { seed: 7 }).snapshot(), masks = at10(8);
    const engine = createMlpEngine({ sizes, weights, masks, kernels: k, optimizer: sgd(0.1) });
    const x = Float32Array.from({ length: 16 * 784 }, (_, i) => Math.sin(i)), y = Int32Array.from({ length: 16 }, (_, i) => i % 10);
    const held = k.bytesInUse();
    const before = engine.weights().get("fc1.kernel")!;
    expect(k.bytesInUse()).toBe(held); // views live on the JS heap
    engine.step(x, y);
    const after = engine.weights().get("fc1.kernel")!;
    expect(after).not.toBe(before);
    expect(maxAbsDiff(after, before)).toBeGreaterThan(0);
    expect(engine.weights().get("fc1.kernel")).toBe(after); // no step in between: the same view
    // writing through the view: halve the kept weights, sync, and compare with an engine built from them
    const halved = new Map([...engine.weights()].map(([name, w]) => [name, Float32Array.from(w)]));
    for (let i = 0; i < after.length; i++) after[i] *= 0.5;
    halved.get("fc1.kernel")!.forEach((v, i, a) => (a[i] = v * 0.5));
    engine.syncWeights("fc1.kernel");
    const fresh = createMlpEngine({ sizes, weights: halved, masks, kernels: k, optimizer: sgd(0.1) });
    expect(maxAbsDiff(engine.predict(x), fresh.predict(x))).toBe(0);
    engine.dispose();
    fresh.dispose();
  });
});

describe("MLP engine argument checks", () => {
  const kernels = impls[impls.length - 1];
  const weights = () => mlp(SIZES, { seed: 1 }).snapshot();
  it("names what is wrong", () => {
    expect(() => createMlpEngine({ sizes: [3], weights: new Map(), kernels, optimizer: sgd(0.1) })).toThrow(/sizes/);
    expect(() => createMlpEngine({ sizes: SIZES, weights: new Map(), kernels, optimizer: sgd(0.1) })).toThrow(/fc1\.kernel/);
    expect(() => createMlpEngine({ sizes: SIZES, weights: weights(), masks: new Map([["fc9.kernel", undefined]]), kernels, optimizer: sgd(0.1) })).toThrow(/masks/);
    const e = createMlpEngine({ sizes: SIZES, weights: weights(), kernels, optimizer: sgd(0.1) });
    expect(() => e.step(new Float32Array(5), new Int32Array(1))).toThrow(/x/);
    expect(() => e.step(new Float32Array(13), Int32Array.of(7))).toThrow(/y\[0\]/);
    expect(() => e.setMask("fc1.kernel", new Uint8Array(3))).toThrow(/fc1\.kernel/);
    e.dispose();
    expect(() => e.step(new Float32Array(13), Int32Array.of(1))).toThrow(/disposed/);
  });
});
