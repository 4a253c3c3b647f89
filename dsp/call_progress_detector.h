// CallProgressDetector: dial tone, ringback and busy, North-American and
// European, on a ToneDetector with 25 ms blocks (40 Hz bins: 440 and 480 Hz
// fall on bin centres, so the NA pairs are orthogonal).
//
//  * NA tones are told apart by frequency (precise tone plan, ANSI T1.401):
//    350+440 dial tone (reported once on >= 0.5 s), 440+480 ringback
//    (2 s on / 4 s off), 480+620 busy (0.5/0.5) or reorder (0.25/0.25, also
//    reported as busy). Each burst is one on/off pair.
//  * EU 425 Hz (ETSI TR 101 041 / ITU-T E.180 common values) is one frequency
//    for all three, so its bursts are classified by cadence:
//      busy      on 0.15-0.7 s, off 0.15-0.7 s, two bursts in a row;
//      ringback  on 0.7-2.6 s, off 2-5.5 s, two bursts in a row;
//      dial tone a burst of >= 0.5 s that does not start such a pattern:
//                reported as soon as it lasts > 2.6 s (no ringback is that
//                long), else once the next burst breaks the pattern or none
//                follows within 5.5 s.
//    The first burst of a cadence is reported when the second confirms it.
// Events are delayed accordingly but always pushed in sample order, stamped
// with where each burst started and ended. Level/SNR are the burst's.
#pragma once

#include <span>

#include "dsp/events.h"
#include "dsp/tone_detector.h"

namespace squeal {

class CallProgressDetector {
 public:
  struct Config {
    double min_level_dbm0 = -40;  // per tone (NA call progress tones are -13..-24 dBm0 per tone)
    double min_snr_db = 6;        // pattern power over the rest of the block
    double eu_min_snr_db = 3;     // 425 Hz alone: lower, a ±10 Hz offset costs ~1 dB in a 40 Hz bin
  };

  CallProgressDetector() : CallProgressDetector(Config{}) {}
  /// Throws std::invalid_argument naming a bad value.
  explicit CallProgressDetector(const Config& config);

  void process(std::span<const float> in, EventQueue& out) noexcept;
  void reset() noexcept;

  static constexpr int kBlockLength = 200;  // 25 ms

 private:
  struct Burst {
    Event on;                 // tone detector's on event (start, level at start)
    Event off;                // its off event (end, level over the burst)
    bool reported = false;    // already pushed as some signal
  };

  void handle(const Event& e, EventQueue& out) noexcept;
  void on_eu_off(const Event& off, EventQueue& out) noexcept;
  void on_time(SampleIndex now, EventQueue& out) noexcept;
  void resolve_pending(EventQueue& out) noexcept;
  void emit(const Burst& b, Signal s, bool with_off, EventQueue& out) noexcept;

  Config config_;                  // as constructed
  ToneDetector tones_;             // NA pairs (already labelled) and EU 425 Hz (Signal::tone)
  EventQueue tone_events_;         // scratch queue between tones_ and handle()
  EventStager stager_;             // keeps output in sample order
  SampleIndex consumed_ = 0;       // samples fed since reset
  // EU cadence state.
  bool eu_on_ = false;             // a 425 Hz burst is running
  Event eu_current_on_{};          // its on event
  bool eu_current_dial_ = false;   // it was already reported as dial tone
  bool has_pending_ = false;       // pending_ holds the previous, finished burst
  Burst pending_{};                // previous burst, reported or not
};

}  // namespace squeal
