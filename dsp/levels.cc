#include "dsp/levels.h"

#include <cmath>

namespace squeal {

namespace {
// Mean square of a 0 dBm0 sine: (A0^2)/2 with A0 = 10^(-3.14/20).
const double kZeroDbm0MeanSquare = 0.5 * std::pow(10.0, -kDbm0BelowFullScaleDb / 10.0);
}  // namespace

double dbm0_to_amplitude(double level_dbm0) noexcept {
  return std::pow(10.0, (level_dbm0 - kDbm0BelowFullScaleDb) / 20.0);
}

double dbm0_to_mean_square(double level_dbm0) noexcept {
  return kZeroDbm0MeanSquare * std::pow(10.0, level_dbm0 / 10.0);
}

double power_ratio_db(double ratio) noexcept {
  return ratio > 0 ? 10.0 * std::log10(ratio) : -200.0;
}

double mean_square_to_dbm0(double mean_square) noexcept {
  return power_ratio_db(mean_square / kZeroDbm0MeanSquare);
}

}  // namespace squeal
