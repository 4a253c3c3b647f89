// AnsamDetector: the 2100 Hz answer tone in its four forms -- ANS (V.25),
// ANS/ (180° phase reversals every 450 ms), ANSam (V.8: 15 Hz AM, envelope
// 0.8..1.2 of its mean) and ANSam/ (both) -- with each reversal's instant.
//
// Signal path (work per input sample: ~12 multiply-adds, mostly SIMD):
//   8 kHz x ──NCO 2100 Hz × 64-tap low-pass, ↓16 (dsp/simd/mixdown_kernel.h)──▶
//   500 Hz complex baseband ──33-tap low-pass (±40 Hz passband, ≥60 dB beyond
//   ±80 Hz, cascade incl. aliases)──▶ w[m], amplitude |w| = tone amplitude.
// 2100/8000 = 21/80, so the NCO is an exact 80-entry table and w's phase is
// the tone's phase against absolute sample 0. Both filters are linear-phase:
// w[m] describes input time 16·m - 272.5, and a step (onset, end, phase flip)
// crosses its half-way point exactly at that time, which is how edges and
// reversals are placed to a fraction of a millisecond.
//
// Per 10 ms block (5 values of w): the tone passes if its level, its power over
// the rest of the band (wide-band input power minus tone power), its frequency
// (from w², which ignores reversals) and the coherence of that frequency pass.
// V.21 channel 2 (1650/1850 Hz) lies ≥250 Hz away and is ≥60 dB down.
// A tone is reported after min_duration_ms of passing blocks (on stamped where
// |w| crossed half the tone's mean amplitude), and ends after max_gap_ms of
// failing blocks (off stamped where |w| fell below that half).
// Reversals: w[m]·conj(w[m-10]) (frequency offset removed) turns by ~180°;
// the instant is the zero crossing of w projected on the pre-reversal phase.
// AM: least-squares fit a0 + a1·cos + a2·sin at 15 Hz to |w| (every other
// value) per 200 ms segment, leaving out samples near reversals, edges and
// drop-outs; depth = |a1,a2|/a0, rate = 15 Hz + the drift of the fitted
// phase from segment to segment.
#pragma once

#include <array>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/events.h"
#include "dsp/simd/mixdown_kernel.h"
#include "dsp/types.h"

namespace squeal {

/// AnsamDetector settings (a namespace-level struct so `= {}` works as a default argument).
struct AnsamDetectorConfig {
  double min_level_dbm0 = -46;        // block tone level to start (V.25 receivers reach -43 dBm0; AM troughs -1.9 dB)
  double min_snr_db = 3;              // tone power over the rest of the band (300..3400 Hz noise) to start
  double hysteresis_db = 8;           // level and SNR thresholds drop by this once a tone is a candidate
  double max_drop_db = 10;            // a reported tone ends when a block falls this far below its mean level
  double on_snr_db = -20;             // SNR still accepted once reported: V.8 CM (V.21 ch1) may ride on ANSam, louder
  double max_freq_offset_hz = 25;     // |f - 2100|: V.25 allows ±15 Hz
  double min_duration_ms = 200;       // reported once it lasted this long (50..2000)
  double max_gap_ms = 30;             // failing time that still ends a tone (10..200)
  double min_am_depth = 0.1;          // ANSam: (max-min)/(max+min) of the envelope, 0.2 nominal (V.8)
  double max_am_rate_error_hz = 1;    // ANSam: |rate - 15 Hz|, V.8 allows ±0.1 Hz
};

class AnsamDetector {
 public:
  using Config = AnsamDetectorConfig;

  /// Throws std::invalid_argument naming a bad value.
  explicit AnsamDetector(const Config& config = {});

  void process(std::span<const float> in, EventQueue& out) noexcept;
  void reset() noexcept;

  /// Samples from an event's instant to the moment it can be known, at least:
  /// filter delay (272.5 samples); on events come min_duration_ms later.
  [[nodiscard]] static constexpr SampleIndex latency() noexcept { return 273; }

 private:
  using Complex = std::complex<float>;
  static constexpr std::size_t kDecimation = 16;   // 8000 → 500 Hz
  static constexpr std::size_t kTaps1 = 64;        // stage-1 (mix-down) low-pass
  static constexpr std::size_t kTaps2 = 33;        // stage-2 low-pass at 500 Hz
  static constexpr std::size_t kChunk = 1024;      // input samples copied per pass
  static constexpr std::size_t kHistory = kTaps1 - kDecimation;  // samples kept between passes
  static constexpr std::size_t kRing = 256;        // decimated history (512 ms), power of two
  static constexpr int kBlock = 5;                 // decimated samples per decision block (10 ms)
  static constexpr int kRevLag = 10;               // reversal test lag (20 ms); rot_lag_ assumes 10
  static constexpr int kAmDelay = 64;              // AM fit lags the newest sample by this
  static constexpr int kAmSegment = 100;           // AM fit segment: 200 ms = 3 periods of 15 Hz
  static constexpr int kEnergyDelay = 17;          // aligns input power with w (272.5 / 16)
  static constexpr std::size_t kMaxPending = 16;   // reversals held until the tone is confirmed

  enum class State : std::uint8_t { idle, candidate, on };

  /// Running least-squares sums for a0 + a1·cos + a2·sin fitted to |w|.
  struct AmFit {
    double n = 0, c = 0, s = 0, cc = 0, ss = 0, cs = 0;  // Σ1, Σcos, Σsin, Σcos², Σsin², Σcos·sin
    double a = 0, ac = 0, as = 0, aa = 0;                 // Σa, Σa·cos, Σa·sin, Σa²
    void add(float amp, float cos_v, float sin_v) noexcept;
    /// Solves; false if ill-conditioned. depth = |a1,a2|/a0, phasor = a1 - j·a2,
    /// explained = variance the sine explains, residual = what it leaves.
    bool solve(double& depth, std::complex<double>& phasor, double& explained,
               double& residual) const noexcept;
  };

  void run_chunk(std::span<const float> in, EventQueue& out) noexcept;
  void on_decimated(float re, float im, float mean_square, EventQueue& out) noexcept;
  void on_block(EventQueue& out) noexcept;
  void detect_reversal(std::int64_t m, EventQueue& out) noexcept;
  void add_am_sample(std::int64_t k) noexcept;
  void close_am_segment() noexcept;
  void confirm(EventQueue& out) noexcept;
  void finish(EventQueue& out) noexcept;
  void start_candidate() noexcept;
  void fit_ring(std::int64_t from, std::int64_t to, AmFit& fit) const noexcept;
  [[nodiscard]] bool near_reversal(std::int64_t k) const noexcept;
  [[nodiscard]] bool outlier(std::int64_t k) const noexcept;
  [[nodiscard]] Signal classify(bool am, int reversals) const noexcept;
  [[nodiscard]] bool am_present(double& depth, double& rate_hz) const noexcept;
  [[nodiscard]] Event make_event(Signal s, Edge e, SampleIndex sample) const noexcept;
  [[nodiscard]] SampleIndex to_sample(double m) const noexcept;
  [[nodiscard]] Complex w_at(std::int64_t m) const noexcept { return w_[static_cast<std::size_t>(m) & (kRing - 1)]; }
  [[nodiscard]] float power_at(std::int64_t m) const noexcept { return power_[static_cast<std::size_t>(m) & (kRing - 1)]; }
  [[nodiscard]] float amp_at(std::int64_t m) const noexcept { return std::sqrt(power_at(m)); }

  // Configuration, derived.
  Config config_;                       // as constructed
  simd::MixdownPlan plan_;              // stage 1: NCO × low-pass, ↓16 (V.25: 2100 Hz)
  std::array<float, 2 * kTaps2> taps2x_{};  // stage-2 low-pass, each tap twice (re, im); gain 2 so |w| = tone amplitude
  std::array<float, kAmSegment> am_cos_{}, am_sin_{};  // 15 Hz at 500 Hz: exactly 3 cycles per 100
  float on_power_ = 0, stay_power_ = 0; // min level as tone mean square, start / stay
  float on_snr_ = 0, stay_snr_ = 0;     // min SNR as power ratio, start / while a candidate
  float reported_snr_ = 0;              // min SNR as power ratio once reported
  float max_drop_ = 0;                  // max_drop_db as a power ratio (< 1)
  double cos2_max_dphi_ = 0;            // cos² of the max phase step of w² per decimated sample
  int min_blocks_ = 0;                  // min_duration in blocks
  int max_miss_blocks_ = 0;             // max_gap in blocks

  // Stage 1 input buffer.
  std::vector<float> hist_;             // [kHistory + kChunk] samples; hist_[0] is sample hist_start_
  std::size_t hist_fill_ = 0;           // samples held in hist_
  std::int64_t next_out_ = 0;           // index j of the next stage-1 output
  std::array<float, kChunk / kDecimation + 1> out_re_{}, out_im_{}, out_ms_{};  // kernel outputs

  // Stage 2 and decimated history (index m = stage-1 output index).
  std::array<Complex, 2 * kTaps2> z_{}; // stage-1 outputs, mirrored ring for a contiguous window
  std::size_t z_pos_ = 0;               // where the next z goes
  std::array<Complex, kRing> w_{};      // stage-2 output w[m]
  std::array<float, kRing> power_{};    // |w[m]|²
  std::array<float, kRing> total_ms_{}; // input mean square aligned with w[m]
  std::array<float, 32> energy_{};      // input mean square per stage-1 output, for the delay
  std::int64_t m_ = -1;                 // index of the newest w

  // Current block.
  float blk_tone_ = 0, blk_total_ = 0;  // Σ tone mean square, Σ input mean square
  Complex blk_rot_{};                   // Σ w²[m]·conj(w²[m-1])
  float blk_rot_norm_ = 0;              // Σ |w[m]|²·|w[m-1]|²

  // Tone state.
  State state_ = State::idle;           // idle, candidate (not yet reported), on (reported)
  std::int64_t first_block_m_ = 0;      // first m of the first passing block
  std::int64_t last_hit_m_ = 0;         // last m of the latest passing block
  int hit_blocks_ = 0;                  // passing blocks in this tone
  int miss_blocks_ = 0;                 // consecutive failing blocks
  double amp_sum_ = 0;                  // Σ block rms amplitude over passing blocks
  float mean_amp_ = 0;                  // amp_sum_ / hit_blocks_
  double hit_tone_sum_ = 0;             // Σ block tone mean square over passing blocks
  double hit_total_sum_ = 0;            // Σ block input mean square over the same
  Complex rot_sum_{};                   // Σ blk_rot_ over passing blocks (frequency)
  Complex rot_step_{1.f, 0.f};          // e^{-j·carrier offset per decimated sample}
  Complex rot_lag_{1.f, 0.f};           // rot_step_ to the power kRevLag
  double onset_m_ = 0;                  // fractional m of the onset (valid once on)
  SampleIndex onset_sample_ = 0;        // on event's sample
  SampleIndex last_end_sample_ = -1;    // previous tone's off sample (next onset not before)
  std::array<Event, kMaxPending> pending_{};  // reversals seen while a candidate
  std::size_t num_pending_ = 0;         // held in pending_
  int reversals_ = 0;                   // reversals in this tone
  std::array<double, 4> rev_m_{};       // fractional m of the latest reversals (ring)
  std::int64_t last_rev_detect_m_ = -1000000;  // m at which the latest reversal was detected

  // AM analysis.
  AmFit seg_;                           // current 200 ms segment
  std::int64_t seg_index_ = -1;         // segment number of seg_ (m / kAmSegment)
  double depth_sum_ = 0;                // Σ depth·weight over solved segments
  double depth_weight_ = 0;             // Σ weight
  std::complex<double> drift_{};        // Σ Z_i·conj(Z_{i-1}) over consecutive segments
  std::complex<double> last_phasor_{};  // Z of the latest solved segment
  std::int64_t last_seg_index_ = -10;   // its segment number
  double explained_sum_ = 0;            // Σ variance explained by the 15 Hz sine
  double residual_sum_ = 0;             // Σ variance left
  double level_sum_ = 0, total_sum_ = 0;  // Σ tone / input mean square over included samples
  std::int64_t level_count_ = 0;        // included samples
};

}  // namespace squeal
