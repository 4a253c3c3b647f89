#include "dsp/filter_design.h"

#include <liquid/liquid.h>

namespace squeal {

std::vector<float> design_lowpass(unsigned taps, double pass_hz, double stop_hz, double fs_hz,
                                  float stop_weight, double dc_gain) {
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

}  // namespace squeal
