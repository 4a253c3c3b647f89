// `squeal bench`: throughput of the Goertzel bank and the detectors per SIMD
// target, with spandsp 0.0.6 measured in the same run as the reference
// (bench/bench_suite.h says how the numbers are made).
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "bench/bench_suite.h"
#include "cli/commands.h"
#include "cli/common.h"
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
};

void run_bench(const BenchArgs& args) {
  bench::BenchOptions options;
  options.filter = args.filter;
  options.signal_seconds = args.seconds;
  options.min_cpu_seconds = args.min_cpu_seconds;
  options.repetitions = args.repetitions;
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
      "bench", "Measure x real time of the Goertzel bank (32 tones), the ANSam and DTMF detectors and the V.21 demodulator per SIMD "
               "target, against spandsp 0.0.6 in the same run");
  cmd->add_flag("--json", args->json,
                "Print a JSON list of {name, target, x_realtime, reference, reference_x_realtime, ratio}");
  cmd->add_option("--filter", args->filter, "Run only benchmarks whose name contains this (goertzel, ansam, dtmf, v21)");
  cmd->add_option("--simd", args->simd, "SIMD target: all (every target this machine has), scalar, sse4, avx2, avx512 or best")
      ->check(CLI::IsMember({"all", "scalar", "sse4", "avx2", "avx512", "best"}))
      ->capture_default_str();
  cmd->add_option("--seconds", args->seconds, "Seconds of 8 kHz audio synthesised per benchmark")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--min-cpu", args->min_cpu_seconds, "CPU seconds per measurement")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
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
