#include "dsp/goertzel_bank.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace squeal {

namespace {
std::vector<double> normalised(const std::vector<double>& freqs_hz) {
  std::vector<double> out;
  out.reserve(freqs_hz.size());
  for (double f : freqs_hz) out.push_back(f / kSampleRate);
  return out;
}
}  // namespace

GoertzelBank::GoertzelBank(const Config& config)
    : freqs_hz_(config.freqs_hz),
      block_length_(config.block_length),
      hop_(config.hop == 0 ? config.block_length : config.hop),
      plan_(simd::make_goertzel_plan(normalised(config.freqs_hz),
                                     static_cast<std::size_t>(std::max(config.block_length, 0)))) {
  if (hop_ < 1 || hop_ > block_length_) {
    throw std::invalid_argument("Goertzel hop " + std::to_string(config.hop) +
                                " must be within 1.." + std::to_string(block_length_));
  }
  window_.assign(static_cast<std::size_t>(block_length_), 0.f);
  power_.assign(plan_.padded_tones, 0.f);
  if (config.hann_window) {
    taper_.resize(static_cast<std::size_t>(block_length_));
    double sum = 0;
    for (int n = 0; n < block_length_; ++n) {
      const double w = 0.5 - 0.5 * std::cos(2.0 * kPi * (n + 0.5) / block_length_);
      taper_[static_cast<std::size_t>(n)] = static_cast<float>(w);
      sum += w;
    }
    // Unit coherent gain: a sine reads the same power with or without taper.
    const double gain = block_length_ / sum;
    for (float& w : taper_) w = static_cast<float>(w * gain);
    scratch_.assign(static_cast<std::size_t>(block_length_), 0.f);
  }
}

void GoertzelBank::reset() noexcept {
  std::fill(window_.begin(), window_.end(), 0.f);
  std::fill(power_.begin(), power_.end(), 0.f);
  mean_square_ = 0;
  fill_ = 0;
  consumed_ = 0;
}

void GoertzelBank::compute() noexcept {
  if (taper_.empty()) {
    mean_square_ = simd::goertzel_block_power(plan_, window_.data(), power_.data());
    return;
  }
  for (std::size_t n = 0; n < window_.size(); ++n) scratch_[n] = window_[n] * taper_[n];
  simd::goertzel_block_power(plan_, scratch_.data(), power_.data());
  // Mean square of the untapered block: the taper must not change total power.
  double energy = 0;
  for (float v : window_) energy += static_cast<double>(v) * v;
  mean_square_ = static_cast<float>(energy / block_length_);
}

}  // namespace squeal
