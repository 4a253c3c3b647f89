#include "dsp/tone_generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dsp/levels.h"

namespace squeal {

namespace {

// 1024-entry sine table, one turn, plus the slope to the next entry for linear
// interpolation. Worst-case interpolation error (2π/1024)²/8 = 4.7e-6 of the
// amplitude; its harmonics (the spurs) sit near -120 dBc.
constexpr int kTableBits = 10;
constexpr std::uint32_t kTableSize = 1u << kTableBits;
constexpr int kFracBits = 32 - kTableBits;
constexpr std::uint32_t kFracMask = (1u << kFracBits) - 1u;
constexpr float kFracScale = 1.0f / static_cast<float>(1u << kFracBits);

struct SineTable {
  std::array<float, kTableSize> value{};  // sin(2π i / 1024)
  std::array<float, kTableSize> slope{};  // value[i+1] - value[i] (wrapping)
  SineTable() {
    std::array<double, kTableSize + 1> exact{};
    for (std::uint32_t i = 0; i <= kTableSize; ++i) {
      exact[i] = std::sin(2.0 * kPi * static_cast<double>(i) / static_cast<double>(kTableSize));
    }
    for (std::uint32_t i = 0; i < kTableSize; ++i) {
      value[i] = static_cast<float>(exact[i]);
      slope[i] = static_cast<float>(exact[i + 1] - exact[i]);
    }
  }
};

// Built on first use (safe from static-initialisation order); callers fetch it
// once per block.
const SineTable& sine_table() noexcept {
  static const SineTable table;
  return table;
}

inline float sine(const SineTable& table, std::uint32_t phase) noexcept {
  const std::uint32_t index = phase >> kFracBits;
  const float frac = static_cast<float>(phase & kFracMask) * kFracScale;
  return table.value[index] + table.slope[index] * frac;
}

void check_freq(std::string_view what, double freq_hz) {
  if (!(freq_hz > 0.0 && freq_hz < kSampleRate / 2.0)) {
    throw std::invalid_argument(fmt::format("{} {} Hz is out of range (0 < f < {} Hz)", what, freq_hz,
                                            kSampleRateHz / 2));
  }
}

void check_level(std::string_view what, double level_dbm0) {
  if (!std::isfinite(level_dbm0) || level_dbm0 > kMaxToneLevelDbm0) {
    throw std::invalid_argument(fmt::format("{} {} dBm0 is not a level at or below +{} dBm0", what, level_dbm0,
                                            kMaxToneLevelDbm0));
  }
}

}  // namespace

std::uint32_t phase_increment(double freq_hz) noexcept {
  const double turns = freq_hz / kSampleRate;
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(std::llround(turns * 4294967296.0)));
}

float table_sine(std::uint32_t phase) noexcept { return sine(sine_table(), phase); }

// ---------------------------------------------------------------- ToneGenerator

ToneGenerator::ToneGenerator(const ToneGeneratorConfig& config) : config_(config) {
  if (config.tones.empty() || config.tones.size() > kMaxTones) {
    throw std::invalid_argument(fmt::format("tone count {} is not 1 or 2", config.tones.size()));
  }
  tone_count_ = config.tones.size();
  for (std::size_t k = 0; k < tone_count_; ++k) {
    check_freq("tone frequency", config.tones[k].freq_hz);
    check_level("tone level", config.tones[k].level_dbm0);
    phase_inc_[k] = phase_increment(config.tones[k].freq_hz);
    amplitude_[k] = static_cast<float>(dbm0_to_amplitude(config.tones[k].level_dbm0));
  }
  if (config.cadence_samples.size() % 2 != 0) {
    throw std::invalid_argument(
        fmt::format("cadence has {} entries; it needs on/off pairs", config.cadence_samples.size()));
  }
  for (SampleIndex length : config.cadence_samples) {
    if (length <= 0) throw std::invalid_argument(fmt::format("cadence entry {} samples is not positive", length));
  }
  cadence_ = config.cadence_samples;
  if (config.reversal_period_samples < 0) {
    throw std::invalid_argument(
        fmt::format("reversal period {} samples is negative", config.reversal_period_samples));
  }
  if (!(config.am_freq_hz >= 0.0 && config.am_freq_hz < kSampleRate / 2.0)) {
    throw std::invalid_argument(fmt::format("AM rate {} Hz is out of range (0 <= f < 4000 Hz)", config.am_freq_hz));
  }
  if (!(config.am_depth >= 0.0 && config.am_depth <= 1.0)) {
    throw std::invalid_argument(fmt::format("AM depth {} is out of range (0..1)", config.am_depth));
  }
  am_phase_inc_ = phase_increment(config.am_freq_hz);
  am_depth_ = static_cast<float>(config.am_depth);
  reset();
}

void ToneGenerator::reset() noexcept {
  phase_.fill(0);
  am_phase_ = 0;
  segment_ = 0;
  segment_left_ = cadence_.empty() ? 0 : cadence_[0];
  reversal_left_ = config_.reversal_period_samples;
}

void ToneGenerator::fill_on(std::span<float> out) noexcept {
  const float a0 = amplitude_[0];
  const float a1 = amplitude_[1];
  const std::uint32_t inc0 = phase_inc_[0];
  const std::uint32_t inc1 = phase_inc_[1];
  const std::uint32_t am_inc = am_phase_inc_;
  const float depth = am_depth_;
  const SineTable& t = sine_table();
  std::uint32_t p0 = phase_[0];
  std::uint32_t p1 = phase_[1];
  std::uint32_t pam = am_phase_;
  const bool two = tone_count_ == 2;
  const bool am = depth != 0.0f;
  // Four specialised loops keep the per-sample work branch-free.
  if (!two && !am) {
    for (float& s : out) { s = a0 * sine(t, p0); p0 += inc0; }
  } else if (two && !am) {
    for (float& s : out) { s = a0 * sine(t, p0) + a1 * sine(t, p1); p0 += inc0; p1 += inc1; }
  } else if (!two) {
    for (float& s : out) {
      s = a0 * sine(t, p0) * (1.0f + depth * sine(t, pam));
      p0 += inc0;
      pam += am_inc;
    }
  } else {
    for (float& s : out) {
      s = (a0 * sine(t, p0) + a1 * sine(t, p1)) * (1.0f + depth * sine(t, pam));
      p0 += inc0;
      p1 += inc1;
      pam += am_inc;
    }
  }
  phase_[0] = p0;
  phase_[1] = p1;
  am_phase_ = pam;
}

void ToneGenerator::generate(std::span<float> out) noexcept {
  std::size_t pos = 0;
  while (pos < out.size()) {
    // Run up to the next event (segment boundary or reversal), never past it.
    SampleIndex run = static_cast<SampleIndex>(out.size() - pos);
    if (!cadence_.empty()) run = std::min(run, segment_left_);
    if (config_.reversal_period_samples > 0) run = std::min(run, reversal_left_);
    const auto chunk = out.subspan(pos, static_cast<std::size_t>(run));
    const bool on = cadence_.empty() || segment_ % 2 == 0;
    if (on) {
      fill_on(chunk);
    } else {
      std::fill(chunk.begin(), chunk.end(), 0.0f);
      am_phase_ += static_cast<std::uint32_t>(run) * am_phase_inc_;  // AM keeps running (mod 2^32)
    }
    pos += static_cast<std::size_t>(run);
    if (!cadence_.empty()) {
      segment_left_ -= run;
      if (segment_left_ == 0) {
        segment_ = (segment_ + 1) % cadence_.size();
        segment_left_ = cadence_[segment_];
        if (segment_ % 2 == 0) phase_.fill(0);  // every burst starts at phase 0
      }
    }
    if (config_.reversal_period_samples > 0) {
      reversal_left_ -= run;
      if (reversal_left_ == 0) {
        // V.25 / V.8: 180° phase reversal = half a turn on the accumulator, sample-exact.
        for (std::size_t k = 0; k < tone_count_; ++k) phase_[k] += kHalfTurn;
        reversal_left_ = config_.reversal_period_samples;
      }
    }
  }
}

// ---------------------------------------------------------------- DTMF

std::pair<double, double> dtmf_frequencies(char digit) {
  // Q.23: rows 697/770/852/941 Hz, columns 1209/1336/1477/1633 Hz.
  static constexpr std::array<double, 4> kLow = {697.0, 770.0, 852.0, 941.0};
  static constexpr std::array<double, 4> kHigh = {1209.0, 1336.0, 1477.0, 1633.0};
  static constexpr std::string_view kKeys = "123A456B789C*0#D";
  char key = digit;
  if (key >= 'a' && key <= 'd') key = static_cast<char>(key - 'a' + 'A');
  const auto where = kKeys.find(key);
  if (key == '\0' || where == std::string_view::npos) {
    throw std::invalid_argument(fmt::format("DTMF digit '{}' is not one of 0-9 * # A-D", digit));
  }
  return {kLow[where / 4], kHigh[where % 4]};
}

DtmfGenerator::DtmfGenerator(const DtmfConfig& config) : config_(config) {
  if (config.digits.empty()) throw std::invalid_argument("DTMF digit string is empty");
  for (char digit : config.digits) {
    const auto [low_hz, high_hz] = dtmf_frequencies(digit);
    incs_.emplace_back(phase_increment(low_hz), phase_increment(high_hz));
  }
  check_level("DTMF low-group level", config.low_level_dbm0);
  check_level("DTMF high-group level", config.high_level_dbm0);
  if (config.on_samples <= 0) {
    throw std::invalid_argument(fmt::format("DTMF on time {} samples is not positive", config.on_samples));
  }
  if (config.off_samples < 0) {
    throw std::invalid_argument(fmt::format("DTMF off time {} samples is negative", config.off_samples));
  }
  low_amplitude_ = static_cast<float>(dbm0_to_amplitude(config.low_level_dbm0));
  high_amplitude_ = static_cast<float>(dbm0_to_amplitude(config.high_level_dbm0));
  reset();
}

void DtmfGenerator::reset() noexcept {
  position_ = 0;
  low_phase_ = 0;
  high_phase_ = 0;
}

void DtmfGenerator::generate(std::span<float> out) noexcept {
  const SampleIndex period = config_.on_samples + config_.off_samples;
  const SampleIndex total = period * static_cast<SampleIndex>(incs_.size());
  std::size_t pos = 0;
  while (pos < out.size()) {
    const SampleIndex left = static_cast<SampleIndex>(out.size() - pos);
    if (position_ >= total) {  // after the last digit: silence
      std::fill(out.begin() + static_cast<std::ptrdiff_t>(pos), out.end(), 0.0f);
      position_ += left;
      return;
    }
    const auto digit = static_cast<std::size_t>(position_ / period);
    const SampleIndex within = position_ % period;
    SampleIndex run = 0;
    if (within < config_.on_samples) {
      run = std::min(left, config_.on_samples - within);
      if (within == 0) low_phase_ = high_phase_ = 0;  // every digit starts at phase 0
      const auto [low_inc, high_inc] = incs_[digit];
      const float a_low = low_amplitude_;
      const float a_high = high_amplitude_;
      const SineTable& t = sine_table();
      std::uint32_t pl = low_phase_;
      std::uint32_t ph = high_phase_;
      for (float& s : out.subspan(pos, static_cast<std::size_t>(run))) {
        s = a_low * sine(t, pl) + a_high * sine(t, ph);
        pl += low_inc;
        ph += high_inc;
      }
      low_phase_ = pl;
      high_phase_ = ph;
    } else {
      run = std::min(left, period - within);
      const auto chunk = out.subspan(pos, static_cast<std::size_t>(run));
      std::fill(chunk.begin(), chunk.end(), 0.0f);
    }
    position_ += run;
    pos += static_cast<std::size_t>(run);
  }
}

}  // namespace squeal
