#include "negotiation/phase2_session.h"

#include <algorithm>
#include <cmath>

#include "dsp/levels.h"
#include "dsp/tone_generator.h"

namespace squeal {

namespace {

constexpr double kSamplesPerSymbol = kSampleRate / kDpskSymbolRate;  // T = 13.33
constexpr int kToneZeroRun = 30;  // symbols without a phase change (50 ms) that make a tone

int own_carrier(V8Role r) { return r == V8Role::caller ? 1200 : 2400; }
int far_carrier(V8Role r) { return r == V8Role::caller ? 2400 : 1200; }

std::uint32_t phase_step(double hz) {
  return static_cast<std::uint32_t>(std::llround(hz / kSampleRate * 4294967296.0));
}

LineProbeAnalyzerConfig analyzer_config(const Phase2Timing& t) {
  LineProbeAnalyzerConfig c;
  c.start_sample = SampleIndex{1} << 40;  // nothing until start_at()
  c.max_periods = std::max(4, static_cast<int>(std::llround(t.l2_ms * 8)) / kProbePeriodSamples - 2);
  return c;
}

LineProbeGeneratorConfig probe_config(const Phase2SessionConfig& c) {
  LineProbeGeneratorConfig p;
  p.level_dbm0 = c.level_dbm0;
  p.l1_samples = std::llround(c.timing.l1_ms * 8);
  p.l2_samples = std::llround(c.timing.l2_ms * 8);
  return p;
}

DpskModulatorConfig modulator_config(const Phase2SessionConfig& c) {
  DpskModulatorConfig m;
  m.carrier_hz = own_carrier(c.role);
  m.level_dbm0 = c.level_dbm0;
  m.guard_tone = c.role == V8Role::answerer;
  return m;
}

}  // namespace

Info0 full_info0() noexcept {
  Info0 i;
  i.supports_2743_baud = i.supports_2800_baud = i.supports_3429_baud = i.allows_3429_baud = true;
  i.constellation_1664 = true;
  return i;
}

Phase2Session::Phase2Session(const Phase2SessionConfig& config)
    : config_(config),
      controller_(config.role, config.info0, config.timing),
      start_(0),
      position_(0),
      demod_(DpskDemodulatorConfig{.carrier_hz = far_carrier(config.role)}),
      info_rx_(InfoKind::info0),
      analyzer_(analyzer_config(config.timing)),
      modulator_(modulator_config(config)),
      probe_(probe_config(config)) {
  const int carrier = own_carrier(config.role);
  tone_inc_ = phase_step(carrier);
  tone_amp_ = static_cast<float>(dbm0_to_amplitude(dpsk_carrier_level_dbm0(carrier, config.level_dbm0)));
  if (config.role == V8Role::answerer) {
    guard_inc_ = phase_step(kDpskGuardToneHz);
    guard_amp_ = static_cast<float>(dbm0_to_amplitude(config.level_dbm0 + kDpskGuardToneDb));
  }
}

Phase2Session::Phase2Session(const Phase2SessionConfig& config, SampleIndex start) : Phase2Session(config) {
  begin(start);
}

void Phase2Session::begin(SampleIndex start) noexcept {
  controller_ = Phase2Controller(config_.role, config_.info0, config_.timing);  // validated at construction: cannot throw
  start_ = position_ = start;
  demod_.reset();
  info_rx_.reset();
  info_rx_.set_expected(InfoKind::info0);
  analyzer_.reset();
  analyzer_.start_at(SampleIndex{1} << 40);
  analysing_ = false;
  zero_run_ = 0;
  far_tone_reported_ = false;
  info_frames_ = info_damaged_ = 0;
  ticks_.reset();
  modulator_.reset();
  mod_origin_ = start;
  probe_.reset();
  mode_ = TxMode::silent;
  have_next_ = repeat_ = false;
  frames_left_ = 0;
  frame_end_ = -1;
  tone_phase_ = guard_phase_ = 0;
  tone_sign_ = 1;
  reversal_at_ = -1;
  pending_count_ = 0;
  begun_ = true;
  controller_.start(start);
  generate_tick(start);
}

void Phase2Session::process(std::span<const float> rx, std::span<float> tx) noexcept {
  ticks_.exchange(rx, tx, position_, [this](SampleIndex end) {
    on_rx_tick(end);
    generate_tick(end);
  });
}

// ---------------------------------------------------------------------------
// Receive

void Phase2Session::on_rx_tick(SampleIndex now) noexcept {
  if (controller_.finished()) return;
  demod_.process(ticks_.rx());
  analyzer_.process(ticks_.rx());
  const InfoKinds expected = controller_.expected_info();
  info_rx_.set_expected(expected);
  DpskBit bit;
  while (demod_.pop(bit)) {
    if (bit.after_gap) {
      info_rx_.flush();
      zero_run_ = 0;
    }
    if (expected.mask != 0) info_rx_.push(bit.bit != 0, start_ + bit.stamp);
    zero_run_ = bit.bit != 0 ? 0 : zero_run_ + 1;
    if (zero_run_ >= kToneZeroRun && !far_tone_reported_ && controller_.wants_tone()) {
      far_tone_reported_ = true;  // the far modem's tone A/B
      controller_.on_far_tone(now);
    }
  }
  InfoFrame frame;
  while (info_rx_.pop(frame)) {
    if (!frame.crc_ok) {
      ++info_damaged_;  // never acted on
      continue;
    }
    ++info_frames_;
    switch (frame.kind) {
      case InfoKind::info0:
        if (auto d = decode_info0(frame); d.info) controller_.on_info0(*d.info, now);
        break;
      case InfoKind::info1c:
        if (auto d = decode_info1c(frame); d.info) controller_.on_info1c(*d.info, now);
        break;
      case InfoKind::info1a:
        if (auto d = decode_info1a(frame); d.info) controller_.on_info1a(*d.info, now);
        break;
    }
  }
  DpskReversal rev;
  while (demod_.pop_reversal(rev)) {
    if (far_tone_reported_ && controller_.wants_tone()) {
      controller_.on_reversal(static_cast<double>(start_) + rev.instant, now);
    }
  }
  if (analysing_ && now >= analysis_end_) {
    analysing_ = false;
    controller_.on_probe_report(analyzer_.report(), now);
  }
}

// ---------------------------------------------------------------------------
// Transmit

void Phase2Session::drain_actions(SampleIndex at) noexcept {
  Phase2Action a;
  while (controller_.pop_action(a)) {
    // A reversal's ramp starts half a symbol before its instant.
    const SampleIndex due = a.kind == Phase2ActionKind::reverse_tone ? a.at - 7 : a.at;
    if (due <= at) {
      apply(a, at);
    } else if (pending_count_ < pending_.size()) {
      std::size_t j = pending_count_++;
      while (j > 0 && pending_[j - 1].at > a.at) {
        pending_[j] = pending_[j - 1];
        --j;
      }
      pending_[j] = a;
    }
  }
}

SampleIndex Phase2Session::next_commit() const noexcept {
  return mod_origin_ + modulator_.bit_start(modulator_.bits_started() + static_cast<std::int64_t>(modulator_.queued())) -
         DpskModulator::kCommitLead;
}

void Phase2Session::push_frame(SampleIndex /*at*/) noexcept {
  if (have_next_) {
    frame_ = next_frame_;
    have_next_ = false;
  }
  frame_ack_ = frame_kind_ == InfoKind::info0 && frame_.size > 28 && frame_.data[28] != 0;
  const std::int64_t first = modulator_.bits_started() + static_cast<std::int64_t>(modulator_.queued());
  modulator_.push_bits(frame_.view());
  frame_end_ = mod_origin_ + modulator_.bit_start(first + static_cast<std::int64_t>(frame_.size));
}

void Phase2Session::apply(const Phase2Action& a, SampleIndex at) noexcept {
  switch (a.kind) {
    case Phase2ActionKind::silence:
    case Phase2ActionKind::finished:
      mode_ = TxMode::silent;
      repeat_ = false;
      frames_left_ = 0;
      return;
    case Phase2ActionKind::repeat_info:
    case Phase2ActionKind::send_info:
      if (mode_ == TxMode::info && repeat_ && a.kind == Phase2ActionKind::repeat_info && a.info_kind == frame_kind_) {
        next_frame_ = a.info;  // from the next frame boundary
        have_next_ = true;
        return;
      }
      if (mode_ != TxMode::info) {
        modulator_.reset();
        mod_origin_ = at;
        frame_end_ = -1;
      }
      frame_ = a.info;
      frame_kind_ = a.info_kind;
      have_next_ = false;
      repeat_ = a.kind == Phase2ActionKind::repeat_info;
      frames_left_ = repeat_ ? 0 : a.count;
      mode_ = TxMode::info;
      return;
    case Phase2ActionKind::tone:
      mode_ = TxMode::tone;
      repeat_ = false;
      frames_left_ = 0;
      tone_sign_ = 1;
      reversal_at_ = -1;
      return;
    case Phase2ActionKind::reverse_tone:
      reversal_at_ = a.at;  // the exact instant; the ramp is centred on it
      return;
    case Phase2ActionKind::send_probe:
      probe_.reset();
      probe_end_ = at + probe_.length_samples();
      mode_ = TxMode::probe;
      return;
    case Phase2ActionKind::analyse_probe:
      analyzer_.start_at(a.at - start_);
      analysing_ = true;
      analysis_end_ = a.at + static_cast<SampleIndex>(a.periods) * kProbePeriodSamples;
      return;
  }
}

void Phase2Session::tone_generate(std::span<float> out, SampleIndex first) noexcept {
  const double half = kSamplesPerSymbol / 2;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const SampleIndex n = first + static_cast<SampleIndex>(i);
    float env = tone_sign_;
    if (reversal_at_ >= 0) {
      const double d = static_cast<double>(n - reversal_at_);
      if (d >= half) {
        tone_sign_ = -tone_sign_;  // the reversal is over
        env = tone_sign_;
        reversal_at_ = -1;
      } else if (d > -half) {
        // The modulator's ramp: the envelope passes through zero at the instant.
        const double r = (1 + std::sin(3.14159265358979323846 * d / kSamplesPerSymbol)) / 2;
        env = static_cast<float>(tone_sign_ * (1 - 2 * r));
      }
    }
    out[i] = tone_amp_ * env * table_sine(tone_phase_) + guard_amp_ * table_sine(guard_phase_);
    tone_phase_ += tone_inc_;
    guard_phase_ += guard_inc_;
  }
}

void Phase2Session::generate_tick(SampleIndex t0) noexcept {
  drain_actions(t0);
  const SampleIndex end = t0 + static_cast<SampleIndex>(kTick);
  SampleIndex pos = t0;
  while (pos < end) {
    if (controller_.next_deadline() <= pos) {
      controller_.on_time(pos);
      drain_actions(pos);
    }
    while (pending_count_ > 0) {
      const Phase2Action& first = pending_[0];
      const SampleIndex due = first.kind == Phase2ActionKind::reverse_tone ? first.at - 7 : first.at;
      if (due > pos) break;
      const Phase2Action a = first;
      std::copy(pending_.begin() + 1, pending_.begin() + static_cast<std::ptrdiff_t>(pending_count_), pending_.begin());
      --pending_count_;
      apply(a, pos);
    }
    SampleIndex next = std::min(end, controller_.next_deadline());
    if (pending_count_ > 0) {
      const Phase2Action& first = pending_[0];
      next = std::min(next, first.kind == Phase2ActionKind::reverse_tone ? first.at - 7 : first.at);
    }
    if (mode_ == TxMode::info) {
      const bool more = repeat_ || frames_left_ > 0;
      if (more && modulator_.queued() == 0 && next_commit() <= pos) {
        if (frame_end_ >= 0 && frame_kind_ == InfoKind::info0) {
          controller_.on_info0_sent(frame_end_, frame_ack_);  // its last bit is committed
          drain_actions(pos);
          if (mode_ != TxMode::info) continue;
        }
        push_frame(pos);
        if (!repeat_) --frames_left_;
        continue;
      }
      if (!more && modulator_.queued() == 0 && frame_end_ >= 0 && pos >= frame_end_) {
        mode_ = TxMode::silent;
        controller_.on_tx_done(frame_end_);
        drain_actions(pos);
        continue;
      }
      if (more) next = std::min(next, std::max(pos + 1, next_commit()));
      if (!more && frame_end_ > pos) next = std::min(next, frame_end_);
    }
    if (mode_ == TxMode::probe) {
      if (pos >= probe_end_) {
        mode_ = TxMode::silent;
        controller_.on_tx_done(probe_end_);
        drain_actions(pos);
        continue;
      }
      next = std::min(next, probe_end_);
    }
    if (next <= pos) next = pos + 1;  // always progress
    const std::span<float> out(ticks_.tx().data() + (pos - t0), static_cast<std::size_t>(next - pos));
    switch (mode_) {
      case TxMode::silent: std::fill(out.begin(), out.end(), 0.0f); break;
      case TxMode::info: modulator_.generate(out); break;
      case TxMode::tone: tone_generate(out, pos); break;
      case TxMode::probe: probe_.generate(out); break;
    }
    pos = next;
  }
}

}  // namespace squeal
