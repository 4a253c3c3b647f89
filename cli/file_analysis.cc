#include "cli/file_analysis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "cli/common.h"
#include "cli/decode_stage.h"

namespace squeal::cli {

namespace {

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

// V.34 tones A (2400 Hz) and B (1200 Hz) are only single tones outside FSK:
// inside a V.21 message a long run of low-channel marks (1180 Hz) rings the
// 1200 Hz filter as well. A tone interval lying within a decoded V.8/V.8bis/
// T.30 transmission (20 ms slack) is that, not tone A or B; drop it.
void drop_tones_inside_fsk(FileResult& r) {
  constexpr double kSlackS = 0.020;
  std::vector<std::pair<double, double>> fsk;
  for (const V8Run& run : r.v8) fsk.emplace_back(samples_to_seconds(run.first.start), samples_to_seconds(run.end));
  for (const auto& e : r.staged) {
    const std::string& s = e["signal"].get_ref<const std::string&>();
    if ((s.starts_with("v8bis_") || s.starts_with("t30_")) && e["end_s"].is_number()) {
      fsk.emplace_back(e["start_s"].get<double>(), e["end_s"].get<double>());
    }
  }
  std::erase_if(r.intervals, [&](const Interval& iv) {
    if (iv.signal != Signal::tone_a && iv.signal != Signal::tone_b) return false;
    const double a = samples_to_seconds(iv.start), b = samples_to_seconds(iv.end);
    return std::ranges::any_of(fsk, [&](const auto& m) { return a >= m.first - kSlackS && b <= m.second + kSlackS; });
  });
}

}  // namespace

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

struct StreamDecoder::State {
  ToneAnalyzer analyzer;                              // tone detectors
  V8Listener v8_listener;                             // V.8 messages on both V.21 channels
  std::vector<std::unique_ptr<DecodeStage>> stages = make_decode_stages();  // everything else
  std::vector<Event> events;                          // tone edges so far
  std::vector<V8Run> v8;                              // V.8 runs so far
  SampleIndex samples = 0;                            // samples fed

  /// Hands each V.21 bit the V.8 listener demodulates to every stage.
  auto bit_tap() {
    return [this](int channel, const V21Bit& bit) {
      for (auto& stage : stages) stage->v21_bit(channel, bit);
    };
  }
};

StreamDecoder::StreamDecoder() : state_(std::make_unique<State>()) {}
StreamDecoder::~StreamDecoder() = default;
StreamDecoder::StreamDecoder(StreamDecoder&&) noexcept = default;
StreamDecoder& StreamDecoder::operator=(StreamDecoder&&) noexcept = default;

void StreamDecoder::process(std::span<const float> samples) {
  State& s = *state_;
  s.analyzer.process(samples, s.events);
  s.v8_listener.process(samples, [&s](const V8Heard& heard) { add_heard(s.v8, heard); }, s.bit_tap());
  for (auto& stage : s.stages) stage->process(samples);
  s.samples += static_cast<SampleIndex>(samples.size());
}

FileResult StreamDecoder::finish(FileResult result) {
  State& s = *state_;
  s.analyzer.finish(s.events);
  s.v8_listener.finish([&s](const V8Heard& heard) { add_heard(s.v8, heard); }, s.bit_tap());
  result.samples = s.samples;
  result.intervals = pair_events(s.events, s.samples);
  result.v8 = std::move(s.v8);
  for (auto& stage : s.stages) stage->finish(result.samples, result, result.staged);
  drop_tones_inside_fsk(result);
  return result;
}

std::uint64_t StreamDecoder::dropped() const noexcept { return state_->analyzer.dropped(); }

FileResult analyse(const std::string& path, int channel,
                   const std::function<void(std::span<const float>)>& on_block) {
  WavSource source(path, {.channel = channel});
  FileResult result;
  result.info = source.info();
  if (!result.info.warning.empty()) fmt::print(stderr, "squeal: warning: {}: {}\n", path, result.info.warning);
  StreamDecoder decoder;
  std::vector<float> block(4096);
  while (const std::size_t n = source.read(block)) {
    const std::span<const float> samples(block.data(), n);
    decoder.process(samples);
    if (on_block) on_block(samples);
  }
  if (decoder.dropped() != 0) {
    fmt::print(stderr, "squeal: warning: {}: {} detector events were lost (queue full)\n", path, decoder.dropped());
  }
  result = decoder.finish(std::move(result));
  if (result.samples != source.position()) throw std::logic_error("decode: sample count mismatch");
  return result;
}

// Tone intervals and V.8 messages in one list, by start time.
nlohmann::ordered_json all_events(const FileResult& r) {
  std::vector<nlohmann::ordered_json> rows;
  for (const Interval& iv : r.intervals) rows.push_back(interval_json(iv));
  for (const V8Run& run : r.v8) rows.push_back(v8_json(run));
  for (const auto& e : r.staged) rows.push_back(e);
  std::ranges::stable_sort(rows, {}, [](const nlohmann::ordered_json& j) { return j["start_s"].get<double>(); });
  nlohmann::ordered_json events = nlohmann::ordered_json::array();
  for (auto& row : rows) events.push_back(std::move(row));
  return events;
}


}  // namespace squeal::cli
