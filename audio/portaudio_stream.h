// Live audio through PortAudio: the device list, device lookup by name, and a
// DuplexStream that joins one input device and one output device (possibly
// different ones, as on the JACK loopback cable: a caller outputs to cableA and
// inputs from cableB) to a DSP thread through lock-free rings.
//
// Threads: PortAudio calls its callbacks on its own real-time thread; they only
// copy samples between the device buffers and two SpscRing (audio/spsc_ring.h)
// and bump atomic counters -- no allocation, no lock, no logging, no throw.
// The DSP thread calls read() / write(), which wait (by short sleeps, with a
// timeout) for samples or room. Everything else (open, start, stop) is for the
// controlling thread, which may be the DSP thread.
//
// read() and write() deal in mono float32 at the DSP rate (default
// kSampleRateHz, 8000). The devices run at the device rate: the DSP rate when
// they accept it, else another (DuplexStreamConfig::device_rate_hz); then the
// DSP thread converts inside read() / write() (audio/device_resampler.h) while
// the callbacks still only move raw device-rate samples through the rings.
// The input stream is opened with at least `input_channel` channels and
// only that one is kept; the output stream writes `output_channel` and zeros
// every other channel it opened. When no rate tried opens, the error names the
// rates tried and the device's default rate.
//
// Without PortAudio at build time (SQUEAL_HAVE_PORTAUDIO undefined) the API is
// still declared; list_devices() and DuplexStream's constructor throw
// std::runtime_error saying so.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dsp/types.h"

namespace squeal {

/// True when this build has PortAudio.
bool portaudio_available() noexcept;

/// One PortAudio device as PortAudio reports it.
struct AudioDevice {
  int index = -1;                     // PortAudio device index (valid while PortAudio stays initialised)
  std::string name;                   // e.g. "cableA", "system", "hw:0,0"
  std::string host_api;               // e.g. "JACK Audio Connection Kit", "ALSA"
  int max_input_channels = 0;         // 0: cannot capture
  int max_output_channels = 0;        // 0: cannot play
  double default_sample_rate_hz = 0;  // the device's preferred rate
  bool default_input = false;         // PortAudio's default input device
  bool default_output = false;        // PortAudio's default output device
};

using DeviceList = std::vector<AudioDevice>;

/// Every device PortAudio sees now (it rescans on each call). PortAudio's and
/// ALSA's/JACK's start-up chatter on stderr is silenced unless the environment
/// has SQUEAL_AUDIO_DEBUG=1. Throws std::runtime_error if PortAudio cannot start.
DeviceList list_devices();

enum class AudioDirection : std::uint8_t { input, output };

/// The device matching `name` that can capture (input) or play (output):
/// an exact name match first, else the only device whose name contains `name`
/// (case-insensitive). An empty name is PortAudio's default device for that
/// direction (else the first that can). Throws std::runtime_error naming `name` and listing the devices
/// that exist when nothing matches or the match is ambiguous.
const AudioDevice& find_device(const DeviceList& devices, std::string_view name, AudioDirection direction);

/// One line per device: `  3  cableA  [JACK Audio Connection Kit]  in 2  out 2  8000 Hz`.
std::string describe_devices(const DeviceList& devices);

/// Points JACK clients (PortAudio's JACK host API) at the server named
/// `server` (sets JACK_DEFAULT_SERVER) unless the environment already names
/// one. Call before list_devices() / opening a stream. tools/jack-cable.sh
/// runs its server as "squeal".
void use_jack_server_by_default(std::string_view server);

struct DuplexStreamConfig {
  std::string input_device;                          // name or substring (find_device); "" = default input
  std::string output_device;                         // name or substring; "" = default output
  double sample_rate_hz = kSampleRateHz;             // the DSP rate: read() and write() deal in it
  double device_rate_hz = 0;                         // rate to open the devices at. 0: sample_rate_hz, or if a
                                                     // device refuses it the input device's default rate;
                                                     // R > 0: R, or if refused sample_rate_hz. Resampled
                                                     // on the DSP thread whenever it differs from sample_rate_hz
  int input_channel = 1;                             // 1-based channel of the input device to keep
  int output_channel = 1;                            // 1-based channel of the output device to drive
  std::size_t frames_per_buffer = 0;                 // callback size; 0 lets PortAudio / the host choose
  std::size_t ring_samples = 16384;                  // each ring's capacity at the DSP rate (2 s at 8 kHz;
                                                     // scaled to the device rate, rounded up to 2^k)
  std::size_t prefill_samples = 512;                 // zeros (DSP-rate samples) the first write() queues ahead of its samples:
                                                     // the output's slack against DSP-thread jitter (>= the
                                                     // DSP block and the device period; adds to the latency)
};

/// Counts since start(), at the device rate. "Samples" counters count samples lost or invented;
/// "events" count callbacks in which it happened.
struct XrunCounts {
  std::uint64_t rx_overrun_samples = 0;     // input samples dropped: RX ring full (the DSP thread read too slowly)
  std::uint64_t rx_overrun_events = 0;
  std::uint64_t tx_underrun_samples = 0;    // zeros played: TX ring empty after the first write()
  std::uint64_t tx_underrun_events = 0;
  std::uint64_t pa_input_overflow = 0;      // callbacks flagged paInputOverflow (the device lost input)
  std::uint64_t pa_input_underflow = 0;     // callbacks flagged paInputUnderflow
  std::uint64_t pa_output_underflow = 0;    // callbacks flagged paOutputUnderflow (the device played a gap)
  std::uint64_t pa_output_overflow = 0;     // callbacks flagged paOutputOverflow
  std::uint64_t input_samples = 0;          // samples the input callback delivered (kept channel)
  std::uint64_t output_samples = 0;         // samples the output callback played (driven channel)

  /// Every loss or gap, RX and TX, ring and device.
  std::uint64_t total() const noexcept {
    return rx_overrun_events + tx_underrun_events + pa_input_overflow + pa_input_underflow +
           pa_output_underflow + pa_output_overflow;
  }
};

class DuplexStream {
 public:
  /// Opens both devices (not started). Throws std::runtime_error naming the
  /// device for: PortAudio start-up failure, no such device (with the list;
  /// "no audio server" naming the JACK server when PortAudio sees no JACK
  /// device), channel out of range, rate not supported (naming the rates
  /// tried), device busy or failing to open;
  /// std::invalid_argument for a bad config value (rate <= 0, ring too small).
  explicit DuplexStream(const DuplexStreamConfig& config);
  ~DuplexStream();  // stops and closes
  DuplexStream(const DuplexStream&) = delete;
  DuplexStream& operator=(const DuplexStream&) = delete;

  /// Clears the rings and counters and starts both streams. The output plays
  /// silence until the first write(), which queues prefill_samples zeros first. Throws std::runtime_error naming the device on failure.
  void start();
  /// Stops both streams (waits for the callbacks to finish). Idempotent, never throws.
  void stop() noexcept;
  bool running() const noexcept;

  /// DSP thread: fills `out` with received samples (DSP rate), waiting up to `timeout`
  /// for them to arrive. Returns how many were written (< out.size() only on
  /// time-out or when the stream is not running).
  std::size_t read(std::span<float> out, std::chrono::milliseconds timeout);
  /// DSP thread: queues `in` for output, waiting up to `timeout` for room.
  /// Returns how many were queued (< in.size() only on time-out or when not
  /// running). When resampling, it also waits until every converted sample is
  /// in the ring; what still did not fit at time-out goes first next time.
  std::size_t write(std::span<const float> in, std::chrono::milliseconds timeout);

  /// Received samples waiting to be read; room for samples to be written.
  std::size_t readable() const noexcept;
  std::size_t writable() const noexcept;

  XrunCounts xruns() const noexcept;

  const AudioDevice& input_device() const noexcept;
  const AudioDevice& output_device() const noexcept;
  /// The DSP rate of read() / write().
  double sample_rate_hz() const noexcept;
  /// The rate both devices were opened at.
  double device_rate_hz() const noexcept;
  /// True when read() / write() convert between the two.
  bool resampling() const noexcept;
  /// PortAudio's reported latencies of the open streams, in seconds; -1 when
  /// implausible (PortAudio 19.6 on JACK reports 2^32 frames). Measured through
  /// the JACK cable at period 256: write() on one side to read() on the other
  /// is 512 samples + prefill_samples.
  double input_latency_s() const noexcept;
  double output_latency_s() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;  // PortAudio streams, rings and counters (portaudio_stream.cc)
};

}  // namespace squeal
