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

#endif
