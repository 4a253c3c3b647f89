// Virtual telephone line: two one-way paths plus talker echo.
//
// A LinePath turns what one modem transmits into what the other receives, one
// sample at a time, in this order:
//
//   skew → shape filter → gain → frequency offset → bulk delay → + noise → G.711 → clip ±1
//
// - skew: the far end's sample clock runs skew_ppm fast, so the line reads its
//   input (1 + skew_ppm·1e-6) times as fast as it arrives (a 1000 Hz sine comes
//   out at 1000.1 Hz at +100 ppm). In and out counts stay equal, so the read
//   point drifts inside a 32-sample window; when it reaches the edge it jumps
//   back by 32 samples (repeats them; -ppm drops them), like a controlled slip
//   of a plesiochronous digital link. At 200 ppm that is once every 20 s, at
//   100 ppm every 40 s. Interpolation: polyphase windowed sinc (liquid-dsp
//   Kaiser prototype, 64 phases × 32 taps, linear between phases; flat within
//   0.05 dB to 3400 Hz). Bypassed (zero delay) when skew_ppm == 0.
// - shape: linear-phase FIR (kShapeTaps taps, delay kShapeDelaySamples),
//   designed once by frequency sampling (FFTW) with a Kaiser window. flat:
//   300..3400 Hz band-pass (-3 dB at 310 / 3440 Hz, -6 dB at 275 / 3500 Hz,
//   below -55 dB under 100 Hz and above 3750 Hz), within 0.25 dB of 0 dB over 400..3300 Hz; mid:
//   flat × a slope of -1.75 dB/kHz about 1 kHz (-3.5 dB at 3 kHz vs 1 kHz);
//   long: flat × -4.15x² + 2.8x dB, x = f/1 kHz - 1 (-11 dB at 3 kHz, -2.4 dB
//   at 500 Hz vs 1 kHz). none: no filter, no delay.
// - offset: analytic signal by liquid-dsp firhilbf (m = 24, delay 48 samples)
//   times e^{j2π·offset·n/fs}, real part (FDM carrier shift). Bypassed at 0 Hz.
//   The mixer phase is 0 at input sample 0 and sits before the bulk delay B, so
//   cos(ωn) comes out as cos((ω+Δ)(n-B) - ω(D-B)), D = delay_samples().
// - noise: Gaussian (xoshiro256** seeded by splitmix64, Box-Muller) through the
//   flat 300..3400 Hz filter, scaled so its total power is exactly
//   reference_level_dbm0 - snr_db. Same config + same input = same output.
// - codec: G.711 μ-law or A-law encode + decode (x·32768 as 16-bit linear).
//
// process() runs each stage over whole segments with all state carried, so the
// output does not depend on how the input is chunked. Everything is allocated in the
// constructor; process() allocates nothing and throws nothing.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "dsp/types.h"

namespace squeal {

enum class LineCodec : std::uint8_t { none, ulaw, alaw };                // G.711
enum class LineShape : std::uint8_t { none, flat, mid, long_loop };     // "none", "flat", "mid", "long"

std::string_view line_shape_name(LineShape shape) noexcept;
/// Throws std::invalid_argument naming the bad value.
LineShape parse_line_shape(std::string_view name);
std::string_view line_codec_name(LineCodec codec) noexcept;
/// "none", "ulaw" (also "mulaw"), "alaw"; throws std::invalid_argument naming the bad value.
LineCodec parse_line_codec(std::string_view name);

// G.711 (ITU-T G.711 §3/§4 segment laws) on 16-bit linear samples.
std::uint8_t linear_to_ulaw(std::int16_t linear) noexcept;  // 14-bit magnitude, bias 33 (132 on the 16-bit scale)
std::int16_t ulaw_to_linear(std::uint8_t code) noexcept;    // ±32124 at most
std::uint8_t linear_to_alaw(std::int16_t linear) noexcept;  // 13-bit magnitude, even bits inverted
std::int16_t alaw_to_linear(std::uint8_t code) noexcept;    // ±32256 at most

/// One direction of the line.
struct LinePathConfig {
  double delay_ms = 0;                  // one-way bulk delay, 0..100 ms (rounded to whole samples)
  double gain_db = 0;                   // -40..+6 dB
  double snr_db = INFINITY;             // AWGN power = P(reference_level_dbm0) - snr_db, -20..100 dB; +inf = no noise
  double reference_level_dbm0 = -13;    // level the SNR refers to, -60..+3 dBm0 (a typical modem transmit level)
  double offset_hz = 0;                 // frequency offset, -10..+10 Hz
  double skew_ppm = 0;                  // far-end sample clock fast by this much, -200..+200 ppm
  LineCodec codec = LineCodec::none;    // G.711 companding of the received signal
  LineShape shape = LineShape::flat;    // band limit / loop loss
  std::uint64_t seed = 1;               // noise seed
};

class LinePath {
 public:
  static constexpr int kShapeTaps = 161;                       // odd: linear phase, integer delay
  static constexpr int kShapeDelaySamples = (kShapeTaps - 1) / 2;  // 80 samples = 10 ms
  static constexpr int kHilbertSemiLength = 24;                // liquid firhilbf m: 4m+1 taps
  static constexpr int kHilbertDelaySamples = 2 * kHilbertSemiLength;  // 48 samples = 6 ms
  static constexpr int kSkewTapsPerPhase = 32;                 // interpolator taps per phase
  static constexpr int kSkewPhases = 64;                       // interpolator phases (linear between)
  static constexpr int kSkewMinDelaySamples = kSkewTapsPerPhase / 2;  // read point never closer than this
  static constexpr int kSkewSlipSamples = 32;                  // drift window = slip size

  /// Throws std::invalid_argument naming the bad value.
  explicit LinePath(const LinePathConfig& config);
  ~LinePath();
  LinePath(LinePath&&) noexcept;
  LinePath& operator=(LinePath&&) noexcept;
  LinePath(const LinePath&) = delete;
  LinePath& operator=(const LinePath&) = delete;

  /// in.size() == out.size() (else only the shorter length is processed); in-place allowed.
  void process(std::span<const float> in, std::span<float> out) noexcept;
  /// One sample through the path.
  float process_sample(float in) noexcept;
  void reset() noexcept;

  const LinePathConfig& config() const noexcept { return config_; }

  /// Total one-way delay at the start: bulk + shape filter + Hilbert + skew
  /// interpolator (its initial read offset). An impulse at input sample n
  /// peaks at output sample n + delay_samples() (exactly, when skew is 0).
  double delay_samples() const noexcept;
  /// Delay of output sample n: with skew it drifts by -skew_ppm·1e-6·n samples
  /// and jumps by ±kSkewSlipSamples at each slip (stays within 16..48 samples of
  /// skew-stage delay); without skew it is delay_samples().
  double delay_samples_at(SampleIndex n) const noexcept;
  /// gain_db + 20·log10|H_shape(f)| from the designed taps: what a sine at
  /// freq_hz gains or loses (codec, Hilbert and interpolator ripple excluded; < 0.05 dB in 300..3400).
  double response_db(double freq_hz) const;
  /// Total AWGN power in dBm0 (reference_level_dbm0 - snr_db), -inf when off.
  double noise_level_dbm0() const noexcept;
  /// SNR (dB) seen by a receiver measuring a sine of tx_level_dbm0 at freq_hz in
  /// a bin bandwidth_hz wide:
  ///   tx_level_dbm0 + response_db(f) - [noise_level_dbm0 + 10·log10(bandwidth_hz·|Hn(f)|² / B_n)]
  /// with Hn the noise filter (flat 300..3400, 0 dB inside) and B_n = (fs/2)·Σhn²
  /// its equivalent noise bandwidth (about 3130 Hz), i.e. the noise density is
  /// flat inside the band. +inf when noise is off. Codec quantisation noise excluded.
  double true_snr_db(double freq_hz, double tx_level_dbm0, double bandwidth_hz) const;
  /// B_n above (Hz).
  double noise_bandwidth_hz() const noexcept;

 private:
  struct State;
  friend class LineSim;
  // For LineSim: matching directions share one two-channel shape filter (one complex FFT for both).
  static void share_shape_filter(LinePath& first, LinePath& second);
  static void process_pair(LinePath& first, std::span<const float> first_in, std::span<float> first_out,
                           LinePath& second, std::span<const float> second_in, std::span<float> second_out) noexcept;
  static void reset_pair(LinePath& first, LinePath& second) noexcept;

  LinePathConfig config_;         // as given
  std::unique_ptr<State> state_;  // filters, delay lines, generator
};

struct LineConfig {
  LinePathConfig caller_to_answerer, answerer_to_caller;
  double echo_db = -INFINITY;   // talker echo: each side hears its own transmit back at this level, -60..0 dB; -inf = off
  double echo_delay_ms = 20;    // talker echo round-trip delay, 0..100 ms (rounded to whole samples)
};

/// Both directions and the talker echoes. The echo is a delayed, scaled copy of
/// the side's own transmit signal added to its receive signal (after the path's
/// codec); the sum is clipped to ±1 again.
class LineSim {
 public:
  /// Throws std::invalid_argument naming the bad value.
  explicit LineSim(const LineConfig& config);

  /// All four spans the same size (else the shortest is used); outputs may alias inputs.
  /// caller_rx = path(answerer_tx) + echo(caller_tx); answerer_rx likewise.
  void process(std::span<const float> caller_tx, std::span<const float> answerer_tx,
               std::span<float> caller_rx, std::span<float> answerer_rx) noexcept;
  void reset() noexcept;

  const LinePath& to_answerer() const noexcept { return to_answerer_; }
  const LinePath& to_caller() const noexcept { return to_caller_; }
  /// Talker echo delay in samples.
  int echo_delay_samples() const noexcept { return echo_delay_samples_; }

 private:
  LineConfig config_;                 // as given
  LinePath to_answerer_;              // caller → answerer
  LinePath to_caller_;                // answerer → caller
  float echo_gain_ = 0;               // linear echo gain (0 = off)
  int echo_delay_samples_ = 0;        // round(echo_delay_ms · 8)
  std::vector<float> caller_echo_;    // ring of the caller's transmit samples (power of 2)
  std::vector<float> answerer_echo_;  // ring of the answerer's transmit samples
  std::uint64_t position_ = 0;        // samples processed since reset (ring write index)
};

/// Symmetric config: both directions the same except the answerer→caller seed,
/// which is derived from one_way.seed so the two noises are independent.
LineConfig symmetric_line(const LinePathConfig& one_way, double echo_db = -INFINITY,
                          double echo_delay_ms = 20);

}  // namespace squeal
