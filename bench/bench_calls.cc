#include "bench/bench_calls.h"

#include <cmath>
#include <memory>

#include "bench/bench_suite.h"
#include "bench/spandsp_v8_peer.h"
#include "negotiation/call.h"
#include "negotiation/call_session.h"
#include "negotiation/v8_session.h"

namespace squeal::bench {

namespace {

constexpr const char* kCallerMenu = "v90,v34,v32bis,v22bis,v21,lapm";
constexpr const char* kAnswererMenu = "v34,v32bis,v22bis,v21,lapm";

CallOptions bench_call_options() {
  CallOptions o;
  o.max_seconds = 20;
  o.linger_seconds = 0;          // a call ends when both sides have finished
  o.block = kBenchBlockSamples;  // 160 samples a step, like every other benchmark (adds 20 ms each way)
  return o;
}

}  // namespace

LineConfig bench_line() {
  LinePathConfig p;
  p.delay_ms = 20;
  p.snr_db = 30;
  p.codec = LineCodec::ulaw;
  p.shape = LineShape::flat;
  p.seed = 7;
  return symmetric_line(p);
}

std::string bench_line_text() { return "20+20 ms, 30 dB, mu-law, flat"; }

Pass squeal_call_pass() {
  V8SessionConfig c;
  c.role = V8Role::caller;
  c.menu = parse_menu(kCallerMenu);
  V8SessionConfig a;
  a.role = V8Role::answerer;
  a.menu = parse_menu(kAnswererMenu);
  auto line = std::make_shared<LineSim>(bench_line());  // the harness: made once, reset per call
  return [c, a, line]() -> std::uint64_t {
    V8Session caller(c);
    V8Session answerer(a);
    line->reset();
    const SampleIndex n = run_call(caller, answerer, *line, bench_call_options());
    const bool ok = caller.result().mode == V8Modulation::v34 && answerer.result().mode == V8Modulation::v34;
    return ok ? static_cast<std::uint64_t>(n) : 0;
  };
}

Pass squeal_v34_call_pass() {
  CallSessionConfig c;
  c.v8.role = V8Role::caller;
  c.v8.menu = parse_menu(kCallerMenu);
  c.phase2.info0 = full_info0();
  CallSessionConfig a = c;
  a.v8.role = V8Role::answerer;
  a.v8.menu = parse_menu(kAnswererMenu);
  auto line = std::make_shared<LineSim>(bench_line());
  return [c, a, line]() -> std::uint64_t {
    CallSession caller(c);
    CallSession answerer(a);
    line->reset();
    const SampleIndex n = run_call(caller, answerer, *line, bench_call_options());
    const Phase2Result& x = caller.phase2().result();
    const Phase2Result& y = answerer.phase2().result();
    const bool ok = x.outcome == V8Outcome::connected && y.outcome == V8Outcome::connected &&
                    x.call_to_answer.bit_rate == y.call_to_answer.bit_rate && x.call_to_answer.bit_rate > 0;
    return ok ? static_cast<std::uint64_t>(n) : 0;
  };
}

Pass spandsp_call_pass() {
  if (!SpandspV8Peer::available()) return {};
  const V8Menu cm = parse_menu(kCallerMenu);
  const V8Menu am = parse_menu(kAnswererMenu);
  auto line = std::make_shared<LineSim>(bench_line());
  return [cm, am, line]() -> std::uint64_t {
    SpandspV8Peer caller(true, cm);
    SpandspV8Peer answerer(false, am);
    line->reset();
    const SampleIndex n = run_call(caller, answerer, *line, bench_call_options());
    const bool ok = caller.result().mode == V8Modulation::v34 && answerer.result().mode == V8Modulation::v34;
    return ok ? static_cast<std::uint64_t>(n) : 0;
  };
}

}  // namespace squeal::bench
