// The 16-lane exp and sigmoid shared by the kernels: the Cephes expf polynomial of OmniTensor's `fastExp`
// (Swift), operation for operation, so a lane gives the same bits as the scalar function.
#ifndef OMNI_EXP16_H
#define OMNI_EXP16_H
#include <stdint.h>
#include <string.h>

typedef float f16v __attribute__((ext_vector_type(16)));
typedef int32_t i16v __attribute__((ext_vector_type(16)));

#if defined(__x86_64__) && defined(__linux__)
#define OMNI_LEVELS __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define OMNI_LEVELS
#endif
#define OMNI_INLINE static inline __attribute__((always_inline))

// Vectors pass by pointer: a 64-byte vector by value has a different ABI on each level.
OMNI_INLINE void omni_exp16(f16v *v) {
    f16v x = *v;
    f16v a = x < -88.0f ? (f16v)(-88.0f) : x;
    f16v xc = a > 88.0f ? (f16v)88.0f : a;
    const float magic = 12582912.0f;  // 1.5·2²³: round to nearest integer in the low mantissa bits
    f16v t = xc * 1.44269504088896341f + magic;
    f16v n = t - magic;
    f16v r = xc - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    f16v z = r * r;
    f16v p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * z + r + 1.0f;
    // At the clamp −88, n = −127 and the scale 2ⁿ is the bit pattern 0: exactly 0.
    i16v e = (((i16v)t - (i16v)0x4B400000) + 127) << 23;
    *v = p * (f16v)e;
}

/// 1 / (1 + e⁻ˣ), as `fastSigmoid`.
OMNI_INLINE void omni_sigmoid16(f16v *v) {
    f16v e = -*v;
    omni_exp16(&e);
    *v = 1.0f / (1.0f + e);
}

/// `*v` ← `count` floats from p (all 16 when count ≥ 16), the other lanes `fill`.
OMNI_INLINE void omni_load16(f16v *v, const float *p, long count, float fill) {
    if (count >= 16) { memcpy(v, p, 64); return; }
    *v = fill;
    for (long i = 0; i < count; i++) (*v)[i] = p[i];
}

OMNI_INLINE void omni_store16(float *p, long count, const f16v *v) {
    if (count >= 16) { memcpy(p, v, 64); return; }
    for (long i = 0; i < count; i++) p[i] = (*v)[i];
}

/// The 16 lanes summed in a fixed tree.
OMNI_INLINE float omni_lane_sum(const f16v *v) {
    typedef float f8v __attribute__((ext_vector_type(8)));
    f8v h = v->lo + v->hi;
    return ((h[0] + h[4]) + (h[2] + h[6])) + ((h[1] + h[5]) + (h[3] + h[7]));
}

OMNI_INLINE float omni_lane_max(const f16v *v) {
    float m = (*v)[0];
    for (int i = 1; i < 16; i++) m = (*v)[i] > m ? (*v)[i] : m;
    return m;
}
#endif
