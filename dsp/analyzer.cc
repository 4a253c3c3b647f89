#include "dsp/analyzer.h"

#include <algorithm>
#include <tuple>

#include "dsp/ansam_detector.h"
#include "dsp/call_progress_detector.h"
#include "dsp/dtmf_detector.h"
#include "dsp/tone_detector.h"

namespace squeal {

struct ToneAnalyzer::Detectors {
  // Configs spelled out rather than default arguments: a default argument
  // `= {}` of a nested Config with member initialisers cannot be used inside
  // its own class.
  Detectors()
      : call_progress(CallProgressDetector::Config{}),
        dtmf(DtmfDetector::Config{}),
        ansam(AnsamDetector::Config{}),
        tones(ToneDetector::signalling_tones()) {}

  CallProgressDetector call_progress;  // dial tone, ringback, busy
  DtmfDetector dtmf;                   // DTMF digits
  AnsamDetector ansam;                 // ANS, ANS/, ANSam, ANSam/ and reversals
  ToneDetector tones;                  // CNG, CT, tone A, tone B
};

ToneAnalyzer::ToneAnalyzer() : detectors_(std::make_unique<Detectors>()) {}
ToneAnalyzer::~ToneAnalyzer() = default;
ToneAnalyzer::ToneAnalyzer(ToneAnalyzer&&) noexcept = default;
ToneAnalyzer& ToneAnalyzer::operator=(ToneAnalyzer&&) noexcept = default;

void ToneAnalyzer::run(std::span<const float> in) noexcept {
  detectors_->call_progress.process(in, queue_);
  detectors_->dtmf.process(in, queue_);
  detectors_->ansam.process(in, queue_);
  detectors_->tones.process(in, queue_);
}

void ToneAnalyzer::reset() noexcept {
  detectors_->call_progress.reset();
  detectors_->dtmf.reset();
  detectors_->ansam.reset();
  detectors_->tones.reset();
  queue_.clear();
  consumed_ = 0;
}

bool is_answer_tone(Signal s) noexcept {
  return s == Signal::ans || s == Signal::ans_pr || s == Signal::ansam || s == Signal::ansam_pr;
}

namespace {

// Edges pair up when they agree on all of these.
// Answer tones pair across their variants: the detector names the on edge
// by what it has heard so far (ansam) and the off edge by the final
// classification (ansam_pr once reversals were counted).
bool same_key(const Event& a, const Event& b) {
  if (is_answer_tone(a.signal) && is_answer_tone(b.signal)) return true;
  return a.signal == b.signal && a.digit == b.digit &&
         (a.signal != Signal::tone || (a.freq_hz == b.freq_hz && a.freq2_hz == b.freq2_hz));
}

// The off edge carries measurements averaged over the whole tone; a field it
// leaves at its default keeps the on edge's value.
Event merge(const Event& on, const Event& off) {
  Event e = off;
  e.sample = on.sample;
  e.edge = Edge::on;
  const Event unset;
  if (e.level_dbm0 == unset.level_dbm0) e.level_dbm0 = on.level_dbm0;
  if (e.snr_db == unset.snr_db) e.snr_db = on.snr_db;
  if (e.am_depth == unset.am_depth) e.am_depth = on.am_depth;
  if (e.am_rate_hz == unset.am_rate_hz) e.am_rate_hz = on.am_rate_hz;
  if (e.twist_db == unset.twist_db) e.twist_db = on.twist_db;
  if (e.count == unset.count) e.count = on.count;
  if (e.freq_hz == unset.freq_hz) e.freq_hz = on.freq_hz;
  if (e.freq2_hz == unset.freq2_hz) e.freq2_hz = on.freq2_hz;
  if (e.digit == unset.digit) e.digit = on.digit;
  return e;
}

}  // namespace

std::vector<Interval> pair_events(std::span<const Event> events, SampleIndex end_of_stream) {
  std::vector<Event> sorted(events.begin(), events.end());
  // Stable: a detector's own events at one sample keep their order (off before a new on).
  std::stable_sort(sorted.begin(), sorted.end(), [](const Event& a, const Event& b) { return a.sample < b.sample; });

  std::vector<Interval> intervals;
  std::vector<std::size_t> open;  // indices into intervals still waiting for their off edge
  std::vector<SampleIndex> reversals;
  for (const Event& e : sorted) {
    if (e.edge == Edge::instant) {
      if (e.signal == Signal::phase_reversal) {
        reversals.push_back(e.sample);
      } else {
        intervals.push_back({e.signal, e.sample, e.sample, false, e, {}});
      }
      continue;
    }
    const auto match = std::find_if(open.begin(), open.end(),
                                    [&](std::size_t i) { return same_key(intervals[i].fields, e); });
    if (e.edge == Edge::on) {
      if (match != open.end()) {  // a second on without off: the first one ends here
        intervals[*match].end = e.sample;
        intervals[*match].open = false;
        open.erase(match);
      }
      open.push_back(intervals.size());
      intervals.push_back({e.signal, e.sample, e.sample, true, e, {}});
    } else if (match != open.end()) {
      Interval& iv = intervals[*match];
      iv.signal = e.signal;  // the off edge's classification is the final one
      iv.end = e.sample;
      iv.open = false;
      iv.fields = merge(iv.fields, e);
      open.erase(match);
    }
    // An off edge without its on (stream started mid-tone after a reset) is dropped.
  }
  for (const std::size_t i : open) intervals[i].end = end_of_stream;
  // An off edge found while finish() flushed silence: still on at the end.
  for (Interval& iv : intervals) {
    if (iv.fields.edge == Edge::instant || iv.end < end_of_stream) continue;
    iv.end = std::max(end_of_stream, iv.start);
    iv.open = true;
  }

  for (const SampleIndex r : reversals) {
    const auto host = std::find_if(intervals.begin(), intervals.end(), [r](const Interval& iv) {
      return is_answer_tone(iv.signal) && iv.start <= r && r <= iv.end;
    });
    if (host != intervals.end()) {
      host->reversals.push_back(r);
    } else {
      Event e;
      e.sample = r;
      e.signal = Signal::phase_reversal;
      intervals.push_back({Signal::phase_reversal, r, r, false, e, {}});
    }
  }
  std::sort(intervals.begin(), intervals.end(), [](const Interval& a, const Interval& b) {
    return std::tuple(a.start, a.end, a.signal, a.fields.digit) < std::tuple(b.start, b.end, b.signal, b.fields.digit);
  });
  return intervals;
}

}  // namespace squeal
