#include "dsp/tone_detector.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "dsp/levels.h"

namespace squeal {

// ---- EventStager ----------------------------------------------------------

void EventStager::push(const Event& e, EventQueue& out) noexcept {
  if (size_ == kCapacity) {
    out.push(e);
    return;
  }
  std::size_t i = size_;
  while (i > 0 && held_[i - 1].sample > e.sample) {
    held_[i] = held_[i - 1];
    --i;
  }
  held_[i] = e;
  ++size_;
}

void EventStager::release(SampleIndex watermark, EventQueue& out) noexcept {
  std::size_t n = 0;
  while (n < size_ && held_[n].sample <= watermark) out.push(held_[n++]);
  if (n == 0) return;
  std::copy(held_.begin() + static_cast<std::ptrdiff_t>(n),
            held_.begin() + static_cast<std::ptrdiff_t>(size_), held_.begin());
  size_ -= n;
}

// ---- ToneDetector ---------------------------------------------------------

namespace {

float db_to_ratio(double db) { return static_cast<float>(std::pow(10.0, db / 10.0)); }

SampleIndex samples_of(float fraction, int block_length) {
  return static_cast<SampleIndex>(std::lround(std::clamp(fraction, 0.f, 1.f) * block_length));
}

std::vector<double> distinct_freqs(const ToneDetector::Config& c) {
  std::vector<double> f;
  for (const auto& t : c.tones) {
    f.push_back(t.freq_hz);
    if (t.freq2_hz > 0) f.push_back(t.freq2_hz);
  }
  std::sort(f.begin(), f.end());
  f.erase(std::unique(f.begin(), f.end()), f.end());
  return f;
}

GoertzelBank::Config bank_config(const ToneDetector::Config& c) {
  if (c.tones.empty() || c.tones.size() > 32)
    throw std::invalid_argument("ToneDetector tone count " + std::to_string(c.tones.size()) +
                                " must be 1..32");
  for (const auto& t : c.tones) {
    const bool pair = t.freq2_hz != 0;
    for (double f : {t.freq_hz, pair ? t.freq2_hz : t.freq_hz}) {
      if (!(f >= 50 && f < 3950))
        throw std::invalid_argument("ToneDetector freq_hz " + std::to_string(f) +
                                    " must be within [50, 3950)");
    }
  }
  if (c.block_length < 16 || c.block_length > 4000)
    throw std::invalid_argument("ToneDetector block_length " + std::to_string(c.block_length) +
                                " must be within 16..4000");
  GoertzelBank::Config b;
  b.freqs_hz = distinct_freqs(c);
  b.block_length = c.block_length;
  return b;
}

int index_of(const std::vector<double>& freqs, double f) {
  return static_cast<int>(std::lower_bound(freqs.begin(), freqs.end(), f) - freqs.begin());
}

}  // namespace

ToneDetector::Config ToneDetector::signalling_tones() {
  Config c;
  // T.30 CNG: 1100 Hz, 0.5 s on / 3 s off.
  c.tones.push_back({Signal::cng, 1100, 0, -43, 300, 6});
  // V.25 CT: 1300 Hz, 0.5-2 s on / 2-4 s off.
  c.tones.push_back({Signal::ct, 1300, 0, -43, 300, 6});
  // V.34 §10 (phase 2): tone A 2400 Hz from the answerer, tone B 1200 Hz from
  // the caller; they carry phase reversals, which the 20 ms gap bridging absorbs.
  c.tones.push_back({Signal::tone_a, 2400, 0, -43, 50, 6});
  c.tones.push_back({Signal::tone_b, 1200, 0, -43, 50, 6});
  return c;
}

ToneDetector::ToneDetector(const Config& config) : config_(config), bank_(bank_config(config)) {
  if (!(config.hysteresis_db >= 0 && config.hysteresis_db <= 20))
    throw std::invalid_argument("ToneDetector hysteresis_db " +
                                std::to_string(config.hysteresis_db) + " must be within 0..20");
  const double block_ms = 1000.0 * config.block_length / kSampleRate;
  if (!(config.max_gap_ms >= block_ms))
    throw std::invalid_argument("ToneDetector max_gap_ms " + std::to_string(config.max_gap_ms) +
                                " must be >= one block (" + std::to_string(block_ms) + " ms)");
  miss_blocks_ = static_cast<int>(std::lround(config.max_gap_ms / block_ms));
  const auto& freqs = bank_.freqs_hz();
  for (const Tone& tone : config.tones) {
    if (!(tone.min_duration_ms >= 2 * block_ms))
      throw std::invalid_argument("ToneDetector min_duration_ms " +
                                  std::to_string(tone.min_duration_ms) + " must be >= 2 blocks");
    if (!(tone.min_level_dbm0 < 10 && tone.min_level_dbm0 > -80))
      throw std::invalid_argument("ToneDetector min_level_dbm0 " +
                                  std::to_string(tone.min_level_dbm0) + " must be in (-80, 10)");
    Track t;
    t.tone = tone;
    t.index = index_of(freqs, tone.freq_hz);
    t.index2 = tone.freq2_hz > 0 ? index_of(freqs, tone.freq2_hz) : -1;
    t.on_power = static_cast<float>(dbm0_to_mean_square(tone.min_level_dbm0));
    t.stay_power = static_cast<float>(dbm0_to_mean_square(tone.min_level_dbm0 - config.hysteresis_db));
    t.on_snr = db_to_ratio(tone.min_snr_db);
    t.stay_snr = db_to_ratio(tone.min_snr_db - config.hysteresis_db);
    t.max_twist = db_to_ratio(tone.max_twist_db);
    t.min_on_samples = seconds_to_samples(tone.min_duration_ms / 1000.0);
    tracks_.push_back(t);
  }
}

void ToneDetector::reset() noexcept {
  bank_.reset();
  stager_.clear();
  for (Track& t : tracks_) {
    Track fresh;
    fresh.tone = t.tone;
    fresh.index = t.index;
    fresh.index2 = t.index2;
    fresh.on_power = t.on_power;
    fresh.stay_power = t.stay_power;
    fresh.on_snr = t.on_snr;
    fresh.stay_snr = t.stay_snr;
    fresh.max_twist = t.max_twist;
    fresh.min_on_samples = t.min_on_samples;
    t = fresh;
  }
}

void ToneDetector::process(std::span<const float> in, EventQueue& out) noexcept {
  bank_.process(in, [&](const GoertzelBank::Block& b) { on_block(b, out); });
}

void ToneDetector::on_block(const GoertzelBank::Block& block, EventQueue& out) noexcept {
  const int n = config_.block_length;
  // No future edge can lie before this: a new candidate's start is at most 3
  // blocks back, a running tone ends no earlier than inside its last hit block.
  SampleIndex watermark = block.end_sample - 3 * n;
  // Power of every configured frequency: "rest" excludes all of them, so
  // tones that overlap (V.34 tone A and tone B) do not mask each other.
  float all_tones = 0;
  for (float p : block.tone_power) all_tones += p;
  const float rest = std::max(block.mean_square - all_tones, 0.f);
  for (Track& t : tracks_) {
    update(t, block, rest, out);
    if (t.state == 1) watermark = std::min(watermark, t.start);
    if (t.state == 2) watermark = std::min(watermark, t.last_hit_end - n);
  }
  stager_.release(watermark, out);
}

void ToneDetector::update(Track& t, const GoertzelBank::Block& block, float rest,
                          EventQueue& out) noexcept {
  const int n = config_.block_length;
  const float p1 = block.tone_power[static_cast<std::size_t>(t.index)];
  const float p2 = t.index2 >= 0 ? block.tone_power[static_cast<std::size_t>(t.index2)] : 0.f;
  const float power = p1 + p2;
  const float weakest = t.index2 >= 0 ? std::min(p1, p2) : p1;
  if (!config_.rest_excludes_other_tones) rest = std::max(block.mean_square - power, 0.f);
  const bool running = t.state != 0;
  const bool hit = weakest >= (running ? t.stay_power : t.on_power) &&
                   power >= (running ? t.stay_snr : t.on_snr) * rest && power > 0 &&
                   (t.index2 < 0 || power - weakest <= t.max_twist * weakest);
  const float amplitude = std::sqrt(power);

  if (running) {
    if (hit) {
      t.misses = 0;
      // The newest hit block may be the partial last one: keep it aside.
      t.power_sum += t.pending_power;
      t.rest_sum += t.pending_rest;
      ++t.hit_blocks;
      t.pending_power = power;
      t.pending_rest = rest;
      t.last_hit_end = block.end_sample;
      t.last_hit_amplitude = amplitude;
    } else {
      if (++t.misses == 1) {
        t.first_miss_amplitude = amplitude;
        t.first_miss_rest = rest;
      }
      if (t.misses >= miss_blocks_) {
        if (t.state == 2) {
          // Coverage of the last hit block and the first miss block ∝ amplitude.
          if (t.hit_blocks == 0) {  // only one block to report
            t.power_sum = t.pending_power;
            t.rest_sum = t.pending_rest;
            t.hit_blocks = 1;
          }
          const float ref = std::max(static_cast<float>(std::sqrt(t.power_sum / t.hit_blocks)), 1e-30f);
          SampleIndex end = t.last_hit_end - n + samples_of(t.last_hit_amplitude / ref, n) +
                            samples_of(t.first_miss_amplitude / ref, n);
          if (t.misses >= 2 && t.first_miss_amplitude >= 0.8f * ref) {
            // Still there but masked (a DTMF digit dialled over dial tone):
            // it ends where the masker began, found from the masker's share
            // of the first failing block against this one.
            const float noise = static_cast<float>(t.rest_sum / std::max(t.hit_blocks, 1));
            const float masker_first = std::max(t.first_miss_rest - noise, 0.f);
            const float masker_full = std::max(rest - noise, 1e-30f);
            end = t.last_hit_end + samples_of(1.f - masker_first / masker_full, n);
          }
          stager_.push(make_event(t, Edge::off, end), out);
          t.last_end = end;
        }
        t.state = 0;
      }
    }
  } else if (hit && t.prev_hit) {
    // Second passing block in a row: a candidate. The current block is taken
    // as fully covered; the two before it as far as their amplitude says.
    t.state = 1;
    // Level and SNR skip the first and last hit blocks, which may be partial.
    t.power_sum = 0;
    t.rest_sum = 0;
    t.hit_blocks = 0;
    t.pending_power = power;
    t.pending_rest = rest;
    const float ref = std::max(amplitude, 1e-30f);
    t.start = block.end_sample - n - samples_of(t.prev_amplitude / ref, n) -
              samples_of(t.prev2_amplitude / ref, n);
    t.start = std::max(t.start, t.last_end);
    t.last_hit_end = block.end_sample;
    t.last_hit_amplitude = amplitude;
    t.misses = 0;
  }
  if (t.state == 1 && hit && block.end_sample - t.start >= t.min_on_samples) {
    t.state = 2;
    stager_.push(make_event(t, Edge::on, t.start), out);
  }
  t.prev2_amplitude = t.prev_amplitude;
  t.prev_amplitude = amplitude;
  t.prev_rest = rest;
  t.prev_hit = hit;
}

Event ToneDetector::make_event(const Track& t, Edge edge, SampleIndex sample) const noexcept {
  Event e;
  e.sample = sample;
  e.signal = t.tone.signal;
  e.edge = edge;
  e.freq_hz = static_cast<float>(t.tone.freq_hz);
  e.freq2_hz = static_cast<float>(t.tone.freq2_hz);
  // At the on edge the newest block counts too (the tone is still on).
  const bool with_pending = edge == Edge::on || t.hit_blocks == 0;
  const double power = t.power_sum + (with_pending ? t.pending_power : 0.0);
  const double rest = t.rest_sum + (with_pending ? t.pending_rest : 0.0);
  const double blocks = std::max(t.hit_blocks + (with_pending ? 1 : 0), 1);
  e.level_dbm0 = static_cast<float>(mean_square_to_dbm0(power / blocks));
  // Capped at 60 dB: block-edge leakage limits what a block can tell.
  e.snr_db = static_cast<float>(power_ratio_db(power / std::max(rest, 1e-6 * power)));
  return e;
}

}  // namespace squeal
