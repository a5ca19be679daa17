/**
 * A small SVD in plain JS for what tfjs lacks: one-sided (Hestenes) Jacobi on float64 copies.
 * Exact to rounding for the few-dozen-wide matrices of the tiny ViT, and warm-startable: SaRA
 * re-decomposes a slowly changing ΔW every step, and starting from the previous right singular
 * vectors it converges in one or two sweeps.
 */

export interface Svd {
  /** Left singular vectors, column-major: column j is u[j·m … (j+1)·m). */
  readonly u: Float64Array;
  readonly s: Float64Array;
  /** Right singular vectors, column-major: column j is v[j·n … (j+1)·n). */
  readonly v: Float64Array;
  readonly m: number;
  readonly n: number;
  /** min(m, n): how many triplets there are. */
  readonly k: number;
  /** Sweeps used. */
  readonly sweeps: number;
}

export interface SvdOptions {
  readonly maxSweeps?: number;
  readonly tol?: number;
  /**
   * A starting orthogonal basis for the smaller side (column-major, k×k with k = min(m, n)),
   * e.g. the previous call's `basis`; it is not modified.
   */
  readonly warm?: Float64Array;
}

/**
 * Thin SVD of the row-major m×n matrix `a`: a = U·diag(s)·Vᵀ, singular values descending.
 * `basis` is what to pass as `warm` next time for a nearby matrix.
 */
export function svd(a: ArrayLike<number>, m: number, n: number, options: SvdOptions = {}): Svd & { readonly basis: Float64Array } {
  if (a.length !== m * n) throw new Error(`svd(a): expected ${m}×${n} = ${m * n} values, received ${a.length}`);
  const tall = m >= n;
  // Work on the tall orientation: columns of T (rows × cols, rows ≥ cols) are orthogonalised.
  const rows = tall ? m : n;
  const cols = tall ? n : m;
  const t = new Float64Array(rows * cols); // column-major
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const value = a[i * n + j];
      if (tall) t[j * rows + i] = value; else t[i * rows + j] = value;
    }
  }
  const basis = new Float64Array(cols * cols);
  if (options.warm && options.warm.length === cols * cols) {
    basis.set(options.warm);
    // T ← T·W
    const product = new Float64Array(rows * cols);
    for (let j = 0; j < cols; j++) {
      for (let l = 0; l < cols; l++) {
        const w = basis[j * cols + l];
        if (w === 0) continue;
        for (let r = 0; r < rows; r++) product[j * rows + r] += t[l * rows + r] * w;
      }
    }
    t.set(product);
  } else {
    for (let j = 0; j < cols; j++) basis[j * cols + j] = 1;
  }
  const tol = options.tol ?? 1e-12;
  const maxSweeps = options.maxSweeps ?? 30;
  let sweeps = 0;
  for (; sweeps < maxSweeps; sweeps++) {
    let rotated = false;
    for (let p = 0; p < cols - 1; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        const op = p * rows;
        const oq = q * rows;
        for (let r = 0; r < rows; r++) {
          const x = t[op + r];
          const y = t[oq + r];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const tan = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + tan * tan);
        const s = c * tan;
        rotate(t, op, oq, rows, c, s);
        rotate(basis, p * cols, q * cols, cols, c, s);
      }
    }
    if (!rotated) break;
  }
  // Singular values are the column norms; sort descending.
  const norms = Array.from({ length: cols }, (_, j) => {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += t[j * rows + r] ** 2;
    return Math.sqrt(sum);
  });
  const order = norms.map((_, j) => j).sort((x, y) => norms[y] - norms[x]);
  const sValues = new Float64Array(cols);
  const left = new Float64Array(rows * cols);
  const right = new Float64Array(cols * cols);
  order.forEach((j, rank) => {
    sValues[rank] = norms[j];
    for (let r = 0; r < rows; r++) left[rank * rows + r] = norms[j] > 0 ? t[j * rows + r] / norms[j] : 0;
    right.set(basis.subarray(j * cols, (j + 1) * cols), rank * cols);
  });
  // Tall: A = L·S·Rᵀ. Wide (we decomposed Aᵀ = L·S·Rᵀ): A = R·S·Lᵀ.
  return tall
    ? { u: left, s: sValues, v: right, m, n, k: cols, sweeps, basis }
    : { u: right, s: sValues, v: left, m, n, k: cols, sweeps, basis };
}

/**
 * A subgradient of the (truncated) nuclear norm Σ_{j ≥ skip} σ_j at `a`: Σ u_j v_jᵀ over the
 * singular triplets past the first `skip` whose σ_j exceeds `relTol`·σ_max, evaluated only at the
 * flat row-major `indices` (the entries that are parameters).
 */
export function nuclearSubgradientAt(d: Svd, indices: Int32Array, skip = 0, relTol = 1e-6): Float32Array {
  const out = new Float32Array(indices.length);
  const cutoff = d.s[0] * relTol;
  const active: number[] = [];
  for (let j = skip; j < d.k; j++) if (d.s[j] > cutoff && d.s[j] > 0) active.push(j);
  if (active.length === 0) return out;
  for (let e = 0; e < indices.length; e++) {
    const row = Math.floor(indices[e] / d.n);
    const col = indices[e] - row * d.n;
    let sum = 0;
    for (const j of active) sum += d.u[j * d.m + row] * d.v[j * d.n + col];
    out[e] = sum;
  }
  return out;
}

/** Σ_{j ≥ skip} σ_j. */
export function nuclearNorm(d: Svd, skip = 0): number {
  let sum = 0;
  for (let j = skip; j < d.k; j++) sum += d.s[j];
  return sum;
}

/** The plane rotation by (c, s) of the length-n runs of `a` at offsets p and q. */
function rotate(a: Float64Array, p: number, q: number, n: number, c: number, s: number): void {
  for (let r = 0; r < n; r++) {
    const x = a[p + r];
    const y = a[q + r];
    a[p + r] = c * x - s * y;
    a[q + r] = s * x + c * y;
  }
}
