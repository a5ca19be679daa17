import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { erk } from "../distributions/index.js";
import { availableKernels, kernelLabel, randomMask, seededRandom } from "../kernels/testing.js";
import type { Kernels } from "../kernels/types.js";
import { Mask, MaskSet } from "../masks/index.js";
import { buildNet, conv2, type ConvSpec, type Net } from "../nets/index.js";
import { lossAndGradients } from "../train/gradients.js";
import { adam, sgd, type OptimizerSpec } from "../train/optimizers.js";
import { TfjsStepper } from "../train/tfjs-stepper.js";
import { createConvEngine, type ConvEngineOptions } from "./conv-engine.js";
import { applyMasks, prunedNonzeros, relDiff, trainAndCopy, type Masks } from "./testing.js";

/**
 * 7×6×2 inputs (an odd height: the pool floors); conv1 feeds conv2 directly, a pool sits between
 * conv2 and conv3, and conv3 feeds the flatten without one.
 */
const SPEC: ConvSpec = { kind: "conv", input: [7, 6, 2], convs: [4, 3, "pool", 5], dense: [6, 3], seed: 0 };
const BATCH = 11;
const impls = availableKernels();

beforeAll(async () => {
  // tfjs-cpu takes seconds per conv2 gradient; wasm (with sparselab's filter gradient) milliseconds
  await useBackend({ backend: "wasm" });
});
afterAll(() => impls.forEach((k) => k.dispose()));

function batch(net: Net, seed: number, n = BATCH): { x: Float32Array; y: Int32Array } {
  const random = seededRandom(seed), classes = net.spec.kind === "conv" ? net.spec.dense[net.spec.dense.length - 1] : 0;
  const x = Float32Array.from({ length: n * net.features }, () => random() * 2 - 1);
  const y = Int32Array.from({ length: n }, () => Math.floor(random() * classes));
  return { x, y };
}

/** Random masks at the given density per kernel (1: dense). */
function masks(net: Net, densities: Record<string, number>, seed: number): Map<string, Uint8Array | undefined> {
  const random = seededRandom(seed);
  return new Map(net.prunable.map((t) => {
    const d = densities[t.name] ?? 1, total = t.shape.reduce((a, b) => a * b, 1);
    return [t.name, d < 1 ? randomMask(total, d, random) : undefined];
  }));
}

/** ERK masks at 90% sparsity (random positions), as a training run starts. */
function erk90(net: Net, seed: number): Map<string, Uint8Array | undefined> {
  return masks(net, Object.fromEntries(erk(0.9).allocate(net.prunable).layers.map((l) => [l.name, l.density])), seed);
}

const small = (seed: number) => buildNet({ ...SPEC, seed });
/** conv2 and fc1 below the 0.5 threshold (sparse kernels), conv1 and conv3 masked but dense-routed, fc2 dense. */
const SMALL_DENSITIES = { "conv1.kernel": 0.8, "conv2.kernel": 0.3, "conv3.kernel": 0.6, "fc1.kernel": 0.2 };

function engineFor(net: Net, m: Masks, kernels: Kernels, optimizer: OptimizerSpec, more: Partial<ConvEngineOptions> = {}) {
  if (net.spec.kind !== "conv") throw new Error("a conv net");
  return createConvEngine({ spec: net.spec, weights: net.snapshot(), masks: m, kernels, optimizer, sparseBelow: 0.5, ...more });
}

/** Every dense gradient and the loss against tfjs's, relative to each tensor's scale. */
function expectGradientsMatch(net: Net, m: Masks, kernels: Kernels, x: Float32Array, y: Int32Array, more: Partial<ConvEngineOptions> = {}) {
  const engine = engineFor(net, m, kernels, sgd(0.1), more);
  const { loss, grads } = engine.gradients(x, y);
  const ref = lossAndGradients(net, tf.tensor2d(x, [y.length, net.features]), tf.tensor1d(y, "int32"));
  expect(Math.abs(loss - ref.loss.dataSync()[0])).toBeLessThan(1e-4);
  expect([...grads.keys()].sort()).toEqual([...ref.grads.keys()].sort());
  for (const [name, g] of grads) expect(relDiff(g, ref.grads.get(name)!.dataSync()), name).toBeLessThan(1e-4);
  tf.dispose([ref.loss, ...ref.grads.values()]);
  return engine;
}

describe.each(impls.map((k) => [kernelLabel(k), k] as const))("ConvNet engine on %s kernels", (_name, kernels) => {
  it("routes layers by density; loss, logits and every dense gradient equal tfjs's (1e-4 relative)", () => {
    const net = small(3);
    const m = masks(net, SMALL_DENSITIES, 1);
    applyMasks(net, m);
    const { x, y } = batch(net, 2);
    const engine = expectGradientsMatch(net, m, kernels, x, y);
    expect(engine.layers().map((l) => l.mode)).toEqual(["dense", "sparse", "dense", "sparse", "dense"]);
    expect(engine.layers()[1].shape).toEqual([3, 3, 4, 3]);
    expect(relDiff(engine.predict(x), net.apply(tf.tensor2d(x, [BATCH, net.features])).dataSync())).toBeLessThan(1e-4);
    // more examples than one evaluation pass holds
    const big = batch(net, 4, 2500);
    const logits = net.apply(tf.tensor2d(big.x, [2500, net.features])).dataSync();
    expect(relDiff(engine.predict(big.x), logits)).toBeLessThan(1e-4);
    let right = 0;
    for (let i = 0; i < 2500; i++) {
      const row = Array.from(logits.subarray(i * 3, i * 3 + 3));
      if (row.indexOf(Math.max(...row)) === big.y[i]) right++;
    }
    const { loss, correct } = engine.evaluate(big.x, big.y);
    expect(Math.abs(correct - right)).toBeLessThanOrEqual(1); // a near-tie may round either way
    const refLoss = lossAndGradients(net, tf.tensor2d(big.x, [2500, net.features]), tf.tensor1d(big.y, "int32")).loss.dataSync()[0];
    expect(Math.abs(loss - refLoss)).toBeLessThan(1e-4);
    engine.dispose();
    net.dispose();
  });

  it("conv layers in blocks of images (a small im2col buffer) accumulate the same gradients", () => {
    const net = small(5);
    const m = masks(net, SMALL_DENSITIES, 6);
    applyMasks(net, m);
    const { x, y } = batch(net, 7);
    // 100 floats hold no 7×6 image's patches: blocks of one image each
    expectGradientsMatch(net, m, kernels, x, y, { im2colFloats: 100 }).dispose();
    const blocked = engineFor(net, m, kernels, adam(1e-2), { im2colFloats: 2 * 7 * 6 * 9 * 4 });
    const whole = engineFor(net, m, kernels, adam(1e-2));
    for (let s = 0; s < 3; s++) expect(blocked.step(x, y)).toBeCloseTo(whole.step(x, y), 5);
    const [a, b] = [blocked.weights(), whole.weights()];
    for (const [name, w] of a) expect(relDiff(w, b.get(name)!), name).toBeLessThan(1e-5);
    blocked.dispose();
    whole.dispose();
    net.dispose();
  });

  it("conv2 at width 0.25 with 90% ERK masks: gradients equal tfjs's (1e-4 relative)", () => {
    const net = conv2({ width: 0.25, seed: 8 });
    const m = erk90(net, 9);
    applyMasks(net, m);
    const { x, y } = batch(net, 10, 6);
    expectGradientsMatch(net, m, kernels, x, y).dispose();
    net.dispose();
  });

  const optimizers: [string, OptimizerSpec][] = [
    ["SGD + momentum", sgd(0.05, { momentum: 0.9 })],
    ["Adam", adam(2e-3)],
  ];
  it.each(optimizers)("%s steps on conv2 (width 0.25, ERK at sparsity 0.9) follow the TfjsStepper (1e-4); pruned weights and slots stay 0", (_label, optimizer) => {
    const net = conv2({ width: 0.25, seed: 11 });
    const m = erk90(net, 12);
    const maskSet = MaskSet.from(net.prunable.map((t) => [t.name, m.get(t.name) ? Mask.fromBits(t.shape, m.get(t.name)!) : Mask.dense(t.shape)] as const));
    const stepper = new TfjsStepper(net, maskSet, { optimizer, totalSteps: 4 });
    const engine = createConvEngine({ spec: net.spec as ConvSpec, weights: net.snapshot(), masks: m, kernels, optimizer, sparseBelow: 0.5 });
    expect(engine.layers().map((l) => l.mode)).toEqual(["dense", "sparse", "sparse", "sparse", "dense"]); // conv1 at 0.96, fc3 at 0.69
    for (let s = 0; s < 4; s++) {
      const { x, y } = batch(net, 20 + s, 8);
      const ref = stepper.step(x, y, optimizer.lr, s, { denseGradients: false, skipUpdate: false }).loss;
      expect(Math.abs(engine.step(x, y) - ref)).toBeLessThan(1e-4);
    }
    const mine = engine.weights();
    for (const [name, p] of net.params) expect(relDiff(mine.get(name)!, p.dataSync()), name).toBeLessThan(1e-4);
    expect(prunedNonzeros(engine, m)).toEqual([]);
    stepper.dispose();
    engine.dispose();
    net.dispose();
  });

  it("sparse- and dense-routed conv layers train the same", () => {
    const net = small(13);
    const m = masks(net, { "conv1.kernel": 0.5, "conv2.kernel": 0.1, "conv3.kernel": 0.3 }, 14);
    const run = (sparseBelow: number) => {
      const e = engineFor(net, m, kernels, adam(1e-2), { sparseBelow });
      expect(e.layers().slice(0, 3).map((l) => l.mode)).toEqual(Array(3).fill(sparseBelow > 0.5 ? "sparse" : "dense"));
      return trainAndCopy(e, [0, 1, 2, 3].map((s) => batch(net, 300 + s)));
    };
    const allSparse = run(1), allDense = run(0);
    for (const [name, w] of allSparse) expect(relDiff(w, allDense.get(name)!), name).toBeLessThan(1e-5);
    net.dispose();
  });
});

describe("ConvNet engine implementations", () => {
  it(`agree with each other (${impls.map(kernelLabel).join(", ")}) over SGD steps with a mask change`, () => {
    const net = small(15);
    const m = masks(net, SMALL_DENSITIES, 16);
    const regrown = masks(net, { ...SMALL_DENSITIES, "conv2.kernel": 0.4 }, 17).get("conv2.kernel");
    const results = impls.map((kernels) => {
      const e = engineFor(net, m, kernels, sgd(0.05, { momentum: 0.9, nesterov: true, weightDecay: 1e-3 }));
      return trainAndCopy(e, [0, 1, 2, 3].map((s) => batch(net, 400 + s)), (s) => {
        if (s === 2) e.setMask("conv2.kernel", regrown);
        if (s === 3) expect(prunedNonzeros(e, new Map([...m, ["conv2.kernel", regrown]]))).toEqual([]);
      });
    });
    for (const w of results.slice(1)) for (const [name, v] of w) expect(relDiff(v, results[0].get(name)!), name).toBeLessThan(1e-5);
    net.dispose();
  });
});

describe("ConvNet engine argument checks", () => {
  const kernels = impls[impls.length - 1];
  const weights = () => small(1).snapshot();
  const create = (more: Partial<ConvEngineOptions>) => createConvEngine({ spec: SPEC, weights: weights(), kernels, optimizer: sgd(0.1), ...more });
  it("names what is wrong", () => {
    expect(() => create({ spec: { kind: "mlp", sizes: [3, 2], seed: 0 } as unknown as ConvSpec })).toThrow(/^createConvEngine\(spec\): expected a conv spec/);
    expect(() => create({ spec: { ...SPEC, input: [7, 6] as unknown as [number, number, number] } })).toThrow(/\(spec\.input\)/);
    expect(() => create({ spec: { ...SPEC, convs: ["pool", 4] } })).toThrow(/\(spec\.convs\)/);
    expect(() => create({ spec: { ...SPEC, convs: [4, "pool", "pool"] } })).toThrow(/\(spec\.convs\): expected a conv width before each pool/);
    expect(() => create({ spec: { ...SPEC, input: [3, 3, 2], convs: [4, "pool", 3, "pool"] } })).toThrow(/\(spec\.convs\): expected pools only on maps of at least 2×2 \(this one is 1×1\)/);
    expect(() => create({ spec: { ...SPEC, dense: [] } })).toThrow(/\(spec\.dense\)/);
    expect(() => create({ weights: new Map() })).toThrow(/weights\.get\("conv1\.kernel"\)/);
    expect(() => create({ masks: new Map([["conv9.kernel", undefined]]) })).toThrow(/\(masks\): expected masks of conv1\.kernel/);
    expect(() => create({ masks: new Map([["conv2.kernel", new Uint8Array(3)]]) })).toThrow(/conv2\.kernel/);
    expect(() => create({ im2colFloats: 0 })).toThrow(/\(im2colFloats\)/);
    const e = create({});
    expect(() => e.step(new Float32Array(5), new Int32Array(1))).toThrow(/^ConvEngine\.step\(x\): expected a Float32Array of 1×84 values/);
    expect(() => e.step(new Float32Array(84), Int32Array.of(3))).toThrow(/\(y\[0\]\)/);
    expect(() => e.setMask("fc9.kernel", undefined)).toThrow(/\(name\)/);
    expect(() => e.setWeights(new Map([["conv1.kernel", new Float32Array(2)]]))).toThrow(/\(conv1\.kernel\)/);
    e.dispose();
    expect(() => e.predict(new Float32Array(84))).toThrow(/disposed/);
  });
});
