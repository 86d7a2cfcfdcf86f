// Direct rows: the VAE's convolutions without a GEMM in between — and, as one-tap products, inference's linear
// layers and attention products.
//
// Why: at 16–64 channels, GEMMs over per-tap planes (K = Cin) or gathered frames spend much of their time
// packing and re-reading accumulators, and OpenBLAS may be held to AVX2 kernels (`OPENBLAS_CORETYPE`) on a
// CPU with AVX-512. Here the accumulators of a tile of output positions stay in registers across a tap's
// Cin multiply-adds, weights stream from L1, and each CPU level gets its own register tiling. Why and where
// it is used: docs/ARCHITECTURE.md §12.
//
// Every output element is computed from its start (bias, zero, or the output itself when accumulating), then
// one fused multiply-add per (tap, input channel) in that order, on both levels and whatever the tiling: the
// two levels give the same bits.
#include "omni_kernels.h"
#include "exp16.h"

#if defined(__x86_64__)
#define OMNI_TARGET_V4 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,bmi,bmi2,f16c")))
#define OMNI_TARGET_V3 __attribute__((target("avx2,fma,bmi,bmi2,f16c")))
#else
#define OMNI_TARGET_V4
#define OMNI_TARGET_V3
#endif

/// Output positions per chunk: the accumulators of one chunk (positions × ≤ 64 channels) stay in L1.
#define CHUNK 64

/// acc[r·astride + 16v …] += Σᵢ x[r·lda + i] · w[i·ldw + 16v …] for R positions and NV vectors of 16
/// channels, i < cin ascending. Inlined into each level's driver, where R and NV are constants.
OMNI_INLINE void tile(const float *x, long lda, long cin, const float *w, long ldw, float *acc, long astride, int R, int NV) {
    f16v a[16][4];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) memcpy(&a[r][v], acc + r * astride + 16 * v, 64);
    for (long i = 0; i < cin; i++) {
        f16v wv[4];
        for (int v = 0; v < NV; v++) memcpy(&wv[v], w + i * ldw + 16 * v, 64);
        for (int r = 0; r < R; r++) {
            f16v xb = (f16v)(x[r * lda + i]);
            for (int v = 0; v < NV; v++) a[r][v] = __builtin_elementwise_fma(xb, wv[v], a[r][v]);
        }
    }
    for (int r = 0; r < R; r++)
        for (int v = 0; v < NV; v++) memcpy(acc + r * astride + 16 * v, &a[r][v], 64);
}

/// One tap over `n` positions of a chunk: tiles of R positions, the rest one position at a time.
OMNI_INLINE void tap(const float *x, long lda, long cin, const float *w, long ldw, float *acc, long gw, long n, int R, int NV) {
    long p = 0;
    for (; p + R <= n; p += R) tile(x + p * lda, lda, cin, w, ldw, acc + p * gw, gw, R, NV);
    for (; p < n; p++) tile(x + p * lda, lda, cin, w, ldw, acc + p * gw, gw, 1, NV);
}

// Register tiles: AVX-512 has 32 vector registers of 16 floats (accumulators R·NV ≤ 16, plus NV weights);
// AVX2 has 16 of 8 floats, so a 16-float vector takes two (R·NV ≤ 4, groups of at most 32 channels).
// The switch over constant tile sizes lets each case inline with constant R.
#define DISPATCH_TAP(R_EXPR, NV)                                                                          \
    switch (R_EXPR) {                                                                                     \
    case 8: tap(x, lda, cin, w, ldw, acc, gw, n, 8, NV); break;                                           \
    case 4: tap(x, lda, cin, w, ldw, acc, gw, n, 4, NV); break;                                           \
    case 2: tap(x, lda, cin, w, ldw, acc, gw, n, 2, NV); break;                                           \
    default: tap(x, lda, cin, w, ldw, acc, gw, n, 1, NV); break;                                          \
    }

/// The driver shared by both levels: channel groups of `group` floats (a multiple of 16), chunks of positions,
/// taps, tiles. `tiles[nv]` is the positions per tile for a group of nv vectors.
OMNI_INLINE void conv_row(const float *in, long lda, long cin, const long *offsets, long taps, const float *weight,
                          long ldw, const float *bias, long cout, float *out, long ldo, long width, int accumulate,
                          long group, const int *tiles) {
    float acc[CHUNK * 64] __attribute__((aligned(64)));
    long columns = (cout + 15) / 16 * 16;
    for (long g0 = 0; g0 < columns; g0 += group) {
        long gw = columns - g0 < group ? columns - g0 : group;
        long kept = cout - g0 < gw ? cout - g0 : gw;
        int nv = (int)(gw / 16);
        for (long p0 = 0; p0 < width; p0 += CHUNK) {
            long n = width - p0 < CHUNK ? width - p0 : CHUNK;
            for (long p = 0; p < n; p++)
                for (long c = 0; c < gw; c++)
                    acc[p * gw + c] = c >= kept ? 0.0f : accumulate ? out[(p0 + p) * ldo + g0 + c] : bias ? bias[g0 + c] : 0.0f;
            for (long k = 0; k < taps; k++) {
                const float *x = in + (p0 + offsets[k]) * lda;
                const float *w = weight + k * cin * ldw + g0;
                switch (nv) {
                case 1: DISPATCH_TAP(tiles[1], 1); break;
                case 2: DISPATCH_TAP(tiles[2], 2); break;
                case 3: DISPATCH_TAP(tiles[3], 3); break;
                default: DISPATCH_TAP(tiles[4], 4); break;
                }
            }
            for (long p = 0; p < n; p++) memcpy(out + (p0 + p) * ldo + g0, acc + p * gw, (size_t)kept * sizeof(float));
        }
    }
}

OMNI_TARGET_V4 static void conv_row_v4(const float *in, long lda, long cin, const long *offsets, long taps,
                                       const float *weight, long ldw, const float *bias, long cout, float *out,
                                       long ldo, long width, int accumulate) {
    static const int tiles[5] = {0, 8, 8, 4, 4};
    conv_row(in, lda, cin, offsets, taps, weight, ldw, bias, cout, out, ldo, width, accumulate, 64, tiles);
}

OMNI_TARGET_V3 static void conv_row_v3(const float *in, long lda, long cin, const long *offsets, long taps,
                                       const float *weight, long ldw, const float *bias, long cout, float *out,
                                       long ldo, long width, int accumulate) {
    static const int tiles[5] = {0, 4, 2, 1, 1};
    conv_row(in, lda, cin, offsets, taps, weight, ldw, bias, cout, out, ldo, width, accumulate, 32, tiles);
}

int omni_conv_direct_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("fma")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

void omni_conv_row(int level, const float *in, long lda, long cin, const long *offsets, long taps, const float *weight,
                   long ldw, const float *bias, long cout, float *out, long ldo, long width, int accumulate) {
    if (level >= 2) conv_row_v4(in, lda, cin, offsets, taps, weight, ldw, bias, cout, out, ldo, width, accumulate);
    else conv_row_v3(in, lda, cin, offsets, taps, weight, ldw, bias, cout, out, ldo, width, accumulate);
}
