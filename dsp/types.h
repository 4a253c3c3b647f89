// Basic types shared by every block: sample time and the fixed processing rate.
#pragma once

#include <cstdint>

namespace squeal {

/// Absolute sample index since the stream started (never wall-clock time).
using SampleIndex = std::int64_t;

/// Every block runs at this rate; sources resample to it (audio/wav_io.h).
inline constexpr int kSampleRateHz = 8000;
inline constexpr double kSampleRate = kSampleRateHz;

inline constexpr double kPi = 3.14159265358979323846;

/// Seconds of the sample index `n` at kSampleRateHz.
constexpr double samples_to_seconds(SampleIndex n) { return static_cast<double>(n) / kSampleRate; }

/// Sample count of `seconds`, rounded to nearest.
constexpr SampleIndex seconds_to_samples(double seconds) {
  return static_cast<SampleIndex>(seconds * kSampleRate + (seconds >= 0 ? 0.5 : -0.5));
}

}  // namespace squeal
