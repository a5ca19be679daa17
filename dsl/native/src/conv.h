/* The data movement of a ConvNet on NHWC images: im2col for 3x3 "same" convolutions and 2x2
   max-pooling. Shared by the addon (through addon.c, which splits the rows over threads) and the
   WASM build (wasm/kernels.c); plain C, the work is copies and compares. */
#ifndef SPK_CONV_H
#define SPK_CONV_H
/* Patches of a 3x3 "same" convolution (stride 1, zero padding) on images of h x w x c, for the
   image rows r in [r0, r1) of the batch (r = image * h + y): cols row (r, x) is the 3x3
   neighbourhood of pixel (y, x) in (kh, kw, channel) order, 9*c floats, the row-major order of a
   [3, 3, c, cout] kernel. */
void spk_im2col_rows(int h, int w, int c, const float *X, float *cols, int r0, int r1);
/* 2x2 max-pool, stride 2, floor, for the output rows r in [r0, r1) (r = image * (h/2) + y):
   out [., h/2, w/2, c] and argmax, the index in X of each maximum (the first of equal ones). */
void spk_maxpool_rows(int h, int w, int c, const float *X, float *out, int *argmax, int r0, int r1);
/* The pool's backward pass for outputs [o0, o1): dx[argmax[o]] = dout[o] (dx zeroed by the caller). */
void spk_unpool(const float *dout, const int *argmax, float *dx, long o0, long o1);
#endif
