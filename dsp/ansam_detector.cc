#include "dsp/ansam_detector.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "dsp/filter_design.h"
#include "dsp/levels.h"

namespace squeal {

namespace {

constexpr double kDecimatedRateHz = 500.0;  // kSampleRateHz / 16
constexpr double kAmRateHz = 15.0;          // V.8 ANSam: 15 ±0.1 Hz AM
constexpr double kCarrierHz = 2100.0;       // V.25 ANS: 2100 ±15 Hz
constexpr double kAmSegmentSeconds = 0.2;   // kAmSegment / 500 Hz
constexpr int kRevExclusion = 12;           // decimated samples either side of a reversal kept out of the AM fit
constexpr int kEdgeExclusion = 10;          // ... after the first passing block (onset ramp)
constexpr int kRevRefractory = 50;          // 100 ms between reversals (V.25: every 450 ±25 ms)

// Plain complex products: std::complex's operator* calls __mulsc3 (C99
// Annex G inf/nan rules) without -ffast-math, several times slower.
inline std::complex<float> mul(std::complex<float> a, std::complex<float> b) {
  return {a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real()};
}
inline std::complex<float> mul_conj(std::complex<float> a, std::complex<float> b) {  // a·conj(b)
  return {a.real() * b.real() + a.imag() * b.imag(), a.imag() * b.real() - a.real() * b.imag()};
}

// Tone over the rest of the band from sums of tone and input mean squares;
// summed first, since per-sample differences carry the power meter's ripple.
float snr_db(double tone_sum, double total_sum) {
  const double rest = total_sum - tone_sum;
  return static_cast<float>(rest > 0 ? std::min(power_ratio_db(tone_sum / rest), 99.0) : 99.0);
}

void check(bool ok, const char* name, double value, const char* range) {
  if (!ok) {
    throw std::invalid_argument(std::string("AnsamDetector ") + name + " " + std::to_string(value) +
                                " is outside " + range);
  }
}

}  // namespace

// ---- AmFit ----------------------------------------------------------------
// Hot per-sample members are defined `inline` (used in this file only) so the
// compiler may inline them: in a shared library, non-inline members are
// interposable and every call would go through the PLT.

inline void AnsamDetector::AmFit::add(float amp, float cos_v, float sin_v) noexcept {
  n += 1;
  c += cos_v;
  s += sin_v;
  cc += double{cos_v} * cos_v;
  ss += double{sin_v} * sin_v;
  cs += double{cos_v} * sin_v;
  a += amp;
  ac += double{amp} * cos_v;
  as += double{amp} * sin_v;
  aa += double{amp} * amp;
}

bool AnsamDetector::AmFit::solve(double& depth, std::complex<double>& phasor, double& explained,
                                 double& residual) const noexcept {
  // Normal equations M·[a0 a1 a2]ᵀ = [Σa Σa·cos Σa·sin]ᵀ, by Cramer's rule.
  const double m00 = n, m01 = c, m02 = s, m11 = cc, m12 = cs, m22 = ss;
  const double det = m00 * (m11 * m22 - m12 * m12) - m01 * (m01 * m22 - m12 * m02) +
                     m02 * (m01 * m12 - m11 * m02);
  if (n < 3 || !(std::abs(det) > 1e-6 * n * n * n)) return false;
  const double b0 = a, b1 = ac, b2 = as;
  const double a0 = (b0 * (m11 * m22 - m12 * m12) - m01 * (b1 * m22 - m12 * b2) +
                     m02 * (b1 * m12 - m11 * b2)) / det;
  const double a1 = (m00 * (b1 * m22 - m12 * b2) - b0 * (m01 * m22 - m12 * m02) +
                     m02 * (m01 * b2 - b1 * m02)) / det;
  const double a2 = (m00 * (m11 * b2 - b1 * m12) - m01 * (m01 * b2 - b1 * m02) +
                     b0 * (m01 * m12 - m11 * m02)) / det;
  if (!(a0 > 0)) return false;
  depth = std::hypot(a1, a2) / a0;
  phasor = {a1, -a2};
  const double total = std::max(aa - a * a / n, 0.0);
  residual = std::clamp(aa - (a0 * b0 + a1 * b1 + a2 * b2), 0.0, total);
  explained = total - residual;
  return true;
}

// ---- AnsamDetector --------------------------------------------------------

AnsamDetector::AnsamDetector(const Config& config) : config_(config) {
  const Config& c = config;
  check(c.min_level_dbm0 >= -70 && c.min_level_dbm0 <= 0, "min_level_dbm0", c.min_level_dbm0, "-70..0 dBm0");
  check(c.min_snr_db >= -20 && c.min_snr_db <= 40, "min_snr_db", c.min_snr_db, "-20..40 dB");
  check(c.hysteresis_db >= 0 && c.hysteresis_db <= 20, "hysteresis_db", c.hysteresis_db, "0..20 dB");
  check(c.max_drop_db >= 3 && c.max_drop_db <= 40, "max_drop_db", c.max_drop_db, "3..40 dB");
  check(c.on_snr_db >= -40 && c.on_snr_db <= c.min_snr_db, "on_snr_db", c.on_snr_db, "-40 dB..min_snr_db");
  check(c.max_freq_offset_hz >= 1 && c.max_freq_offset_hz <= 60, "max_freq_offset_hz",
        c.max_freq_offset_hz, "1..60 Hz");
  check(c.min_duration_ms >= 50 && c.min_duration_ms <= 2000, "min_duration_ms", c.min_duration_ms,
        "50..2000 ms");
  check(c.max_gap_ms >= 10 && c.max_gap_ms <= 200, "max_gap_ms", c.max_gap_ms, "10..200 ms");
  check(c.min_am_depth > 0 && c.min_am_depth < 1, "min_am_depth", c.min_am_depth, "(0, 1)");
  check(c.max_am_rate_error_hz > 0 && c.max_am_rate_error_hz <= 2.5, "max_am_rate_error_hz",
        c.max_am_rate_error_hz, "(0, 2.5] Hz");

  // Stage 1 at 8 kHz: flat to ±60 Hz, ≥59 dB from 420 Hz, the first offset that
  // folds into ±80 Hz at 500 Hz. 64 taps: 8 multiply-adds per input sample.
  const auto h1 = design_lowpass(kTaps1, 60, 420, kSampleRate, 10.f, 1.0);
  // NCO at 2100/8000 = 21/80 cycles per sample: an exact table (V.25 ANS frequency).
  plan_ = simd::make_mixdown_plan(h1, kDecimation, 21, 80);
  // Stage 2 at 500 Hz: ±0.05 dB to ±30 Hz (AM sidebands of a 2100 ±15 Hz tone),
  // ≥60 dB from 90 Hz (V.21 channel 2 at 1850 Hz is 250 Hz away). Gain 2:
  // mixing halves a real tone's amplitude.
  const auto h2 = design_lowpass(kTaps2, 35, 90, kDecimatedRateHz, 10.f, 2.0);
  for (std::size_t k = 0; k < kTaps2; ++k) taps2x_[2 * k] = taps2x_[2 * k + 1] = h2[k];
  for (int k = 0; k < kAmSegment; ++k) {
    const double phase = 2 * kPi * kAmRateHz * k / kDecimatedRateHz;
    am_cos_[static_cast<std::size_t>(k)] = static_cast<float>(std::cos(phase));
    am_sin_[static_cast<std::size_t>(k)] = static_cast<float>(std::sin(phase));
  }

  on_power_ = static_cast<float>(dbm0_to_mean_square(c.min_level_dbm0));
  stay_power_ = static_cast<float>(dbm0_to_mean_square(c.min_level_dbm0 - c.hysteresis_db));
  on_snr_ = static_cast<float>(std::pow(10.0, c.min_snr_db / 10.0));
  stay_snr_ = static_cast<float>(std::pow(10.0, (c.min_snr_db - c.hysteresis_db) / 10.0));
  // w² turns twice as fast as w.
  reported_snr_ = static_cast<float>(std::pow(10.0, std::min(c.on_snr_db, c.min_snr_db - c.hysteresis_db) / 10.0));
  max_drop_ = static_cast<float>(std::pow(10.0, -c.max_drop_db / 10.0));
  const double cos_max = std::cos(2 * 2 * kPi * c.max_freq_offset_hz / kDecimatedRateHz);
  cos2_max_dphi_ = cos_max * cos_max;
  min_blocks_ = static_cast<int>(std::ceil(c.min_duration_ms / 10.0));
  max_miss_blocks_ = static_cast<int>(std::lround(c.max_gap_ms / 10.0));
  hist_.assign(kHistory + kChunk, 0.f);
  reset();
}

void AnsamDetector::reset() noexcept {
  // The window of stage-1 output 0 starts at sample -48: silence before the stream.
  std::fill(hist_.begin(), hist_.end(), 0.f);
  hist_fill_ = kHistory;
  next_out_ = 0;
  z_.fill(Complex{});
  z_pos_ = 0;
  w_.fill(Complex{});
  power_.fill(0.f);
  total_ms_.fill(0.f);
  energy_.fill(0.f);
  m_ = -1;
  blk_tone_ = blk_total_ = blk_rot_norm_ = 0;
  blk_rot_ = {};
  state_ = State::idle;
  last_end_sample_ = -1;
  start_candidate();
  state_ = State::idle;
}

void AnsamDetector::process(std::span<const float> in, EventQueue& out) noexcept {
  while (!in.empty()) {
    const std::size_t n = std::min(in.size(), hist_.size() - hist_fill_);
    run_chunk(in.first(n), out);
    in = in.subspan(n);
  }
}

void AnsamDetector::run_chunk(std::span<const float> in, EventQueue& out) noexcept {
  std::memcpy(hist_.data() + hist_fill_, in.data(), in.size() * sizeof(float));
  hist_fill_ += in.size();
  if (hist_fill_ < kTaps1) return;
  const std::size_t outputs = (hist_fill_ - kTaps1) / kDecimation + 1;
  const auto phase = static_cast<std::size_t>(next_out_ % static_cast<std::int64_t>(plan_.num_phases));
  simd::mixdown_decimate(plan_, hist_.data(), outputs, phase, out_re_.data(), out_im_.data(),
                         out_ms_.data());
  next_out_ += static_cast<std::int64_t>(outputs);
  const std::size_t used = outputs * kDecimation;
  std::memmove(hist_.data(), hist_.data() + used, (hist_fill_ - used) * sizeof(float));
  hist_fill_ -= used;
  for (std::size_t i = 0; i < outputs; ++i) on_decimated(out_re_[i], out_im_[i], out_ms_[i], out);
}

inline void AnsamDetector::on_decimated(float re, float im, float mean_square, EventQueue& out) noexcept {
  const std::int64_t m = ++m_;
  const auto mi = static_cast<std::size_t>(m);
  energy_[mi & (energy_.size() - 1)] = mean_square;

  // Stage 2: the mirrored ring keeps the newest kTaps2 values contiguous.
  z_[z_pos_] = z_[z_pos_ + kTaps2] = Complex{re, im};
  const Complex* window = z_.data() + z_pos_ + 1;
  z_pos_ = z_pos_ + 1 == kTaps2 ? 0 : z_pos_ + 1;
  // Interleaved re/im times lane-duplicated taps in eight independent partial
  // sums: the compiler vectorises it without reassociating (no fast-math).
  const float* win = reinterpret_cast<const float*>(window);
  std::array<float, 8> acc{};
  for (std::size_t i = 0; i + 8 <= 2 * kTaps2; i += 8) {
    for (std::size_t l = 0; l < 8; ++l) acc[l] += taps2x_[i + l] * win[i + l];
  }
  float wr = (acc[0] + acc[2]) + (acc[4] + acc[6]);
  float wi = (acc[1] + acc[3]) + (acc[5] + acc[7]);
  for (std::size_t i = 2 * kTaps2 / 8 * 8; i < 2 * kTaps2; i += 2) {
    wr += taps2x_[i] * win[i];
    wi += taps2x_[i + 1] * win[i + 1];
  }
  const Complex w{wr, wi};
  const Complex w_prev = w_at(m - 1);
  w_[mi & (kRing - 1)] = w;
  const float power = std::norm(w);
  power_[mi & (kRing - 1)] = power;  // |w| only where needed: no sqrt per sample
  const float total = m >= kEnergyDelay ? energy_[static_cast<std::size_t>(m - kEnergyDelay) & (energy_.size() - 1)] : 0.f;
  total_ms_[mi & (kRing - 1)] = total;

  blk_tone_ += 0.5f * power;  // mean square of a sine of amplitude |w|
  blk_total_ += total;
  blk_rot_ += mul_conj(mul(w, w), mul(w_prev, w_prev));  // sign-free: ignores reversals
  blk_rot_norm_ += power * std::norm(w_prev);

  if (state_ != State::idle) {
    detect_reversal(m, out);
    if (m - kAmDelay >= 0) add_am_sample(m - kAmDelay);
  }
  if ((m + 1) % kBlock == 0) on_block(out);
}

inline void AnsamDetector::on_block(EventQueue& out) noexcept {
  const double tone = blk_tone_ / kBlock;
  const double total = blk_total_ / kBlock;
  const double rest = std::max(total - tone, 1e-12);
  const bool started = state_ != State::idle;
  // Once reported, also relative to the tone's own mean level: in-band noise
  // left behind when it stops must not keep it on (CM on top does not lower it).
  const bool level_ok = tone >= (started ? stay_power_ : on_power_) &&
                        (state_ != State::on || tone >= max_drop_ * hit_tone_sum_ / hit_blocks_);
  const float min_snr = state_ == State::on ? reported_snr_ : started ? stay_snr_ : on_snr_;
  const bool snr_ok = tone >= min_snr * rest;
  // |arg(blk_rot_)| <= max phase step and |blk_rot_| >= 0.8·Σ|w|²|w_prev|²
  // (coherent), compared squared.
  const double rot_re = blk_rot_.real();
  const double rot_sq = std::norm(blk_rot_);
  const bool freq_ok = rot_re >= 0 && rot_re * rot_re >= cos2_max_dphi_ * rot_sq &&
                       rot_sq >= 0.64 * blk_rot_norm_ * blk_rot_norm_ && blk_rot_norm_ > 0;
  const bool hit = level_ok && snr_ok && freq_ok;

  if (hit) {
    if (state_ == State::idle) {
      start_candidate();
      state_ = State::candidate;
      first_block_m_ = m_ - (kBlock - 1);
    }
    ++hit_blocks_;
    miss_blocks_ = 0;
    last_hit_m_ = m_;
    amp_sum_ += std::sqrt(2 * tone);
    mean_amp_ = static_cast<float>(amp_sum_ / hit_blocks_);
    hit_tone_sum_ += tone;
    hit_total_sum_ += total;
    rot_sum_ += blk_rot_;
    // Carrier offset per decimated sample: half the angle of rot_sum_ (w²),
    // e^{jθ/2} = (1 + u)/|1 + u| for the unit vector u (|θ| < π: no trig).
    const float u_abs = std::sqrt(std::norm(rot_sum_));
    if (u_abs > 0) {
      const Complex half_angle = Complex{1.f, 0.f} + rot_sum_ / u_abs;
      const float h_abs = std::sqrt(std::norm(half_angle));
      if (h_abs > 0) rot_step_ = std::conj(half_angle) / h_abs;
      const Complex r2 = mul(rot_step_, rot_step_);
      const Complex r8 = mul(mul(r2, r2), mul(r2, r2));
      rot_lag_ = mul(r8, r2);  // kRevLag = 10
    }
  } else if (state_ != State::idle && ++miss_blocks_ > max_miss_blocks_) {
    if (state_ == State::on) {
      finish(out);
    } else {
      state_ = State::idle;
    }
  }
  if (state_ == State::candidate) {
    const auto elapsed = m_ + 1 - first_block_m_;
    if (elapsed >= static_cast<std::int64_t>(min_blocks_) * kBlock) {
      // Most of the time must have passed, so scattered lucky blocks of noise do not add up.
      if (5 * hit_blocks_ * kBlock >= 4 * elapsed) {
        confirm(out);
      } else {
        state_ = State::idle;
      }
    }
  }
  blk_tone_ = blk_total_ = blk_rot_norm_ = 0;
  blk_rot_ = {};
}

void AnsamDetector::start_candidate() noexcept {
  first_block_m_ = last_hit_m_ = 0;
  hit_blocks_ = miss_blocks_ = 0;
  amp_sum_ = hit_tone_sum_ = hit_total_sum_ = 0;
  rot_sum_ = {};
  rot_step_ = rot_lag_ = {1.f, 0.f};
  onset_m_ = 0;
  onset_sample_ = 0;
  num_pending_ = 0;
  reversals_ = 0;
  rev_m_.fill(0);
  last_rev_detect_m_ = -1000000;
  seg_ = {};
  seg_index_ = -1;
  mean_amp_ = 0;
  depth_sum_ = depth_weight_ = 0;
  drift_ = last_phasor_ = {};
  last_seg_index_ = -10;
  explained_sum_ = residual_sum_ = 0;
  level_sum_ = total_sum_ = 0;
  level_count_ = 0;
}

inline bool AnsamDetector::near_reversal(std::int64_t k) const noexcept {
  const int n = std::min(reversals_, static_cast<int>(rev_m_.size()));
  for (int i = 0; i < n; ++i) {
    if (std::abs(static_cast<double>(k) - rev_m_[static_cast<std::size_t>(i)]) <= kRevExclusion) return true;
  }
  return false;
}

inline bool AnsamDetector::outlier(std::int64_t k) const noexcept {
  // ANSam's envelope stays within 0.8..1.2 of its mean (V.8); drop-outs and
  // clicks on a real line fall far outside and would swamp the 15 Hz fit.
  const float p = power_at(k);
  const float mean_sq = mean_amp_ * mean_amp_;
  return p < 0.36f * mean_sq || p > 2.56f * mean_sq;  // |w| outside 0.6..1.6 of the mean
}

inline void AnsamDetector::detect_reversal(std::int64_t m, EventQueue& out) noexcept {
  if (m - last_rev_detect_m_ < kRevRefractory || hit_blocks_ == 0) return;
  const float half = 0.5f * mean_amp_;
  const Complex wp = w_at(m - kRevLag);
  const Complex wc = w_at(m);
  const float half_sq = half * half;
  if (std::norm(wp) < half_sq || std::norm(wc) < half_sq) return;
  // Turned by more than 120° over the lag, once the carrier offset is removed?
  const Complex c = mul(mul_conj(wc, wp), rot_lag_);
  if (c.real() >= 0 || c.real() * c.real() < 0.25f * std::norm(c)) return;

  // The instant: where w, seen in the pre-reversal phase frame, crosses zero.
  const Complex ref = std::conj(wp) / std::sqrt(std::norm(wp));
  float r_prev = std::sqrt(std::norm(wp));
  Complex rot = rot_step_;
  double t = static_cast<double>(m);
  for (int i = 1; i <= kRevLag; ++i, rot = mul(rot, rot_step_)) {
    const std::int64_t k = m - kRevLag + i;
    const float r = mul(mul(w_at(k), ref), rot).real();
    if (r < 0 && r_prev >= 0) {
      t = static_cast<double>(k - 1) + r_prev / (r_prev - r);
      break;
    }
    r_prev = r;
  }
  last_rev_detect_m_ = m;
  rev_m_[static_cast<std::size_t>(reversals_) % rev_m_.size()] = t;
  ++reversals_;
  Event e = make_event(Signal::phase_reversal, Edge::instant, to_sample(t));
  e.count = reversals_;
  if (state_ == State::on) {
    out.push(e);
  } else if (num_pending_ < pending_.size()) {
    pending_[num_pending_++] = e;
  }
}

inline void AnsamDetector::add_am_sample(std::int64_t k) noexcept {
  // The 15 Hz envelope is well sampled at 250 Hz: every other sample halves the cost.
  if ((k & 1) != 0 || k < first_block_m_ + kEdgeExclusion || k > last_hit_m_ || near_reversal(k) ||
      outlier(k)) {
    return;
  }
  const std::int64_t seg = k / kAmSegment;
  if (seg != seg_index_) {
    close_am_segment();
    seg_index_ = seg;
  }
  const auto phase = static_cast<std::size_t>(k % kAmSegment);
  const float a = amp_at(k);
  seg_.add(a, am_cos_[phase], am_sin_[phase]);
  const double tone = 0.5 * double{a} * a;
  level_sum_ += tone;
  total_sum_ += total_ms_[static_cast<std::size_t>(k) & (kRing - 1)];
  ++level_count_;
}

void AnsamDetector::close_am_segment() noexcept {
  double depth = 0, explained = 0, residual = 0;
  std::complex<double> phasor;
  if (seg_.n >= kAmSegment / 4 && seg_.solve(depth, phasor, explained, residual)) {
    depth_sum_ += depth * seg_.n;
    depth_weight_ += seg_.n;
    explained_sum_ += explained;
    residual_sum_ += residual;
    if (last_seg_index_ == seg_index_ - 1) drift_ += phasor * std::conj(last_phasor_);
    last_phasor_ = phasor;
    last_seg_index_ = seg_index_;
  }
  seg_ = {};
}

void AnsamDetector::fit_ring(std::int64_t from, std::int64_t to, AmFit& fit) const noexcept {
  for (std::int64_t k = std::max<std::int64_t>(from, 0); k <= to; ++k) {
    if (near_reversal(k) || outlier(k)) continue;  // once per tone: every sample
    const auto phase = static_cast<std::size_t>(k % kAmSegment);
    fit.add(amp_at(k), am_cos_[phase], am_sin_[phase]);
  }
}

bool AnsamDetector::am_present(double& depth, double& rate_hz) const noexcept {
  depth = 0;
  rate_hz = 0;
  double explained = explained_sum_, residual = residual_sum_;
  if (depth_weight_ > 0) {
    depth = depth_sum_ / depth_weight_;
  } else {
    // No segment had enough samples (a short tone): fit what the ring holds.
    AmFit fit;
    fit_ring(std::max(first_block_m_ + kEdgeExclusion, m_ - static_cast<std::int64_t>(kRing) + 1),
             std::min(last_hit_m_, m_), fit);
    std::complex<double> phasor;
    if (!fit.solve(depth, phasor, explained, residual)) return false;
  }
  // A 15 Hz sine must explain a good part of the envelope's wobble (noise
  // alone: ~2 of ~100 degrees of freedom; line drop-outs add some).
  bool am = depth >= config_.min_am_depth && 2 * explained >= residual;
  if (std::abs(drift_) > 0) {
    rate_hz = kAmRateHz + std::arg(drift_) / (2 * kPi * kAmSegmentSeconds);
    am = am && std::abs(rate_hz - kAmRateHz) <= config_.max_am_rate_error_hz;
  }
  if (!am) rate_hz = 0;
  return am;
}

Signal AnsamDetector::classify(bool am, int reversals) const noexcept {
  if (am) return reversals > 0 ? Signal::ansam_pr : Signal::ansam;
  return reversals > 0 ? Signal::ans_pr : Signal::ans;
}

SampleIndex AnsamDetector::to_sample(double m) const noexcept {
  return static_cast<SampleIndex>(std::llround(static_cast<double>(kDecimation) * m - 272.5));
}

Event AnsamDetector::make_event(Signal s, Edge e, SampleIndex sample) const noexcept {
  Event ev;
  ev.sample = sample;
  ev.signal = s;
  ev.edge = e;
  ev.freq_hz = static_cast<float>(kCarrierHz + 0.5 * std::arg(rot_sum_) * kDecimatedRateHz / (2 * kPi));
  return ev;
}

void AnsamDetector::confirm(EventQueue& out) noexcept {
  // Onset: where |w| rose through half the tone's mean amplitude (the
  // linear-phase cascade puts a step's half-way point at its true instant).
  const float half = static_cast<float>(0.5 * amp_sum_ / hit_blocks_);
  const std::int64_t lo = std::max({first_block_m_ - 40, m_ - static_cast<std::int64_t>(kRing) + 2,
                                    std::int64_t{1}});
  double t = static_cast<double>(first_block_m_);
  for (std::int64_t k = lo; k <= first_block_m_ + 20 && k <= m_; ++k) {
    const float a0 = amp_at(k - 1), a1 = amp_at(k);
    if (a0 < half && a1 >= half) {
      t = static_cast<double>(k - 1) + (half - a0) / (a1 - a0);
      break;
    }
  }
  onset_m_ = t;
  onset_sample_ = std::max({to_sample(t), last_end_sample_ + 1, SampleIndex{0}});

  AmFit fit;
  fit_ring(first_block_m_ + kEdgeExclusion, m_ - 2, fit);
  double depth = 0, explained = 0, residual = 0;
  std::complex<double> phasor;
  const bool am = fit.solve(depth, phasor, explained, residual) &&
                  depth >= config_.min_am_depth && 2 * explained >= residual;
  int early_reversals = 0;
  for (std::size_t i = 0; i < num_pending_; ++i) early_reversals += pending_[i].sample >= onset_sample_;

  Event e = make_event(classify(am, early_reversals), Edge::on, onset_sample_);
  e.level_dbm0 = static_cast<float>(mean_square_to_dbm0(hit_tone_sum_ / hit_blocks_));
  e.snr_db = snr_db(hit_tone_sum_, hit_total_sum_);
  e.am_depth = static_cast<float>(depth);
  e.count = early_reversals;
  out.push(e);
  for (std::size_t i = 0; i < num_pending_; ++i) {
    if (pending_[i].sample >= onset_sample_) out.push(pending_[i]);
  }
  num_pending_ = 0;
  state_ = State::on;
}

void AnsamDetector::finish(EventQueue& out) noexcept {
  const float half = static_cast<float>(0.5 * amp_sum_ / hit_blocks_);
  // End: where |w| last fell through half the mean amplitude (walking back
  // from now over the decay; reversal dips come back up, so they are passed
  // over). A tone masked rather than stopped ends with its last passing block.
  double t = static_cast<double>(last_hit_m_);
  const std::int64_t lo = std::max(m_ - 120, static_cast<std::int64_t>(std::ceil(onset_m_)) + 1);
  std::int64_t k = m_;
  while (k > lo && amp_at(k) < half) --k;
  if (k < m_ && amp_at(k) >= half) {
    const float a0 = amp_at(k), a1 = amp_at(k + 1);
    t = static_cast<double>(k) + (a0 - half) / (a0 - a1);
  }
  // The AM fit lags by kAmDelay: add what is left, up to the end ramp.
  const auto fit_end = static_cast<std::int64_t>(std::floor(t)) - kEdgeExclusion;
  for (std::int64_t k = std::max<std::int64_t>(m_ - kAmDelay + 1, 0); k <= fit_end; ++k) add_am_sample(k);
  close_am_segment();

  double depth = 0, rate_hz = 0;
  const bool am = am_present(depth, rate_hz);
  const SampleIndex end = std::max(to_sample(t), onset_sample_ + 1);
  Event e = make_event(classify(am, reversals_), Edge::off, end);
  if (level_count_ > 0) {
    e.level_dbm0 = static_cast<float>(mean_square_to_dbm0(level_sum_ / static_cast<double>(level_count_)));
    e.snr_db = snr_db(level_sum_, total_sum_);
  } else {
    e.level_dbm0 = static_cast<float>(mean_square_to_dbm0(hit_tone_sum_ / hit_blocks_));
    e.snr_db = snr_db(hit_tone_sum_, hit_total_sum_);
  }
  e.am_depth = static_cast<float>(depth);
  e.am_rate_hz = static_cast<float>(rate_hz);
  e.count = reversals_;
  out.push(e);
  last_end_sample_ = end;
  state_ = State::idle;
}

}  // namespace squeal
