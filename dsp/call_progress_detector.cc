#include "dsp/call_progress_detector.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace squeal {

namespace {

constexpr SampleIndex ms(double milliseconds) { return seconds_to_samples(milliseconds / 1000.0); }

// Cadence windows (ITU-T E.180 / ETSI TR 101 041 ranges, widened for drift).
constexpr SampleIndex kBusyMin = ms(150), kBusyMax = ms(700);       // busy/reorder on and off
constexpr SampleIndex kRingOnMin = ms(700), kRingOnMax = ms(2600);  // ringback on
constexpr SampleIndex kRingOffMin = ms(2000), kRingOffMax = ms(5500);
constexpr SampleIndex kDialMin = ms(500);      // shortest burst reported as dial tone
constexpr double kDialMinMs = 500;
// Earliest a tone-detector event can be back-dated behind the current block.
constexpr SampleIndex kToneDelay = ms(kDialMinMs) + 4 * CallProgressDetector::kBlockLength;

bool within(SampleIndex v, SampleIndex lo, SampleIndex hi) { return v >= lo && v <= hi; }

ToneDetector::Config tone_config(const CallProgressDetector::Config& c) {
  if (!(c.min_level_dbm0 < 0 && c.min_level_dbm0 > -60))
    throw std::invalid_argument("CallProgress min_level_dbm0 " + std::to_string(c.min_level_dbm0) +
                                " must be within (-60, 0)");
  ToneDetector::Config t;
  t.block_length = CallProgressDetector::kBlockLength;
  t.max_gap_ms = 50;  // bridge one failing block
  t.rest_excludes_other_tones = false;
  t.tones.push_back({Signal::dial_tone, 350, 440, c.min_level_dbm0, kDialMinMs, c.min_snr_db});
  t.tones.push_back({Signal::ringback, 440, 480, c.min_level_dbm0, 300, c.min_snr_db});
  t.tones.push_back({Signal::busy, 480, 620, c.min_level_dbm0, 150, c.min_snr_db});
  t.tones.push_back({Signal::tone, 425, 0, c.min_level_dbm0, 150, c.eu_min_snr_db});
  return t;
}

}  // namespace

CallProgressDetector::CallProgressDetector(const Config& config)
    : config_(config), tones_(tone_config(config)) {}

void CallProgressDetector::reset() noexcept {
  tones_.reset();
  tone_events_.clear();
  stager_.clear();
  consumed_ = 0;
  eu_on_ = false;
  eu_current_dial_ = false;
  has_pending_ = false;
}

void CallProgressDetector::process(std::span<const float> in, EventQueue& out) noexcept {
  // Cut the input at block boundaries so the cadence timers run once per
  // block whatever the chunking.
  while (!in.empty()) {
    const auto to_boundary = static_cast<std::size_t>(kBlockLength - consumed_ % kBlockLength);
    const std::size_t n = std::min(to_boundary, in.size());
    tones_.process(in.first(n), tone_events_);
    in = in.subspan(n);
    consumed_ += static_cast<SampleIndex>(n);
    Event e;
    while (tone_events_.pop(e)) handle(e, out);
    if (consumed_ % kBlockLength == 0) on_time(consumed_, out);
  }
}

void CallProgressDetector::handle(const Event& e, EventQueue& out) noexcept {
  if (e.signal != Signal::tone) {  // NA: the frequency pair already says what it is
    stager_.push(e, out);
    return;
  }
  if (e.edge == Edge::on) {
    eu_on_ = true;
    eu_current_on_ = e;
    eu_current_dial_ = false;
  } else if (e.edge == Edge::off) {
    eu_on_ = false;
    on_eu_off(e, out);
  }
}

void CallProgressDetector::emit(const Burst& b, Signal s, bool with_off, EventQueue& out) noexcept {
  Event on = b.on;
  on.signal = s;
  stager_.push(on, out);
  if (!with_off) return;
  Event off = b.off;
  off.signal = s;
  stager_.push(off, out);
}

void CallProgressDetector::resolve_pending(EventQueue& out) noexcept {
  // A finished burst that started no cadence: dial tone if long enough.
  if (!has_pending_ || pending_.reported) return;
  if (pending_.off.sample - pending_.on.sample >= kDialMin) emit(pending_, Signal::dial_tone, true, out);
  pending_.reported = true;
}

void CallProgressDetector::on_eu_off(const Event& off, EventQueue& out) noexcept {
  Burst cur{eu_current_on_, off, false};
  if (eu_current_dial_) {
    Event e = off;
    e.signal = Signal::dial_tone;
    stager_.push(e, out);
    cur.reported = true;
  } else {
    Signal match = Signal::tone;
    if (has_pending_) {
      const SampleIndex d = off.sample - cur.on.sample;
      const SampleIndex pd = pending_.off.sample - pending_.on.sample;
      const SampleIndex gap = cur.on.sample - pending_.off.sample;
      if (within(d, kBusyMin, kBusyMax) && within(pd, kBusyMin, kBusyMax) &&
          within(gap, kBusyMin, kBusyMax))
        match = Signal::busy;
      else if (within(d, kRingOnMin, kRingOnMax) && within(pd, kRingOnMin, kRingOnMax) &&
               within(gap, kRingOffMin, kRingOffMax))
        match = Signal::ringback;
    }
    if (match != Signal::tone) {
      if (!pending_.reported) emit(pending_, match, true, out);
      emit(cur, match, true, out);
      cur.reported = true;
    } else {
      resolve_pending(out);
    }
  }
  pending_ = cur;
  has_pending_ = true;
}

void CallProgressDetector::on_time(SampleIndex now, EventQueue& out) noexcept {
  if (eu_on_ && !eu_current_dial_ && now - eu_current_on_.sample > kRingOnMax) {
    // Longer than any ringback burst: a dial tone, reported while it lasts.
    resolve_pending(out);
    Burst b{eu_current_on_, {}, false};
    emit(b, Signal::dial_tone, false, out);
    eu_current_dial_ = true;
  }
  if (has_pending_ && !eu_on_ && now - pending_.off.sample > kRingOffMax) {
    resolve_pending(out);  // nothing followed: no cadence
    has_pending_ = false;
  }
  SampleIndex watermark = now - kToneDelay;
  if (eu_on_ && !eu_current_dial_) watermark = std::min(watermark, eu_current_on_.sample);
  if (has_pending_ && !pending_.reported) watermark = std::min(watermark, pending_.on.sample);
  stager_.release(watermark, out);
}

}  // namespace squeal
