// The fixed decision grid both sessions run on: rx is gathered into ticks of
// Tick samples tied to the absolute sample index, tx is handed out of a tick
// prepared in advance. When a tick of rx is complete, on_tick(end) analyses it
// and prepares the next tick of tx, so the output never depends on how the
// caller chunks its blocks.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>

#include "dsp/types.h"

namespace squeal {

template <std::size_t Tick>
class TickExchange {
 public:
  /// rx samples of the tick just completed (valid inside on_tick).
  [[nodiscard]] std::span<const float, Tick> rx() const noexcept { return rx_; }
  /// tx samples of the next tick, to be written inside on_tick (or at start).
  [[nodiscard]] std::span<float, Tick> tx() noexcept { return tx_; }
  void reset() noexcept { fill_ = 0; }

  /// Moves rx in and tx out sample for sample (same count), advancing
  /// `position`; calls on_tick(position) at the end of every completed tick.
  template <class OnTick>
  void exchange(std::span<const float> rx, std::span<float> tx, SampleIndex& position, OnTick&& on_tick) noexcept {
    const std::size_t n = std::min(rx.size(), tx.size());
    for (std::size_t i = 0; i < n;) {
      const std::size_t k = std::min(n - i, Tick - fill_);
      std::copy_n(tx_.begin() + static_cast<std::ptrdiff_t>(fill_), k, tx.begin() + static_cast<std::ptrdiff_t>(i));
      std::copy_n(rx.begin() + static_cast<std::ptrdiff_t>(i), k, rx_.begin() + static_cast<std::ptrdiff_t>(fill_));
      fill_ += k;
      i += k;
      position += static_cast<SampleIndex>(k);
      if (fill_ == Tick) {
        fill_ = 0;
        on_tick(position);
      }
    }
  }

 private:
  std::array<float, Tick> rx_{};  // rx of the tick being gathered
  std::array<float, Tick> tx_{};  // tx of the tick being handed out
  std::size_t fill_ = 0;          // samples of the current tick exchanged (rx in = tx out)
};

}  // namespace squeal
