#include "dsp/v21_modem.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "dsp/filter_design.h"
#include "dsp/levels.h"
#include "dsp/tone_generator.h"

namespace squeal {

namespace {

void check(bool ok, const char* what, double value, const char* range) {
  if (!ok) throw std::invalid_argument(fmt::format("V.21 {} {} is outside {}", what, value, range));
}

}  // namespace

V21Frequencies v21_frequencies(int channel) {
  if (channel == 1) return {980.0, 1180.0};   // V.21 §2: channel 1
  if (channel == 2) return {1650.0, 1850.0};  // V.21 §2: channel 2
  throw std::invalid_argument(fmt::format("V.21 channel {} is not 1 or 2", channel));
}

// ---------------------------------------------------------------- V21Modulator

V21Modulator::V21Modulator(const V21ModulatorConfig& config) : config_(config) {
  const V21Frequencies f = v21_frequencies(config.channel);
  check(config.level_dbm0 >= -60 && config.level_dbm0 <= kMaxToneLevelDbm0, "level_dbm0",
        config.level_dbm0, "-60..+3 dBm0");
  check(config.bit_rate >= 297 && config.bit_rate <= 303, "bit_rate", config.bit_rate, "297..303 bit/s");
  check(config.freq_offset_hz >= -50 && config.freq_offset_hz <= 50, "freq_offset_hz",
        config.freq_offset_hz, "-50..+50 Hz");
  mark_inc_ = phase_increment(f.mark_hz + config.freq_offset_hz);
  space_inc_ = phase_increment(f.space_hz + config.freq_offset_hz);
  amplitude_ = static_cast<float>(dbm0_to_amplitude(config.level_dbm0));
  reset();
}

void V21Modulator::reset() noexcept {
  head_ = size_ = 0;
  phase_ = 0;
  inc_ = mark_inc_;
  gain_ = 0;
  position_ = 0;
  bit_end_ = 0;
  bit_index_ = 0;
}

SampleIndex V21Modulator::bit_start(std::int64_t k) const noexcept {
  return std::llround(static_cast<double>(k) * kSampleRate / config_.bit_rate);
}

bool V21Modulator::push(bool bit) noexcept {
  if (size_ == kQueueCapacity) return false;
  queue_[(head_ + size_) % kQueueCapacity] = bit ? 1 : 0;
  ++size_;
  return true;
}

std::size_t V21Modulator::push_bits(std::span<const std::uint8_t> bits) noexcept {
  std::size_t n = 0;
  for (const std::uint8_t b : bits) {
    if (!push(b != 0)) break;
    ++n;
  }
  return n;
}

void V21Modulator::generate(std::span<float> out) noexcept {
  std::size_t i = 0;
  while (i < out.size()) {
    if (position_ == bit_end_) {  // start bit bit_index_
      if (size_ > 0) {
        inc_ = queue_[head_] ? mark_inc_ : space_inc_;
        gain_ = amplitude_;
        head_ = (head_ + 1) % kQueueCapacity;
        --size_;
      } else {
        inc_ = mark_inc_;  // V.21: idle is mark
        gain_ = config_.idle_mark ? amplitude_ : 0.f;
      }
      ++bit_index_;
      bit_end_ = bit_start(bit_index_);
    }
    const auto n = static_cast<std::size_t>(
        std::min<SampleIndex>(bit_end_ - position_, static_cast<SampleIndex>(out.size() - i)));
    for (std::size_t k = 0; k < n; ++k) {
      out[i + k] = gain_ * table_sine(phase_);
      phase_ += inc_;  // phase runs on through silence: continuous when the carrier resumes
    }
    i += n;
    position_ += static_cast<SampleIndex>(n);
  }
}

// -------------------------------------------------------------- V21Demodulator

V21Demodulator::V21Demodulator(const V21DemodulatorConfig& config) : config_(config) {
  v21_frequencies(config.channel);  // validates the channel
  check(config.on_level_dbm0 >= -70 && config.on_level_dbm0 <= 0, "on_level_dbm0", config.on_level_dbm0,
        "-70..0 dBm0");
  check(config.off_level_dbm0 >= -75 && config.off_level_dbm0 <= config.on_level_dbm0, "off_level_dbm0",
        config.off_level_dbm0, "-75 dBm0..on_level_dbm0");
  // Within 0.9 dB to ±250 Hz (measured; stop weight 30 trades ripple for
  // rejection): the ±100 Hz tones and their first keying
  // sidebands (±150 Hz); >= 55 dB down from ±450 Hz, where the other channel's
  // nearest tone (570 Hz off centre) and its lower sidebands start. Gain 2:
  // mixing halves a real tone's amplitude, so |y| is the tone's amplitude.
  const auto h = design_lowpass(kTaps, 250, 450, kSampleRate, 30.f, 2.0);
  // V.21 §2 centre frequencies: 1080 Hz = 27/200, 1750 Hz = 7/32 cycles/sample.
  plan_ = config.channel == 1 ? simd::make_mixdown_plan(h, kDecimation, 27, 200)
                              : simd::make_mixdown_plan(h, kDecimation, 7, 32);
  on_power_ = static_cast<float>(2.0 * dbm0_to_mean_square(config.on_level_dbm0));
  off_power_ = static_cast<float>(2.0 * dbm0_to_mean_square(config.off_level_dbm0));
  hist_.assign(kHistory + kChunk, 0.f);
  reset();
}

void V21Demodulator::reset() noexcept {
  // The window of output 0 starts at sample 5 - 80: silence before the stream.
  std::fill(hist_.begin(), hist_.end(), 0.f);
  hist_fill_ = kHistory;
  next_out_ = 0;
  prev_re_ = prev_im_ = prev_d_ = 0;
  power_ = 0;
  carrier_ = synced_ = free_run_ = gap_pending_ = false;
  carrier_on_time_ = 0;
  last_centre_ = 0;
  next_centre_ = 0;
  decision_sum_ = 0;
  head_ = size_ = 0;
  dropped_ = 0;
}

double V21Demodulator::level_dbm0() const noexcept { return mean_square_to_dbm0(0.5 * power_); }

void V21Demodulator::process(std::span<const float> in) noexcept {
  while (!in.empty()) {
    const std::size_t n = std::min(in.size(), hist_.size() - hist_fill_);
    run_chunk(in.first(n));
    in = in.subspan(n);
  }
}

void V21Demodulator::run_chunk(std::span<const float> in) noexcept {
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

// Held bits: centres next_centre_ - m·T (m >= 1) at or after carrier-on.
void V21Demodulator::emit_run(std::uint8_t bit) noexcept {
  const auto count = static_cast<int>(std::floor((next_centre_ - carrier_on_time_) / kSamplesPerBit));
  for (int m = count; m >= 1; --m) emit(bit, next_centre_ - m * kSamplesPerBit);
}

inline void V21Demodulator::emit(std::uint8_t bit, double centre) noexcept {
  if (size_ == kQueueCapacity) {
    ++dropped_;
  } else {
    V21Bit& b = queue_[(head_ + size_) % kQueueCapacity];
    b.stamp = static_cast<SampleIndex>(std::floor(centre + 0.5));
    b.bit = bit;
    b.after_gap = gap_pending_;
    ++size_;
  }
  gap_pending_ = false;
  last_centre_ = centre;
}

bool V21Demodulator::pop(V21Bit& out) noexcept {
  if (size_ == 0) return false;
  out = queue_[head_];
  head_ = (head_ + 1) % kQueueCapacity;
  --size_;
  return true;
}

inline void V21Demodulator::on_decimated(float re, float im) noexcept {
  const std::int64_t j = next_out_++;
  // Output j's window ends at input sample 5j + 4; the filter delays by 39.5,
  // and d[j] sits between y[j-1] and y[j]: half a decimated step earlier.
  const double tau = static_cast<double>(j) * kDecimation + (kDecimation - 1) - kFilterDelay -
                     0.5 * kDecimation;
  const float d = im * prev_re_ - re * prev_im_;  // Im(y[j]·conj(y[j-1]))
  prev_re_ = re;
  prev_im_ = im;
  const float p = re * re + im * im;
  power_ += kPowerAlpha * (p - power_);

  if (!carrier_) {
    if (power_ >= on_power_) {
      carrier_ = true;
      synced_ = free_run_ = false;
      gap_pending_ = true;
      carrier_on_time_ = tau;
      decision_sum_ = 0;
      prev_d_ = d;
    }
    return;
  }
  if (power_ < off_power_) {
    carrier_ = false;
    return;
  }

  const bool transition = (d < 0) != (prev_d_ < 0) && d != prev_d_;
  // Zero crossing of d, interpolated between d[j-1] and d[j].
  const double crossing =
      transition ? tau - kDecimation * static_cast<double>(d) / (static_cast<double>(d) - prev_d_) : 0.0;

  if (!synced_ && !free_run_) {
    // Before the first transition the bit phase is unknown, and every bit has
    // the same value: hold them, then emit them with stamps counted back from
    // the first transition (V.8: the preamble's ten 1 bits come out aligned).
    if (transition) {
      next_centre_ = crossing + 0.5 * kSamplesPerBit;
      emit_run(prev_d_ < 0 ? 1 : 0);
      synced_ = true;
      decision_sum_ = 0;
    } else if (tau - carrier_on_time_ > kMaxHeldBits * kSamplesPerBit) {
      next_centre_ = tau + 0.5 * kSamplesPerBit;  // no transition yet: free-run from here
      emit_run(d < 0 ? 1 : 0);
      free_run_ = true;
      decision_sum_ = 0;
    }
    prev_d_ = d;
    if (std::abs(tau - next_centre_) <= kDecisionHalfWidth) decision_sum_ += d;
    return;
  }

  // Bits whose decision window has closed.
  while (tau > next_centre_ + kDecisionHalfWidth) {
    emit(decision_sum_ < 0 ? 1 : 0, next_centre_);  // mark = lower tone = negative rotation
    next_centre_ += kSamplesPerBit;
    decision_sum_ = 0;
  }

  // Transition: pull the bit phase toward it (hard at the first after free-running).
  if (transition) {
    double error = crossing - (next_centre_ - 0.5 * kSamplesPerBit);
    if (error >= 0.5 * kSamplesPerBit) error -= kSamplesPerBit;
    if (error < -0.5 * kSamplesPerBit) error += kSamplesPerBit;
    if (synced_) {
      next_centre_ += kTimingGain * error;
    } else {  // first transition after free-running: hard set
      next_centre_ += error;
      // The bit before the transition was skipped if the phase jumped forward.
      if (next_centre_ - kSamplesPerBit - last_centre_ > 0.5 * kSamplesPerBit) {
        emit(prev_d_ < 0 ? 1 : 0, next_centre_ - kSamplesPerBit);
      }
      decision_sum_ = 0;
      synced_ = true;
    }
  }
  prev_d_ = d;

  if (std::abs(tau - next_centre_) <= kDecisionHalfWidth) decision_sum_ += d;
}

// -------------------------------------------------------------- V21OctetFramer

void V21OctetFramer::reset() noexcept {
  bit_ = -1;
  wait_mark_ = false;
  value_ = 0;
  start_stamp_ = 0;
  head_ = size_ = 0;
  framing_errors_ = 0;
  dropped_ = 0;
}

void V21OctetFramer::push(bool bit, SampleIndex stamp) noexcept {
  if (wait_mark_) {
    wait_mark_ = !bit;
    return;
  }
  if (bit_ < 0) {
    if (!bit) {  // start bit
      bit_ = 0;
      value_ = 0;
      start_stamp_ = stamp;
    }
    return;
  }
  if (bit_ < 8) {
    if (bit) value_ = static_cast<std::uint8_t>(value_ | (1u << bit_));
    ++bit_;
    return;
  }
  bit_ = -1;
  if (!bit) {  // stop bit must be mark
    ++framing_errors_;
    wait_mark_ = true;
    return;
  }
  if (size_ == kQueueCapacity) {
    ++dropped_;
    return;
  }
  queue_[(head_ + size_) % kQueueCapacity] = V21Octet{start_stamp_, value_};
  ++size_;
}

bool V21OctetFramer::pop(V21Octet& out) noexcept {
  if (size_ == 0) return false;
  out = queue_[head_];
  head_ = (head_ + 1) % kQueueCapacity;
  --size_;
  return true;
}

}  // namespace squeal
