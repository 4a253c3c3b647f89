// V.34 phase 2 over the line simulator: two Phase2Sessions from the sample
// V.8 ended: INFO0 exchange, ranging (RTD against the line's truth), both
// probes, INFO1c/INFO1a, one decision on both sides. Chunk independence.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "audio/line_sim.h"
#include "negotiation/call.h"
#include "negotiation/phase2_session.h"

using namespace squeal;

namespace {

Phase2SessionConfig config(V8Role role) {
  Phase2SessionConfig c;
  c.role = role;
  c.info0 = full_info0();
  return c;
}

struct Run {
  Phase2Result caller, answerer;
  double true_rtd_ms = 0;
  std::vector<float> caller_rx, answerer_rx, caller_tx, answerer_tx;
};

Run run(const LinePathConfig& path, SampleIndex start = 0) {
  Phase2Session caller(config(V8Role::caller), start), answerer(config(V8Role::answerer), start);
  LineSim line(symmetric_line(path));
  Run r;
  CallOptions o;
  o.max_seconds = 20;
  run_call(caller, answerer, line, o, [&](std::span<const float> c, std::span<const float> a, SampleIndex) {
    r.caller_tx.insert(r.caller_tx.end(), c.begin(), c.end());
    r.answerer_tx.insert(r.answerer_tx.end(), a.begin(), a.end());
  });
  r.caller = caller.result();
  r.answerer = answerer.result();
  // The loop adds one block each way on top of the line.
  r.true_rtd_ms = 2 * (line.to_answerer().delay_samples() + static_cast<double>(loop_delay_samples(o))) / 8.0;
  return r;
}

}  // namespace

TEST_CASE("phase 2 over LineSim: both sides decide the same, RTD within 0.5 ms of the truth") {
  struct Line {
    double delay_ms, snr_db, offset_hz, skew_ppm;
    LineCodec codec;
    LineShape shape;
  };
  const Line lines[] = {
      {0, 40, 0, 0, LineCodec::none, LineShape::flat},    {12.375, 30, 3, 50, LineCodec::ulaw, LineShape::mid},
      {37.5, 25, -5, -100, LineCodec::alaw, LineShape::long_loop}, {100, 15, 7, 100, LineCodec::ulaw, LineShape::flat},
  };
  for (const Line& l : lines) {
    CAPTURE(l.delay_ms);
    CAPTURE(l.snr_db);
    LinePathConfig p;
    p.delay_ms = l.delay_ms;
    p.snr_db = l.snr_db;
    p.offset_hz = l.offset_hz;
    p.skew_ppm = l.skew_ppm;
    p.codec = l.codec;
    p.shape = l.shape;
    const Run r = run(p);
    REQUIRE(r.caller.outcome == V8Outcome::connected);
    REQUIRE(r.answerer.outcome == V8Outcome::connected);
    REQUIRE(r.caller.rtd_ms.has_value());
    REQUIRE(r.answerer.rtd_ms.has_value());
    CHECK(std::abs(*r.answerer.rtd_ms - r.true_rtd_ms) <= 0.5);
    CHECK(std::abs(*r.caller.rtd_ms - r.true_rtd_ms) <= 0.5);
    CHECK(r.caller.call_to_answer.bit_rate == r.answerer.call_to_answer.bit_rate);
    CHECK(r.caller.call_to_answer.symbol_rate_code == r.answerer.call_to_answer.symbol_rate_code);
    CHECK(r.caller.answer_to_call.bit_rate == r.answerer.answer_to_call.bit_rate);
    CHECK(r.caller.answer_to_call.symbol_rate_code == r.answerer.answer_to_call.symbol_rate_code);
    CHECK(r.answerer.call_to_answer.bit_rate > 0);
    // The probe the answerer measured matches the line: mean band SNR near the line's SNR.
    CHECK(std::abs(r.answerer.call_to_answer.snr_db_estimate - l.snr_db) < 4.0);
  }
}

TEST_CASE("phase 2: a clean line gets 33600 both ways; a noisy one much less") {
  LinePathConfig clean;
  clean.delay_ms = 10;
  clean.snr_db = 45;
  const Run a = run(clean);
  CHECK(a.answerer.call_to_answer.bit_rate == 33600);
  CHECK(a.answerer.answer_to_call.bit_rate == 33600);
  LinePathConfig noisy = clean;
  noisy.snr_db = 15;
  const Run b = run(noisy);
  CHECK(b.answerer.call_to_answer.bit_rate <= 12000);
  CHECK(b.answerer.call_to_answer.bit_rate >= 4800);
}

TEST_CASE("phase 2: a silent far end fails with no_info0, and tx does not depend on chunking") {
  Phase2Session alone(config(V8Role::caller), 1000);
  std::vector<float> silence(8000 * 6, 0.0f), tx(silence.size());
  alone.process(silence, tx);
  CHECK(alone.result().failure == Phase2Failure::no_info0);
  // Replay what the caller heard in a real run, in other chunk sizes.
  LinePathConfig p;
  p.delay_ms = 20;
  p.snr_db = 30;
  const Run r = run(p, 4000);
  LineSim line(symmetric_line(p));
  // Rebuild the caller's rx exactly as the call loop did: line output of the previous block.
  std::vector<float> crx(r.answerer_tx.size(), 0.0f);
  {
    std::vector<float> ctx_block(40), atx_block(40), crx_block(40), arx_block(40);
    for (std::size_t i = 0; i + 40 <= r.answerer_tx.size(); i += 40) {
      std::copy_n(r.caller_tx.begin() + static_cast<std::ptrdiff_t>(i), 40, ctx_block.begin());
      std::copy_n(r.answerer_tx.begin() + static_cast<std::ptrdiff_t>(i), 40, atx_block.begin());
      line.process(ctx_block, atx_block, crx_block, arx_block);
      if (i + 80 <= crx.size()) std::copy(crx_block.begin(), crx_block.end(), crx.begin() + static_cast<std::ptrdiff_t>(i + 40));
    }
  }
  for (std::size_t chunk : {1u, 37u, 160u, 1024u}) {
    CAPTURE(chunk);
    Phase2Session s(config(V8Role::caller), 4000);
    std::vector<float> out(crx.size());
    for (std::size_t i = 0; i < crx.size(); i += chunk) {
      const std::size_t n = std::min(chunk, crx.size() - i);
      s.process(std::span<const float>(crx).subspan(i, n), std::span<float>(out).subspan(i, n));
    }
    CHECK(out == r.caller_tx);
    CHECK(s.result().ended_at == r.caller.ended_at);
  }
}
