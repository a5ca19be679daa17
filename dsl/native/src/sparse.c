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
    transpose(J->X + (long)row * J->ldx, J->ldx, mb, J->kin, T, MB);
    if (mb < MB)
      for (int k = 0; k < J->kin; k++) memset(T + (long)k * MB + mb, 0, sizeof(float) * (MB - mb));
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

typedef struct {
  int m, mp, rows, cols;
  const int *rowptr, *colidx;
  const float *X, *G;
  long ldx, ldg;
  float *out, *Xt, *Gt;
  int parts; /* phase 1: X and G are each transposed in `parts` column ranges */
} sddmm_job;

/* Phase 1, chunk c < parts: columns of X into Xt[r*mp + i] = X[i, r]; c >= parts: of G into Gt.
   Lanes m..mp are zero. */
static void sddmm_transpose_chunk(void *ctx, int c, int tid) {
  (void)tid;
  const sddmm_job *J = ctx;
  const int pad = J->mp - J->m, isG = c >= J->parts, p = isG ? c - J->parts : c, n = isG ? J->cols : J->rows;
  const int c0 = n * p / J->parts, c1 = n * (p + 1) / J->parts;
  float *dst = isG ? J->Gt : J->Xt;
  transpose((isG ? J->G : J->X) + c0, isG ? J->ldg : J->ldx, J->m, c1 - c0, dst + (long)c0 * J->mp, J->mp);
  if (pad)
    for (int r = c0; r < c1; r++) memset(dst + (long)r * J->mp + J->m, 0, sizeof(float) * pad);
}

static inline float hsum(__m256 a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* Phase 2: 16 rows per chunk, claimed dynamically (row lengths vary a lot under ERK / RigL masks). */
static void sddmm_dot_chunk(void *ctx, int chunk, int tid) {
  (void)tid;
  const sddmm_job *J = ctx;
  const int mp = J->mp, r0 = chunk * 16;
  {
    for (int r = r0; r < imin(r0 + 16, J->rows); r++) {
      const int j0 = J->rowptr[r], j1 = J->rowptr[r + 1];
      if (j0 == j1) continue;
      const float *x = J->Xt + (long)r * mp;
      int i0 = 0;
      for (; i0 + 64 <= mp; i0 += 64) { /* 8 vectors of x stay in registers for the whole row */
        __m256 x0 = _mm256_loadu_ps(x + i0), x1 = _mm256_loadu_ps(x + i0 + 8), x2 = _mm256_loadu_ps(x + i0 + 16), x3 = _mm256_loadu_ps(x + i0 + 24);
        __m256 x4 = _mm256_loadu_ps(x + i0 + 32), x5 = _mm256_loadu_ps(x + i0 + 40), x6 = _mm256_loadu_ps(x + i0 + 48), x7 = _mm256_loadu_ps(x + i0 + 56);
        for (int j = j0; j < j1; j++) {
          const float *g = J->Gt + (long)J->colidx[j] * mp + i0;
          __m256 a = _mm256_mul_ps(x0, _mm256_loadu_ps(g)), b = _mm256_mul_ps(x1, _mm256_loadu_ps(g + 8));
          a = _mm256_fmadd_ps(x2, _mm256_loadu_ps(g + 16), a); b = _mm256_fmadd_ps(x3, _mm256_loadu_ps(g + 24), b);
          a = _mm256_fmadd_ps(x4, _mm256_loadu_ps(g + 32), a); b = _mm256_fmadd_ps(x5, _mm256_loadu_ps(g + 40), b);
          a = _mm256_fmadd_ps(x6, _mm256_loadu_ps(g + 48), a); b = _mm256_fmadd_ps(x7, _mm256_loadu_ps(g + 56), b);
          float s = hsum(_mm256_add_ps(a, b));
          J->out[j] = i0 == 0 ? s : J->out[j] + s;
        }
      }
      if (i0 < mp) { /* remaining lanes, a multiple of 8 */
        for (int j = j0; j < j1; j++) {
          const float *g = J->Gt + (long)J->colidx[j] * mp;
          __m256 a = _mm256_setzero_ps();
          for (int i = i0; i < mp; i += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(g + i), a);
          float s = hsum(a);
          J->out[j] = i0 == 0 ? s : J->out[j] + s;
        }
      }
    }
  }
}

int spk_sddmm(int m, int rows, int cols, const int *rowptr, const int *colidx, const float *X, long ldx,
              const float *G, long ldg, float *out, int nthreads) {
  const long nnz = rowptr[rows] - rowptr[0];
  if (nnz <= 0) return 0;
  if (m <= 0) { memset(out + rowptr[0], 0, sizeof(float) * nnz); return 0; }
  const int mp = (m + 7) / 8 * 8;
  float *buf = spk_scratch(2, (size_t)mp * (rows + cols));
  if (!buf) return -1;
  sddmm_job J = {
    .m = m, .mp = mp, .rows = rows, .cols = cols, .rowptr = rowptr, .colidx = colidx, .X = X, .G = G,
    .ldx = ldx, .ldg = ldg, .out = out, .Xt = buf, .Gt = buf + (size_t)mp * rows,
  };
  if ((double)nnz * m < 32.0 * 1024 * 8) nthreads = 1;
  J.parts = nthreads == 1 ? 1 : 2 * nthreads;
  spk_parallel_for(sddmm_transpose_chunk, &J, 2 * J.parts, nthreads);
  spk_parallel_for(sddmm_dot_chunk, &J, (rows + 15) / 16, nthreads);
  return 0;
}
