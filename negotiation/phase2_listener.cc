#include "negotiation/phase2_listener.h"

#include <fftw3.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "dsp/fftw_planner.h"
#include "dsp/levels.h"

namespace squeal {

namespace {

constexpr int kN = kProbePeriodSamples;           // window = one probe period, 160 samples
constexpr int kBins = kN / 2 + 1;                 // 81
constexpr std::uint16_t kHeadWindow = 0xF72;      // fill 1111 + sync 01110010, first bit in bit 11
constexpr int kToneBBin = 24;                     // 1200 Hz
constexpr int kToneABin = 48;                     // 2400 Hz
constexpr int kMinProbeWindows = 6;               // probe windows that make a probe (~130 ms)
constexpr int kProbeEndWindows = 3;               // non-probe windows that end one
constexpr SampleIndex kEdgeBias = 24;             // samples a passing window may hold of the neighbour signal (see on_window)
constexpr int kTrainingWindows = 20;              // broadband windows that make a training run (200 ms)
constexpr int kQuietEndWindows = 20;              // quiet windows that end one (200 ms)
constexpr int kBlockWindows = 20;                 // windows per level block (200 ms)
constexpr double kDataStepDb = 3.0;               // level rise that marks data
constexpr int kDataHoldBlocks = 5;                // data holds its level this long (1 s)
constexpr double kSettledDb = 1.5;                // data's level holds within this
constexpr SampleIndex kDamagedWindow = 3 * 8000;  // a damaged frame counts only this near (3 s) after a good one

std::uint32_t field(std::span<const std::uint8_t> bits, int first, int width) {
  std::uint32_t v = 0;
  for (int i = 0; i < width; ++i) v |= static_cast<std::uint32_t>(bits[static_cast<std::size_t>(first + i)] & 1u) << i;
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------
// INFO0d (V.90 Table 7; bits 26/27 as V.92 Table 15 reads them)

std::optional<Info0d> decode_info0d(std::span<const std::uint8_t> bits) noexcept {
  if (bits.size() != static_cast<std::size_t>(kInfo0dBits)) return std::nullopt;
  Info0d d;
  Info0& v = d.v34;
  v.supports_2743_baud = bits[12] != 0;
  v.supports_2800_baud = bits[13] != 0;
  v.supports_3429_baud = bits[14] != 0;
  v.supports_3000_baud_low_carrier = bits[15] != 0;
  v.supports_3000_baud_high_carrier = bits[16] != 0;
  v.supports_3200_baud_low_carrier = bits[17] != 0;
  v.supports_3200_baud_high_carrier = bits[18] != 0;
  v.allows_3429_baud = bits[19] != 0;
  v.can_reduce_power = bits[20] != 0;
  v.max_symbol_rate_difference = static_cast<std::uint8_t>(field(bits, 21, 3));
  v.cme = bits[24] != 0;
  v.constellation_1664 = bits[25] != 0;
  v.tx_clock_source = 0;
  d.short_phase2_request = bits[26] != 0;
  d.v92_capable = bits[27] != 0;
  v.acknowledge = bits[28] != 0;
  d.nominal_power_code = static_cast<std::uint8_t>(field(bits, 29, 4));
  d.max_power_code = static_cast<std::uint8_t>(field(bits, 33, 5));
  d.power_at_codec = bits[38] != 0;
  d.a_law = bits[39] != 0;
  d.upstream_3429 = bits[40] != 0;
  return d;
}

std::string describe(const Info0d& info) {
  std::string text = describe(info.v34, false);
  if (const auto colon = text.find(':'); colon != std::string::npos) text = text.substr(colon + 1);
  return fmt::format("INFO0d (V.90 digital modem):{}; {}{}nominal phase-2 power {} dBm0, maximum {:.1f} dBm0{}; {}{}",
                     text, info.v92_capable ? "V.92 capable; " : "",
                     info.short_phase2_request ? "asks for short phase 2; " : "", -6 - info.nominal_power_code,
                     -0.5 * (info.max_power_code + 1), info.power_at_codec ? " at the codec" : "",
                     info.a_law ? "A-law" : "µ-law", info.upstream_3429 ? "; 3429 baud upstream allowed" : "");
}

// ---------------------------------------------------------------------------

Phase2Listener::Phase2Listener()
    : channels_{Channel{.carrier_hz = 1200, .demod = DpskDemodulator({.carrier_hz = 1200})},
                Channel{.carrier_hz = 2400, .demod = DpskDemodulator({.carrier_hz = 2400})}},
      analyzer_(LineProbeAnalyzerConfig{.start_sample = 0, .max_periods = 96, .usable_snr_db = 10.0}) {
  fft_in_ = fftwf_alloc_real(kN);
  auto* out = fftwf_alloc_complex(kBins);
  fft_out_ = out;
  const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
  plan_ = fftwf_plan_dft_r2c_1d(kN, fft_in_, out, FFTW_ESTIMATE);
}

Phase2Listener::~Phase2Listener() {
  {
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    fftwf_destroy_plan(static_cast<fftwf_plan>(plan_));
  }
  fftwf_free(fft_in_);
  fftwf_free(fft_out_);
}

void Phase2Listener::reset() noexcept {
  for (Channel& ch : channels_) {
    ch.demod.reset();
    ch.count = 0;
    ch.window = 0;
    ch.candidate_count = 0;
    ch.info0_seen = false;
  }
  ring_.fill(0);
  position_ = 0;
  tone_a_power_.fill(0);
  tone_b_power_.fill(0);
  probe_run_ = non_probe_run_ = probe_windows_ = 0;
  probe_open_ = after_probe_ = training_open_ = false;
  broadband_run_ = quiet_run_ = block_count_ = block_fill_ = 0;
  frame_count_ = probe_count_ = training_count_ = 0;
  last_good_stamp_ = -1;
}

void Phase2Listener::process(std::span<const float> in) noexcept {
  // Sub-blocks keep each demodulator's bit queue (1024 bits) from overflowing.
  constexpr std::size_t kSub = 2048;
  for (std::size_t off = 0; off < in.size(); off += kSub) {
    const auto part = in.subspan(off, std::min(kSub, in.size() - off));
    for (Channel& ch : channels_) {
      ch.demod.process(part);
      DpskBit bit;
      while (ch.demod.pop(bit)) push_bit(ch, bit);
    }
    for (const float x : part) {
      ring_[static_cast<std::size_t>(position_) & (kRing - 1)] = x;
      ++position_;
      if (position_ % kHop == 0 && position_ >= kN) on_window(position_ - kN);
    }
  }
}

void Phase2Listener::finish() noexcept {
  if (probe_open_) close_probe();
  if (training_open_) close_training(position_);
}

// ---------------------------------------------------------------------------
// INFO frames

bool Phase2Listener::crc_checks(const Channel& ch, std::int64_t start, int length) const noexcept {
  std::uint16_t crc = 0xFFFF;  // V.34 §10.1.2.3: preset ones, reflected 0x8408, over fields + CRC -> 0
  for (std::int64_t i = start + kInfoHeadBits; i < start + length - kInfoFillBits; ++i) {
    const unsigned bit = ch.bits[static_cast<std::size_t>(i) & 127u];
    const bool feedback = ((crc ^ bit) & 1u) != 0;
    crc = static_cast<std::uint16_t>(crc >> 1);
    if (feedback) crc ^= 0x8408;
  }
  return crc == 0;
}

bool Phase2Listener::fill_at(const Channel& ch, std::int64_t start, int length) const noexcept {
  for (std::int64_t i = start + length - kInfoFillBits; i < start + length; ++i) {
    if (ch.bits[static_cast<std::size_t>(i) & 127u] == 0) return false;
  }
  return true;
}

void Phase2Listener::emit_frame(Channel& ch, std::int64_t start, int length, HeardInfoKind kind,
                                bool crc_ok) noexcept {
  if (crc_ok && (kind == HeardInfoKind::info0 || kind == HeardInfoKind::info0d)) ch.info0_seen = true;
  if (crc_ok) last_good_stamp_ = ch.stamps[static_cast<std::size_t>(start + length - 1) & 127u];
  if (frame_count_ >= frames_.size()) return;
  HeardInfo& f = frames_[frame_count_++];
  f.kind = kind;
  f.carrier_hz = ch.carrier_hz;
  f.crc_ok = crc_ok;
  f.size = static_cast<std::uint8_t>(length);
  for (int i = 0; i < length; ++i) f.bits[static_cast<std::size_t>(i)] = ch.bits[static_cast<std::size_t>(start + i) & 127u];
  f.start = ch.stamps[static_cast<std::size_t>(start) & 127u];
  f.end = ch.stamps[static_cast<std::size_t>(start + length - 1) & 127u];
}

void Phase2Listener::push_bit(Channel& ch, const DpskBit& bit) noexcept {
  if (bit.after_gap) {  // carrier came back: a new transmission, open frames are lost
    ch.count = 0;
    ch.window = 0;
    ch.candidate_count = 0;
  }
  const std::int64_t i = ch.count++;
  ch.bits[static_cast<std::size_t>(i) & 127u] = bit.bit;
  ch.stamps[static_cast<std::size_t>(i) & 127u] = bit.stamp;
  ch.window = static_cast<std::uint16_t>(((ch.window << 1) | bit.bit) & 0xFFFu);
  if (i >= kInfoHeadBits - 1 && ch.window == kHeadWindow && ch.candidate_count < ch.candidates.size()) {
    ch.candidates[ch.candidate_count++] = i - (kInfoHeadBits - 1);
  }
  // Lengths each carrier can carry, shortest first; the last is the longest.
  static constexpr std::array<std::pair<int, HeardInfoKind>, 3> kLow{
      {{kInfo0Bits, HeardInfoKind::info0}, {kInfo0dBits, HeardInfoKind::info0d}, {kInfo1cBits, HeardInfoKind::info1c}}};
  static constexpr std::array<std::pair<int, HeardInfoKind>, 2> kHigh{
      {{kInfo0Bits, HeardInfoKind::info0}, {kInfo1aBits, HeardInfoKind::info1a}}};
  const std::span<const std::pair<int, HeardInfoKind>> kinds =
      ch.carrier_hz == 1200 ? std::span<const std::pair<int, HeardInfoKind>>(kLow)
                            : std::span<const std::pair<int, HeardInfoKind>>(kHigh);
  std::size_t c = 0;
  while (c < ch.candidate_count) {
    const std::int64_t start = ch.candidates[c];
    const auto length = static_cast<int>(i - start + 1);
    bool done = false;
    for (const auto& [bits, kind] : kinds) {
      if (length == bits && crc_checks(ch, start, bits)) {
        emit_frame(ch, start, bits, kind, true);
        // Syncs inside a good frame were false: drop them (they are later in the list).
        std::size_t keep = c;
        for (std::size_t k = c + 1; k < ch.candidate_count; ++k) {
          if (ch.candidates[k] >= start + bits) ch.candidates[keep++] = ch.candidates[k];
        }
        ch.candidate_count = keep;
        done = true;
        break;
      }
    }
    if (!done && length == kinds.back().first) {
      // No length checked: damaged. Say so only when a closing fill sits where
      // the kind expected now would end (otherwise it was a false sync).
      const auto& guess = ch.info0_seen ? kinds.back() : kinds.front();
      const bool near_good = last_good_stamp_ >= 0 && bit.stamp - last_good_stamp_ <= kDamagedWindow;
      if (near_good && fill_at(ch, start, guess.first)) emit_frame(ch, start, guess.first, guess.second, false);
      for (std::size_t k = c + 1; k < ch.candidate_count; ++k) ch.candidates[k - 1] = ch.candidates[k];
      --ch.candidate_count;
      done = true;
    }
    if (!done) ++c;
  }
}

// ---------------------------------------------------------------------------
// Probe and training windows

void Phase2Listener::on_window(SampleIndex n) noexcept {
  for (int i = 0; i < kN; ++i) fft_in_[i] = ring_[static_cast<std::size_t>(n + i) & (kRing - 1)];
  fftwf_execute(static_cast<fftwf_plan>(plan_));
  const auto* out = static_cast<const fftwf_complex*>(fft_out_);
  double total = 0, comb = 0;
  std::array<double, kProbeToneCount> tone{};
  for (int b = 2; b <= 78; ++b) total += static_cast<double>(out[b][0]) * out[b][0] + static_cast<double>(out[b][1]) * out[b][1];
  for (int t = 0; t < kProbeToneCount; ++t) {
    const int b = probe_tone_bin(t);
    tone[static_cast<std::size_t>(t)] = static_cast<double>(out[b][0]) * out[b][0] + static_cast<double>(out[b][1]) * out[b][1];
    comb += tone[static_cast<std::size_t>(t)];
  }
  int strong = 0;
  for (const double p : tone) strong += p >= comb / kProbeToneCount * 0.01 ? 1 : 0;
  const auto power = [&](int b) { return static_cast<double>(out[b][0]) * out[b][0] + static_cast<double>(out[b][1]) * out[b][1]; };
  const double tone_b = power(kToneBBin), tone_a = power(kToneABin);
  const double mean_square = 2.0 * total / (static_cast<double>(kN) * kN);  // Parseval, bins 2..78
  // The probe has no tone at 1200, 1800, 2400 Hz: leave the far modem's tone A/B
  // (and guard tone) out, so a probe sent over the other side's tone still counts.
  double others = total;
  for (const int b : {kToneBBin - 1, kToneBBin, kToneBBin + 1, 36, kToneABin - 1, kToneABin, kToneABin + 1}) others -= power(b);
  const double level = mean_square_to_dbm0(mean_square);
  // A window passes with up to ~30 % of it holding the neighbouring signal: edges
  // are placed kEdgeBias inside the first/last passing window.
  const double probe_level = mean_square_to_dbm0(2.0 * comb / (static_cast<double>(kN) * kN));
  const bool is_probe = probe_level >= -45.0 && comb >= 0.7 * others && comb >= 0.3 * total && strong >= 15;
  const bool is_broadband = level >= -40.0 && comb < 0.6 * total && tone_b < 0.2 * total && tone_a < 0.2 * total && strong >= 12;
  const bool is_quiet = level < -45.0;

  if (is_probe) {
    if (!probe_open_) {
      if (probe_run_ == 0) {
        probe_windows_ = 0;
        current_probe_ = HeardProbe{};
        current_probe_.start = n + kEdgeBias;
        // Whose tone was on in the windows that end before this one starts.
        const double a = std::max(tone_a_power_[1], tone_a_power_[2]);
        const double b = std::max(tone_b_power_[1], tone_b_power_[2]);
        current_probe_.prober_carrier_hz = a > 4 * b ? 2400 : b > 4 * a ? 1200 : 0;
      }
      if (++probe_run_ >= kMinProbeWindows) {
        probe_open_ = true;
        if (training_open_) close_training(current_probe_.start);
        after_probe_ = false;
      }
    }
    non_probe_run_ = 0;
    last_probe_window_ = n;
    if (probe_windows_ < static_cast<int>(probe_levels_.size())) probe_levels_[static_cast<std::size_t>(probe_windows_++)] = static_cast<float>(probe_level);
  } else {
    probe_run_ = probe_open_ ? probe_run_ : 0;
    if (probe_open_ && ++non_probe_run_ >= kProbeEndWindows) close_probe();
  }
  std::rotate(tone_a_power_.rbegin(), tone_a_power_.rbegin() + 1, tone_a_power_.rend());
  std::rotate(tone_b_power_.rbegin(), tone_b_power_.rbegin() + 1, tone_b_power_.rend());
  tone_a_power_[0] = tone_a;
  tone_b_power_[0] = tone_b;

  if (probe_open_) return;
  if (training_open_) {
    quiet_run_ = is_quiet ? quiet_run_ + 1 : 0;
    if (quiet_run_ >= kQuietEndWindows) {
      close_training(n - (kQuietEndWindows - 1) * kHop + kEdgeBias);
      return;
    }
    block_sum_ms_ += mean_square;
    if (++block_fill_ == kBlockWindows) {
      if (block_count_ < static_cast<int>(block_levels_.size())) {
        block_levels_[static_cast<std::size_t>(block_count_++)] = static_cast<float>(mean_square_to_dbm0(block_sum_ms_ / kBlockWindows));
      }
      block_sum_ms_ = 0;
      block_fill_ = 0;
    }
  } else if (after_probe_) {
    if (!is_broadband) {
      broadband_run_ = 0;
      return;
    }
    if (broadband_run_ == 0) {
      broadband_first_ = n;
      broadband_sum_ms_ = 0;
    }
    broadband_sum_ms_ += mean_square;
    if (++broadband_run_ >= kTrainingWindows) {
      training_open_ = true;
      after_probe_ = false;
      current_training_ = HeardTraining{};
      current_training_.start = broadband_first_ + kN - kEdgeBias - kHop;  // onset inside the first window's last half
      current_training_.level_dbm0 = mean_square_to_dbm0(broadband_sum_ms_ / kTrainingWindows);
      block_levels_[0] = static_cast<float>(current_training_.level_dbm0);
      block_count_ = 1;
      block_sum_ms_ = 0;
      block_fill_ = 0;
      quiet_run_ = 0;
      broadband_run_ = 0;
    }
  }
}

void Phase2Listener::close_probe() noexcept {
  probe_open_ = false;
  probe_run_ = non_probe_run_ = 0;
  after_probe_ = true;
  broadband_run_ = 0;
  HeardProbe& p = current_probe_;
  p.end = last_probe_window_ + kN - kEdgeBias;
  // L1 is 6 dB above L2 (V.34 §10.1.2.4): find the step between the first and last windows.
  const int w = probe_windows_;
  if (w >= 8) {
    const auto mean = [&](int from, int to) {
      double s = 0;
      for (int k = from; k < to; ++k) s += probe_levels_[static_cast<std::size_t>(k)];
      return s / (to - from);
    };
    const double first = mean(0, 4), last = mean(w - 4, w);
    if (first - last >= 3.0) {
      for (int k = 0; k < w; ++k) {
        if (probe_levels_[static_cast<std::size_t>(k)] < (first + last) / 2) {
          p.l1_end = p.start - kEdgeBias + static_cast<SampleIndex>(k) * kHop + kHop;
          break;
        }
      }
    }
  }
  // Measure L2 (or the whole probe without a step), one period in from each edge.
  SampleIndex from = (p.l1_end >= 0 ? p.l1_end : p.start) + kN;
  from = std::max(from, position_ - static_cast<SampleIndex>(kRing) + kN);
  const SampleIndex periods = (p.end - kN - from) / kN;
  if (periods >= 4) {
    analyzer_.reset();
    analyzer_.start_at(0);
    const SampleIndex count = std::min<SampleIndex>(periods, 96) * kN;
    std::array<float, kN> chunk{};
    for (SampleIndex k = 0; k < count; k += kN) {
      for (int i = 0; i < kN; ++i) chunk[static_cast<std::size_t>(i)] = ring_[static_cast<std::size_t>(from + k + i) & (kRing - 1)];
      analyzer_.process(chunk);
    }
    p.report = analyzer_.report();
    p.report.start_sample = from;
    p.level_dbm0 = p.report.total_level_dbm0;
    std::array<double, kProbeToneCount> snr{};
    for (int t = 0; t < kProbeToneCount; ++t) snr[static_cast<std::size_t>(t)] = p.report.tones[static_cast<std::size_t>(t)].snr_db;
    std::nth_element(snr.begin(), snr.begin() + kProbeToneCount / 2, snr.end());
    // Clean enough to quote per tone: a median tone SNR of 15 dB in 50 Hz.
    p.measured = p.report.valid && snr[kProbeToneCount / 2] >= 15.0;
  }
  if (probe_count_ < probes_.size()) probes_[probe_count_++] = p;
}

void Phase2Listener::close_training(SampleIndex end) noexcept {
  training_open_ = false;
  HeardTraining& t = current_training_;
  t.end = end;
  // Data: the last block k where the next 1 s is >= 3 dB above the 400 ms before it.
  const int count = block_count_;
  double best = 0;
  int best_k = -1;
  for (int k = 2; k + kDataHoldBlocks <= count; ++k) {
    double before = 0, after = 0;
    for (int j = k - 2; j < k; ++j) before += block_levels_[static_cast<std::size_t>(j)];
    for (int j = k; j < k + kDataHoldBlocks; ++j) after += block_levels_[static_cast<std::size_t>(j)];
    const double step = after / kDataHoldBlocks - before / 2;
    if (step >= kDataStepDb) {
      if (best_k < 0 || k > best_k + 3 || step > best) {
        if (best_k >= 0 && k > best_k + 3) best = 0;  // a later rise replaces an earlier one
        if (step > best) {
          best = step;
          best_k = k;
        }
      }
    }
  }
  if (best_k >= 0) {
    // The rise often ramps or breaks for a moment (recording A: a 0.7 s ramp,
    // a 75 ms gap, then a steady level); data is where the level settles: the
    // first block whose next kDataHoldBlocks stay within kSettledDb of their mean.
    for (int k = best_k; k + kDataHoldBlocks <= count && k < best_k + kDataHoldBlocks; ++k) {
      double mean = 0;
      for (int j = k; j < k + kDataHoldBlocks; ++j) mean += block_levels_[static_cast<std::size_t>(j)];
      mean /= kDataHoldBlocks;
      bool settled = true;
      for (int j = k; j < k + kDataHoldBlocks; ++j) settled = settled && std::abs(block_levels_[static_cast<std::size_t>(j)] - mean) <= kSettledDb;
      if (settled) {
        best_k = k;
        break;
      }
    }
    t.data_start = t.start + static_cast<SampleIndex>(best_k) * kBlockWindows * kHop;
    t.data_step_db = best;
  }
  if (training_count_ < trainings_.size()) trainings_[training_count_++] = t;
}

}  // namespace squeal
