// `squeal loopback`: a caller and an answerer in one process, joined by the
// virtual telephone line (audio/line_sim.h). Prints both sides' timeline, the
// negotiated mode in words, or a JSON document; can record the line as a
// stereo WAV (left: caller -> line, right: answerer -> line).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "audio/line_sim.h"
#include "audio/wav_io.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/session_report.h"
#include "negotiation/call.h"
#include "negotiation/call_session.h"
#include "negotiation/v8_session.h"

namespace squeal::cli {

namespace {

struct LoopbackArgs {
  std::string caller_menu = "v90,v34,v32bis,v22bis,v21,lapm";
  std::string answerer_menu = "v34,v32bis,v22bis,v21,lapm";
  double snr_db = 40;
  double delay_ms = 20;
  double offset_hz = 0;
  double skew_ppm = 0;
  double gain_db = 0;
  std::string codec = "ulaw";
  std::string shape = "flat";
  double echo_db = -INFINITY;
  double echo_delay_ms = 20;
  std::uint64_t seed = 1;
  double max_seconds = 40;
  bool json = false;
  std::string wav;
  bool no_phase2 = false;
};

/// The line the user asked for, less the loop's own one-block delay.
LineConfig line_config(const LoopbackArgs& a, const CallOptions& call) {
  LinePathConfig p;
  p.delay_ms = std::max(0.0, a.delay_ms - 1000.0 * static_cast<double>(loop_delay_samples(call)) / kSampleRateHz);
  p.gain_db = a.gain_db;
  p.reference_level_dbm0 = -13 + a.gain_db;  // --snr is the SNR of a -13 dBm0 signal as received
  p.snr_db = a.snr_db;
  p.offset_hz = a.offset_hz;
  p.skew_ppm = a.skew_ppm;
  p.codec = parse_line_codec(a.codec);
  p.shape = parse_line_shape(a.shape);
  p.seed = a.seed;
  return symmetric_line(p, a.echo_db, a.echo_delay_ms);
}

/// Both connected on the same mode, or the first side's reason.
struct Verdict {
  bool connected = false;
  std::string reason;  // "" when connected
  std::optional<V8Modulation> mode;
};

Verdict v8_verdict(const V8Session& caller, const V8Session& answerer) {
  const V8Result& c = caller.result();
  const V8Result& a = answerer.result();
  Verdict v;
  if (c.outcome == V8Outcome::connected && a.outcome == V8Outcome::connected) {
    if (c.mode == a.mode) {
      v.connected = true;
      v.mode = c.mode;
    } else {
      v.reason = "the two sides chose different modes";
    }
    return v;
  }
  for (const V8Session* s : {&caller, &answerer}) {
    const V8Result& r = s->result();
    if (r.outcome == V8Outcome::connected) continue;
    v.reason = r.outcome == V8Outcome::pending
                   ? fmt::format("{}: still negotiating when the run ended", role_name(s->role()))
                   : fmt::format("{}: {}", role_name(s->role()), failure_description(r.failure));
    break;
  }
  return v;
}

bool same_direction(const DirectionDecision& x, const DirectionDecision& y) {
  return x.symbol_rate_code == y.symbol_rate_code && x.bit_rate == y.bit_rate && x.high_carrier == y.high_carrier;
}

/// V.8, then (when both ran it) phase 2: connected only if both agree.
Verdict verdict(const CallSession& caller, const CallSession& answerer) {
  Verdict v = v8_verdict(caller.v8(), answerer.v8());
  if (!v.connected || !(caller.in_phase2() || answerer.in_phase2())) return v;
  const Phase2Result& c = caller.phase2().result();
  const Phase2Result& a = answerer.phase2().result();
  if (c.outcome == V8Outcome::connected && a.outcome == V8Outcome::connected) {
    if (same_direction(c.call_to_answer, a.call_to_answer) && same_direction(c.answer_to_call, a.answer_to_call)) return v;
    v.connected = false;
    v.reason = "phase 2: the two sides hold different rate decisions";
    return v;
  }
  v.connected = false;
  for (const CallSession* s : {&caller, &answerer}) {
    const Phase2Result& r = s->phase2().result();
    if (r.outcome == V8Outcome::connected) continue;
    v.reason = r.outcome == V8Outcome::pending || !s->in_phase2()
                   ? fmt::format("{}: phase 2 still running when the run ended", role_name(s->role()))
                   : fmt::format("{}: phase 2: {}", role_name(s->role()), phase2_failure_description(r.failure));
    break;
  }
  return v;
}

std::string line_text(const LoopbackArgs& a) {
  return fmt::format("line: delay {} ms, SNR {} dB, gain {} dB, offset {} Hz, skew {} ppm, {}, shape {}, echo {}, seed {}",
                     a.delay_ms, a.snr_db, a.gain_db, a.offset_hz, a.skew_ppm, a.codec == "none" ? "linear" : a.codec,
                     a.shape, std::isfinite(a.echo_db) ? fmt::format("{} dB after {} ms", a.echo_db, a.echo_delay_ms) : "off",
                     a.seed);
}

int run_loopback(const LoopbackArgs& args) {
  CallSessionConfig cc;
  cc.v8.role = V8Role::caller;
  cc.v8.menu = parse_menu(args.caller_menu);
  cc.phase2.info0 = full_info0();
  cc.phase2_enabled = !args.no_phase2;
  CallSessionConfig ac = cc;
  ac.v8.role = V8Role::answerer;
  ac.v8.menu = parse_menu(args.answerer_menu);
  CallOptions options;
  options.max_seconds = args.max_seconds;
  LineSim line(line_config(args, options));
  CallSession caller(cc);
  CallSession answerer(ac);

  std::optional<WavSink> wav;
  if (!args.wav.empty()) wav.emplace(args.wav, WriteOptions{.channels = 2});
  std::vector<float> stereo;
  const SampleIndex ran = run_call(caller, answerer, line, options,
                                   [&](std::span<const float> c, std::span<const float> a, SampleIndex) {
                                     if (!wav) return;
                                     stereo.resize(2 * c.size());
                                     for (std::size_t i = 0; i < c.size(); ++i) {
                                       stereo[2 * i] = c[i];
                                       stereo[2 * i + 1] = a[i];
                                     }
                                     wav->write(stereo);
                                   });
  const Verdict v = verdict(caller, answerer);
  const std::vector<TimelineRow> rows = timeline_rows({&caller.v8(), &answerer.v8()});
  const bool phase2 = caller.in_phase2() || answerer.in_phase2();
  const Phase2Result& p2 = answerer.phase2().result();

  if (args.json) {
    nlohmann::ordered_json events = nlohmann::ordered_json::array();
    for (const TimelineRow& r : rows) events.push_back(row_json(r));
    nlohmann::ordered_json doc;
    doc["result"] = v.connected ? "connected" : "failed";
    doc["reason"] = v.connected ? nlohmann::ordered_json() : nlohmann::ordered_json(v.reason);
    doc["mode"] = v.mode ? nlohmann::ordered_json(std::string(modulation_token(*v.mode))) : nlohmann::ordered_json();
    doc["mode_text"] = v.mode ? nlohmann::ordered_json(std::string(modulation_name(*v.mode))) : nlohmann::ordered_json();
    doc["duration_s"] = samples_to_seconds(ran);
    // The call->answer direction, decided by the answerer from the caller's probe;
    // answer_to_call holds the other direction.
    const bool decided = phase2 && v.connected;
    doc["symbol_rate"] = decided ? nlohmann::ordered_json(p2.call_to_answer.symbol_rate_baud) : nlohmann::ordered_json();
    doc["carrier_hz"] = decided ? nlohmann::ordered_json(std::round(p2.call_to_answer.carrier_hz)) : nlohmann::ordered_json();
    doc["bit_rate"] = decided ? nlohmann::ordered_json(p2.call_to_answer.bit_rate) : nlohmann::ordered_json();
    doc["snr_db_estimate"] = decided ? nlohmann::ordered_json(p2.call_to_answer.snr_db_estimate) : nlohmann::ordered_json();
    doc["rtd_ms"] = decided && p2.rtd_ms ? nlohmann::ordered_json(*p2.rtd_ms) : nlohmann::ordered_json();
    doc["answer_to_call"] = decided ? direction_json(p2.answer_to_call) : nlohmann::ordered_json();
    doc["line"] = {{"delay_ms", args.delay_ms}, {"snr_db", args.snr_db},     {"gain_db", args.gain_db},
                   {"offset_hz", args.offset_hz}, {"skew_ppm", args.skew_ppm}, {"codec", args.codec},
                   {"shape", args.shape},        {"echo_db", std::isfinite(args.echo_db) ? nlohmann::ordered_json(args.echo_db) : nlohmann::ordered_json()},
                   {"echo_delay_ms", args.echo_delay_ms}, {"seed", args.seed}};
    doc["caller"] = result_json(caller.v8());
    doc["caller"]["phase2"] = phase2_json(caller);
    doc["answerer"] = result_json(answerer.v8());
    doc["answerer"]["phase2"] = phase2_json(answerer);
    doc["events"] = events;
    fmt::print("{}\n", doc.dump(2));
  } else {
    fmt::print("caller menu:   {}\nanswerer menu: {}\n{}\n\n", describe(cc.v8.menu), describe(ac.v8.menu), line_text(args));
    fmt::print("  {:>7}  {:>7}  {:<8}  {}\n", "start s", "end s", "side", "event");
    for (const TimelineRow& r : rows) {
      fmt::print("  {:7.3f}  {:>7}  {:<8}  {}\n", samples_to_seconds(r.entry.start),
                 r.end >= 0 ? fmt::format("{:.3f}", samples_to_seconds(r.end)) : "", role_name(r.by), row_text(r));
    }
    fmt::print("\ncaller:   {}\nanswerer: {}\n", result_text(caller.v8().result()), result_text(answerer.v8().result()));
    for (const CallSession* s : {&caller, &answerer}) {
      if (!s->in_phase2()) continue;
      const Phase2Result& r = s->phase2().result();
      fmt::print("{:<9} phase 2 from {:.3f} s: {}", fmt::format("{}:", role_name(s->role())), samples_to_seconds(s->phase2_start()),
                 r.outcome == V8Outcome::connected ? "decided" : fmt::format("{} ({})", outcome_name(r.outcome), phase2_failure_description(r.failure)));
      if (r.rtd_ms) fmt::print(", RTD {:.2f} ms", *r.rtd_ms);
      fmt::print("\n");
      if (r.have_probe) fmt::print("          its probe of the far transmitter: {}\n", rate_reason(r.own_decision));
    }
    if (v.connected && phase2) {
      fmt::print("result: connected, {}; call->answer {}, answer->call {} (done at {:.3f} s)\n", modulation_name(*v.mode),
                 direction_text(p2.call_to_answer), direction_text(p2.answer_to_call),
                 samples_to_seconds(std::max(caller.phase2().result().ended_at, p2.ended_at)));
    } else if (v.connected) {
      fmt::print("result: connected, {} (V.8 done at {:.3f} s)\n", modulation_name(*v.mode),
                 samples_to_seconds(std::max(caller.v8().result().ended_at, answerer.v8().result().ended_at)));
    } else {
      fmt::print("result: failed: {}\n", v.reason);
    }
  }
  return v.connected ? 0 : 2;
}

}  // namespace

void register_loopback(CLI::App& app) {
  auto args = std::make_shared<LoopbackArgs>();
  CLI::App* cmd = app.add_subcommand(
      "loopback", "Run a caller and an answerer in one process through a simulated telephone line: V.8, then V.34 phase 2 (INFO, ranging, line probing) and the rate decision");
  cmd->add_option("--caller-menu", args->caller_menu,
                  "Caller's CM: modulations and options, comma-separated (v90 v34 v32bis v22bis v26ter v23 v21 v34hd v17 "
                  "v29 v27ter v26bis v23hd; lapm; pcm-analogue pcm-digital v91)")
      ->capture_default_str();
  cmd->add_option("--answerer-menu", args->answerer_menu, "Answerer's capabilities, same spelling")->capture_default_str();
  cmd->add_option("--snr", args->snr_db, "Line SNR in dB: AWGN (300-3400 Hz) against a -13 dBm0 signal as received (after --gain-db); inf = no noise")
      ->capture_default_str();
  cmd->add_option("--delay-ms", args->delay_ms, "One-way line delay, 0..100 ms")->capture_default_str()->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--gain-db", args->gain_db, "Line gain (negative: loss), -40..+6 dB")->capture_default_str();
  cmd->add_option("--offset-hz", args->offset_hz, "Frequency offset, -10..+10 Hz")->capture_default_str();
  cmd->add_option("--skew-ppm", args->skew_ppm, "Sample-clock skew of the far end, -200..+200 ppm")->capture_default_str();
  cmd->add_option("--codec", args->codec, "G.711 companding on the line: ulaw, alaw or none")->capture_default_str();
  cmd->add_option("--shape", args->shape, "Line shape: flat (300-3400 Hz), mid, long, none (no band limit)")->capture_default_str();
  cmd->add_option("--echo-db", args->echo_db, "Talker echo level, e.g. -20 (default: off)");
  cmd->add_option("--echo-delay-ms", args->echo_delay_ms, "Talker echo delay, 0..100 ms")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Noise seed (same seed, same call)")->capture_default_str();
  cmd->add_option("--max-seconds", args->max_seconds, "Stop the run after this much line time")->capture_default_str()
      ->check(CLI::Range(1.0, 600.0));
  cmd->add_flag("--json", args->json, "Print one JSON document: result, reason, mode, caller, answerer, line, events");
  cmd->add_flag("--no-phase2", args->no_phase2, "Stop after V.8 (by default V.34 phase 2 follows a V.34/V.90 mode)");
  cmd->add_option("--wav", args->wav, "Write the line as a stereo WAV: left caller->line, right answerer->line");
  cmd->footer(
      "Exit status: 0 connected, 2 the negotiation failed (reason printed), 1 bad options.\n"
      "Times are seconds of line time from off-hook, sample-exact at 8000 Hz.\n"
      "Examples:\n"
      "  squeal loopback\n"
      "  squeal loopback --snr 15 --delay-ms 60 --offset-hz 7 --skew-ppm 100 --echo-db -20\n"
      "  squeal loopback --caller-menu v34,v22bis --answerer-menu v32bis,v22bis --json\n"
      "  squeal loopback --wav call.wav && squeal detect call.wav");
  cmd->callback([args] {
    const int rc = run_loopback(*args);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace squeal::cli
