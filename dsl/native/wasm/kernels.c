/* WebAssembly SIMD128 kernels (the same algorithms as ../src/gemm.c and ../src/sparse.c).
 * Baseline SIMD has no FMA, so every multiply-add is f32x4.mul + f32x4.add.
 * Build: see ../build.sh (clang --target=wasm32 -msimd128 -mbulk-memory -nostdlib).
 *
 * The functions never touch the shadow stack (no address-taken locals): every buffer they need
 * comes in as `scratch`, so several instances can share one memory from worker threads.
 * Pointers are byte offsets into the imported memory; leading dimensions are in elements. */
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))
#define INLINE static inline __attribute__((always_inline))
typedef v128_t V;

#ifndef SPK_SOURCE_HASH
#define SPK_SOURCE_HASH 0 /* set by build.sh */
#endif
/* A hash of the native sources this module was built from (see build.sh). */
EXPORT unsigned source_hash(void) { return SPK_SOURCE_HASH; }

INLINE int imin(int a, int b) { return a < b ? a : b; }
INLINE V madd(V a, V b, V c) { return wasm_f32x4_add(c, wasm_f32x4_mul(a, b)); }

/* ================================================================= gemm (4x8 micro-kernel) */
#define MR 4
#define NR 8
#define KC_MAX 256
#define MC_MAX 120
#define NC_MAX 2048

INLINE int balance(int n, int bmax, int mult) {
  int nb = (n + bmax - 1) / bmax, b = (n + nb - 1) / nb;
  return (b + mult - 1) / mult * mult;
}

static void pack_a(int mc, int kc, const float *A, int rs, int cs, float alpha, float *Ap) {
  for (int i0 = 0; i0 < mc; i0 += MR, Ap += kc * MR) {
    int mr = imin(MR, mc - i0);
    const float *a = A + i0 * rs;
    if (mr == MR && cs == 1) {
      const float *a0 = a, *a1 = a + rs, *a2 = a + 2 * rs, *a3 = a + 3 * rs;
      for (int p = 0; p < kc; p++)
        wasm_v128_store(Ap + p * MR, wasm_f32x4_mul(wasm_f32x4_make(a0[p], a1[p], a2[p], a3[p]), wasm_f32x4_splat(alpha)));
    } else if (mr == MR && rs == 1) {
      for (int p = 0; p < kc; p++) wasm_v128_store(Ap + p * MR, wasm_f32x4_mul(wasm_v128_load(a + p * cs), wasm_f32x4_splat(alpha)));
    } else {
      for (int p = 0; p < kc; p++)
        for (int i = 0; i < MR; i++) Ap[p * MR + i] = i < mr ? alpha * a[i * rs + p * cs] : 0.f;
    }
  }
}

static void pack_b(int kc, int nc, const float *B, int rs, int cs, float *Bp) {
  for (int j0 = 0; j0 < nc; j0 += NR, Bp += kc * NR) {
    int nr = imin(NR, nc - j0);
    const float *b = B + j0 * cs;
    if (nr == NR && cs == 1) {
      for (int p = 0; p < kc; p++) {
        wasm_v128_store(Bp + p * NR, wasm_v128_load(b + p * rs));
        wasm_v128_store(Bp + p * NR + 4, wasm_v128_load(b + p * rs + 4));
      }
    } else if (nr == NR && rs == 1) {
      for (int j = 0; j < NR; j++) {
        const float *s = b + j * cs;
        for (int p = 0; p < kc; p++) Bp[p * NR + j] = s[p];
      }
    } else {
      for (int p = 0; p < kc; p++)
        for (int j = 0; j < NR; j++) Bp[p * NR + j] = j < nr ? b[p * rs + j * cs] : 0.f;
    }
  }
}

/* Writes one MR x NR tile: read: add cscale * old C; then bias (at the tile's first column),
   ReLU and gate (at the tile's first element). */
#define STORE_ROW(i)                                                                          \
  {                                                                                           \
    float *ci = c + i * ldc;                                                                  \
    if (read) { c##i##0 = madd(vscale, wasm_v128_load(ci), c##i##0); c##i##1 = madd(vscale, wasm_v128_load(ci + 4), c##i##1); } \
    if (bias) { c##i##0 = wasm_f32x4_add(c##i##0, bias0); c##i##1 = wasm_f32x4_add(c##i##1, bias1); } \
    if (relu) { c##i##0 = wasm_f32x4_max(c##i##0, zero); c##i##1 = wasm_f32x4_max(c##i##1, zero); } \
    if (gate) {                                                                               \
      const float *gi = gate + i * ldg;                                                       \
      c##i##0 = wasm_v128_and(c##i##0, wasm_f32x4_gt(wasm_v128_load(gi), zero));              \
      c##i##1 = wasm_v128_and(c##i##1, wasm_f32x4_gt(wasm_v128_load(gi + 4), zero));          \
    }                                                                                         \
    wasm_v128_store(ci, c##i##0); wasm_v128_store(ci + 4, c##i##1);                           \
  }

INLINE void ukernel(int kc, const float *a, const float *b, float *c, int ldc, int read, float cscale,
                    const float *bias, int relu, const float *gate, int ldg) {
  const V zero = wasm_f32x4_splat(0.f);
  V c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
  for (int p = 0; p < kc; p++, a += MR, b += NR) {
    V b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4), x;
    x = wasm_v128_load32_splat(a);     c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = wasm_v128_load32_splat(a + 1); c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = wasm_v128_load32_splat(a + 2); c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = wasm_v128_load32_splat(a + 3); c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
  }
  const V vscale = wasm_f32x4_splat(cscale);
  V bias0 = zero, bias1 = zero;
  if (bias) { bias0 = wasm_v128_load(bias); bias1 = wasm_v128_load(bias + 4); }
  STORE_ROW(0) STORE_ROW(1) STORE_ROW(2) STORE_ROW(3)
}

/* C = alpha * op(A) op(B) + beta * C, then bias / ReLU / gate; A(i,p) = A[i*ars + p*acs] etc.
   scratch: gemm_scratch_floats(m, n) floats, 16-byte aligned. k >= 1 (the caller handles k == 0). */
EXPORT int gemm_scratch_floats(int m, int n) {
  (void)m;
  return MC_MAX * KC_MAX + KC_MAX * (imin(n, NC_MAX) + NR) + MR * NR;
}

EXPORT void gemm(int m, int n, int k, float alpha, const float *A, int ars, int acs, const float *B, int brs, int bcs,
                 float beta, float *C, int ldc, const float *bias, int relu, const float *gate, int ldg, float *scratch) {
  const int KC = balance(k, KC_MAX, 4), MC = balance(m, MC_MAX, MR);
  float *Ap = scratch, *Bp = scratch + MC_MAX * KC_MAX, *tmp = Bp + KC_MAX * (imin(n, NC_MAX) + NR);
  for (int jc = 0; jc < n; jc += NC_MAX) {
    int nc = imin(NC_MAX, n - jc);
    for (int pc = 0; pc < k; pc += KC) {
      int kc = imin(KC, k - pc), first = pc == 0, last = pc + kc >= k;
      int read = !(first && beta == 0.f);
      float cscale = first ? beta : 1.f;
      pack_b(kc, nc, B + pc * brs + jc * bcs, brs, bcs, Bp);
      for (int ic = 0; ic < m; ic += MC) {
        int mc = imin(MC, m - ic);
        pack_a(mc, kc, A + ic * ars + pc * acs, ars, acs, alpha, Ap);
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = imin(NR, nc - jr), col = jc + jr;
          const float *tb = last && bias ? bias + col : 0;
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = imin(MR, mc - ir), row = ic + ir;
            const float *tg = last && gate ? gate + row * ldg + col : 0;
            float *c = C + row * ldc + col;
            if (mr == MR && nr == NR) {
              ukernel(kc, Ap + ir * kc, Bp + jr * kc, c, ldc, read, cscale, tb, last && relu, tg, ldg);
            } else {
              ukernel(kc, Ap + ir * kc, Bp + jr * kc, tmp, NR, 0, 0.f, 0, 0, 0, 0);
              for (int i = 0; i < mr; i++)
                for (int j = 0; j < nr; j++) {
                  float v = tmp[i * NR + j];
                  if (read) v += cscale * c[i * ldc + j];
                  if (tb) v += tb[j];
                  if (last && relu && !(v > 0.f)) v = 0.f;
                  if (tg && !(tg[i * ldg + j] > 0.f)) v = 0.f;
                  c[i * ldc + j] = v;
                }
            }
          }
        }
      }
    }
  }
}

/* ================================================================= transposes */
INLINE void tr4x4(const float *s, int ls, float *d, int ld) {
  V r0 = wasm_v128_load(s), r1 = wasm_v128_load(s + ls), r2 = wasm_v128_load(s + 2 * ls), r3 = wasm_v128_load(s + 3 * ls);
  V t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);
  V t2 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
  wasm_v128_store(d, wasm_i64x2_shuffle(t0, t2, 0, 2));
  wasm_v128_store(d + ld, wasm_i64x2_shuffle(t0, t2, 1, 3));
  wasm_v128_store(d + 2 * ld, wasm_i64x2_shuffle(t1, t3, 0, 2));
  wasm_v128_store(d + 3 * ld, wasm_i64x2_shuffle(t1, t3, 1, 3));
}

/* dst[c*ldd + r] = src[r*lds + c] for r < rows, c < cols. Columns outside: each group of four
   destination rows is written whole while its cache lines are in L1 (rows outside wrote every
   destination line in pieces, after it had left L1; 10-20% slower on sddmm's copies). */
static void transpose(const float *src, int lds, int rows, int cols, float *dst, int ldd) {
  for (int c0 = 0; c0 < cols; c0 += 4)
    for (int r0 = 0; r0 < rows; r0 += 4) {
      int rm = imin(4, rows - r0), cm = imin(4, cols - c0);
      if (rm == 4 && cm == 4) tr4x4(src + r0 * lds + c0, lds, dst + c0 * ldd + r0, ldd);
      else
        for (int r = r0; r < r0 + rm; r++)
          for (int c = c0; c < c0 + cm; c++) dst[c * ldd + r] = src[r * lds + c];
    }
}

/* ================================================================= spmm (lanes = batch, 32 rows) */
#define MB 32

/* O[(o-o0)*MB + 0..MB) = sum_j val[j] * T[idx[j]*MB + 0..MB) (+ bias[o], ReLU). */
static void spmm_core(int o0, int o1, const int *ptr, const int *idx, const float *val, const float *T, float *O,
                      const float *bias, int relu) {
  const V zero = wasm_f32x4_splat(0.f);
  for (int o = o0; o < o1; o++) {
    V a0 = zero, a1 = zero, a2 = zero, a3 = zero, a4 = zero, a5 = zero, a6 = zero, a7 = zero;
    for (int j = ptr[o], je = ptr[o + 1]; j < je; j++) {
      const float *t = T + idx[j] * MB;
      V v = wasm_v128_load32_splat(val + j);
      a0 = madd(v, wasm_v128_load(t), a0);      a1 = madd(v, wasm_v128_load(t + 4), a1);
      a2 = madd(v, wasm_v128_load(t + 8), a2);  a3 = madd(v, wasm_v128_load(t + 12), a3);
      a4 = madd(v, wasm_v128_load(t + 16), a4); a5 = madd(v, wasm_v128_load(t + 20), a5);
      a6 = madd(v, wasm_v128_load(t + 24), a6); a7 = madd(v, wasm_v128_load(t + 28), a7);
    }
    if (bias) {
      V b = wasm_v128_load32_splat(bias + o);
      a0 = wasm_f32x4_add(a0, b); a1 = wasm_f32x4_add(a1, b); a2 = wasm_f32x4_add(a2, b); a3 = wasm_f32x4_add(a3, b);
      a4 = wasm_f32x4_add(a4, b); a5 = wasm_f32x4_add(a5, b); a6 = wasm_f32x4_add(a6, b); a7 = wasm_f32x4_add(a7, b);
    }
    if (relu) {
      a0 = wasm_f32x4_max(a0, zero); a1 = wasm_f32x4_max(a1, zero); a2 = wasm_f32x4_max(a2, zero); a3 = wasm_f32x4_max(a3, zero);
      a4 = wasm_f32x4_max(a4, zero); a5 = wasm_f32x4_max(a5, zero); a6 = wasm_f32x4_max(a6, zero); a7 = wasm_f32x4_max(a7, zero);
    }
    float *out = O + (o - o0) * MB;
    wasm_v128_store(out, a0);      wasm_v128_store(out + 4, a1);  wasm_v128_store(out + 8, a2);  wasm_v128_store(out + 12, a3);
    wasm_v128_store(out + 16, a4); wasm_v128_store(out + 20, a5); wasm_v128_store(out + 24, a6); wasm_v128_store(out + 28, a7);
  }
}

EXPORT int spmm_scratch_floats(int kin, int nout) { return MB * (kin + nout); }

/* Y[i,o] = sum_{j in ptr[o]..ptr[o+1]} val[j] * X[i, idx[j]] (+ bias, ReLU, gate) for rows i < m. */
EXPORT void spmm(int m, int kin, int nout, const int *ptr, const int *idx, const float *val, const float *X, int ldx,
                 float *Y, int ldy, const float *bias, int relu, const float *gate, int ldg, float *scratch) {
  float *T = scratch, *O = scratch + MB * kin;
  const V zero = wasm_f32x4_splat(0.f);
  for (int row = 0; row < m; row += MB) {
    const int mb = imin(MB, m - row);
    transpose(X + row * ldx, ldx, mb, kin, T, MB);
    if (mb < MB)
      for (int k = 0; k < kin; k++) __builtin_memset(T + k * MB + mb, 0, sizeof(float) * (MB - mb));
    spmm_core(0, nout, ptr, idx, val, T, O, bias, relu);
    float *y = Y + row * ldy;
    transpose(O, MB, nout, mb, y, ldy);
    if (gate)
      for (int i = 0; i < mb; i++) {
        float *yi = y + i * ldy;
        const float *gi = gate + (row + i) * ldg;
        int o = 0;
        for (; o + 4 <= nout; o += 4)
          wasm_v128_store(yi + o, wasm_v128_and(wasm_v128_load(yi + o), wasm_f32x4_gt(wasm_v128_load(gi + o), zero)));
        for (; o < nout; o++) if (!(gi[o] > 0.f)) yi[o] = 0.f;
      }
  }
}

/* ================================================================= sddmm */
INLINE float hsum(V a) {
  return wasm_f32x4_extract_lane(a, 0) + wasm_f32x4_extract_lane(a, 1) + wasm_f32x4_extract_lane(a, 2) + wasm_f32x4_extract_lane(a, 3);
}

/* [sum of a0's lanes, of a1's, of a2's, of a3's] by two rounds of shuffles (a 4x4 transpose folded
   into the adds) rather than sixteen lane extractions. */
INLINE V hsum4(V a0, V a1, V a2, V a3) {
  V s01 = wasm_f32x4_add(wasm_i32x4_shuffle(a0, a1, 0, 4, 1, 5), wasm_i32x4_shuffle(a0, a1, 2, 6, 3, 7));
  V s23 = wasm_f32x4_add(wasm_i32x4_shuffle(a2, a3, 0, 4, 1, 5), wasm_i32x4_shuffle(a2, a3, 2, 6, 3, 7));
  return wasm_f32x4_add(wasm_i64x2_shuffle(s01, s23, 0, 2), wasm_i64x2_shuffle(s01, s23, 1, 3));
}

/* Lanes per feature row in the transposed copies: m rounded up to 4. */
EXPORT int sddmm_scratch_floats(int m, int rows, int cols) { return (m + 3) / 4 * 4 * (rows + cols); }

/* Phase 1, on columns [c0, c1) of src [m, n] (ld lds): dst[c*mp + i] = src[i, c], lanes m..mp zero. */
EXPORT void sddmm_transpose(int m, int c0, int c1, const float *src, int lds, float *dst) {
  const int mp = (m + 3) / 4 * 4;
  transpose(src + c0, lds, m, c1 - c0, dst + c0 * mp, mp);
  if (mp > m)
    for (int c = c0; c < c1; c++) __builtin_memset(dst + c * mp + m, 0, sizeof(float) * (mp - m));
}

/* Phase 2, on CSR rows [r0, r1): out[j] = dot(Xt[r(j)], Gt[col[j]]) over mp lanes; four nonzeros
   at a time share each load of the x row. */
EXPORT void sddmm_rows(int m, int r0, int r1, const int *rowptr, const int *colidx, const float *Xt, const float *Gt, float *out) {
  const int mp = (m + 3) / 4 * 4;
  for (int r = r0; r < r1; r++) {
    const float *x = Xt + r * mp;
    int j = rowptr[r];
    const int je = rowptr[r + 1];
    for (; j + 4 <= je; j += 4) {
      const float *g0 = Gt + colidx[j] * mp, *g1 = Gt + colidx[j + 1] * mp, *g2 = Gt + colidx[j + 2] * mp, *g3 = Gt + colidx[j + 3] * mp;
      V a0 = wasm_f32x4_splat(0.f), a1 = a0, a2 = a0, a3 = a0;
      for (int i = 0; i < mp; i += 4) {
        V xv = wasm_v128_load(x + i);
        a0 = madd(xv, wasm_v128_load(g0 + i), a0);
        a1 = madd(xv, wasm_v128_load(g1 + i), a1);
        a2 = madd(xv, wasm_v128_load(g2 + i), a2);
        a3 = madd(xv, wasm_v128_load(g3 + i), a3);
      }
      wasm_v128_store(out + j, hsum4(a0, a1, a2, a3));
    }
    for (; j < je; j++) {
      const float *g = Gt + colidx[j] * mp;
      V a = wasm_f32x4_splat(0.f), b = a;
      int i = 0;
      for (; i + 8 <= mp; i += 8) {
        a = madd(wasm_v128_load(x + i), wasm_v128_load(g + i), a);
        b = madd(wasm_v128_load(x + i + 4), wasm_v128_load(g + i + 4), b);
      }
      if (i < mp) a = madd(wasm_v128_load(x + i), wasm_v128_load(g + i), a);
      out[j] = hsum(wasm_f32x4_add(a, b));
    }
  }
}

/* Both phases on one thread; scratch: sddmm_scratch_floats(m, rows, cols) floats. */
EXPORT void sddmm(int m, int rows, int cols, const int *rowptr, const int *colidx, const float *X, int ldx,
                  const float *G, int ldg, float *out, float *scratch) {
  const int mp = (m + 3) / 4 * 4;
  float *Xt = scratch, *Gt = scratch + mp * rows;
  sddmm_transpose(m, 0, rows, X, ldx, Xt);
  sddmm_transpose(m, 0, cols, G, ldg, Gt);
  sddmm_rows(m, 0, rows, rowptr, colidx, Xt, Gt, out);
}
