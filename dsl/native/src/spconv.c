/* Direct sparse 3x3 convolution (see spconv.h), "lanes = pixels": each image is copied into
 * zero-padded channel planes of (h+2) x (w+2), where the input of tap (kh, kw) for the output at
 * q = y*(w+2) + x is the plane element q + kh*(w+2) + kw. A nonzero weight is then one broadcast
 * and a run of vector FMAs over a contiguous strip of its channel's plane: no patches, no
 * transposes, work in proportion to the nonzeros. Outputs are computed on the padded-width grid
 * (the two extra columns per row are dropped). Written with GCC/Clang vector extensions, so the
 * one source compiles to AVX2/FMA for the addon and to SIMD128 for WASM. */
#include "spconv.h"

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4), may_alias));

/* Outputs per strip: 8 AVX registers of accumulators; WASM has 16-byte vectors and V8 16 of
   them, so 32 outputs (8 registers) there. */
#ifdef __wasm__
#define STRIP 32
#else
#define STRIP 64
#endif
#define NV (STRIP / 8)
#define SLACK (STRIP + 8)

static inline int imin(int a, int b) { return a < b ? a : b; }
static inline long padded_plane(int h, int w) { return (long)(h + 2) * (w + 2); }

/* Channel planes of one NHWC image: dst[ch*plane + y*ld + x] = image[y, x, ch]. */
static void to_planes(const float *image, int h, int w, int c, float *dst, int ld, long plane) {
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      const float *px = image + ((long)y * w + x) * c;
      float *d = dst + (long)y * ld + x;
      for (int ch = 0; ch < c; ch++) d[ch * plane] = px[ch];
    }
}

long spk_spconv_scratch_floats(int h, int w, int cin, int nnz) {
  return (long)cin * padded_plane(h, w) + SLACK + STRIP + nnz;
}

void spk_spconv_images(int h, int w, int cin, int cout, const int *colptr, const int *rowidx, const float *val,
                       const float *X, float *Y, const float *bias, int relu, const float *gate, int b0, int b1,
                       float *scratch) {
  const int w2 = w + 2, q_end = h * w2;
  const long plane = padded_plane(h, w), planes = (long)cin * plane;
  float *P = scratch, *strip = P + planes + SLACK;
  int *offset = (int *)(strip + STRIP); /* of each nonzero's input in P, CSC order */
  const int nnz = colptr[cout] - colptr[0];
  for (int j = 0; j < nnz; j++) {
    const int k = rowidx[colptr[0] + j], tap = k / cin, ci = k - tap * cin;
    offset[j] = (int)(ci * plane) + (tap / 3) * w2 + tap % 3;
  }
  for (long i = 0; i < planes + SLACK; i++) P[i] = 0.f; /* borders and slack stay 0; interiors are overwritten */
  for (int b = b0; b < b1; b++) {
    to_planes(X + (long)b * h * w * cin, h, w, cin, P + w2 + 1, w2, plane);
    float *out = Y + (long)b * h * w * cout;
    const float *g = gate ? gate + (long)b * h * w * cout : 0;
    for (int q0 = 0; q0 < q_end; q0 += STRIP) {
      for (int o = 0; o < cout; o++) {
        v8 a[NV];
        for (int i = 0; i < NV; i++) a[i] = (v8){0};
        const int j1 = colptr[o + 1] - colptr[0];
        for (int j = colptr[o] - colptr[0]; j < j1; j++) {
          const float *s = P + offset[j] + q0;
          const float f = val[colptr[0] + j];
          const v8 v = {f, f, f, f, f, f, f, f};
          for (int i = 0; i < NV; i++) a[i] += v * *(const v8u *)(s + 8 * i);
        }
        for (int i = 0; i < NV; i++) *(v8u *)(strip + 8 * i) = a[i];
        /* the strip's valid outputs: runs of whole pixels within image rows (x < w) */
        const float bo = bias ? bias[o] : 0.f;
        for (int q = q0, stop = imin(q0 + STRIP, q_end); q < stop;) {
          const int y = q / w2, x = q - y * w2;
          if (x >= w) { q += w2 - x; continue; } /* padding columns */
          const int run = imin(w - x, stop - q);
          const float *src = strip + (q - q0);
          const long at = ((long)y * w + x) * cout + o;
          float *dst = out + at;
          if (relu) for (int i = 0; i < run; i++) { const float r = src[i] + bo; dst[(long)i * cout] = r > 0.f ? r : 0.f; }
          else for (int i = 0; i < run; i++) dst[(long)i * cout] = src[i] + bo;
          if (g) for (int i = 0; i < run; i++) if (!(g[at + (long)i * cout] > 0.f)) dst[(long)i * cout] = 0.f;
          q += run;
        }
      }
    }
  }
}

/* Output-gradient planes on the padded-width grid, rounded up to whole vectors. */
static inline long grid(int h, int w) { return ((long)h * (w + 2) + 7) / 8 * 8; }

long spk_spconv_grad_scratch_floats(int h, int w, int cin, int cout) {
  return (long)cin * padded_plane(h, w) + SLACK + (long)cout * grid(h, w);
}

void spk_spconv_grad_images(int h, int w, int cin, int cout, const int *rowptr, const int *colidx, const float *X,
                            const float *G, float *out, int b0, int b1, float *scratch) {
  const int w2 = w + 2, rows = 9 * cin;
  const long plane = padded_plane(h, w), planes = (long)cin * plane, q_len = grid(h, w);
  float *P = scratch, *D = P + planes + SLACK;
  /* borders, slack, padding columns and the grid's tail stay 0 */
  for (long i = 0; i < planes + SLACK + (long)cout * q_len; i++) P[i] = 0.f;
  for (int b = b0; b < b1; b++) {
    to_planes(X + (long)b * h * w * cin, h, w, cin, P + w2 + 1, w2, plane);
    to_planes(G + (long)b * h * w * cout, h, w, cout, D, w2, q_len);
    for (int k = 0; k < rows; k++) {
      const int tap = k / cin, ci = k - tap * cin;
      const float *p = P + ci * plane + (tap / 3) * w2 + tap % 3;
      for (int j = rowptr[k]; j < rowptr[k + 1]; j++) {
        const float *d = D + colidx[j] * q_len;
        v8 a = {0}, c = {0};
        long q = 0;
        for (; q + 16 <= q_len; q += 16) {
          a += *(const v8u *)(d + q) * *(const v8u *)(p + q);
          c += *(const v8u *)(d + q + 8) * *(const v8u *)(p + q + 8);
        }
        if (q < q_len) a += *(const v8u *)(d + q) * *(const v8u *)(p + q);
        a += c;
        out[j - rowptr[0]] += ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
      }
    }
  }
}
