// Plain C++ reference for the multi-tone block Goertzel (Target::scalar) and
// the plan builder shared by all targets.
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "dsp/simd/goertzel_kernel.h"

namespace squeal::simd {

GoertzelPlan make_goertzel_plan(std::span<const double> freqs, std::size_t block_length) {
  if (freqs.empty() || freqs.size() > 256) {
    throw std::invalid_argument("Goertzel bank needs 1..256 tones, got " +
                                std::to_string(freqs.size()));
  }
  if (block_length < 2 * kGoertzelSegments) {
    throw std::invalid_argument("Goertzel block length " + std::to_string(block_length) +
                                " is too short (minimum " +
                                std::to_string(2 * kGoertzelSegments) + " samples)");
  }
  GoertzelPlan p;
  p.num_tones = freqs.size();
  p.padded_tones = (freqs.size() + kGoertzelToneAlign - 1) / kGoertzelToneAlign * kGoertzelToneAlign;
  p.block_length = block_length;
  p.segment_length = block_length / kGoertzelSegments;
  p.power_scale = static_cast<float>(2.0 / (static_cast<double>(block_length) * block_length));
  p.coeff.assign(p.padded_tones, 0.f);
  p.cos_w.assign(p.padded_tones, 0.f);
  p.sin_w.assign(p.padded_tones, 0.f);
  p.rot_re.assign(kGoertzelSegments * p.padded_tones, 0.f);
  p.rot_im.assign(kGoertzelSegments * p.padded_tones, 0.f);
  for (std::size_t k = 0; k < freqs.size(); ++k) {
    const double f = freqs[k];
    if (!(f >= 0.0 && f < 0.5)) {
      throw std::invalid_argument("Goertzel tone " + std::to_string(f * 8000.0) +
                                  " Hz is outside 0..4000 Hz");
    }
    const double w = 2.0 * 3.14159265358979323846 * f;
    p.coeff[k] = static_cast<float>(2.0 * std::cos(w));
    p.cos_w[k] = static_cast<float>(std::cos(w));
    p.sin_w[k] = static_cast<float>(std::sin(w));
    for (std::size_t m = 0; m < kGoertzelSegments; ++m) {
      // Segment m covers [m·L, m·L + L_m); its Goertzel output y_m equals
      // Σ x[n]·e^{+jw(last - n)}, so e^{-jw·last} brings it to block time 0.
      const std::size_t last = m + 1 < kGoertzelSegments ? (m + 1) * p.segment_length - 1
                                                          : block_length - 1;
      const double phase = -w * static_cast<double>(last);
      p.rot_re[m * p.padded_tones + k] = static_cast<float>(std::cos(phase));
      p.rot_im[m * p.padded_tones + k] = static_cast<float>(std::sin(phase));
    }
  }
  return p;
}

float goertzel_block_power_scalar(const GoertzelPlan& p, const float* x, float* power) noexcept {
  constexpr std::size_t M = kGoertzelSegments;
  const std::size_t L = p.segment_length;
  for (std::size_t k = 0; k < p.padded_tones; ++k) {
    const float c = p.coeff[k];
    std::array<float, M> s1{}, s2{};
    for (std::size_t i = 0; i < L; ++i) {
      for (std::size_t m = 0; m < M; ++m) {
        const float s = c * s1[m] + (x[m * L + i] - s2[m]);
        s2[m] = s1[m];
        s1[m] = s;
      }
    }
    for (std::size_t n = M * L; n < p.block_length; ++n) {  // remainder joins the last segment
      const float s = c * s1[M - 1] + (x[n] - s2[M - 1]);
      s2[M - 1] = s1[M - 1];
      s1[M - 1] = s;
    }
    float re = 0, im = 0;
    for (std::size_t m = 0; m < M; ++m) {
      const float yr = s1[m] - p.cos_w[k] * s2[m];
      const float yi = p.sin_w[k] * s2[m];
      const float rr = p.rot_re[m * p.padded_tones + k];
      const float ri = p.rot_im[m * p.padded_tones + k];
      re += rr * yr - ri * yi;
      im += rr * yi + ri * yr;
    }
    power[k] = p.power_scale * (re * re + im * im);
  }
  float energy = 0;
  for (std::size_t n = 0; n < p.block_length; ++n) energy += x[n] * x[n];
  return energy / static_cast<float>(p.block_length);
}

}  // namespace squeal::simd
