// Two endpoints joined by a line, run in memory: how loopback, the interop
// tests and the whole-call benchmark make a call.
//
// An endpoint is anything with process(rx, tx) and finished() (V8Session, the
// spandsp peer of the tests). A line is anything with
// process(caller_tx, answerer_tx, caller_rx, answerer_rx) (audio/LineSim, or a
// plain wire). Each block, both endpoints read what the line delivered at the
// end of the previous block, so the loop itself adds one block of delay in
// each direction: 5 ms by default, reported by loop_delay_samples() so a
// caller can take it off the line's own delay. (Sessions give the same
// result for any block size; the block only sets this loop delay.)
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <vector>

#include "dsp/types.h"
#include "negotiation/v8_session.h"

namespace squeal {

struct CallOptions {
  double max_seconds = 40;                    // stop even if an endpoint has not finished
  std::size_t block = 40;                     // samples per step (the loop's own delay, 5 ms)
  double linger_seconds = 0.1;                // keep running this long after both finished
};

/// Extra one-way delay the loop adds, in samples.
inline SampleIndex loop_delay_samples(const CallOptions& o) noexcept { return static_cast<SampleIndex>(o.block); }

/// Runs the call; tap(caller_tx, answerer_tx, first_sample) sees every block
/// both sides sent. Returns the samples run.
template <class Caller, class Answerer, class Line, class Tap>
SampleIndex run_call(Caller& caller, Answerer& answerer, Line& line, const CallOptions& options, Tap&& tap) {
  const std::size_t n = std::max<std::size_t>(1, options.block);
  std::vector<float> crx(n, 0.0f), arx(n, 0.0f), ctx(n), atx(n);
  const auto max_samples = static_cast<SampleIndex>(options.max_seconds * kSampleRateHz);
  const auto linger = static_cast<SampleIndex>(options.linger_seconds * kSampleRateHz);
  SampleIndex pos = 0;
  SampleIndex done_at = -1;
  while (pos < max_samples) {
    caller.process(crx, ctx);
    answerer.process(arx, atx);
    tap(std::span<const float>(ctx), std::span<const float>(atx), pos);
    line.process(std::span<const float>(ctx), std::span<const float>(atx), std::span<float>(crx),
                 std::span<float>(arx));
    pos += static_cast<SampleIndex>(n);
    if (done_at < 0 && caller.finished() && answerer.finished()) done_at = pos;
    if (done_at >= 0 && pos >= done_at + linger) break;
  }
  return pos;
}

template <class Caller, class Answerer, class Line>
SampleIndex run_call(Caller& caller, Answerer& answerer, Line& line, const CallOptions& options = {}) {
  return run_call(caller, answerer, line, options, [](std::span<const float>, std::span<const float>, SampleIndex) {});
}

/// The simplest line: each direction a copy, no delay of its own.
struct Wire {
  void process(std::span<const float> caller_tx, std::span<const float> answerer_tx, std::span<float> caller_rx,
               std::span<float> answerer_rx) noexcept {
    std::copy(answerer_tx.begin(), answerer_tx.end(), caller_rx.begin());
    std::copy(caller_tx.begin(), caller_tx.end(), answerer_rx.begin());
  }
};

}  // namespace squeal
