// V.34 phase 2 line probing (L1/L2): the probe generator and an FFT analyser
// that turns a received probe into a ProbeReport (per-tone level, SNR and
// phase, noise floor, frequency offset, clock skew, usable band).
//
// Facts (../shared/spec/v34-phase2.md, "Line probing: L1 and L2", V.34 §10.1.2.4):
// 21 cosines 150..3750 Hz, 150 Hz apart, without 900, 1200, 1800 and 2400 Hz;
// initial phase 180° at 300, 1650, 2250, 2700, 3000, 3150, 3300, 3450 Hz, 0° else.
// The sum repeats 150 times a second, so one 160-sample period (3 cycles of
// 150 Hz) at 8000 samples/s puts tone m·150 Hz exactly in DFT bin 3m; the two
// bins between neighbouring tones hold noise and distortion only.
// L1: 160 ms at nominal + 6 dB; L2: nominal, 400..550 ms.
#pragma once

#include <array>
#include <complex>
#include <cstdint>
#include <span>
#include <vector>

#include "dsp/generator.h"
#include "dsp/types.h"

namespace squeal {

/// Probe period: 160 samples = 20 ms = 3 cycles of 150 Hz; also the DFT size.
inline constexpr int kProbePeriodSamples = 160;
/// DFT bin spacing of one period, and the noise bandwidth of one rectangular-window bin (Hz).
inline constexpr double kProbeBinHz = kSampleRate / kProbePeriodSamples;  // 50 Hz
/// Number of probe tones.
inline constexpr int kProbeToneCount = 21;
/// L1 length: 160 ms (V.34 §10.1.2.4.1).
inline constexpr SampleIndex kProbeL1Samples = 1280;

/// Frequency (Hz) of probe tone i, 0 <= i < 21, ascending.
double probe_tone_freq_hz(int tone) noexcept;
/// DFT bin (of a 160-point DFT) of probe tone i: freq / 50 Hz.
int probe_tone_bin(int tone) noexcept;
/// Initial phase of probe tone i (rad): 0 or π.
double probe_tone_phase_rad(int tone) noexcept;
/// Level of each tone (dBm0) when the whole probe is at total_level_dbm0:
/// total - 10·log10(21) (-26.22 dBm0 per tone at the nominal -13 dBm0).
double probe_tone_level_dbm0(double total_level_dbm0) noexcept;

struct LineProbeGeneratorConfig {
  double level_dbm0 = -13.0;        // total power of L2 (all 21 tones), -40..-6 dBm0; L1 is 6 dB above
  SampleIndex l1_samples = kProbeL1Samples;  // L1 length (samples, >= 0); 0 = L2 only
  SampleIndex l2_samples = 3200;    // L2 length (samples, > 0), default 400 ms; spec: <= 550 ms + round trip
};

/// L1 then L2 then silence (exact zeros). The phase runs on without a break
/// from L1 into L2 (only the amplitude steps by 6 dB). One 160-sample period is
/// computed in double precision at construction; generate() plays it.
/// Peak of the sum: 5.05 × the per-tone amplitude (the V.34 phases keep the
/// crest factor low): L1 at -13 dBm0 nominal peaks at -9.3 dBFS.
class LineProbeGenerator final : public Generator {
 public:
  /// Throws std::invalid_argument naming the bad value.
  explicit LineProbeGenerator(const LineProbeGeneratorConfig& config = {});

  void generate(std::span<float> out) noexcept override;
  void reset() noexcept override;

  /// Samples of L1 + L2.
  SampleIndex length_samples() const noexcept { return config_.l1_samples + config_.l2_samples; }
  /// True once L1 and L2 have been sent (only silence follows).
  bool finished() const noexcept { return position_ >= length_samples(); }
  const LineProbeGeneratorConfig& config() const noexcept { return config_; }

 private:
  LineProbeGeneratorConfig config_;                        // as given
  std::array<float, kProbePeriodSamples> l1_period_{};    // one period at the L1 level
  std::array<float, kProbePeriodSamples> l2_period_{};    // one period at the L2 level
  SampleIndex position_ = 0;                               // samples generated since reset
};

/// What the analyser measured for one probe tone.
struct ProbeTone {
  double freq_hz = 0;       // nominal tone frequency (150..3750 Hz)
  double level_dbm0 = 0;    // received level of the tone (noise bias and leakage removed)
  double noise_dbm0 = 0;    // noise power in one 50 Hz bin at this tone (pooled over the tone bin and its 4 neighbours)
  double snr_db = 0;        // level_dbm0 - noise_dbm0: SNR in a 50 Hz bandwidth
  double phase_rad = 0;     // received phase minus transmitted phase, (-π, π], at the start of the first analysed period
};

/// Result of analysing a received L1/L2.
struct ProbeReport {
  bool valid = false;                              // enough periods (>= 4) were analysed
  int periods_used = 0;                            // 160-sample periods analysed
  SampleIndex start_sample = 0;                    // absolute index of the first analysed sample
  std::array<ProbeTone, kProbeToneCount> tones{};  // ascending frequency
  double noise_density_dbm0_per_hz = 0;            // median over the tones of noise_dbm0 - 10·log10(50)
  double total_level_dbm0 = -200;                  // mean square of all analysed samples (signal + noise)
  double tones_level_dbm0 = -200;                  // sum of the 21 tone levels
  double freq_offset_hz = 0;                       // common (FDM carrier) frequency offset
  double skew_ppm = 0;                             // frequency error proportional to frequency (clock skew)
  double offset_1050_hz = 0;                       // offset of the 1050 Hz tone (what INFO1 carries, V.34 §10.1.2.3)
  double usable_snr_db = 10;                       // threshold used for the band edges
  double band_low_hz = 0;                          // lowest tone with snr_db >= usable_snr_db (0 = none)
  double band_high_hz = 0;                         // highest tone with snr_db >= usable_snr_db (0 = none)
};

struct LineProbeAnalyzerConfig {
  SampleIndex start_sample = 0;  // absolute index where analysis starts (>= 0); whole periods from here
  int max_periods = 256;         // periods stored at most (4..4096); later ones are ignored (256 = 5.12 s)
  double usable_snr_db = 10.0;   // SNR threshold for the usable band edges (dB)
};

/// Cuts the received signal into whole 160-sample periods from start_sample
/// (any alignment to the probe works because the probe is periodic), takes a
/// 160-point real FFT of each (FFTW, fftwf, planned once with FFTW_ESTIMATE)
/// and stores the bins. report() then estimates, per frequency-offset-aware model:
///
/// - offset/skew: pooled lag-1 phase change of the tone bins (coarse, ±25 Hz
///   unambiguous), then a per-tone lag-T/2 phase slope fitted over the tones as
///   offset + skew·f (weighted by each tone's SNR); a drift common to all tones
///   is the offset, one proportional to f the skew;
/// - every bin b (1..79) is projected, across periods, onto e^{+j2πδt} and
///   e^{-j2πδt} (δ = predicted drift at 50·b Hz in cycles/period; the second
///   phasor carries the negative-frequency image); the projection residual per
///   degree of freedom is the bin's noise, immune to leakage and drift;
/// - SNR estimator (chosen): noise = residual power pooled over the tone bin and
///   its two neighbouring bins each side, signal = the tone's +δ coefficient
///   after undoing the leakage between tones (Dirichlet kernel, neighbours up to
///   2 tones away) minus the noise bias σ²/T. This counts random noise only:
///   distortion that repeats with the probe (e.g. G.711 quantisation of a
///   noise-free probe) is coherent and is not counted.
/// Bandwidth of every per-tone noise/SNR figure: one bin, 50 Hz.
class LineProbeAnalyzer {
 public:
  /// Throws std::invalid_argument naming the bad value.
  explicit LineProbeAnalyzer(const LineProbeAnalyzerConfig& config = {});
  ~LineProbeAnalyzer();
  LineProbeAnalyzer(const LineProbeAnalyzer&) = delete;
  LineProbeAnalyzer& operator=(const LineProbeAnalyzer&) = delete;

  /// Next samples of the stream (absolute index continues from the last call).
  void process(std::span<const float> in) noexcept;
  /// Forget stored periods and analyse from absolute sample `start_sample`
  /// (which may already lie in the past: analysis then starts with the next input).
  void start_at(SampleIndex start_sample) noexcept;
  /// Back to stream index 0, nothing stored, start_sample from the config.
  void reset() noexcept;
  /// Convenience: reset, then analyse `probe` as starting at its first sample.
  ProbeReport analyze(std::span<const float> probe) noexcept;

  /// Estimates from the periods stored so far (no allocation).
  ProbeReport report() const noexcept;

  int periods() const noexcept { return periods_; }
  SampleIndex position() const noexcept { return position_; }

 private:
  static constexpr int kBins = kProbePeriodSamples / 2 + 1;  // 81 bins of the real FFT

  void analyse_frame() noexcept;

  LineProbeAnalyzerConfig config_;                // as given
  SampleIndex start_sample_ = 0;                  // absolute index of the first analysed sample
  SampleIndex position_ = 0;                      // absolute index of the next input sample
  int periods_ = 0;                               // periods stored
  int fill_ = 0;                                  // samples in the current period
  double sum_squares_ = 0;                        // Σx² over stored periods
  float* fft_in_ = nullptr;                       // FFTW buffer, 160 real samples
  void* fft_out_ = nullptr;                       // FFTW buffer, 81 complex bins (fftwf_complex)
  void* plan_ = nullptr;                          // fftwf_plan, r2c 160
  std::vector<std::complex<float>> bins_;         // max_periods × 81 bins, scaled by 2/160 (tone amplitude)
};

}  // namespace squeal
