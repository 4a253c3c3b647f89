#include "cli/common.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "dsp/simd/dispatch.h"

namespace squeal::cli {

namespace {

// Measurements rounded for output to `decimals` places (0.01 dB, 0.001 AM depth, 0.01 Hz).
double round_to(double x, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(x * scale) / scale;
}

bool has_level(const Event& e) { return e.level_dbm0 > -199.0f; }

std::string freqs_text(const Event& e) {
  if (e.freq_hz <= 0) return {};
  if (e.freq2_hz > 0) return fmt::format("{:g}+{:g} Hz", e.freq_hz, e.freq2_hz);
  return fmt::format("{:g} Hz", e.freq_hz);
}

}  // namespace

void add_simd_option(CLI::App* cmd, std::string& target) {
  cmd->add_option("--simd", target, "SIMD target of the DSP kernels: scalar, sse4, avx2, avx512 or best")
      ->check(CLI::IsMember({"scalar", "sse4", "avx2", "avx512", "best"}))
      ->capture_default_str();
}

void apply_simd(const std::string& target) {
  try {
    simd::set_target(simd::parse_target(target));
  } catch (const std::invalid_argument& e) {
    std::string available;
    for (const auto t : simd::available_targets()) {
      if (!available.empty()) available += ", ";
      available += simd::target_name(t);
    }
    throw std::runtime_error(
        fmt::format("--simd {}: {} (this machine has: {}, best)", target, e.what(), available));
  }
}

std::string_view signal_side(Signal s) noexcept {
  switch (s) {
    case Signal::dtmf:
    case Signal::cng:
    case Signal::ct:
    case Signal::tone_b:
      return "caller";
    case Signal::dial_tone:
    case Signal::ringback:
    case Signal::busy:
      return "network";
    case Signal::ans:
    case Signal::ans_pr:
    case Signal::ansam:
    case Signal::ansam_pr:
    case Signal::phase_reversal:
    case Signal::tone_a:
      return "answerer";
    case Signal::tone:
      return "unknown";
  }
  return "unknown";
}

std::string interval_text(const Interval& interval) {
  const Event& e = interval.fields;
  std::string text;
  const auto add = [&text](const std::string& part) {
    if (part.empty()) return;
    if (!text.empty()) text += ", ";
    text += part;
  };
  if (interval.signal == Signal::dtmf) add(fmt::format("digit {}", e.digit != 0 ? e.digit : '?'));
  if (interval.signal == Signal::phase_reversal) add("180 degree phase reversal");
  add(freqs_text(e));
  if (has_level(e)) add(fmt::format("{:.1f} dBm0", e.level_dbm0));
  if (has_level(e)) add(fmt::format("SNR {:.1f} dB", e.snr_db));
  if (interval.signal == Signal::dtmf) add(fmt::format("twist {:+.1f} dB", e.twist_db));
  if (interval.signal == Signal::ansam || interval.signal == Signal::ansam_pr) {
    add(fmt::format("AM depth {:.2f} at {:.1f} Hz", e.am_depth, e.am_rate_hz));
  }
  if (!interval.reversals.empty()) {
    std::string times;
    for (const SampleIndex r : interval.reversals) {
      times += fmt::format("{}{:.3f}", times.empty() ? "" : " ", samples_to_seconds(r));
    }
    add(fmt::format("{} reversals at {} s", interval.reversals.size(), times));
  }
  if (interval.open) add("still on at end of file");
  return text;
}

nlohmann::ordered_json interval_json(const Interval& interval) {
  const Event& e = interval.fields;
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();
  if (interval.signal == Signal::dtmf) {
    fields["digit"] = std::string(1, e.digit);
    fields["twist_db"] = round_to(e.twist_db, 2);
  }
  if (e.freq_hz > 0) fields["freq_hz"] = round_to(e.freq_hz, 2);
  if (e.freq2_hz > 0) fields["freq2_hz"] = round_to(e.freq2_hz, 2);
  if (has_level(e)) {
    fields["level_dbm0"] = round_to(e.level_dbm0, 2);
    fields["snr_db"] = round_to(e.snr_db, 2);
  }
  if (is_answer_tone(interval.signal)) {
    fields["am_depth"] = round_to(e.am_depth, 3);
    fields["am_rate_hz"] = round_to(e.am_rate_hz, 2);
    nlohmann::ordered_json times = nlohmann::ordered_json::array();
    for (const SampleIndex r : interval.reversals) times.push_back(samples_to_seconds(r));
    fields["reversals_s"] = times;
    fields["reversal_count"] = interval.reversals.size();
  } else if (e.count != 0) {
    fields["count"] = e.count;
  }
  if (interval.open) fields["open"] = true;
  return {
      {"signal", signal_name(interval.signal)},
      {"start_s", samples_to_seconds(interval.start)},
      {"end_s", samples_to_seconds(interval.end)},
      {"side", signal_side(interval.signal)},
      {"text", interval_text(interval)},
      {"fields", fields},
  };
}

std::string dtmf_digits(std::span<const Interval> intervals) {
  std::string digits;
  for (const Interval& iv : intervals) {
    if (iv.signal == Signal::dtmf && iv.fields.digit != 0) digits += iv.fields.digit;
  }
  return digits;
}

}  // namespace squeal::cli
