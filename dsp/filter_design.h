// Filter design shared by the blocks (liquid-dsp does the design; this only
// wraps its C interface in the units the blocks think in).
#pragma once

#include <vector>

namespace squeal {

/// Equiripple (Parks-McClellan, liquid-dsp firdespm) low-pass FIR.
/// taps: length, odd recommended; pass_hz < stop_hz < fs_hz/2; stop_weight:
/// stop-band weight relative to the pass band (> 0); the taps are scaled so
/// the DC gain is exactly dc_gain. Designs are cached for the process
/// (thread-safe): constructing a second block of a kind costs no design.
std::vector<float> design_lowpass(unsigned taps, double pass_hz, double stop_hz, double fs_hz,
                                  float stop_weight, double dc_gain);

}  // namespace squeal
