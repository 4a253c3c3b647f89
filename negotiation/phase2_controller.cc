#include "negotiation/phase2_controller.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace squeal {

std::string_view phase2_action_name(Phase2ActionKind k) noexcept {
  switch (k) {
    case Phase2ActionKind::silence: return "silence";
    case Phase2ActionKind::repeat_info: return "repeat_info";
    case Phase2ActionKind::send_info: return "send_info";
    case Phase2ActionKind::tone: return "tone";
    case Phase2ActionKind::reverse_tone: return "reverse_tone";
    case Phase2ActionKind::send_probe: return "send_probe";
    case Phase2ActionKind::analyse_probe: return "analyse_probe";
    case Phase2ActionKind::finished: return "finished";
  }
  return "?";
}

std::string_view phase2_failure_name(Phase2Failure f) noexcept {
  switch (f) {
    case Phase2Failure::none: return "none";
    case Phase2Failure::no_info0: return "no_info0";
    case Phase2Failure::no_tone: return "no_tone";
    case Phase2Failure::no_reversal_reply: return "no_reversal_reply";
    case Phase2Failure::no_probe: return "no_probe";
    case Phase2Failure::no_info1: return "no_info1";
    case Phase2Failure::nothing_usable: return "nothing_usable";
  }
  return "?";
}

std::string_view phase2_failure_description(Phase2Failure f) noexcept {
  switch (f) {
    case Phase2Failure::none: return "";
    case Phase2Failure::no_info0: return "no valid INFO0 with an acknowledge came from the far modem in time";
    case Phase2Failure::no_tone: return "the far modem's tone (A or B) never appeared after INFO0";
    case Phase2Failure::no_reversal_reply: return "ranging failed: the far modem never answered a tone reversal";
    case Phase2Failure::no_probe: return "the far modem's L1/L2 line probe could not be analysed";
    case Phase2Failure::no_info1: return "the far modem's INFO1 never arrived";
    case Phase2Failure::nothing_usable: return "the probed line carries no V.34 data rate in some direction";
  }
  return "";
}

namespace {

DirectionDecision direction_of(const RateOption& o) {
  DirectionDecision d;
  d.symbol_rate_code = o.symbol_rate_code;
  d.symbol_rate_baud = o.symbol_rate_baud;
  d.high_carrier = o.high_carrier;
  d.carrier_hz = o.carrier_hz;
  d.bit_rate = o.bit_rate;
  d.snr_db_estimate = o.band_snr_db;
  return d;
}

}  // namespace

Phase2Controller::Phase2Controller(V8Role role, const Info0& own, const Phase2Timing& timing)
    : role_(role), own_(own), timing_(timing) {
  const std::pair<const char*, double> checks[] = {
      {"info0_timeout_ms", timing.info0_timeout_ms}, {"turnaround_ms", timing.turnaround_ms},
      {"tone_before_reversal_ms", timing.tone_before_reversal_ms}, {"tone_timeout_ms", timing.tone_timeout_ms},
      {"reversal_retry_ms", timing.reversal_retry_ms}, {"tone_after_reversal_ms", timing.tone_after_reversal_ms},
      {"l1_ms", timing.l1_ms}, {"l2_ms", timing.l2_ms}, {"probe_gap_ms", timing.probe_gap_ms},
      {"info1_wait_ms", timing.info1_wait_ms}, {"info1a_timeout_ms", timing.info1a_timeout_ms}};
  for (const auto& [name, v] : checks) {
    if (!(v >= 0 && v <= 60000)) {
      throw std::invalid_argument(std::string("phase 2 timing ") + name + " = " + std::to_string(v) +
                                  " ms: must be 0..60000");
    }
  }
  if (timing.l2_ms < 4 * 20) throw std::invalid_argument("phase 2 timing l2_ms must be >= 80 ms (4 probe periods)");
  if (timing.reversal_tries < 1) throw std::invalid_argument("phase 2 timing reversal_tries must be >= 1");
  if (timing.info1a_repeats < 1) throw std::invalid_argument("phase 2 timing info1a_repeats must be >= 1");
  const std::string bad = invalid_field(own);
  if (!bad.empty()) throw std::invalid_argument("own INFO0: " + bad);
}

SampleIndex Phase2Controller::ms(double v) const noexcept {
  return static_cast<SampleIndex>(std::llround(v * kSampleRateHz / 1000.0));
}

std::string_view Phase2Controller::state_name() const noexcept {
  switch (state_) {
    case State::idle: return "idle";
    case State::info0: return "info0";
    case State::tone: return "tone";
    case State::ranging: return "ranging";
    case State::probe_out: return "probe_out";
    case State::probe_in: return "probe_in";
    case State::info1: return "info1";
    case State::done: return "done";
  }
  return "?";
}

InfoKinds Phase2Controller::expected_info() const noexcept {
  if (state_ == State::info0) return InfoKind::info0;
  if (role_ == V8Role::answerer && (state_ == State::probe_out || state_ == State::probe_in || state_ == State::info1)) {
    return InfoKind::info1c;
  }
  if (role_ == V8Role::caller && (state_ == State::probe_out || state_ == State::info1)) return InfoKind::info1a;
  return {};
}

bool Phase2Controller::wants_tone() const noexcept { return state_ == State::tone || state_ == State::ranging; }

RateCapabilities Phase2Controller::capabilities() const noexcept {
  RateCapabilities c;
  const Info0 far = result_.far_info0.value_or(own_);
  c.symbol_rate = {true,
                   own_.supports_2743_baud && far.supports_2743_baud,
                   own_.supports_2800_baud && far.supports_2800_baud,
                   true,
                   true,
                   own_.supports_3429_baud && far.supports_3429_baud && own_.allows_3429_baud && far.allows_3429_baud};
  c.low_carrier_3000 = own_.supports_3000_baud_low_carrier && far.supports_3000_baud_low_carrier;
  c.high_carrier_3000 = own_.supports_3000_baud_high_carrier && far.supports_3000_baud_high_carrier;
  c.low_carrier_3200 = own_.supports_3200_baud_low_carrier && far.supports_3200_baud_low_carrier;
  c.high_carrier_3200 = own_.supports_3200_baud_high_carrier && far.supports_3200_baud_high_carrier;
  c.constellation_1664 = own_.constellation_1664 && far.constellation_1664;
  return c;
}

void Phase2Controller::push(const Phase2Action& a) noexcept {
  if (action_count_ == kMaxActions) return;  // at most four per step
  actions_[(action_head_ + action_count_) % kMaxActions] = a;
  ++action_count_;
}

void Phase2Controller::push_kind(SampleIndex at, Phase2ActionKind k) noexcept {
  Phase2Action a;
  a.at = at;
  a.kind = k;
  push(a);
}

bool Phase2Controller::pop_action(Phase2Action& out) noexcept {
  if (action_count_ == 0) return false;
  out = actions_[action_head_];
  action_head_ = (action_head_ + 1) % kMaxActions;
  --action_count_;
  return true;
}

void Phase2Controller::send_info0(SampleIndex at) noexcept {
  Info0 mine = own_;
  mine.acknowledge = sending_ack_;
  Phase2Action a;
  a.at = at;
  a.kind = Phase2ActionKind::repeat_info;
  a.info_kind = InfoKind::info0;
  a.info = encode_info0_fixed(mine);
  push(a);
}

void Phase2Controller::start(SampleIndex now) noexcept {
  state_ = State::info0;
  send_info0(now);
  deadline_ = now + ms(timing_.info0_timeout_ms);
}

void Phase2Controller::finish(SampleIndex at, V8Outcome outcome, Phase2Failure failure) noexcept {
  result_.outcome = outcome;
  result_.failure = failure;
  result_.ended_at = at;
  state_ = State::done;
  deadline_ = kNever;
  push_kind(at, Phase2ActionKind::silence);
  push_kind(at, Phase2ActionKind::finished);
}

void Phase2Controller::on_info0(const Info0& far, SampleIndex now) noexcept {
  if (state_ != State::info0) return;
  result_.far_info0 = far;
  got_far_info0_ = true;
  far_acked_ = far_acked_ || far.acknowledge;
  if (!sending_ack_) {
    sending_ack_ = true;  // from the next frame on
    send_info0(now);
  }
  maybe_leave_info0(now);
}

void Phase2Controller::on_info0_sent(SampleIndex at, bool acknowledged) noexcept {
  if (state_ != State::info0) return;
  if (acknowledged) ++acked_frames_sent_;
  maybe_leave_info0(at);
}

void Phase2Controller::maybe_leave_info0(SampleIndex at) noexcept {
  if (!(got_far_info0_ && far_acked_ && acked_frames_sent_ >= 1)) return;
  push_kind(at, Phase2ActionKind::tone);  // tone A (answerer) or B (caller): the unmodulated carrier
  state_ = State::tone;
  tone_since_ = at;
  deadline_ = at + ms(timing_.tone_timeout_ms);
  if (far_tone_ && role_ == V8Role::answerer) deadline_ = at + ms(timing_.tone_before_reversal_ms);
}

void Phase2Controller::on_far_tone(SampleIndex now) noexcept {
  if (far_tone_ || state_ == State::done) return;
  far_tone_ = true;
  if (role_ == V8Role::answerer && state_ == State::tone) {
    deadline_ = std::max(now, tone_since_ + ms(timing_.tone_before_reversal_ms));
  }
}

void Phase2Controller::on_reversal(double instant, SampleIndex now) noexcept {
  const auto t = static_cast<SampleIndex>(std::llround(instant));
  const double turnaround = timing_.turnaround_ms * kSampleRateHz / 1000.0;
  if (role_ == V8Role::answerer) {
    if (state_ != State::ranging) return;
    // The caller's reply to our reversal (v34-phase2.md "Ranging").
    result_.rtd_ms = (instant - static_cast<double>(reversal_at_) - turnaround) * 1000.0 / kSampleRateHz;
    const SampleIndex second = std::max(now + kReversalLead, t + ms(timing_.turnaround_ms));
    Phase2Action a;
    a.at = second;
    a.kind = Phase2ActionKind::reverse_tone;
    push(a);
    probe_anchor_ = second;
    state_ = State::probe_out;
    deadline_ = second + ms(timing_.tone_after_reversal_ms);  // then the probe
    return;
  }
  // Caller.
  if (state_ == State::tone && far_tone_) {
    // The answerer's first reversal: answer it 40 ms after it arrived.
    reversal_at_ = std::max(now + kReversalLead, t + ms(timing_.turnaround_ms));
    Phase2Action a;
    a.at = reversal_at_;
    a.kind = Phase2ActionKind::reverse_tone;
    push(a);
    own_reversals_ = 1;
    state_ = State::ranging;
    deadline_ = reversal_at_ + ms(timing_.reversal_retry_ms) + ms(timing_.tone_timeout_ms);
    return;
  }
  if (state_ == State::ranging && instant > static_cast<double>(reversal_at_)) {
    // The answerer's second reversal: our round trip, then its probe follows.
    result_.rtd_ms = (instant - static_cast<double>(reversal_at_) - turnaround) * 1000.0 / kSampleRateHz;
    probe_anchor_ = t;
    push_kind(std::max(now, reversal_at_ + ms(timing_.tone_after_reversal_ms)), Phase2ActionKind::silence);
    Phase2Action a;
    a.at = t + ms(timing_.tone_after_reversal_ms) + ms(timing_.l1_ms) + kProbePeriodSamples;
    a.kind = Phase2ActionKind::analyse_probe;
    a.periods = static_cast<int>(ms(timing_.l2_ms) / kProbePeriodSamples) - 2;
    push(a);
    state_ = State::probe_in;
    deadline_ = a.at + static_cast<SampleIndex>(a.periods + 4) * kProbePeriodSamples;  // report due by then
  }
}

void Phase2Controller::on_probe_report(const ProbeReport& report, SampleIndex now) noexcept {
  if (state_ != State::probe_in && state_ != State::info1) return;
  result_.probe = report;
  result_.have_probe = report.valid;
  result_.own_decision = select_rate(report, capabilities());
  if (!report.valid) {
    finish(now, V8Outcome::failed, Phase2Failure::no_probe);
    return;
  }
  if (role_ == V8Role::caller) {
    // INFO1c: what each symbol rate could carry answer->call, as measured here.
    Info1c c;
    for (std::size_t code = 0; code < c.rates.size(); ++code) {
      const RateOption& o = result_.own_decision.best_per_rate[code];
      c.rates[code].high_carrier = o.high_carrier;
      c.rates[code].max_rate_2400bps = static_cast<std::uint8_t>(o.allowed ? o.bit_rate / kBitRateStep : 0);
    }
    c.freq_offset_0p02hz = info_freq_offset_code(report.offset_1050_hz);
    result_.info1c = c;
    // Our own probe goes out after the answerer's has passed (see the header).
    state_ = State::probe_out;
    deadline_ = std::max(now, probe_anchor_ + ms(timing_.tone_after_reversal_ms) + ms(timing_.l1_ms) +
                                  ms(timing_.l2_ms) + ms(timing_.probe_gap_ms));
    return;
  }
  if (result_.info1c) decide_answerer(now);
}

void Phase2Controller::on_info1c(const Info1c& far, SampleIndex now) noexcept {
  if (role_ != V8Role::answerer || result_.info1c) return;
  if (state_ != State::probe_out && state_ != State::probe_in && state_ != State::info1) return;
  result_.info1c = far;
  if (result_.have_probe && state_ != State::done) decide_answerer(now);
}

void Phase2Controller::decide_answerer(SampleIndex at) noexcept {
  // call->answer: this side measured it. answer->call: the caller's INFO1c.
  const RateDecision& own = result_.own_decision;
  int a2c_code = -1, a2c_rate = 0;
  const RateCapabilities caps = capabilities();
  for (int code = 0; code < kSymbolRateCount; ++code) {
    if (!caps.symbol_rate[static_cast<std::size_t>(code)]) continue;
    const int rate = result_.info1c->rates[static_cast<std::size_t>(code)].max_rate_2400bps * kBitRateStep;
    if (rate > a2c_rate || (rate == a2c_rate && rate > 0 && code < a2c_code)) {
      a2c_rate = rate;
      a2c_code = code;
    }
  }
  if (!own.usable || a2c_code < 0 || a2c_rate == 0) {
    finish(at, V8Outcome::failed, Phase2Failure::nothing_usable);
    return;
  }
  result_.call_to_answer = direction_of(own.chosen);
  const Info1cRate& block = result_.info1c->rates[static_cast<std::size_t>(a2c_code)];
  result_.answer_to_call.symbol_rate_code = a2c_code;
  result_.answer_to_call.symbol_rate_baud = symbol_rate_baud(a2c_code);
  result_.answer_to_call.high_carrier = block.high_carrier;
  result_.answer_to_call.carrier_hz = carrier_freq_hz(a2c_code, block.high_carrier);
  result_.answer_to_call.bit_rate = a2c_rate;
  Info1a a;
  a.call_to_answer_high_carrier = own.chosen.high_carrier;
  a.call_to_answer_max_rate_2400bps = static_cast<std::uint8_t>(own.chosen.bit_rate / kBitRateStep);
  a.call_to_answer_symbol_rate_code = static_cast<std::uint8_t>(own.chosen.symbol_rate_code);
  a.answer_to_call_symbol_rate_code = static_cast<std::uint8_t>(a2c_code);
  a.freq_offset_0p02hz = info_freq_offset_code(result_.probe.offset_1050_hz);
  result_.info1a = a;
  Phase2Action send;
  send.at = at;
  send.kind = Phase2ActionKind::send_info;
  send.info_kind = InfoKind::info1a;
  send.info = encode_info1a_fixed(a);
  send.count = timing_.info1a_repeats;
  push(send);
  state_ = State::info1;
  deadline_ = kNever;  // until on_tx_done
}

void Phase2Controller::on_info1a(const Info1a& far, SampleIndex now) noexcept {
  if (role_ != V8Role::caller || state_ != State::info1) return;
  result_.info1a = far;
  result_.call_to_answer.symbol_rate_code = far.call_to_answer_symbol_rate_code;
  result_.call_to_answer.symbol_rate_baud = symbol_rate_baud(far.call_to_answer_symbol_rate_code);
  result_.call_to_answer.high_carrier = far.call_to_answer_high_carrier;
  result_.call_to_answer.carrier_hz = carrier_freq_hz(far.call_to_answer_symbol_rate_code, far.call_to_answer_high_carrier);
  result_.call_to_answer.bit_rate = far.call_to_answer_max_rate_2400bps * kBitRateStep;
  // answer->call: the symbol rate the answerer named, at the rate this side measured for it.
  const RateOption& o = result_.own_decision.best_per_rate[far.answer_to_call_symbol_rate_code];
  result_.answer_to_call = direction_of(o);
  const bool usable = result_.call_to_answer.bit_rate > 0 && result_.answer_to_call.bit_rate > 0;
  finish(now, usable ? V8Outcome::connected : V8Outcome::failed,
         usable ? Phase2Failure::none : Phase2Failure::nothing_usable);
}

void Phase2Controller::on_tx_done(SampleIndex at) noexcept {
  if (role_ == V8Role::answerer) {
    if (state_ == State::probe_out) {
      // Our probe is out: the caller's arrives RTD + gap later (see the header).
      const auto rtd = static_cast<SampleIndex>(std::llround(result_.rtd_ms.value_or(0) * kSampleRateHz / 1000.0));
      Phase2Action a;
      a.at = probe_anchor_ + rtd + ms(timing_.tone_after_reversal_ms) + 2 * ms(timing_.l1_ms) + ms(timing_.l2_ms) +
             ms(timing_.probe_gap_ms) + kProbePeriodSamples;
      a.kind = Phase2ActionKind::analyse_probe;
      a.periods = static_cast<int>(ms(timing_.l2_ms) / kProbePeriodSamples) - 2;
      push(a);
      state_ = State::probe_in;
      deadline_ = a.at + ms(timing_.l2_ms) + ms(timing_.info1_wait_ms) + 2 * rtd;
      return;
    }
    if (state_ == State::info1) finish(at, V8Outcome::connected, Phase2Failure::none);
    return;
  }
  if (state_ == State::probe_out) {
    // Caller: probe sent; INFO1c until INFO1a.
    Phase2Action a;
    a.at = at;
    a.kind = Phase2ActionKind::repeat_info;
    a.info_kind = InfoKind::info1c;
    a.info = encode_info1c_fixed(*result_.info1c);
    push(a);
    state_ = State::info1;
    deadline_ = at + ms(timing_.info1a_timeout_ms);
  }
}

void Phase2Controller::on_time(SampleIndex now) noexcept {
  while (state_ != State::done && deadline_ <= now) {
    if (role_ == V8Role::answerer) {
      answerer_time(deadline_);
    } else {
      caller_time(deadline_);
    }
  }
}

void Phase2Controller::answerer_time(SampleIndex at) noexcept {
  switch (state_) {
    case State::info0:
      finish(at, V8Outcome::failed, Phase2Failure::no_info0);
      return;
    case State::tone:
      if (!far_tone_) {
        finish(at, V8Outcome::failed, Phase2Failure::no_tone);
        return;
      }
      [[fallthrough]];
    case State::ranging:
      if (result_.reversal_tries >= timing_.reversal_tries) {
        finish(at, V8Outcome::failed, Phase2Failure::no_reversal_reply);
        return;
      }
      reversal_at_ = at + kReversalLead;  // t0 (again if the reply was lost)
      push_kind(reversal_at_, Phase2ActionKind::reverse_tone);
      ++result_.reversal_tries;
      state_ = State::ranging;
      deadline_ = reversal_at_ + ms(timing_.reversal_retry_ms);
      return;
    case State::probe_out: {
      Phase2Action a;
      a.at = at;
      a.kind = Phase2ActionKind::send_probe;
      push(a);
      deadline_ = kNever;  // until on_tx_done
      return;
    }
    case State::probe_in:
    case State::info1:
      finish(at, V8Outcome::failed, result_.have_probe ? Phase2Failure::no_info1 : Phase2Failure::no_probe);
      return;
    default:
      deadline_ = kNever;
      return;
  }
}

void Phase2Controller::caller_time(SampleIndex at) noexcept {
  switch (state_) {
    case State::info0:
      finish(at, V8Outcome::failed, Phase2Failure::no_info0);
      return;
    case State::tone:
      finish(at, V8Outcome::failed, far_tone_ ? Phase2Failure::no_reversal_reply : Phase2Failure::no_tone);
      return;
    case State::ranging:
      finish(at, V8Outcome::failed, Phase2Failure::no_reversal_reply);
      return;
    case State::probe_in:
      finish(at, V8Outcome::failed, Phase2Failure::no_probe);
      return;
    case State::probe_out: {
      Phase2Action a;
      a.at = at;
      a.kind = Phase2ActionKind::send_probe;
      push(a);
      deadline_ = kNever;  // until on_tx_done
      return;
    }
    case State::info1:
      finish(at, V8Outcome::failed, Phase2Failure::no_info1);
      return;
    default:
      deadline_ = kNever;
      return;
  }
}

}  // namespace squeal
