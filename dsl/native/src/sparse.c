/* Sparse x dense kernels for AVX2/FMA, "lanes = batch" (the XNNPACK SpMM formulation): each
 * nonzero is one broadcast and NV vector FMAs over a block of MB batch rows, so no gather is
 * ever needed. Row-major activations are transposed into / out of an L1/L2-resident block by
 * 8x8 AVX transposes inside the call. */
#include <immintrin.h>
#include <string.h>
#include "spk.h"

#define MB 32         /* batch rows per block */
#define NV (MB / 8)   /* ymm vectors per block */

static inline int imin(int a, int b) { return a < b ? a : b; }

static inline void tr8x8(const float *s, long ls, float *d, long ld) {
  __m256 r0 = _mm256_loadu_ps(s), r1 = _mm256_loadu_ps(s + ls), r2 = _mm256_loadu_ps(s + 2 * ls), r3 = _mm256_loadu_ps(s + 3 * ls);
  __m256 r4 = _mm256_loadu_ps(s + 4 * ls), r5 = _mm256_loadu_ps(s + 5 * ls), r6 = _mm256_loadu_ps(s + 6 * ls), r7 = _mm256_loadu_ps(s + 7 * ls);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5), t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE), u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE), u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(d + ld, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(d + 2 * ld, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(d + 3 * ld, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(d + 4 * ld, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(d + 5 * ld, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(d + 6 * ld, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(d + 7 * ld, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* dst[c*ldd + r] = src[r*lds + c] for r < rows, c < cols. */
static void transpose(const float *src, long lds, int rows, int cols, float *dst, long ldd) {
  for (int r0 = 0; r0 < rows; r0 += 8)
    for (int c0 = 0; c0 < cols; c0 += 8) {
      int rm = imin(8, rows - r0), cm = imin(8, cols - c0);
      if (rm == 8 && cm == 8) tr8x8(src + (long)r0 * lds + c0, lds, dst + (long)c0 * ldd + r0, ldd);
      else
        for (int r = r0; r < r0 + rm; r++)
          for (int c = c0; c < c0 + cm; c++) dst[(long)c * ldd + r] = src[(long)r * lds + c];
    }
}

/* The feature-major copy of `rows` rows of X: T[k*ldt + i] = X[i, k] for k < features, with lanes
   rows..lanes zero. */
static void lanes_of(const float *X, long ldx, int rows, int features, float *T, long ldt, int lanes) {
  transpose(X, ldx, rows, features, T, ldt);
  if (rows < lanes)
    for (int k = 0; k < features; k++) memset(T + (long)k * ldt + rows, 0, sizeof(float) * (lanes - rows));
}

/* ---------------------------------------------------------------- spmm */

/* O[(o-o0)*MB + 0..MB) = sum_j val[j] * T[idx[j]*MB + 0..MB) (+ bias[o], ReLU), o in [o0, o1). */
static void spmm_core(int o0, int o1, const int *ptr, const int *idx, const float *val, const float *T, float *O,
                      const float *bias, int relu) {
  const __m256 zero = _mm256_setzero_ps();
  for (int o = o0; o < o1; o++) {
    __m256 a[NV], b[NV];
    for (int i = 0; i < NV; i++) a[i] = b[i] = zero;
    int j = ptr[o];
    const int je = ptr[o + 1];
    for (; j + 1 < je; j += 2) { /* two nonzeros per iteration: 2*NV independent FMA chains */
      const float *t = T + (long)idx[j] * MB, *u = T + (long)idx[j + 1] * MB;
      __m256 v = _mm256_broadcast_ss(val + j), w = _mm256_broadcast_ss(val + j + 1);
      for (int i = 0; i < NV; i++) {
        a[i] = _mm256_fmadd_ps(v, _mm256_load_ps(t + 8 * i), a[i]);
        b[i] = _mm256_fmadd_ps(w, _mm256_load_ps(u + 8 * i), b[i]);
      }
    }
    if (j < je) {
      const float *t = T + (long)idx[j] * MB;
      __m256 v = _mm256_broadcast_ss(val + j);
      for (int i = 0; i < NV; i++) a[i] = _mm256_fmadd_ps(v, _mm256_load_ps(t + 8 * i), a[i]);
    }
    __m256 bo = bias ? _mm256_broadcast_ss(bias + o) : zero;
    float *out = O + (long)(o - o0) * MB;
    for (int i = 0; i < NV; i++) {
      __m256 s = _mm256_add_ps(_mm256_add_ps(a[i], b[i]), bo);
      _mm256_store_ps(out + 8 * i, relu ? _mm256_max_ps(s, zero) : s);
    }
  }
}

typedef struct {
  int m, kin, nout;
  const int *ptr, *idx;
  const float *val, *X;
  long ldx;
  float *Y;
  long ldy;
  spk_epilogue ep;
  int split_blocks, chunks;
  float *scratch;
  size_t per_thread;
} spmm_job;

/* Chunk c: one block of MB batch rows, or (a single block) a range of outputs. */
static void spmm_chunk(void *ctx, int c, int tid) {
  const spmm_job *J = ctx;
  const int nblk = (J->m + MB - 1) / MB;
  int b0 = 0, b1 = nblk, o0 = 0, o1 = J->nout;
  if (J->split_blocks) { b0 = c; b1 = c + 1; }
  else { o0 = J->nout * c / J->chunks; o1 = J->nout * (c + 1) / J->chunks; }
  if (b1 <= b0 || o1 <= o0) return;
  float *T = J->scratch + J->per_thread * tid, *O = T + (size_t)MB * J->kin;
  for (int b = b0; b < b1; b++) {
    const int row = b * MB, mb = imin(MB, J->m - row);
    lanes_of(J->X + (long)row * J->ldx, J->ldx, mb, J->kin, T, MB, MB);
    spmm_core(o0, o1, J->ptr, J->idx, J->val, T, O, J->ep.bias, J->ep.relu);
    float *y = J->Y + (long)row * J->ldy + o0;
    transpose(O, MB, o1 - o0, mb, y, J->ldy);
    if (J->ep.gate) {
      const __m256 zero = _mm256_setzero_ps();
      for (int i = 0; i < mb; i++) {
        float *yi = y + (long)i * J->ldy;
        const float *gi = J->ep.gate + (long)(row + i) * J->ep.ldg + o0;
        int o = 0, n = o1 - o0;
        for (; o + 8 <= n; o += 8)
          _mm256_storeu_ps(yi + o, _mm256_and_ps(_mm256_loadu_ps(yi + o), _mm256_cmp_ps(_mm256_loadu_ps(gi + o), zero, _CMP_GT_OQ)));
        for (; o < n; o++) if (!(gi[o] > 0.f)) yi[o] = 0.f;
      }
    }
  }
}

int spk_spmm(int m, int kin, int nout, const int *ptr, const int *idx, const float *val, const float *X, long ldx,
             float *Y, long ldy, const spk_epilogue *ep, int nthreads) {
  static const spk_epilogue none = {0, 0, 0, 0};
  if (m <= 0 || nout <= 0) return 0;
  const int nblk = (m + MB - 1) / MB;
  spmm_job J = {
    .m = m, .kin = kin, .nout = nout, .ptr = ptr, .idx = idx, .val = val, .X = X, .ldx = ldx, .Y = Y, .ldy = ldy,
    .ep = ep ? *ep : none, .split_blocks = nblk > 1,
  };
  const long nnz = ptr[nout] - ptr[0];
  if ((double)nnz * m < 32.0 * 1024 * 8) nthreads = 1; /* too little work to wake a thread */
  if (nthreads < 1) nthreads = 1;
  J.chunks = J.split_blocks ? nblk : nthreads == 1 ? 1 : imin(2 * nthreads, nout);
  J.per_thread = ((size_t)MB * (kin + nout) + 15) / 16 * 16;
  J.scratch = spk_scratch(1, J.per_thread * nthreads);
  if (!J.scratch) return -1;
  spk_parallel_for(spmm_chunk, &J, J.chunks, nthreads);
  return 0;
}

/* ---------------------------------------------------------------- sddmm */

/* The batch is cut into one slice of lanes per thread (64 lanes at most per pass, so a slice of
   an X row fits in 8 registers); each chunk transposes its lanes of X and G into feature-major
   copies (Xt[r*SL + lane]) and adds its share of every dot product into its own output (the
   first chunk's is `out`; the others' are summed into it after the join). No data is shared
   between threads and there is a single fork-join, which is what small layers need. */
#define SL 64

typedef struct {
  int m, rows, cols, chunks, lanes; /* lanes per chunk, a multiple of 8 */
  const int *rowptr, *colidx;
  const float *X, *G;
  long ldx, ldg, nnz;
  float *out, *scratch;
  size_t per_chunk;
} sddmm_job;

static inline float hsum(__m256 a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* acc[q] += x * g[q][k..k+8) for the four columns q */
static inline void fma4(__m256 x, const float *const g[4], int k, __m256 acc[4]) {
  for (int q = 0; q < 4; q++) acc[q] = _mm256_fmadd_ps(x, _mm256_load_ps(g[q] + k), acc[q]);
}

/* o[j] (+)= x . Gt[colidx[j]] over lp lanes (a multiple of 8) for the nonzeros j of one row. With
   64 lanes, x stays in eight registers and four nonzeros are interleaved: their eight FMA chains
   hide the FMA latency, and one horizontal reduction serves all four. Every FMA still loads its
   Gt vector, so this phase runs at the core's load rate, not its FMA rate. */
static void dot_row(const float *x, const float *Gt, int lp, const int *colidx, int j0, int j1, float *o, int add) {
  int j = j0;
  if (lp == SL) {
    const __m256 x0 = _mm256_load_ps(x), x1 = _mm256_load_ps(x + 8), x2 = _mm256_load_ps(x + 16), x3 = _mm256_load_ps(x + 24);
    const __m256 x4 = _mm256_load_ps(x + 32), x5 = _mm256_load_ps(x + 40), x6 = _mm256_load_ps(x + 48), x7 = _mm256_load_ps(x + 56);
    for (; j + 4 <= j1; j += 4) {
      const float *const g[4] = {Gt + (long)colidx[j] * SL, Gt + (long)colidx[j + 1] * SL, Gt + (long)colidx[j + 2] * SL,
                                 Gt + (long)colidx[j + 3] * SL};
      __m256 a[4], b[4];
      for (int q = 0; q < 4; q++) {
        a[q] = _mm256_mul_ps(x0, _mm256_load_ps(g[q]));
        b[q] = _mm256_mul_ps(x1, _mm256_load_ps(g[q] + 8));
      }
      fma4(x2, g, 16, a); fma4(x3, g, 24, b); fma4(x4, g, 32, a); fma4(x5, g, 40, b); fma4(x6, g, 48, a); fma4(x7, g, 56, b);
      for (int q = 0; q < 4; q++) a[q] = _mm256_add_ps(a[q], b[q]);
      __m256 d = _mm256_hadd_ps(_mm256_hadd_ps(a[0], a[1]), _mm256_hadd_ps(a[2], a[3]));
      __m128 s = _mm_add_ps(_mm256_castps256_ps128(d), _mm256_extractf128_ps(d, 1));
      _mm_storeu_ps(o + j, add ? _mm_add_ps(s, _mm_loadu_ps(o + j)) : s);
    }
    for (; j < j1; j++) {
      const float *g = Gt + (long)colidx[j] * SL;
      __m256 a = _mm256_mul_ps(x0, _mm256_load_ps(g)), b = _mm256_mul_ps(x1, _mm256_load_ps(g + 8));
      a = _mm256_fmadd_ps(x2, _mm256_load_ps(g + 16), a); b = _mm256_fmadd_ps(x3, _mm256_load_ps(g + 24), b);
      a = _mm256_fmadd_ps(x4, _mm256_load_ps(g + 32), a); b = _mm256_fmadd_ps(x5, _mm256_load_ps(g + 40), b);
      a = _mm256_fmadd_ps(x6, _mm256_load_ps(g + 48), a); b = _mm256_fmadd_ps(x7, _mm256_load_ps(g + 56), b);
      const float s = hsum(_mm256_add_ps(a, b));
      o[j] = add ? o[j] + s : s;
    }
    return;
  }
  for (; j < j1; j++) {
    const float *g = Gt + (long)colidx[j] * SL;
    __m256 a = _mm256_setzero_ps();
    for (int i = 0; i < lp; i += 8) a = _mm256_fmadd_ps(_mm256_load_ps(x + i), _mm256_load_ps(g + i), a);
    const float s = hsum(a);
    o[j] = add ? o[j] + s : s;
  }
}

static void sddmm_chunk(void *ctx, int c, int tid) {
  (void)tid;
  const sddmm_job *J = ctx;
  float *Xt = J->scratch + J->per_chunk * c, *Gt = Xt + (size_t)SL * J->rows;
  /* `out` is indexed like colidx; a partial from 0 */
  float *o = c == 0 ? J->out : Gt + (size_t)SL * J->cols - J->rowptr[0];
  const int first = c * J->lanes, last = imin(J->m, first + J->lanes);
  for (int b0 = first; b0 < last; b0 += SL) {
    const int lanes = imin(SL, last - b0), lp = (lanes + 7) / 8 * 8;
    lanes_of(J->X + (long)b0 * J->ldx, J->ldx, lanes, J->rows, Xt, SL, lp);
    lanes_of(J->G + (long)b0 * J->ldg, J->ldg, lanes, J->cols, Gt, SL, lp);
    for (int r = 0; r < J->rows; r++)
      dot_row(Xt + (long)r * SL, Gt, lp, J->colidx, J->rowptr[r], J->rowptr[r + 1], o, b0 > first);
  }
}

int spk_sddmm(int m, int rows, int cols, const int *rowptr, const int *colidx, const float *X, long ldx,
              const float *G, long ldg, float *out, int nthreads) {
  const long nnz = rowptr[rows] - rowptr[0];
  if (nnz <= 0) return 0;
  if (m <= 0) { memset(out + rowptr[0], 0, sizeof(float) * nnz); return 0; }
  if ((double)nnz * m < 32.0 * 1024 * 8) nthreads = 1;
  if (nthreads < 1) nthreads = 1;
  sddmm_job J = {
    .m = m, .rows = rows, .cols = cols, .rowptr = rowptr, .colidx = colidx,
    .X = X, .G = G, .ldx = ldx, .ldg = ldg, .nnz = nnz, .out = out,
  };
  /* equal slices of whole vectors: 64-lane passes where the batch allows */
  const int per_thread = (m + nthreads - 1) / nthreads;
  J.lanes = per_thread >= SL ? (per_thread + SL - 1) / SL * SL : (per_thread + 7) / 8 * 8;
  J.chunks = (m + J.lanes - 1) / J.lanes;
  J.per_chunk = ((size_t)SL * (rows + cols) + nnz + 15) / 16 * 16;
  J.scratch = spk_scratch(2, J.per_chunk * J.chunks);
  if (!J.scratch) return -1;
  spk_parallel_for(sddmm_chunk, &J, J.chunks, nthreads);
  for (int c = 1; c < J.chunks; c++) {
    const float *p = J.scratch + J.per_chunk * c + (size_t)SL * (rows + cols);
    float *o = out + rowptr[0];
    long j = 0;
    for (; j + 8 <= nnz; j += 8) _mm256_storeu_ps(o + j, _mm256_add_ps(_mm256_loadu_ps(o + j), _mm256_loadu_ps(p + j)));
    for (; j < nnz; j++) o[j] += p[j];
  }
  return 0;
}
