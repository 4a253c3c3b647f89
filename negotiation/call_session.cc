#include "negotiation/call_session.h"

#include <algorithm>

namespace squeal {

namespace {

Phase2SessionConfig phase2_config(const CallSessionConfig& c) {
  Phase2SessionConfig p = c.phase2;
  p.role = c.v8.role;
  return p;
}

}  // namespace

CallSession::CallSession(const CallSessionConfig& config)
    : config_(config), v8_(config.v8), phase2_(phase2_config(config)) {}

bool CallSession::wants_phase2() const noexcept {
  const V8Result& r = v8_.result();
  return config_.phase2_enabled && r.outcome == V8Outcome::connected &&
         (r.mode == V8Modulation::v34 || r.mode == V8Modulation::v90);
}

bool CallSession::finished() const noexcept {
  if (!v8_.finished()) return false;
  if (!wants_phase2()) return true;
  return phase2_.begun() && phase2_.finished();
}

void CallSession::process(std::span<const float> rx, std::span<float> tx) noexcept {
  const std::size_t n = std::min(rx.size(), tx.size());
  std::size_t i = 0;
  constexpr auto kTick = static_cast<SampleIndex>(V8Session::kTick);
  while (i < n) {
    if (phase2_start_ >= 0 && position_ >= phase2_start_) {
      if (!phase2_.begun()) phase2_.begin(phase2_start_);
      phase2_.process(rx.subspan(i, n - i), tx.subspan(i, n - i));
      position_ += static_cast<SampleIndex>(n - i);
      return;
    }
    // V.8 in pieces that end on its tick grid, where finished() can change;
    // after V.8, silence up to the next tick boundary past its end (V.8 §8:
    // the 75 ms silence is already in V.8's result time) and phase 2 from there.
    SampleIndex piece_end = (position_ / kTick + 1) * kTick;
    if (phase2_start_ >= 0) piece_end = std::min(piece_end, phase2_start_);
    const auto k = static_cast<std::size_t>(std::min<SampleIndex>(piece_end - position_, static_cast<SampleIndex>(n - i)));
    v8_.process(rx.subspan(i, k), tx.subspan(i, k));
    i += k;
    position_ += static_cast<SampleIndex>(k);
    if (phase2_start_ < 0 && v8_.finished() && wants_phase2()) {
      const SampleIndex end = std::max(v8_.result().ended_at, position_);
      phase2_start_ = (end + kTick - 1) / kTick * kTick;
    }
  }
}

}  // namespace squeal
