// V.21 FSK modem, 300 bit/s, both channels: a phase-continuous modulator, a
// demodulator with bit timing recovery, and a start/stop octet framer.
//
// V.21 §2-§5: channel 1 (caller) mark 980 Hz / space 1180 Hz, channel 2
// (answerer) mark 1650 Hz / space 1850 Hz; nominal frequencies 1080 / 1750 Hz
// ±100 Hz; 300 bit/s; idle is mark (binary 1).
//
// Demodulator design (per channel):
//  1. Complex mix-down of the channel's centre frequency (1080 Hz = 27/200,
//     1750 Hz = 7/32 cycles per sample: exact NCO tables) fused with an 80-tap
//     equiripple low-pass (within 0.9 dB to ±250 Hz, >= 55 dB down from
//     ±450 Hz, measured) and a
//     decimation by 5 to 1600 Hz: dsp/simd/mixdown_kernel.h, Highway SIMD.
//     This is the band separation: the other channel's nearest tone is 570 Hz
//     from our centre, so a +10 dB opposite channel lands > 45 dB under our carrier.
//     Cost: 2·80/5 = 32 multiply-adds per input sample.
//  2. Quadrature (cross-product) discriminator on the 1600 Hz baseband:
//     d = Im(y[j]·conj(y[j-1])) = |y|²·sin(2π·f/1600). Mark (lower tone) gives
//     d < 0. No normalisation: only signs and the sign of sums are used, and
//     weighting by |y|² is what a differential detector does anyway. A ±10 Hz
//     offset moves d by 10 % of the ±100 Hz deviation.
//  3. Bit timing: a first-order loop on the zero crossings of d (crossing time
//     found by linear interpolation between decimated samples), gain 1 at the
//     first transition after carrier-on, then kTimingGain. A ±0.1 % clock error
//     drifts 0.027 samples per bit: the loop follows it with ~0.2 sample lag.
//  4. Decision: sign of the sum of d over the middle of each bit (±kDecisionHalfWidth
//     samples around the estimated centre). Each bit is stamped with the input
//     sample index of its centre (filter delay removed: the stamp is where the
//     bit centre sits in the input signal).
//  5. Carrier detect on the smoothed in-band power |y|² (5 ms one-pole) with
//     hysteresis: on at on_level_dbm0 (default -45), off at off_level_dbm0 (-48).
//     While the carrier is off no bits are produced. After carrier-on, bits
//     are held until the first transition fixes the bit phase (at most
//     kMaxHeldBits; all held bits have the same value), then emitted with
//     stamps counted back from it, so a V.8 preamble comes out whole.
//
// Output does not depend on chunk size: the decimation grid is tied to the
// absolute sample index and all state advances per decimated sample.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/simd/mixdown_kernel.h"
#include "dsp/types.h"

namespace squeal {

/// V.21 data signalling rate (bit/s).
inline constexpr double kV21BitRate = 300.0;

/// V.21 §2: mark (1) and space (0) frequencies of channel 1 or 2.
struct V21Frequencies {
  double mark_hz;
  double space_hz;
};
/// Throws std::invalid_argument unless channel is 1 or 2.
V21Frequencies v21_frequencies(int channel);

struct V21ModulatorConfig {
  int channel = 1;              // 1 (caller: 980/1180 Hz) or 2 (answerer: 1650/1850 Hz)
  double level_dbm0 = -14.0;    // transmit level, -60..+3 dBm0 (V.8 typical -14)
  bool idle_mark = true;        // nothing queued: send mark (true) or silence (false)
  double bit_rate = kV21BitRate;  // bit/s, 297..303 (±1 %: line / clock-skew simulation)
  double freq_offset_hz = 0.0;    // added to both tones, -50..+50 Hz (line simulation)
};

/// Phase-continuous FSK: one uint32 phase accumulator whose increment switches
/// between mark and space at bit boundaries. Bit k starts at sample
/// round(k·8000/bit_rate) from the last reset, so timing is exact over any run.
class V21Modulator {
 public:
  static constexpr std::size_t kQueueCapacity = 4096;  // bits held for sending

  /// Throws std::invalid_argument naming a bad channel, level, rate or offset.
  explicit V21Modulator(const V21ModulatorConfig& config = {});

  /// Queues one bit (0 = space, else mark); false (bit dropped) if full.
  bool push(bool bit) noexcept;
  /// Queues bits (0/1 per element); returns how many were taken.
  std::size_t push_bits(std::span<const std::uint8_t> bits) noexcept;

  void generate(std::span<float> out) noexcept;
  void reset() noexcept;  // empties the queue, phase 0, bit 0 at the next sample

  [[nodiscard]] std::size_t queued() const noexcept { return size_; }
  /// Samples generated since reset (the index of the next sample).
  [[nodiscard]] SampleIndex position() const noexcept { return position_; }
  /// First sample of bit k: round(k·8000/bit_rate).
  [[nodiscard]] SampleIndex bit_start(std::int64_t k) const noexcept;
  /// Bits started since reset (queued or idle).
  [[nodiscard]] std::int64_t bits_started() const noexcept { return bit_index_; }

 private:
  V21ModulatorConfig config_;             // as constructed
  std::uint32_t mark_inc_ = 0;            // phase step per sample at the mark frequency
  std::uint32_t space_inc_ = 0;           // phase step per sample at the space frequency
  float amplitude_ = 0;                   // peak amplitude (full scale 1.0)
  std::array<std::uint8_t, kQueueCapacity> queue_{};  // bits to send (ring)
  std::size_t head_ = 0;                  // index of the oldest queued bit
  std::size_t size_ = 0;                  // bits queued
  std::uint32_t phase_ = 0;               // phase of the next sample (one turn = 2^32)
  std::uint32_t inc_ = 0;                 // phase step of the current bit
  float gain_ = 0;                        // amplitude of the current bit (0 = idle silence)
  SampleIndex position_ = 0;              // index of the next sample
  SampleIndex bit_end_ = 0;               // first sample after the current bit
  std::int64_t bit_index_ = 0;            // bits started so far
};

struct V21DemodulatorConfig {
  int channel = 1;                 // 1 (980/1180 Hz) or 2 (1650/1850 Hz)
  double on_level_dbm0 = -45.0;    // carrier on at this in-band level, -70..0 dBm0
  double off_level_dbm0 = -48.0;   // carrier off below this, <= on_level_dbm0
};

/// One demodulated bit.
struct V21Bit {
  SampleIndex stamp = 0;      // input sample index of the bit centre
  std::uint8_t bit = 1;       // 1 = mark, 0 = space
  bool after_gap = false;     // first bit after the carrier came (back) on
};

class V21Demodulator {
 public:
  static constexpr std::size_t kQueueCapacity = 512;  // bits held for pop() (~1.7 s)

  /// Throws std::invalid_argument naming a bad channel or level.
  explicit V21Demodulator(const V21DemodulatorConfig& config = {});

  void process(std::span<const float> in) noexcept;
  void reset() noexcept;

  /// Oldest demodulated bit; false if none.
  bool pop(V21Bit& out) noexcept;
  [[nodiscard]] std::size_t pending() const noexcept { return size_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
  [[nodiscard]] bool carrier_present() const noexcept { return carrier_; }
  /// Smoothed in-band level (dBm0) as of the last processed sample.
  [[nodiscard]] double level_dbm0() const noexcept;

  /// Input sample delay of the front end (filter group delay, samples).
  static constexpr double kFilterDelay = 39.5;

 private:
  static constexpr std::size_t kDecimation = 5;    // 8000 → 1600 Hz
  static constexpr std::size_t kTaps = 80;         // mix-down low-pass
  static constexpr std::size_t kChunk = 1000;      // input samples copied per pass (multiple of kDecimation)
  static constexpr std::size_t kHistory = kTaps - kDecimation;  // samples kept between passes
  static constexpr double kSamplesPerBit = kSampleRate / kV21BitRate;  // 26.667
  static constexpr double kTimingGain = 0.2;       // loop gain after the first transition
  static constexpr double kDecisionHalfWidth = 9.0;  // samples either side of the centre summed
  static constexpr float kPowerAlpha = 1.0f / 8;  // carrier power smoothing (5 ms at 1600 Hz)
  static constexpr int kMaxHeldBits = 32;          // bits held after carrier-on waiting for a transition

  void run_chunk(std::span<const float> in) noexcept;
  void on_decimated(float re, float im) noexcept;
  void emit(std::uint8_t bit, double centre) noexcept;
  void emit_run(std::uint8_t bit) noexcept;

  V21DemodulatorConfig config_;            // as constructed
  simd::MixdownPlan plan_;                 // NCO × low-pass, ↓5
  float on_power_ = 0;                     // |y|² at on_level_dbm0
  float off_power_ = 0;                    // |y|² at off_level_dbm0

  std::vector<float> hist_;                // [kHistory + kChunk] input samples for the kernel
  std::size_t hist_fill_ = 0;              // samples held in hist_
  std::int64_t next_out_ = 0;              // index j of the next decimated output
  std::array<float, kChunk / kDecimation + 1> out_re_{}, out_im_{};  // kernel outputs

  float prev_re_ = 0, prev_im_ = 0;        // previous baseband sample y[j-1]
  float prev_d_ = 0;                       // previous discriminator value d[j-1]
  float power_ = 0;                        // smoothed |y|²
  bool carrier_ = false;                   // carrier detect state
  bool synced_ = false;                    // a transition has set the bit phase since carrier-on
  bool free_run_ = false;                  // no transition within kMaxHeldBits: emitting at a guessed phase
  double carrier_on_time_ = 0;             // input-sample time the carrier came on
  double last_centre_ = 0;                 // centre of the last emitted bit
  bool gap_pending_ = false;               // the next emitted bit is the first after carrier-on
  double next_centre_ = 0;                 // input-sample time of the next bit centre
  float decision_sum_ = 0;                 // Σ d around next_centre_

  std::array<V21Bit, kQueueCapacity> queue_{};  // demodulated bits (ring)
  std::size_t head_ = 0;                   // oldest bit
  std::size_t size_ = 0;                   // bits held
  std::uint64_t dropped_ = 0;              // bits lost to a full queue
};

/// One start/stop framed octet.
struct V21Octet {
  SampleIndex stamp = 0;     // stamp of its start bit
  std::uint8_t value = 0;    // data bits, first received = LSB
};

/// Start/stop framing (start 0, 8 data bits LSB first, stop 1). After a stop
/// bit the framer hunts for the next 0; a 0 stop bit is a framing error: the
/// octet is dropped and the framer waits for a 1 before hunting again.
class V21OctetFramer {
 public:
  static constexpr std::size_t kQueueCapacity = 256;

  void push(bool bit, SampleIndex stamp) noexcept;
  void push(const V21Bit& b) noexcept { push(b.bit != 0, b.stamp); }
  bool pop(V21Octet& out) noexcept;
  /// Abandons an octet in progress (e.g. carrier lost) and hunts afresh.
  void flush() noexcept { bit_ = -1; wait_mark_ = false; }
  void reset() noexcept;

  [[nodiscard]] std::uint64_t framing_errors() const noexcept { return framing_errors_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
  [[nodiscard]] std::size_t pending() const noexcept { return size_; }

 private:
  int bit_ = -1;                  // -1 hunting for a start bit, 0..7 data bits, 8 stop bit
  bool wait_mark_ = false;        // after a framing error: wait for a 1 before hunting
  std::uint8_t value_ = 0;        // data bits so far
  SampleIndex start_stamp_ = 0;   // stamp of the current start bit
  std::array<V21Octet, kQueueCapacity> queue_{};  // finished octets (ring)
  std::size_t head_ = 0;          // oldest octet
  std::size_t size_ = 0;          // octets held
  std::uint64_t framing_errors_ = 0;  // stop bits that were 0
  std::uint64_t dropped_ = 0;     // octets lost to a full queue
};

}  // namespace squeal
