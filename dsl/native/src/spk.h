/* sparselab native kernels: shared declarations.
 *
 * Layout conventions (all row-major, fp32, leading dimensions in elements):
 *   gemm   C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, then the epilogue.
 *   spmm   Y[i,o] = sum_{j in ptr[o]..ptr[o+1]} val[j] * X[i, idx[j]], then the epilogue.
 *          With a weight W[rows,cols] this is Y = X*W when (ptr, idx, val) is W's CSC,
 *          and Y = X*W^T when it is W's CSR ("lanes = batch": vectors run along the batch).
 *   sddmm  out[j] = sum_i X[i, r(j)] * G[i, col[j]] for every nonzero j = (r(j), col[j]) of a CSR.
 * Epilogue, in this order: v += bias[col]; v = max(v, 0) if relu; v = gate[row, col] > 0 ? v : 0.
 *
 * The kernel files (gemm.c, sparse.c, update.c) are compiled with -mavx2 -mfma; addon.c and
 * pool.c are not, and addon.c checks the CPU before anything calls into the kernels.
 */
#ifndef SPK_H
#define SPK_H
#include <stddef.h>

typedef struct {
  const float *bias; /* length n (per output column) or NULL */
  int relu;
  const float *gate; /* same shape as the output, leading dimension ldg, or NULL */
  long ldg;
} spk_epilogue;

/* The kernels return 0, or -1 when their scratch memory could not be allocated. nthreads is an
   upper bound: small problems run on the calling thread. */
int spk_gemm(int transA, int transB, int m, int n, int k, float alpha, const float *A, long lda,
             const float *B, long ldb, float beta, float *C, long ldc, const spk_epilogue *ep, int nthreads);

int spk_spmm(int m, int kin, int nout, const int *ptr, const int *idx, const float *val, const float *X, long ldx,
             float *Y, long ldy, const spk_epilogue *ep, int nthreads);

int spk_sddmm(int m, int rows, int cols, const int *rowptr, const int *colidx, const float *X, long ldx,
              const float *G, long ldg, float *out, int nthreads);

/* Thread pool (pool.c): runs fn(ctx, chunk, tid) for chunk = 0..chunks-1 on up to nthreads
   threads (tid 0 is the calling thread, tid < nthreads) and returns when all are done. Chunks are
   claimed dynamically; when the pool is busy (another JS thread) the caller runs them all. */
typedef void (*spk_chunk_fn)(void *ctx, int chunk, int tid);
void spk_parallel_for(spk_chunk_fn fn, void *ctx, int chunks, int nthreads);
int spk_max_threads(void);

/* Per-thread scratch (pool.c): slot 0..SPK_SCRATCH_SLOTS-1, 64-byte aligned, grown on demand,
   freed when the thread exits. NULL when out of memory. */
#define SPK_SCRATCH_SLOTS 4
float *spk_scratch(int slot, size_t floats);

#endif
