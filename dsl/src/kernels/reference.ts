/**
 * Float64 reference versions of the kernels (naive loops), the yardstick of the agreement tests
 * and of `benchKernels`' self-check. Each returns the result and, per element, the sum of the
 * absolute values of the terms — the scale a float32 kernel's rounding error is relative to.
 */
export interface Reference {
  readonly value: Float64Array;
  readonly scale: Float64Array;
}

export interface RefEpilogue {
  readonly bias?: ArrayLike<number>;
  readonly relu?: boolean;
  readonly gate?: ArrayLike<number>;
  readonly ldg?: number;
}

export function refGemm(m: number, n: number, k: number, a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>,
  o: RefEpilogue & { transA?: boolean; transB?: boolean; alpha?: number; beta?: number; lda?: number; ldb?: number; ldc?: number } = {}): Reference {
  const alpha = o.alpha ?? 1, beta = o.beta ?? 0;
  const lda = o.lda ?? (o.transA ? m : k), ldb = o.ldb ?? (o.transB ? k : n), ldc = o.ldc ?? n, ldg = o.ldg ?? ldc;
  const A = (i: number, p: number) => (o.transA ? a[p * lda + i] : a[i * lda + p]);
  const B = (p: number, j: number) => (o.transB ? b[j * ldb + p] : b[p * ldb + j]);
  const value = new Float64Array(m * n), scale = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, t = 0;
      if (alpha !== 0) for (let p = 0; p < k; p++) { const x = A(i, p) * B(p, j); s += x; t += Math.abs(x); }
      let v = alpha * s;
      t = Math.abs(alpha) * t;
      if (beta !== 0) { v += beta * c[i * ldc + j]; t += Math.abs(beta * c[i * ldc + j]); }
      finish(value, scale, i * n + j, v, t, j, i * ldg + j, o);
    }
  }
  return { value, scale };
}

/** y = x·W (W [rows, cols] given densely; its zeros are skipped) or, with transpose, y = x·Wᵀ. */
export function refSpmm(m: number, rows: number, cols: number, x: ArrayLike<number>, w: ArrayLike<number>,
  o: RefEpilogue & { transpose?: boolean; ldx?: number } = {}): Reference {
  const [kin, nout] = o.transpose ? [cols, rows] : [rows, cols];
  const ldx = o.ldx ?? kin, ldg = o.ldg ?? nout;
  const terms: [number, number, number][] = []; // (input p, output j, weight)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    const v = w[r * cols + c];
    if (v !== 0) terms.push(o.transpose ? [c, r, v] : [r, c, v]);
  }
  const value = new Float64Array(m * nout), scale = new Float64Array(m * nout);
  const sum = new Float64Array(nout), abs = new Float64Array(nout);
  for (let i = 0; i < m; i++) {
    sum.fill(0);
    abs.fill(0);
    for (const [p, j, v] of terms) {
      const t = x[i * ldx + p] * v;
      sum[j] += t;
      abs[j] += Math.abs(t);
    }
    for (let j = 0; j < nout; j++) finish(value, scale, i * nout + j, sum[j], abs[j], j, i * ldg + j, o);
  }
  return { value, scale };
}

/** out[j] = Σᵢ x[i, r]·dy[i, c] for each (r, c) of `positions` (flat r·cols + c, in order). */
export function refSddmm(m: number, rows: number, cols: number, x: ArrayLike<number>, dy: ArrayLike<number>, positions: ArrayLike<number>): Reference {
  const value = new Float64Array(positions.length), scale = new Float64Array(positions.length);
  for (let q = 0; q < positions.length; q++) {
    const r = Math.floor(positions[q] / cols), c = positions[q] % cols;
    let s = 0, t = 0;
    for (let i = 0; i < m; i++) { const v = x[i * rows + r] * dy[i * cols + c]; s += v; t += Math.abs(v); }
    value[q] = s;
    scale[q] = t;
  }
  return { value, scale };
}

function finish(value: Float64Array, scale: Float64Array, at: number, v: number, t: number, col: number, gateAt: number, o: RefEpilogue): void {
  if (o.bias) { v += o.bias[col]; t += Math.abs(o.bias[col]); }
  if (o.relu && !(v > 0)) v = 0;
  if (o.gate && !(o.gate[gateAt] > 0)) v = 0;
  value[at] = v;
  scale[at] = t;
}

/**
 * The largest error of `got` against the reference, relative to each element's scale (the sum
 * of |terms|; floored at 1e-30). ≤ 1e-5 is the kernels' contract.
 */
export function relativeError(got: ArrayLike<number>, ref: Reference, stride?: { ld: number; cols: number }): number {
  let worst = 0;
  for (let q = 0; q < ref.value.length; q++) {
    const at = stride ? Math.floor(q / stride.cols) * stride.ld + (q % stride.cols) : q;
    const err = Math.abs(got[at] - ref.value[q]) / Math.max(ref.scale[q], 1e-30);
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : err;
  }
  return worst;
}
