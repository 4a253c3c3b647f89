#include "dsp/dtmf_detector.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "dsp/levels.h"

namespace squeal {

namespace {

// Q.23 frequencies: low group (rows), high group (columns).
constexpr std::array<double, 8> kNominalHz = {697, 770, 852, 941, 1209, 1336, 1477, 1633};
constexpr char kDigits[4][4] = {
    {'1', '2', '3', 'A'}, {'4', '5', '6', 'B'}, {'7', '8', '9', 'C'}, {'*', '0', '#', 'D'}};
constexpr int N = DtmfDetector::kBlockLength;
// Q.24 "do not operate" deviation; the guard offset keeps this inside the main lobe.
constexpr double kRejectDeviation = 0.035;

/// |DFT of a unit sine| over N samples at `offset_hz` from it, normalised to 1 at 0.
double dirichlet(double offset_hz) {
  const double x = kPi * offset_hz / kSampleRate;
  if (std::abs(x) < 1e-12) return 1.0;
  return std::abs(std::sin(N * x) / (N * std::sin(x)));
}

/// Guard offset (Hz) for nominal frequency f: see the header.
double guard_offset_hz(double f_hz) {
  const double bin_hz = kSampleRate / N;
  return std::min(0.5 * bin_hz, 0.9 * bin_hz - kRejectDeviation * f_hz);
}

GoertzelBank::Config bank_config() {
  GoertzelBank::Config c;
  c.block_length = N;
  for (double f : kNominalHz) c.freqs_hz.push_back(f);
  for (double f : kNominalHz) c.freqs_hz.push_back(f - guard_offset_hz(f));
  for (double f : kNominalHz) c.freqs_hz.push_back(f + guard_offset_hz(f));
  return c;
}

float db_to_ratio(double db) { return static_cast<float>(std::pow(10.0, db / 10.0)); }

bool find_digit(char digit, int& row, int& col) noexcept {
  for (row = 0; row < 4; ++row)
    for (col = 0; col < 4; ++col)
      if (kDigits[row][col] == digit) return true;
  return false;
}

SampleIndex samples_of(float fraction_of_block) {
  return static_cast<SampleIndex>(std::lround(std::clamp(fraction_of_block, 0.f, 1.f) * N));
}

}  // namespace

char dtmf_digit(int row, int col) noexcept {
  if (row < 0 || row > 3 || col < 0 || col > 3) return 0;
  return kDigits[row][col];
}

DtmfDetector::DtmfDetector(const Config& config) : config_(config), bank_(bank_config()) {
  if (!(config.min_level_dbm0 < 0 && config.min_level_dbm0 > -60))
    throw std::invalid_argument("DTMF min_level_dbm0 " + std::to_string(config.min_level_dbm0) +
                                " must be within (-60, 0)");
  if (!(config.max_normal_twist_db >= 0) || !(config.max_reverse_twist_db >= 0))
    throw std::invalid_argument("DTMF twist limits " + std::to_string(config.max_normal_twist_db) +
                                "/" + std::to_string(config.max_reverse_twist_db) +
                                " dB must be >= 0");
  if (!(config.min_relative_peak_db >= 0))
    throw std::invalid_argument("DTMF min_relative_peak_db " +
                                std::to_string(config.min_relative_peak_db) + " must be >= 0");
  if (!(config.min_tone_fraction > 0 && config.min_tone_fraction < 1))
    throw std::invalid_argument("DTMF min_tone_fraction " +
                                std::to_string(config.min_tone_fraction) + " must be in (0, 1)");
  if (!(config.accept_deviation > 0.005 && config.accept_deviation < kRejectDeviation))
    throw std::invalid_argument("DTMF accept_deviation " +
                                std::to_string(config.accept_deviation) +
                                " must be in (0.005, 0.035)");
  for (std::size_t k = 0; k < kNominalHz.size(); ++k) {
    const double f = kNominalHz[k];
    const double g = guard_offset_hz(f);
    const double d = config.accept_deviation * f;
    const double near = dirichlet(g - d);
    const double far = dirichlet(g + d);
    guard_limit_[k] = static_cast<float>((near * near) / (far * far));
  }
  min_power_ = static_cast<float>(dbm0_to_mean_square(config.min_level_dbm0));
  normal_twist_ = db_to_ratio(config.max_normal_twist_db);
  reverse_twist_ = db_to_ratio(config.max_reverse_twist_db);
  relative_peak_ = db_to_ratio(config.min_relative_peak_db);
}

void DtmfDetector::reset() noexcept {
  bank_.reset();
  prev_power_ = {};
  prev2_power_ = {};
  prev_mean_square_ = 0;
  prev_digit_ = 0;
  active_ = 0;
  confirmed_ = false;
  start_ = 0;
  misses_ = 0;
  last_hit_end_ = 0;
  last_hit_amplitude_ = first_miss_amplitude_ = 0;
  low_sum_ = high_sum_ = rest_sum_ = 0;
  hit_blocks_ = 0;
  last_end_ = 0;
}

void DtmfDetector::process(std::span<const float> in, EventQueue& out) noexcept {
  bank_.process(in, [&](const GoertzelBank::Block& b) { on_block(b, out); });
}

char DtmfDetector::classify(std::span<const float> p, float mean_square) const noexcept {
  int row = 0;
  for (int i = 1; i < 4; ++i)
    if (p[i] > p[row]) row = i;
  int col = 4;
  for (int i = 5; i < 8; ++i)
    if (p[i] > p[col]) col = i;
  const float low = p[row];
  const float high = p[col];
  if (low < min_power_ || high < min_power_) return 0;
  if (high > low * normal_twist_ || low > high * reverse_twist_) return 0;
  if (low + high < static_cast<float>(config_.min_tone_fraction) * mean_square) return 0;
  for (int i = 0; i < 4; ++i)
    if (i != row && p[i] * relative_peak_ > low) return 0;
  for (int i = 4; i < 8; ++i)
    if (i != col && p[i] * relative_peak_ > high) return 0;
  for (int k : {row, col}) {
    const float below = p[8 + k];
    const float above = p[16 + k];
    const float limit = guard_limit_[static_cast<std::size_t>(k)];
    if (above > below * limit || below > above * limit) return 0;  // Q.24 frequency deviation
  }
  return kDigits[row][col - 4];
}

float DtmfDetector::amplitude(const Powers& p, char digit) noexcept {
  int row = 0;
  int col = 0;
  if (!find_digit(digit, row, col)) return 0;
  return std::sqrt(p[static_cast<std::size_t>(row)] + p[static_cast<std::size_t>(4 + col)]);
}

void DtmfDetector::accumulate(const Powers& p, float mean_square, char digit) noexcept {
  int row = 0;
  int col = 0;
  find_digit(digit, row, col);
  const double low = p[static_cast<std::size_t>(row)];
  const double high = p[static_cast<std::size_t>(4 + col)];
  low_sum_ += low;
  high_sum_ += high;
  rest_sum_ += static_cast<double>(mean_square) - low - high;  // may be < 0 per block
  ++hit_blocks_;
}

Event DtmfDetector::make_event(Edge edge, SampleIndex sample) const noexcept {
  int row = 0;
  int col = 0;
  find_digit(active_, row, col);
  Event e;
  e.sample = sample;
  e.signal = Signal::dtmf;
  e.edge = edge;
  e.digit = active_;
  e.freq_hz = static_cast<float>(kNominalHz[static_cast<std::size_t>(row)]);
  e.freq2_hz = static_cast<float>(kNominalHz[static_cast<std::size_t>(4 + col)]);
  const double n = std::max(hit_blocks_, 1);
  e.level_dbm0 = static_cast<float>(mean_square_to_dbm0((low_sum_ + high_sum_) / n));
  // Rest-of-block power is only good to ~±5 % of the tone power per block
  // (sidelobes of the other tone, block edges), so single-block SNRs read
  // 13-20 dB at most; sums over the digit do better. Capped at 40 dB.
  e.snr_db = static_cast<float>(
      power_ratio_db((low_sum_ + high_sum_) / std::max(rest_sum_, 1e-4 * (low_sum_ + high_sum_))));
  e.twist_db = static_cast<float>(power_ratio_db(high_sum_ / std::max(low_sum_, 1e-30)));
  return e;
}

void DtmfDetector::on_block(const GoertzelBank::Block& block, EventQueue& out) noexcept {
  const char digit = classify(block.tone_power, block.mean_square);
  Powers power;
  std::copy_n(block.tone_power.begin(), power.size(), power.begin());

  if (active_ != 0 && !confirmed_ && digit != active_) active_ = 0;  // candidate too short

  if (active_ != 0) {
    if (digit == active_) {
      misses_ = 0;
      accumulate(power, block.mean_square, digit);
      last_hit_end_ = block.end_sample;
      last_hit_amplitude_ = amplitude(power, digit);
    } else if (++misses_ == 1) {
      first_miss_amplitude_ = amplitude(power, active_);
    } else {
      // The tone ended inside the last hit block or the first miss block;
      // coverage of each ∝ its amplitude over the digit's rms amplitude, and
      // only one of the two is partial (the other reads ~1 or ~0).
      const float ref =
          std::max(static_cast<float>(std::sqrt((low_sum_ + high_sum_) / hit_blocks_)), 1e-30f);
      const SampleIndex end = last_hit_end_ - N + samples_of(last_hit_amplitude_ / ref) +
                              samples_of(first_miss_amplitude_ / ref);
      out.push(make_event(Edge::off, end));
      active_ = 0;
      misses_ = 0;
      last_end_ = end;
    }
  }

  if (active_ == 0 && digit != 0 && digit == prev_digit_) {
    // Second consecutive hit: a candidate that started in the previous block
    // (or in the one before, if the previous block was already fully covered).
    active_ = digit;
    confirmed_ = false;
    low_sum_ = high_sum_ = rest_sum_ = 0;
    hit_blocks_ = 0;
    accumulate(prev_power_, prev_mean_square_, digit);
    accumulate(power, block.mean_square, digit);
    // Coverage of each block ∝ amplitude; the current block is taken as full.
    const float ref = std::max(amplitude(power, digit), 1e-30f);
    start_ = block.end_sample - N - samples_of(amplitude(prev_power_, digit) / ref) -
             samples_of(amplitude(prev2_power_, digit) / ref);
    start_ = std::max(start_, last_end_);
    last_hit_end_ = block.end_sample;
    last_hit_amplitude_ = amplitude(power, digit);
    misses_ = 0;
  }

  // Q.24 duration: the last hit block ends within [end - 61, end + 41] of a
  // tone's end, so "last hit end - start >= 232" holds for every tone of
  // >= 40 ms (320 - 61 = 259) and for none of <= 20 ms (160 + 41 = 201).
  if (active_ != 0 && !confirmed_ && digit == active_ &&
      block.end_sample - start_ >= kMinOnSamples) {
    confirmed_ = true;
    out.push(make_event(Edge::on, start_));
  }

  prev2_power_ = prev_power_;
  prev_power_ = power;
  prev_mean_square_ = block.mean_square;
  prev_digit_ = digit;
}

}  // namespace squeal
