// CallSession: one side of the whole start-up a V.34 modem runs: V.8, then,
// when V.8 settles on V.34 (or V.90, which uses V.34's phase 2), phase 2 and
// the rate decision. One process(rx, tx) like its parts; nothing is built or
// allocated after construction.
#pragma once

#include <span>

#include "negotiation/phase2_session.h"
#include "negotiation/v8_session.h"

namespace squeal {

struct CallSessionConfig {
  V8SessionConfig v8;          // role and menu
  Phase2SessionConfig phase2;  // role is taken from v8.role
  bool phase2_enabled = true;  // false: stop after V.8
};

class CallSession {
 public:
  /// Throws std::invalid_argument naming a bad value.
  explicit CallSession(const CallSessionConfig& config);

  void process(std::span<const float> rx, std::span<float> tx) noexcept;

  /// V.8 failed, or phase 2 ran to its end, or V.8 chose a mode without phase 2.
  [[nodiscard]] bool finished() const noexcept;
  [[nodiscard]] const V8Session& v8() const noexcept { return v8_; }
  [[nodiscard]] const Phase2Session& phase2() const noexcept { return phase2_; }
  /// Phase 2 ran (or is running).
  [[nodiscard]] bool in_phase2() const noexcept { return phase2_.begun(); }
  /// Sample where phase 2 began (-1 if it did not).
  [[nodiscard]] SampleIndex phase2_start() const noexcept { return phase2_start_; }
  [[nodiscard]] V8Role role() const noexcept { return v8_.role(); }

 private:
  [[nodiscard]] bool wants_phase2() const noexcept;

  CallSessionConfig config_;
  V8Session v8_;
  Phase2Session phase2_;
  SampleIndex position_ = 0;        // absolute index of the next sample
  SampleIndex phase2_start_ = -1;   // decided when V.8 finishes
};

}  // namespace squeal
