// Phase2Session: one side of V.34 phase 2, driven one audio block at a time,
// from the sample where V.8 ended (negotiation/phase2_controller.h has the
// sequence).
//
// Owns: the DPSK modulator for INFO frames on its own channel (caller 1200 Hz,
// answerer 2400 Hz + guard), a tone oscillator for tone A/B whose reversals
// land on exact samples (ranging needs the reply exactly 40 ms after the far
// reversal, finer than the 600 Hz symbol grid), the L1/L2 generator; the DPSK
// demodulator of the far channel (INFO bits, tone, reversal instants), the
// INFO receiver, the probe analyser; and the Phase2Controller.
//
// Like V8Session: a 10 ms grid tied to the session's start sample; rx of tick k
// analysed when complete, tx of tick k+1 generated right after and split at
// every action and deadline; no allocation, nothing throws, and the output
// is the same for any block size.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dsp/dpsk_modem.h"
#include "dsp/line_probe.h"
#include "dsp/types.h"
#include "negotiation/info_codec.h"
#include "negotiation/phase2_controller.h"
#include "negotiation/tick_exchange.h"

namespace squeal {

struct Phase2SessionConfig {
  V8Role role = V8Role::caller;
  Info0 info0;                 // this side's capabilities (acknowledge is managed)
  Phase2Timing timing;
  double level_dbm0 = -13;     // nominal transmit power (INFO, tones, L2; L1 is +6 dB)
};

/// A reasonable INFO0 for a modem that does everything V.34 offers.
Info0 full_info0() noexcept;

class Phase2Session {
 public:
  static constexpr std::size_t kTick = 80;  // samples per decision step (10 ms)

  /// `start`: absolute sample index of the first sample it will see.
  /// Throws std::invalid_argument naming a bad level or timing value.
  Phase2Session(const Phase2SessionConfig& config, SampleIndex start);
  /// Built idle (everything allocated), started later with begin(): what a
  /// session that runs V.8 first uses, so nothing is built on the real-time path.
  explicit Phase2Session(const Phase2SessionConfig& config);
  /// (Re)starts phase 2 at absolute sample `start`. No allocation.
  void begin(SampleIndex start) noexcept;
  [[nodiscard]] bool begun() const noexcept { return begun_; }

  /// rx: what this side hears; tx: what it sends (same size).
  void process(std::span<const float> rx, std::span<float> tx) noexcept;

  [[nodiscard]] bool finished() const noexcept { return controller_.finished(); }
  [[nodiscard]] const Phase2Result& result() const noexcept { return controller_.result(); }
  [[nodiscard]] V8Role role() const noexcept { return config_.role; }
  [[nodiscard]] SampleIndex position() const noexcept { return position_; }
  /// Good / damaged INFO frames received.
  [[nodiscard]] int info_frames() const noexcept { return info_frames_; }
  [[nodiscard]] int info_damaged() const noexcept { return info_damaged_; }

 private:
  enum class TxMode : std::uint8_t { silent, info, tone, probe };

  void on_rx_tick(SampleIndex now) noexcept;
  void generate_tick(SampleIndex t0) noexcept;
  void drain_actions(SampleIndex at) noexcept;
  void apply(const Phase2Action& a, SampleIndex at) noexcept;
  void push_frame(SampleIndex at) noexcept;
  [[nodiscard]] SampleIndex next_commit() const noexcept;
  void tone_generate(std::span<float> out, SampleIndex first) noexcept;

  Phase2SessionConfig config_;
  Phase2Controller controller_;
  bool begun_ = false;                   // begin() was called
  SampleIndex start_;                    // absolute sample of this session's sample 0
  SampleIndex position_;                 // absolute index of the next sample
  // receive
  DpskDemodulator demod_;                // the far channel
  InfoReceiver info_rx_;                 // bits -> frames
  LineProbeAnalyzer analyzer_;           // the far probe
  bool analysing_ = false;               // an analysis window is open
  SampleIndex analysis_end_ = 0;         // absolute end of that window
  int zero_run_ = 0;                     // far carrier: symbols without a phase change
  bool far_tone_reported_ = false;       // on_far_tone sent
  int info_frames_ = 0;                  // good INFO frames heard
  int info_damaged_ = 0;                 // damaged INFO frames heard
  TickExchange<kTick> ticks_;          // rx in, tx out, on the 10 ms grid
  // transmit
  DpskModulator modulator_;              // INFO frames
  SampleIndex mod_origin_ = 0;           // absolute sample of modulator_'s sample 0
  LineProbeGenerator probe_;             // L1 + L2
  SampleIndex probe_end_ = 0;            // absolute end of the probe being sent
  TxMode mode_ = TxMode::silent;
  InfoBits frame_{};                     // INFO frame being sent
  InfoBits next_frame_{};                // replaces frame_ at the next frame boundary
  bool have_next_ = false;
  bool repeat_ = false;                  // repeat frame_ until told otherwise
  int frames_left_ = 0;                  // send_info: frames still to push
  InfoKind frame_kind_ = InfoKind::info0;
  SampleIndex frame_end_ = -1;           // absolute end of the frame in flight (-1: none)
  bool frame_ack_ = false;               // the frame in flight acknowledges (INFO0 bit 28)
  // tone oscillator (tone A or B)
  std::uint32_t tone_phase_ = 0;         // carrier phase of the next sample
  std::uint32_t tone_inc_ = 0;           // per-sample carrier step
  std::uint32_t guard_phase_ = 0;        // answerer: 1800 Hz guard tone phase
  std::uint32_t guard_inc_ = 0;
  float tone_amp_ = 0, guard_amp_ = 0;   // peak amplitudes
  float tone_sign_ = 1;                  // envelope sign before a pending reversal
  SampleIndex reversal_at_ = -1;         // pending/last reversal sample (-1: none)
  std::array<Phase2Action, Phase2Controller::kMaxActions> pending_{};
  std::size_t pending_count_ = 0;
};

}  // namespace squeal
