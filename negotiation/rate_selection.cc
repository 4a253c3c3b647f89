#include "negotiation/rate_selection.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace squeal {

namespace {

double symbol_rate_exact(int code) { return symbol_rate_exact_baud(code); }

bool carrier_allowed(int code, bool high, const RateCapabilities& caps) {
  if (!caps.symbol_rate[static_cast<std::size_t>(code)]) return false;
  if (code == 3) return high ? caps.high_carrier_3000 : caps.low_carrier_3000;
  if (code == 4) return high ? caps.high_carrier_3200 : caps.low_carrier_3200;
  return true;
}

RateOption evaluate(int code, bool high, std::span<const ToneSnr> tones, const RateCapabilities& caps) {
  RateOption o;
  o.symbol_rate_code = code;
  o.symbol_rate_baud = symbol_rate_baud(code);
  o.high_carrier = high;
  o.carrier_hz = carrier_freq_hz(code, high);
  o.allowed = carrier_allowed(code, high, caps);
  const double s = symbol_rate_exact(code);
  const double lo = o.carrier_hz - 0.45 * s, hi = o.carrier_hz + 0.45 * s;
  const double gap = std::pow(10.0, kGapDb / 10.0);
  double bits_sum = 0, snr_sum = 0;
  for (const ToneSnr& t : tones) {
    if (t.freq_hz < lo || t.freq_hz > hi) continue;
    ++o.tones;
    const double snr_db = std::isnan(t.snr_db) ? -100.0 : std::clamp(t.snr_db, -100.0, 100.0);
    bits_sum += std::log2(1.0 + std::pow(10.0, snr_db / 10.0) / gap);
    snr_sum += snr_db;
  }
  if (o.tones == 0) return o;
  o.bits_per_symbol = bits_sum / o.tones;
  o.band_snr_db = snr_sum / o.tones;
  int rate = static_cast<int>(std::floor(o.bits_per_symbol * s / kBitRateStep)) * kBitRateStep;
  int cap = max_data_rate_bps(code);
  if (!caps.constellation_1664) cap = std::min(cap, 28800);
  rate = std::min(rate, cap);
  const int minimum = code == 0 ? 2400 : 4800;
  o.bit_rate = rate >= minimum ? rate : 0;
  return o;
}

// Better: higher rate, then more margin, then lower symbol rate.
bool better(const RateOption& a, const RateOption& b) {
  if (a.bit_rate != b.bit_rate) return a.bit_rate > b.bit_rate;
  const double ma = a.bits_per_symbol * symbol_rate_exact(a.symbol_rate_code) - a.bit_rate;
  const double mb = b.bits_per_symbol * symbol_rate_exact(b.symbol_rate_code) - b.bit_rate;
  if (std::abs(ma - mb) > 1e-9) return ma > mb;
  return a.symbol_rate_code < b.symbol_rate_code;
}

}  // namespace

RateDecision select_rate(std::span<const ToneSnr> tones, const RateCapabilities& caps) {
  RateDecision d;
  for (int code = 0; code < 6; ++code) {
    RateOption best;
    bool have = false;
    for (const bool high : {false, true}) {
      const RateOption o = evaluate(code, high, tones, caps);
      if (!o.allowed) continue;
      if (!have || better(o, best)) {
        best = o;
        have = true;
      }
    }
    if (!have) {
      best = evaluate(code, false, tones, caps);
      best.allowed = false;
      best.bit_rate = 0;
    }
    d.best_per_rate[static_cast<std::size_t>(code)] = best;
    if (best.allowed && best.bit_rate > 0 && (!d.usable || better(best, d.chosen))) {
      d.chosen = best;
      d.usable = true;
    }
  }
  return d;
}

std::string rate_reason(const RateDecision& d) {
  if (!d.measured) return "the line probe was not received well enough to measure";
  if (!d.usable) return "no symbol rate carries the minimum data rate: the probed SNR is too low";
  const RateOption& c = d.chosen;
  return fmt::format(
      "{} baud, {} carrier {:.0f} Hz: {} probe tones in {:.0f}-{:.0f} Hz, mean SNR {:.1f} dB, "
      "{:.2f} bit/symbol at a {:.0f} dB gap -> {} bit/s{}",
      c.symbol_rate_baud, c.high_carrier ? "high" : "low", c.carrier_hz, c.tones,
      c.carrier_hz - 0.45 * symbol_rate_exact(c.symbol_rate_code),
      c.carrier_hz + 0.45 * symbol_rate_exact(c.symbol_rate_code), c.band_snr_db, c.bits_per_symbol, kGapDb,
      c.bit_rate, c.bit_rate == max_data_rate_bps(c.symbol_rate_code) ? " (the symbol rate's maximum)" : "");
}

std::array<ToneSnr, kProbeToneCount> probe_tone_snrs(const ProbeReport& report) noexcept {
  std::array<ToneSnr, kProbeToneCount> t{};
  const double bin_to_share_db = 10.0 * std::log10(150.0 / 50.0);
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i].freq_hz = report.tones[i].freq_hz;
    t[i].snr_db = report.tones[i].snr_db - bin_to_share_db;
  }
  return t;
}

RateDecision select_rate(const ProbeReport& report, const RateCapabilities& caps) {
  if (!report.valid) {
    RateDecision d;
    d.measured = false;
    return d;
  }
  const auto tones = probe_tone_snrs(report);
  return select_rate(std::span<const ToneSnr>(tones), caps);
}

}  // namespace squeal
