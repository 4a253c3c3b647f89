// The generator catalogue: every named signal of `squeal generate`, with the
// source of its frequencies, cadence and default level.
#include <fmt/format.h>

#include <array>
#include <cmath>
#include <stdexcept>
#include <string>

#include "dsp/generator.h"
#include "dsp/tone_generator.h"

namespace squeal {

namespace {

constexpr SampleIndex ms(int milliseconds) { return static_cast<SampleIndex>(milliseconds) * kSampleRateHz / 1000; }

// Default levels (dBm0 per tone):
// - call progress NA: the North American Precise Tone Plan (AT&T "Notes on
//   Distance Dialing", 1968; listed in ITU-T E.180 Suppl. 2): dial -13, audible
//   ringing -19, busy -24 dBm0 per frequency.
// - call progress EU: 425 Hz (CEPT / ETSI TR 101 041 harmonised tone); national
//   levels vary (about -20..-5 dBm0); -13 dBm0 chosen, as the NA dial tone.
// - ANS / ANSam: -12 dBm0, the typical level in ../shared/spec/v8.md.
// - CNG / CT: -10 dBm0 (T.30 and V.25 leave the level to the network's limits).
// - V.34 tones A / B: -12 dBm0, the same typical modem transmit level as ANSam.
// - DTMF: low group -8 dBm0, high group 2 dB higher (-6 dBm0): the usual twist
//   of national DTMF specs, which pre-emphasise the high group for line loss.
constexpr double kCallProgressDialNaDbm0 = -13.0;
constexpr double kCallProgressRingNaDbm0 = -19.0;
constexpr double kCallProgressBusyNaDbm0 = -24.0;
constexpr double kCallProgressEuDbm0 = -13.0;
constexpr double kAnswerToneDbm0 = -12.0;
constexpr double kCallingToneDbm0 = -10.0;
constexpr double kV34ToneDbm0 = -12.0;
constexpr double kToneDbm0 = -10.0;
constexpr double kDtmfLowDbm0 = -8.0;
constexpr double kDtmfTwistDb = 2.0;

constexpr std::array kCatalog = {
    GeneratorInfo{"tone", "one or two sines at --freq/--freq2 Hz, continuous", kToneDbm0},
    GeneratorInfo{"dtmf", "DTMF digits (Q.23), 100 ms on / 100 ms off; level = low group, high group +2 dB",
                  kDtmfLowDbm0},
    GeneratorInfo{"dial_tone_na", "North American dial tone 350+440 Hz, continuous (Precise Tone Plan)",
                  kCallProgressDialNaDbm0},
    GeneratorInfo{"dial_tone_eu", "European dial tone 425 Hz, continuous (ETSI TR 101 041)", kCallProgressEuDbm0},
    GeneratorInfo{"ringback_na", "North American ringback 440+480 Hz, 2 s on / 4 s off (Precise Tone Plan)",
                  kCallProgressRingNaDbm0},
    GeneratorInfo{"ringback_eu", "European ringback 425 Hz, 1 s on / 4 s off (ETSI TR 101 041)",
                  kCallProgressEuDbm0},
    GeneratorInfo{"busy_na", "North American busy 480+620 Hz, 0.5 s on / 0.5 s off (Precise Tone Plan)",
                  kCallProgressBusyNaDbm0},
    GeneratorInfo{"busy_eu", "European busy 425 Hz, 0.5 s on / 0.5 s off (ETSI TR 101 041)", kCallProgressEuDbm0},
    GeneratorInfo{"ans", "answer tone ANS 2100 Hz, continuous (V.25)", kAnswerToneDbm0},
    GeneratorInfo{"ans_pr", "ANS/ 2100 Hz with 180 degree phase reversals every 450 ms (V.25)", kAnswerToneDbm0},
    GeneratorInfo{"ansam", "ANSam 2100 Hz, 15 Hz sine AM, envelope 0.8..1.2 (V.8)", kAnswerToneDbm0},
    GeneratorInfo{"ansam_pr", "ANSam/ 2100 Hz, 15 Hz AM and phase reversals every 450 ms (V.8)", kAnswerToneDbm0},
    GeneratorInfo{"cng", "fax calling tone CNG 1100 Hz, 0.5 s on / 3 s off (T.30)", kCallingToneDbm0},
    GeneratorInfo{"ct", "calling tone CT 1300 Hz, 0.6 s on / 2 s off (V.25)", kCallingToneDbm0},
    GeneratorInfo{"tone_a", "V.34 tone A 2400 Hz (answerer), continuous", kV34ToneDbm0},
    GeneratorInfo{"tone_b", "V.34 tone B 1200 Hz (caller), continuous", kV34ToneDbm0},
};

std::string valid_names() {
  std::string names;
  for (const auto& info : kCatalog) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

ToneGeneratorConfig single(double freq_hz, double level_dbm0) {
  ToneGeneratorConfig config;
  config.tones = {{freq_hz, level_dbm0}};
  return config;
}

ToneGeneratorConfig dual(double f1_hz, double f2_hz, double level_dbm0) {
  ToneGeneratorConfig config;
  config.tones = {{f1_hz, level_dbm0}, {f2_hz, level_dbm0}};
  return config;
}

ToneGeneratorConfig cadenced(ToneGeneratorConfig config, int on_ms, int off_ms) {
  config.cadence_samples = {ms(on_ms), ms(off_ms)};
  return config;
}

ToneGeneratorConfig tone_config(std::string_view name, const GeneratorOptions& options, double level) {
  if (name == "tone") {
    if (!(options.freq_hz > 0.0 && options.freq_hz < kSampleRate / 2.0)) {
      throw std::invalid_argument(fmt::format("tone: freq_hz {} is out of range (0 < f < 4000 Hz)", options.freq_hz));
    }
    if (options.freq2_hz == 0.0) return single(options.freq_hz, level);
    if (!(options.freq2_hz > 0.0 && options.freq2_hz < kSampleRate / 2.0)) {
      throw std::invalid_argument(
          fmt::format("tone: freq2_hz {} is out of range (0 < f < 4000 Hz, or 0 for none)", options.freq2_hz));
    }
    return dual(options.freq_hz, options.freq2_hz, level);
  }
  // Precise Tone Plan (North America) and the CEPT 425 Hz plan (Europe).
  if (name == "dial_tone_na") return dual(350.0, 440.0, level);
  if (name == "dial_tone_eu") return single(425.0, level);
  if (name == "ringback_na") return cadenced(dual(440.0, 480.0, level), 2000, 4000);
  if (name == "ringback_eu") return cadenced(single(425.0, level), 1000, 4000);
  if (name == "busy_na") return cadenced(dual(480.0, 620.0, level), 500, 500);
  if (name == "busy_eu") return cadenced(single(425.0, level), 500, 500);
  if (name == "ans") return answer_tone_config(level, false, false);
  if (name == "ans_pr") return answer_tone_config(level, false, true);
  if (name == "ansam") return answer_tone_config(level, true, false);
  if (name == "ansam_pr") return answer_tone_config(level, true, true);
  // T.30: CNG 1100 ±38 Hz, 0.5 s on, 3 s off.
  if (name == "cng") return cadenced(single(1100.0, level), 500, 3000);
  // V.25: calling tone 1300 Hz, on 0.5..0.7 s, off 1.5..2.0 s; we send 0.6 s / 2.0 s.
  if (name == "ct") return cadenced(single(1300.0, level), 600, 2000);
  // V.34 phase 2 (line probing start-up): tone A 2400 Hz from the answerer, tone B 1200 Hz from the caller.
  if (name == "tone_a") return single(2400.0, level);
  return single(1200.0, level);  // "tone_b"
}

}  // namespace

// V.25 answer tone 2100 ±15 Hz; V.8 ANSam: 15 ±0.1 Hz AM, envelope 0.8..1.2 of its mean.
ToneGeneratorConfig answer_tone_config(double level_dbm0, bool am, bool reversals) {
  ToneGeneratorConfig config;
  config.tones = {ToneComponent{2100.0, level_dbm0}};
  if (am) {
    config.am_freq_hz = 15.0;
    config.am_depth = 0.2;
  }
  if (reversals) config.reversal_period_samples = kAnsReversalPeriodSamples;
  return config;
}


std::span<const GeneratorInfo> generator_catalog() noexcept { return kCatalog; }

std::unique_ptr<Generator> make_generator(std::string_view name, const GeneratorOptions& options) {
  const GeneratorInfo* info = nullptr;
  for (const auto& entry : kCatalog) {
    if (entry.name == name) info = &entry;
  }
  if (info == nullptr) {
    throw std::invalid_argument(fmt::format("unknown generator '{}'; valid names: {}", name, valid_names()));
  }
  const double level = std::isnan(options.level_dbm0) ? info->default_level_dbm0 : options.level_dbm0;
  if (!std::isfinite(level) || level > kMaxToneLevelDbm0) {
    throw std::invalid_argument(
        fmt::format("{}: level_dbm0 {} is not a level at or below +{} dBm0", name, level, kMaxToneLevelDbm0));
  }
  if (name == "dtmf") {
    if (level + kDtmfTwistDb > kMaxToneLevelDbm0) {
      throw std::invalid_argument(fmt::format("dtmf: level_dbm0 {} puts the high group at {} dBm0, above +{} dBm0",
                                              level, level + kDtmfTwistDb, kMaxToneLevelDbm0));
    }
    DtmfConfig config;
    config.digits = options.digits;
    config.low_level_dbm0 = level;
    config.high_level_dbm0 = level + kDtmfTwistDb;
    return std::make_unique<DtmfGenerator>(config);
  }
  return std::make_unique<ToneGenerator>(tone_config(name, options, level));
}

}  // namespace squeal
