// spandsp 0.0.6's V.8 as a squeal peer (bench/spandsp_v8_peer.h): two
// spandsp peers complete V.8 back to back and agree on the mode, and squeal's
// own listener reads what they send. Built only when spandsp is found.
#include <doctest/doctest.h>

#include <spandsp.h>

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <stdexcept>
#include <vector>

#include "bench/spandsp_v8_peer.h"
#include "negotiation/v8_codec.h"
#include "negotiation/v8_listener.h"

using squeal::SampleIndex;
using squeal::V8Heard;
using squeal::V8Listener;
using squeal::V8Menu;
using squeal::V8MessageType;
using squeal::V8Modulation;
using squeal::V8Modulations;
using squeal::bench::SpandspV8Peer;
using squeal::bench::SpandspV8PairRun;

namespace {

constexpr double kMaxCallSeconds = 10.0;

/// Caller and answerer wired back to back, fed in chunks of `chunk` samples
/// (each tx chunk reaches the other side's rx in the next step). Every chunk of
/// the line (caller tx + answerer tx) goes to `listener` if given.
struct WiredCall {
  squeal::bench::SpandspV8Result caller;
  squeal::bench::SpandspV8Result answerer;
  std::vector<V8Heard> heard;  // what squeal's listener read on the line
  std::vector<float> caller_rx;  // everything the caller heard
  std::vector<float> caller_tx;  // everything the caller sent
};

WiredCall wire(const V8Menu& caller_menu, const V8Menu& answerer_menu, std::size_t chunk, bool listen) {
  SpandspV8Peer caller(true, caller_menu);
  SpandspV8Peer answerer(false, answerer_menu);
  V8Listener listener;
  WiredCall call;
  const auto sink = [&](const V8Heard& h) { call.heard.push_back(h); };
  std::vector<float> to_caller(chunk, 0.0f), to_answerer(chunk, 0.0f), line(chunk, 0.0f);
  const SampleIndex limit = squeal::seconds_to_samples(kMaxCallSeconds);
  for (SampleIndex n = 0; n < limit; n += static_cast<SampleIndex>(chunk)) {
    caller.process(to_caller, to_answerer);
    call.caller_rx.insert(call.caller_rx.end(), to_caller.begin(), to_caller.end());
    call.caller_tx.insert(call.caller_tx.end(), to_answerer.begin(), to_answerer.end());
    answerer.process(to_answerer, to_caller);
    if (listen) {
      for (std::size_t i = 0; i < chunk; ++i) line[i] = to_answerer[i] + to_caller[i];
      listener.process(line, sink);
    }
    if (caller.result().finished && answerer.result().finished) break;
  }
  if (listen) listener.finish(sink);
  call.caller = caller.result();
  call.answerer = answerer.result();
  return call;
}

const V8Heard* first_of(const std::vector<V8Heard>& heard, V8MessageType type, int channel) {
  for (const V8Heard& h : heard) {
    if (h.message.type == type && h.channel == channel && h.message.ok()) return &h;
  }
  return nullptr;
}

std::string hex(const V8Heard* h) { return h ? squeal::octets_hex(h->frame.view()) : "(none)"; }

}  // namespace

TEST_CASE("spandsp peer: the modulation table maps each mode to its V8_MOD bit and back") {
  CHECK(squeal::bench::to_spandsp_modulations({V8Modulation::v34}) == V8_MOD_V34);
  CHECK(squeal::bench::to_spandsp_modulations({V8Modulation::v32bis}) == V8_MOD_V32);
  CHECK(squeal::bench::to_spandsp_modulations({V8Modulation::v22bis}) == V8_MOD_V22);
  CHECK(squeal::bench::to_spandsp_modulations({V8Modulation::v23_hd}) == V8_MOD_V23HDX);
  CHECK(squeal::bench::to_spandsp_modulations({V8Modulation::v90}) == V8_MOD_V90);
  CHECK(squeal::bench::from_spandsp_modulations(V8_MOD_V92) == V8Modulations{V8Modulation::v90});
  unsigned all_bits = 0;
  for (int i = 0; i < squeal::kV8ModulationCount; ++i) {
    const V8Modulations one{static_cast<V8Modulation>(i)};
    const unsigned bits = squeal::bench::to_spandsp_modulations(one);
    CAPTURE(i);
    CHECK(bits != 0);
    CHECK((bits & (bits - 1)) == 0);  // exactly one spandsp bit per mode
    CHECK((bits & all_bits) == 0);    // and no two modes share one
    CHECK(squeal::bench::from_spandsp_modulations(bits) == one);
    all_bits |= bits;
  }
}

TEST_CASE("spandsp peer: an empty menu is a configuration error") {
  V8Menu empty;
  CHECK_THROWS_AS(SpandspV8Peer(true, empty), std::invalid_argument);
  CHECK(SpandspV8Peer::available());
}

TEST_CASE("spandsp peer: caller and answerer complete V.8 and agree on the mode") {
  struct Pair {
    const char* caller;
    const char* answerer;
    V8Modulation expected;
  };
  const Pair pairs[] = {
      {"v90,v34,v32bis,v22bis,v21", "v34,v32bis,v22bis", V8Modulation::v34},
      {"v32bis,v22bis,v21", "v34,v22bis", V8Modulation::v22bis},
      {"v34,v32bis,v21", "v32bis,v23,v21", V8Modulation::v32bis},
      {"v22bis,v23,v21", "v23,v21", V8Modulation::v23},
  };
  for (const Pair& p : pairs) {
    const std::string caller_text = p.caller;
    const std::string answerer_text = p.answerer;
    CAPTURE(caller_text);
    CAPTURE(answerer_text);
    const V8Menu caller_menu = squeal::parse_menu(p.caller);
    const V8Menu answerer_menu = squeal::parse_menu(p.answerer);
    const SpandspV8PairRun run = squeal::bench::run_spandsp_v8_pair(caller_menu, answerer_menu, kMaxCallSeconds);
    CHECK(run.caller.connected);
    CHECK(run.answerer.connected);
    CHECK(run.caller.status_text == "V.8 call");
    REQUIRE(run.caller.mode.has_value());
    REQUIRE(run.answerer.mode.has_value());
    CHECK(*run.caller.mode == p.expected);
    CHECK(*run.answerer.mode == p.expected);
    // The answerer saw the caller's whole offer; the caller saw the narrowed JM.
    CHECK(run.answerer.far_modulations == caller_menu.modulations);
    CHECK(run.caller.far_modulations == (caller_menu.modulations & answerer_menu.modulations));
    CHECK(run.caller.finished_at > 0);
    CHECK(run.caller.finished_at < squeal::seconds_to_samples(kMaxCallSeconds));
    CHECK(run.answerer.finished_at < squeal::seconds_to_samples(kMaxCallSeconds));
    MESSAGE("caller finished at ", squeal::samples_to_seconds(run.caller.finished_at), " s, answerer at ",
            squeal::samples_to_seconds(run.answerer.finished_at), " s, mode ",
            squeal::modulation_name(*run.caller.mode));
  }
}

TEST_CASE("spandsp peer: squeal's listener reads spandsp's CM and JM (v8.md test vectors)") {
  const V8Menu caller_menu = squeal::parse_menu("v90,v34,v32bis,v22bis,v23,v21,lapm");
  const V8Menu answerer_menu = squeal::parse_menu("v34,v32bis,v22bis,v21,lapm");
  const WiredCall call = wire(caller_menu, answerer_menu, SpandspV8Peer::kBlockSamples, true);
  REQUIRE(call.caller.connected);
  REQUIRE(call.answerer.connected);
  CHECK(*call.caller.mode == V8Modulation::v34);

  const V8Heard* cm = first_of(call.heard, V8MessageType::cm, 1);
  const V8Heard* jm = first_of(call.heard, V8MessageType::jm, 2);
  CHECK(hex(cm) == "c1 65 13 94 2a");
  CHECK(hex(jm) == "c1 45 13 90 2a");
  REQUIRE(cm != nullptr);
  REQUIRE(jm != nullptr);
  CHECK(cm->message.menu.modulations == caller_menu.modulations);
  CHECK(cm->message.menu.has_lapm());
  CHECK(jm->message.menu.modulations == (caller_menu.modulations & answerer_menu.modulations));
  CHECK(cm->start < jm->start);
  CHECK(jm->start < call.caller.finished_at);
  // The 0.0.6 caller announces V.92 before its first CM (v8.md quirk).
  const V8Heard* v92 = first_of(call.heard, V8MessageType::v92, 1);
  REQUIRE(v92 != nullptr);
  CHECK(v92->start < cm->start);
}

TEST_CASE("spandsp peer: results do not depend on how the samples are chunked") {
  const V8Menu caller_menu = squeal::parse_menu("v34,v32bis,v22bis,v21");
  const V8Menu answerer_menu = squeal::parse_menu("v32bis,v22bis");
  const WiredCall call = wire(caller_menu, answerer_menu, SpandspV8Peer::kBlockSamples, false);
  REQUIRE(call.caller.connected);
  CHECK(*call.caller.mode == V8Modulation::v32bis);
  // Replay what the caller heard into a fresh caller in 37-sample chunks.
  SpandspV8Peer replay(true, caller_menu);
  std::vector<float> tx(call.caller_rx.size(), 0.0f);
  for (std::size_t i = 0; i < call.caller_rx.size(); i += 37) {
    const std::size_t n = std::min<std::size_t>(37, call.caller_rx.size() - i);
    replay.process(std::span<const float>(call.caller_rx).subspan(i, n), std::span<float>(tx).subspan(i, n));
  }
  CHECK(replay.result().connected);
  CHECK(replay.result().finished_at == call.caller.finished_at);
  CHECK(replay.result().mode == call.caller.mode);
  CHECK(tx == call.caller_tx);
}

TEST_CASE("spandsp peer: the bench pass runs one whole call each time") {
  const squeal::bench::Pass pass = squeal::bench::make_spandsp_v8_pair_pass(
      squeal::parse_menu("v90,v34,v32bis,v22bis,v21"), squeal::parse_menu("v34,v32bis,v22bis"));
  REQUIRE(pass);
  const std::uint64_t first = pass();
  CHECK(first > static_cast<std::uint64_t>(squeal::seconds_to_samples(2.0)));  // ANSam alone is longer than 2 s
  CHECK(first < static_cast<std::uint64_t>(squeal::seconds_to_samples(kMaxCallSeconds)));
  CHECK(pass() == first);  // fresh peers every time: the same call
}
