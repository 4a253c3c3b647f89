// V.34 INFO signalling modem: DPSK at 600 bit/s, and tones A/B with phase
// reversals for ranging (v34-phase2.md "INFO signalling", "Ranging").
//
// V.34 INFO signalling (as summarised in v34-phase2.md): a 1 bit is a 180° phase
// change of the carrier, a 0 bit no change, 600 symbols/s. The call modem
// sends on 1200 Hz at nominal power; the answer modem on 2400 Hz 1 dB below
// nominal plus an 1800 Hz guard tone 7 dB below nominal. Tone B / tone A are
// those carriers with no phase changes (an idle modulator); a ranging reversal
// is one 1 bit.
//
// Modulator pulse shaping: the carrier's real envelope e(t) moves between
// symbol values (+1, -1, or 0 for silence) along a raised-cosine (half-sine)
// ramp one symbol long, centred on the symbol boundary:
//     e(n) = e_before + Δ·(1 + sin(π·(n - b)/T))/2  for |n - b| < T/2,  T = 40/3 samples.
// So e reaches each symbol's value exactly at its centre (no inter-symbol
// interference there) and, for a reversal, passes through zero exactly at the
// boundary sample b = bit_start(k): that sample IS the reversal instant. The
// envelope pulse is a one-symbol rectangle convolved with a one-symbol Hann
// window: its spectrum has a null at ±600 Hz and ±1200 Hz from the carrier
// and is down 28 dB at ±900 Hz, so the 1200 and 2400 Hz channels separate.
// Switching on/off (silence = symbol value 0) uses the same ramp: no clicks.
//
// Demodulator (per channel):
//  1. NCO × 96-tap equiripple low-pass (flat to ±350 Hz, stop from ±600 Hz:
//     the guard tone and the other channel) × decimation by 2 to 4000 Hz:
//     dsp/simd/mixdown_kernel.h. 96 multiply-adds per input sample.
//  2. Symbol timing, feed-forward (square-law spectral line, Oerder-Meyr):
//     X = smoothed |y|²·e^{-j2π·t/T}. The envelope dips at every reversal, so
//     |y|² has a 600 Hz component peaking at symbol centres; the centre phase
//     is -arg(X)·T/2π. Insensitive to carrier phase and frequency offset; held
//     while |X| is small (steady tone, no reversals). The symbol clock follows
//     it with a first-order correction each symbol (clock skew). After
//     carrier-on, bits wait until the line is strong (>= 3 symbols, normally
//     INFO's fill 1111) and are then produced from the first symbol after
//     carrier-on (the baseband of the last 32 ms is kept); a steady tone
//     free-runs after 12 symbols (0 bits) and is set hard at its first reversals.
//  3. Differential detection at each centre (cubic interpolation between the
//     4000 Hz samples): bit = Re(y[k]·conj(y[k-1])) < 0. A 10 Hz offset turns
//     the product by 6° per symbol: harmless.
//  4. Carrier detect: smoothed |y|² (5 ms) with hysteresis. Bits are stamped
//     with the input sample index of the symbol centre (filter delay removed).
//  5. Reversal timing for ranging: d(t) = Re(y(t)·conj(y(t - 4 ms))) falls
//     through zero exactly where the filtered envelope crosses zero, i.e. at
//     the reversal instant (the ramp and the filter are symmetric, a frequency
//     offset only scales d). The crossing is interpolated between 4000 Hz
//     samples and reported when confirmed 2 ms later. Only reversals preceded
//     by >= 8 ms of steady carrier count (tone A/B, not INFO data bursts).
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

/// V.34 INFO signalling rate (symbols/s = bit/s).
inline constexpr double kDpskSymbolRate = 600.0;
inline constexpr double kDpskCallCarrierHz = 1200.0;    // call modem; tone B
inline constexpr double kDpskAnswerCarrierHz = 2400.0;  // answer modem; tone A
inline constexpr double kDpskGuardToneHz = 1800.0;      // answer modem's guard tone
inline constexpr double kDpskAnswerCarrierDb = -1.0;    // answer carrier vs nominal
inline constexpr double kDpskGuardToneDb = -7.0;        // guard tone vs nominal

struct DpskModulatorConfig {
  int carrier_hz = 1200;         // 1200 (call modem, tone B) or 2400 (answer modem, tone A)
  double level_dbm0 = -13.0;     // nominal power, -60..0 dBm0 (v34-phase2.md: about -13)
  bool guard_tone = true;        // 2400 Hz only: add the 1800 Hz guard tone (7 dB below nominal)
  double symbol_rate = kDpskSymbolRate;  // symbols/s, 599.4..600.6 (±1000 ppm: clock-skew simulation)
  bool start_on = true;          // false: silent until set_on(true)
};

/// Carrier level (dBm0 of the unmodulated carrier, i.e. tone A/B) for nominal
/// power level_dbm0: nominal on 1200 Hz, nominal - 1 dB on 2400 Hz.
double dpsk_carrier_level_dbm0(int carrier_hz, double level_dbm0);

/// DPSK transmitter with a bit queue. Symbol k starts at sample
/// bit_start(k) = round(k·8000/symbol_rate) from the last reset. Its value is
/// fixed kCommitLead samples before that (when its shaping ramp begins): a bit
/// pushed before then goes into the next free symbol, next_boundary() says
/// which sample that is. With nothing queued the carrier runs unmodulated
/// (tone A or B).
class DpskModulator {
 public:
  static constexpr std::size_t kQueueCapacity = 4096;  // bits held for sending
  static constexpr int kCommitLead = 7;                // samples before a boundary its symbol is fixed (> T/2)

  /// Throws std::invalid_argument naming a bad carrier, level or rate.
  explicit DpskModulator(const DpskModulatorConfig& config = {});

  /// Queues one bit (1 = 180° phase change at the symbol's start); false if full.
  bool push(bool bit) noexcept;
  /// Queues bits (0/1 per element); returns how many were taken.
  std::size_t push_bits(std::span<const std::uint8_t> bits) noexcept;
  /// Ranging: queues one reversal (a 1 bit). Returns its instant, the sample
  /// where the envelope passes through zero (= next_boundary() before the call),
  /// or -1 if the queue is full.
  SampleIndex reverse() noexcept;
  /// On/off from the next free symbol (ramped over one symbol). While off,
  /// queued bits wait; the carrier phase runs on. The first symbol after
  /// silence carries no bit (unmodulated: the differential reference).
  void set_on(bool on) noexcept { on_ = on; }
  [[nodiscard]] bool on() const noexcept { return on_; }

  void generate(std::span<float> out) noexcept;
  void reset() noexcept;  // empties the queue, phase 0, symbol 0 at the next sample, on = start_on

  [[nodiscard]] std::size_t queued() const noexcept { return size_; }
  /// Samples generated since reset (the index of the next sample).
  [[nodiscard]] SampleIndex position() const noexcept { return position_; }
  /// First sample (boundary) of symbol k: round(k·8000/symbol_rate).
  [[nodiscard]] SampleIndex bit_start(std::int64_t k) const noexcept;
  /// Symbols whose value is fixed since reset (queued bits, idle or silent).
  [[nodiscard]] std::int64_t bits_started() const noexcept { return next_symbol_; }
  /// Boundary of the symbol a bit pushed now would occupy.
  [[nodiscard]] SampleIndex next_boundary() const noexcept {
    return bit_start(next_symbol_ + static_cast<std::int64_t>(size_));
  }

 private:
  struct Transition {
    SampleIndex boundary = 0;  // symbol boundary sample (ramp centre)
    float carrier_delta = 0;   // change of the carrier envelope (-2..2)
    float guard_delta = 0;     // change of the guard-tone envelope (-1..1)
  };
  void commit_symbol() noexcept;

  DpskModulatorConfig config_;            // as constructed
  double samples_per_symbol_ = 0;         // T = 8000 / symbol_rate
  std::uint32_t carrier_inc_ = 0;         // carrier phase step per sample
  std::uint32_t guard_inc_ = 0;           // guard tone phase step per sample (0 = no guard)
  float carrier_amp_ = 0;                 // carrier peak amplitude
  float guard_amp_ = 0;                   // guard tone peak amplitude
  std::array<float, 2 * kCommitLead + 1> ramp_{};  // (1 + sin(π·i/T))/2 at i = -7..7, clamped to 0..1
  std::array<std::uint8_t, kQueueCapacity> queue_{};  // bits to send (ring)
  std::size_t head_ = 0;                  // index of the oldest queued bit
  std::size_t size_ = 0;                  // bits queued
  bool on_ = true;                        // transmitting (vs silent) from the next free symbol
  float sign_ = 1;                        // carrier polarity of the last committed symbol
  float level_ = 0;                       // carrier envelope value of the last committed symbol
  float guard_level_ = 0;                 // guard envelope value of the last committed symbol
  float base_ = 0;                        // carrier envelope before the pending transitions
  float guard_base_ = 0;                  // guard envelope before the pending transitions
  std::array<Transition, 4> ramps_{};     // committed transitions whose ramp has not ended
  std::size_t ramp_count_ = 0;            // entries used in ramps_
  std::uint32_t carrier_phase_ = 0;       // carrier phase of the next sample (one turn = 2^32)
  std::uint32_t guard_phase_ = 0;         // guard tone phase of the next sample
  SampleIndex position_ = 0;              // index of the next sample
  std::int64_t next_symbol_ = 0;          // index of the next symbol to commit
  SampleIndex next_commit_ = 0;           // sample at which that symbol is committed
};

struct DpskDemodulatorConfig {
  int carrier_hz = 1200;           // 1200 (call channel) or 2400 (answer channel)
  double on_level_dbm0 = -43.0;    // carrier on at this in-band level, -70..0 dBm0
  double off_level_dbm0 = -48.0;   // carrier off below this, <= on_level_dbm0
};

/// One demodulated bit.
struct DpskBit {
  SampleIndex stamp = 0;      // input sample index of the symbol centre
  std::uint8_t bit = 0;       // 1 = phase reversal from the previous symbol
  bool after_gap = false;     // first bit after the carrier came (back) on
};

/// One phase reversal of a steady carrier (tone A/B ranging).
struct DpskReversal {
  double instant = 0;         // input sample time where the envelope crosses zero (fractional)
  SampleIndex stamp = 0;      // instant rounded to the nearest sample
};

class DpskDemodulator {
 public:
  static constexpr std::size_t kQueueCapacity = 1024;    // bits held for pop() (1.7 s)
  static constexpr std::size_t kReversalCapacity = 16;   // reversals held for pop_reversal()

  /// Throws std::invalid_argument naming a bad carrier or level.
  explicit DpskDemodulator(const DpskDemodulatorConfig& config = {});

  void process(std::span<const float> in) noexcept;
  void reset() noexcept;

  /// Oldest demodulated bit; false if none.
  bool pop(DpskBit& out) noexcept;
  /// Oldest detected reversal of a steady carrier; false if none.
  bool pop_reversal(DpskReversal& out) noexcept;
  [[nodiscard]] std::size_t pending() const noexcept { return size_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
  [[nodiscard]] bool carrier_present() const noexcept { return carrier_; }
  /// Smoothed in-band level (dBm0) as of the last processed sample.
  [[nodiscard]] double level_dbm0() const noexcept;

  static constexpr std::size_t kDecimation = 2;     // 8000 → 4000 Hz
  static constexpr std::size_t kTaps = 96;          // mix-down low-pass
  /// Input sample delay of the front end (filter group delay, samples).
  static constexpr double kFilterDelay = (kTaps - 1) / 2.0;
  /// Input samples after a symbol centre until its bit can be popped (at most):
  /// the filter delay plus the cubic interpolator's two look-ahead outputs.
  static constexpr double kBitLatency = kFilterDelay + 3 * kDecimation;
  /// Input samples after a reversal instant until it can be popped (at most):
  /// the filter delay plus the 2 ms confirmation (kConfirmDelay + 1 outputs).
  static constexpr double kReversalLatency = kFilterDelay + 9 * kDecimation;

 private:
  static constexpr std::size_t kChunk = 1000;       // input samples copied per pass (multiple of kDecimation)
  static constexpr std::size_t kHistory = kTaps - kDecimation;  // samples kept between passes
  static constexpr std::size_t kRing = 128;         // decimated samples kept (32 ms), power of two
  static constexpr double kSamplesPerSymbol = kSampleRate / kDpskSymbolRate;  // T = 13.333
  static constexpr float kPowerAlpha = 1.0f / 20;   // carrier power smoothing (5 ms at 4000 Hz)
  static constexpr float kTimingAlpha = 1.0f / 40;  // timing line smoothing (~6 symbols)
  static constexpr float kLockRatio = 0.12f;        // |X| / power to take the timing after carrier-on
  static constexpr float kTrackRatio = 0.08f;       // |X| / power to correct the timing
  static constexpr double kTimingGain = 0.25;       // fraction of the timing error corrected per symbol
  static constexpr int kMaxHeldSymbols = 12;        // symbols after carrier-on before free-running
  static constexpr int kReversalLag = 16;           // d(t) reference lag, decimated samples (4 ms)
  static constexpr int kMinSteady = 32;             // steady d samples before a reversal counts (8 ms)
  static constexpr int kConfirmDelay = 8;           // samples after the crossing to confirm (2 ms)

  void run_chunk(std::span<const float> in) noexcept;
  void on_decimated(float re, float im) noexcept;
  void symbol_step(std::int64_t j) noexcept;
  void reversal_step(std::int64_t j, double tau, float re, float im) noexcept;
  [[nodiscard]] double centre_estimate() const noexcept;  // symbol centre phase, input samples mod T
  void interpolate(double t, float& re, float& im) const noexcept;
  void emit(std::uint8_t bit, double centre) noexcept;

  DpskDemodulatorConfig config_;           // as constructed
  simd::MixdownPlan plan_;                 // NCO × low-pass, ↓2
  float on_power_ = 0;                     // |y|² at on_level_dbm0
  float off_power_ = 0;                    // |y|² at off_level_dbm0
  std::array<float, 20> line_re_{}, line_im_{};  // e^{-j2π·tau_j/T}: period 20 decimated samples

  std::vector<float> hist_;                // [kHistory + kChunk] input samples for the kernel
  std::size_t hist_fill_ = 0;              // samples held in hist_
  std::int64_t next_out_ = 0;              // index j of the next decimated output
  std::array<float, kChunk / kDecimation + 1> out_re_{}, out_im_{};  // kernel outputs
  std::array<float, kRing> ring_re_{}, ring_im_{};  // baseband y[j] by j mod kRing

  float power_ = 0;                        // smoothed |y|² (carrier detect)
  bool carrier_ = false;                   // carrier detect state
  std::int64_t on_j_ = 0;                  // decimated index at carrier-on
  double on_time_ = 0;                     // input-sample time of carrier-on
  float line_x_re_ = 0, line_x_im_ = 0;    // timing spectral line X
  float line_power_ = 0;                   // |y|² smoothed like X
  bool locked_ = false;                    // the symbol clock runs (bits are produced)
  bool strong_ = false;                    // the clock has been set from a strong spectral line
  bool gap_pending_ = false;               // the next emitted bit is the first after carrier-on
  double next_centre_ = 0;                 // input-sample time of the next symbol centre
  float prev_c_re_ = 0, prev_c_im_ = 0;    // baseband at the previous symbol centre

  float prev_d_ = 0;                       // previous reversal discriminator d
  int steady_run_ = 0;                     // consecutive samples with d > power/2
  int steady_before_ = 0;                  // steady run length when d last fell below power/2
  bool candidate_ = false;                 // a downward zero crossing awaits confirmation
  double candidate_time_ = 0;              // its interpolated instant
  std::int64_t candidate_j_ = 0;           // decimated index just after the crossing

  std::array<DpskBit, kQueueCapacity> queue_{};  // demodulated bits (ring)
  std::size_t head_ = 0;                   // oldest bit
  std::size_t size_ = 0;                   // bits held
  std::uint64_t dropped_ = 0;              // bits lost to a full queue
  std::array<DpskReversal, kReversalCapacity> reversals_{};  // detected reversals (ring)
  std::size_t rev_head_ = 0;               // oldest reversal
  std::size_t rev_size_ = 0;               // reversals held
};

}  // namespace squeal
