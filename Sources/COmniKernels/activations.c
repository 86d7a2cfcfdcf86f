// Elementwise activations of the DiT MLP and the VAE blocks, forward and backward, in the Swift loops' order
// of operations (so each element's bits equal `fastSigmoid`-based scalar code).
#include "omni_kernels.h"
#include "exp16.h"

static const float gelu_c2 = 2 * 0.79788456080286536f, gelu_k = 0.044715f;

/// y = f(x), 16 lanes at a time (f inlined into each level's loop).
OMNI_INLINE void map16(const float *x, float *y, long n, void (*f)(f16v *)) {
    f16v v;
    for (long i = 0; i < n; i += 16) {
        omni_load16(&v, x + i, n - i, 0.0f);
        f(&v);
        omni_store16(y + i, n - i, &v);
    }
}

/// gx += g · f′(x), with `df(&acc, &x, &g)` doing the accumulation.
OMNI_INLINE void accumulate16(const float *x, const float *g, float *gx, long n, void (*df)(f16v *, const f16v *, const f16v *)) {
    f16v v, gv, acc;
    for (long i = 0; i < n; i += 16) {
        long k = n - i;
        omni_load16(&v, x + i, k, 0.0f);
        omni_load16(&gv, g + i, k, 0.0f);
        omni_load16(&acc, gx + i, k, 0.0f);
        df(&acc, &v, &gv);
        omni_store16(gx + i, k, &acc);
    }
}

OMNI_INLINE void gelu16(f16v *io) {
    f16v v = *io, s = gelu_c2 * (v + gelu_k * v * v * v);
    omni_sigmoid16(&s);
    *io = v * s;
}

OMNI_INLINE void gelu_grad16(f16v *acc, const f16v *x, const f16v *g) {
    f16v v = *x, s = gelu_c2 * (v + gelu_k * v * v * v);
    omni_sigmoid16(&s);
    *acc += *g * (s + v * s * (1.0f - s) * gelu_c2 * (1.0f + 3.0f * gelu_k * v * v));
}

OMNI_INLINE void silu16(f16v *io) {
    f16v s = *io;
    omni_sigmoid16(&s);
    *io = *io * s;
}

OMNI_INLINE void silu_grad16(f16v *acc, const f16v *x, const f16v *g) {
    f16v v = *x, s = v;
    omni_sigmoid16(&s);
    *acc += *g * s * (1.0f + v * (1.0f - s));  // (g·s)·(1 + x(1 − s))
}

OMNI_LEVELS void omni_gelu_tanh(const float *x, float *y, long n) { map16(x, y, n, gelu16); }
OMNI_LEVELS void omni_gelu_tanh_backward(const float *x, const float *g, float *gx, long n) { accumulate16(x, g, gx, n, gelu_grad16); }
OMNI_LEVELS void omni_silu(const float *x, float *y, long n) { map16(x, y, n, silu16); }
OMNI_LEVELS void omni_silu_backward(const float *x, const float *g, float *gx, long n) { accumulate16(x, g, gx, n, silu_grad16); }
