// NCO mix-down fused with a decimating low-pass FIR: the front end of the
// answer-tone detector (and of any narrow-band receiver at a fixed carrier).
//
// For a real input x, a carrier w0 = 2π·cycles/period (rational, so the NCO is
// an exact table) and a low-pass h of L taps, output j (decimation D) is
//     y[j] = Σ_{k<L} h[L-1-k] · x[s_j + k] · e^{-j·w0·(s_j + k)},  s_j = D·j + D - L
// i.e. the complex baseband of x around w0, filtered and kept every D-th
// sample, with the carrier phase referred to absolute sample 0. The NCO phase
// at s_j repeats every P = period / gcd(D, period) outputs, so the plan holds
// P precomputed complex coefficient sets and each output is two real dot
// products of length L: 2L/D multiply-adds per input sample.
// Each output also returns the mean square of its D newest input samples
// (x[s_j + L - D .. s_j + L)), so every input sample is counted exactly once.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace squeal::simd {

/// Tap counts are padded to a multiple of the widest vector (AVX-512 floats).
inline constexpr std::size_t kMixdownTapAlign = 16;

/// Tables for one carrier, filter and decimation; built once, outside process().
struct MixdownPlan {
  std::size_t taps = 0;           // L: filter length, a multiple of kMixdownTapAlign
  std::size_t decimation = 0;     // D: input samples per output, 1 <= D <= L
  std::size_t num_phases = 0;     // P: distinct NCO phases at window starts
  std::vector<float> coeff_re;    // [P × L] h[L-1-k]·cos(w0·(s_p + k))
  std::vector<float> coeff_im;    // [P × L] -h[L-1-k]·sin(w0·(s_p + k))
};

/// lowpass: L taps (zero-padded to kMixdownTapAlign), decimation 1..L,
/// carrier = cycles / period cycles per sample (0 <= cycles < period).
/// Throws std::invalid_argument naming the bad value.
MixdownPlan make_mixdown_plan(std::span<const float> lowpass, std::size_t decimation,
                              std::size_t carrier_cycles, std::size_t carrier_period);

/// Computes num_outputs outputs. x points at the first window's start (s_j of
/// the first output, whose NCO phase index is first_phase, 0 <= first_phase < P);
/// window i starts at x + i·D. Writes out_re/out_im/out_mean_square[0..num_outputs);
/// out_mean_square may be null (the DPSK and V.21 demodulators do not use it).
/// No alignment needed. Uses the current simd::Target.
void mixdown_decimate(const MixdownPlan& plan, const float* x, std::size_t num_outputs,
                      std::size_t first_phase, float* out_re, float* out_im,
                      float* out_mean_square) noexcept;

/// The plain C++ reference (Target::scalar), callable directly by tests.
void mixdown_decimate_scalar(const MixdownPlan& plan, const float* x, std::size_t num_outputs,
                             std::size_t first_phase, float* out_re, float* out_im,
                             float* out_mean_square) noexcept;

}  // namespace squeal::simd
