import { afterAll, describe, expect, it } from "vitest";
import { createAddonKernels } from "./addon.js";
import { createJsKernels } from "./js.js";
import { SparseMatrix } from "./sparse-matrix.js";
import { availableKernels, fillRandom, kernelLabel, randomMask, seededRandom } from "./testing.js";
import type { Kernels } from "./types.js";

const impls = availableKernels();
afterAll(() => impls.forEach((k) => k.dispose()));

/** [n, h, w, c]: odd sizes, one channel, runs long enough for TypedArray#set, and batches split over threads. */
const SHAPES: readonly [number, number, number, number][] = [
  [1, 1, 1, 1], [2, 5, 7, 3], [3, 4, 4, 16], [2, 6, 5, 1], [1, 2, 9, 40], [4, 28, 28, 16], [64, 14, 14, 2],
];

/** The value im2col must put at cols[(pixel, kh, kw, ch)], straight from its definition. */
function patchValue(x: Float32Array, h: number, w: number, c: number, pixel: number, kh: number, kw: number, ch: number): number {
  const b = Math.floor(pixel / (h * w)), y = Math.floor(pixel / w) % h, px = pixel % w;
  const sy = y + kh - 1, sx = px + kw - 1;
  return sy < 0 || sy >= h || sx < 0 || sx >= w ? 0 : x[((b * h + sy) * w + sx) * c + ch];
}

/** Values on a coarse grid, so that pooling windows have ties (as after a ReLU). */
function quantized(length: number, random: () => number, alloc: (n: number) => Float32Array): Float32Array {
  const x = alloc(length);
  for (let i = 0; i < length; i++) x[i] = Math.max(0, Math.round(random() * 6 - 3));
  return x;
}

describe.each(impls.map((k) => [kernelLabel(k), k] as const))("%s: the data movement of a ConvNet", (_label, k) => {
  it.each(SHAPES)("im2col of [%i, %i, %i, %i] is every 3×3 neighbourhood, zero-padded", (n, h, w, c) => {
    const x = fillRandom(k.allocFloat32(n * h * w * c), seededRandom(n + h + w + c));
    const cols = k.allocFloat32(n * h * w * 9 * c).fill(NaN);
    k.im2col(n, h, w, c, x, cols);
    let mismatches = 0;
    for (let pixel = 0; pixel < n * h * w; pixel++) {
      for (let kh = 0; kh < 3; kh++) {
        for (let kw = 0; kw < 3; kw++) {
          for (let ch = 0; ch < c; ch++) {
            if (cols[pixel * 9 * c + (kh * 3 + kw) * c + ch] !== patchValue(x, h, w, c, pixel, kh, kw, ch)) mismatches++;
          }
        }
      }
    }
    expect(mismatches).toBe(0);
    k.free(x);
    k.free(cols);
  });

  it.each(SHAPES)("maxPool of [%i, %i, %i, %i] takes each window's first maximum; maxUnpool routes dout back to it", (n, h, w, c) => {
    const random = seededRandom(3 * n + h);
    const ph = h >> 1, pw = w >> 1, pooled = n * ph * pw * c, size = n * h * w * c;
    const x = quantized(size, random, (len) => k.allocFloat32(len));
    const out = k.allocFloat32(pooled), argmax = k.allocInt32(pooled);
    k.maxPool(n, h, w, c, x, out, argmax);
    const wrong: string[] = [];
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < ph; i++) {
        for (let j = 0; j < pw; j++) {
          for (let ch = 0; ch < c; ch++) {
            const o = ((b * ph + i) * pw + j) * c + ch;
            // window order: (2i, 2j), (2i, 2j+1), (2i+1, 2j), (2i+1, 2j+1)
            const window = [[0, 0], [0, 1], [1, 0], [1, 1]].map(([di, dj]) => ((b * h + 2 * i + di) * w + 2 * j + dj) * c + ch);
            const best = window.reduce((at, p) => (x[p] > x[at] ? p : at));
            if (argmax[o] !== best || out[o] !== x[best]) wrong.push(`${o}: argmax ${argmax[o]} (want ${best}), out ${out[o]}`);
          }
        }
      }
    }
    expect(wrong.slice(0, 3)).toEqual([]);

    const dout = fillRandom(k.allocFloat32(pooled), random), dx = k.allocFloat32(size).fill(NaN);
    k.maxUnpool(n, h, w, c, dout, argmax, dx);
    const expected = new Float32Array(size);
    for (let o = 0; o < pooled; o++) expected[argmax[o]] = dout[o];
    expect(Array.from(dx)).toEqual(Array.from(expected));
    for (const a of [x, out, dout, dx]) k.free(a);
    k.free(argmax);
  });

  it("checks its arguments, naming the call, the argument and the value", () => {
    const x = k.allocFloat32(2 * 4 * 4 * 3), cols = k.allocFloat32(9 * x.length);
    expect(() => k.im2col(2, 4, 4, 3, x, k.allocFloat32(10))).toThrow(/kernels\.im2col\(cols\).*at least 864/);
    expect(() => k.im2col(2, 4, -4, 3, x, cols)).toThrow(/kernels\.im2col\(w\).*non-negative integer.*-4/);
    expect(() => k.im2col(2, 4, 4, 3, cols.subarray(0, 96), cols)).toThrow(/kernels\.im2col\(cols\): overlaps input x/);
    expect(() => k.maxPool(2, 4, 4, 3, x, k.allocFloat32(24), new Float32Array(24) as never)).toThrow(/kernels\.maxPool\(argmax\).*Int32Array/);
    const argmax = k.allocInt32(24), dx = k.allocFloat32(96).fill(7);
    argmax[5] = 96;
    expect(() => k.maxUnpool(2, 4, 4, 3, k.allocFloat32(24), argmax, dx)).toThrow(/kernels\.maxUnpool.*outside the input/);
    expect(dx.every((v) => v === 7)).toBe(true); // nothing written before the error
  });
});

/** [n, h, w, cin, cout, density] */
const CONVS: readonly [number, number, number, number, number, number][] = [
  [1, 1, 1, 1, 1, 1], [2, 5, 7, 3, 4, 0.5], [3, 4, 4, 16, 16, 0.1], [2, 6, 5, 1, 16, 0.3], [1, 3, 9, 5, 2, 0], [6, 28, 28, 16, 16, 0.1],
  [2, 9, 30, 4, 3, 1], [1, 5, 11, 12, 10, 0.4],
];

describe.each(impls.map((k) => [kernelLabel(k), k] as const))("%s: spconv", (_label, k) => {
  it.each(CONVS)("[%i, %i, %i, %i] → %i channels at density %f equals the 3×3 convolution with the masked kernel (≤ 1e-5)", (n, h, w, cin, cout, density) => {
    const random = seededRandom(n * 7 + cin * 3 + cout);
    const x = fillRandom(k.allocFloat32(n * h * w * cin), random);
    const dense = fillRandom(new Float32Array(9 * cin * cout), random);
    const mask = randomMask(dense.length, density, random);
    const kernel = SparseMatrix.fromMask(9 * cin, cout, mask, dense, k);
    const bias = fillRandom(k.allocFloat32(cout), random), gate = fillRandom(k.allocFloat32(n * h * w * cout), random);
    for (const options of [{}, { bias, relu: true }, { bias, gate }]) {
      const y = k.allocFloat32(n * h * w * cout).fill(NaN);
      k.spconv(n, h, w, x, kernel, y, options);
      let worst = 0;
      for (let pixel = 0; pixel < n * h * w; pixel++) {
        for (let o = 0; o < cout; o++) {
          let sum = 0, scale = 0;
          for (let kh = 0; kh < 3; kh++) {
            for (let kw = 0; kw < 3; kw++) {
              for (let ci = 0; ci < cin; ci++) {
                const at = ((kh * 3 + kw) * cin + ci) * cout + o;
                const term = mask[at] ? dense[at] * patchValue(x, h, w, cin, pixel, kh, kw, ci) : 0;
                sum += term;
                scale += Math.abs(term);
              }
            }
          }
          let want = sum + ("bias" in options ? bias[o] : 0);
          if ("relu" in options && !(want > 0)) want = 0;
          if ("gate" in options && !(gate[pixel * cout + o] > 0)) want = 0;
          worst = Math.max(worst, Math.abs(y[pixel * cout + o] - want) / Math.max(scale, 1));
        }
      }
      expect(worst, JSON.stringify(Object.keys(options))).toBeLessThanOrEqual(1e-5);
      k.free(y);
    }
    kernel.dispose();
    for (const a of [x, bias, gate]) k.free(a);
  });

  it.each(CONVS)("spconvGrad on [%i, %i, %i, %i] → %i channels at density %f is Σ dy·patch at each nonzero, in CSR order (≤ 1e-5)", (n, h, w, cin, cout, density) => {
    const random = seededRandom(n * 5 + cin + cout * 11);
    const x = fillRandom(k.allocFloat32(n * h * w * cin), random), dy = fillRandom(k.allocFloat32(n * h * w * cout), random);
    const mask = randomMask(9 * cin * cout, density, random);
    const kernel = SparseMatrix.fromMask(9 * cin, cout, mask, new Float32Array(mask.length), k);
    const out = k.allocFloat32(kernel.nnz).fill(NaN);
    k.spconvGrad(n, h, w, x, dy, kernel, out);
    let worst = 0;
    kernel.flatIndices().forEach((flat, j) => {
      const row = Math.floor(flat / cout), o = flat % cout, tap = Math.floor(row / cin), ci = row % cin;
      let sum = 0, scale = 0;
      for (let pixel = 0; pixel < n * h * w; pixel++) {
        const term = dy[pixel * cout + o] * patchValue(x, h, w, cin, pixel, Math.floor(tap / 3), tap % 3, ci);
        sum += term;
        scale += Math.abs(term);
      }
      worst = Math.max(worst, Math.abs(out[j] - sum) / Math.max(scale, 1));
    });
    expect(worst).toBeLessThanOrEqual(1e-5);
    kernel.dispose();
    for (const a of [x, dy, out]) k.free(a);
  });

  it("checks its arguments", () => {
    const kernel = SparseMatrix.fromMask(10, 4, new Uint8Array(40).fill(1), new Float32Array(40), k);
    expect(() => k.spconv(1, 2, 2, k.allocFloat32(8), kernel, k.allocFloat32(16))).toThrow(/kernels\.spconv\(kernel\).*\[9·cin, cout\]/);
    kernel.dispose();
    const ok = SparseMatrix.fromMask(18, 4, new Uint8Array(72).fill(1), new Float32Array(72), k);
    expect(() => k.spconv(1, 2, 2, k.allocFloat32(7), ok, k.allocFloat32(16))).toThrow(/kernels\.spconv\(x\).*at least 8/);
    expect(() => k.spconv(1, 2, 2, k.allocFloat32(8), ok, k.allocFloat32(16), { bias: k.allocFloat32(3) })).toThrow(/kernels\.spconv\(bias\)/);
    expect(() => k.spconvGrad(1, 2, 2, k.allocFloat32(8), k.allocFloat32(16), ok, k.allocFloat32(71))).toThrow(/kernels\.spconvGrad\(out\).*at least 72/);
    const zeros = k.allocFloat32(72).fill(5);
    k.spconvGrad(0, 2, 2, k.allocFloat32(0), k.allocFloat32(0), ok, zeros);
    expect(zeros.every((v) => v === 0)).toBe(true); // no images: a zero gradient
    ok.dispose();
  });
});

describe("spconvGrad with more threads than images", () => {
  it("keeps each image range's partial sum apart from every thread's scratch", () => {
    let addon: Kernels;
    try {
      addon = createAddonKernels({ threads: 4 });
    } catch {
      return; // no addon on this machine
    }
    const js = createJsKernels(), random = seededRandom(23);
    const [n, h, w, cin, cout] = [2, 3, 3, 40, 40];
    const x = fillRandom(new Float32Array(n * h * w * cin), random), dy = fillRandom(new Float32Array(n * h * w * cout), random);
    const mask = new Uint8Array(9 * cin * cout).fill(1), dense = new Float32Array(mask.length);
    const expected = new Float32Array(mask.length), got = new Float32Array(mask.length);
    const [kj, ka] = [js, addon].map((k) => SparseMatrix.fromMask(9 * cin, cout, mask, dense, k));
    js.spconvGrad(n, h, w, x, dy, kj, expected);
    for (let rep = 0; rep < 20; rep++) {
      addon.spconvGrad(n, h, w, x, dy, ka, got);
      let worst = 0;
      for (let j = 0; j < got.length; j++) worst = Math.max(worst, Math.abs(got[j] - expected[j]));
      expect(worst).toBeLessThan(1e-4);
    }
    kj.dispose();
    ka.dispose();
    addon.dispose();
    js.dispose();
  });
});
