// squeal <-> squeal V.8 calls through the line simulator: 200 seeded calls
// with random menus and random impairments, and calls at very low SNR that
// must end with a reason, never hang.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "audio/line_sim.h"
#include "negotiation/call.h"
#include "negotiation/v8_session.h"

using namespace squeal;

namespace {

// Modulations a random menu draws from, best first (V8Modulation order):
// the independent oracle for "the correct joint mode".
constexpr std::array<V8Modulation, 7> kDrawn{V8Modulation::v90, V8Modulation::v34, V8Modulation::v32bis,
                                             V8Modulation::v22bis, V8Modulation::v26ter, V8Modulation::v23,
                                             V8Modulation::v21};

struct RandomCall {
  V8Menu caller, answerer;
  LineConfig line;
  std::optional<V8Modulation> expected;  // best mode both offered; none: nothing in common
  std::string describe;                  // for failure messages
};

RandomCall random_call(std::uint32_t seed, double snr_lo, double snr_hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto draw_menu = [&] {
    V8Menu m;  // V-series data, no modulations yet
    while (m.modulations.empty()) {
      for (V8Modulation x : kDrawn) m.modulations.set(x, u(rng) < 0.5);
    }
    m.has_protocols = u(rng) < 0.7;
    m.protocol = m.has_protocols ? kV8ProtocolLapm : kV8ProtocolNone;
    return m;
  };
  RandomCall c;
  c.caller = draw_menu();
  c.answerer = draw_menu();
  for (V8Modulation x : kDrawn) {
    if (c.caller.modulations.has(x) && c.answerer.modulations.has(x)) {
      c.expected = x;
      break;
    }
  }
  LinePathConfig p;
  p.snr_db = snr_lo + (snr_hi - snr_lo) * u(rng);
  p.delay_ms = 100 * u(rng);
  p.gain_db = -20 * u(rng);
  p.reference_level_dbm0 = -13 + p.gain_db;  // the SNR of the signal as received
  p.offset_hz = -10 + 20 * u(rng);
  p.skew_ppm = -200 + 400 * u(rng);
  p.codec = std::array{LineCodec::none, LineCodec::ulaw, LineCodec::alaw}[rng() % 3];
  p.shape = std::array{LineShape::flat, LineShape::mid, LineShape::long_loop}[rng() % 3];
  p.seed = seed;
  const double echo_db = u(rng) < 0.5 ? -INFINITY : -30 + 20 * u(rng);
  const double echo_delay_ms = 100 * u(rng);
  c.line = symmetric_line(p, echo_db, echo_delay_ms);
  c.describe = "seed " + std::to_string(seed) + ": caller " + describe(c.caller) + " | answerer " +
               describe(c.answerer) + " | snr " + std::to_string(p.snr_db) + " delay " + std::to_string(p.delay_ms) +
               " gain " + std::to_string(p.gain_db) + " offset " + std::to_string(p.offset_hz) + " skew " +
               std::to_string(p.skew_ppm) + " codec " + std::string(line_codec_name(p.codec)) + " shape " +
               std::string(line_shape_name(p.shape)) + " echo " + std::to_string(echo_db) + "@" +
               std::to_string(echo_delay_ms);
  return c;
}

struct Outcome {
  V8Result caller, answerer;
};

Outcome run(const RandomCall& c) {
  V8SessionConfig cc;
  cc.role = V8Role::caller;
  cc.menu = c.caller;
  V8SessionConfig ac;
  ac.role = V8Role::answerer;
  ac.menu = c.answerer;
  V8Session caller(cc), answerer(ac);
  LineSim line(c.line);
  CallOptions o;
  o.max_seconds = 60;  // longer than every V.8 time-out put together
  run_call(caller, answerer, line, o);
  return {caller.result(), answerer.result()};
}

bool correct(const RandomCall& c, const Outcome& o) {
  if (c.expected) {
    return o.caller.outcome == V8Outcome::connected && o.answerer.outcome == V8Outcome::connected &&
           o.caller.mode == c.expected && o.answerer.mode == c.expected;
  }
  return o.caller.failure == V8Failure::nothing_in_common && o.answerer.failure == V8Failure::nothing_in_common;
}

}  // namespace

TEST_CASE("200 seeded calls at SNR >= 12 dB with random menus and impairments: >= 99 % correct") {
  // SQUEAL_LOOPBACK_FIRST_SEED=N runs seeds N..N+199 instead (a fresh sample).
  const char* env = std::getenv("SQUEAL_LOOPBACK_FIRST_SEED");
  const std::uint32_t first = env ? static_cast<std::uint32_t>(std::strtoul(env, nullptr, 10)) : 1;
  int ok = 0, with_common = 0;
  for (std::uint32_t seed = first; seed < first + 200; ++seed) {
    const RandomCall c = random_call(seed, 12, 40);
    const Outcome o = run(c);
    with_common += c.expected.has_value();
    if (correct(c, o)) {
      ++ok;
    } else {
      MESSAGE("wrong: ", c.describe, " -> caller ", outcome_name(o.caller.outcome), "/",
              failure_name(o.caller.failure), ", answerer ", outcome_name(o.answerer.outcome), "/",
              failure_name(o.answerer.failure));
    }
  }
  MESSAGE("correct: ", ok, " of 200 (", with_common, " with a mode in common)");
  CHECK(ok >= 198);
  CHECK(with_common >= 150);  // the draw mostly leaves something in common
}

TEST_CASE("at very low SNR every call ends with a reason, and never on a wrong mode") {
  int connected = 0;
  for (std::uint32_t seed = 1001; seed <= 1016; ++seed) {
    const RandomCall c = random_call(seed, -10, 3);
    const Outcome o = run(c);
    CAPTURE(c.describe);
    CHECK(o.caller.outcome != V8Outcome::pending);
    CHECK(o.answerer.outcome != V8Outcome::pending);
    for (const V8Result* r : {&o.caller, &o.answerer}) {
      if (r->outcome == V8Outcome::connected) {
        CHECK(r->mode == c.expected);
      } else {
        CHECK(r->failure != V8Failure::none);
        CHECK_FALSE(failure_description(r->failure).empty());
      }
    }
    connected += o.caller.outcome == V8Outcome::connected && o.answerer.outcome == V8Outcome::connected;
  }
  MESSAGE("connected at -10..3 dB SNR: ", connected, " of 16");
}
