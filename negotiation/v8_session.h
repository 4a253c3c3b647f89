// V8Session: one side of a V.8 start-up, driven one audio block at a time.
//
// It owns the role's detectors (caller: AnsamDetector and a V.21 channel-2
// demodulator for JM; answerer: a V.21 channel-1 demodulator for CI/CM/CJ),
// its generators (answer tones, V.21 modulator) and the V8Controller, and it
// keeps a trace of what it sent and heard for timelines and JSON.
//
// process(rx, tx) does no I/O, reads no clock, never allocates or throws.
// Timing is exact and independent of the block size: internally the session
// runs on a grid of kTick samples tied to the absolute sample index. The rx
// samples of tick k are analysed when the tick is complete; the tx samples of
// tick k+1 are generated right after (so tx lags decisions by at most one
// tick, 10 ms), splitting the tick exactly at every action and deadline.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/ansam_detector.h"
#include "dsp/events.h"
#include "dsp/tone_generator.h"
#include "dsp/types.h"
#include "dsp/v21_modem.h"
#include "negotiation/v8_bits.h"
#include "negotiation/v8_codec.h"
#include "negotiation/tick_exchange.h"
#include "negotiation/v8_controller.h"

namespace squeal {

struct V8SessionConfig {
  V8Role role = V8Role::caller;
  V8Menu menu;                        // caller: the CM; answerer: its capabilities
  V8Timing timing;                    // V.8 times
  double fsk_level_dbm0 = -14;        // V.21 transmit level (v8.md: typical -14)
  double answer_tone_level_dbm0 = -12;  // ANSam / ANS level (v8.md: typical -12)
  double fsk_on_level_dbm0 = -45;     // V.21 receive carrier-on threshold
};

/// One line of the trace: something this side sent or heard.
struct V8TraceEntry {
  bool sent = true;                   // true: transmitted by this side; false: heard from the peer
  bool is_tone = false;               // an answer tone (else a V.8 message)
  Signal tone = Signal::tone;         // is_tone: ansam_pr, ansam, ans, ...
  V8Message message;                  // !is_tone: type, menu, statuses
  V8Octets octets;                    // !is_tone: octets after the sync
  SampleIndex start = 0;              // first sample (heard: as stamped by the detector)
  SampleIndex end = -1;               // last sample + 1; -1 while still going
  int count = 1;                      // sent CM/JM: times sent back to back
  float level_dbm0 = 0;               // heard tone: measured level
};

class V8Session {
 public:
  static constexpr std::size_t kTick = 80;          // samples per decision step (10 ms)
  static constexpr std::size_t kTraceCapacity = 256;  // trace entries kept (a V.8 call needs ~30)

  /// Throws std::invalid_argument naming a bad level or timing value.
  explicit V8Session(const V8SessionConfig& config);

  /// rx: what this side hears; tx: what it sends (same size).
  void process(std::span<const float> rx, std::span<float> tx) noexcept;

  [[nodiscard]] bool finished() const noexcept { return controller_.finished(); }
  [[nodiscard]] const V8Result& result() const noexcept { return controller_.result(); }
  [[nodiscard]] V8Role role() const noexcept { return config_.role; }
  [[nodiscard]] SampleIndex position() const noexcept { return position_; }
  [[nodiscard]] std::span<const V8TraceEntry> trace() const noexcept { return trace_; }
  [[nodiscard]] std::size_t trace_dropped() const noexcept { return trace_dropped_; }
  [[nodiscard]] const V8SessionConfig& config() const noexcept { return config_; }

 private:
  enum class TxMode : std::uint8_t { silent, tone, fsk };

  void on_rx_tick(SampleIndex tick_end) noexcept;
  void generate_tick(SampleIndex tick_start) noexcept;
  void apply(const V8Action& a, SampleIndex at) noexcept;
  void drain_actions(SampleIndex at) noexcept;
  /// FSK: queues the next 10-bit unit (preamble or framed octet); false when
  /// the transmission is over.
  bool refill_fsk(SampleIndex at) noexcept;
  [[nodiscard]] SampleIndex fsk_drain_sample() const noexcept;
  void close_sent(SampleIndex at) noexcept;
  V8TraceEntry* add_trace() noexcept;
  void handle_frame(const V8Frame& frame, SampleIndex now) noexcept;

  V8SessionConfig config_;             // as constructed
  V8Controller controller_;            // the state machine
  // receive side
  AnsamDetector ansam_;                // caller: the answer tone
  EventQueue events_;                  // ansam_ output
  V21Demodulator demod_;               // the peer's V.21 channel
  V8BitReceiver receiver_;             // bits -> frames
  TickExchange<kTick> ticks_;          // rx in, tx out, on the 10 ms grid
  bool demod_running_ = false;         // the V.21 receiver has started listening
  SampleIndex demod_origin_ = 0;       // absolute sample of the receiver's sample 0
  bool peer_carrier_ = false;          // the peer's V.21 carrier as of the last tick
  bool ansam_done_ = false;            // caller: answer tone seen, stop feeding the detector
  std::ptrdiff_t open_heard_tone_ = -1;  // trace index of a heard tone without its end yet
  // transmit side
  ToneGenerator ansam_pr_gen_;         // ANSam/
  ToneGenerator ansam_gen_;            // ANSam
  ToneGenerator ans_gen_;              // V.25 ANS
  ToneGenerator* tone_gen_ = nullptr;  // the one sending (mode tone)
  V21Modulator modulator_;             // V.21 on our channel
  TxMode mode_ = TxMode::silent;       // what the transmitter does now
  V8Octets tx_frame_;                  // FSK: sync + octets of the message being repeated
  bool tx_repeat_ = false;             // repeat tx_frame_ (CM/JM) or send once (CJ)
  bool tx_preamble_ = true;            // tx_frame_ starts with the 10-bit preamble
  std::size_t tx_unit_ = 0;            // next unit: 0 = preamble (if any), then octets
  bool tx_stop_ = false;               // end after the unit in flight
  bool tx_cj_ = false;                 // ... then send CJ
  SampleIndex fsk_origin_ = 0;         // absolute sample of modulator_'s sample 0
  std::ptrdiff_t open_sent_ = -1;      // trace index of what is being sent
  std::array<V8Action, V8Controller::kMaxActions> pending_{};  // actions not yet due
  std::size_t pending_count_ = 0;      // entries in pending_
  SampleIndex position_ = 0;           // absolute index of the next sample
  std::vector<V8TraceEntry> trace_;    // reserved kTraceCapacity at construction
  std::size_t trace_dropped_ = 0;      // entries lost to a full trace
};

}  // namespace squeal
