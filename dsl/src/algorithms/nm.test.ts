import { synthetic } from "@sparselab/datasets";
import { beforeAll, describe, expect, it } from "vitest";
import { useBackend } from "../backend/index.js";
import { sparsify } from "../builder/impl.js";
import { magnitudeScores } from "../criteria/index.js";
import type { MaskSet } from "../masks/index.js";
import { conv2, mlp, type Net } from "../nets/index.js";
import type { RunEvent } from "../train/events.js";
import { trainMasked } from "../train/loop.js";
import { sgd } from "../train/optimizers.js";
import { validateTrainSpec } from "../train/spec.js";
import type { MaskChange, SparsityAlgorithm } from "./base.js";
import { nm, nmAlgorithm, nmMasks, validateNm } from "./nm.js";

beforeAll(async () => {
  await useBackend();
});

/**
 * Nonzeros in every group of M consecutive inputs of every output of a dense kernel [in, out]
 * (row-major: element (i, j) is at i·out + j), counted the obvious way.
 */
function groupCounts(values: ArrayLike<number>, shape: readonly number[], m: number): number[] {
  const [inputs, outputs] = shape;
  const counts: number[] = [];
  for (let j = 0; j < outputs; j++) {
    for (let g = 0; g < inputs / m; g++) {
      let n = 0;
      for (let k = 0; k < m; k++) n += values[(g * m + k) * outputs + j] !== 0 ? 1 : 0;
      counts.push(n);
    }
  }
  return counts;
}

function everyGroupHas(masks: MaskSet, n: number, m: number): boolean {
  return masks.entries.every(([, mask]) => groupCounts(mask.bits, mask.shape, m).every((c) => c === n));
}

describe("nm(): spec", () => {
  it("fills SR-STE defaults and round-trips through JSON", () => {
    const spec = nm(2, 4);
    expect(spec).toEqual({ n: 2, m: 4, every: 10, variant: "srste", refine: 2e-4, decayEnd: 0.75, decayShape: "exponential" });
    expect(Object.isFrozen(spec)).toBe(true);
    expect(validateNm(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
    expect(nm(1, 4, { variant: "decay", decayShape: "linear" })).toMatchObject({ n: 1, m: 4, variant: "decay", decayShape: "linear" });
  });

  it("rejects bad values naming the argument and the value", () => {
    expect(() => nm(5, 4)).toThrow(/^nm\(n\): expected at most m \(4\), received 5$/);
    expect(() => nm(0, 4)).toThrow(/^nm\(n\): expected a positive integer, received 0$/);
    expect(() => nm(2, 4.5)).toThrow(/^nm\(m\): expected a positive integer, received 4\.5$/);
    expect(() => nm(2, 4, { variant: "ste" as "srste" })).toThrow(/^nm\(variant\): expected one of "srste" \| "decay", received "ste"$/);
    expect(() => nm(2, 4, { decayEnd: 0 })).toThrow(/^nm\(decayEnd\): expected a number in \(0, 1\], received 0$/);
    expect(() => nm(2, 4, { refine: -1 })).toThrow(/^nm\(refine\): expected a number in \[0, 1\], received -1$/);
    expect(() => nm(2, 4, { every: 0 })).toThrow(/^nm\(every\): expected a positive integer, received 0$/);
    expect(() => validateNm({ ...nm(2, 4), n: 6 }, "plan")).toThrow(/^plan\(n\): expected at most m \(4\), received 6$/);
  });

  it("M must divide every kernel's input axis: the error names the tensor and its dimension", () => {
    const net = mlp([10, 8, 4], { seed: 1 });
    expect(() => nmMasks(net.prunable, magnitudeScores(net), { n: 2, m: 4 })).toThrow(/^nm\(m\): expected a divisor of fc1\.kernel's input dimension 10 \(or keep it dense: options\.dense = \["fc1\.kernel"\]\), received 4$/);
    const ok = mlp([12, 8, 4], { seed: 1 });
    expect(() => nmMasks(ok.prunable, magnitudeScores(ok), { n: 2, m: 3 })).toThrow(/^nm\(m\): expected a divisor of fc2\.kernel's input dimension 8 .*, received 3$/);
    net.dispose();
    ok.dispose();
  });

  it("options.dense keeps the named kernels dense (a conv with 1 input channel) and N:M elsewhere; unknown names are errors", () => {
    const net = conv2({ width: 0.25, seed: 1 });
    expect(() => nmMasks(net.prunable, magnitudeScores(net), { n: 2, m: 4 })).toThrow(/conv1\.kernel's input dimension 1 \(or keep it dense/);
    const masks = nmMasks(net.prunable, magnitudeScores(net), nm(2, 4, { dense: ["conv1.kernel"] }));
    expect(masks.get("conv1.kernel").density).toBe(1);
    for (const name of ["conv2.kernel", "fc1.kernel", "fc2.kernel", "fc3.kernel"]) expect(masks.get(name).density, name).toBe(0.5);
    expect(() => nmMasks(net.prunable, magnitudeScores(net), { n: 2, m: 4, dense: ["conv9.kernel"] })).toThrow(/^nm\(options\.dense\): expected names among conv1\.kernel, .*received "conv9\.kernel"$/);
    expect(() => nm(2, 4, { dense: "conv1.kernel" as never })).toThrow(/^nm\(dense\): expected distinct kernel names/);
    expect(validateNm(JSON.parse(JSON.stringify(nm(2, 4, { dense: ["conv1.kernel"] }))))).toEqual(nm(2, 4, { dense: ["conv1.kernel"] }));
    net.dispose();
  });
});

describe("nmMasks", () => {
  it("keeps the N largest |w| of every group of M inputs (hand-made 8×2 kernel, 2:4)", () => {
    const net = mlp([8, 2], { seed: 0 });
    // Column 0 top-2 of rows 0–3: 0.9 (row 2), −0.8 (row 0); rows 4–7: 0.7 (row 7), 0.6 (row 5).
    // Column 1 top-2 of rows 0–3: −0.5 (row 1), 0.4 (row 3); rows 4–7: 0.3 (row 4), −0.35 (row 6).
    const w = [-0.8, 0.1, 0.2, -0.5, 0.9, 0.05, 0.1, 0.4, 0.01, 0.3, 0.6, 0.02, 0.0, -0.35, 0.7, 0.1];
    net.load(new Map([["fc1.kernel", Float32Array.from(w)], ["fc1.bias", new Float32Array(2)]]));
    const masks = nmMasks(net.prunable, magnitudeScores(net), { n: 2, m: 4 });
    net.dispose();
    expect(Array.from(masks.get("fc1.kernel").bits)).toEqual([1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0]);
  });
});

describe("nmAlgorithm: soft masking schedules", () => {
  it("SR-STE: the forward sees w ⊙ m (scale 0), the gradient goes straight through (1), plus λ·(1 − m)·w", () => {
    const { soft } = nmAlgorithm(nm(2, 4, { refine: 3e-4 }));
    expect(soft).toBeDefined();
    for (const step of [0, 50, 100]) {
      expect(soft!.scale(step, 100)).toBe(0);
      expect(soft!.gradScale(step, 100)).toBe(1);
    }
    expect(soft!.refine).toBe(3e-4);
  });

  it("mask decay: β = 1 − p (linear) or (1 − p)·e^(−5p) (exponential), p = step / (decayEnd · total), 0 from decayEnd on", () => {
    const linear = nmAlgorithm(nm(2, 4, { variant: "decay", decayEnd: 0.5, decayShape: "linear" })).soft!;
    const exponential = nmAlgorithm(nm(2, 4, { variant: "decay", decayEnd: 0.5, decayShape: "exponential" })).soft!;
    expect(linear.refine).toBe(0);
    // Over 100 steps, β reaches 0 at step 50.
    [1, 0.8, 0.5, 0.02, 0, 0].forEach((beta, i) => expect(linear.scale([0, 10, 25, 49, 50, 80][i], 100)).toBeCloseTo(beta, 12));
    expect(linear.scale(50, 100)).toBe(0);
    expect(exponential.scale(0, 100)).toBe(1);
    expect(exponential.scale(25, 100)).toBeCloseTo(0.5 * Math.exp(-2.5), 12); // 0.0410425
    expect(exponential.scale(10, 100)).toBeCloseTo(0.8 * Math.exp(-1), 12);
    expect(exponential.scale(50, 100)).toBe(0);
    // The gradient to pruned weights decays with the same factor.
    for (const s of [0, 10, 25, 60]) {
      expect(linear.gradScale(s, 100)).toBe(linear.scale(s, 100));
      expect(exponential.gradScale(s, 100)).toBe(exponential.scale(s, 100));
    }
  });

  it("recomputes masks every `every` steps", () => {
    const algorithm = nmAlgorithm(nm(2, 4, { every: 5 }));
    expect(Array.from({ length: 21 }, (_, i) => i).filter((s) => s > 0 && algorithm.updatesAt(s, 20))).toEqual([5, 10, 15, 20]);
    expect(algorithm.needsDenseGradients).toBe(false);
  });
});

describe("N:M in the training loop", () => {
  // 16 → 8 → 4: both kernels' input axes (16, 8) divide by 4.
  const data = synthetic({ train: 440, validation: 40, test: 100, features: 16, numClasses: 4, seed: 3 });

  for (const variant of ["srste", "decay"] as const) {
    for (const [n, m] of [[2, 4], [1, 4]] as const) {
      it(`${variant} ${n}:${m}: every mask has exactly ${n} of every ${m}; weights train dense and end hard ${n}:${m}`, async () => {
        const net: Net = mlp([16, 8, 4], { seed: 7 });
        const spec = nm(n, m, { variant, every: 3, decayEnd: 0.5 });
        const inner = nmAlgorithm(spec);
        const changes: MaskChange[] = [];
        const algorithm: SparsityAlgorithm = { ...inner, update: (c) => { const change = inner.update(c); changes.push(change); return change; } };
        const masks = nmMasks(net.prunable, magnitudeScores(net), spec);
        expect(everyGroupHas(masks, n, m)).toBe(true);
        let softSeen = false;
        const events: Extract<RunEvent, { type: "mask" }>[] = [];
        const outcome = await trainMasked({
          net, masks, data, algorithm,
          train: validateTrainSpec({ epochs: 2, batchSize: 20, optimizer: sgd(0.1, { momentum: 0.9 }), seed: 2 }),
          onEvent: (e) => {
            if (e.type === "mask") events.push(e);
            // Before the first update the pruned weights still train (soft masking): some are nonzero.
            if (e.type === "step" && e.step === 2) {
              const w = net.params.get("fc1.kernel")!.dataSync();
              softSeen = Array.from(masks.get("fc1.kernel").bits).some((b, i) => b === 0 && w[i] !== 0);
            }
          },
        });
        expect(softSeen).toBe(true);
        // 40 steps, a new mask every 3.
        expect(events.map((e) => e.step)).toEqual(Array.from({ length: 13 }, (_, i) => 3 * (i + 1)));
        for (const change of changes) expect(everyGroupHas(change.masks, n, m)).toBe(true);
        for (const e of events) for (const l of e.report.layers) expect(l.kept).toBe((l.total * n) / m);
        expect(everyGroupHas(outcome.masks, n, m)).toBe(true);
        // The masks moved during training (recomputed by magnitude of the dense weights).
        expect([...outcome.grown.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        expect(outcome.dropped).toEqual(outcome.grown);
        // Final weights: hard N:M, nonzero exactly where the mask keeps.
        for (const [name, mask] of outcome.masks.entries) {
          const w = net.params.get(name)!.dataSync();
          expect(groupCounts(w, mask.shape, m).every((c) => c === n)).toBe(true);
          expect(Array.from(mask.bits).every((b, i) => (b === 1) === (w[i] !== 0))).toBe(true);
        }
        // 2:4 learns this 4-class task (chance 0.25); 1:4 leaves fc2 two inputs per output and may not.
        if (n === 2) expect(outcome.test.accuracy).toBeGreaterThan(0.4);
        net.dispose();
      });
    }
  }

  it("through the DSL: .nm(2, 4) runs to hard 2:4 masks at density 0.5; M not dividing an input axis is an error naming it", async () => {
    const t = { data, epochs: 1, batchSize: 40, optimizer: sgd(0.1, { momentum: 0.9 }) };
    const result = await sparsify(mlp([16, 8, 4], { seed: 1 })).nm(2, 4, { variant: "decay" }).train(t).run();
    expect(result.report.overall.density).toBe(0.5);
    expect(everyGroupHas(result.masks, 2, 4)).toBe(true);
    expect(result.recipe.nm).toEqual(nm(2, 4, { variant: "decay" }));
    result.net.dispose();
    expect(() => sparsify(mlp([16, 8, 4])).nm(5, 4)).toThrow(/^nm\(n\): expected at most m \(4\), received 5$/);
    await expect(sparsify(mlp([16, 6, 4], { seed: 1 })).nm(2, 4).train(t).run()).rejects.toThrow(/^nm\(m\): expected a divisor of fc2\.kernel's input dimension 6 .*, received 4$/);
  });
});
