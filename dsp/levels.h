// Signal levels in dBm0.
//
// Convention (../shared/spec/v8.md): 0 dBm0 is a sine whose peak sits 3.14 dB
// below digital full scale (+1.0), i.e. the G.711 digital milliwatt.
#pragma once

namespace squeal {

/// dB between full-scale sine and a 0 dBm0 sine.
inline constexpr double kDbm0BelowFullScaleDb = 3.14;

/// Peak amplitude (full scale = 1.0) of a sine at `level_dbm0`.
double dbm0_to_amplitude(double level_dbm0) noexcept;

/// dBm0 of a signal whose mean square (power) is `mean_square`; -200 for 0.
double mean_square_to_dbm0(double mean_square) noexcept;

/// Mean square of a sine at `level_dbm0`.
double dbm0_to_mean_square(double level_dbm0) noexcept;

/// 10·log10(ratio), floored at -200 dB for ratio <= 0.
double power_ratio_db(double ratio) noexcept;

}  // namespace squeal
