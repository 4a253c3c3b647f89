// Rate selection: the rule of negotiation/rate_selection.h on tables of
// per-tone SNR (no DSP): known decisions, capabilities, monotonicity.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "negotiation/rate_selection.h"

using namespace squeal;

namespace {

// The 21 V.34 probe tones (150..3750 Hz, without 900, 1200, 1800, 2400).
std::vector<double> probe_freqs() {
  std::vector<double> f;
  for (int k = 1; k <= 25; ++k) {
    const int hz = 150 * k;
    if (hz != 900 && hz != 1200 && hz != 1800 && hz != 2400) f.push_back(hz);
  }
  return f;
}

// SNR at f: `snr_db` minus a tilt (dB per kHz above 1 kHz) and a hard edge.
std::vector<ToneSnr> tones(double snr_db, double tilt_db_per_khz = 0, double top_hz = 4000) {
  std::vector<ToneSnr> t;
  for (double f : probe_freqs()) {
    double s = snr_db - tilt_db_per_khz * std::max(0.0, (f - 1000) / 1000);
    if (f > top_hz) s = -10;
    t.push_back({f, s});
  }
  return t;
}

}  // namespace

TEST_CASE("there are 21 probe tones") { CHECK(probe_freqs().size() == 21); }

TEST_CASE("carriers follow the symbol-rate table of v34-phase2.md") {
  const double expect[6][2] = {{1600, 1800}, {1646, 1829}, {1680, 1867}, {1800, 2000}, {1829, 1920}, {1959, 1959}};
  for (int code = 0; code < 6; ++code) {
    CHECK(carrier_freq_hz(code, false) == doctest::Approx(expect[code][0]).epsilon(0.0005));
    CHECK(carrier_freq_hz(code, true) == doctest::Approx(expect[code][1]).epsilon(0.0005));
  }
  CHECK_THROWS_AS(carrier_freq_hz(6, false), std::invalid_argument);
}

TEST_CASE("a clean flat line gets 33600 at 3429 baud; 30 dB gets 24000") {
  RateDecision d = select_rate(tones(45));
  REQUIRE(d.usable);
  CHECK(d.chosen.symbol_rate_baud == 3429);
  CHECK(d.chosen.bit_rate == 33600);
  CHECK(rate_reason(d).find("33600 bit/s") != std::string::npos);
  // 30 dB: b = log2(1 + 10^((30-7)/10)) = 7.65 bit/symbol; 7.65 x 3428.6 = 26227 -> 24000,
  // 7.65 x 3200 = 24480 -> 24000: a tie broken by the larger margin (3429 baud).
  d = select_rate(tones(30));
  CHECK(d.chosen.bit_rate == 24000);
  CHECK(d.chosen.symbol_rate_baud == 3429);
  CHECK(d.chosen.bits_per_symbol == doctest::Approx(std::log2(1 + std::pow(10, 2.3))).epsilon(1e-9));
  CHECK(d.best_per_rate[3].bit_rate == 21600);  // 3000 baud: 22950 -> 21600
}

TEST_CASE("capabilities: no 1664-point constellation caps at 28800; a missing symbol rate is never chosen") {
  RateCapabilities caps;
  caps.constellation_1664 = false;
  CHECK(select_rate(tones(45), caps).chosen.bit_rate == 28800);
  caps = {};
  caps.symbol_rate[5] = false;  // no 3429
  const RateDecision d = select_rate(tones(45), caps);
  CHECK(d.chosen.symbol_rate_baud == 3200);
  CHECK(d.chosen.bit_rate == 31200);
  CHECK_FALSE(d.best_per_rate[5].allowed);
}

TEST_CASE("a line that dies above 2.9 kHz moves to a lower symbol rate and carrier") {
  const RateDecision d = select_rate(tones(38, 0, 2900));
  REQUIRE(d.usable);
  CHECK(d.chosen.symbol_rate_baud <= 3000);
  CHECK(d.chosen.carrier_hz + 0.45 * d.chosen.symbol_rate_baud <= 3000);
}

TEST_CASE("too little SNR: unusable, with the reason") {
  const RateDecision d = select_rate(tones(-5));
  CHECK_FALSE(d.usable);
  CHECK(rate_reason(d).find("too low") != std::string::npos);
}

TEST_CASE("the chosen bit rate never falls as SNR rises, on any tilt") {
  for (double tilt : {0.0, 3.0, 8.0}) {
    int last = 0;
    for (double snr = -10; snr <= 55; snr += 0.5) {
      const int rate = select_rate(tones(snr, tilt)).chosen.bit_rate;
      CAPTURE(tilt);
      CAPTURE(snr);
      CHECK(rate >= last);
      last = rate;
    }
    CHECK(last >= 28800);
  }
}
