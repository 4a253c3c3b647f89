// V.34 phase 2 as a pure state machine: INFO0 exchange, ranging with tones
// A/B, line probing both ways, INFO1c/INFO1a and the rate decision.
//
// The sequence this project runs (v34-phase2.md; times in the sender's clock):
//
//   caller   INFO0c…(ack) | tone B ……… B̄ |  (listens to L1/L2)  | L1 L2 | INFO1c… | done on INFO1a
//   answerer INFO0a…(ack) | tone A … Ā ……… Ā | L1 L2 | (listens to L1/L2) | INFO1a ×3 | done
//
// 1. INFO0: each side repeats its INFO0 (DPSK, caller 1200 Hz, answerer
//    2400 Hz); once it has the far INFO0 it sets the acknowledge bit; it moves
//    on after it has the far INFO0, the far side's acknowledge, and has sent
//    one acknowledging frame itself.
// 2. Ranging: the answerer, tone A on and tone B heard, reverses A (t0); the
//    caller answers a reversal of A 40 ms after it arrives (t1 + 40 ms); the
//    answerer, hearing that at t2, knows RTD = t2 - t0 - 40 ms and reverses A
//    again 40 ms later (T = t2 + 40 ms); the caller, hearing that at t3, knows
//    RTD = t3 - (t1 + 40 ms) - 40 ms. No reply within 2 s: reverse again.
// 3. Probing: the answerer sends L1 + L2 from T + 10 ms; the caller analyses
//    L2 (it arrives at t3 + 10 ms + L1) and sends its own L1 + L2 from
//    t3 + 10 ms + L1 + L2 + 20 ms, which the answerer, knowing RTD, expects
//    at T + RTD + 10 ms + L1 + L2 + 20 ms.
// 4. The caller sends INFO1c (its rate projections for answer->call) until
//    INFO1a arrives; the answerer decides both symbol rates and the
//    call->answer rate from its own probe analysis and INFO1c, sends INFO1a
//    three times and is done. The caller takes the answer->call data rate
//    from its own analysis at the symbol rate INFO1a names.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "dsp/line_probe.h"
#include "dsp/types.h"
#include "negotiation/info_codec.h"
#include "negotiation/rate_selection.h"
#include "negotiation/v8_controller.h"

namespace squeal {

struct Phase2Timing {
  double info0_timeout_ms = 5000;       // INFO0 exchange must be over by then
  double turnaround_ms = 40;            // reply to a far reversal 40 ±1 ms after it arrives
  double tone_before_reversal_ms = 60;  // answerer: tone A this long before its first reversal (>= 50)
  double tone_timeout_ms = 3000;        // no far tone this long after INFO0: fail
  double reversal_retry_ms = 2000;      // answerer: no reply -> reverse again
  int reversal_tries = 3;               // then give up
  double tone_after_reversal_ms = 10;   // keep the tone this long past one's last reversal
  double l1_ms = 160;                   // L1 (V.34: 160 ms)
  double l2_ms = 400;                   // L2 (V.34: <= 550 ms + RTD; peers 400-550)
  double probe_gap_ms = 20;             // silence between the answerer's probe and the caller's
  double info1_wait_ms = 2000;          // answerer: INFO1c due within this + 2 RTD after the probe
  double info1a_timeout_ms = 4000;      // caller: INFO1a due within this after INFO1c starts
  int info1a_repeats = 3;               // answerer: INFO1a frames sent
};

enum class Phase2ActionKind : std::uint8_t {
  silence,         // stop sending (at `at`)
  repeat_info,     // send `info` (bits) back to back from `at`; replaces the frame at the next frame boundary if INFO is already being sent
  send_info,       // send `info` `count` times, then report on_tx_done
  tone,            // the unmodulated carrier (tone A or B) from `at`
  reverse_tone,    // a 180° reversal of the tone at `at`
  send_probe,      // L1 (l1_ms) + L2 (l2_ms) from `at`, then silence; report on_tx_done
  analyse_probe,   // run the probe analyser on rx from `at` for `periods` 160-sample periods; answer with on_probe_report
  finished,        // see result()
};
std::string_view phase2_action_name(Phase2ActionKind k) noexcept;

struct Phase2Action {
  SampleIndex at = 0;
  Phase2ActionKind kind = Phase2ActionKind::silence;
  InfoKind info_kind = InfoKind::info0;  // repeat_info / send_info
  InfoBits info{};                       // the frame's bits
  int count = 1;                         // send_info: frames
  int periods = 0;                       // analyse_probe: periods to analyse
};

enum class Phase2Failure : std::uint8_t {
  none,
  no_info0,            // no valid far INFO0 (or no acknowledge) in time
  no_tone,             // far tone A/B never appeared
  no_reversal_reply,   // ranging: the far side never answered a reversal
  no_probe,            // the far probe could not be analysed
  no_info1,            // INFO1c (answerer) / INFO1a (caller) never arrived
  nothing_usable,      // no symbol rate carries data on this line
};
std::string_view phase2_failure_name(Phase2Failure f) noexcept;
std::string_view phase2_failure_description(Phase2Failure f) noexcept;

/// One direction's outcome.
struct DirectionDecision {
  int symbol_rate_code = 0;
  int symbol_rate_baud = 0;
  bool high_carrier = false;
  double carrier_hz = 0;
  int bit_rate = 0;
  double snr_db_estimate = 0;  // mean per-tone SNR in the band (150 Hz per tone)
};

struct Phase2Result {
  V8Outcome outcome = V8Outcome::pending;  // pending, connected (decided) or failed
  Phase2Failure failure = Phase2Failure::none;
  std::optional<Info0> far_info0;          // what the far side can do
  std::optional<double> rtd_ms;            // round-trip delay measured by this side
  ProbeReport probe;                       // this side's analysis of the far probe
  bool have_probe = false;
  RateDecision own_decision;               // the rule on this side's probe (the far transmitter's direction)
  std::optional<Info1c> info1c;            // sent (caller) or received (answerer)
  std::optional<Info1a> info1a;            // received (caller) or sent (answerer)
  DirectionDecision call_to_answer;        // final, once decided
  DirectionDecision answer_to_call;
  SampleIndex ended_at = -1;
  int reversal_tries = 0;                  // answerer: reversals sent before a reply
};

class Phase2Controller {
 public:
  static constexpr std::size_t kMaxActions = 8;
  static constexpr SampleIndex kNever = V8Controller::kNever;
  /// Reversals are scheduled at least this far ahead (2 ms): a transmitter
  /// shapes a reversal with a ramp centred on its instant, so it must know it
  /// half a symbol early.
  static constexpr SampleIndex kReversalLead = 16;

  /// `own` is this side's INFO0 (capabilities). Throws std::invalid_argument
  /// naming a bad timing value.
  Phase2Controller(V8Role role, const Info0& own, const Phase2Timing& timing = {});

  void start(SampleIndex now) noexcept;
  /// A good (crc_ok) INFO frame from the far side, decoded.
  void on_info0(const Info0& far, SampleIndex now) noexcept;
  void on_info1c(const Info1c& far, SampleIndex now) noexcept;
  void on_info1a(const Info1a& far, SampleIndex now) noexcept;
  /// The far carrier has been unmodulated (tone A/B) long enough to count as the tone.
  void on_far_tone(SampleIndex now) noexcept;
  /// A reversal of the far tone at `instant` (fractional sample), known at `now`.
  void on_reversal(double instant, SampleIndex now) noexcept;
  /// The analyser's report for an analyse_probe action.
  void on_probe_report(const ProbeReport& report, SampleIndex now) noexcept;
  /// One repeated INFO0 frame finished going out at `at`; `acknowledged`:
  /// its acknowledge bit (bit 28) was set.
  void on_info0_sent(SampleIndex at, bool acknowledged) noexcept;
  /// A send_info or send_probe finished at `at`.
  void on_tx_done(SampleIndex at) noexcept;
  void on_time(SampleIndex now) noexcept;
  [[nodiscard]] SampleIndex next_deadline() const noexcept { return deadline_; }

  bool pop_action(Phase2Action& out) noexcept;
  [[nodiscard]] bool has_actions() const noexcept { return action_count_ > 0; }
  [[nodiscard]] const Phase2Result& result() const noexcept { return result_; }
  [[nodiscard]] bool finished() const noexcept { return result_.outcome != V8Outcome::pending; }
  [[nodiscard]] V8Role role() const noexcept { return role_; }
  [[nodiscard]] std::string_view state_name() const noexcept;
  /// What the session's INFO receiver should look for now.
  [[nodiscard]] InfoKinds expected_info() const noexcept;
  /// Whether a far tone / reversal matters now (the session may skip the detector otherwise).
  [[nodiscard]] bool wants_tone() const noexcept;

 private:
  enum class State : std::uint8_t {
    idle, info0, tone, ranging, probe_out, probe_in, info1, done,
  };

  void push(const Phase2Action& a) noexcept;
  void push_kind(SampleIndex at, Phase2ActionKind k) noexcept;
  void send_info0(SampleIndex at) noexcept;
  void finish(SampleIndex at, V8Outcome outcome, Phase2Failure failure) noexcept;
  void maybe_leave_info0(SampleIndex at) noexcept;
  void answerer_time(SampleIndex at) noexcept;
  void caller_time(SampleIndex at) noexcept;
  void decide_answerer(SampleIndex at) noexcept;
  [[nodiscard]] SampleIndex ms(double v) const noexcept;
  [[nodiscard]] RateCapabilities capabilities() const noexcept;

  V8Role role_;
  Info0 own_;
  Phase2Timing timing_;
  State state_ = State::idle;
  SampleIndex deadline_ = kNever;
  Phase2Result result_;
  bool got_far_info0_ = false;       // a good far INFO0 arrived
  bool far_acked_ = false;           // ... with the acknowledge bit
  bool sending_ack_ = false;         // our repeated INFO0 carries the acknowledge bit
  int acked_frames_sent_ = 0;        // acknowledging INFO0 frames finished
  bool far_tone_ = false;            // the far tone is there
  SampleIndex tone_since_ = 0;       // when our tone started
  SampleIndex reversal_at_ = 0;      // our last reversal (answerer t0 / T, caller t1 + 40 ms)
  int own_reversals_ = 0;            // reversals we have made in this ranging
  SampleIndex probe_anchor_ = 0;     // answerer: T; caller: t3 (round to samples)
  std::array<Phase2Action, kMaxActions> actions_{};
  std::size_t action_head_ = 0;
  std::size_t action_count_ = 0;
};

}  // namespace squeal
