// Helpers shared by the squeal subcommands: the --simd option, the JSON form
// of a detected interval (the project-wide event schema) and its one-line
// human description.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <span>
#include <string_view>

#include "dsp/analyzer.h"
#include "dsp/events.h"

namespace CLI {
class App;
}

namespace squeal::cli {

/// The program version (meson project version).
#ifdef SQUEAL_VERSION
inline constexpr std::string_view kVersion = SQUEAL_VERSION;
#else
inline constexpr std::string_view kVersion = "0.1.0";
#endif

/// Adds `--simd scalar|sse4|avx2|avx512|best` (default best) storing into `target`.
/// Every command that runs DSP kernels has it.
void add_simd_option(CLI::App* cmd, std::string& target);

/// Forces the SIMD target named `target` for the whole process. Throws
/// std::runtime_error naming the value and the targets this machine has.
void apply_simd(const std::string& target);

/// "caller", "answerer", "network" (call-progress tones from the exchange)
/// or "unknown" (a configured plain tone).
std::string_view signal_side(Signal s) noexcept;

/// One line for people: "digit 5 (770+1336 Hz), -8.1 dBm0, SNR 38.2 dB".
std::string interval_text(const Interval& interval);

/// The JSON event: {"signal", "start_s", "end_s", "side", "text", "fields": {...}}.
/// `fields` holds what applies to the signal: digit, freq_hz, freq2_hz,
/// level_dbm0, snr_db, twist_db, am_depth, am_rate_hz, reversals_s,
/// reversal_count, count, open.
nlohmann::ordered_json interval_json(const Interval& interval);

/// Digits of the DTMF intervals in order, e.g. "5702340003".
std::string dtmf_digits(std::span<const Interval> intervals);

}  // namespace squeal::cli
