/* Shared by the addon (spconv.c via addon.c) and the WASM build. */
#ifndef SPK_SPCONV_H
#define SPK_SPCONV_H
/* Floats of one thread's scratch for spk_spconv_images (padded planes, a strip, nnz offsets). */
long spk_spconv_scratch_floats(int h, int w, int cin, int cout, int nnz);
/* A sparse 3x3 "same" convolution, directly on the images b in [b0, b1) of an NHWC batch:
   Y[b, y, x, o] = sum over the nonzeros (k, o) of W [9*cin, cout] (its CSC: colptr, rowidx, val;
   k = (kh*3 + kw)*cin + ci) of W[k, o] * X[b, y+kh-1, x+kw-1, ci] (0 outside the image), then
   + bias[o], ReLU, and zero where gate[b, y, x, o] <= 0 (each optional: NULL / 0). */
void spk_spconv_images(int h, int w, int cin, int cout, const int *colptr, const int *rowidx, const float *val,
                       const float *X, float *Y, const float *bias, int relu, const float *gate, int b0, int b1,
                       float *scratch);
/* Floats of one thread's scratch for spk_spconv_grad_images. */
long spk_spconv_grad_scratch_floats(int h, int w, int cin, int cout);
/* The gradient of that convolution's kernel at its nonzeros, summed over the images b in [b0, b1):
   out[j - rowptr[0]] += sum over b, y, x of G[b, y, x, o] * X[b, y+kh-1, x+kw-1, ci] for each
   nonzero j = (k, o) of the kernel's CSR (rowptr, colidx over [9*cin, cout]). */
void spk_spconv_grad_images(int h, int w, int cin, int cout, const int *rowptr, const int *colidx, const float *X,
                            const float *G, float *out, int b0, int b1, float *scratch);
#endif
