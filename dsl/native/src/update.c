/* Optimizer updates in place (the rules of dsl/src/train/optimizers.ts), fp32. Compiled for AVX2
 * (and, through ../wasm/kernels.c, for WASM SIMD): the unindexed loops are simple enough for the
 * compiler to vectorize; the indexed ones (kept weights of a masked tensor) are scalar.
 *
 *   SGD:  grad = g + wd*w;  v = mu*v + grad;  u = nesterov ? grad + mu*v : v  (u = grad if mu == 0)
 *   Adam: grad = g + l2*w;  m = b1*m + (1-b1)*grad;  v = b2*v + (1-b2)*grad^2;
 *         u = (m/c1) / (sqrt(v/c2) + eps) + decoupled*w    (c1 = 1-b1^t, c2 = 1-b2^t)
 *   w -= lr*u
 *
 * For j < count: i = index ? index[j] : j; the gradient is g[compact ? j : i]; values[j] = new w[i].
 * Returns -1, before changing anything, when an index is outside [0, n). */
#include "update.h"

#define LOOP(...)                                                           \
  if (!index) {                                                             \
    for (long j = 0; j < count; j++) { const long i = j; const float gj = g[j]; __VA_ARGS__ } \
    if (values) for (long j = 0; j < count; j++) values[j] = w[j];         \
  } else {                                                                  \
    for (long j = 0; j < count; j++) {                                      \
      const long i = index[j];                                              \
      const float gj = g[compact ? j : i];                                  \
      __VA_ARGS__                                                                \
      if (values) values[j] = w[i];                                         \
    }                                                                       \
  }

int spk_update(int kind, int nesterov, int decoupled, float lr, float a, float b, float eps, float wd, float c1, float c2,
               long n, long count, const int *restrict index, int compact, float *restrict w, const float *restrict g,
               float *restrict s0, float *restrict s1, float *restrict values) {
  if (index) /* every index first: an error must not leave a partial update behind */
    for (long j = 0; j < count; j++)
      if (index[j] < 0 || index[j] >= n) return -1;
  if (kind == SPK_SGD) {
    const float mu = a;
    if (mu == 0.f) {
      LOOP({ w[i] -= lr * (gj + wd * w[i]); })
    } else if (!nesterov) {
      LOOP({ const float grad = gj + wd * w[i]; const float v = mu * s0[i] + grad; s0[i] = v; w[i] -= lr * v; })
    } else {
      LOOP({ const float grad = gj + wd * w[i]; const float v = mu * s0[i] + grad; s0[i] = v; w[i] -= lr * (grad + mu * v); })
    }
    return 0;
  }
  const float b1 = a, b2 = b, l2 = decoupled ? 0.f : wd, dec = decoupled ? wd : 0.f;
  LOOP({
    const float wi = w[i], grad = gj + l2 * wi;
    const float m = b1 * s0[i] + (1.f - b1) * grad, v = b2 * s1[i] + (1.f - b2) * grad * grad;
    s0[i] = m;
    s1[i] = v;
    w[i] = wi - lr * ((m / c1) / (__builtin_sqrtf(v / c2) + eps) + dec * wi);
  })
  return 0;
}
