// V.34 INFO DPSK modem (600 bit/s) and tone A/B reversal timing: modulator
// timing, levels and spectrum; demodulator round trips (offset, skew, noise,
// the other channel); chunk and SIMD invariance; ranging through LinePath.
#include <doctest/doctest.h>

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "audio/line_sim.h"
#include "dsp/dpsk_modem.h"
#include "dsp/levels.h"
#include "dsp/simd/dispatch.h"
#include "negotiation/info_codec.h"
#include "tests/modem_checks.h"
#include "tests/signal_synth.h"

using namespace squeal;

namespace {

using test::Bits;

constexpr int kLeadTone = 10;   // symbols of unmodulated carrier first
constexpr int kLeadOnes = 8;    // then reversals (like INFO's fill): timing acquisition
constexpr int kLead = kLeadTone + kLeadOnes;
constexpr double kT = kSampleRate / kDpskSymbolRate;  // 13.33 samples per symbol

using test::random_bits;

// Lead (tone, then ones), `bits`, 10 symbols of tone; then the signal ends.
std::vector<float> modulate(const DpskModulatorConfig& cfg, const Bits& bits) {
  DpskModulator mod(cfg);
  for (int i = 0; i < kLead; ++i) mod.push(i >= kLeadTone);
  const auto total = static_cast<std::size_t>(mod.bit_start(kLead + static_cast<std::int64_t>(bits.size()) + 10));
  std::vector<float> out(total);
  std::size_t next = 0, pos = 0;
  while (pos < out.size()) {
    while (next < bits.size() && mod.push(bits[next] != 0)) ++next;
    const std::size_t n = std::min<std::size_t>(2000, out.size() - pos);
    mod.generate(std::span<float>(out).subspan(pos, n));
    pos += n;
  }
  return out;
}

// x, then 300 ms of silence so that everything comes out of the line.
std::vector<float> through_line(LinePath& line, std::vector<float> x) {
  x.resize(x.size() + 2400, 0.0f);
  std::vector<float> y(x.size());
  line.process(x, y);
  return y;
}

std::vector<DpskBit> demodulate(std::span<const float> x, int carrier_hz, std::size_t chunk = 160) {
  DpskDemodulator demod(DpskDemodulatorConfig{.carrier_hz = carrier_hz});
  return test::demodulate_all<DpskBit>(demod, x, chunk);
}

struct Score {
  std::size_t errors = 0, missing = 0, extra = 0;
  double max_stamp_error = 0;  // samples between a stamp and the true centre
  double mean_stamp_error = 0;  // signed mean of stamp - true centre (samples)
  [[nodiscard]] double ber(std::size_t n) const {
    return static_cast<double>(errors + missing + extra) / static_cast<double>(n);
  }
};

// Matches bits to sent data bits by stamp: data bit i is symbol kLead + i,
// centred at (kLead + i + 0.5)·T + the line's delay at that point.
Score score(const std::vector<DpskBit>& got, const Bits& sent, const LinePath* line = nullptr) {
  std::vector<int> seen(sent.size(), 0);
  Score s;
  std::size_t matched = 0;
  for (const DpskBit& b : got) {
    const double delay = line != nullptr ? line->delay_samples_at(b.stamp) : 0.0;
    const double k_real = (static_cast<double>(b.stamp) - delay) / kT - 0.5;
    const auto k = static_cast<std::int64_t>(std::lround(k_real)) - kLead;
    if (k < 0 || k >= static_cast<std::int64_t>(sent.size())) continue;
    const auto i = static_cast<std::size_t>(k);
    const double e = (k_real - std::round(k_real)) * kT;
    s.max_stamp_error = std::max(s.max_stamp_error, std::abs(e));
    s.mean_stamp_error += e;
    ++matched;
    if (++seen[i] > 1) ++s.extra;
    if (b.bit != sent[i]) ++s.errors;
  }
  for (const int c : seen) s.missing += c == 0 ? 1 : 0;
  if (matched > 0) s.mean_stamp_error /= static_cast<double>(matched);
  return s;
}

// Power spectrum (averaged 800-point periodograms, Hann), 10 Hz bins.
std::vector<double> spectrum(const std::vector<float>& x) {
  constexpr int n = 800;
  std::vector<float> in(n);
  std::vector<fftwf_complex> out(n / 2 + 1);
  fftwf_plan plan = fftwf_plan_dft_r2c_1d(n, in.data(), out.data(), FFTW_ESTIMATE);
  std::vector<double> p(n / 2 + 1, 0.0);
  for (std::size_t s = 0; s + n <= x.size(); s += n / 2) {
    for (int i = 0; i < n; ++i) in[static_cast<std::size_t>(i)] = x[s + static_cast<std::size_t>(i)] * static_cast<float>(0.5 - 0.5 * std::cos(2 * kPi * i / n));
    fftwf_execute(plan);
    for (std::size_t k = 0; k < p.size(); ++k) p[k] += out[k][0] * out[k][0] + out[k][1] * out[k][1];
  }
  fftwf_destroy_plan(plan);
  return p;
}

// Fraction (dB) of the power farther than `away_hz` from `centre_hz`.
double power_outside_db(const std::vector<double>& p, double centre_hz, double away_hz) {
  double in = 0, out = 0;
  for (std::size_t k = 0; k < p.size(); ++k) {
    (std::abs(static_cast<double>(k) * 10.0 - centre_hz) > away_hz ? out : in) += p[k];
  }
  return 10 * std::log10(out / (in + out));
}

}  // namespace

TEST_CASE("modulator: symbol k starts at round(k·40/3); a reversal's envelope is zero at its boundary") {
  DpskModulator mod(DpskModulatorConfig{.carrier_hz = 1200, .level_dbm0 = -13.0});
  CHECK(mod.bit_start(1) == 13);
  CHECK(mod.bit_start(2) == 27);
  CHECK(mod.bit_start(3) == 40);
  CHECK(mod.bit_start(600000) == 8000000);
  // Tone B: the unmodulated carrier at nominal level.
  std::vector<float> tone(4000);
  mod.generate(tone);
  CHECK(test::mean_square(tone) == doctest::Approx(dbm0_to_mean_square(-13.0)).epsilon(0.01));
  // Symbol 300 (boundary 4000) was fixed 7 samples before its start: a bit
  // pushed now goes into symbol 301.
  CHECK(mod.bits_started() == 301);
  const SampleIndex boundary = mod.next_boundary();
  CHECK(boundary == mod.bit_start(301));
  CHECK(mod.reverse() == boundary);
  std::vector<float> x(400);
  mod.generate(x);
  const auto at = [&](SampleIndex n) { return x[static_cast<std::size_t>(n - 4000)]; };
  const double amp = dbm0_to_amplitude(-13.0);
  CHECK(std::abs(at(boundary)) < 0.001 * amp);
  // Outside the ramp: the carrier as before (1200 Hz repeats every 20 samples), inverted after.
  for (const SampleIndex off : {-12, -8, 8, 20, 40}) {
    CAPTURE(off);
    const double ref = tone[static_cast<std::size_t>(boundary + off - 200)];
    CHECK(at(boundary + off) == doctest::Approx((off < 0 ? 1.0 : -1.0) * ref).epsilon(1e-3).scale(amp));
  }
  CHECK(mod.bits_started() == 331);

  CHECK_THROWS_AS(DpskModulator(DpskModulatorConfig{.carrier_hz = 1800}), std::invalid_argument);
  CHECK_THROWS_AS(DpskModulator(DpskModulatorConfig{.level_dbm0 = 3}), std::invalid_argument);
  CHECK_THROWS_AS(DpskModulator(DpskModulatorConfig{.symbol_rate = 610}), std::invalid_argument);
  CHECK_THROWS_AS(DpskDemodulator(DpskDemodulatorConfig{.carrier_hz = 600}), std::invalid_argument);
  CHECK_THROWS_AS(DpskDemodulator(DpskDemodulatorConfig{.on_level_dbm0 = -45, .off_level_dbm0 = -40}),
                  std::invalid_argument);
}

TEST_CASE("modulator: answer channel levels, spectra within carrier ± 600 Hz, on/off ramps") {
  // Tone A: 2400 Hz at nominal - 1 dB plus the 1800 Hz guard at nominal - 7 dB.
  DpskModulator a(DpskModulatorConfig{.carrier_hz = 2400, .level_dbm0 = -13.0});
  std::vector<float> tone(8000);
  a.generate(tone);
  const auto pa = spectrum(tone);
  const double total = test::mean_square(tone);
  CHECK(total == doctest::Approx(dbm0_to_mean_square(-14.0) + dbm0_to_mean_square(-20.0)).epsilon(0.01));
  CHECK(10 * std::log10(pa[240] / pa[180]) == doctest::Approx(6.0).epsilon(0.01));

  // Random data: the spectrum stays near the carrier.
  for (const int carrier : {1200, 2400}) {
    CAPTURE(carrier);
    const auto x = modulate(DpskModulatorConfig{.carrier_hz = carrier, .guard_tone = false}, random_bits(3000, 5u));
    const auto p = spectrum(x);
    const double out600 = power_outside_db(p, carrier, 600);
    const double out900 = power_outside_db(p, carrier, 900);
    MESSAGE("carrier ", carrier, ": power beyond ±600 Hz ", out600, " dB, beyond ±900 Hz ", out900, " dB");
    CHECK(out600 < -20.0);
    CHECK(out900 < -35.0);
  }

  // Off: silent after one symbol's ramp, and no step anywhere.
  DpskModulator m(DpskModulatorConfig{.carrier_hz = 1200});
  std::vector<float> y(200);
  m.generate(y);
  m.set_on(false);
  const SampleIndex off_at = m.next_boundary();
  std::vector<float> z(400);
  m.generate(z);
  for (std::size_t i = static_cast<std::size_t>(off_at + 7 - 200); i < z.size(); ++i) REQUIRE(z[i] == 0.0f);
  CHECK(std::abs(z[static_cast<std::size_t>(off_at - 200 - 10)]) + std::abs(z[static_cast<std::size_t>(off_at - 200 - 12)]) > 0.01f);
  DpskModulator silent(DpskModulatorConfig{.start_on = false});
  std::vector<float> s(100);
  silent.generate(s);
  CHECK(test::mean_square(s) == 0.0);
}

TEST_CASE("round trip: 3000 random bits bit-exact on both channels, stamps at symbol centres") {
  for (const int carrier : {1200, 2400}) {
    CAPTURE(carrier);
    const Bits sent = random_bits(3000, 11u + static_cast<std::uint32_t>(carrier));
    const auto x = modulate(DpskModulatorConfig{.carrier_hz = carrier}, sent);
    const auto got = demodulate(x, carrier);
    const Score s = score(got, sent);
    MESSAGE("carrier ", carrier, ": errors ", s.errors, " missing ", s.missing, " extra ", s.extra,
            " stamp error max ", s.max_stamp_error, " mean ", s.mean_stamp_error, " samples");
    CHECK(s.errors == 0);
    CHECK(s.missing == 0);
    CHECK(s.extra == 0);
    CHECK(s.max_stamp_error < 2.0);  // <= 1 sample once settled; up to 1.7 in the first symbols
    REQUIRE(!got.empty());
    CHECK(got.front().after_gap);
    CHECK(std::count_if(got.begin(), got.end(), [](const DpskBit& b) { return b.after_gap; }) == 1);
  }
}

TEST_CASE("through a line with ±10 Hz offset and ±200 ppm skew: bit-exact") {
  const Bits sent = random_bits(2500, 7u);
  for (const int carrier : {1200, 2400}) {
    const auto x = modulate(DpskModulatorConfig{.carrier_hz = carrier}, sent);
    for (const double offset : {-10.0, 10.0}) {
      for (const double skew : {-200.0, 200.0}) {
        CAPTURE(carrier);
        CAPTURE(offset);
        CAPTURE(skew);
        LinePath line(LinePathConfig{.delay_ms = 12.375, .offset_hz = offset, .skew_ppm = skew});
        const Score s = score(demodulate(through_line(line, x), carrier), sent, &line);
        CHECK(s.errors == 0);
        CHECK(s.missing == 0);
        CHECK(s.extra == 0);
        CHECK(s.max_stamp_error < 3.0);  // the skew drifts the line delay by up to 2 samples
      }
    }
  }
}

// SNR: nominal level over the noise power in 300-3400 Hz (LinePath's
// definition). "+other": the opposite channel (with its guard tone when it is
// the answer channel) 10 dB above this one, same noise relative to this one.
TEST_CASE("BER vs SNR, alone and under the other channel at +10 dB") {
  const Bits sent = random_bits(4000, 23u);
  const Bits other_bits = random_bits(4100, 24u);
  for (const int carrier : {1200, 2400}) {
    for (const bool other : {false, true}) {
      const double level = other ? -23.0 : -13.0;
      auto x = modulate(DpskModulatorConfig{.carrier_hz = carrier, .level_dbm0 = level}, sent);
      if (other) test::add_into(x, modulate(DpskModulatorConfig{.carrier_hz = 3600 - carrier}, other_bits));
      for (const auto& [snr_db, max_ber] :
           {std::pair{15.0, 0.0}, std::pair{12.0, 0.0}, std::pair{10.0, 5e-4}, std::pair{6.0, 2e-3},
            std::pair{3.0, 1e-2}}) {
        CAPTURE(carrier);
        CAPTURE(other);
        CAPTURE(snr_db);
        LinePath line(LinePathConfig{.snr_db = snr_db, .reference_level_dbm0 = level, .offset_hz = 5.0,
                                     .skew_ppm = 100.0, .seed = 99u});
        const Score s = score(demodulate(through_line(line, x), carrier), sent, &line);
        MESSAGE("carrier ", carrier, std::string(other ? " +other" : ""), " SNR ", snr_db, " dB: BER ", s.ber(sent.size()),
                " (errors ", s.errors, ", missing ", s.missing, ", extra ", s.extra, ")");
        CHECK(s.ber(sent.size()) <= max_ber);
      }
    }
  }
}

TEST_CASE("demodulator output is identical for chunk sizes 1, 37, 160, 1024") {
  const Bits sent = random_bits(500, 77u);
  auto x = modulate(DpskModulatorConfig{.carrier_hz = 2400}, sent);
  x.insert(x.begin(), 1234, 0.0f);  // carrier on mid-stream
  x.resize(x.size() + 500, 0.0f);   // and off again
  test::add_into(x, test::band_noise(x.size(), dbm0_to_mean_square(-30.0), 300, 3400, 9u));
  test::check_chunk_size_invariance(x, 500, [](auto y, std::size_t chunk) { return demodulate(y, 2400, chunk); });
}

TEST_CASE("every SIMD target demodulates the same bits as the scalar kernel") {
  const Bits sent = random_bits(600, 78u);
  auto x = modulate(DpskModulatorConfig{.carrier_hz = 1200}, sent);
  test::add_into(x, test::band_noise(x.size(), dbm0_to_mean_square(-28.0), 300, 3400, 10u));
  test::check_simd_targets_match_scalar(x, [](auto y, std::size_t chunk) { return demodulate(y, 1200, chunk); });
}

TEST_CASE("INFO0 test vector survives the modem (v34-phase2.md)") {
  const char* vector = "1111011100101111111110000100010001111110110011111";
  Bits frame;
  for (const char* c = vector; *c != 0; ++c) frame.push_back(*c == '1' ? 1 : 0);
  for (const int carrier : {1200, 2400}) {
    CAPTURE(carrier);
    // Silence, then INFO0 twice straight from carrier-on (one reference symbol first).
    DpskModulator mod(DpskModulatorConfig{.carrier_hz = carrier, .start_on = false});
    std::vector<float> x(200);
    mod.generate(x);
    mod.set_on(true);
    x.clear();
    mod.push_bits(frame);
    mod.push_bits(frame);
    std::vector<float> sig(static_cast<std::size_t>(mod.bit_start(2 * 49 + 6)));
    mod.generate(sig);
    x.insert(x.end(), sig.begin(), sig.end());
    x.resize(x.size() + 200, 0.0f);
    InfoReceiver rx(InfoKind::info0);
    for (const DpskBit& b : demodulate(x, carrier)) rx.push(b.bit != 0, b.stamp);
    rx.flush();
    int good = 0;
    InfoFrame f;
    while (rx.pop(f)) good += f.crc_ok ? 1 : 0;
    CHECK(good == 2);
  }
}

namespace {

// Tone B or A with reversals at known samples through a line; returns
// (detected instant - sent instant - line delay) per reversal, in samples.
std::vector<double> reversal_errors(int carrier, const LinePathConfig& cfg, int reversals, std::size_t chunk) {
  DpskModulator mod(DpskModulatorConfig{.carrier_hz = carrier});
  LinePath line(cfg);
  DpskDemodulator demod(DpskDemodulatorConfig{.carrier_hz = carrier});
  std::vector<SampleIndex> sent;
  std::vector<DpskReversal> got;
  std::vector<float> tx(chunk), rx(chunk);
  const auto total = static_cast<SampleIndex>(600 + 800 * reversals + 1600);  // 75 ms, 100 ms each, 200 ms
  for (SampleIndex n = 0; n < total;) {
    if (static_cast<int>(sent.size()) < reversals && n == 600 + 800 * static_cast<SampleIndex>(sent.size())) {
      sent.push_back(mod.reverse());
    }
    const SampleIndex r = 600 + 800 * static_cast<SampleIndex>(sent.size());  // next reversal
    const bool more = static_cast<int>(sent.size()) < reversals;
    const auto len = static_cast<std::size_t>(
        more && n < r ? std::min<SampleIndex>(static_cast<SampleIndex>(chunk), r - n) : static_cast<SampleIndex>(chunk));
    const std::span<float> t(tx.data(), len), o(rx.data(), len);
    mod.generate(t);
    line.process(t, o);
    demod.process(o);
    n += static_cast<SampleIndex>(len);
    DpskReversal rev;
    while (demod.pop_reversal(rev)) got.push_back(rev);
  }
  std::vector<double> errors;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double truth = i < sent.size() ? static_cast<double>(sent[i]) + line.delay_samples_at(got[i].stamp) : 1e9;
    errors.push_back(got[i].instant - truth);
  }
  CHECK(got.size() == sent.size());
  return errors;
}

}  // namespace

TEST_CASE("ranging: reversal instants through a line land on the line's delay") {
  double worst_clean = 0, worst_noisy = 0;
  for (const int carrier : {1200, 2400}) {
    for (const double delay_ms : {0.0, 1.0, 12.375, 37.5, 100.0}) {
      for (const auto& [offset, skew] : {std::pair{0.0, 0.0}, std::pair{7.0, 200.0}, std::pair{-10.0, -150.0}}) {
        for (const double snr : {static_cast<double>(INFINITY), 20.0}) {
          CAPTURE(carrier);
          CAPTURE(delay_ms);
          CAPTURE(offset);
          CAPTURE(skew);
          CAPTURE(snr);
          const LinePathConfig cfg{.delay_ms = delay_ms, .snr_db = snr, .offset_hz = offset, .skew_ppm = skew,
                                   .seed = static_cast<std::uint64_t>(delay_ms * 8 + 3)};
          const auto errors = reversal_errors(carrier, cfg, 3, 160);
          for (const double e : errors) {
            CHECK(std::abs(e) < (std::isinf(snr) ? 0.8 : 2.0));  // 0.1 ms clean, 0.25 ms at 20 dB
            (std::isinf(snr) ? worst_clean : worst_noisy) = std::max(std::isinf(snr) ? worst_clean : worst_noisy, std::abs(e));
          }
        }
      }
    }
  }
  MESSAGE("worst reversal timing error: clean ", worst_clean / 8, " ms, 20 dB SNR ", worst_noisy / 8, " ms");
}

TEST_CASE("ranging: reversal reports do not depend on the chunk size, and data is not ranging") {
  const LinePathConfig cfg{.delay_ms = 20, .snr_db = 25, .offset_hz = 3, .skew_ppm = 50};
  const auto ref = reversal_errors(1200, cfg, 2, 1024);
  for (const std::size_t chunk : {1u, 37u, 160u}) {
    const auto got = reversal_errors(1200, cfg, 2, chunk);
    REQUIRE(got.size() == ref.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == ref[i]);
  }
  // 30 ms of tone B, 600 ones (a reversal every symbol: not ranging), 40 ms of
  // tone, one reversal, tone: exactly one ranging reversal, at its boundary.
  DpskDemodulator demod(DpskDemodulatorConfig{.carrier_hz = 1200});
  DpskModulator mod(DpskModulatorConfig{.carrier_hz = 1200});
  std::vector<float> x(240);
  mod.generate(x);
  Bits bits(600, 1);
  bits.insert(bits.end(), 24, 0);
  const SampleIndex lone = mod.bit_start(mod.bits_started() + static_cast<std::int64_t>(bits.size()));
  bits.push_back(1);
  bits.insert(bits.end(), 24, 0);
  mod.push_bits(bits);
  x.resize(static_cast<std::size_t>(mod.bit_start(mod.bits_started() + static_cast<std::int64_t>(bits.size()) + 10)));
  mod.generate(std::span<float>(x).subspan(240));
  // Reported within kReversalLatency of its instant.
  const auto due = static_cast<std::size_t>(lone + static_cast<SampleIndex>(std::ceil(DpskDemodulator::kReversalLatency)) + 1);
  demod.process(std::span<const float>(x).first(due));
  DpskReversal r;
  CHECK(demod.pop_reversal(r));
  CHECK(std::abs(r.instant - static_cast<double>(lone)) < 0.5);
  demod.process(std::span<const float>(x).subspan(due));
  int count = 1;
  while (demod.pop_reversal(r)) {
    ++count;
    CHECK(std::abs(r.instant - static_cast<double>(lone)) < 0.5);
  }
  CHECK(count == 1);
}
