#include "bench/bench_suite.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>
#include <memory>
#include <stdexcept>

#include "bench/bench_calls.h"
#include "audio/line_sim.h"
#include "bench/bench_signals.h"
#include "dsp/line_probe.h"
#include "bench/spandsp_reference.h"
#include "dsp/ansam_detector.h"
#include "dsp/v21_modem.h"
#include "dsp/dtmf_detector.h"
#include "dsp/events.h"
#include "dsp/goertzel_bank.h"
#include "dsp/types.h"

namespace squeal::bench {

namespace {

constexpr std::uint32_t kSeed = 20240611;  // signals are the same in every run
constexpr int kBankTones = 32;

volatile std::uint64_t g_sink = 0;  // every pass's result lands here, so no pass is optimised away

double thread_cpu_seconds() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

/// × real time of one measurement: whole passes until min_cpu_seconds are spent.
/// A whole-call pass returns the samples its call took (calls differ in length).
double measure(const Pass& pass, double audio_seconds, double min_cpu_seconds, bool whole_call) {
  double audio = 0;
  double elapsed = 0;
  const double start = thread_cpu_seconds();
  do {
    const std::uint64_t r = pass();
    g_sink = g_sink + r;
    audio += whole_call ? static_cast<double>(r) / kSampleRateHz : audio_seconds;
    elapsed = thread_cpu_seconds() - start;
  } while (elapsed < min_cpu_seconds);
  return audio / elapsed;
}

/// Calls fn(block) for consecutive kBenchBlockSamples blocks (the last may be short).
template <class Fn>
void for_each_block(std::span<const float> signal, Fn&& fn) {
  const std::size_t block = kBenchBlockSamples;
  for (std::size_t i = 0; i < signal.size(); i += block) fn(signal.subspan(i, std::min(block, signal.size() - i)));
}

/// 32 tones, 300..3400 Hz every 100 Hz: the telephone band.
std::vector<double> bank_freqs_hz() {
  std::vector<double> f;
  for (int k = 0; k < kBankTones; ++k) f.push_back(300.0 + 100.0 * k);
  return f;
}

Pass squeal_goertzel_pass(std::span<const float> signal) {
  GoertzelBank::Config config;
  config.freqs_hz = bank_freqs_hz();
  config.block_length = kBenchBlockSamples;
  auto bank = std::make_shared<GoertzelBank>(config);
  return [bank, signal]() -> std::uint64_t {
    bank->reset();
    std::uint64_t blocks = 0;
    float sum = 0;
    for_each_block(signal, [&](std::span<const float> in) {
      bank->process(in, [&](const GoertzelBank::Block& b) {
        sum += b.tone_power[0];
        ++blocks;
      });
    });
    return blocks + (sum < 0 ? 1 : 0);
  };
}

bool is_answer_tone(Signal s) {
  return s == Signal::ans || s == Signal::ans_pr || s == Signal::ansam || s == Signal::ansam_pr;
}

/// A detector pass: reset, feed 160-sample blocks, drain the queue each block,
/// count "on" edges that `counts` accepts.
template <class Detector, class Counts>
Pass squeal_detector_pass(std::span<const float> signal, Counts counts) {
  auto detector = std::make_shared<Detector>();
  auto queue = std::make_shared<EventQueue>();
  return [detector, queue, signal, counts]() -> std::uint64_t {
    detector->reset();
    queue->clear();
    std::uint64_t found = 0;
    for_each_block(signal, [&](std::span<const float> in) {
      detector->process(in, *queue);
      Event e;
      while (queue->pop(e)) {
        if (e.edge == Edge::on && counts(e.signal)) ++found;
      }
    });
    return found;
  };
}

/// V.21 channel 1 demodulator pass: reset, 160-sample blocks, bits drained
/// each block; counts the bursts (first bit after the carrier came on).
Pass squeal_v21_pass(std::span<const float> signal) {
  auto demodulator = std::make_shared<V21Demodulator>(V21DemodulatorConfig{.channel = 1});
  return [demodulator, signal]() -> std::uint64_t {
    demodulator->reset();
    std::uint64_t bursts = 0;
    for_each_block(signal, [&](std::span<const float> in) {
      demodulator->process(in);
      V21Bit bit;
      while (demodulator->pop(bit)) bursts += bit.after_gap ? 1 : 0;
    });
    return bursts;
  };
}

/// Repeated probes: 400 ms of L2 each, through a 25 dB mid-shape line.
std::vector<float> probe_signal(double seconds, std::uint32_t seed) {
  LineProbeGeneratorConfig g;
  g.l1_samples = 0;
  g.l2_samples = static_cast<SampleIndex>(seconds * kSampleRateHz);
  LineProbeGenerator probe(g);
  std::vector<float> x(static_cast<std::size_t>(g.l2_samples));
  probe.generate(x);
  LinePathConfig p;
  p.snr_db = 25;
  p.shape = LineShape::mid;
  p.seed = seed;
  LinePath path(p);
  path.process(x, x);
  return x;
}

/// One report per 400 ms (3200 samples): what a modem does once per probe.
Pass squeal_probe_pass(std::span<const float> signal) {
  LineProbeAnalyzerConfig c;
  c.max_periods = 18;
  auto analyzer = std::make_shared<LineProbeAnalyzer>(c);
  return [analyzer, signal]() -> std::uint64_t {
    std::uint64_t good = 0;
    for (std::size_t i = 0; i + 3200 <= signal.size(); i += 3200) {
      analyzer->reset();
      analyzer->start_at(0);
      for (std::size_t j = 0; j < 3200; j += kBenchBlockSamples) analyzer->process(signal.subspan(i + j, kBenchBlockSamples));
      good += analyzer->report().valid ? 1 : 0;
    }
    return good;
  };
}

struct Spec {
  std::string name;                                    // benchmark name
  std::string reference_what;                          // spandsp function measured
  std::function<std::vector<float>(double)> signal;    // input synthesis
  std::function<std::uint64_t(double)> expected;       // what the input contains
  std::function<Pass(std::span<const float>)> squeal;  // built after the target is set
  std::function<Pass(std::span<const std::int16_t>)> reference;
  bool whole_call = false;  // passes are whole calls: audio = the samples each returns
  std::string no_reference_note{};  // reference column when there is no spandsp equivalent
};

std::vector<Spec> specs(const std::vector<ExtraBenchmark>& extra) {
  std::vector<Spec> s;
  s.push_back(Spec{
      "goertzel_bank_32", "goertzel (32 tones)", [](double sec) { return mixed_signal(sec, kSeed); },
      [](double sec) { return static_cast<std::uint64_t>(std::llround(sec * kSampleRateHz)) / kBenchBlockSamples; },
      squeal_goertzel_pass,
      [](std::span<const std::int16_t> x) {
        const std::vector<double> f = bank_freqs_hz();
        return make_spandsp_goertzel_pass(x, f, kBenchBlockSamples);
      }});
  s.push_back(Spec{
      "ansam_detector", "modem_connect_tones_rx (ANSAM_PR)", [](double sec) { return ansam_signal(sec, kSeed); },
      [](double sec) { return static_cast<std::uint64_t>(ansam_bursts(sec)); },
      [](std::span<const float> x) { return squeal_detector_pass<AnsamDetector>(x, is_answer_tone); },
      [](std::span<const std::int16_t> x) { return make_spandsp_ansam_pass(x, kBenchBlockSamples); }});
  s.push_back(Spec{
      "dtmf_detector", "dtmf_rx", [](double sec) { return dtmf_signal(sec, kSeed); },
      [](double sec) { return static_cast<std::uint64_t>(dtmf_digits_sent(sec)); },
      [](std::span<const float> x) {
        return squeal_detector_pass<DtmfDetector>(x, [](Signal sig) { return sig == Signal::dtmf; });
      },
      [](std::span<const std::int16_t> x) { return make_spandsp_dtmf_pass(x, kBenchBlockSamples); }});
  s.push_back(Spec{
      "v21_demodulator", "fsk_rx (V.21 ch1, sync)", [](double sec) { return v21_signal(sec, kSeed); },
      [](double sec) { return v21_bursts_sent(sec); }, squeal_v21_pass,
      [](std::span<const std::int16_t> x) { return make_spandsp_v21_pass(x, kBenchBlockSamples); }});
  // A whole V.8 call in memory, both sides, through LineSim (bench/bench_calls.h).
  s.push_back(Spec{
      "v8_call", "v8 pair via LineSim (" + bench_line_text() + ")", [](double) { return std::vector<float>(); },
      [](double) { return std::uint64_t{1}; }, [](std::span<const float>) { return squeal_call_pass(); },
      [](std::span<const std::int16_t>) { return spandsp_call_pass(); }, true});
  // V.8 + V.34 phase 2 (INFO0, ranging, both probes, INFO1) against spandsp's V.8 alone.
  s.push_back(Spec{
      "v34_call", "v8 pair (V.8 only) via LineSim (" + bench_line_text() + ")", [](double) { return std::vector<float>(); },
      [](double) { return std::uint64_t{1}; }, [](std::span<const float>) { return squeal_v34_call_pass(); },
      [](std::span<const std::int16_t>) { return spandsp_call_pass(); }, true});
  // The L1/L2 analyser on 400 ms of probe through a 25 dB line, no reference.
  s.push_back(Spec{
      "l1l2_analyser", "", [](double sec) { return probe_signal(sec, kSeed); },
      [](double sec) { return static_cast<std::uint64_t>(sec * kSampleRateHz) / 3200; }, squeal_probe_pass,
      [](std::span<const std::int16_t>) { return Pass{}; }});
  for (const ExtraBenchmark& e : extra) {
    Spec spec{e.name, "", [](double) { return std::vector<float>(); }, [](double) { return std::uint64_t{1}; },
              [make = e.make_pass](std::span<const float>) { return Pass(make()); },
              [](std::span<const std::int16_t>) { return Pass{}; }, true};
    spec.no_reference_note = e.note;
    s.push_back(std::move(spec));
  }
  return s;
}

std::vector<simd::Target> resolve_targets(const std::vector<simd::Target>& wanted) {
  if (wanted.empty()) return simd::available_targets();
  const simd::Target saved = simd::current_target();
  std::vector<simd::Target> out;
  for (const simd::Target t : wanted) {
    simd::set_target(t);  // throws std::invalid_argument naming an unavailable target
    const simd::Target concrete = simd::current_target();
    if (std::find(out.begin(), out.end(), concrete) == out.end()) out.push_back(concrete);
  }
  simd::set_target(saved);
  return out;
}

void say(const BenchOptions& options, const std::string& line) {
  if (options.progress) options.progress(line);
}

/// Thousands-grouped × real time: 181234 → "181,234", 2.345 → "2.35".
std::string format_x(double x) {
  if (x < 100) return fmt::format("{:.2f}", x);
  const std::string digits = fmt::format("{:.0f}", x);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

/// `s` padded with spaces to `width` columns, on the right (left-aligned) or on the left.
std::string pad(std::string s, std::size_t width, bool left_align) {
  if (s.size() < width) s.insert(left_align ? s.size() : 0, width - s.size(), ' ');
  return s;
}

/// One table row: columns left-aligned where `left` says so.
std::string table_row(const std::vector<std::string>& cells) {
  static constexpr std::size_t kWidth[] = {17, 7, 12, 49, 9, 8, 10};
  static constexpr bool kLeft[] = {true, true, false, true, false, false, false};
  std::string row;
  for (std::size_t i = 0; i < cells.size() && i < std::size(kWidth); ++i) {
    if (i > 0) row += i == 3 || i == 6 ? "  " : " ";
    row += pad(cells[i], kWidth[i], kLeft[i]);
  }
  return row + "\n";
}

}  // namespace

std::vector<std::string> benchmark_names(const std::vector<ExtraBenchmark>& extra) {
  std::vector<std::string> names;
  for (const Spec& s : specs(extra)) names.push_back(s.name);
  return names;
}

std::string method_note(const BenchOptions& options) {
  return fmt::format(
      "{:g} s of 8 kHz audio per benchmark, {}-sample blocks (events drained every block), "
      "x real time = audio seconds / thread CPU seconds, best of {} measurements of >= {:g} s CPU each, "
      "flush-to-zero on{}",
      options.signal_seconds, kBenchBlockSamples, options.repetitions, options.min_cpu_seconds,
      spandsp_available() ? " (squeal and spandsp alike)" : "; spandsp reference unavailable (built without it)");
}

std::vector<BenchResult> run_benchmarks(const BenchOptions& options) {
  if (!(options.signal_seconds > 0)) {
    throw std::invalid_argument(fmt::format("signal seconds {} must be > 0", options.signal_seconds));
  }
  if (!(options.min_cpu_seconds > 0)) {
    throw std::invalid_argument(fmt::format("min CPU seconds {} must be > 0", options.min_cpu_seconds));
  }
  if (options.repetitions < 1) {
    throw std::invalid_argument(fmt::format("repetitions {} must be >= 1", options.repetitions));
  }
  std::vector<Spec> selected;
  for (Spec& s : specs(options.extra)) {
    if (s.name.find(options.filter) != std::string::npos) selected.push_back(std::move(s));
  }
  if (selected.empty()) {
    std::string have;
    for (const std::string& n : benchmark_names(options.extra)) have += (have.empty() ? "" : ", ") + n;
    throw std::invalid_argument(fmt::format("filter '{}' matches no benchmark (have: {})", options.filter, have));
  }
  const std::vector<simd::Target> targets = resolve_targets(options.targets);
  const simd::Target saved = simd::current_target();
  simd::enable_flush_to_zero();

  std::vector<BenchResult> results;
  for (const Spec& spec : selected) {
    say(options, fmt::format("{}: synthesising {:g} s of input", spec.name, options.signal_seconds));
    const std::vector<float> signal = spec.signal(options.signal_seconds);
    const std::vector<std::int16_t> signal16 = to_int16(signal);
    const double audio_seconds = static_cast<double>(signal.size()) / kSampleRateHz;
    const std::uint64_t expected = spec.expected(options.signal_seconds);

    // Contenders: one per target, then the reference (if any); measured interleaved.
    std::vector<Pass> passes;
    for (const simd::Target t : targets) {
      simd::set_target(t);
      passes.push_back(spec.squeal(signal));
    }
    const Pass reference = spec.reference(signal16);
    std::vector<double> best(targets.size(), 0.0);
    std::vector<std::uint64_t> found(targets.size(), 0);
    double reference_best = 0;
    std::uint64_t reference_found = 0;
    for (std::size_t i = 0; i < targets.size(); ++i) {  // warm-up pass, also the sanity count
      simd::set_target(targets[i]);
      found[i] = passes[i]();
      if (spec.whole_call) found[i] = found[i] > 0;  // calls: connected or not
    }
    if (reference) reference_found = reference();
    if (reference && spec.whole_call) reference_found = reference_found > 0;
    for (int rep = 1; rep <= options.repetitions; ++rep) {
      std::string line = fmt::format("{}: measurement {}/{}:", spec.name, rep, options.repetitions);
      for (std::size_t i = 0; i < targets.size(); ++i) {
        simd::set_target(targets[i]);
        const double x = measure(passes[i], audio_seconds, options.min_cpu_seconds, spec.whole_call);
        best[i] = std::max(best[i], x);
        line += fmt::format(" {} {}x", simd::target_name(targets[i]), format_x(x));
      }
      if (reference) {
        const double x = measure(reference, audio_seconds, options.min_cpu_seconds, spec.whole_call);
        reference_best = std::max(reference_best, x);
        line += fmt::format(", spandsp {}x", format_x(x));
      }
      say(options, line);
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
      BenchResult r;
      r.name = spec.name;
      r.target = std::string(simd::target_name(targets[i]));
      r.x_realtime = best[i];
      r.expected = expected;
      r.detections = found[i];
      if (reference) {
        r.reference = fmt::format("{} {}", spandsp_label(), spec.reference_what);
        r.reference_x_realtime = reference_best;
        r.ratio = best[i] / reference_best;
        r.reference_detections = reference_found;
      } else {
        r.reference = !spec.no_reference_note.empty() ? spec.no_reference_note
                      : spec.reference_what.empty()      ? "none (spandsp has no equivalent)"
                                                         : "unavailable";
      }
      results.push_back(std::move(r));
    }
  }
  simd::set_target(saved);
  return results;
}

std::string format_table(const std::vector<BenchResult>& results) {
  std::string out =
      table_row({"benchmark", "target", "x real time", "reference", "ref x rt", "ratio", "found/ref"});
  for (const BenchResult& r : results) {
    const std::string ref_x = r.reference_x_realtime ? format_x(*r.reference_x_realtime) : "-";
    const std::string ratio = r.ratio ? fmt::format("{:.2f}x", *r.ratio) : "-";
    const std::string ref_found = r.reference_detections ? std::to_string(*r.reference_detections) : "-";
    out += table_row({r.name, r.target, format_x(r.x_realtime), r.reference, ref_x, ratio,
                      std::to_string(r.detections) + "/" + ref_found});
  }
  if (!results.empty()) {
    out += "found/ref: blocks (goertzel), answer tones, digits, FSK bursts (v21), connected calls (v8_call, v34_call), probe reports (l1l2_analyser) in one pass by squeal / spandsp; the input holds";
    std::string last;
    for (const BenchResult& r : results) {
      if (r.name == last) continue;
      out += fmt::format("{} {} ({})", last.empty() ? "" : ",", r.expected, r.name);
      last = r.name;
    }
    out += "\n";
  }
  return out;
}

std::string format_json(const std::vector<BenchResult>& results) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const BenchResult& r : results) {
    nlohmann::ordered_json j;
    j["name"] = r.name;
    j["target"] = r.target;
    j["x_realtime"] = r.x_realtime;
    j["reference"] = r.reference;
    j["reference_x_realtime"] = r.reference_x_realtime ? nlohmann::ordered_json(*r.reference_x_realtime) : nullptr;
    j["ratio"] = r.ratio ? nlohmann::ordered_json(*r.ratio) : nullptr;
    list.push_back(std::move(j));
  }
  return list.dump(2);
}

}  // namespace squeal::bench
