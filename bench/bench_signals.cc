#include "bench/bench_signals.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

#include "dsp/levels.h"
#include "dsp/tone_generator.h"
#include "dsp/types.h"
#include "dsp/v21_modem.h"

namespace squeal::bench {

namespace {

// Answer-tone cycle (samples at 8 kHz).
constexpr std::size_t kAnsLeadNoise = 8000;   // 1.0 s
constexpr std::size_t kAnsTone = 26400;       // 3.3 s (V.8: ANSam lasts up to 5 s; 3.3 s ≈ a V.8 answer)
constexpr std::size_t kAnsFsk = 20000;        // 2.5 s
constexpr std::size_t kAnsTailNoise = 25600;  // 3.2 s
constexpr std::size_t kAnsCycle = kAnsLeadNoise + kAnsTone + kAnsFsk + kAnsTailNoise;

// DTMF cycle.
constexpr char kDigits[] = "0123456789*#ABCD";
constexpr std::size_t kNumDigits = sizeof(kDigits) - 1;
constexpr std::size_t kDigitOn = 800;    // 100 ms
constexpr std::size_t kDigitOff = 800;   // 100 ms
constexpr std::size_t kDigitPart = kNumDigits * (kDigitOn + kDigitOff);
constexpr std::size_t kTalk = 14400;     // 1.8 s speech-like noise
constexpr std::size_t kDtmfCycle = kDigitPart + kTalk;

std::size_t to_samples(double seconds) {
  return seconds <= 0 ? 0 : static_cast<std::size_t>(std::llround(seconds * kSampleRateHz));
}

void add_white_noise(std::span<float> x, double level_dbm0, std::mt19937& rng) {
  std::normal_distribution<float> gauss(0.0f, static_cast<float>(std::sqrt(dbm0_to_mean_square(level_dbm0))));
  for (float& v : x) v += gauss(rng);
}

// V.21 channel 2 (answerer) FSK: mark 1650 Hz, space 1850 Hz, 300 bit/s,
// continuous phase, random bits.
void add_v21_fsk(std::span<float> x, double level_dbm0, std::mt19937& rng) {
  const double amplitude = dbm0_to_amplitude(level_dbm0);
  std::bernoulli_distribution bit(0.5);
  double phase = 0;
  long current_bit = -1;
  bool mark = true;
  for (std::size_t n = 0; n < x.size(); ++n) {
    const long b = static_cast<long>(n * 300 / kSampleRateHz);
    if (b != current_bit) {
      current_bit = b;
      mark = bit(rng);
    }
    const double f = mark ? 1650.0 : 1850.0;
    x[n] += static_cast<float>(amplitude * std::sin(phase));
    phase += 2 * std::numbers::pi * f / kSampleRateHz;
    if (phase > 2 * std::numbers::pi) phase -= 2 * std::numbers::pi;
  }
}

// Speech-like noise: white noise through two one-pole low-passes (~700 Hz),
// gated by a 4 Hz syllabic envelope while talking (1.2 s talk, 0.6 s pause),
// scaled to `level_dbm0` over the talking part.
void add_speech_like(std::span<float> x, double level_dbm0, std::mt19937& rng) {
  std::normal_distribution<float> gauss(0.0f, 1.0f);
  std::vector<float> v(x.size());
  const float a = std::exp(-2.0f * std::numbers::pi_v<float> * 700.0f / kSampleRateHz);
  float y1 = 0, y2 = 0;
  double talk_power = 0;
  std::size_t talk_samples = 0;
  for (std::size_t n = 0; n < x.size(); ++n) {
    y1 = a * y1 + (1 - a) * gauss(rng);
    y2 = a * y2 + (1 - a) * y1;
    const bool talking = (n % 14400) < 9600;
    const double t = static_cast<double>(n) / kSampleRateHz;
    const double envelope = talking ? 0.5 * (1 - std::cos(2 * std::numbers::pi * 4.0 * t)) : 0.0;
    v[n] = static_cast<float>(envelope * y2);
    if (talking) {
      talk_power += static_cast<double>(v[n]) * v[n];
      ++talk_samples;
    }
  }
  if (talk_samples == 0 || talk_power <= 0) return;
  const double scale = std::sqrt(dbm0_to_mean_square(level_dbm0) / (talk_power / static_cast<double>(talk_samples)));
  for (std::size_t n = 0; n < x.size(); ++n) x[n] += static_cast<float>(scale * v[n]);
}

std::vector<float> ansam_cycle(std::mt19937& rng) {
  std::vector<float> x(kAnsCycle, 0.0f);
  ToneGeneratorConfig config;
  config.tones = {ToneComponent{2100.0, -12.0}};
  config.reversal_period_samples = kAnsReversalPeriodSamples;  // V.25: 450 ms
  config.am_freq_hz = 15.0;                                    // V.8 §7.1 ANSam
  config.am_depth = 0.2;
  ToneGenerator tone(config);
  tone.generate(std::span<float>(x).subspan(kAnsLeadNoise, kAnsTone));
  add_v21_fsk(std::span<float>(x).subspan(kAnsLeadNoise + kAnsTone, kAnsFsk), -12.0, rng);
  add_white_noise(x, -60.0, rng);
  return x;
}

std::vector<float> dtmf_cycle(std::mt19937& rng) {
  std::vector<float> x(kDtmfCycle, 0.0f);
  DtmfConfig config;
  config.digits = kDigits;
  config.on_samples = kDigitOn;
  config.off_samples = kDigitOff;
  config.low_level_dbm0 = -8.0;
  config.high_level_dbm0 = -6.0;
  DtmfGenerator dtmf(config);
  dtmf.generate(std::span<float>(x).first(kDigitPart));
  add_speech_like(std::span<float>(x).subspan(kDigitPart, kTalk), -20.0, rng);
  add_white_noise(x, -45.0, rng);
  return x;
}

// Repeats cycles (each freshly synthesised, so noise never repeats) to n samples.
template <class MakeCycle>
std::vector<float> repeat_to(std::size_t n, MakeCycle&& make_cycle) {
  std::vector<float> x;
  x.reserve(n);
  while (x.size() < n) {
    const std::vector<float> cycle = make_cycle();
    const std::size_t take = std::min(cycle.size(), n - x.size());
    x.insert(x.end(), cycle.begin(), cycle.begin() + static_cast<std::ptrdiff_t>(take));
  }
  return x;
}

}  // namespace

std::vector<float> ansam_signal(double seconds, std::uint32_t seed) {
  std::mt19937 rng(seed);
  return repeat_to(to_samples(seconds), [&rng] { return ansam_cycle(rng); });
}

int ansam_bursts(double seconds) noexcept {
  const std::size_t n = to_samples(seconds);
  const std::size_t rest = n % kAnsCycle;
  return static_cast<int>(n / kAnsCycle) + (rest >= kAnsLeadNoise + kAnsTone ? 1 : 0);
}

std::vector<float> dtmf_signal(double seconds, std::uint32_t seed) {
  std::mt19937 rng(seed);
  return repeat_to(to_samples(seconds), [&rng] { return dtmf_cycle(rng); });
}

int dtmf_digits_sent(double seconds) noexcept {
  const std::size_t n = to_samples(seconds);
  const std::size_t rest = std::min(n % kDtmfCycle, kDigitPart);
  const std::size_t partial = rest / (kDigitOn + kDigitOff) + (rest % (kDigitOn + kDigitOff) >= kDigitOn ? 1 : 0);
  return static_cast<int>((n / kDtmfCycle) * kNumDigits + partial);
}

std::vector<float> mixed_signal(double seconds, std::uint32_t seed) {
  std::vector<float> x = dtmf_signal(seconds / 2, seed);
  const std::vector<float> y = ansam_signal(seconds - static_cast<double>(x.size()) / kSampleRateHz, seed + 1);
  x.insert(x.end(), y.begin(), y.end());
  return x;
}

std::vector<std::int16_t> to_int16(std::span<const float> x) {
  std::vector<std::int16_t> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const float v = std::clamp(std::round(x[i] * 32767.0f), -32768.0f, 32767.0f);
    out[i] = static_cast<std::int16_t>(v);
  }
  return out;
}

namespace {
constexpr double kV21BurstSeconds = 2.0;  // carrier on
constexpr double kV21GapSeconds = 0.5;    // carrier off between bursts
}  // namespace

std::uint64_t v21_bursts_sent(double seconds) noexcept {
  return static_cast<std::uint64_t>(seconds / (kV21BurstSeconds + kV21GapSeconds));
}

std::vector<float> v21_signal(double seconds, std::uint32_t seed) {
  const auto total = static_cast<std::size_t>(seconds * kSampleRateHz);
  std::vector<float> x(total, 0.f);
  std::mt19937 rng(seed);
  std::bernoulli_distribution coin(0.5);
  const auto burst = static_cast<std::size_t>(kV21BurstSeconds * kSampleRateHz);
  const auto cycle = burst + static_cast<std::size_t>(kV21GapSeconds * kSampleRateHz);
  for (std::size_t start = 0; start + cycle <= total; start += cycle) {
    V21Modulator modulator({.channel = 1, .level_dbm0 = -14.0, .idle_mark = false});
    for (int b = 0; b < static_cast<int>(kV21BurstSeconds * kV21BitRate); ++b) modulator.push(coin(rng));
    modulator.generate(std::span<float>(x.data() + start, burst));
  }
  std::normal_distribution<float> noise(0.f, static_cast<float>(std::sqrt(dbm0_to_mean_square(-50.0))));
  for (float& v : x) v += noise(rng);
  return x;
}

}  // namespace squeal::bench
