/* Shared by the addon (update.c via addon.c) and the WASM build (wasm/kernels.c). */
#ifndef SPK_UPDATE_H
#define SPK_UPDATE_H
#define SPK_SGD 0
#define SPK_ADAM 1
/* a = momentum (SGD) or beta1, b = beta2; c1, c2 = Adam's bias corrections 1 - beta^t. */
int spk_update(int kind, int nesterov, int decoupled, float lr, float a, float b, float eps, float wd, float c1, float c2,
               long n, long count, const int *index, int compact, float *w, const float *g, float *s0, float *s1, float *values);
#endif
