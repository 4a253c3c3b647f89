// `squeal detect <file...>`: runs every tone detector (dsp/analyzer.h) over
// each file in streaming blocks and prints sample-stamped intervals, as a
// table or as JSON (the project-wide event schema, cli/common.h).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <memory>
#include <vector>

#include "audio/wav_io.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "dsp/analyzer.h"
#include "dsp/simd/dispatch.h"
#include "negotiation/v8_listener.h"

namespace squeal::cli {

namespace {

struct DetectArgs {
  std::vector<std::string> files;  // inputs, any format libsndfile reads
  int channel = 0;                 // 0 = mix, 1..N = that channel
  bool json = false;               // JSON instead of the table
  std::string simd = "best";       // --simd
};

/// Consecutive identical V.8 messages on one channel, shown as one row.
struct V8Run {
  V8Heard first;   // the first of the run (octets, status, start)
  SampleIndex end; // end of the last one
  int count;       // messages in the run
};

struct FileResult {
  AudioInfo info;                   // the file as opened
  SampleIndex samples = 0;          // samples analysed at 8000 Hz
  std::vector<Interval> intervals;  // tones heard
  std::vector<V8Run> v8;            // V.8 messages heard, repeats collapsed
};

bool same_message(const V8Heard& a, const V8Heard& b) {
  return a.channel == b.channel && a.message.ok() && b.message.ok() && a.message.type == b.message.type &&
         std::ranges::equal(a.frame.view(), b.frame.view());
}

// A repeated CM (or JM) is one row with a count; a damaged frame stays on its own.
void add_heard(std::vector<V8Run>& runs, const V8Heard& heard) {
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    if (it->first.channel != heard.channel) continue;
    if (same_message(it->first, heard)) {
      it->end = heard.end;
      ++it->count;
      return;
    }
    break;
  }
  runs.push_back({heard, heard.end, 1});
}

nlohmann::ordered_json v8_json(const V8Run& run) {
  const V8Message& m = run.first.message;
  std::string text = std::string(message_name(m.type));
  if (run.count > 1) text += fmt::format(" x{}", run.count);
  if (run.first.frame.size > 0) text += " [" + octets_hex(run.first.frame.view()) + "]";
  const bool has_menu = m.type == V8MessageType::cm || m.type == V8MessageType::jm || m.type == V8MessageType::ci;
  if (has_menu && m.parse_status != V8ParseStatus::empty) text += ": " + describe(m.menu);
  if (!m.ok()) {
    text += fmt::format(" (damaged: {}, {})", frame_status_name(m.frame_status), parse_status_name(m.parse_status));
  }
  std::string signal(message_name(m.type));
  std::ranges::transform(signal, signal.begin(), [](char c) { return c == '.' ? '\0' : static_cast<char>(std::tolower(c)); });
  signal.erase(std::remove(signal.begin(), signal.end(), '\0'), signal.end());  // "V.92" -> "v92"
  return {
      {"signal", signal},
      {"start_s", samples_to_seconds(run.first.start)},
      {"end_s", samples_to_seconds(run.end)},
      {"side", run.first.channel == 1 ? "caller" : "answerer"},
      {"text", text},
      {"fields",
       {{"octets", octets_hex(run.first.frame.view())},
        {"count", run.count},
        {"channel", run.first.channel},
        {"frame_status", frame_status_name(m.frame_status)},
        {"parse_status", parse_status_name(m.parse_status)}}},
  };
}

FileResult analyse(const std::string& path, int channel) {
  WavSource source(path, {.channel = channel});
  FileResult result;
  result.info = source.info();
  if (!result.info.warning.empty()) fmt::print(stderr, "squeal: warning: {}: {}\n", path, result.info.warning);
  ToneAnalyzer analyzer;
  V8Listener v8_listener;
  std::vector<Event> events;
  const auto on_v8 = [&result](const V8Heard& heard) { add_heard(result.v8, heard); };
  std::vector<float> block(4096);
  while (const std::size_t n = source.read(block)) {
    const std::span<const float> samples(block.data(), n);
    analyzer.process(samples, events);
    v8_listener.process(samples, on_v8);
  }
  analyzer.finish(events);
  v8_listener.finish(on_v8);
  if (analyzer.dropped() != 0) {
    fmt::print(stderr, "squeal: warning: {}: {} detector events were lost (queue full)\n", path, analyzer.dropped());
  }
  result.samples = source.position();
  result.intervals = pair_events(events, result.samples);
  return result;
}

// Tone intervals and V.8 messages in one list, by start time.
nlohmann::ordered_json all_events(const FileResult& r) {
  std::vector<nlohmann::ordered_json> rows;
  for (const Interval& iv : r.intervals) rows.push_back(interval_json(iv));
  for (const V8Run& run : r.v8) rows.push_back(v8_json(run));
  std::ranges::stable_sort(rows, {}, [](const nlohmann::ordered_json& j) { return j["start_s"].get<double>(); });
  nlohmann::ordered_json events = nlohmann::ordered_json::array();
  for (auto& row : rows) events.push_back(std::move(row));
  return events;
}

nlohmann::ordered_json document(const FileResult& r) {
  const nlohmann::ordered_json events = all_events(r);
  return {
      {"file", r.info.path},
      {"duration_s", samples_to_seconds(r.samples)},
      {"sample_rate_in", r.info.rate_in_hz},
      {"channels", r.info.channels},
      {"simd", simd::target_name(simd::current_target())},
      {"dtmf_digits", dtmf_digits(r.intervals)},
      {"events", events},
  };
}

void print_table(const FileResult& r, int channel) {
  fmt::print("{}: {}, {} Hz, {} channel{}, {:.3f} s{} (analysed at 8000 Hz, SIMD {})\n", r.info.path, r.info.format,
             r.info.rate_in_hz, r.info.channels, r.info.channels == 1 ? "" : "s", samples_to_seconds(r.samples),
             channel == 0 ? (r.info.channels > 1 ? ", channels mixed" : "") : fmt::format(", channel {}", channel),
             simd::target_name(simd::current_target()));
  const nlohmann::ordered_json events = all_events(r);
  if (events.empty()) {
    fmt::print("  no signals detected\n");
    return;
  }
  fmt::print("  {:>9}  {:>9}  {:<14} {:<9} {}\n", "start s", "end s", "signal", "side", "details");
  for (const auto& e : events) {
    fmt::print("  {:>9.3f}  {:>9.3f}  {:<14} {:<9} {}\n", e["start_s"].get<double>(), e["end_s"].get<double>(),
               e["signal"].get<std::string>(), e["side"].get<std::string>(), e["text"].get<std::string>());
  }
  const std::string digits = dtmf_digits(r.intervals);
  if (!digits.empty()) fmt::print("  DTMF digits: {}\n", digits);
}

void run_detect(const DetectArgs& args) {
  apply_simd(args.simd);
  nlohmann::ordered_json documents = nlohmann::json::array();
  int failures = 0;
  for (const std::string& path : args.files) {
    FileResult result;
    try {
      result = analyse(path, args.channel);
    } catch (const std::exception& e) {
      // e.what() names the file and the reason.
      fmt::print(stderr, "squeal: error: {}\n", e.what());
      ++failures;
      continue;
    }
    if (args.json) {
      documents.push_back(document(result));
    } else {
      print_table(result, args.channel);
    }
  }
  if (args.json && !documents.empty()) {
    // One file: its document; several: an array of documents.
    fmt::print("{}\n", (args.files.size() == 1 ? documents[0] : documents).dump(2));
  }
  if (failures != 0) throw CLI::RuntimeError(1);  // messages already printed
}

}  // namespace

void register_detect(CLI::App& app) {
  auto args = std::make_shared<DetectArgs>();
  CLI::App* cmd = app.add_subcommand(
      "detect", "Find dial/ringback/busy tones, DTMF digits, answer tones (ANS, ANSam, reversals), CNG/CT, V.34 tones A/B and V.8 CI/CM/JM/CJ messages (decoded in words) in audio files");
  cmd->add_option("files", args->files, "Audio files (WAV, FLAC, MP3, ...; any rate and channel count)")->required();
  cmd->add_option("--channel", args->channel, "0 = mix all channels, 1..N = analyse that channel only")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", args->json, "Print JSON: one document per file (an array for several files)");
  add_simd_option(cmd, args->simd);
  cmd->footer(
      "Times are seconds from the start of the file (sample-exact at 8000 Hz after resampling).\n"
      "JSON event: {\"signal\", \"start_s\", \"end_s\", \"side\", \"text\", \"fields\": {digit, freq_hz, freq2_hz,\n"
      "  level_dbm0, snr_db, twist_db, am_depth, am_rate_hz, reversals_s, reversal_count, open}}\n"
      "Examples:\n"
      "  squeal detect call.wav\n"
      "  squeal detect --json --channel 2 call.mp3\n"
      "  squeal detect --simd scalar a.wav b.flac");
  cmd->callback([args] { run_detect(*args); });
}

}  // namespace squeal::cli
