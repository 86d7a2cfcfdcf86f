// The attention softmax rows (forward and the backward's probability recomputation).
#include "omni_kernels.h"
#include "exp16.h"
#include <math.h>

OMNI_LEVELS void omni_softmax_row(float *s, long n, const float *bias, float *log_sum_exp, float *inverse_sum) {
    f16v m = -INFINITY, x, b;
    for (long i = 0; i < n; i += 16) {
        long k = n - i;
        omni_load16(&x, s + i, k, -INFINITY);
        if (bias) { omni_load16(&b, bias + i, k, 0.0f); x += b; omni_store16(s + i, k, &x); }
        m = x > m ? x : m;
    }
    float mx = omni_lane_max(&m);
    if (mx == -INFINITY) {
        memset(s, 0, (size_t)n * sizeof(float));
        *log_sum_exp = -INFINITY; *inverse_sum = 0;
        return;
    }
    f16v sum = 0;
    for (long i = 0; i < n; i += 16) {
        long k = n - i;
        omni_load16(&x, s + i, k, -INFINITY);
        x -= mx;
        omni_exp16(&x);  // padding lanes: exp(−∞) = 0
        omni_store16(s + i, k, &x);
        sum += x;
    }
    float total = omni_lane_sum(&sum);
    *log_sum_exp = mx + logf(total);
    *inverse_sum = 1.0f / total;
}

OMNI_LEVELS void omni_probability_row(float *s, long n, const float *bias, float log_sum_exp) {
    if (log_sum_exp == -INFINITY) { memset(s, 0, (size_t)n * sizeof(float)); return; }
    f16v x, b;
    for (long i = 0; i < n; i += 16) {
        long k = n - i;
        omni_load16(&x, s + i, k, 0.0f);
        if (bias) { omni_load16(&b, bias + i, k, 0.0f); x += b; }
        x -= log_sum_exp;
        omni_exp16(&x);
        omni_store16(s + i, k, &x);
    }
}
