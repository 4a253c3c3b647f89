#include "cli/session_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace squeal::cli {

namespace {

V8Role peer_of(V8Role r) { return r == V8Role::caller ? V8Role::answerer : V8Role::caller; }

bool same_heard(const V8TraceEntry& a, const V8TraceEntry& b) {
  return !a.sent && !b.sent && !a.is_tone && !b.is_tone && a.message.type == b.message.type &&
         std::ranges::equal(a.octets.view(), b.octets.view());
}

std::string tone_label(Signal s) {
  switch (s) {
    case Signal::ansam: return "ANSam";
    case Signal::ansam_pr: return "ANSam/";
    case Signal::ans: return "ANS";
    case Signal::ans_pr: return "ANS/";
    default: return std::string(signal_name(s));
  }
}

std::string menu_words(const V8TraceEntry& e) {
  const V8MessageType t = e.message.type;
  if (t == V8MessageType::cj || t == V8MessageType::v92 || e.message.parse_status == V8ParseStatus::empty) return {};
  return describe(e.message.menu);
}

}  // namespace

std::string message_signal(V8MessageType t) {
  switch (t) {
    case V8MessageType::ci: return "ci";
    case V8MessageType::cm: return "cm";
    case V8MessageType::jm: return "jm";
    case V8MessageType::cj: return "cj";
    case V8MessageType::v92: return "v92";
  }
  return "unknown";
}

std::vector<TimelineRow> timeline_rows(const std::vector<const V8Session*>& sessions) {
  std::vector<TimelineRow> rows;
  for (const V8Session* s : sessions) {
    std::ptrdiff_t run = -1;  // row of the run of heard messages being extended
    for (const V8TraceEntry& e : s->trace()) {
      const bool heard_message = !e.sent && !e.is_tone;
      if (heard_message && run >= 0) {
        TimelineRow& r = rows[static_cast<std::size_t>(run)];
        if (!e.message.ok()) {
          ++r.damaged;
          continue;
        }
        if (same_heard(r.entry, e)) {
          ++r.count;
          r.end = e.end;
          continue;
        }
      }
      TimelineRow row;
      row.by = s->role();
      row.entry = e;
      row.end = e.end;
      row.count = e.sent ? e.count : 1;
      if (heard_message && !e.message.ok()) row.damaged = 1;
      rows.push_back(row);
      // What this side sends in between does not break a run of what it hears.
      if (heard_message) run = e.message.ok() ? static_cast<std::ptrdiff_t>(rows.size()) - 1 : -1;
      if (!e.sent && e.is_tone) run = -1;
    }
  }
  std::ranges::stable_sort(rows, [](const TimelineRow& a, const TimelineRow& b) { return a.entry.start < b.entry.start; });
  return rows;
}

std::string row_text(const TimelineRow& row) {
  const V8TraceEntry& e = row.entry;
  std::string s = e.sent ? "sent  " : "heard ";
  if (e.is_tone) {
    s += tone_label(e.tone);
    s += fmt::format(" ({:.1f} dBm0)", e.level_dbm0);
    return s;
  }
  s += std::string(message_name(e.message.type));
  if (row.count > 1) s += fmt::format(" x{}", row.count);
  if (e.octets.size > 0) s += " [" + octets_hex(e.octets.view()) + "]";
  if (e.message.ok() || e.sent) {
    const std::string words = menu_words(e);
    if (!words.empty()) s += ": " + words;
  }
  if (row.damaged > 0) {
    s += row.damaged == row.count && !e.message.ok()
             ? fmt::format(" (damaged: {})", frame_status_name(e.message.frame_status))
             : fmt::format(" (+{} damaged)", row.damaged);
  }
  return s;
}

nlohmann::ordered_json row_json(const TimelineRow& row) {
  const V8TraceEntry& e = row.entry;
  const V8Role sender = e.sent ? row.by : peer_of(row.by);
  nlohmann::ordered_json fields;
  fields["direction"] = e.sent ? "sent" : "heard";
  if (!e.sent) fields["heard_by"] = std::string(role_name(row.by));
  if (e.is_tone) {
    fields["level_dbm0"] = e.level_dbm0;
  } else {
    if (e.octets.size > 0) fields["octets"] = octets_hex(e.octets.view());
    fields["count"] = row.count;
    if (!e.sent) {
      fields["damaged"] = row.damaged;
      fields["frame_status"] = std::string(frame_status_name(e.message.frame_status));
    }
  }
  const std::string text = row_text(row);
  return {{"signal", e.is_tone ? std::string(signal_name(e.tone)) : message_signal(e.message.type)},
          {"start_s", samples_to_seconds(e.start)},
          {"end_s", row.end >= 0 ? nlohmann::ordered_json(samples_to_seconds(row.end)) : nlohmann::ordered_json()},
          {"side", std::string(role_name(sender))},
          {"text", text.substr(6)},  // without the "sent  " / "heard " column
          {"fields", fields}};
}

std::string result_text(const V8Result& r) {
  if (r.outcome == V8Outcome::connected) {
    return fmt::format("connected: {}", r.mode ? modulation_name(*r.mode) : "?");
  }
  return fmt::format("{}: {} ({})", outcome_name(r.outcome), failure_name(r.failure), failure_description(r.failure));
}

nlohmann::ordered_json result_json(const V8Session& session) {
  const V8Result& r = session.result();
  nlohmann::ordered_json j;
  j["outcome"] = std::string(outcome_name(r.outcome));
  j["reason"] = r.failure == V8Failure::none ? nlohmann::ordered_json() : nlohmann::ordered_json(std::string(failure_name(r.failure)));
  j["reason_text"] = std::string(failure_description(r.failure));
  j["mode"] = r.mode ? nlohmann::ordered_json(std::string(modulation_token(*r.mode))) : nlohmann::ordered_json();
  j["mode_text"] = r.mode ? nlohmann::ordered_json(std::string(modulation_name(*r.mode))) : nlohmann::ordered_json();
  j["menu"] = {{"octets", octets_hex(encode_menu_octets(r.own_menu))}, {"text", describe(r.own_menu)}};
  if (r.heard_far_menu) {
    j["far_menu"] = {{"octets", octets_hex(encode_menu_octets(r.far_menu))}, {"text", describe(r.far_menu)}};
    j["joint"] = {{"octets", octets_hex(encode_menu_octets(r.joint))}, {"text", describe(r.joint)}};
  }
  if (r.answer_tone != Signal::tone) j["answer_tone"] = std::string(signal_name(r.answer_tone));
  j["ended_s"] = r.ended_at >= 0 ? nlohmann::ordered_json(samples_to_seconds(r.ended_at)) : nlohmann::ordered_json();
  j["frames_heard"] = r.frames_heard;
  j["frames_damaged"] = r.frames_damaged;
  return j;
}

nlohmann::ordered_json direction_json(const DirectionDecision& d) {
  return {{"symbol_rate", d.symbol_rate_baud}, {"carrier_hz", std::round(d.carrier_hz)}, {"high_carrier", d.high_carrier},
          {"bit_rate", d.bit_rate}};
}

nlohmann::ordered_json phase2_json(const CallSession& s) {
  if (!s.in_phase2()) return nullptr;
  const Phase2Result& r = s.phase2().result();
  nlohmann::ordered_json j;
  j["outcome"] = std::string(outcome_name(r.outcome));
  j["reason"] = r.failure == Phase2Failure::none ? nlohmann::ordered_json() : nlohmann::ordered_json(std::string(phase2_failure_name(r.failure)));
  j["start_s"] = samples_to_seconds(s.phase2_start());
  j["ended_s"] = r.ended_at >= 0 ? nlohmann::ordered_json(samples_to_seconds(r.ended_at)) : nlohmann::ordered_json();
  j["rtd_ms"] = r.rtd_ms ? nlohmann::ordered_json(*r.rtd_ms) : nlohmann::ordered_json();
  j["call_to_answer"] = direction_json(r.call_to_answer);
  j["answer_to_call"] = direction_json(r.answer_to_call);
  if (r.have_probe) {
    j["probe"] = {{"measures", s.role() == V8Role::caller ? "answer_to_call" : "call_to_answer"},
                  {"snr_db_estimate", r.own_decision.chosen.band_snr_db},
                  {"freq_offset_hz", r.probe.freq_offset_hz},
                  {"band_hz", {r.probe.band_low_hz, r.probe.band_high_hz}},
                  {"decision", rate_reason(r.own_decision)}};
  }
  j["info_frames"] = {{"good", s.phase2().info_frames()}, {"damaged", s.phase2().info_damaged()}};
  return j;
}

std::string direction_text(const DirectionDecision& d) {
  return fmt::format("{} baud, {} carrier {:.0f} Hz, {} bit/s", d.symbol_rate_baud, d.high_carrier ? "high" : "low",
                     d.carrier_hz, d.bit_rate);
}

}  // namespace squeal::cli
