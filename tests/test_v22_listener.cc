// V22Listener: V.22/V.22bis answer sequences and V.32bis AA/AC, on synthetic
// lines and on recording J (a V.22bis 2400 bit/s call).
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "dsp/levels.h"
#include "negotiation/v22_listener.h"
#include "recordings.h"

using namespace squeal;

namespace {

void tone(std::vector<float>& x, double f_hz, double level_dbm0, double seconds) {
  const double a = dbm0_to_amplitude(level_dbm0);
  const std::size_t n0 = x.size();
  const auto n = static_cast<std::size_t>(seconds * kSampleRateHz);
  for (std::size_t i = 0; i < n; ++i) x.push_back(static_cast<float>(a * std::sin(2 * kPi * f_hz * static_cast<double>(n0 + i) / kSampleRateHz)));
}

// A scrambled 600-baud channel as a spectrum: equal random-phase components
// every 10 Hz over carrier ± 300 Hz, so the channel is full and no line stands out.
void scrambled(std::vector<float>& x, double carrier_hz, double level_dbm0, double seconds, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 2 * kPi);
  std::vector<double> phases(61);
  for (double& p : phases) p = u(rng);
  const double a = dbm0_to_amplitude(level_dbm0) / std::sqrt(static_cast<double>(phases.size()));
  const std::size_t n0 = x.size();
  const auto n = static_cast<std::size_t>(seconds * kSampleRateHz);
  for (std::size_t i = 0; i < n; ++i) {
    double v = 0;
    for (std::size_t k = 0; k < phases.size(); ++k) {
      const double f = carrier_hz - 300 + 10.0 * static_cast<double>(k);
      v += std::cos(2 * kPi * f * static_cast<double>(n0 + i) / kSampleRateHz + phases[k]);
    }
    x.push_back(static_cast<float>(a * v));
  }
}

std::vector<V22Heard> listen(const std::vector<float>& x, std::size_t chunk) {
  V22Listener l;
  for (std::size_t i = 0; i < x.size(); i += chunk) l.process(std::span<const float>(x).subspan(i, std::min(chunk, x.size() - i)));
  return l.finish();
}

}  // namespace

TEST_CASE("a 2250 Hz line is the answerer's unscrambled ones; 1800 Hz alone is V.32bis AA") {
  std::vector<float> x(800, 0.0f);
  tone(x, 2250, -20, 0.5);   // 0.1 - 0.6 s
  x.resize(x.size() + 4000, 0.0f);
  tone(x, 1800, -15, 0.4);   // 1.1 - 1.5 s
  x.resize(x.size() + 4000, 0.0f);
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{37}, std::size_t{4096}}) {
    const auto heard = listen(x, chunk);
    REQUIRE(heard.size() == 2);
    CHECK(heard[0].signal == V22Signal::unscrambled_ones);
    CHECK(heard[0].answerer);
    CHECK(std::abs(static_cast<double>(heard[0].start) - 800) <= 160);
    CHECK(std::abs(static_cast<double>(heard[0].end) - 4800) <= 160);
    CHECK(heard[0].level_dbm0 == doctest::Approx(-20).epsilon(0.05));
    CHECK(heard[1].signal == V22Signal::v32_aa);
    CHECK_FALSE(heard[1].answerer);
  }
}

TEST_CASE("scrambled data counts only after the answerer's unscrambled ones") {
  std::vector<float> alone;
  scrambled(alone, 1200, -15, 1.0, 1);
  CHECK(listen(alone, 160).empty());  // could be V.21 or speech: not claimed

  std::vector<float> x;
  tone(x, 2250, -20, 0.4);
  scrambled(x, 1200, -15, 1.0, 2);
  const auto heard = listen(x, 160);
  REQUIRE(heard.size() >= 2);
  CHECK(heard[0].signal == V22Signal::unscrambled_ones);
  CHECK(heard.back().signal == V22Signal::scrambled);
  CHECK_FALSE(heard.back().answerer);
}

// Recording J (README: "V.22bis 2400 bit/s connection: answer tone, unscrambled
// binary ones, scrambled 1200/2400 training"). Read from the spectrogram: the
// 2250 Hz line runs 11.62-12.40 s right after ANSam ends (11.54 s); the caller's
// S1 (lines at 900/1200/1500 Hz) at 12.26 s, 80 of its 100 ms classified, then
// both channels carry scrambled signal to the end (30.17 s).
TEST_CASE("recording J: unscrambled ones, the caller's S1, then both channels scrambled") {
  const std::vector<float> x = test::read_recording_8k("J_goughlui_v22b_2400bps.mp3");
  const auto heard = listen(x, 4096);
  const V22Heard* ones = nullptr;
  const V22Heard* s1 = nullptr;
  const V22Heard* caller_data = nullptr;
  const V22Heard* answerer_data = nullptr;
  for (const V22Heard& h : heard) {
    if (h.signal == V22Signal::unscrambled_ones && h.answerer && !ones) ones = &h;
    if (h.signal == V22Signal::s1 && !s1) s1 = &h;
    if (h.signal == V22Signal::scrambled && !h.answerer && !caller_data) caller_data = &h;
    if (h.signal == V22Signal::scrambled && h.answerer && !answerer_data) answerer_data = &h;
    CHECK(h.signal != V22Signal::v32_aa);
    CHECK(h.signal != V22Signal::v32_ac);
  }
  REQUIRE(ones != nullptr);
  CHECK(std::abs(ones->start / 8000.0 - 11.62) <= 0.05);
  REQUIRE(s1 != nullptr);
  CHECK_FALSE(s1->answerer);
  CHECK(std::abs(s1->start / 8000.0 - 12.26) <= 0.05);
  REQUIRE(caller_data != nullptr);
  REQUIRE(answerer_data != nullptr);
  CHECK(caller_data->start > s1->start);
  CHECK(std::abs(answerer_data->start / 8000.0 - 12.5) <= 0.1);
  CHECK(answerer_data->end / 8000.0 > 29.5);
}

TEST_CASE("recordings of V.34/V.90 calls and of a fax give no V.22 or V.32bis signals before JM") {
  // A: V.90 (JM at 12.21 s). Nothing V.22-like before it.
  const std::vector<float> x = test::read_recording_8k("A_termini_wikimedia_dial_up_modem_noises.wav");
  for (const V22Heard& h : listen(x, 4096)) CHECK(h.start / 8000.0 > 12.2);
  const std::vector<float> fax = test::read_recording_8k("I_fax_ced_v21.wav");
  CHECK(listen(fax, 4096).empty());
}
