import { SparselabError } from "../errors.js";
import { checkArgmax, kernelSet, type RawKernels, type ResolvedRule } from "./kernel-set.js";
import { heapMemory, type Kernels } from "./types.js";

type F32 = Float32Array;
type I32 = Int32Array;

/**
 * Plain-JS kernels: the last resort, and the most accurate (sums are kept in float64).
 * gemm: 4×2 tiles of C in locals over a packed block of 4 rows of op(A); spmm: "lanes8", 8 batch
 * rows transposed into a scratch block and held in locals;
 * sddmm: dot products of transposed (feature-major) copies of x and dy.
 */
export function createJsKernels(how?: { reason: string; skipped: readonly string[] }): Kernels {
  return kernelSet("js", 1, "plain JS, 1 thread", jsRaw(), heapMemory, how);
}

export function jsRaw(): RawKernels {
  let f64 = new Float64Array(0);
  let f32 = new Float32Array(0);
  const f64Scratch = (n: number) => (f64.length >= n ? f64 : (f64 = new Float64Array(n)));
  const f32Scratch = (n: number) => (f32.length >= n ? f32 : (f32 = new Float32Array(n)));

  return {
    gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, relu, gate, ldg) {
      // op(B) as a packed [k, n] array when it is transposed; otherwise B in place.
      let bp = b, ldbp = ldb;
      if (transB) {
        bp = f32Scratch(k * n);
        ldbp = n;
        for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) bp[p * n + j] = b[j * ldb + p];
      }
      // 4 rows of op(A) interleaved, ap[p·4 + r] (zero-padded), then 4×2 tiles of C in 8 locals
      const ap = f64Scratch(4 * k);
      const ars = transA ? 1 : lda, acs = transA ? lda : 1;
      const put = (i: number, j: number, sum: number) => {
        let v = alpha * sum;
        if (beta !== 0) v += beta * c[i * ldc + j];
        if (bias) v += bias[j];
        if (relu && !(v > 0)) v = 0;
        if (gate && !(gate[i * ldg + j] > 0)) v = 0;
        c[i * ldc + j] = v;
      };
      for (let i0 = 0; i0 < m; i0 += 4) {
        const rows = Math.min(4, m - i0);
        for (let p = 0; p < k; p++) for (let r = 0; r < 4; r++) ap[p * 4 + r] = r < rows ? a[(i0 + r) * ars + p * acs] : 0;
        let j = 0;
        for (; j + 2 <= n; j += 2) {
          let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
          for (let p = 0, bo = j, q = 0; p < k; p++, bo += ldbp, q += 4) {
            const b0 = bp[bo], b1 = bp[bo + 1];
            const a0 = ap[q], a1 = ap[q + 1], a2 = ap[q + 2], a3 = ap[q + 3];
            s00 += a0 * b0; s01 += a0 * b1; s10 += a1 * b0; s11 += a1 * b1;
            s20 += a2 * b0; s21 += a2 * b1; s30 += a3 * b0; s31 += a3 * b1;
          }
          put(i0, j, s00); put(i0, j + 1, s01);
          if (rows > 1) { put(i0 + 1, j, s10); put(i0 + 1, j + 1, s11); }
          if (rows > 2) { put(i0 + 2, j, s20); put(i0 + 2, j + 1, s21); }
          if (rows > 3) { put(i0 + 3, j, s30); put(i0 + 3, j + 1, s31); }
        }
        if (j < n) {
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let p = 0, bo = j, q = 0; p < k; p++, bo += ldbp, q += 4) {
            const bv = bp[bo];
            s0 += ap[q] * bv; s1 += ap[q + 1] * bv; s2 += ap[q + 2] * bv; s3 += ap[q + 3] * bv;
          }
          put(i0, j, s0);
          if (rows > 1) put(i0 + 1, j, s1);
          if (rows > 2) put(i0 + 2, j, s2);
          if (rows > 3) put(i0 + 3, j, s3);
        }
      }
    },

    spmm(m, kin, nout, ptr, idx, val, x, ldx, y, ldy, bias, relu, gate, ldg) {
      spmmLanes8(m, kin, nout, ptr, idx, val, x, ldx, y, ldy, bias, relu, gate, ldg, f32Scratch(8 * kin));
    },

    sddmm(m, rows, cols, rowPtr, colIdx, x, ldx, dy, ldy, out) {
      // Feature-major copies: xt[r·m + i] = x[i, r], gt[c·m + i] = dy[i, c].
      const t = f32Scratch(m * (rows + cols));
      const gOff = m * rows;
      for (let i = 0; i < m; i++) {
        for (let r = 0; r < rows; r++) t[r * m + i] = x[i * ldx + r];
        for (let c = 0; c < cols; c++) t[gOff + c * m + i] = dy[i * ldy + c];
      }
      for (let r = 0; r < rows; r++) {
        const xo = r * m;
        for (let j = rowPtr[r], end = rowPtr[r + 1]; j < end; j++) {
          const go = gOff + colIdx[j] * m;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0, i = 0;
          for (; i + 4 <= m; i += 4) {
            s0 += t[xo + i] * t[go + i];
            s1 += t[xo + i + 1] * t[go + i + 1];
            s2 += t[xo + i + 2] * t[go + i + 2];
            s3 += t[xo + i + 3] * t[go + i + 3];
          }
          for (; i < m; i++) s0 += t[xo + i] * t[go + i];
          out[j] = s0 + s1 + (s2 + s3);
        }
      }
    },

    im2col: jsIm2col,
    spconv: jsSpconv,
    spconvGrad: jsSpconvGrad,
    maxPool: jsMaxPool,
    maxUnpool(n, h, w, c, dout, argmax, dx) {
      const pooled = n * (h >> 1) * (w >> 1) * c, size = n * h * w * c;
      checkArgmax(argmax, pooled, size);
      dx.fill(0, 0, size);
      for (let o = 0; o < pooled; o++) dx[argmax[o]] = dout[o];
    },
    update: jsUpdate,

    dispose() {
      f64 = new Float64Array(0);
      f32 = new Float32Array(0);
    },
  };
}

/** Blocks of 8 batch rows: T[k·8 + i] = x[m0 + i, k] (zero past the last row), 8 sums in locals. */
function spmmLanes8(m: number, kin: number, nout: number, ptr: I32, idx: I32, val: F32, x: F32, ldx: number, y: F32, ldy: number,
  bias: F32 | null, relu: boolean, gate: F32 | null, ldg: number, T: F32): void {
  const sums = new Float64Array(8);
  for (let m0 = 0; m0 < m; m0 += 8) {
    const rows = Math.min(8, m - m0);
    for (let i = 0; i < 8; i++) {
      if (i < rows) {
        const xo = (m0 + i) * ldx;
        for (let k = 0; k < kin; k++) T[k * 8 + i] = x[xo + k];
      } else {
        for (let k = 0; k < kin; k++) T[k * 8 + i] = 0;
      }
    }
    for (let o = 0; o < nout; o++) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      for (let j = ptr[o], end = ptr[o + 1]; j < end; j++) {
        const v = val[j], t = idx[j] << 3;
        a0 += v * T[t]; a1 += v * T[t + 1]; a2 += v * T[t + 2]; a3 += v * T[t + 3];
        a4 += v * T[t + 4]; a5 += v * T[t + 5]; a6 += v * T[t + 6]; a7 += v * T[t + 7];
      }
      sums[0] = a0; sums[1] = a1; sums[2] = a2; sums[3] = a3; sums[4] = a4; sums[5] = a5; sums[6] = a6; sums[7] = a7;
      const b = bias ? bias[o] : 0;
      for (let i = 0; i < rows; i++) {
        let v = sums[i] + b;
        if (relu && !(v > 0)) v = 0;
        if (gate && !(gate[(m0 + i) * ldg + o] > 0)) v = 0;
        y[(m0 + i) * ldy + o] = v;
      }
    }
  }
}

/** Runs at least this long are copied by TypedArray#set (a native memmove); shorter ones by a loop, cheaper than the call. */
const NATIVE_RUN = 32;

/** 3×3 "same" patches (see Kernels.im2col): per image row, each kernel row kh is one run of 3·c floats per pixel. */
function jsIm2col(n: number, h: number, w: number, c: number, x: F32, cols: F32): void {
  const tap3 = 3 * c, row = 9 * c, native = tap3 >= NATIVE_RUN;
  for (let r = 0; r < n * h; r++) {
    const y = r % h, image = (r - y) * w * c;
    for (let kh = 0; kh < 3; kh++) {
      let dst = r * w * row + kh * tap3;
      const sy = y + kh - 1;
      if (sy < 0 || sy >= h) {
        for (let px = 0; px < w; px++, dst += row) cols.fill(0, dst, dst + tap3);
        continue;
      }
      const line = image + sy * w * c;
      for (let px = 0; px < w; px++, dst += row) {
        // pixels px − 1 … px + 1 of the source line, the ones outside the image zero
        const lo = px === 0 ? c : 0, hi = px === w - 1 ? 2 * c : tap3, s = line + (px - 1) * c;
        if (lo > 0) cols.fill(0, dst, dst + lo);
        if (hi < tap3) cols.fill(0, dst + hi, dst + tap3);
        if (native) cols.set(x.subarray(s + lo, s + hi), dst + lo);
        else for (let i = lo; i < hi; i++) cols[dst + i] = x[s + i];
      }
    }
  }
}

/** The sparse 3×3 convolution straight from its definition, one output element at a time (float64 sums). */
function jsSpconv(n: number, h: number, w: number, cin: number, cout: number, colPtr: I32, rowIdx: I32, val: F32, x: F32, y: F32,
  bias: F32 | null, relu: boolean, gate: F32 | null): void {
  // each nonzero's tap as (dy, dx) and channel
  const dy = new Int32Array(rowIdx.length), dx = new Int32Array(rowIdx.length), ch = new Int32Array(rowIdx.length);
  for (let j = colPtr[0]; j < colPtr[cout]; j++) {
    const tap = Math.floor(rowIdx[j] / cin);
    dy[j] = Math.floor(tap / 3) - 1;
    dx[j] = (tap % 3) - 1;
    ch[j] = rowIdx[j] - tap * cin;
  }
  for (let b = 0; b < n; b++) {
    for (let py = 0; py < h; py++) {
      for (let px = 0; px < w; px++) {
        const at = ((b * h + py) * w + px) * cout;
        for (let o = 0; o < cout; o++) {
          let sum = 0;
          for (let j = colPtr[o]; j < colPtr[o + 1]; j++) {
            const sy = py + dy[j], sx = px + dx[j];
            if (sy >= 0 && sy < h && sx >= 0 && sx < w) sum += val[j] * x[((b * h + sy) * w + sx) * cin + ch[j]];
          }
          let v = Math.fround(sum) + (bias ? bias[o] : 0);
          if (relu && !(v > 0)) v = 0;
          if (gate && !(gate[at + o] > 0)) v = 0;
          y[at + o] = v;
        }
      }
    }
  }
}

/** The kernel gradient straight from its definition, one nonzero at a time (float64 sums). */
function jsSpconvGrad(n: number, h: number, w: number, cin: number, cout: number, rowPtr: I32, colIdx: I32, x: F32, dy: F32, out: F32): void {
  for (let k = 0; k < 9 * cin; k++) {
    const tap = Math.floor(k / cin), ddy = Math.floor(tap / 3) - 1, ddx = (tap % 3) - 1, ci = k - tap * cin;
    for (let j = rowPtr[k]; j < rowPtr[k + 1]; j++) {
      const o = colIdx[j];
      let sum = 0;
      for (let b = 0; b < n; b++) {
        for (let py = Math.max(0, -ddy); py < Math.min(h, h - ddy); py++) {
          for (let px = Math.max(0, -ddx); px < Math.min(w, w - ddx); px++) {
            sum += dy[((b * h + py) * w + px) * cout + o] * x[((b * h + py + ddy) * w + px + ddx) * cin + ci];
          }
        }
      }
      out[j - rowPtr[0]] = sum;
    }
  }
}

function jsMaxPool(n: number, h: number, w: number, c: number, x: F32, out: F32, argmax: I32): void {
  const ph = h >> 1, pw = w >> 1, line = w * c;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < ph; i++) {
      for (let j = 0; j < pw; j++) {
        const corner = (b * h + 2 * i) * line + 2 * j * c;
        for (let ch = 0; ch < c; ch++, o++) {
          const p0 = corner + ch, p1 = p0 + c, p2 = p0 + line, p3 = p2 + c;
          let at = x[p1] > x[p0] ? p1 : p0;
          if (x[p2] > x[at]) at = p2;
          if (x[p3] > x[at]) at = p3;
          out[o] = x[at];
          argmax[o] = at;
        }
      }
    }
  }
}

/** The optimizer update in plain JS (float64 arithmetic, float32 storage). */
export function jsUpdate(r: ResolvedRule, n: number, count: number, index: I32 | null, compact: boolean, w: F32, g: F32,
  s0: F32 | null, s1: F32 | null, values: F32 | null): void {
  if (index) {
    for (let j = 0; j < count; j++) {
      if (!(index[j] >= 0 && index[j] < n)) throw new SparselabError(`kernels.update(index[${j}]): ${index[j]} is outside the parameter (length ${n})`);
    }
  }
  const { lr, wd } = r;
  if (!r.adam) {
    const mu = r.a, nesterov = r.nesterov;
    for (let j = 0; j < count; j++) {
      const i = index ? index[j] : j;
      const wi = w[i], grad = g[compact ? j : i] + wd * wi;
      let u = grad;
      if (mu !== 0) {
        const v = Math.fround(mu * s0![i] + grad);
        s0![i] = v;
        u = nesterov ? grad + mu * v : v;
      }
      w[i] = wi - lr * u;
      if (values) values[j] = w[i];
    }
    return;
  }
  const b1 = r.a, b2 = r.b, eps = r.eps, c1 = r.c1, c2 = r.c2;
  const l2 = r.decoupled ? 0 : wd, dec = r.decoupled ? wd : 0;
  const m = s0!, v = s1!;
  for (let j = 0; j < count; j++) {
    const i = index ? index[j] : j;
    const wi = w[i], grad = g[compact ? j : i] + l2 * wi;
    const mi = Math.fround(b1 * m[i] + (1 - b1) * grad), vi = Math.fround(b2 * v[i] + (1 - b2) * grad * grad);
    m[i] = mi;
    v[i] = vi;
    w[i] = wi - lr * (mi / c1 / (Math.sqrt(vi / c2) + eps) + dec * wi);
    if (values) values[j] = w[i];
  }
}
