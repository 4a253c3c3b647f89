// V.8 controllers (pure, driven by hand-made events) and sessions (two of
// them over a wire): timing, outcomes, failure reasons, chunk independence.
#include <doctest/doctest.h>

#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsp/tone_generator.h"
#include "negotiation/call.h"
#include "negotiation/v8_controller.h"
#include "negotiation/v8_session.h"
#include "signal_synth.h"

using namespace squeal;

namespace {

constexpr SampleIndex ms(double v) { return static_cast<SampleIndex>(v * 8); }

std::vector<V8Action> actions(V8Controller& c) {
  std::vector<V8Action> out;
  V8Action a;
  while (c.pop_action(a)) out.push_back(a);
  return out;
}

Event tone_on(Signal s, SampleIndex at) {
  Event e;
  e.signal = s;
  e.edge = Edge::on;
  e.sample = at;
  return e;
}

// A good frame carrying `octets` after the CM/JM sync, or a CJ.
V8Frame frame_of(V8FrameKind kind, const std::vector<std::uint8_t>& octets) {
  V8Frame f;
  f.kind = kind;
  f.sync = kind == V8FrameKind::cm_jm ? kV8SyncCmJm : 0;
  for (std::uint8_t o : octets) f.octets[f.size++] = o;
  return f;
}

void hear(V8Controller& c, const V8Frame& f, bool from_answerer, SampleIndex now) {
  c.on_message(decode_frame(f, from_answerer), f, now);
}

V8SessionConfig config(V8Role role, std::string_view menu) {
  V8SessionConfig c;
  c.role = role;
  c.menu = parse_menu(menu);
  return c;
}

/// A session's whole tx for a given rx, fed in chunks of `chunk`.
std::vector<float> replay(const V8SessionConfig& cfg, const std::vector<float>& rx, std::size_t chunk,
                          V8Result* result = nullptr) {
  V8Session s(cfg);
  std::vector<float> tx(rx.size());
  for (std::size_t i = 0; i < rx.size(); i += chunk) {
    const std::size_t n = std::min(chunk, rx.size() - i);
    s.process(std::span<const float>(rx).subspan(i, n), std::span<float>(tx).subspan(i, n));
  }
  if (result) *result = s.result();
  return tx;
}

/// Records what each side heard during a call over a wire.
struct Recorder {
  std::vector<float> caller_tx, answerer_tx;
  void operator()(std::span<const float> c, std::span<const float> a, SampleIndex) {
    caller_tx.insert(caller_tx.end(), c.begin(), c.end());
    answerer_tx.insert(answerer_tx.end(), a.begin(), a.end());
  }
};

}  // namespace

TEST_SUITE("v8_controller") {
  TEST_CASE("answerer: 200 ms silence, ANSam/, two identical CMs, 75 ms, JM, CJ, 75 ms, connected") {
    V8Controller c(V8Role::answerer, parse_menu("v34,v32bis,v22bis,lapm"));
    c.start(0);
    auto a = actions(c);
    REQUIRE(a.size() == 1);
    CHECK(a[0].kind == V8ActionKind::silence);
    CHECK(c.next_deadline() == ms(200));
    c.on_time(ms(200));
    a = actions(c);
    REQUIRE(a.size() == 1);
    CHECK(a[0].kind == V8ActionKind::answer_tone);
    CHECK(a[0].tone == Signal::ansam_pr);
    CHECK(a[0].at == ms(200));

    const V8Frame cm = frame_of(V8FrameKind::cm_jm, {0xC1, 0x65, 0x13, 0x94, 0x2A});
    hear(c, cm, false, ms(1500));
    CHECK(actions(c).empty());  // one CM is not enough
    // A damaged CM between the two is ignored, not acted on.
    V8Frame bad = cm;
    bad.status = V8FrameStatus::framing_error;
    hear(c, bad, false, ms(1600));
    CHECK(actions(c).empty());
    hear(c, cm, false, ms(1733));
    a = actions(c);
    REQUIRE(a.size() == 1);
    CHECK(a[0].kind == V8ActionKind::silence);
    CHECK(a[0].at == ms(1733));
    CHECK(c.next_deadline() == ms(1733) + ms(75));
    c.on_time(ms(1808));
    a = actions(c);
    REQUIRE(a.size() == 1);
    CHECK(a[0].kind == V8ActionKind::repeat_message);
    CHECK(a[0].message == V8MessageType::jm);
    CHECK(octets_hex(encode_menu_octets(a[0].menu)) == "c1 45 13 10 2a");  // v8.md: spandsp's JM for this pair

    hear(c, frame_of(V8FrameKind::cj, {}), false, ms(2500));
    a = actions(c);
    REQUIRE(a.size() == 1);
    CHECK(a[0].kind == V8ActionKind::stop_after_octet);
    CHECK_FALSE(c.finished());
    c.on_tx_done(ms(2510));
    CHECK(c.next_deadline() == ms(2510) + ms(75));
    c.on_time(ms(2585));
    CHECK(c.finished());
    CHECK(c.result().outcome == V8Outcome::connected);
    CHECK(c.result().mode == V8Modulation::v34);
    CHECK(c.result().ended_at == ms(2585));
    CHECK(c.result().frames_heard == 4);
    CHECK(c.result().frames_damaged == 1);
  }

  TEST_CASE("answerer: no CM falls back to V.25 ANS, then reports a non-V.8 caller") {
    V8Controller c(V8Role::answerer, parse_menu("v34"));
    c.start(0);
    c.on_time(ms(200));
    actions(c);
    c.on_time(ms(5200));  // ANSam over
    auto a = actions(c);
    REQUIRE(a.size() == 1);
    CHECK(a[0].kind == V8ActionKind::answer_tone);
    CHECK(a[0].tone == Signal::ans);
    CHECK(a[0].at == ms(5200));
    c.on_time(ms(20000));
    CHECK(c.result().outcome == V8Outcome::non_v8);
    CHECK(c.result().failure == V8Failure::no_cm);
    CHECK(c.result().ended_at == ms(10200));  // 5 s after ANSam ended
  }

  TEST_CASE("caller: Te after ANSam, CM until two identical JMs, CJ, 75 ms") {
    V8Controller c(V8Role::caller, parse_menu("v34,v32bis,v22bis,v21"));
    c.start(0);
    actions(c);
    c.on_event(tone_on(Signal::ansam_pr, ms(210)), ms(700));
    CHECK(c.next_deadline() == ms(1200));
    c.on_time(ms(1200));
    auto a = actions(c);
    REQUIRE(a.size() == 1);
    CHECK(a[0].kind == V8ActionKind::repeat_message);
    CHECK(a[0].message == V8MessageType::cm);
    const V8Frame jm1 = frame_of(V8FrameKind::cm_jm, {0xC1, 0x45, 0x13, 0x90});
    const V8Frame jm2 = frame_of(V8FrameKind::cm_jm, {0xC1, 0x45, 0x03, 0x90});
    hear(c, jm1, true, ms(2000));
    hear(c, jm2, true, ms(2200));  // different: the count starts again
    CHECK(actions(c).empty());
    hear(c, jm2, true, ms(2400));
    a = actions(c);
    REQUIRE(a.size() == 1);
    CHECK(a[0].kind == V8ActionKind::cj_after_octet);
    c.on_tx_done(ms(2500));
    c.on_time(ms(2575));
    CHECK(c.result().outcome == V8Outcome::connected);
    CHECK(c.result().mode == V8Modulation::v34);
    CHECK(c.result().answer_tone == Signal::ansam_pr);
  }

  TEST_CASE("caller: failures name their reason") {
    SUBCASE("silence: no answer tone") {
      V8Controller c(V8Role::caller, parse_menu("v34"));
      c.start(0);
      c.on_time(ms(60000));
      CHECK(c.result().outcome == V8Outcome::failed);
      CHECK(c.result().failure == V8Failure::no_answer_tone);
      CHECK(c.result().ended_at == ms(15000));
    }
    SUBCASE("ANS without AM: a V.25 answerer") {
      V8Controller c(V8Role::caller, parse_menu("v34"));
      c.start(0);
      c.on_event(tone_on(Signal::ans_pr, ms(300)), ms(800));
      CHECK(c.result().outcome == V8Outcome::non_v8);
      CHECK(c.result().failure == V8Failure::answer_tone_no_am);
    }
    SUBCASE("no JM") {
      V8Controller c(V8Role::caller, parse_menu("v34"));
      c.start(0);
      c.on_event(tone_on(Signal::ansam, ms(300)), ms(800));
      c.on_time(ms(60000));
      CHECK(c.result().failure == V8Failure::no_jm);
      CHECK(c.result().ended_at == ms(1300 + 6000));
    }
    SUBCASE("JM offering only modes the CM never had") {
      V8Controller c(V8Role::caller, parse_menu("v22bis"));
      c.start(0);
      c.on_event(tone_on(Signal::ansam, ms(300)), ms(800));
      c.on_time(ms(1300));
      const V8Frame jm = frame_of(V8FrameKind::cm_jm, {0xC1, 0x45, 0x10});  // V.34 only
      hear(c, jm, true, ms(2000));
      hear(c, jm, true, ms(2300));
      c.on_tx_done(ms(2400));
      c.on_time(ms(3000));
      CHECK(c.result().outcome == V8Outcome::failed);
      CHECK(c.result().failure == V8Failure::peer_misbehaves);
      CHECK_FALSE(failure_description(c.result().failure).empty());
    }
  }

  TEST_CASE("bad timing is rejected by name") {
    V8Timing t;
    t.te_ms = -1;
    CHECK_THROWS_WITH_AS(V8Controller(V8Role::caller, parse_menu("v34"), t), doctest::Contains("te_ms"),
                         std::invalid_argument);
  }
}

TEST_SUITE("v8_session") {
  TEST_CASE("two sessions over a wire agree on the best common mode, with V.8 timing") {
    V8Session caller(config(V8Role::caller, "v90,v34,v32bis,v22bis,v21,lapm"));
    V8Session answerer(config(V8Role::answerer, "v34,v32bis,v22bis,lapm"));
    Wire wire;
    Recorder rec;
    run_call(caller, answerer, wire, {}, rec);
    REQUIRE(caller.finished());
    REQUIRE(answerer.finished());
    CHECK(caller.result().outcome == V8Outcome::connected);
    CHECK(answerer.result().outcome == V8Outcome::connected);
    CHECK(caller.result().mode == V8Modulation::v34);
    CHECK(answerer.result().mode == V8Modulation::v34);
    CHECK(caller.result().joint.has_lapm());
    CHECK(caller.result().answer_tone == Signal::ansam_pr);
    CHECK(caller.result().frames_damaged == 0);

    // The answerer's ANSam starts exactly 200 ms in; nothing before it.
    const auto& at = answerer.trace();
    REQUIRE(!at.empty());
    CHECK(at[0].is_tone);
    CHECK(at[0].start == ms(200));
    for (SampleIndex i = 0; i < ms(200); ++i) REQUIRE(rec.answerer_tx[static_cast<std::size_t>(i)] == 0.0f);
    CHECK(std::abs(rec.answerer_tx[static_cast<std::size_t>(ms(200)) + 1]) > 0.0f);

    // The caller sent CM, then CJ; CJ ends, then 75 ms of silence, then connected.
    const V8TraceEntry* cj = nullptr;
    for (const auto& t : caller.trace()) {
      if (t.sent && !t.is_tone && t.message.type == V8MessageType::cj) cj = &t;
    }
    REQUIRE(cj != nullptr);
    CHECK(cj->end - cj->start == 800);  // 30 bits at 300 bit/s
    CHECK(caller.result().ended_at == cj->end + ms(75));
    for (SampleIndex i = cj->end; i < cj->end + ms(75); ++i) REQUIRE(rec.caller_tx[static_cast<std::size_t>(i)] == 0.0f);
    // The whole start-up takes what real modems take: ~2-3 s.
    CHECK(answerer.result().ended_at > ms(1500));
    CHECK(answerer.result().ended_at < ms(3500));
  }

  TEST_CASE("nothing in common: both sides fail with that reason") {
    V8Session caller(config(V8Role::caller, "v21"));
    V8Session answerer(config(V8Role::answerer, "v34,v32bis"));
    Wire wire;
    run_call(caller, answerer, wire);
    CHECK(caller.result().outcome == V8Outcome::failed);
    CHECK(answerer.result().outcome == V8Outcome::failed);
    CHECK(caller.result().failure == V8Failure::nothing_in_common);
    CHECK(answerer.result().failure == V8Failure::nothing_in_common);
  }

  TEST_CASE("silent peers time out cleanly") {
    const std::vector<float> silence(static_cast<std::size_t>(ms(20000)), 0.0f);
    V8Result r;
    replay(config(V8Role::caller, "v34"), silence, 160, &r);
    CHECK(r.outcome == V8Outcome::failed);
    CHECK(r.failure == V8Failure::no_answer_tone);
    const std::vector<float> tx = replay(config(V8Role::answerer, "v34"), silence, 160, &r);
    CHECK(r.outcome == V8Outcome::non_v8);
    CHECK(r.failure == V8Failure::no_cm);
    // It sent ANSam/ from 0.2 s and then plain ANS (the V.25 fallback) from 5.2 s.
    CHECK(test::mean_square(std::span<const float>(tx).subspan(ms(1000), ms(1000))) > 1e-3);
    CHECK(test::mean_square(std::span<const float>(tx).subspan(ms(5300), ms(1000))) > 1e-3);
    CHECK(test::mean_square(std::span<const float>(tx).subspan(ms(9000), ms(1000))) == 0.0);
  }

  TEST_CASE("a V.25 answerer (ANS without AM) is recognised by the caller") {
    ToneGenerator ans(answer_tone_config(-12, false, true));
    std::vector<float> rx(static_cast<std::size_t>(ms(4000)), 0.0f);
    ans.generate(std::span<float>(rx).subspan(ms(300)));
    V8Result r;
    const std::vector<float> tx = replay(config(V8Role::caller, "v34,v22bis"), rx, 160, &r);
    CHECK(r.outcome == V8Outcome::non_v8);
    CHECK(r.failure == V8Failure::answer_tone_no_am);
    CHECK(test::mean_square(tx) == 0.0);  // never sent a CM into a V.25 answerer
  }

  TEST_CASE("tx does not depend on how the input is chunked") {
    V8Session caller(config(V8Role::caller, "v90,v34,v32bis,v22bis,v21,lapm"));
    V8Session answerer(config(V8Role::answerer, "v34,v22bis"));
    Wire wire;
    Recorder rec;
    run_call(caller, answerer, wire, {}, rec);
    // What each side heard is what the other sent, one block later.
    const auto loop = static_cast<std::ptrdiff_t>(loop_delay_samples(CallOptions{}));
    std::vector<float> caller_rx(rec.answerer_tx.size(), 0.0f), answerer_rx(rec.caller_tx.size(), 0.0f);
    std::copy(rec.answerer_tx.begin(), rec.answerer_tx.end() - loop, caller_rx.begin() + loop);
    std::copy(rec.caller_tx.begin(), rec.caller_tx.end() - loop, answerer_rx.begin() + loop);
    for (std::size_t chunk : {1u, 37u, 160u, 1024u}) {
      CAPTURE(chunk);
      V8Result r;
      CHECK(replay(config(V8Role::caller, "v90,v34,v32bis,v22bis,v21,lapm"), caller_rx, chunk, &r) == rec.caller_tx);
      CHECK(r.mode == V8Modulation::v34);
      CHECK(r.ended_at == caller.result().ended_at);
      CHECK(replay(config(V8Role::answerer, "v34,v22bis"), answerer_rx, chunk, &r) == rec.answerer_tx);
      CHECK(r.ended_at == answerer.result().ended_at);
    }
  }
}
