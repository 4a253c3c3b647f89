// ToneDetector: signalling tones (CNG, CT, tone A/B), pairs, levels, SNR
// limits, hysteresis, edge times, ordering and chunk invariance.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsp/levels.h"
#include "dsp/tone_detector.h"
#include "tests/signal_synth.h"

using namespace squeal;

namespace {

void add_tone(std::vector<float>& x, double freq_hz, double level_dbm0, std::size_t start,
              std::size_t length, double phase = 0.4) {
  const double a = dbm0_to_amplitude(level_dbm0);
  for (std::size_t n = 0; n < length && start + n < x.size(); ++n)
    x[start + n] += static_cast<float>(a * std::sin(2 * kPi * freq_hz * static_cast<double>(n) / 8000.0 + phase));
}

std::vector<Event> run(std::span<const float> x, const ToneDetector::Config& config,
                       std::size_t chunk = 160) {
  ToneDetector det(config);
  return test::detect_events(det, x, chunk);
}

std::vector<Event> of(const std::vector<Event>& ev, Signal s) {
  std::vector<Event> r;
  for (const Event& e : ev)
    if (e.signal == s) r.push_back(e);
  return r;
}

}  // namespace

TEST_CASE("signalling tones are told apart, with start and end") {
  const auto config = ToneDetector::signalling_tones();
  std::vector<float> x(8000 * 5, 0.f);
  add_tone(x, 1100, -15, 1003, 4000);    // CNG 0.5 s
  add_tone(x, 1300, -20, 8011, 8000);    // CT 1 s
  add_tone(x, 2400, -10, 18017, 2000);   // tone A 250 ms
  add_tone(x, 1200, -30, 24029, 1200);   // tone B 150 ms
  const auto ev = run(x, config);
  REQUIRE(ev.size() == 8);
  const Signal expect[4] = {Signal::cng, Signal::ct, Signal::tone_a, Signal::tone_b};
  const SampleIndex starts[4] = {1003, 8011, 18017, 24029};
  const SampleIndex lengths[4] = {4000, 8000, 2000, 1200};
  const double levels[4] = {-15, -20, -10, -30};
  for (int i = 0; i < 4; ++i) {
    const Event& on = ev[2 * static_cast<std::size_t>(i)];
    const Event& off = ev[2 * static_cast<std::size_t>(i) + 1];
    CHECK(on.signal == expect[i]);
    CHECK(off.signal == expect[i]);
    CHECK(on.edge == Edge::on);
    CHECK(off.edge == Edge::off);
    CHECK(std::abs(on.sample - starts[i]) <= 8);
    CHECK(std::abs(off.sample - (starts[i] + lengths[i])) <= 8);
    CHECK(off.level_dbm0 == doctest::Approx(levels[i]).epsilon(0.01));
    CHECK(off.snr_db > 25);
  }
}

TEST_CASE("tone pairs need both tones") {
  ToneDetector::Config c;
  c.tones.push_back({Signal::tone, 697, 1209, -30, 40, 6});
  std::vector<float> x(8000, 0.f);
  add_tone(x, 697, -10, 500, 1600);
  add_tone(x, 1209, -10, 500, 1600);
  add_tone(x, 697, -10, 4000, 1600);  // low tone alone
  add_tone(x, 697, -10, 6000, 1600);  // pair 12 dB apart: over the 10 dB twist limit
  add_tone(x, 1209, -22, 6000, 1600);
  const auto ev = run(x, c);
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].freq_hz == 697.f);
  CHECK(ev[0].freq2_hz == 1209.f);
  CHECK(ev[1].level_dbm0 == doctest::Approx(-10 + 3.01).epsilon(0.02));
  CHECK(std::abs(ev[0].sample - 500) <= 12);
  CHECK(std::abs(ev[1].sample - 2100) <= 12);
}

TEST_CASE("minimum level and duration") {
  const auto config = ToneDetector::signalling_tones();
  std::vector<float> x(8000 * 3, 0.f);
  add_tone(x, 1100, -40, 1000, 4000);   // above -43: reported
  add_tone(x, 1300, -48, 6000, 4000);   // below: not
  add_tone(x, 1100, -10, 12000, 2000);  // 250 ms < 300 ms CNG minimum: not
  add_tone(x, 2400, -10, 16000, 480);   // 60 ms > 50 ms tone A minimum: reported
  const auto ev = run(x, config);
  REQUIRE(ev.size() == 4);
  CHECK(ev[0].signal == Signal::cng);
  CHECK(ev[2].signal == Signal::tone_a);
}

TEST_CASE("detection versus SNR in band-limited noise, no chatter") {
  // Ten 400 ms CNG bursts at -20 dBm0; SNR = tone power / noise power in 300-3400 Hz.
  // The SNR test is wide-band (tone over everything else in the block), so
  // the limit sits near the 6 dB threshold: measured all ten, each a single
  // on/off pair, down to 8 dB; none at 3 dB.
  const auto config = ToneDetector::signalling_tones();
  for (double snr_db : {40.0, 20.0, 10.0, 8.0, 6.0, 3.0}) {
    std::vector<float> x(8000 * 8, 0.f);
    for (std::size_t i = 0; i < 10; ++i) add_tone(x, 1100, -20, 2000 + 6000 * i, 3200);
    test::add_into(x, test::band_noise(x.size(), dbm0_to_mean_square(-20) / std::pow(10, snr_db / 10), 300,
                                       3400, 11u + static_cast<unsigned>(snr_db + 20)));
    const auto ev = run(x, config);
    const auto cng = of(ev, Signal::cng);
    MESSAGE("SNR " << snr_db << " dB: " << cng.size() / 2 << " CNG bursts, " << ev.size() - cng.size()
                   << " other events");
    if (snr_db >= 8) {
      REQUIRE(cng.size() == 20);
      CHECK(ev.size() == 20);
      for (std::size_t i = 0; i < 10; ++i) {
        CHECK(std::abs(cng[2 * i].sample - static_cast<SampleIndex>(2000 + 6000 * i)) <= 40);
        CHECK(std::abs(cng[2 * i + 1].sample - static_cast<SampleIndex>(5200 + 6000 * i)) <= 40);
      }
    }
    if (snr_db <= 3) CHECK(ev.empty());
  }
}

TEST_CASE("noise alone and speech-like noise report nothing") {
  const auto config = ToneDetector::signalling_tones();
  const auto noise = test::band_noise(8000 * 10, dbm0_to_mean_square(-15), 300, 3400, 5);
  CHECK(run(noise, config).empty());
  const auto speech = test::speech_like_noise(8000 * 20, dbm0_to_mean_square(-15), 6);
  const auto ev = run(speech, config);
  MESSAGE("events on 20 s of speech-like noise: " << ev.size());
  CHECK(ev.size() <= 2);
}

TEST_CASE("events are in sample order across tones and do not depend on chunk size") {
  ToneDetector::Config c = ToneDetector::signalling_tones();
  c.tones[0].min_duration_ms = 600;  // CNG reported late, back-dated before tone A's edges
  std::vector<float> x(8000 * 3, 0.f);
  add_tone(x, 1100, -20, 1000, 6400);
  add_tone(x, 2400, -20, 2000, 800);
  test::add_into(x, test::band_noise(x.size(), dbm0_to_mean_square(-40), 300, 3400, 9));
  const auto ref = run(x, c, 1);
  REQUIRE(ref.size() == 4);
  CHECK(ref[0].signal == Signal::cng);
  CHECK(ref[1].signal == Signal::tone_a);
  CHECK(ref[2].signal == Signal::tone_a);
  CHECK(ref[3].signal == Signal::cng);
  for (std::size_t i = 1; i < ref.size(); ++i) CHECK(ref[i].sample >= ref[i - 1].sample);
  for (std::size_t chunk : {37u, 160u, 1024u}) {
    const auto ev = run(x, c, chunk);
    CHECK(ev == ref);  // every field, bit for bit
  }
}

TEST_CASE("tone B with phase reversals stays one event") {
  const auto config = ToneDetector::signalling_tones();
  std::vector<float> x(8000, 0.f);
  for (std::size_t k = 0; k < 4; ++k)  // 180° reversals every 100 ms
    add_tone(x, 1200, -12, 1000 + 800 * k, 800, 0.4 + kPi * static_cast<double>(k) + 2 * kPi * 1200 * 800.0 * static_cast<double>(k) / 8000);
  const auto ev = run(x, config);
  REQUIRE(ev.size() == 2);
  CHECK(ev[0].signal == Signal::tone_b);
  CHECK(std::abs(ev[1].sample - 4200) <= 8);
}

TEST_CASE("configuration errors name the bad value") {
  ToneDetector::Config c;
  CHECK_THROWS_AS(ToneDetector{c}, std::invalid_argument);
  c.tones.push_back({Signal::tone, 4100, 0, -43, 100, 6});
  CHECK_THROWS_WITH_AS(ToneDetector{c}, doctest::Contains("4100"), std::invalid_argument);
  c.tones[0].freq_hz = 1000;
  c.tones[0].min_duration_ms = 5;
  CHECK_THROWS_WITH_AS(ToneDetector{c}, doctest::Contains("min_duration_ms"), std::invalid_argument);
}
