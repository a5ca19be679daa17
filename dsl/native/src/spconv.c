/* Direct sparse 3x3 convolution (see spconv.h), "lanes = pixels": each image is copied into
 * zero-padded channel planes of (h+2) x (w+2), where the input of tap (kh, kw) for the output at
 * q = y*(w+2) + x is the plane element q + kh*(w+2) + kw. A nonzero weight is then one broadcast
 * and a run of vector FMAs over a contiguous strip of its channel's plane: no patches, and work
 * in proportion to the nonzeros. Outputs are computed on the padded-width grid (the two extra
 * columns per row are dropped); images enter the planes and outputs leave them through 8x8
 * vector transposes. Written with GCC/Clang vector extensions, so the
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

typedef int v8i __attribute__((vector_size(32)));
#define SHUFFLE __builtin_shufflevector

/* r[i][j] <- r[j][i] for an 8x8 block held in eight vectors. */
static inline void transpose8(v8 *r) {
  v8 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = SHUFFLE(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = SHUFFLE(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int i = 0; i < 8; i += 4)
    for (int j = 0; j < 2; j++) {
      u[i + j] = SHUFFLE(t[i + j], t[i + j + 2], 0, 1, 8, 9, 4, 5, 12, 13);
      u[i + j + 2] = SHUFFLE(t[i + j], t[i + j + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    }
  /* result rows i and i + 4: the low and high halves of u[order[i]] (inputs 0..3) and u[4 + order[i]] (inputs 4..7) */
  const int order[4] = {0, 2, 1, 3};
  for (int i = 0; i < 4; i++) {
    r[i] = SHUFFLE(u[order[i]], u[4 + order[i]], 0, 1, 2, 3, 8, 9, 10, 11);
    r[i + 4] = SHUFFLE(u[order[i]], u[4 + order[i]], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

/* Channel planes of one NHWC image: dst[ch*plane + y*ld + x] = image[y, x, ch]; 8 pixels by 8
   channels at a time where they fit. */
static void to_planes(const float *image, int h, int w, int c, float *dst, int ld, long plane) {
  const int c8 = c / 8 * 8;
  for (int y = 0; y < h; y++) {
    int x = 0;
    for (; x + 8 <= w && c8; x += 8)
      for (int ch = 0; ch < c8; ch += 8) {
        v8 r[8];
        for (int i = 0; i < 8; i++) r[i] = *(const v8u *)(image + ((long)y * w + x + i) * c + ch);
        transpose8(r);
        for (int i = 0; i < 8; i++) *(v8u *)(dst + (ch + i) * plane + (long)y * ld + x) = r[i];
      }
    for (int px = 0; px < w; px++)
      for (int ch = px < x ? c8 : 0; ch < c; ch++) dst[ch * plane + (long)y * ld + px] = image[((long)y * w + px) * c + ch];
  }
}

long spk_spconv_scratch_floats(int h, int w, int cin, int cout, int nnz) {
  return (long)cin * padded_plane(h, w) + SLACK + (long)cout * STRIP + STRIP + nnz;
}

/* A strip's outputs S[o*STRIP + i] to their pixels in NHWC (pixel[i], -1 for a padding column),
   with the epilogue: eight channels of eight pixels at a time, the rest one by one. */
static void store_strip(const float *S, const int *pixel, int count, int cout, float *out, const float *bias, int relu,
                        const float *gate) {
  const int c8 = cout / 8 * 8;
  const v8 zero = {0};
  for (int i0 = 0; i0 < count; i0 += 8)
    for (int o = 0; o < c8; o += 8) {
      v8 r[8];
      for (int t = 0; t < 8; t++) r[t] = *(const v8u *)(S + (long)(o + t) * STRIP + i0);
      transpose8(r);
      v8 b = zero;
      if (bias) b = *(const v8u *)(bias + o);
      for (int i = 0; i < 8 && i0 + i < count; i++) {
        if (pixel[i0 + i] < 0) continue;
        const long at = (long)pixel[i0 + i] * cout + o;
        v8 v = r[i] + b;
        if (relu) v = (v8)((v8i)v & (v > zero));
        if (gate) v = (v8)((v8i)v & (*(const v8u *)(gate + at) > zero));
        *(v8u *)(out + at) = v;
      }
    }
  for (int o = c8; o < cout; o++)
    for (int i = 0; i < count; i++) {
      if (pixel[i] < 0) continue;
      const long at = (long)pixel[i] * cout + o;
      float v = S[(long)o * STRIP + i] + (bias ? bias[o] : 0.f);
      if (relu && !(v > 0.f)) v = 0.f;
      if (gate && !(gate[at] > 0.f)) v = 0.f;
      out[at] = v;
    }
}

void spk_spconv_images(int h, int w, int cin, int cout, const int *colptr, const int *rowidx, const float *val,
                       const float *X, float *Y, const float *bias, int relu, const float *gate, int b0, int b1,
                       float *scratch) {
  const int w2 = w + 2, q_end = h * w2;
  const long plane = padded_plane(h, w), planes = (long)cin * plane;
  float *P = scratch, *S = P + planes + SLACK;
  int *pixel = (int *)(S + (long)cout * STRIP), *offset = pixel + STRIP; /* offset: of each nonzero's input in P, CSC order */
  const int nnz = colptr[cout] - colptr[0];
  for (int j = 0; j < nnz; j++) {
    const int k = rowidx[colptr[0] + j], tap = k / cin, ci = k - tap * cin;
    offset[j] = (int)(ci * plane) + (tap / 3) * w2 + tap % 3;
  }
  for (long i = 0; i < planes + SLACK; i++) P[i] = 0.f; /* borders and slack stay 0; interiors are overwritten */
  for (int b = b0; b < b1; b++) {
    to_planes(X + (long)b * h * w * cin, h, w, cin, P + w2 + 1, w2, plane);
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
        for (int i = 0; i < NV; i++) *(v8u *)(S + (long)o * STRIP + 8 * i) = a[i];
      }
      const int count = imin(STRIP, q_end - q0);
      for (int i = 0, y = q0 / w2, x = q0 - y * w2; i < count; i++) {
        pixel[i] = x < w ? b * h * w + y * w + x : -1;
        if (++x == w2) { x = 0; y++; }
      }
      store_strip(S, pixel, count, cout, Y, bias, relu, gate);
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
