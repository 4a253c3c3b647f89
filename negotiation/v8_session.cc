#include "negotiation/v8_session.h"

#include <algorithm>

namespace squeal {

namespace {

AnsamDetectorConfig caller_ansam_config() {
  AnsamDetectorConfig c;
  c.min_duration_ms = 400;  // 400 ms of tone before deciding ANSam vs ANS: two AM fits' worth
  return c;
}

V21DemodulatorConfig demod_config(const V8SessionConfig& c) {
  V21DemodulatorConfig d;
  d.channel = c.role == V8Role::caller ? 2 : 1;  // hear the peer's channel (V.8 §5)
  d.on_level_dbm0 = c.fsk_on_level_dbm0;
  d.off_level_dbm0 = c.fsk_on_level_dbm0 - 3;
  return d;
}

V21ModulatorConfig mod_config(const V8SessionConfig& c) {
  V21ModulatorConfig m;
  m.channel = c.role == V8Role::caller ? 1 : 2;
  m.level_dbm0 = c.fsk_level_dbm0;
  return m;
}

void push_framed(V21Modulator& m, std::uint8_t octet) noexcept {
  m.push(false);                                        // start bit
  for (int i = 0; i < 8; ++i) m.push(((octet >> i) & 1u) != 0);  // LSB first
  m.push(true);                                         // stop bit
}

}  // namespace

V8Session::V8Session(const V8SessionConfig& config)
    : config_(config),
      controller_(config.role, config.menu, config.timing),
      ansam_(caller_ansam_config()),
      demod_(demod_config(config)),
      ansam_pr_gen_(answer_tone_config(config.answer_tone_level_dbm0, true, true)),
      ansam_gen_(answer_tone_config(config.answer_tone_level_dbm0, true, false)),
      ans_gen_(answer_tone_config(config.answer_tone_level_dbm0, false, false)),
      modulator_(mod_config(config)) {
  trace_.reserve(kTraceCapacity);
  controller_.start(0);
  generate_tick(0);
}

void V8Session::process(std::span<const float> rx, std::span<float> tx) noexcept {
  ticks_.exchange(rx, tx, position_, [this](SampleIndex end) {
    on_rx_tick(end);
    generate_tick(end);
  });
}

// ---------------------------------------------------------------------------
// Receive

void V8Session::on_rx_tick(SampleIndex now) noexcept {
  if (controller_.finished()) return;
  if (config_.role == V8Role::caller && !ansam_done_) {
    ansam_.process(ticks_.rx(), events_);
    Event e;
    while (events_.pop(e)) {
      if (e.edge == Edge::on) {
        if (V8TraceEntry* t = add_trace()) {
          t->sent = false;
          t->is_tone = true;
          t->tone = e.signal;
          t->start = e.sample;
          t->level_dbm0 = e.level_dbm0;
          open_heard_tone_ = static_cast<std::ptrdiff_t>(trace_.size()) - 1;
        }
      } else if (e.edge == Edge::off) {
        if (open_heard_tone_ >= 0) {
          V8TraceEntry& t = trace_[static_cast<std::size_t>(open_heard_tone_)];
          t.end = e.sample;
          t.tone = e.signal;  // the whole tone's classification
          open_heard_tone_ = -1;
        }
        ansam_done_ = true;  // the answer tone has been heard out
      }
      controller_.on_event(e, now);
    }
  }
  if (!controller_.wants_messages()) return;
  if (!demod_running_) {
    // The receiver starts listening now; its sample 0 is this tick's first.
    demod_running_ = true;
    demod_origin_ = now - static_cast<SampleIndex>(kTick);
  }
  demod_.process(ticks_.rx());
  if (demod_.carrier_present() != peer_carrier_) {
    peer_carrier_ = demod_.carrier_present();
    controller_.on_carrier(peer_carrier_, now);
  }
  V21Bit bit;
  while (demod_.pop(bit)) {
    if (bit.after_gap) receiver_.flush();  // carrier came back: a new transmission
    receiver_.push(bit.bit != 0, demod_origin_ + bit.stamp);
  }
  V8Frame frame;
  while (receiver_.pop(frame)) handle_frame(frame, now);
}

void V8Session::handle_frame(const V8Frame& frame, SampleIndex now) noexcept {
  const V8Message message = decode_frame(frame, config_.role == V8Role::caller);
  if (V8TraceEntry* t = add_trace()) {
    t->sent = false;
    t->message = message;
    t->octets.append(frame.view());
    t->start = frame.start_stamp;
    t->end = frame.end_stamp + 14;  // the stamp is the last bit's centre
  }
  controller_.on_message(message, frame, now);
}

// ---------------------------------------------------------------------------
// Transmit

void V8Session::drain_actions(SampleIndex at) noexcept {
  if (!controller_.has_actions()) return;
  V8Action a;
  while (controller_.pop_action(a)) {
    if (a.at <= at) {
      apply(a, at);
    } else if (pending_count_ < pending_.size()) {
      // Keep pending_ sorted by time (a handful of entries at most).
      std::size_t j = pending_count_++;
      while (j > 0 && pending_[j - 1].at > a.at) {
        pending_[j] = pending_[j - 1];
        --j;
      }
      pending_[j] = a;
    }
  }
}

void V8Session::generate_tick(SampleIndex t0) noexcept {
  drain_actions(t0);
  const SampleIndex end = t0 + static_cast<SampleIndex>(kTick);
  SampleIndex pos = t0;
  while (pos < end) {
    if (controller_.next_deadline() <= pos) {
      controller_.on_time(pos);
      drain_actions(pos);
    }
    while (pending_count_ > 0 && pending_[0].at <= pos) {
      const V8Action a = pending_[0];
      std::copy(pending_.begin() + 1, pending_.begin() + static_cast<std::ptrdiff_t>(pending_count_), pending_.begin());
      --pending_count_;
      apply(a, pos);
    }
    SampleIndex next = std::min(end, controller_.next_deadline());
    if (pending_count_ > 0) next = std::min(next, pending_[0].at);
    if (mode_ == TxMode::fsk) {
      if (modulator_.queued() == 0 && !refill_fsk(pos)) continue;  // mode changed; go round
      next = std::min(next, fsk_drain_sample());
    }
    const auto from = static_cast<std::size_t>(pos - t0);
    const auto count = static_cast<std::size_t>(next - pos);
    const std::span<float> out(ticks_.tx().data() + from, count);
    switch (mode_) {
      case TxMode::silent: std::fill(out.begin(), out.end(), 0.0f); break;
      case TxMode::tone: tone_gen_->generate(out); break;
      case TxMode::fsk: modulator_.generate(out); break;
    }
    pos = next;
  }
}

void V8Session::apply(const V8Action& a, SampleIndex at) noexcept {
  switch (a.kind) {
    case V8ActionKind::silence:
    case V8ActionKind::finished:
      close_sent(at);
      mode_ = TxMode::silent;
      return;
    case V8ActionKind::answer_tone: {
      close_sent(at);
      tone_gen_ = a.tone == Signal::ansam_pr ? &ansam_pr_gen_ : a.tone == Signal::ansam ? &ansam_gen_ : &ans_gen_;
      tone_gen_->reset();
      mode_ = TxMode::tone;
      if (V8TraceEntry* t = add_trace()) {
        t->is_tone = true;
        t->tone = a.tone;
        t->start = at;
        t->level_dbm0 = static_cast<float>(config_.answer_tone_level_dbm0);
        open_sent_ = static_cast<std::ptrdiff_t>(trace_.size()) - 1;
      }
      return;
    }
    case V8ActionKind::repeat_message: {
      close_sent(at);
      tx_frame_ = V8Octets{};
      tx_frame_.push_back(kV8SyncCmJm);  // CM and JM share the sync (V.8 §5)
      const V8Octets body = encode_menu_octets_fixed(a.menu);
      tx_frame_.append(body.view());
      tx_preamble_ = true;
      tx_repeat_ = true;
      tx_unit_ = 0;
      tx_stop_ = tx_cj_ = false;
      modulator_.reset();
      fsk_origin_ = at;
      mode_ = TxMode::fsk;
      if (V8TraceEntry* t = add_trace()) {
        t->message.type = a.message;
        t->message.menu = a.menu;
        t->octets = body;
        t->start = at;
        open_sent_ = static_cast<std::ptrdiff_t>(trace_.size()) - 1;
      }
      return;
    }
    case V8ActionKind::cj_after_octet:
    case V8ActionKind::stop_after_octet:
      tx_cj_ = a.kind == V8ActionKind::cj_after_octet;
      if (mode_ == TxMode::fsk) {
        tx_stop_ = true;  // takes effect when the unit in flight has gone
      } else if (tx_cj_) {
        close_sent(at);
        modulator_.reset();
        fsk_origin_ = at;
        mode_ = TxMode::fsk;
        tx_stop_ = true;  // refill_fsk loads CJ straight away
      } else {
        controller_.on_tx_done(at);
      }
      return;
  }
}

bool V8Session::refill_fsk(SampleIndex at) noexcept {
  // Never end right after a preamble: ten 1 bits followed by CJ's first zero
  // octet read as a CI preamble + sync (0x803FF) and CJ would be lost. Send
  // the sync octet first, as spandsp's caller does.
  const bool after_preamble = tx_preamble_ && tx_unit_ == 1;
  if (tx_stop_ && !after_preamble) {
    tx_stop_ = false;
    if (tx_cj_) {
      // V.8 §8.1.3: CJ, three framed zero octets, no preamble.
      tx_cj_ = false;
      close_sent(at);
      tx_frame_ = V8Octets{};
      for (int i = 0; i < 3; ++i) tx_frame_.push_back(0);
      tx_preamble_ = false;
      tx_repeat_ = false;
      tx_unit_ = 0;
      if (V8TraceEntry* t = add_trace()) {
        t->message.type = V8MessageType::cj;
        t->start = at;
        open_sent_ = static_cast<std::ptrdiff_t>(trace_.size()) - 1;
      }
    } else {
      tx_unit_ = tx_frame_.size + 1;  // nothing more
      tx_repeat_ = false;
    }
  }
  const std::size_t units = (tx_preamble_ ? 1 : 0) + tx_frame_.size;
  if (tx_unit_ >= units) {
    if (!tx_repeat_) {
      mode_ = TxMode::silent;
      close_sent(at);
      controller_.on_tx_done(at);
      drain_actions(at);
      return false;
    }
    tx_unit_ = 0;
    if (open_sent_ >= 0) ++trace_[static_cast<std::size_t>(open_sent_)].count;
  }
  const std::size_t unit = tx_unit_++;
  if (tx_preamble_ && unit == 0) {
    for (int i = 0; i < kV8PreambleBits; ++i) modulator_.push(true);  // V.8 §5: ten 1 bits
  } else {
    push_framed(modulator_, tx_frame_.data[unit - (tx_preamble_ ? 1 : 0)]);
  }
  return true;
}

SampleIndex V8Session::fsk_drain_sample() const noexcept {
  return fsk_origin_ + modulator_.bit_start(modulator_.bits_started() + static_cast<std::int64_t>(modulator_.queued()));
}

void V8Session::close_sent(SampleIndex at) noexcept {
  if (open_sent_ < 0) return;
  trace_[static_cast<std::size_t>(open_sent_)].end = at;
  open_sent_ = -1;
}

V8TraceEntry* V8Session::add_trace() noexcept {
  if (trace_.size() == trace_.capacity()) {
    ++trace_dropped_;
    return nullptr;
  }
  trace_.emplace_back();  // within the reserved capacity: no allocation
  return &trace_.back();
}

}  // namespace squeal
