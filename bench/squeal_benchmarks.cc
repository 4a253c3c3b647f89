// `meson benchmark`: runs every benchmark on every SIMD target this machine
// has, with spandsp 0.0.6 measured in the same run as the reference, and
// prints the table `squeal bench` prints. Progress goes to stderr.
#include <fmt/core.h>

#include <cstdio>
#include <exception>
#include <string_view>

#include "bench/bench_suite.h"
#include "dsp/simd/dispatch.h"

int main() {
  squeal::simd::enable_flush_to_zero();  // this thread runs every kernel
  squeal::bench::BenchOptions options;
  options.progress = [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
  try {
    const auto results = squeal::bench::run_benchmarks(options);
    fmt::print("squeal benchmarks: {}\n\n{}", squeal::bench::method_note(options),
               squeal::bench::format_table(results));
  } catch (const std::exception& e) {
    fmt::print(stderr, "squeal_benchmarks: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
