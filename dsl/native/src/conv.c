/* See conv.h. im2col copies runs of 3*c floats (2*c at an image's left and right borders). */
#include "conv.h"

void spk_im2col_rows(int h, int w, int c, const float *X, float *cols, int r0, int r1) {
  const long tap3 = 3L * c, row = 9L * c;
  for (int r = r0; r < r1; r++) {
    const int y = r % h;
    const float *image = X + (long)(r - y) * w * c;
    for (int kh = 0; kh < 3; kh++) {
      float *dst = cols + (long)r * w * row + kh * tap3;
      const int sy = y + kh - 1;
      if (sy < 0 || sy >= h) {
        for (int x = 0; x < w; x++, dst += row) __builtin_memset(dst, 0, sizeof(float) * tap3);
        continue;
      }
      const float *line = image + (long)sy * w * c;
      for (int x = 0; x < w; x++, dst += row) {
        /* pixels x-1 .. x+1 of the source line, the ones outside the image zero */
        const long lo = x == 0 ? c : 0, hi = x == w - 1 ? 2L * c : tap3;
        if (lo) __builtin_memset(dst, 0, sizeof(float) * lo);
        if (hi < tap3) __builtin_memset(dst + hi, 0, sizeof(float) * (tap3 - hi));
        if (hi > lo) __builtin_memcpy(dst + lo, line + (long)(x - 1) * c + lo, sizeof(float) * (hi - lo));
      }
    }
  }
}

void spk_maxpool_rows(int h, int w, int c, const float *X, float *out, int *argmax, int r0, int r1) {
  const int ph = h / 2, pw = w / 2;
  const long line = (long)w * c;
  for (int r = r0; r < r1; r++) {
    const int y = r % ph;
    const long top = ((long)(r - y) / ph * h + 2L * y) * line; /* image row 2y of this output row's image */
    long o = (long)r * pw * c;
    for (int x = 0; x < pw; x++) {
      const long corner = top + 2L * x * c;
      for (int ch = 0; ch < c; ch++, o++) {
        const long p0 = corner + ch, p1 = p0 + c, p2 = p0 + line, p3 = p2 + c;
        long at = X[p1] > X[p0] ? p1 : p0;
        if (X[p2] > X[at]) at = p2;
        if (X[p3] > X[at]) at = p3;
        out[o] = X[at];
        argmax[o] = (int)at;
      }
    }
  }
}

void spk_unpool(const float *dout, const int *argmax, float *dx, long o0, long o1) {
  for (long o = o0; o < o1; o++) dx[argmax[o]] = dout[o];
}
