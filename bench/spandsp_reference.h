// spandsp 0.0.6's own detectors as the benchmark reference, fed the same
// signal as squeal (converted to int16 once, before timing) in the same
// 160-sample blocks. spandsp is a bench/test-only dependency: this file is
// compiled into the squeal_bench library only, never into libsqueal.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

namespace squeal::bench {

/// One pass over the whole signal from a freshly initialised state; returns
/// what it detected (tone reports, digits, or blocks computed), so the work
/// cannot be optimised away and the run can be sanity-checked.
using Pass = std::function<std::uint64_t()>;

/// True when the bench was built against spandsp (meson -Dspandsp=auto|enabled found it).
bool spandsp_available() noexcept;

/// "spandsp 0.0.6" (the version the build found) or "unavailable".
std::string_view spandsp_label() noexcept;

/// spandsp goertzel_update/goertzel_result, one goertzel_state_t per tone, each
/// block run tone by tone (spandsp's way). Returns the number of blocks.
/// Empty Pass if spandsp is unavailable. `signal` must outlive the Pass.
Pass make_spandsp_goertzel_pass(std::span<const std::int16_t> signal, std::span<const double> freqs_hz,
                                int block_length);

/// modem_connect_tones_rx(MODEM_CONNECT_TONES_ANSAM_PR); returns the tone
/// reports other than "tone stopped".
Pass make_spandsp_ansam_pass(std::span<const std::int16_t> signal, int block_length);

/// dtmf_rx with a digits callback; returns the digits received.
Pass make_spandsp_dtmf_pass(std::span<const std::int16_t> signal, int block_length);

/// fsk_rx with the V.21 channel 1 preset in synchronous mode (bits out, no
/// framing: the same work as squeal's demodulator); returns the carrier-up
/// reports, i.e. the FSK bursts it found.
Pass make_spandsp_v21_pass(std::span<const std::int16_t> signal, int block_length);

}  // namespace squeal::bench
