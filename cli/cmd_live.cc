// `squeal call` / `squeal answer`: one side of a modem start-up (V.8, then
// V.34 phase 2) on live audio devices through PortAudio. The PortAudio
// callbacks only move samples through lock-free rings (audio/portaudio_stream.h);
// this thread runs the same CallSession as `loopback`, at 8000 Hz. A device
// that cannot run at 8000 Hz (or --rate R) is opened at another rate and
// resampled on this thread inside DuplexStream::read()/write().
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <vector>

#include "audio/portaudio_stream.h"
#include "audio/wav_io.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/session_report.h"
#include "dsp/levels.h"
#include "dsp/simd/dispatch.h"
#include "negotiation/call_session.h"

namespace squeal::cli {

namespace {

struct LiveArgs {
  V8Role role = V8Role::caller;
  std::string device, in, out;
  double rate_hz = 0;  // device rate; 0: 8000 if the devices take it, else their default rate
  int channel = 1;
  double level_dbm0 = -13;
  double timeout_s = 30;
  std::string record;
  bool json = false;
  bool no_phase2 = false;
  std::string menu;
  std::string jack_server = "squeal";
};

/// Why V.8 is still pending at the time-out, from what was heard so far.
std::string pending_v8_reason(V8Role role, const V8Result& v8) {
  if (role == V8Role::caller) {
    if (v8.answer_tone == Signal::tone) return "no answer tone (ANSam) was heard: no modem answered (no_answer_tone)";
    if (!v8.heard_far_menu) {
      return fmt::format("{} was heard but no two identical JMs arrived (no_jm)", signal_name(v8.answer_tone));
    }
    return "JM was heard but the call did not complete";
  }
  if (v8.frames_heard == 0) return "no CM was heard: no calling modem on the line (no_cm)";
  if (!v8.heard_far_menu) {
    return fmt::format("{} V.8 frame(s) heard ({} damaged) but no two identical CMs (no_cm)", v8.frames_heard,
                       v8.frames_damaged);
  }
  return "JM was sent but no CJ arrived (no_cj)";
}

int run_live(const LiveArgs& a) {
  simd::enable_flush_to_zero();
  if (!portaudio_available()) throw std::runtime_error("this squeal was built without PortAudio: no live devices");
  use_jack_server_by_default(a.jack_server);
  CallSessionConfig config;
  config.v8.role = a.role;
  config.v8.menu = parse_menu(a.menu.empty() ? (a.role == V8Role::caller ? "v90,v34,v32bis,v22bis,v21,lapm"
                                                                         : "v34,v32bis,v22bis,v21,lapm")
                                             : a.menu);
  config.v8.fsk_level_dbm0 = a.level_dbm0 - 1;           // V.21 a little under the nominal level
  config.v8.answer_tone_level_dbm0 = a.level_dbm0 + 1;   // ANSam typical -12 at nominal -13
  config.phase2.info0 = full_info0();
  config.phase2.level_dbm0 = a.level_dbm0;
  config.phase2_enabled = !a.no_phase2;
  CallSession session(config);

  DuplexStreamConfig sc;
  sc.input_device = a.in.empty() ? a.device : a.in;
  sc.output_device = a.out.empty() ? a.device : a.out;
  sc.sample_rate_hz = kSampleRateHz;
  sc.device_rate_hz = a.rate_hz;
  sc.input_channel = a.channel;
  sc.output_channel = a.channel;
  DuplexStream stream(sc);  // throws naming the device, listing those that exist

  std::optional<WavSink> wav;
  if (!a.record.empty()) wav.emplace(a.record, WriteOptions{.channels = 2});
  constexpr std::size_t kBlock = 160;
  std::vector<float> rx(kBlock), tx(kBlock), stereo(2 * kBlock);
  const auto max_samples = static_cast<SampleIndex>(a.timeout_s * kSampleRateHz);
  SampleIndex done = 0, finished_at = -1;
  std::uint64_t starved = 0;
  stream.start();
  const auto wall_start = std::chrono::steady_clock::now();
  while (done < max_samples) {
    const std::size_t got = stream.read(rx, std::chrono::milliseconds(500));
    if (got < kBlock) {
      ++starved;  // the input stalled: carry on with silence so time still runs
      std::fill(rx.begin() + static_cast<std::ptrdiff_t>(got), rx.end(), 0.0f);
      if (std::chrono::steady_clock::now() - wall_start > std::chrono::duration<double>(a.timeout_s + 5)) break;
    }
    session.process(rx, tx);
    stream.write(tx, std::chrono::milliseconds(500));
    if (wav) {
      for (std::size_t i = 0; i < kBlock; ++i) {
        stereo[2 * i] = tx[i];
        stereo[2 * i + 1] = rx[i];
      }
      wav->write(stereo);
    }
    done += static_cast<SampleIndex>(kBlock);
    if (session.finished() && finished_at < 0) finished_at = done;
    if (finished_at >= 0 && done >= finished_at + 800) break;  // 100 ms more, so the far side hears the end
  }
  stream.stop();
  const XrunCounts x = stream.xruns();

  const V8Result& v8 = session.v8().result();
  const bool phase2_ok = !session.in_phase2() || session.phase2().result().outcome == V8Outcome::connected;
  const bool connected = v8.outcome == V8Outcome::connected && phase2_ok;
  std::string reason;
  if (v8.outcome == V8Outcome::pending) {
    reason = fmt::format("time-out after {:g} s: the far modem never completed V.8: {}", a.timeout_s, pending_v8_reason(a.role, v8));
  } else if (v8.outcome != V8Outcome::connected) {
    reason = std::string(failure_description(v8.failure));
  } else if (!phase2_ok) {
    const Phase2Result& p = session.phase2().result();
    reason = p.outcome == V8Outcome::pending ? fmt::format("time-out after {:g} s in V.34 phase 2", a.timeout_s)
                                             : fmt::format("phase 2: {}", phase2_failure_description(p.failure));
  }
  if (a.json) {
    nlohmann::ordered_json doc;
    doc["result"] = connected ? "connected" : "failed";
    doc["reason"] = connected ? nlohmann::ordered_json() : nlohmann::ordered_json(reason);
    doc["role"] = std::string(role_name(a.role));
    doc["mode"] = v8.mode ? nlohmann::ordered_json(std::string(modulation_token(*v8.mode))) : nlohmann::ordered_json();
    doc["v8"] = result_json(session.v8());
    doc["phase2"] = phase2_json(session);
    doc["devices"] = {{"input", stream.input_device().name},
                      {"output", stream.output_device().name},
                      {"rate_hz", stream.device_rate_hz()},
                      {"dsp_rate_hz", stream.sample_rate_hz()},
                      {"resampled", stream.resampling()}};
    doc["xruns"] = {{"total", x.total()},
                    {"rx_overrun_events", x.rx_overrun_events},
                    {"tx_underrun_events", x.tx_underrun_events},
                    {"device_flags", x.pa_input_overflow + x.pa_input_underflow + x.pa_output_overflow + x.pa_output_underflow},
                    {"input_overflow", x.pa_input_overflow},
                    {"input_underflow", x.pa_input_underflow},
                    {"output_underflow", x.pa_output_underflow},
                    {"output_overflow", x.pa_output_overflow},
                    {"input_samples", x.input_samples},
                    {"output_samples", x.output_samples},
                    {"input_stalls", starved}};
    nlohmann::ordered_json events = nlohmann::ordered_json::array();
    for (const TimelineRow& r : timeline_rows({&session.v8()})) events.push_back(row_json(r));
    doc["events"] = events;
    fmt::print("{}\n", doc.dump(2));
  } else {
    fmt::print("squeal {} on {} -> {} at {:g} Hz{}\n", role_name(a.role), stream.input_device().name,
               stream.output_device().name, stream.device_rate_hz(),
               stream.resampling() ? fmt::format(" (resampled to {:g} Hz)", stream.sample_rate_hz()) : "");
    for (const TimelineRow& r : timeline_rows({&session.v8()})) {
      fmt::print("  {:7.3f}  {}\n", samples_to_seconds(r.entry.start), row_text(r));
    }
    fmt::print("V.8: {}\n", result_text(v8));
    if (session.in_phase2()) {
      const Phase2Result& p = session.phase2().result();
      fmt::print("phase 2: {}", p.outcome == V8Outcome::connected ? "decided" : std::string(outcome_name(p.outcome)));
      if (p.rtd_ms) fmt::print(", RTD {:.2f} ms", *p.rtd_ms);
      fmt::print("\n");
      if (p.outcome == V8Outcome::connected) {
        fmt::print("  call->answer {}\n  answer->call {}\n", direction_text(p.call_to_answer), direction_text(p.answer_to_call));
      }
    }
    fmt::print("xruns: {} (rx overruns {}, tx underruns {}, device flags {}, input stalls {})\n", x.total(),
               x.rx_overrun_events, x.tx_underrun_events,
               x.pa_input_overflow + x.pa_input_underflow + x.pa_output_overflow + x.pa_output_underflow, starved);
    fmt::print("result: {}\n", connected ? "connected" : "failed: " + reason);
  }
  return connected ? 0 : 2;
}

void register_one(CLI::App& app, V8Role role) {
  auto args = std::make_shared<LiveArgs>();
  args->role = role;
  const bool caller = role == V8Role::caller;
  CLI::App* cmd = app.add_subcommand(
      caller ? "call" : "answer",
      caller ? "Be the calling modem on live audio devices: V.8, then V.34 phase 2 and the rate decision"
             : "Be the answering modem on live audio devices: V.8, then V.34 phase 2 and the rate decision");
  cmd->add_option("--device", args->device, "Input and output device (name or unique substring); default: the system's");
  cmd->add_option("--in", args->in, "Input device (overrides --device)");
  cmd->add_option("--out", args->out, "Output device (overrides --device)");
  cmd->add_option("--rate", args->rate_hz,
                  "Device sample rate (Hz), resampled to squeal's 8000 (else 8000 is tried); "
                  "default: 8000, or the device's default rate when it cannot run at 8000")
      ->check(CLI::Range(1000.0, 384000.0));
  cmd->add_option("--channel", args->channel, "Device channel to use, 1..N")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--level", args->level_dbm0, "Nominal transmit level (dBm0)")->capture_default_str()->check(CLI::Range(-40.0, 0.0));
  cmd->add_option("--timeout", args->timeout_s, "Give up after this many seconds")->capture_default_str()->check(CLI::Range(1.0, 600.0));
  cmd->add_option("--menu", args->menu, caller ? "CM menu (see loopback)" : "Capabilities (see loopback)");
  cmd->add_option("--record", args->record, "Write a stereo WAV: left what was sent, right what was heard");
  cmd->add_option("--jack-server", args->jack_server, "JACK server to use when JACK_DEFAULT_SERVER is unset")->capture_default_str();
  cmd->add_flag("--no-phase2", args->no_phase2, "Stop after V.8");
  cmd->add_flag("--json", args->json, "Print one JSON document");
  cmd->footer(std::string("Exit status: 0 connected, 2 failed (reason printed), 1 bad options or device.\n") +
              "Two instances over the JACK cable (bash tools/jack-cable.sh start):\n"
              "  squeal answer --in cableA --out cableB &\n"
              "  squeal call --in cableB --out cableA");
  cmd->callback([args] {
    const int rc = run_live(*args);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace

void register_live(CLI::App& app) {
  register_one(app, V8Role::caller);
  register_one(app, V8Role::answerer);
}

}  // namespace squeal::cli
