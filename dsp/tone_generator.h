// Tone generators: one or two sines with cadence, 180° phase reversals and
// sine amplitude modulation (ANS, ANSam, call-progress tones, CNG, CT, V.34
// tones A/B), and a DTMF digit-string generator (Q.23).
//
// Every tone runs on a uint32 phase accumulator (one turn = 2^32), so phase is
// exact across blocks and the output does not depend on how it is chunked.
// The sine comes from a 1024-entry table with linear interpolation (worst-case
// error 4.7e-6 of the amplitude; spurs measured near -120 dBc).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dsp/generator.h"
#include "dsp/types.h"

namespace squeal {

/// Phase increment per sample of a tone at `freq_hz`: round(f / 8000 · 2^32), f in [0, 4000).
std::uint32_t phase_increment(double freq_hz) noexcept;

/// sin(2π · phase / 2^32) from the interpolated table (the generators' own sine).
float table_sine(std::uint32_t phase) noexcept;

/// Phase step of a 180° reversal: half a turn.
inline constexpr std::uint32_t kHalfTurn = 0x80000000u;

/// V.25: ANS/ phase reversals every 450 ±25 ms; V.8 uses the same period for ANSam/.
inline constexpr SampleIndex kAnsReversalPeriodSamples = 3600;  // 450 ms

/// Highest level accepted for one tone (a 0 dBm0 sine peaks at -3.14 dBFS).
inline constexpr double kMaxToneLevelDbm0 = 3.0;

/// One sine component of a tone signal.
struct ToneComponent {
  double freq_hz = 1000.0;     // 0 < freq_hz < 4000
  double level_dbm0 = -10.0;   // level of this sine (dBm0, <= +3)
};

/// What a ToneGenerator sends.
struct ToneGeneratorConfig {
  std::vector<ToneComponent> tones;            // one or two sines, summed
  std::vector<SampleIndex> cadence_samples;    // on, off, on, off, … repeating (even count, each > 0); empty = continuous
  SampleIndex reversal_period_samples = 0;     // 180° reversal at every multiple of this from sample 0 (not at 0); 0 = none
  double am_freq_hz = 0.0;                     // sine AM rate (Hz, 0 <= f < 4000); 0 = no AM
  double am_depth = 0.0;                       // envelope = 1 + am_depth·sin(2π·am_freq·t), 0 <= depth <= 1
};

/// One or two summed sines, optionally cadenced, phase-reversed and amplitude-modulated.
///
/// Timing (all in samples from the start / the last reset):
/// - every "on" burst starts with each tone's phase at 0 (first sample exactly 0.0);
///   "off" samples are exactly 0.0f;
/// - the k-th reversal (k >= 1) adds half a turn to every tone's phase from sample
///   k·reversal_period on (the reversal count runs through off periods too; a burst
///   start resets the phase to 0 first, so earlier reversals do not carry into it);
/// - the AM accumulator runs from sample 0 without reset, through off periods;
///   the level of each tone is its mean envelope, so with AM the carrier stays at
///   level_dbm0 and each AM sideband sits 20·log10(depth/2) below it.
class ToneGenerator final : public Generator {
 public:
  static constexpr std::size_t kMaxTones = 2;

  /// Throws std::invalid_argument naming the bad value (tone count, frequency,
  /// level, cadence entry, reversal period, AM rate or depth).
  explicit ToneGenerator(const ToneGeneratorConfig& config);

  void generate(std::span<float> out) noexcept override;
  void reset() noexcept override;

  const ToneGeneratorConfig& config() const noexcept { return config_; }

 private:
  void fill_on(std::span<float> out) noexcept;

  ToneGeneratorConfig config_;                            // as given (for inspection)
  std::size_t tone_count_ = 0;                            // 1 or 2
  std::array<std::uint32_t, kMaxTones> phase_inc_{};      // per-sample phase step of each tone
  std::array<float, kMaxTones> amplitude_{};              // peak amplitude of each tone (full scale 1.0)
  std::uint32_t am_phase_inc_ = 0;                        // per-sample phase step of the AM sine
  float am_depth_ = 0.0f;                                 // AM depth (0 = none)
  std::vector<SampleIndex> cadence_;                      // on/off segment lengths (empty = continuous)

  std::array<std::uint32_t, kMaxTones> phase_{};          // phase of the next sample of each tone
  std::uint32_t am_phase_ = 0;                            // phase of the next sample of the AM sine
  std::size_t segment_ = 0;                               // index into cadence_ (even = on)
  SampleIndex segment_left_ = 0;                          // samples left in the current segment
  SampleIndex reversal_left_ = 0;                         // samples until the next reversal
};

/// The 2100 Hz answer tone: ANS (V.25), ANS/ (reversals every 450 ms), ANSam
/// (V.8: 15 Hz AM, envelope 0.8..1.2) or ANSam/ (both), at level_dbm0.
ToneGeneratorConfig answer_tone_config(double level_dbm0, bool am, bool reversals);

/// Q.23 frequencies (low group, high group) of a DTMF digit 0-9 * # A-D
/// (lower-case a-d accepted). Throws std::invalid_argument naming a bad digit.
std::pair<double, double> dtmf_frequencies(char digit);

/// What a DtmfGenerator sends.
struct DtmfConfig {
  std::string digits = "5702340003";     // 0-9 * # A-D, sent in order, then silence
  SampleIndex on_samples = 800;          // tone per digit (100 ms)
  SampleIndex off_samples = 800;         // silence after each digit (100 ms)
  double low_level_dbm0 = -8.0;          // 697..941 Hz group level (dBm0)
  double high_level_dbm0 = -6.0;         // 1209..1633 Hz group level (dBm0): +2 dB twist
};

/// DTMF digits (Q.23 frequencies). Digit i is on for samples
/// [i·(on+off), i·(on+off)+on), each burst starting at phase 0; silence after
/// the last digit's off time.
class DtmfGenerator final : public Generator {
 public:
  /// Throws std::invalid_argument naming a bad digit, level or duration.
  explicit DtmfGenerator(const DtmfConfig& config);

  void generate(std::span<float> out) noexcept override;
  void reset() noexcept override;

  const DtmfConfig& config() const noexcept { return config_; }

 private:
  DtmfConfig config_;                                          // as given
  std::vector<std::pair<std::uint32_t, std::uint32_t>> incs_;  // (low, high) phase steps per digit
  float low_amplitude_ = 0.0f;                                 // low-group peak amplitude
  float high_amplitude_ = 0.0f;                                // high-group peak amplitude
  SampleIndex position_ = 0;                                   // samples sent since start
  std::uint32_t low_phase_ = 0;                                // low-group phase of the next sample
  std::uint32_t high_phase_ = 0;                               // high-group phase of the next sample
};

}  // namespace squeal
