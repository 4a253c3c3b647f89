// Multi-tone block Goertzel: the hot kernel behind every tone detector.
//
// For a block x[0..N) and tones w_k (rad/sample) it returns the power a sine
// at w_k would need to produce the same DFT magnitude:
//     power_k = 2·|Σ_n x[n]·e^{-j·w_k·n}|² / N²      (mean square of that sine)
// so a full-scale sine on w_k gives 0.5 and noise gives ~ its mean square · 2/N.
//
// Vectorised across tones (one SIMD lane per tone). To keep the FMA units busy
// despite the recurrence's latency, the block is cut into kGoertzelSegments
// segments run as independent chains and recombined with per-segment
// rotations at the end (the DFT is linear in x). The same split is used by the
// scalar reference, so targets differ only in rounding.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace squeal::simd {

inline constexpr std::size_t kGoertzelSegments = 8;
/// Tone arrays are padded to a multiple of the widest vector (AVX-512 floats).
inline constexpr std::size_t kGoertzelToneAlign = 16;

/// Tables for one tone set and block length; built once, outside process().
struct GoertzelPlan {
  std::size_t num_tones = 0;       // K: tones asked for
  std::size_t padded_tones = 0;    // K rounded up to kGoertzelToneAlign
  std::size_t block_length = 0;    // N: samples per block, >= 2·kGoertzelSegments
  std::size_t segment_length = 0;  // L = N / kGoertzelSegments; the last segment also takes N mod 8
  float power_scale = 0;           // 2 / N²
  std::vector<float> coeff;        // [padded] 2·cos(w_k)
  std::vector<float> cos_w;        // [padded] cos(w_k)
  std::vector<float> sin_w;        // [padded] sin(w_k)
  std::vector<float> rot_re;       // [segments × padded] Re e^{-j·w_k·(last sample of segment m)}
  std::vector<float> rot_im;       // [segments × padded] Im of the same
};

/// freqs_cycles_per_sample: 0 <= f < 0.5. Throws std::invalid_argument.
GoertzelPlan make_goertzel_plan(std::span<const double> freqs_cycles_per_sample,
                                std::size_t block_length);

/// Computes plan.num_tones powers into power[0..padded_tones) (padding lanes
/// get 0) for x[0..block_length), and returns the block's mean square.
/// x and power need no alignment. Uses the current simd::Target.
float goertzel_block_power(const GoertzelPlan& plan, const float* x, float* power) noexcept;

/// The plain C++ reference (Target::scalar), callable directly by tests.
float goertzel_block_power_scalar(const GoertzelPlan& plan, const float* x, float* power) noexcept;

}  // namespace squeal::simd
