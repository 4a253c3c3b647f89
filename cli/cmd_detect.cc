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
#include "cli/file_analysis.h"
#include "dsp/simd/dispatch.h"

namespace squeal::cli {

namespace {

struct DetectArgs {
  std::vector<std::string> files;  // inputs, any format libsndfile reads
  int channel = 0;                 // 0 = mix, 1..N = that channel
  bool json = false;               // JSON instead of the table
  std::string simd = "best";       // --simd
};

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
