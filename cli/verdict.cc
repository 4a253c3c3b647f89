// squeal decode's verdict (cli/verdict.h): evidence, strongest first.
#include "cli/verdict.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/file_analysis.h"
#include "negotiation/v8_codec.h"

namespace squeal::cli {

namespace {

using json = nlohmann::ordered_json;

struct Verdict {
  std::string protocol = "unknown";
  json rate;  // null: not shown by the recording
  std::string basis;
  std::string text;
  std::string roles;  // V.90: which side is the analogue and which the digital modem (from CM/JM)
};

const V8Run* first_good(const FileResult& r, V8MessageType type) {
  for (const V8Run& run : r.v8) {
    if (run.first.message.type == type && run.first.message.ok()) return &run;
  }
  return nullptr;
}

bool heard_tone(const FileResult& r, std::initializer_list<Signal> signals) {
  return std::ranges::any_of(r.intervals, [&](const Interval& iv) { return std::ranges::find(signals, iv.signal) != signals.end(); });
}

/// The stage events named `signal` (in stream order), optionally only those with a good CRC.
std::vector<const json*> staged(const FileResult& r, std::string_view signal, bool crc_ok_only = false) {
  std::vector<const json*> out;
  for (const json& e : r.staged) {
    if (e["signal"] != signal) continue;
    if (crc_ok_only && e["fields"].value("crc", "") != "ok") continue;
    out.push_back(&e);
  }
  std::ranges::sort(out, {}, [](const json* e) { return (*e)["start_s"].get<double>(); });
  return out;
}

bool heard_staged(const FileResult& r, std::string_view signal) { return !staged(r, signal).empty(); }

/// What V.8 says: the best modulation both menus list (V.8 §7.3), if JM was heard.
std::optional<Verdict> from_v8(const FileResult& r) {
  const V8Run* cm = first_good(r, V8MessageType::cm);
  const V8Run* jm = first_good(r, V8MessageType::jm);
  if (jm == nullptr) return std::nullopt;
  V8Menu joint = jm->first.message.menu;
  if (cm != nullptr) joint.modulations = joint.modulations & cm->first.message.menu.modulations;
  const std::optional<V8Modulation> mode = preferred_modulation(joint);
  Verdict v;
  v.protocol = mode ? std::string(modulation_token(*mode)) : "none";
  v.basis = cm != nullptr ? "CM/JM" : "JM";
  v.text = mode ? fmt::format("{}, from {}: the best modulation both modems listed", modulation_name(*mode), v.basis)
                : fmt::format("no modulation in common (from {})", v.basis);
  if (mode == V8Modulation::v90 && cm != nullptr) {
    const V8Menu& c = cm->first.message.menu;
    const V8Menu& j = jm->first.message.menu;
    if (c.has_pcm && j.has_pcm) {
      v.roles = fmt::format("the caller is the {} PCM modem, the answerer the {} one",
                            c.pcm.v90_analogue ? "analogue" : "digital", j.pcm.v90_digital ? "digital" : "analogue");
      v.text += "; " + v.roles;
    }
  }
  if (first_good(r, V8MessageType::cj) == nullptr) v.text += " (no CJ heard)";
  return v;
}

/// What the last good INFO1a says (V.34 §10.1.2.3.2; V.90 Table 10).
std::optional<Verdict> from_info1a(const FileResult& r, const std::optional<Verdict>& v8) {
  const auto frames = staged(r, "info1a", true);
  if (frames.empty() || !frames.back()->at("fields").contains("mode")) return std::nullopt;
  const json& f = frames.back()->at("fields");
  Verdict v;
  v.basis = "INFO1a";
  if (f["mode"] == "v90") {
    const int baud = f["upstream_symbol_rate_baud"].get<int>();
    v.protocol = "v90";
    v.rate = {{"text", fmt::format("PCM downstream; upstream V.34 at {} baud", baud)}, {"upstream_symbol_rate_baud", baud}};
    v.text = fmt::format("V.90: PCM downstream, V.34 upstream at {} baud (from INFO1a)", baud);
  } else {
    const int c2a = f["symbol_rate_call_to_answer_baud"].get<int>();
    const int a2c = f["symbol_rate_answer_to_call_baud"].get<int>();
    const int bits = f["max_bit_rate_call_to_answer"].get<int>();
    const double carrier = f["carrier_call_to_answer_hz"].get<double>();
    v.protocol = "v34";
    const std::string both = c2a == a2c ? fmt::format("symbol rate {} both ways", c2a)
                                        : fmt::format("symbol rate {} call->answer, {} answer->call", c2a, a2c);
    v.rate = {{"text", fmt::format("{}; call->answer carrier {:.0f} Hz, up to {} bit/s", both, carrier, bits)},
              {"symbol_rate_baud", c2a},
              {"symbol_rate_answer_to_call_baud", a2c},
              {"carrier_hz", carrier},
              {"max_bit_rate_call_to_answer", bits}};
    v.text = fmt::format("V.34, {} (from INFO1a); call->answer up to {} bit/s", both, bits);
  }
  if (frames.size() > 1) v.text += fmt::format(", the last of {} INFO1a frames (retrains)", frames.size());
  if (v8) {
    v.basis += " and " + v8->basis;
    v.text += v8->protocol == v.protocol ? fmt::format("; {} agree", v8->basis)
                                         : fmt::format("; {} had offered {}", v8->basis, v8->protocol);
    if (!v8->roles.empty()) v.text += " (" + v8->roles + ")";
  } else if (v.protocol == "v90" && !staged(r, "info0d", true).empty()) {
    v.basis += " and INFO0d";
    v.text += "; the digital modem's INFO0d agrees";
  }
  if (!v8 && !r.v8.empty()) v.text += " (CM/JM damaged or not heard)";
  return v;
}

/// Phase 2 started but no good INFO1a: INFO0 still names the family.
std::optional<Verdict> from_info0(const FileResult& r) {
  Verdict v;
  if (!staged(r, "info0d", true).empty()) {
    v.protocol = "v90";
    v.basis = "INFO0d";
    v.text = "V.90 (PCM downstream), from the digital modem's INFO0d; no INFO1a heard, so no rate";
  } else if (!staged(r, "info0a", true).empty() || !staged(r, "info0c", true).empty()) {
    v.protocol = "v34";
    v.basis = "INFO0";
    v.text = "V.34, from INFO0 frames; no INFO1a heard, so no symbol rate";
  } else {
    return std::nullopt;
  }
  return v;
}

/// V.22bis §6.3.1: a V.22bis caller answers the unscrambled ones with S1 to ask for 2400 bit/s.
std::optional<Verdict> from_v22(const FileResult& r) {
  Verdict v;
  if (const auto s1 = staged(r, "v22bis_s1"); !s1.empty()) {
    const std::string side = (*s1.front())["side"].get<std::string>();
    const bool both = std::ranges::any_of(s1, [&](const json* e) { return (*e)["side"] != side; });
    v.protocol = "v22bis";
    v.basis = "S1";
    v.rate = {{"text", "2400 bit/s"}, {"bit_rate", 2400}};
    v.text = both ? "V.22bis 2400 bit/s, from S1 sent by both modems"
                  : fmt::format("V.22bis 2400 bit/s (best estimate), from the {}'s S1; the other side's S1 is not heard", side);
  } else if (heard_staged(r, "v22_unscrambled_ones") || heard_staged(r, "v22_scrambled")) {
    v.protocol = "v22";
    v.basis = "unscrambled ones, no S1";
    v.rate = {{"text", "1200 bit/s"}, {"bit_rate", 1200}};
    v.text = "V.22 1200 bit/s: unscrambled ones and scrambled data without a V.22bis S1";
  } else if (heard_staged(r, "v32_aa") || heard_staged(r, "v32_ac")) {
    v.protocol = "v32bis";
    v.basis = "AA/AC";
    v.text = "V.32/V.32bis, from the AA/AC tones; the rate is set later in training (not decoded)";
  } else {
    return std::nullopt;
  }
  return v;
}

/// Fax: T.30 frames over V.21 channel 2 (T.30 §5.3), or CNG.
std::optional<Verdict> from_fax(const FileResult& r) {
  std::vector<std::string> names;
  for (const json& e : r.staged) {
    const std::string s = e["signal"].get<std::string>();
    if (!s.starts_with("t30_")) continue;
    std::string name = s.substr(4);
    std::ranges::transform(name, name.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
    if (std::ranges::find(names, name) == names.end()) names.push_back(name);
  }
  Verdict v;
  v.protocol = "fax";
  if (!names.empty()) {
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    v.basis = "T.30";
    v.text = fmt::format("a fax call (T.30 over V.21 channel 2: {})", list);
  } else if (heard_staged(r, "hdlc_flags")) {
    v.basis = "V.21 HDLC flags";
    v.text = "a fax answerer: V.21 channel-2 HDLC flags (the T.30 preamble), no whole frame decoded";
  } else if (heard_tone(r, {Signal::cng})) {
    v.basis = "CNG";
    v.text = "a fax call (CNG calling tone)";
  } else {
    return std::nullopt;
  }
  return v;
}

json to_json(const Verdict& v) {
  return {{"protocol", v.protocol}, {"rate", v.rate}, {"basis", v.basis}, {"text", v.text}};
}

}  // namespace

json verdict(const FileResult& r) {
  const std::optional<Verdict> v8 = from_v8(r);
  if (auto v = from_info1a(r, v8)) return to_json(*v);
  if (v8) {
    Verdict v = *v8;
    if (v.protocol == "v34" || v.protocol == "v90") v.text += "; no INFO1a with a good CRC heard, so no rate";
    return to_json(v);
  }
  if (auto v = from_info0(r)) return to_json(*v);
  if (auto v = from_v22(r)) return to_json(*v);
  if (auto v = from_fax(r)) return to_json(*v);
  Verdict v;
  if (const V8Run* cm = first_good(r, V8MessageType::cm)) {
    v.basis = "CM";
    v.text = fmt::format("the caller offered {}; no JM heard", describe(cm->first.message.menu));
  } else if (heard_tone(r, {Signal::ansam, Signal::ansam_pr})) {
    v.protocol = "v8";
    v.basis = "ANSam";
    v.text = "a V.8 answerer (ANSam) with no CM/JM heard";
  } else if (heard_tone(r, {Signal::ans, Signal::ans_pr})) {
    v.protocol = "v25";
    v.basis = "ANS";
    v.text = "a V.25 answer tone without AM: a pre-V.8 modem or a fax";
  } else {
    v.text = "no modem signals found";
  }
  return to_json(v);
}

}  // namespace squeal::cli
