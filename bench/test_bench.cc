// The benchmark suite runs what it claims on the input it claims: every
// detector (squeal and spandsp) finds exactly what the synthesised signal
// holds, and the JSON has the documented shape. No timing assertions.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "bench/bench_signals.h"
#include "bench/bench_suite.h"
#include "bench/spandsp_reference.h"
#include "dsp/simd/dispatch.h"

using namespace squeal;

TEST_CASE("signal sizes and contents counts") {
  CHECK(bench::ansam_signal(12.5, 1).size() == 100000);
  CHECK(bench::ansam_bursts(30) == 3);
  CHECK(bench::ansam_bursts(14.4) == 2);  // 10 s cycle + 1 s noise + 3.3 s tone ends at 14.3 s
  CHECK(bench::ansam_bursts(14.2) == 1);
  CHECK(bench::dtmf_digits_sent(30) == 96);
  CHECK(bench::dtmf_digits_sent(5.09) == 16);  // 5 s cycle + 90 ms of the next digit
  CHECK(bench::dtmf_digits_sent(5.1) == 17);
  CHECK(bench::dtmf_digits_sent(0.1) == 1);
  CHECK(bench::dtmf_digits_sent(0.09) == 0);
  const auto x16 = bench::to_int16(std::vector<float>{0.0f, 1.0f, -1.0f, 2.0f, -2.0f, 0.5f});
  CHECK(x16 == std::vector<std::int16_t>{0, 32767, -32767, 32767, -32768, 16384});
}

TEST_CASE("every benchmark's detectors find what the input holds") {
  bench::BenchOptions options;
  options.signal_seconds = 10;
  options.min_cpu_seconds = 1e-4;
  options.repetitions = 1;
  options.targets = {simd::Target::scalar, simd::Target::best};
  const auto results = bench::run_benchmarks(options);
  REQUIRE(results.size() == bench::benchmark_names().size() * (simd::current_target() == simd::Target::scalar ? 1u : 2u));
  for (const auto& r : results) {
    INFO(r.name, " ", r.target);
    CHECK(r.expected > 0);
    CHECK(r.detections == r.expected);
    CHECK(r.x_realtime > 0);
    if (r.reference.starts_with("none")) {
      CHECK(r.name == "l1l2_analyser");  // the one benchmark spandsp has no counterpart for
      CHECK_FALSE(r.ratio.has_value());
    } else if (bench::spandsp_available()) {
      REQUIRE(r.reference_detections.has_value());
      CHECK(*r.reference_detections == r.expected);
      REQUIRE(r.ratio.has_value());
      CHECK(*r.ratio == doctest::Approx(r.x_realtime / *r.reference_x_realtime));
    } else {
      CHECK(r.reference == "unavailable");
      CHECK_FALSE(r.ratio.has_value());
    }
  }
  const auto json = nlohmann::json::parse(bench::format_json(results));
  REQUIRE(json.is_array());
  REQUIRE(json.size() == results.size());
  for (const auto& j : json) {
    CHECK(j.size() == 6);
    for (const char* key : {"name", "target", "x_realtime", "reference", "reference_x_realtime", "ratio"}) {
      CHECK(j.contains(key));
    }
    CHECK(j["ratio"].is_null() == (!bench::spandsp_available() || j["name"] == "l1l2_analyser"));
  }
}

TEST_CASE("bad options are refused, naming the value") {
  bench::BenchOptions options;
  options.filter = "no_such_benchmark";
  CHECK_THROWS_WITH_AS(bench::run_benchmarks(options), doctest::Contains("no_such_benchmark"), std::invalid_argument);
  options.filter = "";
  options.repetitions = 0;
  CHECK_THROWS_AS(bench::run_benchmarks(options), std::invalid_argument);
}
