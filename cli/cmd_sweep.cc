// `squeal sweep`: loopback calls (V.8 + V.34 phase 2) over a grid of line SNR
// × line shape (× seeds), the decided bit rate of each: a table, CSV, JSON and
// a PNG plot of bit rate against SNR per shape.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "audio/line_sim.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "cli/line_plot.h"
#include "dsp/simd/dispatch.h"
#include "negotiation/call.h"
#include "negotiation/call_session.h"

namespace squeal::cli {

namespace {

struct SweepArgs {
  double snr_from = 10, snr_to = 45, snr_step = 5;
  std::vector<std::string> shapes{"flat", "mid", "long"};
  int seeds = 1;
  double delay_ms = 20;
  std::string codec = "none";
  std::string caller_menu = "v90,v34,v32bis,v22bis,v21,lapm";
  std::string answerer_menu = "v34,v32bis,v22bis,v21,lapm";
  std::string csv, png;
  bool json = false;
  bool quiet = false;
  int jobs = 1;
};

struct Point {
  std::string shape;
  double snr_db = 0;
  int seed = 0;
  bool connected = false;
  std::string reason;
  DirectionDecision c2a, a2c;  // call->answer (the answerer's decision), answer->call
  double rtd_ms = 0;
  double snr_estimate_db = 0;
};

Point run_point(const SweepArgs& a, const std::string& shape, double snr, int seed) {
  Point p;
  p.shape = shape;
  p.snr_db = snr;
  p.seed = seed;
  CallSessionConfig cc;
  cc.v8.role = V8Role::caller;
  cc.v8.menu = parse_menu(a.caller_menu);
  cc.phase2.info0 = full_info0();
  CallSessionConfig ac = cc;
  ac.v8.role = V8Role::answerer;
  ac.v8.menu = parse_menu(a.answerer_menu);
  CallOptions options;
  LinePathConfig path;
  path.delay_ms = std::max(0.0, a.delay_ms - 1000.0 * static_cast<double>(loop_delay_samples(options)) / kSampleRateHz);
  path.snr_db = snr;
  path.codec = parse_line_codec(a.codec);
  path.shape = parse_line_shape(shape);
  path.seed = static_cast<std::uint64_t>(seed);
  LineSim line(symmetric_line(path));
  CallSession caller(cc), answerer(ac);
  run_call(caller, answerer, line, options);
  const Phase2Result& r = answerer.phase2().result();
  const Phase2Result& c = caller.phase2().result();
  p.connected = r.outcome == V8Outcome::connected && c.outcome == V8Outcome::connected &&
                r.call_to_answer.bit_rate == c.call_to_answer.bit_rate;
  if (!answerer.in_phase2()) {
    p.reason = fmt::format("V.8: {}", failure_name(answerer.v8().result().failure));
  } else if (!p.connected) {
    p.reason = fmt::format("phase 2: {}", phase2_failure_name(r.failure != Phase2Failure::none ? r.failure : c.failure));
  }
  p.c2a = r.call_to_answer;
  p.a2c = r.answer_to_call;
  p.rtd_ms = r.rtd_ms.value_or(NAN);
  p.snr_estimate_db = r.call_to_answer.snr_db_estimate;
  return p;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::ranges::sort(v);
  return v[v.size() / 2];
}

int run_sweep(const SweepArgs& a) {
  if (!(a.snr_step > 0) || a.snr_to < a.snr_from) {
    throw std::invalid_argument(fmt::format("SNR grid {}:{}:{} is empty (need step > 0 and to >= from)", a.snr_from,
                                            a.snr_to, a.snr_step));
  }
  for (const std::string& s : a.shapes) parse_line_shape(s);  // names a bad shape
  parse_line_codec(a.codec);
  parse_menu(a.caller_menu);
  parse_menu(a.answerer_menu);
  std::vector<double> snrs;
  for (double s = a.snr_from; s <= a.snr_to + 1e-9; s += a.snr_step) snrs.push_back(s);

  struct Job {
    std::string shape;
    double snr;
    int seed;
  };
  std::vector<Job> jobs;
  for (const std::string& shape : a.shapes)
    for (double snr : snrs)
      for (int seed = 1; seed <= a.seeds; ++seed) jobs.push_back({shape, snr, seed});
  std::vector<Point> points(jobs.size());
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex io;
  const bool tty = isatty(STDERR_FILENO) != 0;
  auto worker = [&] {
    simd::enable_flush_to_zero();
    for (std::size_t i = next++; i < jobs.size(); i = next++) {
      points[i] = run_point(a, jobs[i].shape, jobs[i].snr, jobs[i].seed);
      const std::size_t k = ++done;
      if (a.quiet) continue;
      const std::lock_guard<std::mutex> lock(io);
      if (tty) {
        fmt::print(stderr, "\rsweep: {}/{} calls ({} at {} dB)   ", k, jobs.size(), jobs[i].shape, jobs[i].snr);
      } else if (k * 10 / jobs.size() != (k - 1) * 10 / jobs.size() || k == jobs.size()) {
        fmt::print(stderr, "sweep: {}/{} calls\n", k, jobs.size());
      }
    }
  };
  std::vector<std::thread> pool;
  for (int j = 1; j < std::clamp(a.jobs, 1, 64); ++j) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (tty && !a.quiet) fmt::print(stderr, "\n");

  // Median decided bit rate (call->answer) per shape and SNR; failures count as 0.
  std::vector<PlotSeries> series;
  for (const std::string& shape : a.shapes) {
    PlotSeries s;
    s.name = shape;
    for (double snr : snrs) {
      std::vector<double> rates;
      for (const Point& p : points) {
        if (p.shape == shape && p.snr_db == snr) rates.push_back(p.connected ? p.c2a.bit_rate : 0);
      }
      s.x.push_back(snr);
      s.y.push_back(median(rates));
    }
    series.push_back(s);
  }

  if (!a.csv.empty()) {
    std::ofstream out(a.csv);
    if (!out) throw std::runtime_error(a.csv + ": cannot open for writing");
    out << "shape,snr_db,seed,result,reason,c2a_symbol_rate,c2a_carrier_hz,c2a_bit_rate,a2c_symbol_rate,a2c_carrier_hz,"
           "a2c_bit_rate,rtd_ms,snr_db_estimate\n";
    for (const Point& p : points) {
      out << fmt::format("{},{},{},{},{},{},{:.0f},{},{},{:.0f},{},{:.3f},{:.2f}\n", p.shape, p.snr_db, p.seed,
                         p.connected ? "connected" : "failed", p.reason, p.c2a.symbol_rate_baud, p.c2a.carrier_hz,
                         p.c2a.bit_rate, p.a2c.symbol_rate_baud, p.a2c.carrier_hz, p.a2c.bit_rate, p.rtd_ms,
                         p.snr_estimate_db);
    }
  }
  if (!a.png.empty()) {
    write_line_plot(a.png, series,
                    {.title = fmt::format("V.34 bit rate chosen by squeal (call->answer), {} ms, {}, {} seed{}",
                                          a.delay_ms, a.codec == "none" ? "linear" : a.codec, a.seeds, a.seeds == 1 ? "" : "s"),
                     .x_label = "line SNR (dB, AWGN 300-3400 Hz against -13 dBm0)",
                     .y_label = "bit rate (bit/s)",
                     .y_tick = 4800});
  }
  if (a.json) {
    nlohmann::ordered_json calls = nlohmann::ordered_json::array();
    for (const Point& p : points) {
      calls.push_back({{"shape", p.shape},
                       {"snr_db", p.snr_db},
                       {"seed", p.seed},
                       {"result", p.connected ? "connected" : "failed"},
                       {"reason", p.reason.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(p.reason)},
                       {"symbol_rate", p.c2a.symbol_rate_baud},
                       {"carrier_hz", std::round(p.c2a.carrier_hz)},
                       {"bit_rate", p.c2a.bit_rate},
                       {"answer_to_call", {{"symbol_rate", p.a2c.symbol_rate_baud}, {"bit_rate", p.a2c.bit_rate}}},
                       {"rtd_ms", std::isfinite(p.rtd_ms) ? nlohmann::ordered_json(p.rtd_ms) : nlohmann::ordered_json()},
                       {"snr_db_estimate", p.snr_estimate_db}});
    }
    nlohmann::ordered_json table = nlohmann::ordered_json::object();
    for (const PlotSeries& s : series) {
      nlohmann::ordered_json rows = nlohmann::ordered_json::array();
      for (std::size_t i = 0; i < s.x.size(); ++i) rows.push_back({{"snr_db", s.x[i]}, {"bit_rate", s.y[i]}});
      table[s.name] = rows;
    }
    fmt::print("{}\n", nlohmann::ordered_json{{"median_bit_rate", table}, {"calls", calls}}.dump(2));
  } else {
    fmt::print("median call->answer bit rate (bit/s) over {} seed{}:\n  {:>7}", a.seeds, a.seeds == 1 ? "" : "s", "SNR dB");
    for (const PlotSeries& s : series) fmt::print("  {:>8}", s.name);
    fmt::print("\n");
    for (std::size_t i = 0; i < snrs.size(); ++i) {
      fmt::print("  {:>7g}", snrs[i]);
      for (const PlotSeries& s : series) fmt::print("  {:>8g}", s.y[i]);
      fmt::print("\n");
    }
  }
  return 0;
}

}  // namespace

void register_sweep(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* cmd = app.add_subcommand(
      "sweep", "Loopback calls (V.8 + V.34 phase 2) over a grid of line SNR x line shape: the bit rate chosen at each point");
  cmd->add_option("--snr-from", args->snr_from, "Lowest SNR (dB)")->capture_default_str();
  cmd->add_option("--snr-to", args->snr_to, "Highest SNR (dB)")->capture_default_str();
  cmd->add_option("--snr-step", args->snr_step, "SNR step (dB)")->capture_default_str();
  cmd->add_option("--shapes", args->shapes, "Line shapes (flat, mid, long, none)")->delimiter(',')->capture_default_str();
  cmd->add_option("--seeds", args->seeds, "Calls per grid point (different noise); the table shows the median")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--delay-ms", args->delay_ms, "One-way line delay, 0..100 ms")->capture_default_str()->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--codec", args->codec, "G.711 on the line: ulaw, alaw or none")->capture_default_str();
  cmd->add_option("--caller-menu", args->caller_menu, "Caller's CM (see loopback)")->capture_default_str();
  cmd->add_option("--answerer-menu", args->answerer_menu, "Answerer's capabilities")->capture_default_str();
  cmd->add_option("--csv", args->csv, "Write every call as a CSV row");
  cmd->add_option("--png", args->png, "Write a plot of bit rate against SNR per shape");
  cmd->add_flag("--json", args->json, "Print JSON: median table and every call");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress on stderr");
  cmd->add_option("-j,--jobs", args->jobs, "Calls run in parallel")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->footer(
      "Examples:\n"
      "  squeal sweep\n"
      "  squeal sweep --seeds 5 --codec ulaw --png rates.png --csv rates.csv -j 2\n"
      "  squeal sweep --snr-from 20 --snr-to 40 --snr-step 2 --shapes long --json");
  cmd->callback([args] { run_sweep(*args); });
}

}  // namespace squeal::cli
