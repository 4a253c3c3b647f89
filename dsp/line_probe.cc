#include "dsp/line_probe.h"

#include "dsp/fftw_planner.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "dsp/levels.h"

namespace squeal {

namespace {

using cd = std::complex<double>;

// V.34 §10.1.2.4: tone m·150 Hz, m = 1..25 without 900, 1200, 1800, 2400 Hz.
constexpr std::array<int, kProbeToneCount> kToneMultiple = {1,  2,  3,  4,  5,  7,  9,  10, 11, 13, 14,
                                                            15, 17, 18, 19, 20, 21, 22, 23, 24, 25};
// 180° initial phase at 300, 1650, 2250, 2700, 3000, 3150, 3300, 3450 Hz (spec list).
constexpr std::array<int, 8> kInvertedMultiple = {2, 11, 15, 18, 20, 21, 22, 23};

constexpr int kN = kProbePeriodSamples;
constexpr std::array<int, kProbeToneCount> kToneBin = [] {
  std::array<int, kProbeToneCount> bins{};
  for (std::size_t i = 0; i < bins.size(); ++i) bins[i] = 3 * kToneMultiple[i];
  return bins;
}();
constexpr int kMaxNoiseBin = kN / 2 - 1;  // 79: bins 1..79 are complex (0 and 80 are real-only)
constexpr int kNoiseHalfWidthBins = 2;     // neighbours each side pooled with the tone bin
constexpr int kMinPeriods = 4;

std::string number(double v) { return std::to_string(v); }

/// Normalised Dirichlet kernel of a 160-point rectangular DFT: the response of
/// bin k to e^{j2π(k+x)n/N}, divided by N. g(0) = 1.
cd dirichlet(double x) noexcept {
  if (std::abs(x) < 1e-12) return {1.0, 0.0};
  const double mag = std::sin(kPi * x) / (kN * std::sin(kPi * x / kN));
  return std::polar(mag, kPi * x * (kN - 1) / kN);
}

// Complex products written out: std::complex<double> operator* goes through
// __muldc3 (NaN/inf recovery) without -ffast-math, several times slower.
inline cd mul(cd a, cd b) noexcept {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}
/// a · conj(b)
inline cd mul_conj(cd a, cd b) noexcept {
  return {a.real() * b.real() + a.imag() * b.imag(), a.imag() * b.real() - a.real() * b.imag()};
}
inline cd inverse(cd a) noexcept { return std::conj(a) / std::norm(a); }

double wrap_phase(double rad) noexcept {
  double r = std::remainder(rad, 2.0 * kPi);
  if (r <= -kPi) r += 2.0 * kPi;
  return r;
}

}  // namespace

double probe_tone_freq_hz(int tone) noexcept { return 150.0 * kToneMultiple[static_cast<std::size_t>(tone)]; }

int probe_tone_bin(int tone) noexcept { return kToneBin[static_cast<std::size_t>(tone)]; }

double probe_tone_phase_rad(int tone) noexcept {
  const int m = kToneMultiple[static_cast<std::size_t>(tone)];
  return std::find(kInvertedMultiple.begin(), kInvertedMultiple.end(), m) != kInvertedMultiple.end() ? kPi : 0.0;
}

double probe_tone_level_dbm0(double total_level_dbm0) noexcept {
  return total_level_dbm0 - 10.0 * std::log10(static_cast<double>(kProbeToneCount));
}

// ---------------------------------------------------------------- generator

LineProbeGenerator::LineProbeGenerator(const LineProbeGeneratorConfig& config) : config_(config) {
  if (!(config.level_dbm0 >= -40.0 && config.level_dbm0 <= -6.0))
    throw std::invalid_argument("line probe: level_dbm0 " + number(config.level_dbm0) + " outside -40..-6");
  if (config.l1_samples < 0)
    throw std::invalid_argument("line probe: l1_samples " + std::to_string(config.l1_samples) + " < 0");
  if (config.l2_samples <= 0)
    throw std::invalid_argument("line probe: l2_samples " + std::to_string(config.l2_samples) + " <= 0");
  const double amp_l2 = dbm0_to_amplitude(probe_tone_level_dbm0(config.level_dbm0));
  const double amp_l1 = dbm0_to_amplitude(probe_tone_level_dbm0(config.level_dbm0 + 6.0));  // V.34: L1 +6 dB
  for (int n = 0; n < kN; ++n) {
    double sum = 0;
    for (int i = 0; i < kProbeToneCount; ++i)
      sum += std::cos(2.0 * kPi * probe_tone_bin(i) * n / kN + probe_tone_phase_rad(i));
    l1_period_[static_cast<std::size_t>(n)] = static_cast<float>(amp_l1 * sum);
    l2_period_[static_cast<std::size_t>(n)] = static_cast<float>(amp_l2 * sum);
  }
}

void LineProbeGenerator::generate(std::span<float> out) noexcept {
  const SampleIndex l1_end = config_.l1_samples;
  const SampleIndex l2_end = length_samples();
  for (float& y : out) {
    const auto phase = static_cast<std::size_t>(position_ % kN);
    if (position_ < l1_end) {
      y = l1_period_[phase];
    } else if (position_ < l2_end) {
      y = l2_period_[phase];
    } else {
      y = 0.0f;
    }
    ++position_;
  }
}

void LineProbeGenerator::reset() noexcept { position_ = 0; }

// ---------------------------------------------------------------- analyser

LineProbeAnalyzer::LineProbeAnalyzer(const LineProbeAnalyzerConfig& config)
    : config_(config), start_sample_(config.start_sample) {
  if (config.start_sample < 0)
    throw std::invalid_argument("line probe analyser: start_sample " + std::to_string(config.start_sample) + " < 0");
  if (config.max_periods < kMinPeriods || config.max_periods > 4096)
    throw std::invalid_argument("line probe analyser: max_periods " + std::to_string(config.max_periods) +
                                " outside 4..4096");
  if (!std::isfinite(config.usable_snr_db))
    throw std::invalid_argument("line probe analyser: usable_snr_db " + number(config.usable_snr_db));
  bins_.assign(static_cast<std::size_t>(config.max_periods) * kBins, {});
  fft_in_ = fftwf_alloc_real(kN);
  auto* out = fftwf_alloc_complex(kBins);
  fft_out_ = out;
  // The FFTW planner is not thread-safe (dsp/fftw_planner.h).
  {
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    plan_ = fftwf_plan_dft_r2c_1d(kN, fft_in_, out, FFTW_ESTIMATE);
  }
}

LineProbeAnalyzer::~LineProbeAnalyzer() {
  if (plan_ != nullptr) {
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
  }
  fftwf_free(fft_in_);
  fftwf_free(fft_out_);
}

void LineProbeAnalyzer::reset() noexcept {
  position_ = 0;
  start_at(config_.start_sample);
}

void LineProbeAnalyzer::start_at(SampleIndex start_sample) noexcept {
  start_sample_ = std::max(start_sample, position_);
  periods_ = 0;
  fill_ = 0;
  sum_squares_ = 0;
}

ProbeReport LineProbeAnalyzer::analyze(std::span<const float> probe) noexcept {
  position_ = 0;
  start_at(0);
  process(probe);
  return report();
}

void LineProbeAnalyzer::process(std::span<const float> in) noexcept {
  std::size_t i = 0;
  if (position_ < start_sample_) {
    const auto skip = static_cast<std::size_t>(std::min<SampleIndex>(start_sample_ - position_,
                                                                     static_cast<SampleIndex>(in.size())));
    i = skip;
    position_ += static_cast<SampleIndex>(skip);
  }
  while (i < in.size()) {
    if (periods_ >= config_.max_periods) {  // storage full: the rest is ignored
      position_ += static_cast<SampleIndex>(in.size() - i);
      return;
    }
    const std::size_t take = std::min(in.size() - i, static_cast<std::size_t>(kN - fill_));
    std::copy_n(in.data() + i, take, fft_in_ + fill_);
    fill_ += static_cast<int>(take);
    i += take;
    position_ += static_cast<SampleIndex>(take);
    if (fill_ == kN) {
      analyse_frame();
      fill_ = 0;
    }
  }
}

void LineProbeAnalyzer::analyse_frame() noexcept {
  double sq = 0;
  for (int n = 0; n < kN; ++n) sq += static_cast<double>(fft_in_[n]) * fft_in_[n];
  sum_squares_ += sq;
  fftwf_execute(static_cast<fftwf_plan>(plan_));
  const auto* out = static_cast<const fftwf_complex*>(fft_out_);
  constexpr float kScale = 2.0f / kN;  // a bin-centred cosine of amplitude A gives |bin| = A
  std::complex<float>* dst = bins_.data() + static_cast<std::size_t>(periods_) * kBins;
  for (int k = 0; k < kBins; ++k) dst[k] = {out[k][0] * kScale, out[k][1] * kScale};
  ++periods_;
}

ProbeReport LineProbeAnalyzer::report() const noexcept {
  auto tone_freq_hz = [](int k) { return kProbeBinHz * kToneBin[static_cast<std::size_t>(k)]; };
  ProbeReport r;
  const int T = periods_;
  r.periods_used = T;
  r.start_sample = start_sample_;
  r.usable_snr_db = config_.usable_snr_db;
  for (int k = 0; k < kProbeToneCount; ++k) r.tones[static_cast<std::size_t>(k)].freq_hz = tone_freq_hz(k);
  if (T > 0) r.total_level_dbm0 = mean_square_to_dbm0(sum_squares_ / (static_cast<double>(T) * kN));
  if (T < kMinPeriods) return r;
  r.valid = true;

  auto bin = [&](int t, int b) -> cd { return cd(bins_[static_cast<std::size_t>(t) * kBins + static_cast<std::size_t>(b)]); };

  // 1. Coarse drift, cycles per period, pooled over the tones (|δ| < 0.5: ±25 Hz).
  cd lag1 = 0;
  for (int k = 0; k < kProbeToneCount; ++k) {
    const int b = kToneBin[static_cast<std::size_t>(k)];
    for (int t = 1; t < T; ++t) lag1 += mul_conj(bin(t, b), bin(t - 1, b));
  }
  const double coarse = std::arg(lag1) / (2.0 * kPi);

  // 2. Fine drift per tone from the lag-L phase change after the coarse one,
  //    then a weighted fit drift(f) = α + β·(f - f̄) over the tones.
  const int lag = T / 2;
  const cd derotate_lag = std::polar(1.0, -2.0 * kPi * coarse * lag);
  const cd derotate_step = std::polar(1.0, -2.0 * kPi * coarse);
  std::array<double, kProbeToneCount> slope{}, weight{};
  for (int k = 0; k < kProbeToneCount; ++k) {
    const int b = kToneBin[static_cast<std::size_t>(k)];
    cd rot = 1.0, mean = 0, lagged = 0;
    double energy = 0;
    for (int t = 0; t < T; ++t) {
      const cd y = bin(t, b);
      mean += mul(y, rot);
      energy += std::norm(y);
      rot = mul(rot, derotate_step);
      if (t >= lag) lagged += mul_conj(y, bin(t - lag, b));
    }
    mean /= T;
    const double var = std::max((energy - T * std::norm(mean)) / (T - 1), 1e-30);
    const double snr = std::norm(mean) / var;
    slope[static_cast<std::size_t>(k)] = std::arg(mul(lagged, derotate_lag)) / (2.0 * kPi * lag);
    // Phase-slope variance ∝ 1 / (SNR·L²·(T-L)); tones below ~3 dB are left out.
    weight[static_cast<std::size_t>(k)] = snr >= 2.0 ? std::min(snr, 1e5) * lag * lag * (T - lag) : 0.0;
  }
  double w_sum = 0, wf_sum = 0, ws_sum = 0;
  int weighted = 0;
  for (int k = 0; k < kProbeToneCount; ++k) {
    const auto i = static_cast<std::size_t>(k);
    w_sum += weight[i];
    wf_sum += weight[i] * tone_freq_hz(k);
    ws_sum += weight[i] * slope[i];
    if (weight[i] > 0) ++weighted;
  }
  double alpha = 0, beta = 0, f_mean = 0;
  if (w_sum > 0) {
    f_mean = wf_sum / w_sum;
    alpha = ws_sum / w_sum;
    double sxx = 0, sxy = 0;
    for (int k = 0; k < kProbeToneCount; ++k) {
      const auto i = static_cast<std::size_t>(k);
      const double dx = tone_freq_hz(k) - f_mean;
      sxx += weight[i] * dx * dx;
      sxy += weight[i] * dx * (slope[i] - alpha);
    }
    if (weighted >= 3 && sxx > 0) beta = sxy / sxx;
  }
  // Drift of a component at freq_hz, cycles per period.
  auto drift = [&](double freq_hz) { return coarse + alpha + beta * (freq_hz - f_mean); };
  r.freq_offset_hz = drift(0.0) * kProbeBinHz;
  r.skew_ppm = beta * kProbeBinHz * 1e6;
  r.offset_1050_hz = drift(1050.0) * kProbeBinHz;

  // 3. Every complex bin: least-squares fit of e^{+j2πδt} (positive-frequency
  //    components, leakage included) and e^{-j2πδt} (negative-frequency images);
  //    the residual is noise. Collinear phasors (small δ·T) → fit the first only.
  std::array<cd, kMaxNoiseBin + 1> coefficient{};
  std::array<double, kMaxNoiseBin + 1> residual{}, dof{};
  // Structure of arrays over the bins, periods in the outer loop, so the
  // per-bin accumulations run side by side (vectorisable).
  constexpr std::size_t kFit = kMaxNoiseBin + 1;
  std::array<double, kFit> rot_re{}, rot_im{}, step_re{}, step_im{}, c1_re{}, c1_im{}, c2_re{}, c2_im{},
      g12_re{}, g12_im{}, energy_of{};
  {
    // δ is linear in f: the per-bin steps follow by one more rotation each.
    const cd first = std::polar(1.0, 2.0 * kPi * drift(0.0));
    const cd per_bin = std::polar(1.0, 2.0 * kPi * (drift(kProbeBinHz) - drift(0.0)));
    cd step = first;
    for (std::size_t q = 0; q < kFit; ++q) {
      step_re[q] = step.real();
      step_im[q] = step.imag();
      rot_re[q] = 1.0;
      step = mul(step, per_bin);
    }
  }
  for (int t = 0; t < T; ++t) {
    const std::complex<float>* row = bins_.data() + static_cast<std::size_t>(t) * kBins;
    for (std::size_t q = 1; q < kFit; ++q) {
      const double yr = row[q].real(), yi = row[q].imag();
      const double cr = rot_re[q], ci = rot_im[q];
      c1_re[q] += yr * cr + yi * ci;  // y · conj(rot)
      c1_im[q] += yi * cr - yr * ci;
      c2_re[q] += yr * cr - yi * ci;  // y · rot
      c2_im[q] += yi * cr + yr * ci;
      g12_re[q] += cr * cr - ci * ci;  // conj(rot²)
      g12_im[q] -= 2.0 * cr * ci;
      energy_of[q] += yr * yr + yi * yi;
      rot_re[q] = cr * step_re[q] - ci * step_im[q];
      rot_im[q] = cr * step_im[q] + ci * step_re[q];
    }
  }
  for (int q = 1; q <= kMaxNoiseBin; ++q) {
    const auto i = static_cast<std::size_t>(q);
    const cd c1(c1_re[i], c1_im[i]), c2(c2_re[i], c2_im[i]), g12(g12_re[i], g12_im[i]);
    const double energy = energy_of[i];
    if (std::norm(g12) < 0.25 * T * T) {  // |g12| < T/2
      const double det = static_cast<double>(T) * T - std::norm(g12);
      const cd x1 = (static_cast<double>(T) * c1 - mul(g12, c2)) / det;
      const cd x2 = (static_cast<double>(T) * c2 - mul_conj(c1, g12)) / det;
      coefficient[i] = x1;
      residual[i] = energy - (mul_conj(x1, c1) + mul_conj(x2, c2)).real();
      dof[i] = T - 2;
    } else {
      coefficient[i] = c1 / static_cast<double>(T);
      residual[i] = energy - std::norm(c1) / T;
      dof[i] = T - 1;
    }
    residual[i] = std::max(residual[i], 0.0);
  }

  // 4. Tone amplitudes: undo the leakage between tones. With a drift δ_j the
  //    rectangular window leaks tone j into bin b_k with g(b_j + δ_j - b_k),
  //    which decays only as 1/distance, so every pair counts: Gauss-Seidel sweeps
  //    on Z_k = Σ_j g(b_j + δ_j - b_k)·a_j (off-diagonal row sums < 0.2).
  //    g(d + δ_j) = (-1)^d sin(πδ_j) e^{jπ(d+δ_j)(N-1)/N} / (N sin(π(d+δ_j)/N));
  //    the denominator uses the mid-band δ (δ_j differ by < 0.008 with skew).
  std::array<cd, kProbeToneCount> amp{}, own{}, own_inverse{}, tone_factor{};
  for (int k = 0; k < kProbeToneCount; ++k) {
    const auto i = static_cast<std::size_t>(k);
    const double d = drift(tone_freq_hz(k));
    own[i] = dirichlet(d);
    own_inverse[i] = inverse(own[i]);
    tone_factor[i] = std::polar(std::sin(kPi * d), kPi * d * (kN - 1) / kN);
    amp[i] = mul(coefficient[static_cast<std::size_t>(kToneBin[static_cast<std::size_t>(k)])], own_inverse[i]);
  }
  const double mid_drift = drift(1950.0);
  if (std::abs(mid_drift) > 1e-7) {
    constexpr int kMaxDistance = 72;  // bins between the 150 and 3750 Hz tones
    std::array<cd, 2 * kMaxDistance / 3 + 1> distance_factor{};
    // Both angles grow linearly with m: step them by rotation instead of trig per m.
    constexpr int kMaxM = kMaxDistance / 3;
    cd denominator = std::polar(1.0, kPi * (-3 * kMaxM + mid_drift) / kN);  // imag = sin(π(d+δ)/N)
    cd phase = std::polar(1.0, kPi * (-3 * kMaxM) * (kN - 1) / kN);
    const cd denominator_step = std::polar(1.0, 3.0 * kPi / kN);
    const cd phase_step = std::polar(1.0, 3.0 * kPi * (kN - 1) / kN);
    for (int m = -kMaxM; m <= kMaxM; ++m) {
      if (m != 0) {
        const double sign = (m % 2 == 0) ? 1.0 : -1.0;  // (-1)^d, d = 3m
        distance_factor[static_cast<std::size_t>(m + kMaxM)] = phase * (sign / (kN * denominator.imag()));
      }
      denominator = mul(denominator, denominator_step);
      phase = mul(phase, phase_step);
    }
    // cross[k][j] = g(b_j + δ_j - b_k), split into real and imaginary parts.
    std::array<std::array<double, kProbeToneCount>, kProbeToneCount> cross_re{}, cross_im{};
    for (int k = 0; k < kProbeToneCount; ++k)
      for (int j = 0; j < kProbeToneCount; ++j) {
        if (j == k) continue;
        const int m = (kToneBin[static_cast<std::size_t>(j)] - kToneBin[static_cast<std::size_t>(k)]) / 3;
        const cd c = mul(distance_factor[static_cast<std::size_t>(m + kMaxDistance / 3)], tone_factor[static_cast<std::size_t>(j)]);
        cross_re[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)] = c.real();
        cross_im[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)] = c.imag();
      }
    // Gauss-Seidel sweeps (off-diagonal row sums < 0.2: 4 sweeps leave < 1e-3 dB).
    for (int sweep = 0; sweep < 4; ++sweep) {
      for (std::size_t k = 0; k < kProbeToneCount; ++k) {
        double re = 0, im = 0;
        for (std::size_t j = 0; j < kProbeToneCount; ++j) {
          re += cross_re[k][j] * amp[j].real() - cross_im[k][j] * amp[j].imag();
          im += cross_re[k][j] * amp[j].imag() + cross_im[k][j] * amp[j].real();
        }
        amp[k] = mul(coefficient[static_cast<std::size_t>(kToneBin[k])] - cd(re, im), own_inverse[k]);
      }
    }
  }

  // 5. Per tone: noise pooled over the tone bin ± 2 bins, signal minus its noise bias.
  std::array<double, kProbeToneCount> density{};
  double tones_ms = 0;
  for (int k = 0; k < kProbeToneCount; ++k) {
    const auto i = static_cast<std::size_t>(k);
    const int b = kToneBin[static_cast<std::size_t>(k)];
    double res = 0, deg = 0;
    for (int q = std::max(1, b - kNoiseHalfWidthBins); q <= std::min(kMaxNoiseBin, b + kNoiseHalfWidthBins); ++q) {
      res += residual[static_cast<std::size_t>(q)];
      deg += dof[static_cast<std::size_t>(q)];
    }
    const double noise = std::max(res / deg, 1e-30);                  // E|bin|² of the noise
    const double bias = noise / (T * std::norm(own[i]));               // what the noise adds to |a|²
    const double power = std::max(std::norm(amp[i]) - bias, 0.0);  // |a|² of the tone (0 → -200 dBm0)
    ProbeTone& tone = r.tones[i];
    tone.level_dbm0 = mean_square_to_dbm0(power / 2.0);
    tone.noise_dbm0 = mean_square_to_dbm0(noise / 2.0);
    tone.snr_db = tone.level_dbm0 - tone.noise_dbm0;
    tone.phase_rad = wrap_phase(std::arg(amp[i]) - probe_tone_phase_rad(k));
    density[i] = tone.noise_dbm0 - 10.0 * std::log10(kProbeBinHz);
    tones_ms += power / 2.0;
    if (tone.snr_db >= config_.usable_snr_db) {
      if (r.band_low_hz == 0) r.band_low_hz = tone.freq_hz;
      r.band_high_hz = tone.freq_hz;
    }
  }
  std::nth_element(density.begin(), density.begin() + kProbeToneCount / 2, density.end());
  r.noise_density_dbm0_per_hz = density[kProbeToneCount / 2];
  r.tones_level_dbm0 = mean_square_to_dbm0(tones_ms);
  return r;
}

}  // namespace squeal
