// Whole in-memory V.8 calls for the benchmark: squeal's caller + answerer and
// spandsp's caller + answerer, each pair through the same LineSim settings
// (negotiation/call.h drives both alike).
#pragma once

#include <string>

#include "audio/line_sim.h"
#include "bench/spandsp_reference.h"

namespace squeal::bench {

/// The line every benchmarked call runs through: 20 ms each way (plus the
/// 160-sample step of the call loop, another 20 ms), 30 dB SNR,
/// mu-law, 300-3400 Hz flat; seeded, so every call is the same.
LineConfig bench_line();
/// "20 ms, 30 dB SNR, mu-law, flat" (for the table).
std::string bench_line_text();

/// One whole call from fresh endpoints per invocation (the line, the test
/// harness rather than the thing measured, is made once and reset per call);
/// returns the samples the call took (caller CM -> both connected), or 0 if
/// it did not connect on the expected mode (V.34).
Pass squeal_call_pass();
/// A whole V.8 + V.34 phase 2 call (CallSession pair) through the same line;
/// returns its samples if both sides reached the same rate decision, else 0.
Pass squeal_v34_call_pass();
/// The same with spandsp 0.0.6's pair; empty Pass without spandsp.
Pass spandsp_call_pass();

}  // namespace squeal::bench
