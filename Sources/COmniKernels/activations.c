// Elementwise activations of the DiT MLP and the VAE blocks, forward and backward, in the Swift loops' order
// of operations (so each element's bits equal `fastSigmoid`-based scalar code).
#include "omni_kernels.h"
#include "exp16.h"

static const float gelu_c2 = 2 * 0.79788456080286536f, gelu_k = 0.044715f;

OMNI_LEVELS void omni_gelu_tanh(const float *x, float *y, long n) {
    f16v v, s;
    for (long i = 0; i < n; i += 16) {
        long k = n - i;
        omni_load16(&v, x + i, k, 0.0f);
        s = gelu_c2 * (v + gelu_k * v * v * v);
        omni_sigmoid16(&s);
        s = v * s;
        omni_store16(y + i, k, &s);
    }
}

OMNI_LEVELS void omni_gelu_tanh_backward(const float *x, const float *g, float *gx, long n) {
    f16v v, s, gv, acc;
    for (long i = 0; i < n; i += 16) {
        long k = n - i;
        omni_load16(&v, x + i, k, 0.0f);
        omni_load16(&gv, g + i, k, 0.0f);
        omni_load16(&acc, gx + i, k, 0.0f);
        s = gelu_c2 * (v + gelu_k * v * v * v);
        omni_sigmoid16(&s);
        acc += gv * (s + v * s * (1.0f - s) * gelu_c2 * (1.0f + 3.0f * gelu_k * v * v));
        omni_store16(gx + i, k, &acc);
    }
}

OMNI_LEVELS void omni_silu(const float *x, float *y, long n) {
    f16v v, s;
    for (long i = 0; i < n; i += 16) {
        long k = n - i;
        omni_load16(&v, x + i, k, 0.0f);
        s = v;
        omni_sigmoid16(&s);
        s = v * s;
        omni_store16(y + i, k, &s);
    }
}

OMNI_LEVELS void omni_silu_backward(const float *x, const float *g, float *gx, long n) {
    f16v v, s, gv, acc;
    for (long i = 0; i < n; i += 16) {
        long k = n - i;
        omni_load16(&v, x + i, k, 0.0f);
        omni_load16(&gv, g + i, k, 0.0f);
        omni_load16(&acc, gx + i, k, 0.0f);
        s = v;
        omni_sigmoid16(&s);
        acc += gv * s * (1.0f + v * (1.0f - s));  // (g·s)·(1 + x(1 − s))
        omni_store16(gx + i, k, &acc);
    }
}
