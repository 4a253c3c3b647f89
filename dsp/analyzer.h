// ToneAnalyzer: every tone detector of the project on one stream, and the
// pairing of their on/off edges into intervals -- what `squeal detect` prints.
//
// The detectors (call progress, DTMF, answer tones with AM and reversals,
// calling tones and V.34 tones A/B) each see every sample; their events are
// handed to a caller-provided sink. pair_events() then turns the edge list
// into intervals sorted by start, with phase reversals attached to the answer
// tone they fall in. Since each detector is chunk-invariant and the pairing
// sorts, the intervals do not depend on how the stream was cut into blocks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "dsp/events.h"
#include "dsp/types.h"

namespace squeal {

class ToneAnalyzer {
 public:
  /// Detectors with their default configurations; ToneDetector gets
  /// ToneDetector::signalling_tones() (CNG, CT, tone A, tone B).
  ToneAnalyzer();
  ~ToneAnalyzer();
  ToneAnalyzer(ToneAnalyzer&&) noexcept;
  ToneAnalyzer& operator=(ToneAnalyzer&&) noexcept;

  /// Runs `in` through every detector and calls sink(const Event&) for each
  /// event, in sub-blocks of at most kSubBlock samples so that the internal
  /// queue never overflows, whatever the size of `in`. Events of one detector
  /// arrive in sample order; events of different detectors may interleave.
  template <class Sink>
  void process(std::span<const float> in, Sink&& sink) {
    for (std::size_t i = 0; i < in.size(); i += kSubBlock) {
      const std::size_t n = in.size() - i < kSubBlock ? in.size() - i : kSubBlock;
      run(in.subspan(i, n));
      consumed_ += static_cast<SampleIndex>(n);
      Event e;
      while (queue_.pop(e)) sink(e);
    }
  }

  /// Convenience: appends the events to `out`.
  void process(std::span<const float> in, std::vector<Event>& out) {
    process(in, [&out](const Event& e) { out.push_back(e); });
  }

  /// End of stream: feeds kFlushSamples of silence so that detectors which
  /// hold a finished tone back (call-progress cadence, EU dial tone: up to
  /// 5.5 s) deliver its off edge, and passes the events on. Edges stay
  /// stamped where the tones really ended; consumed() does not count the
  /// silence. Call reset() before feeding a new stream.
  template <class Sink>
  void finish(Sink&& sink) {
    static constexpr std::array<float, kSubBlock> kSilence{};
    for (SampleIndex done = 0; done < kFlushSamples; done += static_cast<SampleIndex>(kSubBlock)) {
      run(kSilence);
      Event e;
      while (queue_.pop(e)) sink(e);
    }
  }
  void finish(std::vector<Event>& out) {
    finish([&out](const Event& e) { out.push_back(e); });
  }

  void reset() noexcept;

  /// Samples fed since construction or reset.
  [[nodiscard]] SampleIndex consumed() const noexcept { return consumed_; }

  /// Events lost to a full queue since construction (0 unless a detector floods).
  [[nodiscard]] std::uint64_t dropped() const noexcept { return queue_.dropped(); }

  static constexpr std::size_t kSubBlock = 1024;  // samples per detector call
  static constexpr SampleIndex kFlushSamples = 6 * kSampleRateHz;  // silence fed by finish()

 private:
  void run(std::span<const float> in) noexcept;

  struct Detectors;                      // defined in analyzer.cc, so this header needs no detector header
  std::unique_ptr<Detectors> detectors_;  // call progress, DTMF, answer tones, calling/V.34 tones
  EventQueue queue_;                    // events of the current sub-block
  SampleIndex consumed_ = 0;            // samples fed since reset
};

/// One detected signal from its on edge to its off edge (or an instant).
struct Interval {
  Signal signal = Signal::tone;
  SampleIndex start = 0;                // on edge (absolute sample index)
  SampleIndex end = 0;                  // off edge; == start for instants
  bool open = false;                    // still on when the stream ended
  Event fields;                         // measurements: the off event's (averaged over the
                                        // whole tone), or the on event's while open
  std::vector<SampleIndex> reversals;   // answer tones: phase-reversal instants inside it
};

/// Pairs on/off events of the same signal (and DTMF digit, and frequency for
/// Signal::tone) into intervals. The four answer tones pair with each other
/// (on may say ansam, off ansam_pr once reversals were counted); the
/// interval takes the off edge's signal. An on without off, or whose off lies at or
/// beyond `end_of_stream` (found while finish() flushed), ends at
/// `end_of_stream` and is marked open: still on when the stream ended. Phase reversals inside an answer-tone interval (ans,
/// ans_pr, ansam, ansam_pr) are attached to it; reversals outside any stay as
/// instants. Result sorted by start, then end, then signal.
std::vector<Interval> pair_events(std::span<const Event> events, SampleIndex end_of_stream);

/// True for ans, ans_pr, ansam, ansam_pr.
bool is_answer_tone(Signal s) noexcept;

}  // namespace squeal
