/* N-API bindings. Compiled WITHOUT -mavx2: this file checks the CPU and refuses to call the kernels
 * (compiled with -mavx2 -mfma) when AVX2/FMA is missing. Typed arrays are passed zero-copy
 * (napi_get_typedarray_info returns the data pointer already offset by byteOffset). Every extent
 * is checked here too, so a wrong call throws instead of reading out of bounds; the contents of
 * the sparse index arrays are trusted (SparseMatrix builds them). */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "spk.h"
#include "update.h"
#include "conv.h"
#include "spconv.h"

#ifndef SPK_SOURCE_HASH
#define SPK_SOURCE_HASH 0 /* set by build.sh */
#endif

static int cpu_ok(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

typedef struct { napi_env env; napi_value *argv; int failed; } args_t;

static void fail(args_t *a, const char *msg) {
  if (!a->failed) napi_throw_range_error(a->env, "ERR_SPARSELAB_KERNEL", msg);
  a->failed = 1;
}

/* An integer argument (dimensions, leading dimensions, thread counts). */
static int64_t num(args_t *a, int i) {
  double d = 0;
  if (napi_get_value_double(a->env, a->argv[i], &d) != napi_ok || !(d >= -9e15 && d <= 9e15) || (double)(int64_t)d != d) {
    fail(a, "expected an integer");
    return 0;
  }
  return (int64_t)d;
}
static double real(args_t *a, int i) {
  double d = 0;
  if (napi_get_value_double(a->env, a->argv[i], &d) != napi_ok) fail(a, "expected a number");
  return d;
}
static int flag(args_t *a, int i) {
  bool b = false;
  if (napi_get_value_bool(a->env, a->argv[i], &b) != napi_ok) fail(a, "expected a boolean");
  return b;
}

/* A typed array of the given type with at least `need` elements; optional: null/undefined -> NULL. */
static void *array(args_t *a, int i, napi_typedarray_type want, int64_t need, int optional) {
  napi_valuetype vt;
  if (optional && napi_typeof(a->env, a->argv[i], &vt) == napi_ok && (vt == napi_null || vt == napi_undefined)) return 0;
  napi_typedarray_type type;
  size_t length = 0;
  void *data = 0;
  if (napi_get_typedarray_info(a->env, a->argv[i], &type, &length, &data, 0, 0) != napi_ok || type != want) {
    fail(a, want == napi_float32_array ? "expected a Float32Array" : "expected an Int32Array");
    return 0;
  }
  if (need > (int64_t)length) { fail(a, "typed array too short for the given dimensions"); return 0; }
  return data;
}

/* Elements a row-major [rows, cols] operand with leading dimension ld spans. */
static int64_t extent(args_t *a, int64_t rows, int64_t cols, int64_t ld) {
  if (rows < 0 || cols < 0) { fail(a, "negative dimension"); return 0; }
  if (rows == 0 || cols == 0) return 0;
  if (ld < cols) { fail(a, "leading dimension smaller than the row length"); return 0; }
  return (rows - 1) * ld + cols;
}

#define GET_ARGS(n)                                                     \
  size_t argc = n;                                                      \
  napi_value argv[n];                                                   \
  if (napi_get_cb_info(env, info, &argc, argv, 0, 0) != napi_ok) return 0; \
  if (argc < n) { napi_throw_type_error(env, 0, "too few arguments"); return 0; } \
  args_t A = {env, argv, 0};

static napi_value oom(napi_env env) {
  napi_throw_error(env, "ERR_SPARSELAB_KERNEL", "out of memory for kernel scratch buffers");
  return 0;
}

/* gemm(transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, bias?, relu, gate?, ldg, threads) */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  GET_ARGS(18)
  int tA = flag(&A, 0), tB = flag(&A, 1);
  int64_t m = num(&A, 2), n = num(&A, 3), k = num(&A, 4), lda = num(&A, 7), ldb = num(&A, 9), ldc = num(&A, 12), ldg = num(&A, 16);
  double alpha = real(&A, 5), beta = real(&A, 10);
  int64_t threads = num(&A, 17);
  if (A.failed) return 0;
  if (m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) { fail(&A, "dimension too large"); return 0; }
  int live = m > 0 && n > 0 && k > 0 && alpha != 0;
  const float *a = array(&A, 6, napi_float32_array, live ? (tA ? extent(&A, k, m, lda) : extent(&A, m, k, lda)) : 0, 0);
  const float *b = array(&A, 8, napi_float32_array, live ? (tB ? extent(&A, n, k, ldb) : extent(&A, k, n, ldb)) : 0, 0);
  float *c = array(&A, 11, napi_float32_array, extent(&A, m, n, ldc), 0);
  spk_epilogue ep = {0, flag(&A, 14), 0, ldg};
  ep.bias = array(&A, 13, napi_float32_array, n, 1);
  ep.gate = array(&A, 15, napi_float32_array, extent(&A, m, n, ldg), 1);
  if (A.failed) return 0;
  if (spk_gemm(tA, tB, (int)m, (int)n, (int)k, (float)alpha, a, lda, b, ldb, (float)beta, c, ldc, &ep, (int)threads)) return oom(env);
  return 0;
}

/* spmm(m, kin, nout, ptr, idx, val, X, ldx, Y, ldy, bias?, relu, gate?, ldg, threads) */
static napi_value js_spmm(napi_env env, napi_callback_info info) {
  GET_ARGS(15)
  int64_t m = num(&A, 0), kin = num(&A, 1), nout = num(&A, 2), ldx = num(&A, 7), ldy = num(&A, 9), ldg = num(&A, 13);
  int64_t threads = num(&A, 14);
  if (A.failed) return 0;
  if (m < 0 || kin < 0 || nout < 0 || m > INT32_MAX || kin > INT32_MAX || nout > INT32_MAX) { fail(&A, "bad dimension"); return 0; }
  const int *ptr = array(&A, 3, napi_int32_array, nout + 1, 0);
  if (A.failed) return 0;
  int64_t nnz = ptr[nout];
  const int *idx = array(&A, 4, napi_int32_array, nnz, 0);
  const float *val = array(&A, 5, napi_float32_array, nnz, 0);
  const float *x = array(&A, 6, napi_float32_array, extent(&A, m, kin, ldx), 0);
  float *y = array(&A, 8, napi_float32_array, extent(&A, m, nout, ldy), 0);
  spk_epilogue ep = {0, flag(&A, 11), 0, ldg};
  ep.bias = array(&A, 10, napi_float32_array, nout, 1);
  ep.gate = array(&A, 12, napi_float32_array, extent(&A, m, nout, ldg), 1);
  if (A.failed) return 0;
  if (spk_spmm((int)m, (int)kin, (int)nout, ptr, idx, val, x, ldx, y, ldy, &ep, (int)threads)) return oom(env);
  return 0;
}

/* sddmm(m, rows, cols, rowptr, colidx, X, ldx, G, ldg, out, threads) */
static napi_value js_sddmm(napi_env env, napi_callback_info info) {
  GET_ARGS(11)
  int64_t m = num(&A, 0), rows = num(&A, 1), cols = num(&A, 2), ldx = num(&A, 6), ldg = num(&A, 8), threads = num(&A, 10);
  if (A.failed) return 0;
  if (m < 0 || rows < 0 || cols < 0 || m > INT32_MAX || rows > INT32_MAX || cols > INT32_MAX) { fail(&A, "bad dimension"); return 0; }
  const int *rowptr = array(&A, 3, napi_int32_array, rows + 1, 0);
  if (A.failed) return 0;
  int64_t nnz = rowptr[rows];
  const int *col = array(&A, 4, napi_int32_array, nnz, 0);
  const float *x = array(&A, 5, napi_float32_array, extent(&A, m, rows, ldx), 0);
  const float *g = array(&A, 7, napi_float32_array, extent(&A, m, cols, ldg), 0);
  float *out = array(&A, 9, napi_float32_array, nnz, 0);
  if (A.failed) return 0;
  if (spk_sddmm((int)m, (int)rows, (int)cols, rowptr, col, x, ldx, g, ldg, out, (int)threads)) return oom(env);
  return 0;
}

/* im2col and max-pool: image rows split over threads, a few chunks per thread when there is
   enough to move (at least ~64K floats each). */
typedef struct {
  int pool, h, w, c, rows, chunks;
  const float *X;
  float *out;
  int *argmax;
} rows_job;

static void rows_chunk(void *ctx, int chunk, int tid) {
  (void)tid;
  const rows_job *J = ctx;
  const int r0 = (int)((long)J->rows * chunk / J->chunks), r1 = (int)((long)J->rows * (chunk + 1) / J->chunks);
  if (J->pool) spk_maxpool_rows(J->h, J->w, J->c, J->X, J->out, J->argmax, r0, r1);
  else spk_im2col_rows(J->h, J->w, J->c, J->X, J->out, r0, r1);
}

static void run_rows(rows_job *J, int64_t floats, int64_t threads) {
  J->chunks = threads > 1 && floats >= 2 * 65536 ? (int)(J->rows < 4 * threads ? J->rows : 4 * threads) : 1;
  spk_parallel_for(rows_chunk, J, J->chunks, (int)threads);
}

/* n, h, w, c of an NHWC batch (arguments 0..3); 0 after a failure. */
static int64_t batch_shape(args_t *A, int64_t *n, int64_t *h, int64_t *w, int64_t *c) {
  *n = num(A, 0); *h = num(A, 1); *w = num(A, 2); *c = num(A, 3);
  if (A->failed) return 0;
  if (*n < 0 || *h < 0 || *w < 0 || *c < 0 || *n * *h > INT32_MAX || *w > INT32_MAX || *c > INT32_MAX / 9 ||
      *n * *h * *w * *c * 9 > INT32_MAX) { fail(A, "bad dimension"); return 0; }
  return *n * *h * *w * *c;
}

/* im2col(n, h, w, c, X, cols, threads): 3x3 "same" patches, cols [n*h*w, 9*c] */
static napi_value js_im2col(napi_env env, napi_callback_info info) {
  GET_ARGS(7)
  int64_t n, h, w, c, size = batch_shape(&A, &n, &h, &w, &c), threads = num(&A, 6);
  rows_job J = {0, (int)h, (int)w, (int)c, (int)(n * h), 1, 0, 0, 0};
  J.X = array(&A, 4, napi_float32_array, size, 0);
  J.out = array(&A, 5, napi_float32_array, 9 * size, 0);
  if (A.failed || size == 0) return 0;
  run_rows(&J, 9 * size, threads);
  return 0;
}

/* maxPool(n, h, w, c, X, out, argmax, threads): 2x2, stride 2, floor */
static napi_value js_maxpool(napi_env env, napi_callback_info info) {
  GET_ARGS(8)
  int64_t n, h, w, c, size = batch_shape(&A, &n, &h, &w, &c), threads = num(&A, 7);
  const int64_t pooled = n * (h / 2) * (w / 2) * c;
  rows_job J = {1, (int)h, (int)w, (int)c, (int)(n * (h / 2)), 1, 0, 0, 0};
  J.X = array(&A, 4, napi_float32_array, size, 0);
  J.out = array(&A, 5, napi_float32_array, pooled, 0);
  J.argmax = array(&A, 6, napi_int32_array, pooled, 0);
  if (A.failed || pooled == 0) return 0;
  run_rows(&J, size, threads);
  return 0;
}

/* maxUnpool(n, h, w, c, dout, argmax, dx): dx zero but at each window's maximum, which gets dout */
static napi_value js_maxunpool(napi_env env, napi_callback_info info) {
  GET_ARGS(7)
  int64_t n, h, w, c, size = batch_shape(&A, &n, &h, &w, &c);
  const int64_t pooled = n * (h / 2) * (w / 2) * c;
  const float *dout = array(&A, 4, napi_float32_array, pooled, 0);
  const int *argmax = array(&A, 5, napi_int32_array, pooled, 0);
  float *dx = array(&A, 6, napi_float32_array, size, 0);
  if (A.failed) return 0;
  for (int64_t o = 0; o < pooled; o++) /* before writing anything */
    if (argmax[o] < 0 || argmax[o] >= size) { fail(&A, "argmax index outside the input"); return 0; }
  memset(dx, 0, sizeof(float) * size);
  spk_unpool(dout, argmax, dx, 0, pooled);
  return 0;
}

typedef struct {
  int n, h, w, cin, cout, chunks, relu;
  const int *colptr, *rowidx;
  const float *val, *X, *bias, *gate;
  float *Y, *scratch;
  long per_thread;
} spconv_job;

static void spconv_chunk(void *ctx, int c, int tid) {
  const spconv_job *J = ctx;
  const int b0 = (int)((long)J->n * c / J->chunks), b1 = (int)((long)J->n * (c + 1) / J->chunks);
  if (b1 > b0)
    spk_spconv_images(J->h, J->w, J->cin, J->cout, J->colptr, J->rowidx, J->val, J->X, J->Y, J->bias, J->relu, J->gate, b0, b1,
                      J->scratch + J->per_thread * tid);
}

/* spconv(n, h, w, cin, cout, colptr, rowidx, val, X, Y, bias?, relu, gate?, threads): sparse 3x3 "same" conv of NHWC images */
static napi_value js_spconv(napi_env env, napi_callback_info info) {
  GET_ARGS(14)
  int64_t n = num(&A, 0), h = num(&A, 1), w = num(&A, 2), cin = num(&A, 3), cout = num(&A, 4), threads = num(&A, 13);
  if (A.failed) return 0;
  if (n < 0 || h < 0 || w < 0 || cin < 0 || cout < 0 || n * h * w * (cin > cout ? cin : cout) > INT32_MAX || 9 * cin > INT32_MAX ||
      (h + 2) * (w + 2) * cin > INT32_MAX / 2) { fail(&A, "bad dimension"); return 0; }
  spconv_job J = {.n = (int)n, .h = (int)h, .w = (int)w, .cin = (int)cin, .cout = (int)cout, .chunks = 1, .relu = flag(&A, 11)};
  J.colptr = array(&A, 5, napi_int32_array, cout + 1, 0);
  if (A.failed) return 0;
  const int64_t nnz = J.colptr[cout] - J.colptr[0];
  J.rowidx = array(&A, 6, napi_int32_array, J.colptr[cout], 0);
  J.val = array(&A, 7, napi_float32_array, J.colptr[cout], 0);
  J.X = array(&A, 8, napi_float32_array, n * h * w * cin, 0);
  J.Y = array(&A, 9, napi_float32_array, n * h * w * cout, 0);
  J.bias = array(&A, 10, napi_float32_array, cout, 1);
  J.gate = array(&A, 12, napi_float32_array, n * h * w * cout, 1);
  if (A.failed || n * h * w * cout == 0) return 0;
  for (int64_t j = J.colptr[0]; j < J.colptr[cout]; j++) /* offsets into the padded planes come from these */
    if (J.rowidx[j] < 0 || J.rowidx[j] >= 9 * cin) { fail(&A, "row index outside the kernel"); return 0; }
  J.per_thread = (spk_spconv_scratch_floats((int)h, (int)w, (int)cin, (int)cout, (int)nnz) + 15) / 16 * 16;
  J.chunks = threads > 1 && n > 1 ? (int)(n < 4 * threads ? n : 4 * threads) : 1;
  const int nt = threads < 1 ? 1 : (int)threads;
  J.scratch = spk_scratch(3, (size_t)J.per_thread * nt);
  if (!J.scratch) return oom(env);
  spk_parallel_for(spconv_chunk, &J, J.chunks, nt);
  return 0;
}

/* Chunk c sums the gradient over its images into its own partial (chunk 0's is `out`), and the
   caller adds the partials: no two threads write the same output. */
typedef struct {
  int n, h, w, cin, cout, chunks;
  const int *rowptr, *colidx;
  const float *X, *G;
  float *out, *scratch, *partials; /* scratch: one region per thread; partials: chunks 1.. */
  long nnz, per_thread;
} spconv_grad_job;

static void spconv_grad_chunk(void *ctx, int c, int tid) {
  const spconv_grad_job *J = ctx;
  const int b0 = (int)((long)J->n * c / J->chunks), b1 = (int)((long)J->n * (c + 1) / J->chunks);
  float *partial = c == 0 ? J->out : J->partials + J->nnz * (c - 1);
  memset(partial, 0, sizeof(float) * J->nnz);
  spk_spconv_grad_images(J->h, J->w, J->cin, J->cout, J->rowptr, J->colidx, J->X, J->G, partial, b0, b1,
                         J->scratch + J->per_thread * tid);
}

/* spconvGrad(n, h, w, cin, cout, rowptr, colidx, X, G, out, threads): spconv's kernel gradient at its nonzeros (CSR order) */
static napi_value js_spconv_grad(napi_env env, napi_callback_info info) {
  GET_ARGS(11)
  int64_t n = num(&A, 0), h = num(&A, 1), w = num(&A, 2), cin = num(&A, 3), cout = num(&A, 4), threads = num(&A, 10);
  if (A.failed) return 0;
  if (n < 1 || h < 0 || w < 0 || cin < 0 || cout < 0 || n * h * w * (cin > cout ? cin : cout) > INT32_MAX ||
      (h + 2) * (w + 2) * (cin + cout) > INT32_MAX / 2) { fail(&A, "bad dimension"); return 0; }
  spconv_grad_job J = {.n = (int)n, .h = (int)h, .w = (int)w, .cin = (int)cin, .cout = (int)cout};
  J.rowptr = array(&A, 5, napi_int32_array, 9 * cin + 1, 0);
  if (A.failed) return 0;
  J.nnz = J.rowptr[9 * cin] - J.rowptr[0];
  J.colidx = array(&A, 6, napi_int32_array, J.rowptr[9 * cin], 0);
  J.X = array(&A, 7, napi_float32_array, n * h * w * cin, 0);
  J.G = array(&A, 8, napi_float32_array, n * h * w * cout, 0);
  J.out = array(&A, 9, napi_float32_array, J.nnz, 0);
  if (A.failed || J.nnz <= 0) return 0;
  for (int64_t j = J.rowptr[0]; j < J.rowptr[9 * cin]; j++)
    if (J.colidx[j] < 0 || J.colidx[j] >= cout) { fail(&A, "column index outside the kernel"); return 0; }
  const int nt = threads < 1 ? 1 : (int)threads;
  J.chunks = (int)(n < nt ? n : nt);
  J.per_thread = (spk_spconv_grad_scratch_floats((int)h, (int)w, (int)cin, (int)cout) + 15) / 16 * 16;
  /* after every thread's region (any thread may run any chunk), not after the first `chunks` of them */
  J.scratch = spk_scratch(3, (size_t)J.per_thread * nt + (size_t)J.nnz * (J.chunks - 1));
  if (!J.scratch) return oom(env);
  J.partials = J.scratch + (size_t)J.per_thread * nt;
  spk_parallel_for(spconv_grad_chunk, &J, J.chunks, nt);
  for (int c = 1; c < J.chunks; c++)
    for (long j = 0; j < J.nnz; j++) J.out[j] += J.partials[J.nnz * (c - 1) + j];
  return 0;
}

typedef struct {
  int kind, nesterov, decoupled, compact;
  float lr, a, b, eps, wd, c1, c2;
  long n, count;
  const int *index;
  float *w, *s0, *s1, *values;
  const float *g;
  int chunks;
  volatile int failed;
} update_job;

static void update_chunk(void *ctx, int c, int tid) {
  (void)tid;
  update_job *J = ctx;
  long j0 = J->count * c / J->chunks, j1 = J->count * (c + 1) / J->chunks;
  int rc;
  if (J->index)
    rc = spk_update(J->kind, J->nesterov, J->decoupled, J->lr, J->a, J->b, J->eps, J->wd, J->c1, J->c2, J->n, j1 - j0,
                    J->index + j0, J->compact, J->w, J->compact ? J->g + j0 : J->g, J->s0, J->s1, J->values ? J->values + j0 : 0);
  else
    rc = spk_update(J->kind, J->nesterov, J->decoupled, J->lr, J->a, J->b, J->eps, J->wd, J->c1, J->c2, J->n - j0, j1 - j0,
                    0, 0, J->w + j0, J->g + j0, J->s0 ? J->s0 + j0 : 0, J->s1 ? J->s1 + j0 : 0, J->values ? J->values + j0 : 0);
  if (rc) J->failed = 1;
}

/* update(kind, nesterov, decoupled, lr, a, b, eps, wd, c1, c2, index?, count, compact, w, g, s0?, s1?, values?, threads) */
static napi_value js_update(napi_env env, napi_callback_info info) {
  GET_ARGS(19)
  update_job J = {0};
  J.kind = (int)num(&A, 0);
  J.nesterov = flag(&A, 1);
  J.decoupled = flag(&A, 2);
  J.lr = (float)real(&A, 3); J.a = (float)real(&A, 4); J.b = (float)real(&A, 5); J.eps = (float)real(&A, 6);
  J.wd = (float)real(&A, 7); J.c1 = (float)real(&A, 8); J.c2 = (float)real(&A, 9);
  J.count = num(&A, 11);
  J.compact = flag(&A, 12);
  int64_t threads = num(&A, 18);
  if (A.failed) return 0;
  if (J.kind != SPK_SGD && J.kind != SPK_ADAM) { fail(&A, "unknown update kind"); return 0; }
  size_t n = 0;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, argv[13], &type, &n, 0, 0, 0) != napi_ok || type != napi_float32_array) { fail(&A, "expected a Float32Array"); return 0; }
  J.n = (long)n;
  J.index = array(&A, 10, napi_int32_array, J.count, 1);
  if (J.count < 0 || (!J.index && J.count > J.n)) { fail(&A, "count out of range"); return 0; }
  J.w = array(&A, 13, napi_float32_array, J.n, 0);
  J.g = array(&A, 14, napi_float32_array, J.index && !J.compact ? J.n : J.count, 0);
  int slots = J.kind == SPK_ADAM ? 2 : J.a != 0.f ? 1 : 0;
  J.s0 = array(&A, 15, napi_float32_array, J.n, slots < 1);
  J.s1 = array(&A, 16, napi_float32_array, J.n, slots < 2);
  J.values = array(&A, 17, napi_float32_array, J.count, 1);
  if (A.failed) return 0;
  if ((slots >= 1 && !J.s0) || (slots >= 2 && !J.s1)) { fail(&A, "missing optimizer slots"); return 0; }
  if (J.index) /* all indices before any chunk runs: an error leaves nothing half-updated */
    for (long j = 0; j < J.count; j++)
      if (J.index[j] < 0 || J.index[j] >= J.n) { fail(&A, "index outside the parameter"); return 0; }
  J.chunks = J.count >= 65536 && threads > 1 ? (int)(J.count / 32768) : 1;
  spk_parallel_for(update_chunk, &J, J.chunks, (int)threads);
  if (J.failed) { fail(&A, "index outside the parameter"); return 0; }
  return 0;
}

static napi_value unsupported(napi_env env, napi_callback_info info) {
  (void)info;
  napi_throw_error(env, "ERR_SPARSELAB_KERNEL", "this CPU lacks AVX2/FMA: the native kernels are disabled");
  return 0;
}

NAPI_MODULE_INIT() {
  int ok = cpu_ok();
  napi_value supported, max_threads, version, source;
  napi_get_boolean(env, ok, &supported);
  napi_create_int32(env, spk_max_threads(), &max_threads);
  napi_create_int32(env, 3, &version);
  napi_create_uint32(env, SPK_SOURCE_HASH, &source);
  napi_property_descriptor props[] = {
    {"gemm", 0, ok ? js_gemm : unsupported, 0, 0, 0, napi_enumerable, 0},
    {"spmm", 0, ok ? js_spmm : unsupported, 0, 0, 0, napi_enumerable, 0},
    {"sddmm", 0, ok ? js_sddmm : unsupported, 0, 0, 0, napi_enumerable, 0},
    {"update", 0, ok ? js_update : unsupported, 0, 0, 0, napi_enumerable, 0},
    {"im2col", 0, ok ? js_im2col : unsupported, 0, 0, 0, napi_enumerable, 0},
    {"maxPool", 0, ok ? js_maxpool : unsupported, 0, 0, 0, napi_enumerable, 0},
    {"maxUnpool", 0, ok ? js_maxunpool : unsupported, 0, 0, 0, napi_enumerable, 0},
    {"spconv", 0, ok ? js_spconv : unsupported, 0, 0, 0, napi_enumerable, 0},
    {"spconvGrad", 0, ok ? js_spconv_grad : unsupported, 0, 0, 0, napi_enumerable, 0},
    {"supported", 0, 0, 0, 0, supported, napi_enumerable, 0},
    {"maxThreads", 0, 0, 0, 0, max_threads, napi_enumerable, 0},
    {"version", 0, 0, 0, 0, version, napi_enumerable, 0},
    {"sourceHash", 0, 0, 0, 0, source, napi_enumerable, 0},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
