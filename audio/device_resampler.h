// Sample-rate conversion between a sound device and squeal's 8000 Hz DSP rate,
// for devices that cannot run at 8000 Hz (a 48 kHz JACK server, most USB and
// HDMI hardware).
//
// RateConverter is one direction: a liquid-dsp polyphase arbitrary-rate
// resampler (resamp_rrrf) with a Kaiser low-pass for the telephone band. It is
// a streaming block: the output sequence does not depend on how the input is
// chunked (resamp_rrrf steps one input sample at a time and keeps its state).
//
// DeviceResampler joins two of them to the lock-free rings of a DuplexStream
// (audio/portaudio_stream.h): the PortAudio callbacks keep moving raw device-rate
// samples through the rings, and the DSP thread converts on its side of them
// in read_from() / write_to(). Nothing here runs on the real-time callback thread.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace squeal {

class SpscRing;

class RateConverter {
 public:
  /// rate_in_hz, rate_out_hz: > 0, their ratio within [1/16, 16].
  /// Throws std::invalid_argument naming the bad value.
  RateConverter(double rate_in_hz, double rate_out_hz);
  ~RateConverter();
  RateConverter(RateConverter&& other) noexcept;
  RateConverter& operator=(RateConverter&& other) noexcept;
  RateConverter(const RateConverter&) = delete;
  RateConverter& operator=(const RateConverter&) = delete;

  struct Counts {
    std::size_t consumed = 0;  // input samples taken
    std::size_t produced = 0;  // output samples written
  };

  /// Converts a prefix of `in` into `out`: as many input samples as are
  /// guaranteed to fit (all of them when out.size() >= max_output(in.size())).
  Counts process(std::span<const float> in, std::span<float> out) noexcept;
  /// The most output samples `n_in` input samples can give.
  std::size_t max_output(std::size_t n_in) const noexcept;
  /// Forgets the history (the filter starts from silence again).
  void reset() noexcept;

  double rate_in_hz() const noexcept { return rate_in_hz_; }
  double rate_out_hz() const noexcept { return rate_out_hz_; }
  /// -6 dB cut-off of the low-pass (Hz): 100 Hz under the lower rate's Nyquist.
  double cutoff_hz() const noexcept { return cutoff_hz_; }

 private:
  void* resampler_ = nullptr;     // the liquid-dsp resamp_rrrf (opaque here: no liquid header in ours)
  double rate_in_hz_ = 0;         // input sample rate
  double rate_out_hz_ = 0;        // output sample rate
  double cutoff_hz_ = 0;          // low-pass -6 dB point
  std::size_t max_per_input_ = 1; // output samples one input sample may give: ceil(ratio)
};

/// Both directions between a device at `device_rate_hz` and the DSP at
/// `dsp_rate_hz`, with the leftovers each direction carries between calls.
/// All buffers are allocated in the constructor; read_from() and write_to()
/// allocate nothing, never block and never throw.
class DeviceResampler {
 public:
  DeviceResampler(double device_rate_hz, double dsp_rate_hz);

  /// Fills `out` (DSP rate) from what is waiting: first the converted samples
  /// left over from the last call, then device samples popped from `rx` and
  /// converted. Returns how many were written (< out.size() when `rx` ran dry).
  std::size_t read_from(SpscRing& rx, std::span<float> out) noexcept;
  /// Converts `in` (DSP rate) and pushes the device-rate result into `tx`.
  /// Returns how many DSP samples were consumed; converted samples that did
  /// not fit stay pending and go first on the next call.
  std::size_t write_to(SpscRing& tx, std::span<const float> in) noexcept;
  /// True when no converted sample waits to be pushed into the TX ring.
  bool tx_drained() const noexcept { return tx_pending_begin_ == tx_pending_end_; }
  /// Drops every leftover and the filters' history.
  void reset() noexcept;

  double device_rate_hz() const noexcept { return down_.rate_in_hz(); }
  double dsp_rate_hz() const noexcept { return down_.rate_out_hz(); }

 private:
  RateConverter down_;                 // device -> DSP rate (receive)
  RateConverter up_;                   // DSP -> device rate (transmit)
  std::vector<float> rx_device_;       // device samples popped from the RX ring, one chunk
  std::vector<float> rx_pending_;      // converted RX samples not yet read
  std::size_t rx_pending_begin_ = 0;   // first unread sample in rx_pending_
  std::size_t rx_pending_end_ = 0;     // one past the last valid sample in rx_pending_
  std::vector<float> tx_pending_;      // converted TX samples not yet in the ring
  std::size_t tx_pending_begin_ = 0;   // first sample of tx_pending_ still to push
  std::size_t tx_pending_end_ = 0;     // one past the last valid sample in tx_pending_
};

}  // namespace squeal
