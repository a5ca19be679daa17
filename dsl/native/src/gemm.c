/* Packed-panel SGEMM for AVX2/FMA: a 6x16 micro-kernel (12 ymm accumulators), A packed into
 * 6-row and B into 16-column panels with K/M blocking. Transposes cost nothing: packing reads
 * through (row, column) strides. Two threads split N (or M when M > N). The epilogue (bias,
 * ReLU, gate) is applied when the last K block stores a tile, while it is in registers. */
#include <immintrin.h>
#include <string.h>
#include "spk.h"

#define MR 6
#define NR 16
#define KC_MAX 320
#define MC_MAX 120
#define NC_MAX 4096

static inline int imin(int a, int b) { return a < b ? a : b; }
/* Splits n into equal blocks of at most bmax, rounded up to a multiple of mult. */
static inline int balance(int n, int bmax, int mult) {
  int nb = (n + bmax - 1) / bmax, b = (n + nb - 1) / nb;
  return (b + mult - 1) / mult * mult;
}

/* Ap[panel][p][i] = alpha * A(i0 + i, p), zero-padded to MR rows. A(i, p) = A[i*rs + p*cs]. */
static void pack_a(int mc, int kc, const float *A, long rs, long cs, float alpha, float *Ap) {
  for (int i0 = 0; i0 < mc; i0 += MR, Ap += (long)kc * MR) {
    int mr = imin(MR, mc - i0);
    const float *a = A + i0 * rs;
    if (mr == MR && cs == 1) {
      const float *a0 = a, *a1 = a + rs, *a2 = a + 2 * rs, *a3 = a + 3 * rs, *a4 = a + 4 * rs, *a5 = a + 5 * rs;
      for (int p = 0; p < kc; p++) {
        float *d = Ap + p * MR;
        d[0] = alpha * a0[p]; d[1] = alpha * a1[p]; d[2] = alpha * a2[p];
        d[3] = alpha * a3[p]; d[4] = alpha * a4[p]; d[5] = alpha * a5[p];
      }
    } else if (mr == MR && rs == 1) {
      for (int p = 0; p < kc; p++) {
        const float *s = a + p * cs;
        float *d = Ap + p * MR;
        for (int i = 0; i < MR; i++) d[i] = alpha * s[i];
      }
    } else {
      for (int p = 0; p < kc; p++)
        for (int i = 0; i < MR; i++) Ap[p * MR + i] = i < mr ? alpha * a[i * rs + p * cs] : 0.f;
    }
  }
}

/* Bp[panel][p][j] = B(p, j0 + j), zero-padded to NR columns. B(p, j) = B[p*rs + j*cs]. */
static void pack_b(int kc, int nc, const float *B, long rs, long cs, float *Bp) {
  for (int j0 = 0; j0 < nc; j0 += NR, Bp += (long)kc * NR) {
    int nr = imin(NR, nc - j0);
    const float *b = B + j0 * cs;
    if (nr == NR && cs == 1) {
      for (int p = 0; p < kc; p++) {
        _mm256_store_ps(Bp + p * NR, _mm256_loadu_ps(b + p * rs));
        _mm256_store_ps(Bp + p * NR + 8, _mm256_loadu_ps(b + p * rs + 8));
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

/* How a tile is written back. read: add cscale * old C; bias/relu/gate only on the last K block. */
typedef struct {
  int read;
  float cscale;
  const float *bias; /* at the tile's first column */
  int relu;
  const float *gate; /* at the tile's first element */
  long ldg;
} tile_store;

#define ACC(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = _mm256_setzero_ps();
#define FMA(i) { __m256 ai = _mm256_broadcast_ss(a + i); \
    c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0); c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1); }
/* Full tiles use plain loads/stores; edge tiles (nr < 16 columns) masked ones, and rows >= mr are
   skipped, so no tile ever goes through a temporary. */
#define LD(p, k) (full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, k))
#define ST(p, k, v) (full ? _mm256_storeu_ps(p, v) : _mm256_maskstore_ps(p, k, v))
#define OUT(i) if (i < mr) { \
    float *ci = c + i * ldc; \
    if (st->read) { \
      c##i##0 = _mm256_fmadd_ps(vscale, LD(ci, k0), c##i##0); \
      c##i##1 = _mm256_fmadd_ps(vscale, LD(ci + 8, k1), c##i##1); } \
    if (st->bias) { c##i##0 = _mm256_add_ps(c##i##0, bias0); c##i##1 = _mm256_add_ps(c##i##1, bias1); } \
    if (st->relu) { c##i##0 = _mm256_max_ps(c##i##0, zero); c##i##1 = _mm256_max_ps(c##i##1, zero); } \
    if (st->gate) { const float *gi = st->gate + i * st->ldg; \
      c##i##0 = _mm256_and_ps(c##i##0, _mm256_cmp_ps(LD(gi, k0), zero, _CMP_GT_OQ)); \
      c##i##1 = _mm256_and_ps(c##i##1, _mm256_cmp_ps(LD(gi + 8, k1), zero, _CMP_GT_OQ)); } \
    ST(ci, k0, c##i##0); ST(ci + 8, k1, c##i##1); }

/* Lane masks for the first nr of 16 columns. */
static inline void column_masks(int nr, __m256i *k0, __m256i *k1) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  *k0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr), lane);
  *k1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(nr - 8), lane);
}

/* One MR x NR tile of C (its first mr rows and nr columns) from packed panels. */
static void ukernel(int kc, const float *restrict a, const float *restrict b, float *c, long ldc, int mr, int nr, const tile_store *st) {
  ACC(0) ACC(1) ACC(2) ACC(3) ACC(4) ACC(5)
  for (int p = 0; p < kc; p++, a += MR, b += NR) {
    __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    FMA(0) FMA(1) FMA(2) FMA(3) FMA(4) FMA(5)
  }
  const int full = nr == NR;
  __m256i k0 = _mm256_setzero_si256(), k1 = k0;
  if (!full) column_masks(nr, &k0, &k1);
  const __m256 zero = _mm256_setzero_ps(), vscale = _mm256_set1_ps(st->cscale);
  __m256 bias0 = zero, bias1 = zero;
  if (st->bias) { bias0 = LD(st->bias, k0); bias1 = LD(st->bias + 8, k1); }
  OUT(0) OUT(1) OUT(2) OUT(3) OUT(4) OUT(5)
}

typedef struct {
  int m, n, k;
  float alpha, beta;
  const float *A; long ars, acs;
  const float *B; long brs, bcs;
  float *C; long ldc;
  spk_epilogue ep;
  int split_n, chunks;
  float *scratch;
  size_t per_thread;
} gemm_job;

/* One thread's block: rows [0, m) and columns [0, n) of the job, already offset. */
static void gemm_block(const gemm_job *J, int m, int n, const float *A, const float *B, float *C,
                       const float *bias, const float *gate, float *buf) {
  const int k = J->k, KC = balance(k, KC_MAX, 4), MC = balance(m, MC_MAX, MR);
  float *Ap = buf, *Bp = buf + MC_MAX * KC_MAX;
  for (int jc = 0; jc < n; jc += NC_MAX) {
    int nc = imin(NC_MAX, n - jc);
    for (int pc = 0; pc < k; pc += KC) {
      int kc = imin(KC, k - pc), first = pc == 0, last = pc + kc >= k;
      pack_b(kc, nc, B + pc * J->brs + jc * J->bcs, J->brs, J->bcs, Bp);
      for (int ic = 0; ic < m; ic += MC) {
        int mc = imin(MC, m - ic);
        pack_a(mc, kc, A + ic * J->ars + pc * J->acs, J->ars, J->acs, J->alpha, Ap);
        for (int jr = 0; jr < nc; jr += NR) {
          int nr = imin(NR, nc - jr), col = jc + jr;
          for (int ir = 0; ir < mc; ir += MR) {
            int mr = imin(MR, mc - ir), row = ic + ir;
            tile_store st = {
              .read = !(first && J->beta == 0.f),
              .cscale = first ? J->beta : 1.f,
              .bias = last && bias ? bias + col : 0,
              .relu = last && J->ep.relu,
              .gate = last && gate ? gate + row * J->ep.ldg + col : 0,
              .ldg = J->ep.ldg,
            };
            float *c = C + row * J->ldc + col;
            ukernel(kc, Ap + ir * kc, Bp + jr * kc, c, J->ldc, mr, nr, &st);
          }
        }
      }
    }
  }
}

/* Chunk c of the split dimension (N or M), in whole micro-tile units. */
static void gemm_chunk(void *ctx, int c, int tid) {
  const gemm_job *J = ctx;
  int dim = J->split_n ? J->n : J->m, unit = J->split_n ? NR : MR;
  int units = (dim + unit - 1) / unit;
  int d0 = units * c / J->chunks * unit, d1 = imin(dim, units * (c + 1) / J->chunks * unit);
  if (d1 <= d0) return;
  float *buf = J->scratch + J->per_thread * tid;
  const float *bias = J->ep.bias, *gate = J->ep.gate;
  if (J->split_n)
    gemm_block(J, J->m, d1 - d0, J->A, J->B + d0 * J->bcs, J->C + d0, bias ? bias + d0 : 0, gate ? gate + d0 : 0, buf);
  else
    gemm_block(J, d1 - d0, J->n, J->A + d0 * J->ars, J->B, J->C + d0 * J->ldc, bias, gate ? gate + d0 * J->ep.ldg : 0, buf);
}

/* k == 0: C = beta*C, then the epilogue. */
static void scale_only(int m, int n, float beta, float *C, long ldc, const spk_epilogue *ep) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      float v = beta == 0.f ? 0.f : beta * C[i * ldc + j];
      if (ep->bias) v += ep->bias[j];
      if (ep->relu && !(v > 0.f)) v = 0.f;
      if (ep->gate && !(ep->gate[i * ep->ldg + j] > 0.f)) v = 0.f;
      C[i * ldc + j] = v;
    }
}

int spk_gemm(int transA, int transB, int m, int n, int k, float alpha, const float *A, long lda,
              const float *B, long ldb, float beta, float *C, long ldc, const spk_epilogue *ep, int nthreads) {
  if (m <= 0 || n <= 0) return 0;
  static const spk_epilogue none = {0, 0, 0, 0};
  if (!ep) ep = &none;
  if (k <= 0 || alpha == 0.f) { scale_only(m, n, beta, C, ldc, ep); return 0; }
  gemm_job J = {
    .m = m, .n = n, .k = k, .alpha = alpha, .beta = beta,
    .A = A, .ars = transA ? 1 : lda, .acs = transA ? lda : 1,
    .B = B, .brs = transB ? 1 : ldb, .bcs = transB ? ldb : 1,
    .C = C, .ldc = ldc, .ep = *ep, .split_n = n >= m,
  };
  if ((double)m * n * k < 64.0 * 64 * 64) nthreads = 1;
  if (nthreads < 1) nthreads = 1;
  /* two chunks per thread: a thread that is scheduled late leaves its share to the others */
  int dim = J.split_n ? n : m, unit = J.split_n ? NR : MR, units = (dim + unit - 1) / unit;
  J.chunks = nthreads == 1 ? 1 : imin(2 * nthreads, units);
  int ncols = J.split_n ? (units + J.chunks - 1) / J.chunks * NR : n;
  J.per_thread = ((size_t)MC_MAX * KC_MAX + (size_t)KC_MAX * (imin(ncols, NC_MAX) + NR) + MR * NR + 15) / 16 * 16;
  J.scratch = spk_scratch(0, J.per_thread * nthreads);
  if (!J.scratch) return -1;
  spk_parallel_for(gemm_chunk, &J, J.chunks, nthreads);
  return 0;
}
