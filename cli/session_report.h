// What a V.8 session did, for people and for JSON: the timeline rows of its
// trace (repeats collapsed), the project-wide event schema, and the result.
// Shared by `squeal loopback` and the live `squeal call` / `squeal answer`.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "dsp/types.h"
#include "negotiation/call_session.h"
#include "negotiation/v8_session.h"

namespace squeal::cli {

/// One row of a timeline: a trace entry, or a run of identical heard messages.
struct TimelineRow {
  V8Role by = V8Role::caller;     // the session whose trace it comes from
  V8TraceEntry entry;             // the first of the run
  SampleIndex end = 0;            // end of the last of the run
  int count = 1;                  // sent: repetitions; heard: frames in the run
  int damaged = 0;                // heard: damaged frames folded into the run
};

/// Rows of one or more sessions' traces, sorted by start time.
std::vector<TimelineRow> timeline_rows(const std::vector<const V8Session*>& sessions);

/// "→ CM x5 [c1 65 13 90 2a] V-series data; V.90/V.92, ..." (sent) or
/// "← JM x2 [..] ..." (heard). Lower-level than a whole line.
std::string row_text(const TimelineRow& row);

/// The event schema: {"signal", "start_s", "end_s", "side", "text", "fields"}.
/// side is who sent it; fields.direction "sent" or "heard", fields.heard_by.
nlohmann::ordered_json row_json(const TimelineRow& row);

/// {"outcome", "reason", "mode", "menu", "far_menu", "joint", "ended_s", ...}.
nlohmann::ordered_json result_json(const V8Session& session);

/// "connected: V.34 duplex" / "failed: no_jm (no two identical JMs ...)".
std::string result_text(const V8Result& r);

/// Signal name of a message for JSON: "cm", "jm", "cj", "ci", "v92".
std::string message_signal(V8MessageType t);

/// {"symbol_rate", "carrier_hz", "high_carrier", "bit_rate"} of one direction.
nlohmann::ordered_json direction_json(const DirectionDecision& d);
/// A side's phase 2: outcome, reason, RTD, both directions, its probe; null if it did not run.
nlohmann::ordered_json phase2_json(const CallSession& s);
/// "3429 baud, low carrier 1959 Hz, 24000 bit/s".
std::string direction_text(const DirectionDecision& d);

}  // namespace squeal::cli
