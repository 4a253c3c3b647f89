// V.8 caller and answerer as pure state machines.
//
// A controller hears stamped events (answer tones from the AnsamDetector,
// decoded V.8 frames, "my transmitter finished" notices) and the passage of
// time, and answers with actions stamped with the sample from which they take
// effect. It owns no DSP, reads no clock and never allocates: the Session
// (negotiation/v8_session.h) wires it to detectors and generators, and tests
// drive it with hand-made events.
//
// Timing (V.8 §8, ../shared/spec/v8.md "Timing rules"):
//   answerer: >= 200 ms silence, ANSam for up to 5 s; on two identical CMs it
//     stops ANSam, keeps 75 ms silence and sends JM until CJ; on CJ it ends JM
//     after the octet in flight, keeps 75 ms silence and starts the mode.
//     No CM: after ANSam it falls back to V.25 ANS and reports a non-V.8 caller.
//   caller: on ANSam, waits Te (>= 0.5 s) and sends CM until two identical
//     JMs; then CJ after the CM octet in flight, 75 ms silence, the mode.
//     ANS without AM: a non-V.8 answerer, reported as such.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "dsp/events.h"
#include "dsp/types.h"
#include "negotiation/v8_codec.h"

namespace squeal {

enum class V8Role : std::uint8_t { caller, answerer };
std::string_view role_name(V8Role r) noexcept;  // "caller", "answerer"

/// V.8 times, in milliseconds. Defaults from V.8 §8 and the peers in v8.md.
struct V8Timing {
  double initial_silence_ms = 200;    // answerer: silence before ANSam (>= 200)
  double ansam_ms = 5000;             // answerer: ANSam duration (5 ±1 s)
  double cm_wait_after_ansam_ms = 5000;  // answerer: listens for CM this long after ANSam ends
  double fallback_ans_ms = 3300;      // answerer: V.25 ANS sent to a non-V.8 caller (3.3 ±0.7 s)
  double te_ms = 500;                 // caller: ANSam detected -> first CM (Te >= 0.5 s)
  double answer_tone_timeout_ms = 15000;  // caller: gives up when no answer tone by then
  double jm_timeout_ms = 6000;        // caller: first CM -> two identical JMs
  double cj_timeout_ms = 6000;        // answerer: first JM -> CJ
  double silence_after_ms = 75;       // both: silence after CJ / after JM ends (75 ±5)
  double silence_before_jm_ms = 75;   // answerer: ANSam end -> JM (peers: ~75)
  double cj_silence_ms = 40;          // answerer: caller's carrier gone this long while JM is sent = CJ (lost) sent
};

/// What the transmitter should do from `at` on.
enum class V8ActionKind : std::uint8_t {
  silence,           // stop sending at once (tones)
  answer_tone,       // send `tone` (Signal::ansam, ansam_pr or ans)
  repeat_message,    // send `message` (CM or JM) back to back, each with its preamble
  cj_after_octet,    // finish the octet in flight, send CJ once, then silence; report on_tx_done
  stop_after_octet,  // finish the octet in flight, then silence; report on_tx_done
  finished,          // the negotiation ended: see result()
};
std::string_view action_name(V8ActionKind k) noexcept;

struct V8Action {
  SampleIndex at = 0;                            // first sample it applies to
  V8ActionKind kind = V8ActionKind::silence;
  Signal tone = Signal::ansam_pr;                // answer_tone: which one
  V8MessageType message = V8MessageType::cm;     // repeat_message: CM or JM
  V8Menu menu;                                   // repeat_message: its menu
};

enum class V8Outcome : std::uint8_t { pending, connected, failed, non_v8 };
std::string_view outcome_name(V8Outcome o) noexcept;  // "pending", "connected", "failed", "non_v8"

/// Why a negotiation did not connect.
enum class V8Failure : std::uint8_t {
  none,
  no_answer_tone,     // caller: nothing like ANSam within the time-out
  answer_tone_no_am,  // caller: ANS without AM: the answerer is not a V.8 DCE (V.25)
  no_jm,              // caller: no two identical JMs in time
  no_cm,              // answerer: no two identical CMs: a non-V.8 caller (ANS fallback)
  no_cj,              // answerer: no CJ in time
  nothing_in_common,  // JM names no modulation both sides have
  peer_misbehaves,    // e.g. JM offers modes the CM never offered, and nothing else
};
std::string_view failure_name(V8Failure f) noexcept;         // "no_jm", ...
std::string_view failure_description(V8Failure f) noexcept;  // one sentence in words

/// What came of a negotiation, as one side sees it.
struct V8Result {
  V8Outcome outcome = V8Outcome::pending;
  V8Failure failure = V8Failure::none;
  std::optional<V8Modulation> mode;   // the chosen modulation when connected
  V8Menu own_menu;                    // what this side offered (CM, or capabilities)
  V8Menu far_menu;                    // the peer's CM (answerer) or JM (caller) acted on
  V8Menu joint;                       // the joint menu: JM sent (answerer) or JM ∩ CM (caller)
  bool heard_far_menu = false;        // far_menu is valid
  Signal answer_tone = Signal::tone;  // caller: the answer tone it heard (tone = none)
  SampleIndex ended_at = -1;          // sample at which the outcome was reached
  int frames_heard = 0;               // V.8 frames received from the peer
  int frames_damaged = 0;             // of those, unusable (framing, parse errors)
  bool cj_inferred = false;           // answerer: CJ damaged (zero octets after CM) or lost (carrier ended)
};

/// One controller. The role picks the state machine.
class V8Controller {
 public:
  static constexpr std::size_t kMaxActions = 8;

  /// `menu`: the caller's CM, or the answerer's capabilities (JM = joint_menu(CM, menu)).
  /// Throws std::invalid_argument naming a bad timing value.
  V8Controller(V8Role role, const V8Menu& menu, const V8Timing& timing = {});

  /// Starts the call at sample `now` (off-hook).
  void start(SampleIndex now) noexcept;
  /// An answer-tone event (AnsamDetector) heard at or before `now`.
  void on_event(const Event& e, SampleIndex now) noexcept;
  /// A V.8 frame from the peer's channel, decoded (only ok() messages are acted on).
  void on_message(const V8Message& m, const V8Frame& frame, SampleIndex now) noexcept;
  /// The peer's V.21 carrier came or went (answerer: a caller that falls
  /// silent after CM has sent CJ, even if the CJ itself was lost to noise).
  void on_carrier(bool present, SampleIndex at) noexcept;
  /// The transmitter finished a cj_after_octet / stop_after_octet at sample `at`.
  void on_tx_done(SampleIndex at) noexcept;
  /// Time passed up to `now` (call at least at next_deadline()).
  void on_time(SampleIndex now) noexcept;
  /// The next sample at which on_time must be called; max() if none.
  [[nodiscard]] SampleIndex next_deadline() const noexcept { return deadline_; }

  /// Takes the oldest pending action; false if none.
  bool pop_action(V8Action& out) noexcept;

  [[nodiscard]] const V8Result& result() const noexcept { return result_; }
  [[nodiscard]] bool finished() const noexcept { return result_.outcome != V8Outcome::pending; }
  /// Actions are waiting for pop_action().
  [[nodiscard]] bool has_actions() const noexcept { return action_count_ > 0; }
  /// V.8 frames from the peer can matter now: the caller from its first CM
  /// on (JM answers CM), the answerer from ANSam on (CM answers ANSam). Before
  /// that a session may leave its V.21 receiver idle.
  [[nodiscard]] bool wants_messages() const noexcept {
    return role_ == V8Role::caller ? (state_ == State::cm || state_ == State::cj)
                                   : (state_ != State::idle && state_ != State::initial_silence && state_ != State::done);
  }
  [[nodiscard]] V8Role role() const noexcept { return role_; }
  [[nodiscard]] std::string_view state_name() const noexcept;

  static constexpr SampleIndex kNever = std::numeric_limits<SampleIndex>::max();

 private:
  enum class State : std::uint8_t {
    idle,
    // answerer
    initial_silence, ansam, fallback, silence_before_jm, jm, ending,
    // caller
    wait_answer_tone, te_wait, cm, cj,
    done,
  };

  void answerer_time(SampleIndex now) noexcept;
  void caller_time(SampleIndex now) noexcept;
  void answerer_message(const V8Message& m, const V8Frame& frame, SampleIndex now) noexcept;
  void caller_message(const V8Message& m, const V8Frame& frame, SampleIndex now) noexcept;
  void push(const V8Action& a) noexcept;
  void push_kind(SampleIndex at, V8ActionKind kind) noexcept;
  void finish(SampleIndex at, V8Outcome outcome, V8Failure failure) noexcept;
  void connect_or_fail(SampleIndex at) noexcept;
  [[nodiscard]] SampleIndex ms(double v) const noexcept;
  /// True if `m` repeats the previous good frame of the same type (octets equal).
  bool second_identical(const V8Message& m, const V8Frame& frame) noexcept;

  V8Role role_;                         // caller or answerer
  V8Menu menu_;                         // own CM / capabilities
  V8Timing timing_;                     // as given
  State state_ = State::idle;           // where the machine is
  SampleIndex deadline_ = kNever;       // next on_time that matters
  SampleIndex state_since_ = 0;         // sample the current state began
  SampleIndex ansam_end_ = 0;           // answerer: sample ANSam stops (or stopped)
  V8Result result_;                     // outcome so far
  V8Octets last_octets_;                // previous good CM/JM's octets
  bool have_last_ = false;              // last_octets_ valid
  bool carrier_ = false;                // answerer: the caller's V.21 carrier is present
  bool carrier_seen_in_jm_ = false;     // answerer: it was present while JM was being sent
  SampleIndex cj_deadline_ = kNever;    // answerer: carrier gone: CJ assumed sent at this sample
  std::optional<V8Modulation> pending_mode_;  // chosen mode, reported after the final silence
  V8Failure pending_failure_ = V8Failure::none;  // failure to report after CJ (nothing in common)
  std::array<V8Action, kMaxActions> actions_{};  // pending actions (ring)
  std::size_t action_head_ = 0;         // oldest pending action
  std::size_t action_count_ = 0;        // pending actions
};

}  // namespace squeal
