// HDLC deframing (dsp/hdlc.h), V.8bis signals and messages
// (negotiation/v8bis.h), T.30 frames (negotiation/t30.h), and the recordings.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "dsp/hdlc.h"
#include "dsp/levels.h"
#include "dsp/v21_modem.h"
#include "negotiation/t30.h"
#include "negotiation/v8bis.h"
#include "tests/recordings.h"

using namespace squeal;

namespace {

// Bits of a frame as a transmitter sends it: `flags` opening flags, the
// octets and their FCS LSB first with a 0 stuffed after five 1s, one closing flag.
std::vector<std::uint8_t> hdlc_bits(const std::vector<std::uint8_t>& octets, int flags = 3, bool corrupt_fcs = false) {
  std::vector<std::uint8_t> bits;
  const auto flag = [&bits] {
    for (int i = 0; i < 8; ++i) bits.push_back(i == 0 || i == 7 ? 0 : 1);
  };
  for (int i = 0; i < flags; ++i) flag();
  std::vector<std::uint8_t> body = octets;
  auto fcs = hdlc_fcs(octets);
  if (corrupt_fcs) fcs[0] ^= 0x01;
  body.insert(body.end(), fcs.begin(), fcs.end());
  int ones = 0;
  for (const std::uint8_t o : body) {
    for (int b = 0; b < 8; ++b) {
      const std::uint8_t bit = (o >> b) & 1U;
      bits.push_back(bit);
      ones = bit != 0 ? ones + 1 : 0;
      if (ones == 5) {
        bits.push_back(0);
        ones = 0;
      }
    }
  }
  flag();
  return bits;
}

std::vector<HdlcFrame> deframe(const std::vector<std::uint8_t>& bits, HdlcReceiver& rx) {
  std::vector<HdlcFrame> out;
  for (std::size_t i = 0; i < bits.size(); ++i) {
    rx.push(bits[i] != 0, static_cast<SampleIndex>(i));
    HdlcFrame f;
    while (rx.pop(f)) out.push_back(f);
  }
  return out;
}

std::vector<std::uint8_t> to_vector(std::span<const std::uint8_t> s) { return {s.begin(), s.end()}; }

}  // namespace

TEST_CASE("crc16_itu gives the CRC-16/X-25 check value and the 0xF0B8 residue") {
  const std::string text = "123456789";
  const std::span<const std::uint8_t> s(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  const auto fcs = hdlc_fcs(s);
  CHECK(fcs[0] == 0x6E);  // check value 0x906E, sent low octet first
  CHECK(fcs[1] == 0x90);
  std::vector<std::uint8_t> all(s.begin(), s.end());
  all.insert(all.end(), fcs.begin(), fcs.end());
  CHECK(crc16_itu(all) == kHdlcGoodResidue);
}

TEST_CASE("HdlcReceiver round-trips random frames with flags, stuffing and FCS") {
  std::mt19937 rng(7);
  for (int t = 0; t < 200; ++t) {
    std::vector<std::uint8_t> octets(1 + rng() % 40);
    for (auto& o : octets) {
      const unsigned c = rng() % 4;
      o = c == 0 ? 0x7E : c == 1 ? 0xFF : static_cast<std::uint8_t>(rng());
    }
    HdlcReceiver rx;
    const auto bits = hdlc_bits(octets, 1 + static_cast<int>(rng() % 4));
    const auto frames = deframe(bits, rx);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].fcs_ok);
    CHECK(to_vector(frames[0].view()) == octets);
  }
}

TEST_CASE("HdlcReceiver: zero-bit stuffing is removed, and the stamps and flag count are right") {
  const std::vector<std::uint8_t> octets = {0xFF, 0xFF, 0x3F};
  const auto bits = hdlc_bits(octets, 4);
  // 5 octets (3 + FCS) = 40 bits, plus the stuffed 0s, plus 5 flags.
  CHECK(bits.size() > 40 + 40);
  HdlcReceiver rx;
  const auto frames = deframe(bits, rx);
  REQUIRE(frames.size() == 1);
  CHECK(to_vector(frames[0].view()) == octets);
  CHECK(frames[0].preamble_flags == 4);
  CHECK(frames[0].preamble_start == 0);
  CHECK(frames[0].start == 24);  // fourth flag's first bit
  CHECK(frames[0].end == static_cast<SampleIndex>(bits.size()) - 1);
}

TEST_CASE("HdlcReceiver reports a bad FCS, drops an aborted frame and hunts again") {
  HdlcReceiver rx;
  auto frames = deframe(hdlc_bits({0x12, 0x34, 0x56}, 2, true), rx);
  REQUIRE(frames.size() == 1);
  CHECK_FALSE(frames[0].fcs_ok);
  CHECK(rx.frames_bad_fcs() == 1);

  HdlcReceiver rx2;
  std::vector<std::uint8_t> bits = hdlc_bits({0x11, 0x22, 0x33, 0x44}, 2);
  bits.resize(16 + 20);                       // two flags and part of the frame
  bits.insert(bits.end(), 8, 1);              // abort: eight 1s
  const auto good = hdlc_bits({0x14}, 2);     // then a whole frame
  bits.insert(bits.end(), good.begin(), good.end());
  frames = deframe(bits, rx2);
  CHECK(rx2.aborts() == 1);
  REQUIRE(frames.size() == 1);
  CHECK(to_vector(frames[0].view()) == std::vector<std::uint8_t>{0x14});
  CHECK(frames[0].fcs_ok);
}

TEST_CASE("HdlcReceiver: frames sharing a flag, and a misaligned frame is only counted") {
  auto a = hdlc_bits({0x14, 0x01, 0x02}, 2);
  const auto b = hdlc_bits({0x18, 0x03, 0x04}, 1);
  a.insert(a.end(), b.begin() + 8, b.end());  // b's opening flag is a's closing flag
  HdlcReceiver rx;
  const auto frames = deframe(a, rx);
  REQUIRE(frames.size() == 2);
  CHECK(to_vector(frames[1].view()) == std::vector<std::uint8_t>{0x18, 0x03, 0x04});

  std::vector<std::uint8_t> bits = {0, 1, 1, 1, 1, 1, 1, 0};
  for (int i = 0; i < 29; ++i) bits.push_back(static_cast<std::uint8_t>(i % 3 == 0));  // 29 bits: not octets
  bits.insert(bits.end(), {0, 1, 1, 1, 1, 1, 1, 0});
  HdlcReceiver rx2;
  CHECK(deframe(bits, rx2).empty());
  CHECK(rx2.invalid_frames() == 1);
}

namespace {

// A V.21 burst: 100 ms of mark, then the frame's bits, then mark; demodulated
// in chunks of `chunk` samples. Returns the frames.
std::vector<HdlcFrame> v21_hdlc_roundtrip(const std::vector<std::uint8_t>& octets, int channel, std::size_t chunk) {
  V21Modulator mod({.channel = channel, .level_dbm0 = -15});
  std::vector<std::uint8_t> bits(30, 1);
  const auto frame_bits = hdlc_bits(octets, 4);
  bits.insert(bits.end(), frame_bits.begin(), frame_bits.end());
  bits.insert(bits.end(), 30, 1);
  mod.push_bits(bits);
  std::vector<float> audio(800 + static_cast<std::size_t>(bits.size() * 80 / 3) + 800, 0.0f);
  mod.generate(std::span<float>(audio).subspan(800, audio.size() - 1600));
  V21Demodulator demod({.channel = channel});
  HdlcReceiver rx;
  std::vector<HdlcFrame> out;
  for (std::size_t i = 0; i < audio.size(); i += chunk) {
    demod.process(std::span<const float>(audio).subspan(i, std::min(chunk, audio.size() - i)));
    V21Bit bit;
    while (demod.pop(bit)) {
      if (bit.after_gap) rx.flush();
      rx.push(bit.bit != 0, bit.stamp);
    }
    HdlcFrame f;
    while (rx.pop(f)) out.push_back(f);
  }
  return out;
}

}  // namespace

TEST_CASE("V.21 + HDLC: a frame comes through the modem whole, identically for any chunk size") {
  const std::vector<std::uint8_t> octets = {0xFF, 0x13, 0x80, 0x00, 0x4E, 0x7E, 0xFF};
  const auto reference = v21_hdlc_roundtrip(octets, 2, 1024);
  REQUIRE(reference.size() == 1);
  CHECK(reference[0].fcs_ok);
  CHECK(to_vector(reference[0].view()) == octets);
  for (const std::size_t chunk : {1UL, 37UL, 160UL}) {
    const auto frames = v21_hdlc_roundtrip(octets, 2, chunk);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].start == reference[0].start);
    CHECK(frames[0].end == reference[0].end);
    CHECK(to_vector(frames[0].view()) == octets);
  }
}

TEST_CASE("V.8bis messages decode from the Recommendation's field layout") {
  // CL offering data: transparent, V.42, V.42bis; V.34, V.32bis, V.32, V.22bis, V.22, V.21.
  const std::vector<std::uint8_t> cl = {0x12, 0x81, 0x80, 0x80, 0x81, 0x07, 0x30, 0xcf};
  const V8bisMessage m = decode_v8bis(cl);
  CHECK(m.type == 2);
  CHECK(m.revision == 1);
  CHECK(m.parsed);
  CHECK(m.id_npar1 == 0x01);
  CHECK(m.s_spar1 == 0x01);
  CHECK(m.data == std::array<std::uint8_t, 3>{0x07, 0x30, 0x0f});
  const std::string text = describe(m);
  CHECK(text.find("CL rev 1") == 0);
  CHECK(text.find("V.34, V.32bis, V.32, V.22bis, V.22, V.21") != std::string::npos);
  CHECK(text.find("V.42bis") != std::string::npos);

  // CLR with a network type block, V.18 and telephony.
  const V8bisMessage clr = decode_v8bis(std::vector<std::uint8_t>{0x13, 0x80, 0x81, 0xc1, 0x80, 0xa8, 0xc1, 0xc1});
  CHECK(clr.parsed);
  CHECK(clr.network == 0x01);
  CHECK(clr.s_spar1 == 0x28);
  CHECK(describe(clr).find("cellular") != std::string::npos);

  CHECK(v8bis_message_name(4) == "ACK(1)");
  CHECK(v8bis_message_name(8) == "NAK(1)");
  CHECK(looks_like_v8bis(std::vector<std::uint8_t>{0x14}));
  CHECK_FALSE(looks_like_v8bis(std::vector<std::uint8_t>{0xFF, 0x03, 0x80}));
  CHECK_FALSE(decode_v8bis(std::vector<std::uint8_t>{0x12, 0x81, 0x80, 0x80, 0x81, 0x07}).parsed);  // cut short
}

TEST_CASE("T.30 frames: names, final bit, station ID and DIS/DCS bits in words") {
  CHECK(t30_fcf_name(0x80) == "DIS");
  CHECK(t30_fcf_name(0x82) == "DCS");
  CHECK(t30_fcf_name(0x83) == "DCS");  // X bit set
  CHECK(t30_fcf_name(0x84) == "CFR");
  CHECK(t30_fcf_name(0xFB) == "DCN");
  CHECK(t30_fcf_name(0x2E) == "EOP");
  CHECK(t30_fcf_name(0x07).empty());

  // DIS, final: receive, V.27 ter and V.29 (bits 11, 12), fine (bit 15).
  const std::vector<std::uint8_t> dis = {0xFF, 0x13, 0x80, 0x00, 0x4E};
  CHECK(looks_like_t30(dis));
  const std::string d = t30_describe(dis);
  CHECK(d.find("DIS") == 0);
  CHECK(d.find("final frame") != std::string::npos);
  CHECK(d.find("V.27 ter and V.29") != std::string::npos);
  CHECK(d.find("fine") != std::string::npos);
  // DCS at 14400 bit/s V.17 (bit 14 only).
  CHECK(t30_dis_words(std::vector<std::uint8_t>{0x00, 0x20}, true).find("14400 bit/s V.17") == 0);

  // CSI "+1 555 0100" sent last character first, padded to 20.
  std::string id = "+1 555 0100";
  id.resize(20, ' ');
  std::vector<std::uint8_t> csi = {0xFF, 0x03, 0x40};
  for (auto it = id.rbegin(); it != id.rend(); ++it) csi.push_back(static_cast<std::uint8_t>(*it));
  CHECK(t30_station_id(std::span<const std::uint8_t>(csi).subspan(3)) == "+1 555 0100");
  CHECK(t30_describe(csi).find("\"+1 555 0100\"") != std::string::npos);
}

namespace {

// Segment 1 pair at level_dbm0 per tone for 400 ms, then segment 2 for 100 ms, at `at`.
std::vector<float> v8bis_signal_audio(bool responding, double seg2_hz, double level_dbm0, std::size_t at) {
  std::vector<float> x(at + 4000 + 4000, 0.0f);
  const auto set = v8bis_tone_set(responding);
  const double a = dbm0_to_amplitude(level_dbm0);
  for (std::size_t i = 0; i < 3200; ++i) {
    const double t = static_cast<double>(i) / kSampleRate;
    x[at + i] = static_cast<float>(a * (std::sin(2 * kPi * set.low_hz * t) + std::sin(2 * kPi * set.high_hz * t)));
  }
  for (std::size_t i = 0; i < 800; ++i) {
    x[at + 3200 + i] = static_cast<float>(a * std::sin(2 * kPi * seg2_hz * static_cast<double>(i) / kSampleRate));
  }
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.0f, static_cast<float>(dbm0_to_amplitude(-65.0)));
  for (float& v : x) v += noise(rng);
  return x;
}

std::vector<V8bisSignalHeard> detect_signals(const std::vector<float>& x, std::size_t chunk) {
  V8bisSignalDetector det;
  std::vector<V8bisSignalHeard> out;
  for (std::size_t i = 0; i < x.size(); i += chunk) {
    det.process(std::span<const float>(x).subspan(i, std::min(chunk, x.size() - i)));
    V8bisSignalHeard h;
    while (det.pop(h)) out.push_back(h);
  }
  return out;
}

}  // namespace

TEST_CASE("V8bisSignalDetector finds CRe, CRd and ESr with their edges, for any chunk size") {
  struct Case {
    bool responding;
    V8bisSignal signal;
    double level_dbm0;
  };
  for (const Case c : {Case{false, V8bisSignal::cre, -45}, Case{true, V8bisSignal::crd, -20},
                       Case{false, V8bisSignal::mre, -40}, Case{true, V8bisSignal::esr, -25}}) {
    CAPTURE(v8bis_signal_name(c.signal));
    const std::size_t at = 3001;
    const auto x = v8bis_signal_audio(c.responding, v8bis_segment2_hz(c.signal), c.level_dbm0, at);
    const auto found = detect_signals(x, 1024);
    REQUIRE(found.size() == 1);
    CHECK(found[0].signal == c.signal);
    CHECK(found[0].responding_set == c.responding);
    CHECK(std::abs(found[0].start - static_cast<SampleIndex>(at)) <= 40);
    CHECK(std::abs(found[0].segment2_start - static_cast<SampleIndex>(at + 3200)) <= 40);
    CHECK(std::abs(found[0].end - static_cast<SampleIndex>(at + 4000)) <= 40);
    for (const std::size_t chunk : {1UL, 37UL, 160UL}) {
      const auto again = detect_signals(x, chunk);
      REQUIRE(again.size() == 1);
      CHECK(again[0].start == found[0].start);
      CHECK(again[0].end == found[0].end);
    }
  }
  // A pair alone, or a pair followed by a tone of the wrong set (ESr after the initiating pair), is nothing.
  CHECK(detect_signals(v8bis_signal_audio(false, 3000, -20, 2000), 160).empty());
  CHECK(detect_signals(v8bis_signal_audio(false, 1650, -20, 2000), 160).empty());
}

namespace {

struct Heard {
  std::vector<std::pair<int, HdlcFrame>> frames;      // channel, frame
  std::vector<SampleIndex> burst_start;               // carrier-on of each frame's burst (first frame)
  std::vector<V8bisSignalHeard> signals;
};

// The stage's pipeline (cli/stage_hdlc.cc) on a whole recording.
Heard listen(const std::vector<float>& x) {
  Heard h;
  V8bisSignalDetector det;
  det.process(x);
  V8bisSignalHeard s;
  while (det.pop(s)) h.signals.push_back(s);
  for (int ch = 1; ch <= 2; ++ch) {
    V21Demodulator demod({.channel = ch});
    HdlcReceiver rx;
    SampleIndex carrier_on = 0;
    for (std::size_t i = 0; i < x.size(); i += 2048) {
      demod.process(std::span<const float>(x).subspan(i, std::min<std::size_t>(2048, x.size() - i)));
      V21Bit bit;
      while (demod.pop(bit)) {
        if (bit.after_gap) {
          rx.flush();
          carrier_on = bit.stamp - 13;
        }
        rx.push(bit.bit != 0, bit.stamp);
        HdlcFrame f;
        while (rx.pop(f)) {
          h.frames.emplace_back(ch, f);
          h.burst_start.push_back(carrier_on);
        }
      }
    }
  }
  return h;
}

std::string hex(std::span<const std::uint8_t> s) {
  std::string out;
  for (const std::uint8_t o : s) {
    char buf[4];
    std::snprintf(buf, sizeof buf, out.empty() ? "%02x" : " %02x", o);
    out += buf;
  }
  return out;
}

}  // namespace

// README: "V.8bis CRe 6.29, CRd 6.70, CL 7.25 (HDLC, FCS valid), MS 8.10, ACK 8.85".
// Measured: CRe 6.282 (dual tone 1375+2002 Hz at -45 dBm0 per tone, 13-17 dB under
// the rest as V.8bis §7.1.4 has it, then 400 Hz from 6.567), CRd 6.699 (1529+2225 Hz,
// then 1900 Hz from 7.089). Message times are V.21 carrier-on of each burst (~100 ms
// of mark, then 2-4 flags): CL 7.244 on channel 1, MS 8.109 on channel 2, ACK 8.844
// on channel 1. CL and MS carry only a non-standard block (T.35 country b5 = USA,
// provider 00 94): a K56flex-era V.8bis exchange, no standard modulation bits.
TEST_CASE("recording A: V.8bis CRe, CRd, CL, MS, ACK at the README times, FCS valid") {
  const auto x = test::read_recording_8k("A_termini_wikimedia_dial_up_modem_noises.wav");
  const Heard h = listen(x);
  REQUIRE(h.signals.size() == 2);
  CHECK(h.signals[0].signal == V8bisSignal::cre);
  CHECK_FALSE(h.signals[0].responding_set);
  CHECK(std::abs(samples_to_seconds(h.signals[0].start) - 6.29) <= 0.02);
  CHECK(h.signals[1].signal == V8bisSignal::crd);
  CHECK(h.signals[1].responding_set);
  CHECK(std::abs(samples_to_seconds(h.signals[1].start) - 6.70) <= 0.02);

  std::vector<std::size_t> good;
  for (std::size_t i = 0; i < h.frames.size(); ++i) {
    if (h.frames[i].second.fcs_ok) good.push_back(i);
  }
  REQUIRE(good.size() == 3);
  struct Want {
    int channel;
    double start_s;
    const char* octets;
    std::uint8_t type;
  };
  const std::array<Want, 3> want = {{
      {1, 7.25, "12 c9 80 80 80 09 b5 02 00 94 81 83 43 47 c4", 2},
      {1, 8.85, "14", 4},
      {2, 8.10, "11 c9 80 80 80 09 b5 02 00 94 81 83 02 47 85", 1},
  }};
  for (std::size_t k = 0; k < want.size(); ++k) {
    const auto& [channel, frame] = h.frames[good[k]];
    CAPTURE(k);
    CHECK(channel == want[k].channel);
    CHECK(std::abs(samples_to_seconds(h.burst_start[good[k]]) - want[k].start_s) <= 0.02);
    CHECK(hex(frame.view()) == want[k].octets);
    const V8bisMessage m = decode_v8bis(frame.view());
    CHECK(m.type == want[k].type);
    CHECK(m.parsed);
  }
  const V8bisMessage cl = decode_v8bis(h.frames[good[0]].second.view());
  CHECK(cl.ns_count == 1);
  CHECK(cl.ns_country[0] == 0xb5);
  CHECK(cl.ns_provider[0] == 0x0094);
}

// README: "fax answer: CED 2100 Hz, then V.21 channel-2 HDLC frames (T.30 preamble flags)".
// What we see: CED 0.06-1.12 s; from 1.18 s to the end a loud (clipped, 8-bit) signal in
// the channel-2 band whose instantaneous frequency swings 1600 <-> 1850 Hz once every
// 26.7 ms (8 bits at 300 bit/s). Folded over that period it spends half the time near
// the mark and half near the space, and the demodulator reads 1111 0000 repeated: the
// period of HDLC flags, but not their 6:2 shape (0111 1110). No flag, and so no frame,
// decodes; we report none rather than invent T.30 frames. (Its 11 127 Hz rate is the
// old Macintosh rate; the file may be a sound effect rather than a real fax line.)
TEST_CASE("recording I: the V.21 channel-2 burst after CED yields no HDLC frame") {
  const auto x = test::read_recording_8k("I_fax_ced_v21.wav");
  const Heard h = listen(x);
  CHECK(h.frames.empty());
  CHECK(h.signals.empty());
  // The burst is there: channel 2 produces bits through 1.2-2.9 s, with the 8-bit period.
  V21Demodulator demod({.channel = 2});
  demod.process(std::span<const float>(x).subspan(0, std::min<std::size_t>(x.size(), 8000 * 2)));
  std::string bits;
  V21Bit b;
  while (demod.pop(b)) {
    if (b.stamp > 9600 && b.stamp < 13600) bits += b.bit != 0 ? '1' : '0';
  }
  CHECK(bits.size() > 140);
  CHECK(bits.find("11110000111100001111") != std::string::npos);
  CHECK(bits.find("01111110") == std::string::npos);
}
