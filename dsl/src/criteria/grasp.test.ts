import * as tf from "@tensorflow/tfjs";
import { Rng, synthetic } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { mlp } from "../nets/index.js";
import { grasp, hessianGradient } from "./grasp.js";

beforeAll(async () => {
  await useBackend();
});

// Softmax regression (an MLP with no hidden layer): L = 1/N Σ CE(softmax(xW + b), y) has a known
// Hessian. For a direction (V, v): (H·(V, v))_W = 1/N Σ_n x_n ⊗ J_n u_n with u_n = Vᵀx_n + v and
// J_n = diag(p_n) − p_n p_nᵀ. Everything below is plain float64 arithmetic, independent of tfjs.
const F = 12;
const C = 5;
const data = synthetic({ train: 150, validation: 0, test: 10, features: F, numClasses: C, seed: 8, noise: 0.4 });

function analytic(W: Float32Array, b: Float32Array) {
  const N = data.train.size;
  const xs = (n: number) => data.train.x.subarray(n * F, (n + 1) * F);
  const probs = (n: number) => {
    const x = xs(n);
    const z = Array.from({ length: C }, (_, k) => b[k] + x.reduce((s, xi, i) => s + xi * W[i * C + k], 0));
    const m = Math.max(...z);
    const e = z.map((zk) => Math.exp(zk - m));
    const sum = e.reduce((a, c) => a + c, 0);
    return e.map((ek) => ek / sum);
  };
  const p = Array.from({ length: N }, (_, n) => probs(n));
  // Gradient.
  const gW = new Float64Array(F * C);
  for (let n = 0; n < N; n++) {
    const x = xs(n);
    for (let k = 0; k < C; k++) {
      const r = (p[n][k] - (data.train.y[n] === k ? 1 : 0)) / N;
      for (let i = 0; i < F; i++) gW[i * C + k] += x[i] * r;
    }
  }
  // Hessian times the gradient along the kernel only: GraSP moves prunable weights, not biases.
  const hgW = new Float64Array(F * C);
  for (let n = 0; n < N; n++) {
    const x = xs(n);
    const u = Array.from({ length: C }, (_, k) => x.reduce((s, xi, i) => s + xi * gW[i * C + k], 0));
    const pu = p[n].reduce((s, pk, k) => s + pk * u[k], 0);
    const ju = p[n].map((pk, k) => pk * u[k] - pk * pu);
    for (let i = 0; i < F; i++) for (let k = 0; k < C; k++) hgW[i * C + k] += (x[i] * ju[k]) / N;
  }
  return { gW, hgW };
}

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, a) => s + a * a, 0));
const relativeError = (a: ArrayLike<number>, b: ArrayLike<number>) => norm(Array.from(a, (ai, i) => ai - b[i])) / norm(b);

describe("GraSP", () => {
  it("the finite-difference Hg matches the analytic Hessian-gradient product of softmax regression", () => {
    const net = mlp([F, C], { seed: 3 });
    // A nonzero bias, which must shape the Hessian but not be perturbed.
    net.load(new Map([["fc1.kernel", net.snapshot().get("fc1.kernel")!], ["fc1.bias", Float32Array.from({ length: C }, (_, k) => 0.1 * k - 0.2)]]));
    const before = net.snapshot();
    const x = tf.tensor2d(data.train.x, [data.train.size, F]);
    const y = tf.tensor1d(data.train.y, "int32");
    const { g, hg } = hessianGradient(net, x, y);
    tf.dispose([x, y]);
    const { gW, hgW } = analytic(before.get("fc1.kernel")!, before.get("fc1.bias")!);
    expect(relativeError(g.get("fc1.kernel")!, gW)).toBeLessThan(1e-4);
    expect(relativeError(hg.get("fc1.kernel")!, hgW)).toBeLessThan(1e-2);
    expect(hg.has("fc1.bias")).toBe(false);
    // The weights are restored after the two perturbed gradient evaluations.
    for (const [name, w] of net.snapshot()) expect(w).toEqual(before.get(name));
    net.dispose();
  });

  it("keeps the largest w ⊙ Hg (signed, not |·|), with exact counts", () => {
    const net = mlp([F, C], { seed: 4 });
    const w = net.snapshot().get("fc1.kernel")!;
    const { hgW } = analytic(w, net.snapshot().get("fc1.bias")!);
    const scores = Array.from(w, (wi, i) => wi * hgW[i]);
    const k = 24;
    const masks = grasp.prune({ net, data, rng: new Rng(2), budget: { kind: "layerwise", kept: new Map([["fc1.kernel", k]]) } });
    net.dispose();
    const bits = masks.get("fc1.kernel").bits;
    expect(masks.get("fc1.kernel").kept).toBe(k);
    const sorted = [...scores].sort((a, b) => b - a);
    const cutoff = sorted[k - 1];
    const tolerance = 0.02 * Math.max(...scores.map(Math.abs));
    // Up to the finite-difference error near the cut-off, the kept set is the analytic top-k.
    scores.forEach((s, i) => {
      if (bits[i]) expect(s).toBeGreaterThan(cutoff - tolerance);
      else expect(s).toBeLessThan(sorted[k] + tolerance);
    });
    // And far from the |·| ranking's choice where signs differ: the most negative score is never kept.
    expect(bits[scores.indexOf(sorted[sorted.length - 1])]).toBe(0);
  });
});
