#include "negotiation/v8bis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "dsp/levels.h"

namespace squeal {

namespace {

constexpr int kBlock = 160;            // 20 ms: 50 Hz bins, so 1900 Hz (CRd) is clear of 1850 Hz (V.21 space)
constexpr int kHop = 40;               // 5 ms between block starts
constexpr int kMinPairBlocks = 30;     // 150 ms of pair (nominal 400 ms)
constexpr int kMinSingleBlocks = 8;    // 40 ms of segment 2 (nominal 100 ms)
constexpr int kMaxMisses = 3;          // 15 ms of failing blocks bridged
constexpr SampleIndex kMaxJoin = 240;  // 30 ms: segment 2 must follow segment 1
constexpr SampleIndex kSegment2 = 800; // 100 ms (§7.1.2)
constexpr float kPairShare = 0.5f;     // the pair carries at least half the block's power
constexpr float kSingleShare = 0.6f;   // a segment-2 tone at least 60 %
constexpr float kMaxTwist = 10.0f;     // pair: 10 dB between its tones at most

// Bank order: the two pairs, then the segment-2 tones in V8bisSignal order.
constexpr std::array<double, 10> kFreqs = {1375, 2002, 1529, 2225, 650, 1150, 400, 1900, 980, 1650};

bool in_set(V8bisSignal s, bool responding) {
  switch (s) {
    case V8bisSignal::mrd:
    case V8bisSignal::crd: return true;  // Table 1 lists both sets
    case V8bisSignal::esr: return responding;
    default: return !responding;
  }
}

}  // namespace

std::string_view v8bis_signal_name(V8bisSignal s) noexcept {
  static constexpr std::array<std::string_view, 6> kNames = {"MRe", "MRd", "CRe", "CRd", "ESi", "ESr"};
  return kNames[static_cast<std::size_t>(s)];
}

double v8bis_segment2_hz(V8bisSignal s) noexcept { return kFreqs[4 + static_cast<std::size_t>(s)]; }

V8bisToneSet v8bis_tone_set(bool responding) noexcept {
  return responding ? V8bisToneSet{1529, 2225} : V8bisToneSet{1375, 2002};
}

V8bisSignalDetector::V8bisSignalDetector(double min_level_dbm0)
    : bank_({.freqs_hz = {kFreqs.begin(), kFreqs.end()}, .block_length = kBlock, .hop = kHop}) {
  if (!(min_level_dbm0 >= -60.0 && min_level_dbm0 <= 0.0)) {
    throw std::invalid_argument(fmt::format("V8bisSignalDetector: min_level_dbm0 {} outside -60..0", min_level_dbm0));
  }
  min_power_ = static_cast<float>(dbm0_to_mean_square(min_level_dbm0));
}

void V8bisSignalDetector::process(std::span<const float> in) noexcept {
  bank_.process(in, [this](const GoertzelBank::Block& b) { on_block(b); });
}

namespace {

// Power of class c in a block: a pair's weaker tone, or the single tone.
float class_power(int c, std::span<const float> p) {
  if (c == 100) return std::min(p[0], p[1]);
  if (c == 101) return std::min(p[2], p[3]);
  return c >= 0 ? p[4 + static_cast<std::size_t>(c)] : 0.0f;
}

// Fraction of a block the tone covered, from its power against the steady power.
double covered(float power, float steady) {
  if (steady <= 0) return 1.0;
  return std::clamp(std::sqrt(static_cast<double>(power) / steady), 0.0, 1.0);
}

}  // namespace

void V8bisSignalDetector::on_block(const GoertzelBank::Block& b) noexcept {
  const auto p = b.tone_power;
  const float ms = std::max(b.mean_square, 1e-20f);
  int cls = kNone;
  const auto pair_ok = [&](std::size_t i) {
    const float lo = std::min(p[i], p[i + 1]), hi = std::max(p[i], p[i + 1]);
    return lo > min_power_ && (p[i] + p[i + 1]) > kPairShare * ms && hi < kMaxTwist * lo;
  };
  if (pair_ok(0)) {
    cls = kPairInitiating;
  } else if (pair_ok(2)) {
    cls = kPairResponding;
  } else {
    for (std::size_t k = 0; k < 6; ++k) {
      if (p[4 + k] > min_power_ && p[4 + k] > kSingleShare * ms) cls = static_cast<int>(k);
    }
  }
  const SampleIndex block_start = b.end_sample - kBlock;
  if (run_class_ != kNone) {
    if (cls == run_class_) {
      ++run_blocks_;
      misses_ = 0;
      run_level_ = std::max(run_level_, class_power(cls, p));
      last_end_ = b.end_sample;
      return;
    }
    if (misses_ == 0) {
      after_power_ = class_power(run_class_, p);
      after_start_ = block_start;
    }
    ++misses_;
    if (cls == kNone && misses_ <= kMaxMisses) return;
    end_run(block_start);
  }
  if (pair_pending_ && block_start - pair_end_ > kMaxJoin + kBlock) pair_pending_ = false;
  if (cls != kNone) {
    run_class_ = cls;
    run_blocks_ = 1;
    misses_ = 0;
    first_power_ = class_power(cls, p);
    first_end_ = b.end_sample;
    last_end_ = b.end_sample;
    run_level_ = first_power_;
  }
}

void V8bisSignalDetector::end_run(SampleIndex now) noexcept {
  (void)now;
  const int cls = run_class_;
  run_class_ = kNone;
  // Edges inside their blocks from the tone's amplitude there (ToneDetector's way).
  const SampleIndex start = first_end_ - static_cast<SampleIndex>(std::lround(kBlock * covered(first_power_, run_level_)));
  const SampleIndex end = misses_ > 0 ? after_start_ + static_cast<SampleIndex>(std::lround(kBlock * covered(after_power_, run_level_)))
                                      : last_end_;
  if (cls == kPairInitiating || cls == kPairResponding) {
    pair_pending_ = run_blocks_ >= kMinPairBlocks;
    pair_responding_ = cls == kPairResponding;
    pair_start_ = start;
    pair_end_ = end;
    pair_level_ = run_level_;
    return;
  }
  const bool joined = pair_pending_ && start - pair_end_ <= kMaxJoin;
  const auto signal = static_cast<V8bisSignal>(cls);
  if (joined && run_blocks_ >= kMinSingleBlocks && in_set(signal, pair_responding_)) {
    V8bisSignalHeard h;
    h.signal = signal;
    h.responding_set = pair_responding_;
    h.start = pair_start_;
    h.segment2_start = start;
    // ES runs on into the message preamble (the same mark tone): segment 2 is 100 ms.
    h.end = (signal == V8bisSignal::esi || signal == V8bisSignal::esr) ? std::min(end, start + kSegment2) : end;
    h.level_dbm0 = static_cast<float>(mean_square_to_dbm0(pair_level_));
    if (size_ < kQueueCapacity) {
      queue_[(head_ + size_) % kQueueCapacity] = h;
      ++size_;
    }
  }
  pair_pending_ = false;
}

bool V8bisSignalDetector::pop(V8bisSignalHeard& out) noexcept {
  if (size_ == 0) return false;
  out = queue_[head_];
  head_ = (head_ + 1) % kQueueCapacity;
  --size_;
  return true;
}

void V8bisSignalDetector::reset() noexcept {
  bank_.reset();
  run_class_ = kNone;
  run_blocks_ = misses_ = 0;
  pair_pending_ = false;
  head_ = size_ = 0;
}

// ---------------------------------------------------------------- messages

std::string_view v8bis_message_name(std::uint8_t type) noexcept {
  switch (type) {
    case 1: return "MS";
    case 2: return "CL";
    case 3: return "CLR";
    case 4: return "ACK(1)";
    case 5: return "ACK(2)";
    case 8: return "NAK(1)";
    case 9: return "NAK(2)";
    case 10: return "NAK(3)";
    case 11: return "NAK(4)";
    default: return "";
  }
}

std::string_view v8bis_message_token(std::uint8_t type) noexcept {
  if (type >= 1 && type <= 3) return type == 1 ? "ms" : type == 2 ? "cl" : "clr";
  if (type == 4 || type == 5) return "ack";
  if (type >= 8 && type <= 11) return "nak";
  return "";
}

namespace {

// Reads one block ending at an octet with `delimiter` set; returns its first
// octet's parameter bits (masked by `bits`), or false if it ran off the end.
bool read_block(std::span<const std::uint8_t> in, std::size_t& pos, std::uint8_t delimiter, std::uint8_t bits,
                std::uint8_t& first) {
  first = 0;
  bool any = false;
  while (pos < in.size()) {
    const std::uint8_t o = in[pos++];
    if (!any) first = static_cast<std::uint8_t>(o & bits);
    any = true;
    if ((o & delimiter) != 0) return true;
  }
  return false;
}

}  // namespace

V8bisMessage decode_v8bis(std::span<const std::uint8_t> in) noexcept {
  V8bisMessage m;
  if (in.empty()) return m;
  m.type = in[0] & 0x0F;
  m.revision = static_cast<std::uint8_t>(in[0] >> 4);
  m.known_type = !v8bis_message_name(m.type).empty();
  if (!m.known_type) return m;
  if (m.type >= 4) {  // ACK and NAK: the type octet alone (§8.4.1)
    m.parsed = true;
    return m;
  }
  std::size_t pos = 1;
  std::uint8_t dummy = 0;
  // I field: NPar(1), SPar(1) (7 bits each, bit 8 delimits), then Par(2) blocks.
  bool ok = read_block(in, pos, 0x80, 0x7F, m.id_npar1) && read_block(in, pos, 0x80, 0x7F, m.id_spar1);
  for (int bit = 0; ok && bit < 7; ++bit) {
    if ((m.id_spar1 & (1U << bit)) == 0) continue;
    std::uint8_t first = 0;
    ok = read_block(in, pos, 0x80, 0x3F, first);
    if (bit == 0) m.network = first;
  }
  // S field: the same shape.
  ok = ok && read_block(in, pos, 0x80, 0x7F, m.s_npar1) && read_block(in, pos, 0x80, 0x7F, m.s_spar1);
  for (int bit = 0; ok && bit < 7; ++bit) {
    if ((m.s_spar1 & (1U << bit)) == 0) continue;
    const std::size_t block_start = pos;
    ok = read_block(in, pos, 0x80, 0x3F, dummy);
    if (!ok) break;
    // NPar(2): octets up to the first with bit 7 (or 8) set.
    for (std::size_t i = block_start, k = 0; i < pos; ++i, ++k) {
      const std::uint8_t v = in[i] & 0x3F;
      if (bit == 0 && k < m.data.size()) m.data[k] = v;
      if (bit == 3 && k == 0) m.v18 = v;
      if (bit == 5 && k == 0) m.telephony = v;
      if ((in[i] & 0xC0) != 0) break;
    }
  }
  // NS field (§8.5): length, country, provider length, provider, data.
  while (ok && (m.id_npar1 & 0x40) != 0 && pos < in.size()) {
    const std::size_t len = in[pos];
    if (len < 2 || pos + 1 + len > in.size()) {
      ok = false;
      break;
    }
    const std::size_t provider_len = in[pos + 2];
    if (m.ns_count < V8bisMessage::kMaxNs && 2 + provider_len <= len) {
      m.ns_country[m.ns_count] = in[pos + 1];
      std::uint16_t provider = 0;
      for (std::size_t k = 0; k < std::min<std::size_t>(provider_len, 2); ++k) provider = static_cast<std::uint16_t>((provider << 8) | in[pos + 3 + k]);
      m.ns_provider[m.ns_count] = provider;
      m.ns_data_octets[m.ns_count] = static_cast<std::uint8_t>(len - 2 - provider_len);
      ++m.ns_count;
    }
    pos += 1 + len;
  }
  m.truncated = !ok;
  m.parsed = ok;
  return m;
}

bool looks_like_v8bis(std::span<const std::uint8_t> octets) noexcept {
  const V8bisMessage m = decode_v8bis(octets);
  return m.known_type && m.parsed && (m.type >= 4 ? octets.size() == 1 : true);
}

namespace {

void add_bits(std::string& out, std::uint8_t value, std::span<const std::pair<std::uint8_t, const char*>> names) {
  for (const auto& [bit, name] : names) {
    if ((value & bit) == 0) continue;
    if (!out.empty() && out.back() != ' ') out += ", ";
    out += name;
  }
}

}  // namespace

std::string describe(const V8bisMessage& m) {
  std::string out = m.known_type ? std::string(v8bis_message_name(m.type)) : fmt::format("type {}", m.type);
  out += fmt::format(" rev {}", m.revision);
  if (!m.known_type || m.type >= 4) return out;
  if (!m.parsed) return out + " (information field cut short)";
  static constexpr std::pair<std::uint8_t, const char*> kId[] = {
      {0x01, "V.8 to follow"}, {0x02, "shortened V.8"}, {0x04, "more information to come"},
      {0x08, "send ACK(1)"}, {0x40, "non-standard field"}};
  static constexpr std::pair<std::uint8_t, const char*> kApps[] = {
      {0x01, "data"}, {0x02, "simultaneous voice and data"}, {0x04, "H.324 videophone"},
      {0x08, "V.18 text telephone"}, {0x20, "analogue telephony"}, {0x40, "T.101 videotex"}};
  static constexpr std::pair<std::uint8_t, const char*> kData1[] = {
      {0x01, "transparent"}, {0x02, "V.42 LAPM"}, {0x04, "V.42bis"}, {0x08, "V.14"}, {0x10, "T.120"}};
  static constexpr std::pair<std::uint8_t, const char*> kData2[] = {
      {0x01, "T.84"}, {0x02, "T.434"}, {0x04, "V.80"}, {0x10, "V.34"}, {0x20, "V.32bis"}};
  static constexpr std::pair<std::uint8_t, const char*> kData3[] = {
      {0x01, "V.32"}, {0x02, "V.22bis"}, {0x04, "V.22"}, {0x08, "V.21"}};
  std::string id;
  add_bits(id, m.id_npar1, kId);
  out += ": " + (id.empty() ? std::string("no identification flags") : id);
  if ((m.id_spar1 & 0x01) != 0) out += m.network & 0x01 ? "; cellular network" : m.network & 0x02 ? "; ISDN network" : "; network type";
  std::string apps;
  add_bits(apps, m.s_spar1, kApps);
  out += "; standard: " + (apps.empty() ? std::string("none") : apps);
  if ((m.s_spar1 & 0x01) != 0) {
    std::string mods;
    add_bits(mods, m.data[1], kData2);
    add_bits(mods, m.data[2], kData3);
    add_bits(mods, m.data[0], kData1);
    out += " (" + (mods.empty() ? std::string("no modes") : mods) + ")";
  }
  for (std::size_t i = 0; i < m.ns_count; ++i) {
    out += fmt::format("; non-standard: T.35 country {:02x}, provider {:04x}, {} data octets", m.ns_country[i],
                       m.ns_provider[i], m.ns_data_octets[i]);
  }
  return out;
}

}  // namespace squeal
