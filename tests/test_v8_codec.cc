// V.8 message codec: framing, the streaming bit receiver, menus, words, joint
// menu. Vectors from /work/shared/spec/v8.md and the recordings' README.
#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "negotiation/v8_bits.h"
#include "negotiation/v8_codec.h"

using namespace squeal;

namespace {

using Bits = std::vector<std::uint8_t>;
using Octets = std::vector<std::uint8_t>;

// "1111111111 0000001111" -> bits (spaces only for reading).
Bits bits_of(std::string_view s) {
  Bits b;
  for (char c : s) {
    if (c == '0' || c == '1') b.push_back(static_cast<std::uint8_t>(c - '0'));
  }
  return b;
}

Bits ones(int n) { return Bits(static_cast<std::size_t>(n), 1); }

Bits cat(std::initializer_list<Bits> parts) {
  Bits out;
  for (const Bits& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Octets octets_of(const V8Frame& f) { return Octets(f.view().begin(), f.view().end()); }

V8Menu parsed(const Octets& o) {
  V8Menu m;
  REQUIRE(parse_menu_octets(o, m) == V8ParseStatus::ok);
  return m;
}

constexpr std::string_view kSpecCm =
    "1111111111 0000001111 0100000111 0101001101 0110010001 0001010011 0010101001";
constexpr std::string_view kSpecCi = "1111111111 0000000001 0100000111";
constexpr std::string_view kSpecCj = "0000000001 0000000001 0000000001";

const Octets kSpandspCm{0xC1, 0x65, 0x13, 0x94, 0x2A};
const Octets kSpandspJm{0xC1, 0x45, 0x13, 0x90, 0x2A};
const Octets kRecordingACm{0xc1, 0x65, 0x13, 0x94, 0x2a, 0x0d, 0x27};
const Octets kRecordingAJm{0xc1, 0x65, 0x13, 0x94, 0x47, 0x8d, 0x2a};
const Octets kRecordingDJm{0xc1, 0x45, 0x13, 0x10, 0x0a, 0x0d};

}  // namespace

TEST_CASE("octets are framed start 0, data LSB first, stop 1") {
  Bits b;
  append_framed_octet(0xC1, b);
  CHECK(b == bits_of("0100000111"));
  b.clear();
  append_framed_octet(0xE0, b);
  CHECK(b == bits_of("0000001111"));
  CHECK(frame_bits(V8FrameKind::cj, {}) == bits_of(kSpecCj));
  CHECK(frame_bits(V8FrameKind::v92, Octets{0x00}) == bits_of("1111111111 0101010101 0000000001"));
}

TEST_CASE("the spec's CM bit stream decodes to V-series data, V.90 V.34 V.32bis V.22bis V.23 V.21, LAPM") {
  const std::vector<V8Frame> frames = decode_bit_stream(bits_of(kSpecCm));
  REQUIRE(frames.size() == 1);
  const V8Frame& f = frames[0];
  CHECK(f.kind == V8FrameKind::cm_jm);
  CHECK(f.status == V8FrameStatus::ok);  // flushed between octets
  CHECK(f.sync == 0xE0);
  CHECK(octets_of(f) == kSpandspCm);
  CHECK(f.start_bit == 0);
  CHECK(f.end_bit == 69);

  const V8Message m = decode_frame(f, false);
  CHECK(m.type == V8MessageType::cm);
  REQUIRE(m.ok());
  const V8Menu& menu = m.menu;
  CHECK(menu.call_function == V8CallFunction::v_series_data);
  // 0x65 = tag 0x05 | 0x20 V.90 | 0x40 V.34; 0x13 = ext | V.32bis 0x01 | V.22bis 0x02;
  // 0x94 = ext | V.23 duplex 0x04 | V.21 0x80.
  const V8Modulations expected{V8Modulation::v90, V8Modulation::v34, V8Modulation::v32bis,
                               V8Modulation::v22bis, V8Modulation::v23, V8Modulation::v21};
  CHECK(menu.modulations == expected);
  CHECK_FALSE(menu.modulations.has(V8Modulation::v34_hd));
  CHECK_FALSE(menu.modulations.has(V8Modulation::v17));
  CHECK_FALSE(menu.modulations.has(V8Modulation::v23_hd));
  CHECK(menu.modulation_octets == 3);
  CHECK(menu.has_lapm());
  CHECK_FALSE(menu.has_pcm);
  CHECK_FALSE(menu.has_pstn_access);
  CHECK(describe(menu) == "V-series data; V.90/V.92, V.34 duplex, V.32bis, V.22bis, V.23 duplex, V.21; LAPM");
  CHECK(octets_hex(f.view()) == "c1 65 13 94 2a");
}

TEST_CASE("a CM built from a user string encodes to the spec's bit stream") {
  const V8Menu menu = parse_menu("v90,v34,v32bis,v22bis,v23,v21,lapm");
  CHECK(encode_message_octets(V8MessageType::cm, menu) == kSpandspCm);
  CHECK(encode_message_bits(V8MessageType::cm, menu) == bits_of(kSpecCm));
  CHECK(encode_message_bits(V8MessageType::ci, menu) == bits_of(kSpecCi));
  CHECK(encode_message_bits(V8MessageType::cj, menu) == bits_of(kSpecCj));
}

TEST_CASE("CI and CJ vectors decode") {
  std::vector<V8Frame> frames = decode_bit_stream(bits_of(kSpecCi));
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].kind == V8FrameKind::ci);
  CHECK(octets_of(frames[0]) == Octets{0xC1});
  const V8Message ci = decode_frame(frames[0], false);
  CHECK(ci.type == V8MessageType::ci);
  CHECK(ci.ok());
  CHECK(ci.menu.call_function == V8CallFunction::v_series_data);
  CHECK_FALSE(ci.menu.has_modulations);
  CHECK(describe(ci.menu) == "V-series data");

  frames = decode_bit_stream(bits_of(kSpecCj));
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].kind == V8FrameKind::cj);
  CHECK(frames[0].start_bit == 0);
  CHECK(frames[0].end_bit == 29);
  CHECK(decode_frame(frames[0], false).type == V8MessageType::cj);

  // After idle mark, CJ's first zero octet looks like a CI preamble + sync:
  // it must still come out as CJ alone, not as a CI.
  frames = decode_bit_stream(cat({ones(25), bits_of(kSpecCj), ones(12)}));
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].kind == V8FrameKind::cj);
  CHECK(frames[0].start_bit == 25);
  CHECK(frames[0].end_bit == 54);
}

TEST_CASE("CM cut short by CJ without preamble: CM reported interrupted, then CJ") {
  // V.8 §7.4 / spandsp: the caller finishes the current CM octet and sends CJ.
  const Bits stream = cat({ones(10), frame_bits(V8FrameKind::cm_jm, Octets{0xC1, 0x65, 0x13}), bits_of(kSpecCj)});
  const std::vector<V8Frame> frames = decode_bit_stream(stream);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].kind == V8FrameKind::cm_jm);
  CHECK(frames[0].status == V8FrameStatus::interrupted);
  CHECK(octets_of(frames[0]) == Octets{0xC1, 0x65, 0x13});
  CHECK(frames[0].end_bit == 10 + 50 - 1);
  CHECK_FALSE(decode_frame(frames[0], false).ok());
  CHECK(frames[1].kind == V8FrameKind::cj);
  CHECK(frames[1].start_bit == 60);
  CHECK(frames[1].end_bit == 89);
}

TEST_CASE("spandsp's CM and JM, and the JM squeal would answer") {
  const V8Menu cm = parsed(kSpandspCm);
  const V8Menu jm = parsed(kSpandspJm);
  CHECK(jm.modulations == V8Modulations{V8Modulation::v34, V8Modulation::v32bis, V8Modulation::v22bis,
                                        V8Modulation::v21});
  CHECK(describe(jm) == "V-series data; V.34 duplex, V.32bis, V.22bis, V.21; LAPM");
  CHECK(encode_menu_octets(cm) == kSpandspCm);
  CHECK(encode_menu_octets(jm) == kSpandspJm);

  const V8Menu answerer = parse_menu("v34,v32bis,v22bis,v21,lapm");
  const V8Menu joint = joint_menu(cm, answerer);
  CHECK(encode_message_octets(V8MessageType::jm, joint) == kSpandspJm);
  REQUIRE(preferred_modulation(joint).has_value());
  CHECK(*preferred_modulation(joint) == V8Modulation::v34);
  CHECK(*preferred_modulation(cm) == V8Modulation::v90);
}

TEST_CASE("recording A: CM with PSTN access and PCM analogue, JM from a digital V.90 modem") {
  const V8Menu cm = parsed(kRecordingACm);
  CHECK(cm.has_pstn_access);  // 0x0d: category sent, no bit set
  CHECK(cm.pstn_access == V8PstnAccess{});
  CHECK(cm.has_pcm);
  CHECK(cm.pcm == V8PcmAvailability{true, false, false});  // 0x27 = 0x07 | 0x20
  CHECK(describe(cm) ==
        "V-series data; V.90/V.92, V.34 duplex, V.32bis, V.22bis, V.23 duplex, V.21; LAPM; PCM: V.90/V.92 analogue");
  CHECK(encode_menu_octets(cm) == kRecordingACm);

  const V8Menu jm = parsed(kRecordingAJm);
  CHECK(jm.pcm == V8PcmAvailability{false, true, false});                // 0x47
  CHECK(jm.pstn_access == V8PstnAccess{false, false, true});             // 0x8d
  CHECK(jm.has_lapm());
  CHECK(describe(jm) == "V-series data; V.90/V.92, V.34 duplex, V.32bis, V.22bis, V.23 duplex, V.21; LAPM; "
                        "PSTN access: DCE on digital network; PCM: V.90/V.92 digital");
  CHECK(encode_menu_octets(jm) == kRecordingAJm);  // PCM, PSTN, protocols order kept
  CHECK(octets_hex(encode_menu_octets(jm)) == "c1 65 13 94 47 8d 2a");

  // Our answerer with the same capabilities as A's: same meaning, canonical order.
  V8Menu caps = parse_menu("v90,v34,v32bis,v22bis,v23,v21,lapm,pcm-digital");
  caps.has_pstn_access = true;
  caps.pstn_access.dce_on_digital_network = true;
  const V8Menu joint = joint_menu(cm, caps);
  CHECK(octets_hex(encode_menu_octets(joint)) == "c1 65 13 94 2a 8d 47");
  CHECK(*preferred_modulation(joint) == V8Modulation::v90);
}

TEST_CASE("recording D: JM of a V.34-only modem, protocols category with no protocol") {
  const V8Menu jm = parsed(kRecordingDJm);
  CHECK(jm.modulations == V8Modulations{V8Modulation::v34, V8Modulation::v32bis, V8Modulation::v22bis});
  CHECK(jm.modulation_octets == 3);  // 0x10: an empty modn2 octet still sent
  CHECK(jm.has_protocols);
  CHECK(jm.protocol == kV8ProtocolNone);
  CHECK_FALSE(jm.has_lapm());
  CHECK(describe(jm) == "V-series data; V.34 duplex, V.32bis, V.22bis");
  CHECK(encode_menu_octets(jm) == kRecordingDJm);
  CHECK(*preferred_modulation(jm) == V8Modulation::v34);
}

TEST_CASE("editing a parsed menu re-encodes the change and keeps the rest") {
  V8Menu a = parsed(kRecordingACm);
  a.has_pcm = false;
  CHECK(octets_hex(encode_menu_octets(a)) == "c1 65 13 94 2a 0d");
  V8Menu d = parsed(kRecordingDJm);
  d.modulations.set(V8Modulation::v17);
  d.protocol = kV8ProtocolLapm;
  CHECK(octets_hex(encode_menu_octets(d)) == "c1 45 17 10 2a 0d");
  V8Menu one = parse_menu("v34");
  one.modulation_octets = 1;
  CHECK(octets_hex(encode_menu_octets(one)) == "c1 45");
  one.modulations.set(V8Modulation::v21);  // needs modn2: octet count grows
  CHECK(octets_hex(encode_menu_octets(one)) == "c1 45 10 90");
}

TEST_CASE("unknown, repeated, NSF and T.66 categories round trip") {
  // 1b 50: unknown tag 0x1b + extension; 0f 97: NSF + extension; a second 2a;
  // 0e: T.66; 65 13 94 10: modulation with a surplus extension octet.
  const Octets in{0xC1, 0x65, 0x13, 0x94, 0x10, 0x1B, 0x50, 0x2A, 0x0F, 0x97, 0x2A, 0x0E};
  const V8Menu m = parsed(in);
  CHECK(encode_menu_octets(m) == in);
  CHECK(m.has_nsf());
  CHECK(m.has_t66());
  CHECK(octets_hex(m.raw_category(0x1B)) == "1b 50");
  CHECK(octets_hex(m.raw_category(kV8TagNsf)) == "0f 97");
  CHECK(m.raw_category(0x1C).empty());
  CHECK(m.has_lapm());
  CHECK(describe(m) == "V-series data; V.90/V.92, V.34 duplex, V.32bis, V.22bis, V.23 duplex, V.21; LAPM; "
                       "unknown category: 1b 50; NSF: 0f 97; unknown category: 2a; T.66: 0e");
  // Through the bit stream and back as well.
  const std::vector<V8Frame> frames = decode_bit_stream(frame_bits(V8FrameKind::cm_jm, in));
  REQUIRE(frames.size() == 1);
  CHECK(octets_of(frames[0]) == in);
}

TEST_CASE("octet runs that are not a menu are reported") {
  V8Menu m;
  CHECK(parse_menu_octets(Octets{}, m) == V8ParseStatus::empty);
  CHECK(parse_menu_octets(Octets{0x13, 0xC1}, m) == V8ParseStatus::orphan_extension);
  CHECK(parse_menu_octets(Octets{0x65, 0xC1}, m) == V8ParseStatus::no_call_function);
  Octets many{0xC1};
  for (int i = 0; i < 20; ++i) many.push_back(0x1B);
  CHECK(parse_menu_octets(many, m) == V8ParseStatus::too_long);
  CHECK(parse_status_name(V8ParseStatus::no_call_function) == "no_call_function");
}

TEST_CASE("spandsp's opening: two V.92 frames then repeated CMs, with bit indices and stamps") {
  const Bits v92 = frame_bits(V8FrameKind::v92, Octets{0x00});
  const Bits cm = frame_bits(V8FrameKind::cm_jm, kSpandspCm);
  const Bits stream = cat({ones(37), v92, v92, ones(200), cm, cm, cm, ones(40)});
  V8BitReceiver rx;
  std::vector<V8Frame> frames;
  V8Frame f;
  for (std::size_t i = 0; i < stream.size(); ++i) {
    rx.push(stream[i] != 0, 1000 + 27 * static_cast<std::int64_t>(i));  // stamp = sample index
    while (rx.pop(f)) frames.push_back(f);
  }
  REQUIRE(frames.size() == 5);
  CHECK(frames[0].kind == V8FrameKind::v92);
  CHECK(octets_of(frames[0]) == Octets{0x00});
  CHECK(frames[0].start_bit == 37);
  CHECK(frames[1].kind == V8FrameKind::v92);
  CHECK(frames[1].start_bit == 67);
  for (int k = 0; k < 3; ++k) {
    const V8Frame& c = frames[2 + static_cast<std::size_t>(k)];
    CHECK(c.kind == V8FrameKind::cm_jm);
    CHECK(c.status == V8FrameStatus::ok);
    CHECK(octets_of(c) == kSpandspCm);
    CHECK(c.start_bit == 297 + 70 * k);
    CHECK(c.end_bit == 297 + 70 * k + 69);
    CHECK(c.start_stamp == 1000 + 27 * c.start_bit);
    CHECK(c.end_stamp == 1000 + 27 * c.end_bit);
  }
  CHECK(decode_frame(frames[1], false).type == V8MessageType::v92);
  CHECK(decode_frame(frames[3], true).type == V8MessageType::jm);
  CHECK(rx.dropped() == 0);
  rx.reset();
  CHECK(rx.bit_index() == 0);
  CHECK(rx.pending() == 0);
}

TEST_CASE("a bit flip in the preamble or sync hides the message") {
  const Bits good = cat({ones(15), bits_of(kSpecCm), ones(15)});
  for (std::size_t pos = 15; pos < 35; ++pos) {
    Bits bad = good;
    bad[pos] ^= 1u;
    INFO("flipped bit " << pos);
    // Ten ones then the framed sync are needed; the category octets that
    // follow are never mistaken for a frame.
    CHECK(decode_bit_stream(bad).empty());
  }
  CHECK(decode_bit_stream(good).size() == 1);
}

TEST_CASE("a zero stop bit is a framing error and keeps the octets before it") {
  for (int octet = 0; octet < 5; ++octet) {
    Bits bad = cat({bits_of(kSpecCm), ones(12)});
    const std::size_t stop = 20 + 10 * static_cast<std::size_t>(octet) + 9;
    REQUIRE(bad[stop] == 1);
    bad[stop] = 0;
    const std::vector<V8Frame> frames = decode_bit_stream(bad);
    REQUIRE(!frames.empty());
    CHECK(frames[0].status == V8FrameStatus::framing_error);
    CHECK(frames[0].end_bit == static_cast<std::int64_t>(stop));
    CHECK(octets_of(frames[0]) == Octets(kSpandspCm.begin(), kSpandspCm.begin() + octet));
    for (const V8Frame& f : frames) CHECK_FALSE(decode_frame(f, false).ok());
  }
}

TEST_CASE("a stream cut mid-octet is truncated; too many octets is too_long") {
  const Bits full = bits_of(kSpecCm);
  const std::vector<V8Frame> cut = decode_bit_stream(std::span(full).first(64));
  REQUIRE(cut.size() == 1);
  CHECK(cut[0].status == V8FrameStatus::truncated);
  CHECK(octets_of(cut[0]) == Octets{0xC1, 0x65, 0x13, 0x94});
  CHECK_FALSE(decode_frame(cut[0], false).ok());

  const Octets long_frame(kV8MaxFrameOctets + 6, 0x41);
  const std::vector<V8Frame> frames = decode_bit_stream(frame_bits(V8FrameKind::cm_jm, long_frame));
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].status == V8FrameStatus::too_long);
  CHECK(frames[0].size == kV8MaxFrameOctets);
  CHECK(frame_status_name(frames[0].status) == "too_long");
}

TEST_CASE("random bits never yield a frame whose preamble and sync are not in the input") {
  std::uint32_t state = 12345;  // LCG, fixed seed
  Bits noise(40000);
  for (auto& b : noise) {
    state = state * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>((state >> 16) & 1u);
  }
  const std::vector<V8Frame> frames = decode_bit_stream(noise);
  int cm_frames = 0;
  for (const V8Frame& f : frames) {
    CHECK(f.size <= kV8MaxFrameOctets);
    CHECK(f.end_bit >= f.start_bit);
    if (f.kind == V8FrameKind::cj) {
      CHECK(Bits(noise.begin() + f.start_bit, noise.begin() + f.start_bit + 30) == bits_of(kSpecCj));
      continue;
    }
    ++cm_frames;
    const Bits head = frame_bits(f.kind, {});
    CHECK(Bits(noise.begin() + f.start_bit, noise.begin() + f.start_bit + 20) == head);
  }
  // Preamble + sync is a 20-bit pattern: about 40000 / 2^20 * 3 expected.
  CHECK(cm_frames < 10);
}

TEST_CASE("joint menu: V.90 needs an analogue and a digital PCM modem") {
  const V8Menu caller = parse_menu("v90,v34,v32bis,v21,lapm,pcm-analogue");
  const V8Menu analogue_answerer = parse_menu("v90,v34,v21,pcm-analogue");
  const V8Menu joint = joint_menu(caller, analogue_answerer);
  CHECK(joint.modulations == V8Modulations{V8Modulation::v34, V8Modulation::v21});
  CHECK(*preferred_modulation(joint) == V8Modulation::v34);
  CHECK_FALSE(joint.has_protocols);  // the answerer sent no protocols category
  const V8Menu digital_answerer = parse_menu("v90,v34,v21,lapm,pcm-digital");
  const V8Menu j2 = joint_menu(caller, digital_answerer);
  CHECK(*preferred_modulation(j2) == V8Modulation::v90);
  CHECK(j2.has_lapm());
  CHECK(j2.pcm == V8PcmAvailability{false, true, false});
  const V8Menu none = joint_menu(parse_menu("v21"), parse_menu("v23"));
  CHECK_FALSE(preferred_modulation(none).has_value());
  CHECK(describe(none) == "V-series data; no modulations");
  CHECK(octets_hex(encode_menu_octets(none)) == "c1 05 10 10");
}

TEST_CASE("preferred modulation follows the best-first order") {
  CHECK(*preferred_modulation(parse_menu("v21,v23,v22bis")) == V8Modulation::v22bis);
  CHECK(*preferred_modulation(parse_menu("v21,v23")) == V8Modulation::v23);
  CHECK(*preferred_modulation(parse_menu("v17,v21")) == V8Modulation::v21);  // duplex before fax modes
  CHECK(*preferred_modulation(parse_menu("v17,v29,v27ter")) == V8Modulation::v17);
}

TEST_CASE("parse_menu: aliases, case, and errors naming the bad token") {
  const V8Menu m = parse_menu(" V92 , v32, v22 ,LAPM,v91");
  CHECK(m.modulations == V8Modulations{V8Modulation::v90, V8Modulation::v32bis, V8Modulation::v22bis});
  CHECK(m.has_lapm());
  CHECK(m.pcm == V8PcmAvailability{false, false, true});
  CHECK_THROWS_WITH_AS(parse_menu("v90,v99"), doctest::Contains("'v99'"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_menu("v90,,v21"), doctest::Contains("empty item"), std::invalid_argument);
  CHECK_THROWS_AS(parse_menu(""), std::invalid_argument);
  CHECK(modulation_token(V8Modulation::v34_hd) == "v34hd");
  CHECK(modulation_name(V8Modulation::v29_hd) == "V.29 half-duplex");
}

TEST_CASE("a full queue drops the newest frame and counts it") {
  V8BitReceiver rx;
  const Bits cj = cat({ones(3), bits_of(kSpecCj)});
  for (std::size_t k = 0; k < V8BitReceiver::kQueueCapacity + 2; ++k) {
    for (std::uint8_t b : cj) rx.push(b != 0);
  }
  CHECK(rx.pending() == V8BitReceiver::kQueueCapacity);
  CHECK(rx.dropped() == 2);
  V8Frame f;
  REQUIRE(rx.pop(f));
  CHECK(f.kind == V8FrameKind::cj);
  CHECK(f.start_bit == 3);
}

TEST_CASE("spandsp's mid-CM restart: the damaged CM is never ok and CJ is still found") {
  // On JM, spandsp's caller cuts the bit in flight, sends a short stretch of
  // mark, then the rest of that CM and CJ with no preamble.
  const Bits good = frame_bits(V8FrameKind::cm_jm, kSpandspCm);
  const Bits cj = bits_of(kSpecCj);
  int cases = 0;
  for (std::size_t cut = 21; cut < good.size(); ++cut) {  // inside the category octets
    for (int marks = 1; marks <= 4; ++marks) {
      const Bits stream = cat({ones(12), good, Bits(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)),
                               ones(marks), Bits(good.begin() + static_cast<std::ptrdiff_t>(cut), good.end()), cj});
      const std::vector<V8Frame> frames = decode_bit_stream(stream);
      INFO("cut " << cut << " marks " << marks);
      REQUIRE(frames.size() >= 2);
      CHECK(frames.front().status == V8FrameStatus::ok);  // the intact CM before
      CHECK(octets_of(frames.front()) == kSpandspCm);
      CHECK(frames.back().kind == V8FrameKind::cj);
      CHECK(frames.back().end_bit == static_cast<std::int64_t>(stream.size()) - 1);
      for (std::size_t k = 1; k + 1 < frames.size(); ++k) CHECK_FALSE(decode_frame(frames[k], false).ok());
      ++cases;
    }
  }
  CHECK(cases == 49 * 4);
}
