// Sample-stamped detector events and the fixed-capacity queue they travel in.
//
// Every detector pushes events stamped with the absolute sample index at which
// the edge happened (GNU Radio stream-tag style), so the result never depends
// on how the input was chunked.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "dsp/types.h"

namespace squeal {

/// What was heard. Names (see signal_name) are the lower-case JSON names.
enum class Signal : std::uint8_t {
  tone,            // a configured tone of a ToneDetector (freq_hz says which)
  dtmf,            // DTMF digit (digit)
  dial_tone,       // continuous call-progress tone: 350+440 (NA) or 425 (EU)
  ringback,        // cadenced 440+480 (NA) or 425 (EU)
  busy,            // cadenced 480+620 (NA) or 425 (EU)
  ans,             // 2100 Hz, no AM, no reversals (V.25 ANS)
  ans_pr,          // ANS/ : 2100 Hz with 180° reversals
  ansam,           // 2100 Hz with 15 Hz AM (V.8 ANSam)
  ansam_pr,        // ANSam/ : AM and reversals
  phase_reversal,  // one 180° reversal inside an answer tone (instant)
  cng,             // 1100 Hz calling tone (fax)
  ct,              // 1300 Hz calling tone (V.25)
  tone_a,          // V.34 tone A: 2400 Hz from the answer modem
  tone_b,          // V.34 tone B: 1200 Hz from the call modem
};

/// Lower-case name used in JSON ("ansam", "dtmf", "dial_tone", ...).
std::string_view signal_name(Signal s) noexcept;

/// Edge of an interval signal; `instant` for point events (reversals).
enum class Edge : std::uint8_t { on, off, instant };

/// One detection. Flat and trivially copyable so queues never allocate.
struct Event {
  SampleIndex sample = 0;    // absolute sample index of the edge
  Signal signal = Signal::tone;
  Edge edge = Edge::instant;
  char digit = 0;            // DTMF digit ('0'-'9', '*', '#', 'A'-'D'), else 0
  float freq_hz = 0;         // main frequency (Hz); first tone of a pair
  float freq2_hz = 0;        // second tone of a pair (Hz), 0 if none
  float level_dbm0 = -200;   // measured level while on (dBm0)
  float snr_db = 0;          // tone power over the rest of the band (dB)
  float am_depth = 0;        // ANSam: (max-min)/(max+min) of the envelope, 0.2 nominal
  float am_rate_hz = 0;      // ANSam: measured AM frequency (Hz), 15 nominal
  float twist_db = 0;        // DTMF: high-group minus low-group level (dB)
  std::int32_t count = 0;    // reversals counted in an answer tone, etc.

  /// Field-by-field: what "identical events for any chunk size" means.
  friend bool operator==(const Event&, const Event&) = default;
};

/// Fixed-capacity FIFO of events. push() never allocates or throws; when full
/// the newest event is dropped and counted, so a stalled consumer is visible.
template <std::size_t Capacity = 256>
class BasicEventQueue {
 public:
  bool push(const Event& e) noexcept {
    if (size_ == Capacity) {
      ++dropped_;
      return false;
    }
    items_[(head_ + size_) % Capacity] = e;
    ++size_;
    return true;
  }
  bool pop(Event& out) noexcept {
    if (size_ == 0) return false;
    out = items_[head_];
    head_ = (head_ + 1) % Capacity;
    --size_;
    return true;
  }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
  void clear() noexcept { head_ = size_ = 0; }

 private:
  std::array<Event, Capacity> items_{};
  std::size_t head_ = 0;        // index of the oldest event
  std::size_t size_ = 0;        // events held
  std::uint64_t dropped_ = 0;   // events lost to a full queue
};

using EventQueue = BasicEventQueue<256>;

}  // namespace squeal
