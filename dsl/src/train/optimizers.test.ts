import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it } from "vitest";
import { adam, adamw, Optimizer, sgd, validateOptimizer, type OptimizerSpec } from "./optimizers.js";

// One 2-element parameter w = [1, −2]; gradients g1 = [0.5, −1] then g2 = [1, 1]; lr = 0.1.
// Every expected value below is worked out by hand in the comment next to it.
const W0 = [1, -2];
const G1 = [0.5, -1];
const G2 = [1, 1];

let optimizer: Optimizer | undefined;
let w: tf.Variable | undefined;
afterEach(() => {
  optimizer?.dispose();
  w?.dispose();
  optimizer = undefined;
  w = undefined;
});

/** Applies `gradients` in turn with `spec` and returns w after each step. */
function steps(spec: OptimizerSpec, gradients: number[][], start = W0, lr = spec.lr): number[][] {
  optimizer = new Optimizer(spec);
  w = tf.variable(tf.tensor1d(start));
  const params = new Map([["w", w]]);
  return gradients.map((g) => {
    const grad = tf.tensor1d(g);
    optimizer!.step(params, new Map([["w", grad]]), lr);
    grad.dispose();
    return Array.from(w!.dataSync());
  });
}

function expectClose(actual: number[], expected: number[], digits = 6): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i], digits));
}

describe("Optimizer: one step against hand-computed values", () => {
  it("SGD: w − lr·g", () => {
    // [1 − 0.05, −2 + 0.1]
    expectClose(steps(sgd(0.1), [G1])[0], [0.95, -1.9]);
    expect(optimizer!.slots("w")).toHaveLength(0);
  });

  it("SGD with L2 weight decay adds wd·w to the gradient", () => {
    // g + 0.1·w = [0.6, −1.2] → w − 0.1·that = [0.94, −1.88]
    expectClose(steps(sgd(0.1, { weightDecay: 0.1 }), [G1])[0], [0.94, -1.88]);
  });

  it("SGD momentum 0.9 (PyTorch form v ← μv + g, w ← w − lr·v)", () => {
    // step 1: v = [0.5, −1], w = [0.95, −1.9]; step 2: v = 0.9·[0.5, −1] + [1, 1] = [1.45, 0.1], w = [0.805, −1.91]
    const [first, second] = steps(sgd(0.1, { momentum: 0.9 }), [G1, G2]);
    expectClose(first, [0.95, -1.9]);
    expectClose(second, [0.805, -1.91]);
    expectClose(Array.from(optimizer!.slots("w")[0].dataSync()), [1.45, 0.1]);
  });

  it("SGD Nesterov momentum: w ← w − lr·(g + μv)", () => {
    // step 1: v = [0.5, −1], update = g + 0.9v = [0.95, −1.9], w = [0.905, −1.81]
    // step 2: v = [1.45, 0.1], update = [1, 1] + 0.9v = [2.305, 1.09], w = [0.6745, −1.919]
    const [first, second] = steps(sgd(0.1, { momentum: 0.9, nesterov: true }), [G1, G2]);
    expectClose(first, [0.905, -1.81]);
    expectClose(second, [0.6745, -1.919]);
  });

  it("SGD Nesterov with weight decay: the decayed gradient feeds the velocity", () => {
    // grad = g + 0.1·w = [0.6, −1.2]; v = grad; update = grad + 0.9·v = [1.14, −2.28]; w = [0.886, −1.772]
    expectClose(steps(sgd(0.1, { momentum: 0.9, nesterov: true, weightDecay: 0.1 }), [G1])[0], [0.886, -1.772]);
  });

  it("Adam: the first step moves every weight by lr against the sign of its gradient", () => {
    // m̂ = g, v̂ = g² → m̂ / (√v̂ + ε) = sign(g) (up to ε = 1e-8)
    // step 2: m = 0.9·0.1·g1 + 0.1·g2 = [0.145, 0.01], v = 0.999·0.001·g1² + 0.001·g2² = [0.00124975, 0.001999]
    //   m̂ = m / 0.19, v̂ = v / 0.001999 → update = [0.763158 / 0.790688, 0.0526316 / 1] = [0.965183, 0.0526316]
    //   w = [0.9 − 0.0965183, −1.9 − 0.00526316] = [0.8034817, −1.9052632]
    const [first, second] = steps(adam(0.1), [G1, G2]);
    expectClose(first, [0.9, -1.9]);
    expectClose(second, [0.8034817, -1.9052632], 5);
    const [m, v] = optimizer!.slots("w");
    expectClose(Array.from(m.dataSync()), [0.145, 0.01]);
    expectClose(Array.from(v.dataSync()), [0.00124975, 0.001999], 8);
  });

  it("Adam with weight decay is L2 in the gradient (so the decay can flip the step's sign)", () => {
    // g = [−0.05, 0.1], g + 0.1·w = [0.05, −0.1]: the step follows sign(g + wd·w) → w = [0.9, −1.9]
    // (without decay it would be [1.1, −2.1]).
    expectClose(steps(adam(0.1, { weightDecay: 0.1 }), [[-0.05, 0.1]])[0], [0.9, -1.9]);
    expectClose(steps(adam(0.1), [[-0.05, 0.1]])[0], [1.1, -2.1]);
  });

  it("AdamW decays decoupled from the adaptive step, scaled by lr (PyTorch)", () => {
    // g = [−0.05, 0.1]: adaptive step sign(g) = [−1, 1]; + 0.1·w = [−0.9, 0.8]; w = [1.09, −2.08]
    expectClose(steps(adamw(0.1, { weightDecay: 0.1 }), [[-0.05, 0.1]])[0], [1.09, -2.08]);
    expect(adamw(0.1).weightDecay).toBe(0.01);
  });

  it("uses the lr passed to step (the schedule's), not the spec's", () => {
    expectClose(steps(sgd(0.1), [G1], W0, 0.5)[0], [0.75, -1.5]);
  });

  it("maskSlots zeroes state where the mask is 0 and keeps it where it is 1", () => {
    steps(sgd(0.1, { momentum: 0.9 }), [G1]);
    const keep = tf.tensor1d([0, 1]);
    optimizer!.maskSlots("w", keep);
    keep.dispose();
    expect(Array.from(optimizer!.slots("w")[0].dataSync())).toEqual([0, -1]);
  });
});

describe("optimizer specs", () => {
  it("are frozen plain data", () => {
    const spec = sgd(0.1, { momentum: 0.9 });
    expect(spec).toEqual({ name: "sgd", lr: 0.1, momentum: 0.9 });
    expect(Object.isFrozen(spec)).toBe(true);
    expect(JSON.parse(JSON.stringify(adam(0.001)))).toEqual({ name: "adam", lr: 0.001 });
  });

  it("reject bad values, naming the call, the argument and the value", () => {
    expect(() => sgd(-1)).toThrow(/^sgd\(lr\): expected a positive number, received -1$/);
    expect(() => sgd(0)).toThrow(/^sgd\(lr\): expected a positive number, received 0$/);
    expect(() => sgd(Number.NaN)).toThrow(/^sgd\(lr\): expected a positive number, received NaN$/);
    expect(() => sgd(0.1, { momentum: 1 })).toThrow(/^sgd\(momentum\): expected a number in \[0, 1\), received 1$/);
    expect(() => sgd(0.1, { nesterov: true })).toThrow(/^sgd\(nesterov\): expected momentum > 0 to go with it, received true$/);
    expect(() => sgd(0.1, { momentum: 0.9, nesterov: "yes" as unknown as boolean })).toThrow(/^sgd\(nesterov\): expected a boolean, received "yes"$/);
    expect(() => sgd(0.1, { weightDecay: 2 })).toThrow(/^sgd\(weightDecay\): expected a number in \[0, 1\], received 2$/);
    expect(() => adam(0.1, { beta2: 1.5 })).toThrow(/^adam\(beta2\): expected a number in \[0, 1\), received 1\.5$/);
    expect(() => adam(0.1, { epsilon: 0 })).toThrow(/^adam\(epsilon\): expected a positive number, received 0$/);
  });

  it("reject unknown options (a typo must not be ignored)", () => {
    expect(() => adamw(0.1, { momentum: 0.9 } as never)).toThrow(/^adamw\(optimizer\.momentum\): expected no such option \(known: name, lr, beta1, beta2, epsilon, weightDecay\), received 0\.9$/);
    expect(() => sgd(0.1, { beta1: 0.9 } as never)).toThrow(/^sgd\(optimizer\.beta1\): expected no such option/);
  });

  it("reject unknown optimizer names and non-objects", () => {
    expect(() => validateOptimizer({ name: "rmsprop", lr: 0.1 })).toThrow(/^optimizer\(optimizer\.name\): expected "sgd" \| "adam" \| "adamw", received "rmsprop"$/);
    expect(() => validateOptimizer("sgd")).toThrow(/^optimizer\(optimizer\): expected an object, received "sgd"$/);
    expect(() => new Optimizer({ name: "sgd", lr: -1 } as OptimizerSpec)).toThrow(/^optimizer\(lr\): expected a positive number, received -1$/);
  });
});
