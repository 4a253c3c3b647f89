#include "dsp/dpsk_modem.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "dsp/filter_design.h"
#include "dsp/levels.h"
#include "dsp/tone_generator.h"

namespace squeal {

namespace {

void check(bool ok, const char* what, double value, const char* range) {
  if (!ok) throw std::invalid_argument(fmt::format("DPSK {} {} is outside {}", what, value, range));
}

void check_carrier(int carrier_hz) {
  if (carrier_hz != 1200 && carrier_hz != 2400) {
    throw std::invalid_argument(fmt::format("DPSK carrier_hz {} is not 1200 or 2400", carrier_hz));
  }
}

}  // namespace

double dpsk_carrier_level_dbm0(int carrier_hz, double level_dbm0) {
  check_carrier(carrier_hz);
  return carrier_hz == 2400 ? level_dbm0 + kDpskAnswerCarrierDb : level_dbm0;
}

// --------------------------------------------------------------- DpskModulator

DpskModulator::DpskModulator(const DpskModulatorConfig& config) : config_(config) {
  check_carrier(config.carrier_hz);
  check(config.level_dbm0 >= -60 && config.level_dbm0 <= 0, "level_dbm0", config.level_dbm0, "-60..0 dBm0");
  check(config.symbol_rate >= 599.4 && config.symbol_rate <= 600.6, "symbol_rate", config.symbol_rate,
        "599.4..600.6 symbols/s");
  samples_per_symbol_ = kSampleRate / config.symbol_rate;
  carrier_inc_ = phase_increment(config.carrier_hz);
  carrier_amp_ = static_cast<float>(dbm0_to_amplitude(dpsk_carrier_level_dbm0(config.carrier_hz, config.level_dbm0)));
  if (config.carrier_hz == 2400 && config.guard_tone) {
    guard_inc_ = phase_increment(kDpskGuardToneHz);
    guard_amp_ = static_cast<float>(dbm0_to_amplitude(config.level_dbm0 + kDpskGuardToneDb));
  }
  // Half-sine ramp one symbol long centred on the boundary (i = n - boundary).
  for (int i = -kCommitLead; i <= kCommitLead; ++i) {
    const double u = i / samples_per_symbol_;
    const double r = u <= -0.5 ? 0.0 : u >= 0.5 ? 1.0 : 0.5 * (1.0 + std::sin(kPi * u));
    ramp_[static_cast<std::size_t>(i + kCommitLead)] = static_cast<float>(r);
  }
  reset();
}

void DpskModulator::reset() noexcept {
  head_ = size_ = 0;
  on_ = config_.start_on;
  sign_ = 1;
  // Already on at sample 0 when start_on: the tone starts at full level.
  level_ = base_ = on_ ? 1.f : 0.f;
  guard_level_ = guard_base_ = on_ ? 1.f : 0.f;
  ramp_count_ = 0;
  carrier_phase_ = guard_phase_ = 0;
  position_ = 0;
  next_symbol_ = 0;
  next_commit_ = bit_start(0) - kCommitLead;
}

SampleIndex DpskModulator::bit_start(std::int64_t k) const noexcept {
  return std::llround(static_cast<double>(k) * samples_per_symbol_);
}

bool DpskModulator::push(bool bit) noexcept {
  if (size_ == kQueueCapacity) return false;
  queue_[(head_ + size_) % kQueueCapacity] = bit ? 1 : 0;
  ++size_;
  return true;
}

std::size_t DpskModulator::push_bits(std::span<const std::uint8_t> bits) noexcept {
  std::size_t n = 0;
  for (const std::uint8_t b : bits) {
    if (!push(b != 0)) break;
    ++n;
  }
  return n;
}

SampleIndex DpskModulator::reverse() noexcept {
  const SampleIndex instant = next_boundary();
  return push(true) ? instant : -1;
}

void DpskModulator::commit_symbol() noexcept {
  float level = 0;
  float guard = 0;
  if (on_) {
    // After silence the first symbol is unmodulated: the far demodulator's
    // differential reference for the first queued bit.
    if (size_ > 0 && level_ != 0) {
      if (queue_[head_] != 0) sign_ = -sign_;  // 1 bit: 180° phase change
      head_ = (head_ + 1) % kQueueCapacity;
      --size_;
    }
    level = sign_;
    guard = 1;
  }
  const float delta = level - level_;
  const float guard_delta = guard - guard_level_;
  if ((delta != 0 || guard_delta != 0) && ramp_count_ < ramps_.size()) {
    ramps_[ramp_count_++] = Transition{bit_start(next_symbol_), delta, guard_delta};
  }
  level_ = level;
  guard_level_ = guard;
  ++next_symbol_;
  next_commit_ = bit_start(next_symbol_) - kCommitLead;
}

void DpskModulator::generate(std::span<float> out) noexcept {
  for (float& sample : out) {
    while (position_ >= next_commit_) commit_symbol();
    float env = base_;
    float guard_env = guard_base_;
    std::size_t kept = 0;
    for (std::size_t r = 0; r < ramp_count_; ++r) {
      const Transition t = ramps_[r];
      const SampleIndex offset = position_ - t.boundary;  // -kCommitLead..kCommitLead
      if (offset >= kCommitLead) {  // ramp over: fold into the base
        base_ += t.carrier_delta;
        guard_base_ += t.guard_delta;
        env += t.carrier_delta;
        guard_env += t.guard_delta;
        continue;
      }
      const float w = ramp_[static_cast<std::size_t>(offset + kCommitLead)];
      env += t.carrier_delta * w;
      guard_env += t.guard_delta * w;
      ramps_[kept++] = t;
    }
    ramp_count_ = kept;
    sample = carrier_amp_ * env * table_sine(carrier_phase_);
    if (guard_inc_ != 0) sample += guard_amp_ * guard_env * table_sine(guard_phase_);
    carrier_phase_ += carrier_inc_;  // runs on through silence
    guard_phase_ += guard_inc_;
    ++position_;
  }
}

// ------------------------------------------------------------- DpskDemodulator

DpskDemodulator::DpskDemodulator(const DpskDemodulatorConfig& config) : config_(config) {
  check_carrier(config.carrier_hz);
  check(config.on_level_dbm0 >= -70 && config.on_level_dbm0 <= 0, "on_level_dbm0", config.on_level_dbm0,
        "-70..0 dBm0");
  check(config.off_level_dbm0 >= -75 && config.off_level_dbm0 <= config.on_level_dbm0, "off_level_dbm0",
        config.off_level_dbm0, "-75 dBm0..on_level_dbm0");
  // Flat to ±350 Hz (the DPSK main lobe: the envelope spectrum is -14 dB at
  // ±450 Hz and nulls at ±600 Hz); stop band from ±600 Hz, where the guard
  // tone sits (1800 Hz is 600 Hz from both carriers) and the other channel's
  // spectrum begins. Gain 2: mixing halves a real tone, so |y| is its amplitude.
  const auto h = design_lowpass(kTaps, 350, 600, kSampleRate, 20.f, 2.0);
  // 1200 Hz = 3/20, 2400 Hz = 3/10 cycles per sample: exact NCO tables.
  plan_ = config.carrier_hz == 1200 ? simd::make_mixdown_plan(h, kDecimation, 3, 20)
                                    : simd::make_mixdown_plan(h, kDecimation, 3, 10);
  on_power_ = static_cast<float>(2.0 * dbm0_to_mean_square(config.on_level_dbm0));
  off_power_ = static_cast<float>(2.0 * dbm0_to_mean_square(config.off_level_dbm0));
  // Output j sits at input time tau_j = 2j + 1 - 47.5; tau_j/T = 0.15·j - 3.4875.
  for (std::size_t j = 0; j < line_re_.size(); ++j) {
    const double tau = static_cast<double>(j * kDecimation + kDecimation - 1) - kFilterDelay;
    const double a = -2 * kPi * tau / kSamplesPerSymbol;
    line_re_[j] = static_cast<float>(std::cos(a));
    line_im_[j] = static_cast<float>(std::sin(a));
  }
  hist_.assign(kHistory + kChunk, 0.f);
  reset();
}

void DpskDemodulator::reset() noexcept {
  std::fill(hist_.begin(), hist_.end(), 0.f);
  hist_fill_ = kHistory;
  next_out_ = 0;
  ring_re_.fill(0.f);
  ring_im_.fill(0.f);
  power_ = 0;
  carrier_ = locked_ = strong_ = gap_pending_ = false;
  on_j_ = 0;
  on_time_ = 0;
  line_x_re_ = line_x_im_ = line_power_ = 0;
  next_centre_ = 0;
  prev_c_re_ = prev_c_im_ = 0;
  prev_d_ = 0;
  steady_run_ = steady_before_ = 0;
  candidate_ = false;
  candidate_time_ = 0;
  candidate_j_ = 0;
  head_ = size_ = 0;
  dropped_ = 0;
  rev_head_ = rev_size_ = 0;
}

double DpskDemodulator::level_dbm0() const noexcept { return mean_square_to_dbm0(0.5 * power_); }

void DpskDemodulator::process(std::span<const float> in) noexcept {
  while (!in.empty()) {
    const std::size_t n = std::min(in.size(), hist_.size() - hist_fill_);
    run_chunk(in.first(n));
    in = in.subspan(n);
  }
}

void DpskDemodulator::run_chunk(std::span<const float> in) noexcept {
  std::memcpy(hist_.data() + hist_fill_, in.data(), in.size() * sizeof(float));
  hist_fill_ += in.size();
  if (hist_fill_ < plan_.taps) return;
  const std::size_t outputs = (hist_fill_ - plan_.taps) / kDecimation + 1;
  const auto phase = static_cast<std::size_t>(next_out_ % static_cast<std::int64_t>(plan_.num_phases));
  simd::mixdown_decimate(plan_, hist_.data(), outputs, phase, out_re_.data(), out_im_.data(), nullptr);
  const std::size_t used = outputs * kDecimation;
  std::memmove(hist_.data(), hist_.data() + used, (hist_fill_ - used) * sizeof(float));
  hist_fill_ -= used;
  for (std::size_t i = 0; i < outputs; ++i) on_decimated(out_re_[i], out_im_[i]);
}

bool DpskDemodulator::pop(DpskBit& out) noexcept {
  if (size_ == 0) return false;
  out = queue_[head_];
  head_ = (head_ + 1) % kQueueCapacity;
  --size_;
  return true;
}

bool DpskDemodulator::pop_reversal(DpskReversal& out) noexcept {
  if (rev_size_ == 0) return false;
  out = reversals_[rev_head_];
  rev_head_ = (rev_head_ + 1) % kReversalCapacity;
  --rev_size_;
  return true;
}

inline void DpskDemodulator::emit(std::uint8_t bit, double centre) noexcept {
  if (size_ == kQueueCapacity) {
    ++dropped_;
  } else {
    DpskBit& b = queue_[(head_ + size_) % kQueueCapacity];
    b.stamp = static_cast<SampleIndex>(std::floor(centre + 0.5));
    b.bit = bit;
    b.after_gap = gap_pending_;
    ++size_;
  }
  gap_pending_ = false;
}

double DpskDemodulator::centre_estimate() const noexcept {
  // |y|² ≈ a + b·cos(2π(t - tc)/T) gives X ≈ (b/2)·e^{-j2π·tc/T}.
  const double tc = -std::atan2(line_x_im_, line_x_re_) * kSamplesPerSymbol / (2 * kPi);
  return tc - kSamplesPerSymbol * std::floor(tc / kSamplesPerSymbol);
}

// Cubic Lagrange interpolation of y at input-sample time t from the ring
// (points j0-1 .. j0+2 around u = (t - tau_0) / D).
void DpskDemodulator::interpolate(double t, float& re, float& im) const noexcept {
  const double u = (t + kFilterDelay - (kDecimation - 1)) / kDecimation;
  const double j0 = std::floor(u);
  const double f = u - j0;
  const double w[4] = {-f * (f - 1) * (f - 2) / 6, (f + 1) * (f - 1) * (f - 2) / 2,
                       -(f + 1) * f * (f - 2) / 2, (f + 1) * f * (f - 1) / 6};
  double r = 0, i = 0;
  for (int k = 0; k < 4; ++k) {
    const auto idx = static_cast<std::size_t>(static_cast<std::int64_t>(j0) - 1 + k) & (kRing - 1);
    r += w[k] * ring_re_[idx];
    i += w[k] * ring_im_[idx];
  }
  re = static_cast<float>(r);
  im = static_cast<float>(i);
}

inline void DpskDemodulator::on_decimated(float re, float im) noexcept {
  const std::int64_t j = next_out_++;
  const double tau = static_cast<double>(j) * kDecimation + (kDecimation - 1) - kFilterDelay;
  ring_re_[static_cast<std::size_t>(j) & (kRing - 1)] = re;
  ring_im_[static_cast<std::size_t>(j) & (kRing - 1)] = im;
  const float p = re * re + im * im;
  power_ += kPowerAlpha * (p - power_);

  if (!carrier_) {
    if (power_ < on_power_) return;
    carrier_ = true;
    locked_ = strong_ = false;
    on_j_ = j;
    on_time_ = tau;
    line_x_re_ = line_x_im_ = line_power_ = 0;
    prev_d_ = 0;
    steady_run_ = steady_before_ = 0;
    candidate_ = false;
  } else if (power_ < off_power_) {
    carrier_ = false;
    return;
  }
  // The timing line starts 2 ms after carrier-on: the onset itself is no symbol edge.
  if (j - on_j_ >= 8) {
    const auto m = static_cast<std::size_t>(j % static_cast<std::int64_t>(line_re_.size()));
    line_x_re_ += kTimingAlpha * (p * line_re_[m] - line_x_re_);
    line_x_im_ += kTimingAlpha * (p * line_im_[m] - line_x_im_);
    line_power_ += kTimingAlpha * (p - line_power_);
  }
  reversal_step(j, tau, re, im);
  symbol_step(j);
}

void DpskDemodulator::symbol_step(std::int64_t j) noexcept {
  constexpr double T = kSamplesPerSymbol;
  // |line| >= ratio·power, compared squared (both sides are >= 0): no hypot per sample.
  const float line_abs2 = line_x_re_ * line_x_re_ + line_x_im_ * line_x_im_;
  const auto line_at_least = [&](float ratio) {
    const float r = ratio * line_power_;
    return line_abs2 >= r * r;
  };
  if (!locked_) {
    const auto since = static_cast<double>(j - on_j_) * kDecimation;  // input samples since carrier-on
    const bool lock = since >= 3 * T && line_at_least(kLockRatio);
    if (!lock && since < kMaxHeldSymbols * T) return;
    // Lock (or free-run at the line's guess: a steady tone has no edges).
    strong_ = lock;
    const double tc = centre_estimate();
    const double tau_j = static_cast<double>(j) * kDecimation + (kDecimation - 1) - kFilterDelay;
    const double oldest = tau_j - static_cast<double>(kRing - 3) * kDecimation;  // interpolable
    const double lo = std::max(on_time_, oldest) + T;  // first centre: its previous one after carrier-on
    next_centre_ = tc + std::ceil((lo - tc) / T) * T;
    interpolate(next_centre_ - T, prev_c_re_, prev_c_im_);
    locked_ = true;
    gap_pending_ = true;
  }
  // Centres whose four interpolation points have all arrived.
  while (static_cast<std::int64_t>(std::floor((next_centre_ + kFilterDelay - (kDecimation - 1)) / kDecimation)) + 2 <= j) {
    float yr = 0, yi = 0;
    interpolate(next_centre_, yr, yi);
    const float product_re = yr * prev_c_re_ + yi * prev_c_im_;  // Re(y[k]·conj(y[k-1]))
    emit(product_re < 0 ? 1 : 0, next_centre_);
    prev_c_re_ = yr;
    prev_c_im_ = yi;
    double step = T;
    if (line_at_least(strong_ ? kTrackRatio : kLockRatio)) {
      double err = centre_estimate() - next_centre_;
      err -= T * std::round(err / T);  // nearest centre, -T/2..T/2
      step += (strong_ ? kTimingGain : 1.0) * err;  // hard set at the first strong line
      strong_ = true;
    }
    next_centre_ += step;
  }
}

void DpskDemodulator::reversal_step(std::int64_t j, double tau, float re, float im) noexcept {
  if (j - on_j_ < kReversalLag + 8) return;  // the reference must lie inside the carrier
  const auto r = static_cast<std::size_t>(j - kReversalLag) & (kRing - 1);
  const float d = re * ring_re_[r] + im * ring_im_[r];  // Re(y(t)·conj(y(t - 4 ms)))
  const float steady = 0.5f * power_;
  if (candidate_) {
    if (d > 0) {
      candidate_ = false;  // back to the old phase: noise, not a reversal
    } else if (j - candidate_j_ >= kConfirmDelay) {
      if (d < -steady) {
        if (rev_size_ < kReversalCapacity) {
          reversals_[(rev_head_ + rev_size_) % kReversalCapacity] =
              DpskReversal{candidate_time_, static_cast<SampleIndex>(std::floor(candidate_time_ + 0.5))};
          ++rev_size_;
        }
      }
      candidate_ = false;
    }
  }
  if (prev_d_ >= 0 && d < 0 && steady_before_ >= kMinSteady && !candidate_) {
    // Linear interpolation between tau - D (prev_d_) and tau (d): d(t) is
    // antisymmetric about the instant, so its curvature there is ~0.
    candidate_time_ = tau - kDecimation + kDecimation * static_cast<double>(prev_d_) / (prev_d_ - d);
    candidate_ = true;
    candidate_j_ = j;
    steady_before_ = 0;
  }
  if (d > steady) {
    ++steady_run_;
  } else {
    if (steady_run_ > 0) steady_before_ = steady_run_;
    steady_run_ = 0;
  }
  prev_d_ = d;
}

}  // namespace squeal
