#include "negotiation/v22_listener.h"

#include <algorithm>

#include "dsp/levels.h"

namespace squeal {

namespace {

constexpr double kFirstHz = 300;   // first bin of the bank
constexpr double kStepHz = 50;     // bin spacing (160-sample blocks)
constexpr int kBins = 74;          // 300 ... 3950 Hz
constexpr double kMinChannelDbm0 = -55;  // quieter blocks are not classified
// Scrambled data only counts once an answerer's unscrambled ones armed the
// listener (V.22 §6.3.1: they always open the sequence), and until the line
// has been quiet this long: V.21 FSK and V.34 training also fill a channel.
constexpr SampleIndex kArmSamples = 60 * kSampleRateHz;

GoertzelBank::Config bank_config() {
  GoertzelBank::Config c;
  for (int i = 0; i < kBins; ++i) c.freqs_hz.push_back(kFirstHz + kStepHz * i);
  c.block_length = V22Listener::kBlock;
  return c;
}

constexpr int bin(double hz) { return static_cast<int>((hz - kFirstHz) / kStepHz + 0.5); }

double band(std::span<const float> p, double lo_hz, double hi_hz) {
  double s = 0;
  for (int i = bin(lo_hz); i <= bin(hi_hz); ++i) s += p[static_cast<std::size_t>(i)];
  return s;
}

double at(std::span<const float> p, double hz) { return p[static_cast<std::size_t>(bin(hz))]; }

/// One channel's block: which V.22 signal it carries (-1: none). `carrier_hz`
/// 1200 (caller) or 2400 (answerer); `armed`: scrambled data may count.
int classify_channel(std::span<const float> p, double carrier_hz, bool armed, double& level_ms) {
  const double lo = carrier_hz - 550, hi = carrier_hz + 550;
  const double ch = band(p, lo, hi);
  level_ms = ch;
  if (mean_square_to_dbm0(ch) < kMinChannelDbm0) return -1;
  if (at(p, carrier_hz - 150) >= 0.5 * ch) return static_cast<int>(V22Signal::unscrambled_ones);
  const double m = at(p, carrier_hz - 300), c = at(p, carrier_hz), u = at(p, carrier_hz + 300);
  if (m + c + u >= 0.6 * ch && m >= 0.1 * ch && u >= 0.1 * ch && c >= 0.1 * ch) return static_cast<int>(V22Signal::s1);
  if (!armed) return -1;
  double peak = 0;
  for (int i = bin(lo); i <= bin(hi); ++i) peak = std::max(peak, static_cast<double>(p[static_cast<std::size_t>(i)]));
  const double centre = band(p, carrier_hz - 300, carrier_hz + 300);
  // The channel's own spectrum (raised cosine around the carrier), no line,
  // and the other side's band not louder (one side talking into both would be speech).
  if (peak <= 0.3 * ch && centre >= 0.6 * ch) return static_cast<int>(V22Signal::scrambled);
  return -1;
}

}  // namespace

std::string_view v22_signal_name(V22Signal s) noexcept {
  switch (s) {
    case V22Signal::unscrambled_ones: return "v22_unscrambled_ones";
    case V22Signal::s1: return "v22bis_s1";
    case V22Signal::scrambled: return "v22_scrambled";
    case V22Signal::v32_aa: return "v32_aa";
    case V22Signal::v32_ac: return "v32_ac";
  }
  return "v22";
}

V22Listener::V22Listener() : bank_(bank_config()) { heard_.reserve(1024); }

void V22Listener::process(std::span<const float> in) {
  bank_.process(in, [this](const GoertzelBank::Block& b) { on_block(b.end_sample, b.tone_power); });
}

void V22Listener::on_block(SampleIndex end, std::span<const float> p) {
  const bool armed = armed_until_ > end;
  double level_low = 0, level_high = 0;
  const int low = classify_channel(p, 1200, armed, level_low);
  const int high = classify_channel(p, 2400, armed, level_high);
  track(0, low, end, level_low);
  track(1, high, end, level_high);
  const Run& answerer = runs_[1];
  if (answerer.kind == static_cast<int>(V22Signal::unscrambled_ones) && answerer.blocks >= kLineMinBlocks &&
      answerer.last_end == end) {
    armed_until_ = end + kArmSamples;
  }
  if (armed && (low >= 0 || high >= 0)) armed_until_ = std::max(armed_until_, end + kSampleRateHz);

  // V.32bis AA / AC (§5.2.1): single lines over the whole band.
  const double all = band(p, kFirstHz, kFirstHz + kStepHz * (kBins - 1));
  const bool loud = mean_square_to_dbm0(all) >= kMinChannelDbm0;
  const bool aa = loud && at(p, 1800) >= 0.7 * all;
  const bool ac = loud && at(p, 600) + at(p, 3000) >= 0.7 * all && at(p, 600) >= 0.2 * all && at(p, 3000) >= 0.2 * all;
  track(2, aa ? static_cast<int>(V22Signal::v32_aa) : -1, end, all);
  track(3, ac ? static_cast<int>(V22Signal::v32_ac) : -1, end, all);
}

void V22Listener::track(int lane, int kind, SampleIndex end, double level_ms) {
  Run& r = runs_[static_cast<std::size_t>(lane)];
  const SampleIndex start = end - kBlock;
  // Scrambled data is noise-like: single blocks drop out; bridge 200 ms and want 200 ms.
  const bool noise_like = r.kind == static_cast<int>(V22Signal::scrambled);
  const SampleIndex bridge = (noise_like ? 5 * kBridgeBlocks : kBridgeBlocks) * kBlock;
  const bool ones = r.kind == static_cast<int>(V22Signal::unscrambled_ones);
  const int min_blocks = noise_like ? 10 : ones ? kLineMinBlocks : kMinBlocks;
  const bool bridged = r.kind == kind && start - r.last_end <= bridge;
  if (kind >= 0 && bridged) {
    r.last_end = end;
    ++r.blocks;
    r.level_sum += level_ms;
    return;
  }
  if (kind < 0 && r.kind >= 0 && start - r.last_end <= bridge) return;  // may still bridge
  // Close the open run (if long enough), then start a new one.
  if (r.kind >= 0 && r.blocks >= min_blocks && heard_.size() < heard_.capacity()) {
    V22Heard h;
    h.signal = static_cast<V22Signal>(r.kind);
    h.answerer = lane == 1 || lane == 3;
    h.start = r.start;
    h.end = r.last_end;
    h.level_dbm0 = mean_square_to_dbm0(r.level_sum / r.blocks);
    heard_.push_back(h);
  }
  r = Run{};
  if (kind >= 0) r = Run{kind, start, end, 1, level_ms};
}

std::vector<V22Heard> V22Listener::finish() {
  for (int lane = 0; lane < 4; ++lane) {
    Run& r = runs_[static_cast<std::size_t>(lane)];
    if (r.kind >= 0) track(lane, -1, r.last_end + (5 * kBridgeBlocks + 2) * kBlock, 0);
  }
  std::vector<V22Heard> out = heard_;
  std::ranges::sort(out, {}, [](const V22Heard& h) { return h.start; });
  return out;
}

}  // namespace squeal
