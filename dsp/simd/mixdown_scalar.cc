// Plain C++ reference for the fused mix-down / decimating FIR (Target::scalar)
// and the plan builder shared by all targets.
#include <cmath>
#include <map>
#include <mutex>
#include <numeric>
#include <tuple>
#include <stdexcept>
#include <string>

#include "dsp/simd/mixdown_kernel.h"

namespace squeal::simd {

namespace {

MixdownPlan build_plan(std::span<const float> lowpass, std::size_t decimation, std::size_t carrier_cycles,
                       std::size_t carrier_period) {
  if (lowpass.empty() || lowpass.size() > 4096) {
    throw std::invalid_argument("mix-down filter length " + std::to_string(lowpass.size()) +
                                " is outside 1..4096 taps");
  }
  if (carrier_period == 0 || carrier_cycles >= carrier_period) {
    throw std::invalid_argument("mix-down carrier " + std::to_string(carrier_cycles) + "/" +
                                std::to_string(carrier_period) +
                                " cycles per sample is outside [0, 1)");
  }
  MixdownPlan p;
  p.taps = (lowpass.size() + kMixdownTapAlign - 1) / kMixdownTapAlign * kMixdownTapAlign;
  if (decimation == 0 || decimation > p.taps) {
    throw std::invalid_argument("mix-down decimation " + std::to_string(decimation) +
                                " is outside 1.." + std::to_string(p.taps));
  }
  p.decimation = decimation;
  p.num_phases = carrier_period / std::gcd(decimation, carrier_period);
  p.coeff_re.assign(p.num_phases * p.taps, 0.f);
  p.coeff_im.assign(p.num_phases * p.taps, 0.f);
  // Zero-padding goes at the old end of the window, so the newest sample still
  // meets lowpass[0] and the group delay stays (lowpass.size()-1)/2 from the newest.
  const std::size_t pad = p.taps - lowpass.size();
  const auto period = static_cast<long long>(carrier_period);
  // The carrier takes only `period` distinct phases: one cos/sin each.
  std::vector<double> cos_n(carrier_period), sin_n(carrier_period);
  for (std::size_t n = 0; n < carrier_period; ++n) {
    const double phase = 2.0 * 3.14159265358979323846 * static_cast<double>(carrier_cycles) *
                         static_cast<double>(n) / static_cast<double>(carrier_period);
    cos_n[n] = std::cos(phase);
    sin_n[n] = std::sin(phase);
  }
  for (std::size_t ph = 0; ph < p.num_phases; ++ph) {
    // Window start of output j = ph (mod P): s = D·ph + D - L, taken mod period
    // in integers so the table is exact however long the stream runs.
    const long long s = static_cast<long long>(decimation * ph + decimation) -
                        static_cast<long long>(p.taps);
    for (std::size_t k = 0; k < p.taps; ++k) {
      const float h = k < pad ? 0.f : lowpass[p.taps - 1 - k];
      const auto n = static_cast<std::size_t>(((s + static_cast<long long>(k)) % period + period) % period);
      p.coeff_re[ph * p.taps + k] = static_cast<float>(h * cos_n[n]);
      p.coeff_im[ph * p.taps + k] = static_cast<float>(-h * sin_n[n]);
    }
  }
  return p;
}

}  // namespace

MixdownPlan make_mixdown_plan(std::span<const float> lowpass, std::size_t decimation,
                              std::size_t carrier_cycles, std::size_t carrier_period) {
  // Every demodulator of a kind builds the same table; a call builds several.
  using Key = std::tuple<std::vector<float>, std::size_t, std::size_t, std::size_t>;
  static std::mutex mutex;
  static std::map<Key, MixdownPlan> plans;
  Key key{std::vector<float>(lowpass.begin(), lowpass.end()), decimation, carrier_cycles, carrier_period};
  const std::lock_guard<std::mutex> lock(mutex);
  auto it = plans.find(key);
  if (it == plans.end()) {
    it = plans.emplace(std::move(key), build_plan(lowpass, decimation, carrier_cycles, carrier_period)).first;
  }
  return it->second;
}

void mixdown_decimate_scalar(const MixdownPlan& p, const float* x, std::size_t num_outputs,
                             std::size_t first_phase, float* out_re, float* out_im,
                             float* out_mean_square) noexcept {
  std::size_t ph = first_phase;
  for (std::size_t i = 0; i < num_outputs; ++i) {
    const float* w = x + i * p.decimation;
    const float* cr = p.coeff_re.data() + ph * p.taps;
    const float* ci = p.coeff_im.data() + ph * p.taps;
    float re = 0, im = 0;
    for (std::size_t k = 0; k < p.taps; ++k) {
      re += cr[k] * w[k];
      im += ci[k] * w[k];
    }
    out_re[i] = re;
    out_im[i] = im;
    if (out_mean_square != nullptr) {
      float energy = 0;
      for (std::size_t k = p.taps - p.decimation; k < p.taps; ++k) energy += w[k] * w[k];
      out_mean_square[i] = energy / static_cast<float>(p.decimation);
    }
    if (++ph == p.num_phases) ph = 0;
  }
}

}  // namespace squeal::simd
