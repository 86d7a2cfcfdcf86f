// Row and elementwise float kernels for OmniTensor, compiled once per x86-64 level (baseline, v3 = AVX2, v4 =
// AVX-512) and picked at load time (target_clones), because Swift code can only be built for the baseline.
// Every function computes with 16-lane vectors in a fixed order and without FMA contraction, so results are
// the same bits on every level and every machine. Why and how: docs/ARCHITECTURE.md §12.
#ifndef OMNI_KERNELS_H
#define OMNI_KERNELS_H

/// Masked softmax row, in place: s ← exp(s + bias − max) (bias NULL: none; −∞ forbids a column). Writes the
/// row's logsumexp and 1/Σ; a row whose every logit is −∞ becomes zeros with (−∞, 0).
void omni_softmax_row(float *s, long n, const float *bias, float *log_sum_exp, float *inverse_sum);

/// In place: s ← exp(s + bias − log_sum_exp), the probabilities `omni_softmax_row` produced (bias NULL: none).
void omni_probability_row(float *s, long n, const float *bias, float log_sum_exp);

/// y = x·σ(2c(x + 0.044715x³)), c = √(2/π): GELU's tanh form.
void omni_gelu_tanh(const float *x, float *y, long n);
/// gx += g · d/dx of `omni_gelu_tanh` at x.
void omni_gelu_tanh_backward(const float *x, const float *g, float *gx, long n);

/// y = x·σ(x).
void omni_silu(const float *x, float *y, long n);
/// gx += g · d/dx of `omni_silu` at x.
void omni_silu_backward(const float *x, const float *g, float *gx, long n);

/// Σ x (16 lane sums, then a fixed tree).
float omni_sum(const float *x, long n);
/// Σ (x − c)².
float omni_sum_squared_deviations(const float *x, long n, float c);

/// The best level of `omni_conv_row` this CPU runs: 2 (AVX-512), 1 (AVX2 + FMA) or 0 (none: do not call it).
int omni_conv_direct_level(void);
/// One row of a direct convolution over a padded channels-last plane (docs/ARCHITECTURE.md §12), or, with one tap,
/// a block of rows times a matrix:
/// out[p·ldo + c] = init + Σ_k Σ_{i<cin} in[(p + offsets[k])·lda + i] · weight[(k·cin + i)·ldw + c]
/// for p < width, c < cout, summed in that order with fused multiply-adds (the same bits on both levels); init is
/// out[p·ldo + c] itself when `accumulate`, else bias[c] (0 when bias is NULL). Each weight row is read up to
/// column cout rounded up to 16 (those columns must be readable; their values are never used).
/// `level`: 1 or 2, at most `omni_conv_direct_level()`.
void omni_conv_row(int level, const float *in, long lda, long cin, const long *offsets, long taps, const float *weight,
                   long ldw, const float *bias, long cout, float *out, long ldo, long width, int accumulate);

#endif
