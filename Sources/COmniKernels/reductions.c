// Row reductions of the normalisations.
#include "omni_kernels.h"
#include "exp16.h"

OMNI_LEVELS float omni_sum(const float *x, long n) {
    f16v a = 0, v;
    for (long i = 0; i < n; i += 16) { omni_load16(&v, x + i, n - i, 0.0f); a += v; }
    return omni_lane_sum(&a);
}

OMNI_LEVELS float omni_sum_squared_deviations(const float *x, long n, float c) {
    f16v a = 0, d;
    for (long i = 0; i < n; i += 16) {
        omni_load16(&d, x + i, n - i, c);  // padding lanes: c − c = 0
        d -= c;
        a += d * d;
    }
    return omni_lane_sum(&a);
}
