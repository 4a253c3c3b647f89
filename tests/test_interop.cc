// Interop with a real, independent V.8 modem: spandsp 0.0.6 (test-only).
// squeal caller <-> spandsp answerer and spandsp caller <-> squeal answerer,
// in memory through LineSim, for several menus and lines: both sides must
// complete V.8 and report the same mode, the best one both offered.
#include <doctest/doctest.h>

#include <spandsp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "audio/line_sim.h"
#include "bench/bench_signals.h"
#include "bench/spandsp_v8_peer.h"
#include "negotiation/call.h"
#include "negotiation/v8_session.h"
#include "tests/recordings.h"

using namespace squeal;
using squeal::bench::SpandspV8Peer;

namespace {

struct MenuPair {
  const char* caller;
  const char* answerer;
  V8Modulation expected;  // best mode in both (worked out by hand)
};

// Modes both spandsp and squeal send; spandsp's answerer narrows JM to the
// intersection (bench/spandsp_v8_peer.cc).
constexpr MenuPair kPairs[] = {
    {"v90,v34,v32bis,v22bis,v21,lapm", "v34,v32bis,v22bis,v21,lapm", V8Modulation::v34},
    {"v34,v32bis,v22bis,v21", "v32bis,v22bis", V8Modulation::v32bis},
    {"v32bis,v22bis,v23,v21", "v34,v22bis,v21", V8Modulation::v22bis},
    {"v22bis,v23,v21,lapm", "v23,v21", V8Modulation::v23},
    {"v34,v21", "v90,v21", V8Modulation::v21},
};

struct Line {
  const char* name;
  LineConfig config;
};

Line line(const char* name, double snr_db, double delay_ms, double offset_hz, double skew_ppm, LineCodec codec,
          LineShape shape, double echo_db) {
  LinePathConfig p;
  p.snr_db = snr_db;
  p.delay_ms = delay_ms;
  p.offset_hz = offset_hz;
  p.skew_ppm = skew_ppm;
  p.codec = codec;
  p.shape = shape;
  return {name, symmetric_line(p, echo_db, 30)};
}

V8Session make_session(V8Role role, const char* menu) {
  V8SessionConfig c;
  c.role = role;
  c.menu = parse_menu(menu);
  return V8Session(c);
}

}  // namespace

TEST_CASE("spandsp 0.0.6 is available to the interop suite") {
  REQUIRE(SpandspV8Peer::available());
}

TEST_CASE("squeal caller <-> spandsp answerer, and spandsp caller <-> squeal answerer") {
  const Line lines[] = {
      line("clean wire", INFINITY, 0, 0, 0, LineCodec::none, LineShape::none, -INFINITY),
      line("mu-law, 30 dB, 20 ms", 30, 20, 0, 0, LineCodec::ulaw, LineShape::flat, -INFINITY),
      line("A-law, 18 dB, 60 ms, +7 Hz, -100 ppm, mid shape, echo -20 dB", 18, 60, 7, -100, LineCodec::alaw,
           LineShape::mid, -20),
  };
  CallOptions options;
  options.max_seconds = 20;  // spandsp's caller waits for ANSam without a time-out
  for (const Line& l : lines) {
    for (const MenuPair& m : kPairs) {
      const std::string where = std::string(l.name) + " | caller " + m.caller + " | answerer " + m.answerer;
      CAPTURE(where);
      {
        V8Session caller = make_session(V8Role::caller, m.caller);
        SpandspV8Peer answerer(false, parse_menu(m.answerer));
        LineSim sim(l.config);
        run_call(caller, answerer, sim, options);
        CHECK(caller.result().outcome == V8Outcome::connected);
        CHECK(caller.result().mode == m.expected);
        CAPTURE(answerer.result().status_text);
        CHECK(answerer.result().connected);
        CHECK(answerer.result().mode == m.expected);
        // spandsp's JM named exactly the common modes: what squeal heard.
        CHECK(caller.result().far_menu.modulations ==
              (parse_menu(m.caller).modulations & parse_menu(m.answerer).modulations));
      }
      {
        SpandspV8Peer caller(true, parse_menu(m.caller));
        V8Session answerer = make_session(V8Role::answerer, m.answerer);
        LineSim sim(l.config);
        run_call(caller, answerer, sim, options);
        CHECK(caller.result().connected);
        CHECK(caller.result().mode == m.expected);
        CHECK(answerer.result().outcome == V8Outcome::connected);
        CHECK(answerer.result().mode == m.expected);
        CHECK(answerer.result().far_menu.modulations == parse_menu(m.caller).modulations);
      }
    }
  }
}

// Recording I (README: "CED 2100 Hz, then V.21 channel-2 HDLC frames (T.30
// preamble flags)"): squeal finds CED and no HDLC flag in the burst after it
// (tests/test_hdlc.cc, tests/test_recordings.cc). spandsp's own V.21
// channel-2 receiver and HDLC deframer, an independent reader, agree: the
// burst demodulates as runs of three to five ones and four or five zeros,
// with no two flags in a row, so no framing and no frame.
namespace {

struct SpandspFaxRead {
  std::string bits;
  int frames = 0;          // frames handed over, good or bad
  bool framing_ok = false; // SIG_STATUS_FRAMING_OK: a run of flags was seen
};

}  // namespace

TEST_CASE("recording I: spandsp's V.21 channel-2 receiver finds no HDLC flag either") {
  const auto x = squeal::test::read_recording_8k("I_fax_ced_v21.wav");
  const auto pcm = squeal::bench::to_int16(x);
  SpandspFaxRead read;
  hdlc_rx_state_t* hdlc = hdlc_rx_init(
      nullptr, 0, 1, 5,
      [](void* user, const std::uint8_t* /*msg*/, int len, int /*ok*/) {
        auto* r = static_cast<SpandspFaxRead*>(user);
        if (len == SIG_STATUS_FRAMING_OK) r->framing_ok = true;
        if (len >= 0) ++r->frames;
      },
      &read);
  REQUIRE(hdlc != nullptr);
  struct Tap {
    hdlc_rx_state_t* hdlc;
    SpandspFaxRead* read;
  } tap{hdlc, &read};
  fsk_rx_state_t* rx = fsk_rx_init(
      nullptr, &preset_fsk_specs[FSK_V21CH2], FSK_FRAME_MODE_SYNC,
      [](void* user, int bit) {
        auto* t = static_cast<Tap*>(user);
        if (bit >= 0) t->read->bits += bit != 0 ? '1' : '0';
        hdlc_rx_put_bit(t->hdlc, bit);
      },
      &tap);
  REQUIRE(rx != nullptr);
  for (std::size_t i = 0; i < pcm.size(); i += 160) {
    const std::size_t n = std::min<std::size_t>(160, pcm.size() - i);
    fsk_rx(rx, const_cast<std::int16_t*>(pcm.data() + i), static_cast<int>(n));
  }
  fsk_rx_free(rx);
  hdlc_rx_free(hdlc);
  // The burst (1.2-2.9 s) is read: about 500 bits at 300 bit/s.
  CHECK(read.bits.size() > 450);
  CHECK(read.bits.find("1111000011110000") != std::string::npos);
  // One 0111 1110 turns up by chance in the noise read during CED; a
  // preamble would be dozens back to back, and there are not even two.
  CHECK(read.bits.find("0111111001111110") == std::string::npos);
  CHECK_FALSE(read.framing_ok);
  CHECK(read.frames == 0);
}
