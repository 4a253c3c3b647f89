// `squeal bench`: throughput of the Goertzel bank and the detectors per SIMD
// target, with spandsp 0.0.6 measured in the same run as the reference
// (bench/bench_suite.h says how the numbers are made).
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>

#include "audio/wav_io.h"
#include "bench/bench_suite.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/file_analysis.h"
#include "dsp/simd/dispatch.h"

namespace squeal::cli {

namespace {

struct BenchArgs {
  bool json = false;            // print the JSON list instead of the table
  std::string filter;           // benchmark name substring
  std::string simd = "all";     // one target, "best" or "all"
  double seconds = 30;          // audio per benchmark
  double min_cpu_seconds = 0.3; // CPU time per measurement
  int repetitions = 5;          // measurements per contender, best kept
  std::string recordings;       // folder of recordings for the decode benchmarks ("" = none)
};

/// The folder the decode benchmarks read: --recordings, else $SQUEAL_RECORDINGS,
/// else ../shared/recordings if it exists, else none.
std::string recordings_folder(const std::string& asked) {
  if (!asked.empty()) return asked;
  if (const char* env = std::getenv("SQUEAL_RECORDINGS"); env != nullptr && *env != '\0') return env;
  return std::filesystem::is_directory("../shared/recordings") ? "../shared/recordings" : "";
}

/// Audio files in a folder, sorted (README and the like skipped).
std::vector<std::string> audio_files(const std::string& folder) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".wav" || ext == ".mp3" || ext == ".flac" || ext == ".ogg")) {
      files.push_back(entry.path().string());
    }
  }
  std::ranges::sort(files);
  if (files.empty()) throw std::runtime_error("bench: no recordings (wav/mp3/flac/ogg) in " + folder);
  return files;
}

/// `squeal decode` as benchmarks: every detector and stage over each
/// recording, from memory (decode_recordings: the decoder alone) and from
/// the files (decode_files: libsndfile, MP3 decoding and resampling included).
std::vector<bench::ExtraBenchmark> decode_benchmarks(const std::string& folder) {
  const std::vector<std::string> files = audio_files(folder);
  auto audio = std::make_shared<std::vector<std::vector<float>>>();
  for (const std::string& f : files) {
    WavSource source(f);
    std::vector<float> x(static_cast<std::size_t>(source.expected_samples()) + 4096);
    std::size_t n = 0;
    while (const std::size_t got = source.read(std::span<float>(x).subspan(n, std::min<std::size_t>(4096, x.size() - n)))) {
      n += got;
      if (n == x.size()) x.resize(x.size() + 4096);
    }
    x.resize(n);
    audio->push_back(std::move(x));
  }
  const std::string what = fmt::format("none ({} files in {})", files.size(), folder);
  std::vector<bench::ExtraBenchmark> out;
  out.push_back({"decode_recordings", what, [audio] {
                   return std::function<std::uint64_t()>([audio] {
                     std::uint64_t samples = 0;
                     for (const std::vector<float>& x : *audio) {
                       StreamDecoder decoder;
                       for (std::size_t i = 0; i < x.size(); i += 4096) {
                         decoder.process(std::span<const float>(x).subspan(i, std::min<std::size_t>(4096, x.size() - i)));
                       }
                       const FileResult r = decoder.finish();
                       samples += static_cast<std::uint64_t>(r.samples);
                     }
                     return samples;
                   });
                 }});
  out.push_back({"decode_files", what, [files] {
                   return std::function<std::uint64_t()>([files] {
                     std::uint64_t samples = 0;
                     for (const std::string& f : files) samples += static_cast<std::uint64_t>(analyse(f, 0).samples);
                     return samples;
                   });
                 }});
  return out;
}

void run_bench(const BenchArgs& args) {
  bench::BenchOptions options;
  options.filter = args.filter;
  options.signal_seconds = args.seconds;
  options.min_cpu_seconds = args.min_cpu_seconds;
  options.repetitions = args.repetitions;
  const std::string folder = recordings_folder(args.recordings);
  if (!folder.empty() && std::string("decode_recordings decode_files").find(args.filter) != std::string::npos) {
    options.extra = decode_benchmarks(folder);
  }
  if (args.simd != "all") {
    const simd::Target saved = simd::current_target();
    apply_simd(args.simd);  // validates, with the targets this machine has in the message
    options.targets = {simd::current_target()};
    simd::set_target(saved);
  }
  options.progress = [](std::string_view line) {
    fmt::print(stderr, "{}\n", line);
    std::fflush(stderr);
  };
  simd::enable_flush_to_zero();  // the benchmarks run on this thread (main sets it too)
  fmt::print(stderr, "squeal bench: {}\n", bench::method_note(options));
  const std::vector<bench::BenchResult> results = bench::run_benchmarks(options);
  if (args.json) {
    fmt::print("{}\n", bench::format_json(results));
  } else {
    fmt::print("squeal bench: {}\n\n{}", bench::method_note(options), bench::format_table(results));
  }
}

}  // namespace

void register_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand(
      "bench", "Measure x real time of the Goertzel bank (32 tones), the ANSam and DTMF detectors, the V.21 demodulator, whole "
               "calls, the probe analyser and `decode` over recordings, per SIMD target, against spandsp 0.0.6 in the same run");
  cmd->add_flag("--json", args->json,
                "Print a JSON list of {name, target, x_realtime, reference, reference_x_realtime, ratio}");
  cmd->add_option("--filter", args->filter, "Run only benchmarks whose name contains this (goertzel, ansam, dtmf, v21, v8_call, v34_call, l1l2, decode)");
  cmd->add_option("--simd", args->simd, "SIMD target: all (every target this machine has), scalar, sse4, avx2, avx512 or best")
      ->check(CLI::IsMember({"all", "scalar", "sse4", "avx2", "avx512", "best"}))
      ->capture_default_str();
  cmd->add_option("--seconds", args->seconds, "Seconds of 8 kHz audio synthesised per benchmark")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--min-cpu", args->min_cpu_seconds, "CPU seconds per measurement")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--recordings", args->recordings,
                  "Folder of recordings for the decode benchmarks (default: $SQUEAL_RECORDINGS, else ../shared/recordings if present)");
  cmd->add_option("--repetitions", args->repetitions, "Measurements per target and reference; the best is reported")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->footer(
      "x real time = seconds of audio processed / CPU seconds of the benchmark thread; 160-sample blocks;\n"
      "flush-to-zero on. The reference column is spandsp 0.0.6 on the same input (int16), or 'unavailable'\n"
      "when squeal was built without it (meson -Dspandsp=disabled). Progress goes to stderr.\n"
      "Examples:\n"
      "  squeal bench\n"
      "  squeal bench --json --simd best\n"
      "  squeal bench --filter dtmf --seconds 10");
  cmd->callback([args] { run_bench(*args); });
}

}  // namespace squeal::cli
