#include "dsp/filter_design.h"

#include <liquid/liquid.h>

#include <map>
#include <mutex>
#include <tuple>

namespace squeal {

namespace {

std::vector<float> run_firdespm(unsigned taps, double pass_hz, double stop_hz, double fs_hz, float stop_weight,
                                double dc_gain) {
  std::vector<float> h(taps);
  float bands[4] = {0.f, static_cast<float>(pass_hz / fs_hz), static_cast<float>(stop_hz / fs_hz), 0.5f};
  float desired[2] = {1.f, 0.f};
  float weights[2] = {1.f, stop_weight};
  liquid_firdespm_wtype wtype[2] = {LIQUID_FIRDESPM_FLATWEIGHT, LIQUID_FIRDESPM_FLATWEIGHT};
  firdespm_run(taps, 2, bands, desired, weights, wtype, LIQUID_FIRDESPM_BANDPASS, h.data());
  double sum = 0;
  for (const float v : h) sum += v;
  for (float& v : h) v = static_cast<float>(v * dc_gain / sum);
  return h;
}

}  // namespace

std::vector<float> design_lowpass(unsigned taps, double pass_hz, double stop_hz, double fs_hz,
                                  float stop_weight, double dc_gain) {
  // Parks-McClellan takes ~0.5 ms; every detector of a kind asks for the same
  // filter, and a call creates several. Designs are kept for the process.
  using Key = std::tuple<unsigned, double, double, double, float, double>;
  static std::mutex mutex;
  static std::map<Key, std::vector<float>> designs;
  const Key key{taps, pass_hz, stop_hz, fs_hz, stop_weight, dc_gain};
  const std::lock_guard<std::mutex> lock(mutex);
  auto it = designs.find(key);
  if (it == designs.end()) {
    it = designs.emplace(key, run_firdespm(taps, pass_hz, stop_hz, fs_hz, stop_weight, dc_gain)).first;
  }
  return it->second;
}

}  // namespace squeal
