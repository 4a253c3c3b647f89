// V.34 INFO0/INFO1c/INFO1a codec, CRC and the streaming receiver. Vectors
// from /work/shared/spec/v34-phase2.md.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "negotiation/info_codec.h"

using namespace squeal;

namespace {

using Bits = std::vector<std::uint8_t>;

Bits bits_of(std::string_view s) {
  Bits b;
  for (char c : s) {
    if (c == '0' || c == '1') b.push_back(static_cast<std::uint8_t>(c - '0'));
  }
  return b;
}

// v34-phase2.md INFO0 test vector: bits 12-20 and 25 set, the rest 0.
constexpr std::string_view kSpecInfo0 = "1111011100101111111110000100010001111110110011111";

Info0 spec_info0() {
  Info0 i;
  i.supports_2743_baud = i.supports_2800_baud = i.supports_3429_baud = true;
  i.supports_3000_baud_low_carrier = i.supports_3000_baud_high_carrier = true;
  i.supports_3200_baud_low_carrier = i.supports_3200_baud_high_carrier = true;
  i.allows_3429_baud = true;
  i.can_reduce_power = true;
  i.constellation_1664 = true;
  return i;
}

std::uint16_t crc_as_sent(const Bits& frame, InfoKind kind) {
  const auto at = static_cast<std::size_t>(kInfoHeadBits + info_field_bits(kind));
  std::uint16_t crc = 0;
  for (int k = 0; k < 16; ++k) crc = static_cast<std::uint16_t>(crc | (frame[at + static_cast<std::size_t>(k)] << k));
  return crc;
}

Info1c random_info1c(std::mt19937& rng) {
  auto u = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Info1c i;
  i.min_power_reduction_db = static_cast<std::uint8_t>(u(0, 7));
  i.additional_power_reduction_db = static_cast<std::uint8_t>(u(0, 7));
  i.md_length_35ms = static_cast<std::uint8_t>(u(0, 127));
  for (Info1cRate& r : i.rates) {
    r.high_carrier = u(0, 1) != 0;
    r.pre_emphasis_index = static_cast<std::uint8_t>(u(0, 10));
    r.max_rate_2400bps = static_cast<std::uint8_t>(u(0, 14));
  }
  i.freq_offset_0p02hz = static_cast<std::int16_t>(u(-512, 511));
  return i;
}

Info1a random_info1a(std::mt19937& rng) {
  auto u = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Info1a i;
  i.min_power_reduction_db = static_cast<std::uint8_t>(u(0, 7));
  i.additional_power_reduction_db = static_cast<std::uint8_t>(u(0, 7));
  i.md_length_35ms = static_cast<std::uint8_t>(u(0, 127));
  i.call_to_answer_high_carrier = u(0, 1) != 0;
  i.call_to_answer_pre_emphasis_index = static_cast<std::uint8_t>(u(0, 10));
  i.call_to_answer_max_rate_2400bps = static_cast<std::uint8_t>(u(0, 14));
  i.answer_to_call_symbol_rate_code = static_cast<std::uint8_t>(u(0, 5));
  i.call_to_answer_symbol_rate_code = static_cast<std::uint8_t>(u(0, 5));
  i.freq_offset_0p02hz = static_cast<std::int16_t>(u(-512, 511));
  return i;
}

Bits random_bits(std::mt19937& rng, int n) {
  Bits b(static_cast<std::size_t>(n));
  for (auto& x : b) x = static_cast<std::uint8_t>(rng() & 1u);
  return b;
}

// Runs a receiver over `stream` in chunks of `chunk` bits, stamps = 13·index + 5.
std::vector<InfoFrame> receive(const Bits& stream, InfoKinds expected, std::size_t chunk) {
  InfoReceiver rx(expected);
  std::vector<std::int64_t> stamps(stream.size());
  for (std::size_t k = 0; k < stamps.size(); ++k) stamps[k] = 13 * static_cast<std::int64_t>(k) + 5;
  std::vector<InfoFrame> frames;
  for (std::size_t at = 0; at < stream.size(); at += chunk) {
    const std::size_t n = std::min(chunk, stream.size() - at);
    rx.push(std::span<const std::uint8_t>(stream).subspan(at, n), std::span<const std::int64_t>(stamps).subspan(at, n));
    InfoFrame f;
    while (rx.pop(f)) frames.push_back(f);
  }
  rx.flush();
  InfoFrame f;
  while (rx.pop(f)) frames.push_back(f);
  CHECK(rx.dropped() == 0);
  return frames;
}

bool same_frames(const std::vector<InfoFrame>& a, const std::vector<InfoFrame>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if (a[k].kind != b[k].kind || a[k].crc_ok != b[k].crc_ok || a[k].start_bit != b[k].start_bit ||
        a[k].end_bit != b[k].end_bit || a[k].start_stamp != b[k].start_stamp || a[k].size != b[k].size ||
        !std::equal(a[k].view().begin(), a[k].view().end(), b[k].view().begin())) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("INFO CRC of the spec's INFO0 vector is 0x9BF1 and fields + CRC give 0") {
  const Bits v = bits_of(kSpecInfo0);
  REQUIRE(v.size() == 49);
  CHECK(info_crc(std::span<const std::uint8_t>(v).subspan(12, 17)) == 0x9BF1);
  CHECK(info_crc(std::span<const std::uint8_t>(v).subspan(12, 33)) == 0);
  CHECK(info_crc({}) == 0xFFFF);  // preset, no final inversion
  Bits acked(v.begin() + 12, v.begin() + 29);
  acked[16] = 1;  // bit 28
  CHECK(info_crc(acked) == 0x1FF9);
}

TEST_CASE("the spec's INFO0 vector decodes and re-encodes bit-exact") {
  const Bits v = bits_of(kSpecInfo0);
  const InfoDecoded<Info0> d = decode_info0(v);
  REQUIRE(d.status == InfoStatus::ok);
  REQUIRE(d.info.has_value());
  CHECK(d.crc == 0x9BF1);
  CHECK(*d.info == spec_info0());
  CHECK(d.info->max_symbol_rate_difference == 0);
  CHECK_FALSE(d.info->cme);
  CHECK_FALSE(d.info->acknowledge);
  CHECK(encode_info0(*d.info) == v);
  const InfoBits fixed = encode_info0_fixed(*d.info);
  CHECK(Bits(fixed.view().begin(), fixed.view().end()) == v);

  Info0 acked = spec_info0();
  acked.acknowledge = true;
  const Bits a = encode_info0(acked);
  CHECK(crc_as_sent(a, InfoKind::info0) == 0x1FF9);
  CHECK(a[28] == 1);
  CHECK(decode_info0(a).info == acked);
  CHECK(describe(acked, true) ==
        "INFO0a: symbol rates 2400, 2743, 2800, 3000 (low/high), 3200 (low/high), 3429; "
        "1664-point constellation; can reduce power; ack");
}

TEST_CASE("INFO0 fields land on the spec's bit positions") {
  Info0 i;
  i = Info0{false, false, false, false, false, false, false, false, false, 0, false, false, 0, false};
  const Bits zero = encode_info0(i);
  for (int b = 12; b <= 28; ++b) CHECK(zero[static_cast<std::size_t>(b)] == 0);
  i.max_symbol_rate_difference = 5;  // bits 21-23, LSB first: 1 0 1
  i.tx_clock_source = 2;             // bits 26-27: 0 1
  i.cme = true;                      // bit 24
  const Bits f = encode_info0(i);
  CHECK(f[21] == 1);
  CHECK(f[22] == 0);
  CHECK(f[23] == 1);
  CHECK(f[24] == 1);
  CHECK(f[25] == 0);
  CHECK(f[26] == 0);
  CHECK(f[27] == 1);
  CHECK(decode_info0(f).info == i);
  CHECK(describe(i, false) ==
        "INFO0c: symbol rates 2400; max symbol rate difference 5; CME; transmit clock source 2");
}

TEST_CASE("INFO1c and INFO1a round-trip random field values") {
  std::mt19937 rng(3429);
  for (int n = 0; n < 500; ++n) {
    const Info1c c = random_info1c(rng);
    const Bits bc = encode_info1c(c);
    REQUIRE(bc.size() == 109);
    const InfoDecoded<Info1c> dc = decode_info1c(bc);
    REQUIRE(dc.ok());
    CHECK(*dc.info == c);
    const InfoBits fc = encode_info1c_fixed(c);
    CHECK(Bits(fc.view().begin(), fc.view().end()) == bc);

    const Info1a a = random_info1a(rng);
    const Bits ba = encode_info1a(a);
    REQUIRE(ba.size() == 70);
    const InfoDecoded<Info1a> da = decode_info1a(ba);
    REQUIRE(da.ok());
    CHECK(*da.info == a);
  }
}

TEST_CASE("INFO1c and INFO1a fields land on the spec's bit positions") {
  Info1c c;
  c.md_length_35ms = 1;                 // bit 18
  c.rates[5].high_carrier = true;       // 3429 block at 70
  c.rates[5].max_rate_2400bps = 14;     // bits 75-78: 0 1 1 1
  c.freq_offset_0p02hz = -1;            // bits 79-88 all 1
  const Bits bc = encode_info1c(c);
  CHECK(bc[18] == 1);
  CHECK(bc[70] == 1);
  CHECK(Bits(bc.begin() + 75, bc.begin() + 79) == Bits{0, 1, 1, 1});
  CHECK(Bits(bc.begin() + 79, bc.begin() + 89) == Bits(10, 1));
  CHECK(Bits(bc.begin() + 105, bc.end()) == Bits(4, 1));

  Info1a a;
  a.answer_to_call_symbol_rate_code = 3;  // bits 34-36: 1 1 0
  a.call_to_answer_symbol_rate_code = 5;  // bits 37-39: 1 0 1
  a.freq_offset_0p02hz = kInfoFreqOffsetNotMeasured;  // bits 40-49: 0 ... 0 1
  const Bits ba = encode_info1a(a);
  CHECK(Bits(ba.begin() + 34, ba.begin() + 40) == Bits{1, 1, 0, 1, 0, 1});
  CHECK(Bits(ba.begin() + 40, ba.begin() + 50) == Bits{0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  CHECK(decode_info1a(ba).info == a);
}

TEST_CASE("every single-bit flip in fields or CRC is a CRC error, never a struct") {
  std::mt19937 rng(28800);
  const Bits frames[] = {bits_of(kSpecInfo0), encode_info1c(random_info1c(rng)), encode_info1a(random_info1a(rng))};
  const InfoKind kinds[] = {InfoKind::info0, InfoKind::info1c, InfoKind::info1a};
  int flips = 0;
  for (int f = 0; f < 3; ++f) {
    const auto end = static_cast<std::size_t>(kInfoHeadBits + info_field_bits(kinds[f]) + kInfoCrcBits);
    for (std::size_t k = kInfoHeadBits; k < end; ++k) {
      Bits b = frames[f];
      b[k] ^= 1u;
      InfoStatus s = InfoStatus::ok;
      bool has_info = true;
      if (kinds[f] == InfoKind::info0) {
        const auto d = decode_info0(b);
        s = d.status;
        has_info = d.info.has_value();
      } else if (kinds[f] == InfoKind::info1c) {
        const auto d = decode_info1c(b);
        s = d.status;
        has_info = d.info.has_value();
      } else {
        const auto d = decode_info1a(b);
        s = d.status;
        has_info = d.info.has_value();
      }
      CHECK(s == InfoStatus::crc_error);
      CHECK_FALSE(has_info);
      ++flips;
    }
  }
  CHECK(flips == 33 + 93 + 54);
}

TEST_CASE("decode reports length, sync and out-of-range values") {
  Bits v = bits_of(kSpecInfo0);
  CHECK(decode_info0(std::span<const std::uint8_t>(v).first(48)).status == InfoStatus::wrong_length);
  CHECK(decode_info1a(v).status == InfoStatus::wrong_length);
  Bits bad_sync = v;
  bad_sync[5] = 0;
  CHECK(decode_info0(bad_sync).status == InfoStatus::bad_sync);
  Bits bad_end_fill = v;
  bad_end_fill[48] = 0;
  CHECK(decode_info0(bad_end_fill).ok());  // the closing fill carries nothing

  // A good CRC over a symbol-rate code of 7: invalid_value, no struct.
  Bits a = encode_info1a(Info1a{});
  a[34] = a[35] = a[36] = 1;
  Bits fields(a.begin() + 12, a.begin() + 50);
  const std::uint16_t crc = info_crc(fields);
  for (int k = 0; k < 16; ++k) a[static_cast<std::size_t>(50 + k)] = static_cast<std::uint8_t>((crc >> k) & 1u);
  const auto d = decode_info1a(a);
  CHECK(d.status == InfoStatus::invalid_value);
  CHECK_FALSE(d.info.has_value());
}

TEST_CASE("bad field values throw naming the field; the fixed encoder gives no bits") {
  Info1a a;
  a.call_to_answer_symbol_rate_code = 7;
  CHECK_THROWS_WITH_AS(encode_info1a(a), "INFO1a: call_to_answer_symbol_rate_code=7", std::invalid_argument);
  CHECK(encode_info1a_fixed(a).size == 0);
  CHECK(invalid_field(a) == "call_to_answer_symbol_rate_code=7");

  Info1c c;
  c.md_length_35ms = 128;
  CHECK_THROWS_WITH_AS(encode_info1c(c), "INFO1c: md_length_35ms=128", std::invalid_argument);
  c.md_length_35ms = 127;
  CHECK_NOTHROW(encode_info1c(c));
  c.rates[3].pre_emphasis_index = 11;
  CHECK_THROWS_WITH_AS(encode_info1c(c), "INFO1c: rates[3](3000 baud).pre_emphasis_index=11", std::invalid_argument);
  c.rates[3].pre_emphasis_index = 10;
  c.freq_offset_0p02hz = 512;
  CHECK_THROWS_WITH_AS(encode_info1c(c), "INFO1c: freq_offset_0p02hz=512", std::invalid_argument);
  c.freq_offset_0p02hz = 0;
  c.min_power_reduction_db = 8;
  CHECK_THROWS_WITH_AS(encode_info1c(c), "INFO1c: min_power_reduction_db=8", std::invalid_argument);

  Info0 i;
  i.max_symbol_rate_difference = 8;
  CHECK_THROWS_WITH_AS(encode_info0(i), "INFO0: max_symbol_rate_difference=8", std::invalid_argument);
  i.max_symbol_rate_difference = 0;
  i.tx_clock_source = 4;
  CHECK(encode_info0_fixed(i).size == 0);
}

TEST_CASE("INFO1a and INFO1c in words") {
  Info1a a;
  a.answer_to_call_symbol_rate_code = a.call_to_answer_symbol_rate_code = 4;
  a.call_to_answer_max_rate_2400bps = 11;
  a.call_to_answer_high_carrier = true;
  a.call_to_answer_pre_emphasis_index = 2;
  a.freq_offset_0p02hz = 17;
  CHECK(describe(a) == "INFO1a: symbol rate 3200 both ways, call->answer 26400 bit/s, high carrier, "
                       "pre-emphasis 2, offset +0.34 Hz");
  a.answer_to_call_symbol_rate_code = 3;
  a.min_power_reduction_db = 2;
  a.md_length_35ms = 10;
  a.freq_offset_0p02hz = kInfoFreqOffsetNotMeasured;
  CHECK(describe(a) == "INFO1a: symbol rate answer->call 3000, call->answer 3200, call->answer 26400 bit/s, "
                       "high carrier, pre-emphasis 2, power reduction 2 dB (+0 dB allowed), MD 350 ms, "
                       "offset not measured");

  Info1c c;
  c.rates[0] = {false, 0, 9};
  c.rates[4] = {true, 3, 13};
  c.freq_offset_0p02hz = -5;
  CHECK(describe(c) == "INFO1c: 2400: 21600 bit/s, low carrier, pre-emphasis 0; 2743: unusable; "
                       "2800: unusable; 3000: unusable; 3200: 31200 bit/s, high carrier, pre-emphasis 3; "
                       "3429: unusable; offset -0.10 Hz");
}

TEST_CASE("frequency offset codes: 0.02 Hz steps, -512 = not measured") {
  CHECK_FALSE(info_freq_offset_hz(kInfoFreqOffsetNotMeasured).has_value());
  CHECK(*info_freq_offset_hz(17) == doctest::Approx(0.34));
  CHECK(*info_freq_offset_hz(-511) == doctest::Approx(-10.22));
  CHECK(info_freq_offset_code(0.34) == 17);
  CHECK(info_freq_offset_code(-0.101) == -5);
  CHECK(info_freq_offset_code(100.0) == 511);
  CHECK(info_freq_offset_code(-100.0) == -511);
  CHECK(info_freq_offset_code(std::nan("")) == kInfoFreqOffsetNotMeasured);
}

TEST_CASE("symbol rates, carriers and maximum data rates follow the spec table") {
  const int baud[] = {2400, 2743, 2800, 3000, 3200, 3429};
  const int low_hz[] = {1600, 1646, 1680, 1800, 1829, 1959};
  const int high_hz[] = {1800, 1829, 1867, 2000, 1920, 1959};
  const int max_bps[] = {21600, 26400, 26400, 28800, 31200, 33600};
  for (int k = 0; k < kSymbolRateCount; ++k) {
    CAPTURE(k);
    CHECK(symbol_rate_baud(k) == baud[k]);
    CHECK(std::lround(symbol_rate_exact_baud(k)) == baud[k]);
    CHECK(std::lround(carrier_freq_hz(k, false)) == low_hz[k]);
    CHECK(std::lround(carrier_freq_hz(k, true)) == high_hz[k]);
    CHECK(max_data_rate_bps(k) == max_bps[k]);
    CHECK(symbol_rate_code(baud[k]) == k);
  }
  CHECK(symbol_rate_exact_baud(1) == doctest::Approx(2400.0 * 8 / 7));
  CHECK_FALSE(symbol_rate_code(2900).has_value());
  CHECK_THROWS_AS(symbol_rate_baud(6), std::invalid_argument);
  CHECK_THROWS_AS(carrier_freq_hz(-1, true), std::invalid_argument);
}

// ---------------------------------------------------------------------------
// Streaming receiver

TEST_CASE("receiver finds frames among random bits in any push granularity") {
  std::mt19937 rng(2743);
  const Bits info0 = bits_of(kSpecInfo0);
  const Bits info1a = encode_info1a(random_info1a(rng));
  const Bits info1c = encode_info1c(random_info1c(rng));
  struct Case {
    InfoKinds expected;
    InfoKind kind;
    const Bits* frame;
  };
  const Case cases[] = {{InfoKind::info0, InfoKind::info0, &info0},
                        {InfoKind::info1a, InfoKind::info1a, &info1a},
                        {InfoKind::info1c, InfoKind::info1c, &info1c},
                        {InfoKinds(InfoKind::info0) | InfoKind::info1a, InfoKind::info1a, &info1a},
                        {InfoKinds(InfoKind::info0) | InfoKind::info1a | InfoKind::info1c, InfoKind::info0, &info0}};
  for (const Case& c : cases) {
    for (int trial = 0; trial < 20; ++trial) {
      const int before = 1 + static_cast<int>(rng() % 300);
      Bits stream = random_bits(rng, before);
      stream.insert(stream.end(), c.frame->begin(), c.frame->end());
      const Bits after = random_bits(rng, 1 + static_cast<int>(rng() % 300));
      stream.insert(stream.end(), after.begin(), after.end());

      const std::vector<InfoFrame> one = receive(stream, c.expected, 1);
      int good = 0;
      for (const InfoFrame& f : one) {
        if (!f.crc_ok) continue;  // false syncs in the random bits: reported as damaged
        ++good;
        CHECK(f.kind == c.kind);
        CHECK(f.start_bit == before);
        CHECK(f.end_bit == before + static_cast<std::int64_t>(c.frame->size()) - 1);
        CHECK(f.start_stamp == 13 * before + 5);
        CHECK(f.end_stamp == 13 * f.end_bit + 5);
        CHECK(f.end_fill_ok);
        CHECK(Bits(f.view().begin(), f.view().end()) == *c.frame);
      }
      CHECK(good == 1);
      for (std::size_t chunk : {2u, 7u, 37u, 160u, 1024u}) CHECK(same_frames(receive(stream, c.expected, chunk), one));
    }
  }
}

TEST_CASE("receiver decodes what it finds and reports damaged frames as damaged") {
  std::mt19937 rng(3200);
  const Info1a sent = random_info1a(rng);
  const Bits good = encode_info1a(sent);
  Bits damaged = good;
  damaged[55] ^= 1u;  // a CRC bit

  // Damaged, good, good again back to back, then the damaged one once more.
  Bits stream = Bits(10, 1);
  for (const Bits* f : std::initializer_list<const Bits*>{&damaged, &good, &good, &damaged}) {
    stream.insert(stream.end(), f->begin(), f->end());
  }
  stream.insert(stream.end(), 10, 1);
  const std::vector<InfoFrame> frames = receive(stream, InfoKind::info1a, 1);
  REQUIRE(frames.size() == 4);
  const bool expect_ok[] = {false, true, true, false};
  for (std::size_t k = 0; k < 4; ++k) {
    CAPTURE(k);
    CHECK(frames[k].kind == InfoKind::info1a);
    CHECK(frames[k].crc_ok == expect_ok[k]);
    CHECK(frames[k].start_bit == 10 + 70 * static_cast<std::int64_t>(k));
    const InfoDecoded<Info1a> d = decode_info1a(frames[k]);
    CHECK(d.ok() == expect_ok[k]);
    if (expect_ok[k]) {
      CHECK(d.info == sent);
    } else {
      CHECK(d.status == InfoStatus::crc_error);
      CHECK_FALSE(d.info.has_value());
    }
  }
  CHECK(decode_info0(frames[1]).status == InfoStatus::wrong_length);  // kind mismatch
}

TEST_CASE("receiver: a frame cut short is reported, and the frame after it is still found") {
  const Bits info0 = bits_of(kSpecInfo0);
  Bits stream(info0.begin(), info0.begin() + 30);  // INFO0 interrupted after 30 bits
  stream.insert(stream.end(), info0.begin(), info0.end());
  Bits cut = stream;
  cut.insert(cut.end(), info0.begin(), info0.begin() + 20);  // and one cut by the end of input

  const std::vector<InfoFrame> frames = receive(cut, InfoKind::info0, 1);
  // The first candidate (start 0) reaches 49 bits inside the second frame: CRC fails.
  REQUIRE(frames.size() == 3);
  CHECK_FALSE(frames[0].crc_ok);
  CHECK(frames[0].start_bit == 0);
  CHECK(frames[1].crc_ok);
  CHECK(frames[1].start_bit == 30);
  CHECK_FALSE(frames[2].crc_ok);
  CHECK(frames[2].truncated);
  CHECK(frames[2].start_bit == 79);
  CHECK(frames[2].size == 20);
}

TEST_CASE("receiver: with INFO0 and INFO1a expected, a damaged frame is reported once as INFO1a") {
  Bits info0 = bits_of(kSpecInfo0);
  info0[20] ^= 1u;
  Bits stream = info0;
  stream.insert(stream.end(), 40, 1);
  const std::vector<InfoFrame> frames = receive(stream, InfoKinds(InfoKind::info0) | InfoKind::info1a, 1);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].kind == InfoKind::info1a);
  CHECK_FALSE(frames[0].crc_ok);
  CHECK(frames[0].size == 70);
}

TEST_CASE("receiver hunts nothing when nothing is expected, and reset keeps the expectation") {
  const Bits info0 = bits_of(kSpecInfo0);
  CHECK(receive(info0, InfoKinds{}, 1).empty());
  InfoReceiver rx(InfoKind::info0);
  for (std::uint8_t b : info0) rx.push(b != 0);
  CHECK(rx.pending() == 1);
  rx.reset();
  CHECK(rx.pending() == 0);
  CHECK(rx.bit_index() == 0);
  for (std::uint8_t b : info0) rx.push(b != 0);
  InfoFrame f;
  REQUIRE(rx.pop(f));
  CHECK(f.crc_ok);
  CHECK(f.start_stamp == 0);
  CHECK(f.end_stamp == 48);
}

TEST_CASE("receiver: every single-bit flip in an INFO1c's fields or CRC comes out crc_ok false") {
  std::mt19937 rng(1829);
  const Bits frame = encode_info1c(random_info1c(rng));
  int damaged = 0;
  for (std::size_t k = kInfoHeadBits; k < 105; ++k) {
    Bits stream(6 + frame.size(), 1);
    std::copy(frame.begin(), frame.end(), stream.begin() + 6);
    stream[6 + k] ^= 1u;
    const std::vector<InfoFrame> frames = receive(stream, InfoKind::info1c, 1);
    CAPTURE(k);
    // A flip may itself form a fill + sync inside the frame (a second, truncated candidate).
    REQUIRE(!frames.empty());
    CHECK(frames[0].start_bit == 6);
    for (const InfoFrame& f : frames) CHECK_FALSE(f.crc_ok);
    damaged += frames[0].crc_ok ? 0 : 1;
  }
  CHECK(damaged == 93);
}
