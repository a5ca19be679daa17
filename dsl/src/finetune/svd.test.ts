import { describe, expect, it } from "vitest";
import { Rng } from "@sparselab/datasets";
import { nuclearNorm, nuclearSubgradientAt, svd } from "./svd.js";

function random(m: number, n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: m * n }, () => rng.normal());
}

function reconstruct(d: ReturnType<typeof svd>): Float64Array {
  const out = new Float64Array(d.m * d.n);
  for (let i = 0; i < d.m; i++) for (let j = 0; j < d.n; j++) {
    let s = 0;
    for (let k = 0; k < d.k; k++) s += d.u[k * d.m + i] * d.s[k] * d.v[k * d.n + j];
    out[i * d.n + j] = s;
  }
  return out;
}

describe("one-sided Jacobi SVD", () => {
  it.each([[12, 5], [5, 12], [8, 8]])("reconstructs a %i×%i matrix with orthonormal factors and descending σ", (m, n) => {
    const a = random(m, n, m * 31 + n);
    const d = svd(a, m, n);
    const back = reconstruct(d);
    back.forEach((v, i) => expect(v).toBeCloseTo(a[i], 10));
    for (let k = 1; k < d.k; k++) expect(d.s[k]).toBeLessThanOrEqual(d.s[k - 1]);
    for (let p = 0; p < d.k; p++) for (let q = 0; q < d.k; q++) {
      let uu = 0;
      let vv = 0;
      for (let i = 0; i < m; i++) uu += d.u[p * m + i] * d.u[q * m + i];
      for (let j = 0; j < n; j++) vv += d.v[p * n + j] * d.v[q * n + j];
      expect(uu).toBeCloseTo(p === q ? 1 : 0, 10);
      expect(vv).toBeCloseTo(p === q ? 1 : 0, 10);
    }
  });

  it("known singular values; rank-deficient matrices have zero tails; the nuclear norm sums σ", () => {
    const d = svd([3, 0, 0, 0, -4, 0], 2, 3);
    expect(Array.from(d.s)).toEqual([4, 3]);
    const u = [1, 2, 3];
    const v = [1, -1];
    const rank1 = u.flatMap((x) => v.map((y) => x * y));
    const r = svd(rank1, 3, 2);
    expect(r.s[0]).toBeCloseTo(Math.sqrt(14) * Math.sqrt(2), 12);
    expect(r.s[1]).toBeCloseTo(0, 12);
    expect(nuclearNorm(d)).toBe(7);
    expect(nuclearNorm(d, 1)).toBe(3);
  });

  it("a warm start from a nearby matrix's basis converges in fewer sweeps to the same σ", () => {
    const a = random(32, 24, 5);
    const cold = svd(a, 32, 24);
    const b = a.map((v, i) => v + 1e-3 * Math.sin(i));
    const fresh = svd(b, 32, 24);
    const warm = svd(b, 32, 24, { warm: cold.basis });
    expect(warm.sweeps).toBeLessThan(fresh.sweeps);
    warm.s.forEach((s, i) => expect(s).toBeCloseTo(fresh.s[i], 9));
  });

  it("the subgradient at chosen entries is U·Vᵀ there (past `skip` triplets)", () => {
    const m = 6;
    const n = 4;
    const d = svd(random(m, n, 9), m, n);
    const all = Int32Array.from({ length: m * n }, (_, i) => i);
    const g = nuclearSubgradientAt(d, all);
    const g1 = nuclearSubgradientAt(d, all, 1);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let full = 0;
      let tail = 0;
      for (let k = 0; k < d.k; k++) {
        full += d.u[k * m + i] * d.v[k * n + j];
        if (k >= 1) tail += d.u[k * m + i] * d.v[k * n + j];
      }
      expect(g[i * n + j]).toBeCloseTo(full, 5);
      expect(g1[i * n + j]).toBeCloseTo(tail, 5);
    }
    expect(Array.from(nuclearSubgradientAt(svd(new Float64Array(12), 3, 4), Int32Array.from([0, 5])))).toEqual([0, 0]);
  });
});
