// `squeal decode <file...>`: the story of a recorded modem call — every
// signal found, who sent it, the V.8 messages in words, and a verdict on what
// the modems settled on. Many files at once with -j N; JSON, JSON Lines.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "cli/commands.h"
#include "cli/common.h"
#include "cli/file_analysis.h"
#include "cli/spectrogram.h"
#include "cli/verdict.h"
#include "dsp/simd/dispatch.h"

namespace squeal::cli {

namespace {

struct DecodeArgs {
  std::vector<std::string> files;
  int channel = 0;
  bool json = false;
  bool jsonl = false;
  int jobs = 1;
  std::string simd = "best";
  std::string png;  // one file: the PNG's path; several: a directory for <name>.png each
};

/// Exit status of one file (the program's is the highest).
enum Status : int { kOk = 0, kNothingFound = 2, kUnreadable = 3, kDamaged = 4 };

struct Decoded {
  std::string path;
  Status status = kOk;
  std::string error;                 // kUnreadable: why
  std::optional<FileResult> result;  // when read
  double clipped_fraction = 0;       // samples at full scale
  std::string png;                   // the spectrogram written, if any
};

/// The name a person reads on the picture for a signal token: "v8bis_cre" ->
/// "V.8bis CRe", "info0a" -> "INFO0a", "t30_dis" -> "T.30 DIS", "l1l2_probe" -> "L1/L2 probe".
std::string display_name(const std::string& signal) {
  static const std::vector<std::pair<std::string_view, std::string_view>> kNames{
      {"dial_tone", "dial tone"}, {"ringback", "ringback"},     {"busy", "busy"},
      {"ans", "ANS"},             {"ans_pr", "ANS/"},           {"ansam", "ANSam"},
      {"ansam_pr", "ANSam/"},     {"cng", "CNG"},               {"ct", "CT"},
      {"tone_a", "tone A"},       {"tone_b", "tone B"},         {"ci", "CI"},
      {"cm", "CM"},               {"jm", "JM"},                 {"cj", "CJ"},
      {"v92", "V.92"},            {"l1l2_probe", "L1/L2 probe"}, {"hdlc_flags", "HDLC flags"},
      {"v22_unscrambled_ones", "V.22 unscrambled 1s"}, {"v22bis_s1", "V.22bis S1"},
      {"v22_scrambled", "V.22 scrambled"},  {"v32_aa", "V.32 AA"}, {"v32_ac", "V.32 AC"}};
  for (const auto& [key, value] : kNames) {
    if (key == signal) return std::string(value);
  }
  auto upper = [](std::string_view t) {
    std::string u(t);
    for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return u;
  };
  if (signal.starts_with("v8bis_")) {  // V.8bis §7: CRe/CRd/MRe/MRd keep their lower-case station letter
    std::string t = upper(std::string_view(signal).substr(6));
    if (t.size() == 3 && (t[0] == 'C' || t[0] == 'M') && t[1] == 'R' && (t[2] == 'E' || t[2] == 'D')) {
      t[2] = static_cast<char>(std::tolower(static_cast<unsigned char>(t[2])));
    }
    return "V.8bis " + t;
  }
  if (signal.starts_with("t30_")) return "T.30 " + upper(std::string_view(signal).substr(4));
  if (signal.starts_with("info")) return "INFO" + signal.substr(4);  // INFO0a, INFO1d
  return signal;
}

/// A short name for the picture's bands ("dial tone", "ANSam/ (5 rev.)", "CM x6").
std::string short_label(const nlohmann::ordered_json& e) {
  const auto& f = e["fields"];
  std::string name = display_name(e["signal"].get<std::string>());
  if (f.contains("reversal_count") && f["reversal_count"].get<int>() > 0) {
    name += fmt::format(" ({} rev.)", f["reversal_count"].get<int>());
  }
  if (f.contains("count") && f["count"].is_number() && f["count"].get<int>() > 1) name += fmt::format(" x{}", f["count"].get<int>());
  if (f.contains("frame_status") && f["frame_status"] != "ok") name += " (damaged)";
  if (f.contains("crc") && f["crc"] == "bad") name += " (bad CRC)";
  return name;
}

std::vector<SpectrogramLabel> labels_of(const FileResult& r) {
  std::vector<SpectrogramLabel> labels;
  const nlohmann::ordered_json events = all_events(r);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    const double start = e["start_s"].get<double>();
    double end = e["end_s"].is_number() ? e["end_s"].get<double>() : start;
    std::string text = short_label(e);
    if (e["signal"] == "dtmf") {  // the dialled number as one band
      std::string digits;
      std::size_t j = i;
      for (; j < events.size() && events[j]["signal"] == "dtmf"; ++j) digits += events[j]["fields"]["digit"].get<std::string>();
      end = events[j - 1]["end_s"].get<double>();
      text = "DTMF " + digits;
      i = j - 1;
    }
    labels.push_back({start, end, text, e["side"].get<std::string>(), e["signal"].get<std::string>()});
  }
  return labels;
}

Decoded decode_one(const std::string& path, int channel, const std::string& png_path) {
  Decoded d;
  d.path = path;
  std::uint64_t clipped = 0, total = 0;
  std::optional<SpectrogramBuilder> picture;
  try {
    if (!png_path.empty()) {
      const double seconds = WavSource(path, {.channel = channel}).info().duration_s;
      picture.emplace(seconds, SpectrogramOptions{.title = std::filesystem::path(path).filename().string()});
    }
    d.result = analyse(path, channel, [&](std::span<const float> x) {
      total += x.size();
      for (float v : x) clipped += std::abs(v) >= 0.99f;
      if (picture) picture->add(x);
    });
  } catch (const std::exception& e) {
    d.status = kUnreadable;
    d.error = e.what();  // names the file and the reason
    return d;
  }
  d.clipped_fraction = total > 0 ? static_cast<double>(clipped) / static_cast<double>(total) : 0.0;
  const bool nothing = d.result->intervals.empty() && d.result->v8.empty();
  if (nothing) d.status = kNothingFound;
  if (!d.result->info.warning.empty() || d.clipped_fraction > 1e-3) d.status = std::max(d.status, kDamaged);
  if (picture) {
    try {
      picture->write_png(png_path, labels_of(*d.result));
      d.png = png_path;
    } catch (const std::exception& e) {
      d.status = std::max(d.status, kUnreadable);
      d.error = e.what();
    }
  }
  return d;
}

std::vector<std::string> warnings(const Decoded& d) {
  std::vector<std::string> w;
  if (d.result && !d.result->info.warning.empty()) w.push_back(d.result->info.warning);
  if (d.clipped_fraction > 1e-3) {
    w.push_back(fmt::format("{:.2f} % of the samples are at full scale: the recording is clipped", 100 * d.clipped_fraction));
  }
  if (d.result && d.result->samples == 0) w.push_back("the file holds no samples");
  return w;
}

nlohmann::ordered_json document(const Decoded& d) {
  if (!d.result) return {{"file", d.path}, {"error", d.error}, {"exit_status", static_cast<int>(d.status)}};
  const FileResult& r = *d.result;
  return {{"file", r.info.path},
          {"duration_s", samples_to_seconds(r.samples)},
          {"sample_rate_in", r.info.rate_in_hz},
          {"channels", r.info.channels},
          {"events", all_events(r)},
          {"verdict", verdict(r)},
          {"warnings", warnings(d)},
          {"png", d.png.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(d.png)},
          {"exit_status", static_cast<int>(d.status)}};
}

void print_story(const Decoded& d) {
  if (!d.result) {
    fmt::print(stderr, "squeal: error: {}\n", d.error);
    return;
  }
  const FileResult& r = *d.result;
  fmt::print("{}: {:.3f} s, {} Hz, {} channel{}\n", r.info.path, samples_to_seconds(r.samples), r.info.rate_in_hz,
             r.info.channels, r.info.channels == 1 ? "" : "s");
  for (const std::string& w : warnings(d)) fmt::print("  warning: {}\n", w);
  const nlohmann::ordered_json events = all_events(r);
  if (events.empty()) fmt::print("  no modem or call-progress signals found\n");
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (e["signal"] == "dtmf") {
      // A dialled number reads better as one row.
      std::string digits;
      std::size_t j = i;
      for (; j < events.size() && events[j]["signal"] == "dtmf"; ++j) digits += events[j]["fields"]["digit"].get<std::string>();
      fmt::print("  {:>8.3f}-{:<8.3f} {:<9} {:<10} dialled {} ({} digits)\n", e["start_s"].get<double>(),
                 events[j - 1]["end_s"].get<double>(), e["side"].get<std::string>(), "dtmf", digits, j - i);
      i = j - 1;
      continue;
    }
    fmt::print("  {:>8.3f}-{:<8.3f} {:<9} {:<10} {}\n", e["start_s"].get<double>(), e["end_s"].get<double>(),
               e["side"].get<std::string>(), e["signal"].get<std::string>(), e["text"].get<std::string>());
  }
  fmt::print("  verdict: {}\n", verdict(r)["text"].get<std::string>());
  if (!d.png.empty()) fmt::print("  spectrogram: {}\n", d.png);
  if (!d.error.empty()) fmt::print(stderr, "squeal: error: {}\n", d.error);
}

/// Where a file's spectrogram goes: --png itself for one file, <dir>/<name>.png for several.
std::string png_path(const DecodeArgs& args, const std::string& file) {
  if (args.png.empty()) return {};
  if (args.files.size() == 1 && !std::filesystem::is_directory(args.png)) return args.png;
  return (std::filesystem::path(args.png) / std::filesystem::path(file).filename().replace_extension(".png")).string();
}

int run_decode(const DecodeArgs& args) {
  if (args.files.size() > 1 && !args.png.empty() && !std::filesystem::is_directory(args.png)) {
    throw std::invalid_argument(fmt::format("--png {}: with several files, --png must name an existing directory", args.png));
  }
  apply_simd(args.simd);
  const std::size_t n = args.files.size();
  std::vector<Decoded> out(n);
  std::atomic<std::size_t> next{0}, done{0};
  const bool progress = n > 1 && isatty(STDERR_FILENO) != 0;
  std::mutex progress_mutex;
  auto worker = [&] {
    simd::enable_flush_to_zero();
    for (std::size_t i = next++; i < n; i = next++) {
      out[i] = decode_one(args.files[i], args.channel, png_path(args, args.files[i]));
      const std::size_t k = ++done;
      if (progress) {
        const std::lock_guard<std::mutex> lock(progress_mutex);
        const int bar = static_cast<int>(30 * k / n);
        fmt::print(stderr, "\r[{:<30}] {}/{} files", std::string(static_cast<std::size_t>(bar), '#'), k, n);
      }
    }
  };
  const int jobs = std::clamp(args.jobs, 1, 64);
  std::vector<std::thread> pool;
  for (int j = 1; j < jobs && static_cast<std::size_t>(j) < n; ++j) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (progress) fmt::print(stderr, "\n");

  int status = kOk;
  nlohmann::ordered_json documents = nlohmann::ordered_json::array();
  for (const Decoded& d : out) {
    status = std::max(status, static_cast<int>(d.status));
    if (args.jsonl) {
      fmt::print("{}\n", document(d).dump());
    } else if (args.json) {
      documents.push_back(document(d));
    } else {
      print_story(d);
    }
    if ((args.json || args.jsonl) && !d.result) fmt::print(stderr, "squeal: error: {}\n", d.error);
  }
  if (args.json) fmt::print("{}\n", (n == 1 ? documents[0] : documents).dump(2));
  return status;
}

}  // namespace

void register_decode(CLI::App& app) {
  auto args = std::make_shared<DecodeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "decode", "Explain recordings of modem calls: every signal, who sent it, V.8 messages in words, and a verdict");
  cmd->add_option("files", args->files, "Recordings (WAV, FLAC, MP3, ...; any rate, mono or stereo)")->required();
  cmd->add_option("--channel", args->channel, "0 = mix all channels, 1..N = that channel only")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--json", args->json, "One JSON document per file (an array for several)");
  cmd->add_flag("--jsonl", args->jsonl, "JSON Lines: one compact record per file, in input order");
  cmd->add_option("-j,--jobs", args->jobs, "Files decoded in parallel (a progress bar shows on a terminal)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--png", args->png,
                  "Write an annotated spectrogram: a PNG path for one file, a directory (<name>.png each) for several");
  add_simd_option(cmd, args->simd);
  cmd->footer(
      "Exit status (the worst over the files): 0 decoded, 2 no modem signals found, 3 a file could not be\n"
      "read (missing, empty, not audio), 4 decoded but the file is damaged (truncated) or clipped.\n"
      "JSON: {\"file\", \"duration_s\", \"sample_rate_in\", \"events\": [{\"signal\", \"start_s\", \"end_s\", \"side\",\n"
      "  \"text\", \"fields\"}], \"verdict\": {\"protocol\", \"rate\", \"basis\", \"text\"}, \"warnings\"}\n"
      "Examples:\n"
      "  squeal decode call.wav\n"
      "  squeal decode --png call.png call.wav\n"
      "  squeal decode --json call.mp3\n"
      "  squeal decode -j 2 --jsonl recordings/*.wav > calls.jsonl");
  cmd->callback([args] {
    const int rc = run_decode(*args);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace squeal::cli
