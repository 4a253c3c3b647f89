// Throughput benchmarks of squeal's DSP blocks against spandsp 0.0.6's own
// equivalents, measured in the same run on the same input.
//
// × real time = seconds of 8 kHz audio processed / CPU seconds of the calling
// thread (CLOCK_THREAD_CPUTIME_ID, so other processes on the machine count
// less). One measurement repeats whole passes over the signal (each from a
// freshly reset state, 160-sample blocks, events drained every block) until
// min_cpu_seconds have been spent; each contender (every SIMD target and the
// reference) is measured `repetitions` times, interleaved so load changes hit
// all alike, and the BEST repetition is reported. Flush-to-zero / denormals-
// are-zero is set on the calling thread (it applies to spandsp too).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsp/simd/dispatch.h"

namespace squeal::bench {

/// Samples per process() call for squeal and spandsp alike (20 ms).
inline constexpr int kBenchBlockSamples = 160;

struct BenchResult {
  std::string name;             // "goertzel_bank_32", "ansam_detector", "dtmf_detector"
  std::string target;           // SIMD target squeal ran on ("scalar", "avx2", ...)
  double x_realtime = 0;        // squeal: audio seconds / CPU seconds (best repetition)
  std::string reference;        // "spandsp 0.0.6 modem_connect_tones_rx" or "unavailable"
  std::optional<double> reference_x_realtime;  // spandsp, best repetition; none if unavailable
  std::optional<double> ratio;  // x_realtime / reference_x_realtime; none if unavailable
  std::uint64_t detections = 0;            // what squeal found in one pass (sanity check)
  std::optional<std::uint64_t> reference_detections;  // what spandsp found in one pass
  std::uint64_t expected = 0;              // what the signal contains (blocks, bursts or digits)
};

/// A benchmark the caller supplies because it lives above this library (e.g.
/// `squeal decode` over the shared recordings, in cli/). Measured like the
/// whole-call benchmarks: audio = the samples each pass reports it processed.
struct ExtraBenchmark {
  std::string name;                                        // as listed and filtered
  std::string note;                                        // reference column (no spandsp equivalent)
  std::function<std::function<std::uint64_t()>()> make_pass;  // called with the SIMD target set
};

struct BenchOptions {
  std::string filter;                   // run benchmarks whose name contains this ("" = all)
  std::vector<simd::Target> targets;    // empty = simd::available_targets()
  double signal_seconds = 30;           // audio synthesised per benchmark (> 0)
  double min_cpu_seconds = 0.3;         // CPU time per measurement (> 0)
  int repetitions = 5;                  // measurements per contender; the best is kept (>= 1)
  std::function<void(std::string_view)> progress;  // one line per step (no newline); may be empty
  std::vector<ExtraBenchmark> extra;    // run after the built-in ones
};

/// Names of every benchmark, in run order (`extra` ones last).
std::vector<std::string> benchmark_names(const std::vector<ExtraBenchmark>& extra = {});

/// One line describing how the numbers were made (blocks, timing, FTZ, best-of-N).
std::string method_note(const BenchOptions& options);

/// Runs the selected benchmarks on every selected target. Throws
/// std::invalid_argument naming a bad option (or a filter matching nothing).
/// Leaves the SIMD target as it found it.
std::vector<BenchResult> run_benchmarks(const BenchOptions& options);

/// Human table: name, target, × real time, reference, its × real time, ratio.
std::string format_table(const std::vector<BenchResult>& results);

/// JSON list of {"name", "target", "x_realtime", "reference",
/// "reference_x_realtime", "ratio"} (null for the last two when unavailable).
std::string format_json(const std::vector<BenchResult>& results);

}  // namespace squeal::bench
