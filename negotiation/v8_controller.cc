#include "negotiation/v8_controller.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace squeal {

std::string_view role_name(V8Role r) noexcept { return r == V8Role::caller ? "caller" : "answerer"; }

std::string_view action_name(V8ActionKind k) noexcept {
  switch (k) {
    case V8ActionKind::silence: return "silence";
    case V8ActionKind::answer_tone: return "answer_tone";
    case V8ActionKind::repeat_message: return "repeat_message";
    case V8ActionKind::cj_after_octet: return "cj_after_octet";
    case V8ActionKind::stop_after_octet: return "stop_after_octet";
    case V8ActionKind::finished: return "finished";
  }
  return "?";
}

std::string_view outcome_name(V8Outcome o) noexcept {
  switch (o) {
    case V8Outcome::pending: return "pending";
    case V8Outcome::connected: return "connected";
    case V8Outcome::failed: return "failed";
    case V8Outcome::non_v8: return "non_v8";
  }
  return "?";
}

std::string_view failure_name(V8Failure f) noexcept {
  switch (f) {
    case V8Failure::none: return "none";
    case V8Failure::no_answer_tone: return "no_answer_tone";
    case V8Failure::answer_tone_no_am: return "answer_tone_no_am";
    case V8Failure::no_jm: return "no_jm";
    case V8Failure::no_cm: return "no_cm";
    case V8Failure::no_cj: return "no_cj";
    case V8Failure::nothing_in_common: return "nothing_in_common";
    case V8Failure::peer_misbehaves: return "peer_misbehaves";
  }
  return "?";
}

std::string_view failure_description(V8Failure f) noexcept {
  switch (f) {
    case V8Failure::none: return "";
    case V8Failure::no_answer_tone: return "no answer tone (ANSam) was heard before the time-out";
    case V8Failure::answer_tone_no_am:
      return "the answerer sent ANS without amplitude modulation: not a V.8 modem (V.25 start-up needed)";
    case V8Failure::no_jm: return "no two identical JMs arrived in answer to CM before the time-out";
    case V8Failure::no_cm:
      return "no two identical CMs during or after ANSam: the caller is not a V.8 modem; fell back to V.25 ANS";
    case V8Failure::no_cj: return "JM was sent but no CJ arrived before the time-out";
    case V8Failure::nothing_in_common: return "the joint menu names no modulation both modems support";
    case V8Failure::peer_misbehaves: return "the JM offers only modulations the CM never offered";
  }
  return "";
}

V8Controller::V8Controller(V8Role role, const V8Menu& menu, const V8Timing& timing)
    : role_(role), menu_(menu), timing_(timing) {
  const std::pair<const char*, double> checks[] = {
      {"initial_silence_ms", timing.initial_silence_ms}, {"ansam_ms", timing.ansam_ms},
      {"cm_wait_after_ansam_ms", timing.cm_wait_after_ansam_ms}, {"fallback_ans_ms", timing.fallback_ans_ms},
      {"te_ms", timing.te_ms}, {"answer_tone_timeout_ms", timing.answer_tone_timeout_ms},
      {"jm_timeout_ms", timing.jm_timeout_ms}, {"cj_timeout_ms", timing.cj_timeout_ms},
      {"silence_after_ms", timing.silence_after_ms}, {"silence_before_jm_ms", timing.silence_before_jm_ms},
      {"cj_silence_ms", timing.cj_silence_ms}};
  for (const auto& [name, v] : checks) {
    if (!(v >= 0 && v <= 600000)) {
      throw std::invalid_argument(std::string("V.8 timing ") + name + " = " + std::to_string(v) +
                                  " ms: must be 0..600000");
    }
  }
  result_.own_menu = menu;
}

SampleIndex V8Controller::ms(double v) const noexcept {
  return static_cast<SampleIndex>(std::llround(v * kSampleRateHz / 1000.0));
}

std::string_view V8Controller::state_name() const noexcept {
  switch (state_) {
    case State::idle: return "idle";
    case State::initial_silence: return "initial_silence";
    case State::ansam: return "ansam";
    case State::fallback: return "fallback";
    case State::silence_before_jm: return "silence_before_jm";
    case State::jm: return "jm";
    case State::ending: return "ending";
    case State::wait_answer_tone: return "wait_answer_tone";
    case State::te_wait: return "te_wait";
    case State::cm: return "cm";
    case State::cj: return "cj";
    case State::done: return "done";
  }
  return "?";
}

void V8Controller::push(const V8Action& a) noexcept {
  if (action_count_ == kMaxActions) return;  // cannot happen: at most three per step
  actions_[(action_head_ + action_count_) % kMaxActions] = a;
  ++action_count_;
}

void V8Controller::push_kind(SampleIndex at, V8ActionKind kind) noexcept {
  V8Action a;
  a.at = at;
  a.kind = kind;
  push(a);
}

bool V8Controller::pop_action(V8Action& out) noexcept {
  if (action_count_ == 0) return false;
  out = actions_[action_head_];
  action_head_ = (action_head_ + 1) % kMaxActions;
  --action_count_;
  return true;
}

void V8Controller::start(SampleIndex now) noexcept {
  push_kind(now, V8ActionKind::silence);
  state_since_ = now;
  if (role_ == V8Role::answerer) {
    state_ = State::initial_silence;  // V.8 §8.2.1: >= 200 ms before ANSam
    deadline_ = now + ms(timing_.initial_silence_ms);
  } else {
    state_ = State::wait_answer_tone;
    deadline_ = now + ms(timing_.answer_tone_timeout_ms);
  }
}

void V8Controller::finish(SampleIndex at, V8Outcome outcome, V8Failure failure) noexcept {
  result_.outcome = outcome;
  result_.failure = failure;
  result_.ended_at = at;
  if (outcome == V8Outcome::connected) result_.mode = pending_mode_;
  state_ = State::done;
  deadline_ = kNever;
  push_kind(at, V8ActionKind::finished);
}

void V8Controller::connect_or_fail(SampleIndex at) noexcept {
  if (pending_failure_ != V8Failure::none) {
    finish(at, V8Outcome::failed, pending_failure_);
  } else {
    finish(at, V8Outcome::connected, V8Failure::none);
  }
}

bool V8Controller::second_identical(const V8Message& m, const V8Frame& frame) noexcept {
  (void)m;
  const auto octets = frame.view();
  const bool same = have_last_ && std::equal(octets.begin(), octets.end(), last_octets_.view().begin(),
                                             last_octets_.view().end());
  last_octets_ = V8Octets{};
  last_octets_.append(octets);
  have_last_ = true;
  return same;
}

void V8Controller::on_event(const Event& e, SampleIndex now) noexcept {
  if (role_ != V8Role::caller) return;
  const bool am = e.signal == Signal::ansam || e.signal == Signal::ansam_pr;
  if (e.edge == Edge::off && am && result_.answer_tone != Signal::tone) {
    result_.answer_tone = e.signal;  // the whole tone's verdict (reversals come after the on event)
    return;
  }
  if (state_ != State::wait_answer_tone || e.edge != Edge::on) return;
  switch (e.signal) {
    case Signal::ansam:
    case Signal::ansam_pr:
      // V.8 §8.1.2: on ANSam, wait Te then send CM.
      result_.answer_tone = e.signal;
      state_ = State::te_wait;
      state_since_ = now;
      deadline_ = now + ms(timing_.te_ms);
      break;
    case Signal::ans:
    case Signal::ans_pr:
      // An answer tone without AM: a V.25 answerer, which no CM will wake.
      result_.answer_tone = e.signal;
      finish(now, V8Outcome::non_v8, V8Failure::answer_tone_no_am);
      break;
    default:
      break;
  }
}

void V8Controller::on_message(const V8Message& m, const V8Frame& frame, SampleIndex now) noexcept {
  if (state_ == State::done || state_ == State::idle) return;
  ++result_.frames_heard;
  if (!m.ok()) {
    ++result_.frames_damaged;  // not acted on as a menu (V.8: only whole, valid frames count)
    // But a frame that runs into two zero octets is the caller's CJ with a
    // bit hit by noise: no category octet of a CM is zero (V.8 §7).
    const auto o = frame.view();
    const bool cj_like = frame.kind == V8FrameKind::cj ||
                         (o.size() >= 2 && o[o.size() - 1] == 0 && o[o.size() - 2] == 0);
    if (role_ == V8Role::answerer && cj_like && (state_ == State::jm || state_ == State::silence_before_jm)) {
      result_.cj_inferred = true;
      V8Message cj = m;
      cj.type = V8MessageType::cj;
      cj.frame_status = V8FrameStatus::ok;
      cj.parse_status = V8ParseStatus::ok;
      answerer_message(cj, frame, now);
    }
    return;
  }
  if (role_ == V8Role::answerer) {
    answerer_message(m, frame, now);
  } else {
    caller_message(m, frame, now);
  }
}

void V8Controller::answerer_message(const V8Message& m, const V8Frame& frame, SampleIndex now) noexcept {
  switch (state_) {
    case State::initial_silence:
    case State::ansam:
    case State::fallback:
      if (m.type != V8MessageType::cm) return;  // CI and V.92 frames: nothing to do
      if (!second_identical(m, frame)) return;
      // V.8 §8.2.3: two identical CMs: stop ANSam, silence, JM with the common modes.
      result_.far_menu = m.menu;
      result_.heard_far_menu = true;
      result_.joint = joint_menu(m.menu, menu_);
      pending_mode_ = preferred_modulation(result_.joint);
      if (!pending_mode_) pending_failure_ = V8Failure::nothing_in_common;
      push_kind(now, V8ActionKind::silence);
      state_ = State::silence_before_jm;
      state_since_ = now;
      deadline_ = now + ms(timing_.silence_before_jm_ms);
      return;
    case State::silence_before_jm:
    case State::jm:
      if (m.type != V8MessageType::cj) return;  // further CMs until the caller hears JM
      // V.8 §8.2.4: on CJ, end JM after the octet in flight.
      push_kind(now, V8ActionKind::stop_after_octet);
      state_ = State::ending;
      state_since_ = now;
      deadline_ = kNever;  // until on_tx_done
      return;
    default:
      return;
  }
}

void V8Controller::caller_message(const V8Message& m, const V8Frame& frame, SampleIndex now) noexcept {
  if (state_ != State::cm || m.type != V8MessageType::jm) return;
  if (!second_identical(m, frame)) return;
  // V.8 §8.1.3: two identical JMs: CJ after the CM octet in flight.
  result_.far_menu = m.menu;
  result_.heard_far_menu = true;
  result_.joint = m.menu;
  result_.joint.modulations = m.menu.modulations & menu_.modulations;
  pending_mode_ = preferred_modulation(result_.joint);
  if (!pending_mode_) {
    pending_failure_ = m.menu.modulations.empty() ? V8Failure::nothing_in_common : V8Failure::peer_misbehaves;
  }
  push_kind(now, V8ActionKind::cj_after_octet);
  state_ = State::cj;
  state_since_ = now;
  deadline_ = kNever;  // until on_tx_done
}

void V8Controller::on_carrier(bool present, SampleIndex at) noexcept {
  carrier_ = present;
  if (role_ != V8Role::answerer || (state_ != State::jm && state_ != State::silence_before_jm)) return;
  if (present) {
    carrier_seen_in_jm_ = true;
    cj_deadline_ = kNever;
  } else if (carrier_seen_in_jm_) {
    cj_deadline_ = at + ms(timing_.cj_silence_ms);
  }
  if (state_ == State::jm) deadline_ = std::min(state_since_ + ms(timing_.cj_timeout_ms), cj_deadline_);
}

void V8Controller::on_tx_done(SampleIndex at) noexcept {
  if (state_ == State::ending || state_ == State::cj) {
    deadline_ = at + ms(timing_.silence_after_ms);  // V.8 §8: 75 ±5 ms silence
  }
}

void V8Controller::on_time(SampleIndex now) noexcept {
  // Several deadlines may have passed in one step: handle them in order.
  while (state_ != State::done && deadline_ <= now) {
    if (role_ == V8Role::answerer) {
      answerer_time(deadline_);
    } else {
      caller_time(deadline_);
    }
  }
}

void V8Controller::answerer_time(SampleIndex at) noexcept {
  switch (state_) {
    case State::initial_silence: {
      V8Action a;
      a.at = at;
      a.kind = V8ActionKind::answer_tone;
      a.tone = Signal::ansam_pr;  // V.8 §8.2.1: ANSam/ (echo cancellers disabled)
      push(a);
      state_ = State::ansam;
      state_since_ = at;
      ansam_end_ = at + ms(timing_.ansam_ms);
      deadline_ = ansam_end_;
      return;
    }
    case State::ansam: {
      // ANSam over with no CM: a non-V.8 caller. V.25 ANS, keep listening.
      V8Action a;
      a.at = at;
      a.kind = V8ActionKind::answer_tone;
      a.tone = Signal::ans;
      push(a);
      state_ = State::fallback;
      state_since_ = at;
      deadline_ = at + std::min(ms(timing_.fallback_ans_ms), ms(timing_.cm_wait_after_ansam_ms));
      return;
    }
    case State::fallback:
      if (at < ansam_end_ + ms(timing_.cm_wait_after_ansam_ms)) {
        push_kind(at, V8ActionKind::silence);  // ANS done; still listening
        deadline_ = ansam_end_ + ms(timing_.cm_wait_after_ansam_ms);
        return;
      }
      push_kind(at, V8ActionKind::silence);
      finish(at, V8Outcome::non_v8, V8Failure::no_cm);
      return;
    case State::silence_before_jm: {
      V8Action a;
      a.at = at;
      a.kind = V8ActionKind::repeat_message;
      a.message = V8MessageType::jm;
      a.menu = result_.joint;
      push(a);
      state_ = State::jm;
      state_since_ = at;
      if (carrier_) carrier_seen_in_jm_ = true;
      deadline_ = std::min(at + ms(timing_.cj_timeout_ms), cj_deadline_);
      return;
    }
    case State::jm:
      if (at >= cj_deadline_) {
        // The caller stopped sending after CM: it sent CJ, which noise took.
        result_.cj_inferred = true;
        push_kind(at, V8ActionKind::stop_after_octet);
        state_ = State::ending;
        state_since_ = at;
        deadline_ = kNever;
        return;
      }
      push_kind(at, V8ActionKind::silence);
      finish(at, V8Outcome::failed, V8Failure::no_cj);
      return;
    case State::ending:
      connect_or_fail(at);
      return;
    default:
      deadline_ = kNever;
      return;
  }
}

void V8Controller::caller_time(SampleIndex at) noexcept {
  switch (state_) {
    case State::wait_answer_tone:
      finish(at, V8Outcome::failed, V8Failure::no_answer_tone);
      return;
    case State::te_wait: {
      V8Action a;
      a.at = at;
      a.kind = V8ActionKind::repeat_message;
      a.message = V8MessageType::cm;
      a.menu = menu_;
      push(a);
      state_ = State::cm;
      state_since_ = at;
      deadline_ = at + ms(timing_.jm_timeout_ms);
      return;
    }
    case State::cm:
      push_kind(at, V8ActionKind::silence);
      finish(at, V8Outcome::failed, V8Failure::no_jm);
      return;
    case State::cj:
      connect_or_fail(at);
      return;
    default:
      deadline_ = kNever;
      return;
  }
}

}  // namespace squeal
