// Phase2Listener: INFO frames on both DPSK channels (incl. V.90 INFO0d),
// L1/L2 probes and training, on a synthetic phase 2 and on real recordings.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "audio/line_sim.h"
#include "dsp/dpsk_modem.h"
#include "dsp/line_probe.h"
#include "negotiation/info_codec.h"
#include "negotiation/phase2_listener.h"
#include "tests/recordings.h"
#include "tests/signal_synth.h"

using namespace squeal;

namespace {

constexpr double kMs = 8.0;  // samples per millisecond

struct Heard {
  std::vector<HeardInfo> frames;
  std::vector<HeardProbe> probes;
  std::vector<HeardTraining> trainings;
};

Heard listen(std::span<const float> x, std::size_t chunk) {
  auto listener = std::make_unique<Phase2Listener>();
  test::feed_in_chunks(x, chunk, [&](std::span<const float> part) { listener->process(part); });
  listener->finish();
  Heard h;
  h.frames.assign(listener->frames().begin(), listener->frames().end());
  h.probes.assign(listener->probes().begin(), listener->probes().end());
  h.trainings.assign(listener->trainings().begin(), listener->trainings().end());
  return h;
}

double seconds(SampleIndex n) { return static_cast<double>(n) / 8000.0; }

const HeardInfo* find(const Heard& h, HeardInfoKind kind, int carrier_hz) {
  for (const auto& f : h.frames) {
    if (f.kind == kind && f.carrier_hz == carrier_hz) return &f;
  }
  return nullptr;
}

// Answer modem: 200 ms silence, INFO0a, tone A to 300 ms after it, then L1 (160 ms)
// + L2 (400 ms), then silence; through a line with 35 dB SNR and -6 dB gain.
struct Synthetic {
  std::vector<float> rx;
  SampleIndex info_start = 0;   // first fill bit's centre, as sent
  SampleIndex probe_start = 0;  // first probe sample, as sent
  SampleIndex probe_end = 0;
  double delay = 0;             // line delay (samples)
};

Synthetic make_synthetic() {
  Synthetic s;
  const SampleIndex n = 16000;
  std::vector<float> tx(static_cast<std::size_t>(n), 0.0f);
  const SampleIndex dpsk_start = 1600;
  DpskModulator mod({.carrier_hz = 2400, .level_dbm0 = -13.0});
  Info0 info;
  info.supports_2743_baud = info.constellation_1664 = true;
  const auto bits = encode_info0(info);
  // 50 ms of tone A first: the demodulator needs a phase reference for the first fill bit.
  constexpr SampleIndex kLead = 400;
  mod.generate(std::span<float>(tx).subspan(static_cast<std::size_t>(dpsk_start), kLead));
  s.info_start = dpsk_start + mod.next_boundary() + 7;  // centre of the first fill bit (T/2 = 6.7 samples)
  mod.push_bits(bits);
  const SampleIndex dpsk_len = static_cast<SampleIndex>(std::llround(bits.size() * kMs * 1000 / 600)) + 2400;
  mod.generate(std::span<float>(tx).subspan(static_cast<std::size_t>(dpsk_start + kLead), static_cast<std::size_t>(dpsk_len - kLead)));
  s.probe_start = dpsk_start + dpsk_len;
  LineProbeGenerator probe({.level_dbm0 = -13.0, .l1_samples = 1280, .l2_samples = 3200});
  probe.generate(std::span<float>(tx).subspan(static_cast<std::size_t>(s.probe_start), 4480));
  s.probe_end = s.probe_start + 4480;
  LinePath line({.gain_db = -6.0, .snr_db = 35.0, .seed = 7});
  s.delay = line.delay_samples();
  s.rx.resize(tx.size());
  line.process(tx, s.rx);
  return s;
}

}  // namespace

TEST_CASE("synthetic INFO0a and probe through a line are found at the right time, whatever the chunking") {
  const Synthetic s = make_synthetic();
  const Heard h = listen(s.rx, 1024);
  const HeardInfo* info = find(h, HeardInfoKind::info0, 2400);
  REQUIRE(info != nullptr);
  CHECK(info->crc_ok);
  CHECK(info->size == kInfo0Bits);
  CHECK(std::abs(static_cast<double>(info->start) - (s.info_start + s.delay)) <= 20 * kMs);
  const auto decoded = decode_info0(info->view());
  REQUIRE(decoded.info);
  CHECK(decoded.info->supports_2743_baud);
  CHECK(decoded.info->constellation_1664);
  REQUIRE(h.probes.size() == 1);
  const HeardProbe& p = h.probes[0];
  CHECK(std::abs(static_cast<double>(p.start) - (s.probe_start + s.delay)) <= 20 * kMs);
  CHECK(std::abs(static_cast<double>(p.end) - (s.probe_end + s.delay)) <= 20 * kMs);
  CHECK(std::abs(static_cast<double>(p.l1_end) - (s.probe_start + 1280 + s.delay)) <= 20 * kMs);
  CHECK(p.prober_carrier_hz == 2400);  // tone A ran right up to the probe
  REQUIRE(p.measured);
  // L2 at -13 dBm0 through -6 dB: -19 dBm0 in all, -45.2 dBm0 per tone.
  CHECK(p.report.total_level_dbm0 == doctest::Approx(-19.0).epsilon(0.05));
  CHECK(p.report.tones[10].level_dbm0 == doctest::Approx(-19.0 - 10 * std::log10(21.0)).epsilon(0.05));
  CHECK(h.trainings.empty());  // nothing broadband follows

  for (const std::size_t chunk : {1, 37, 160}) {
    const Heard c = listen(s.rx, chunk);
    REQUIRE(c.frames.size() == h.frames.size());
    REQUIRE(c.probes.size() == h.probes.size());
    CHECK(c.frames[0].start == h.frames[0].start);
    CHECK(c.probes[0].start == h.probes[0].start);
    CHECK(c.probes[0].end == h.probes[0].end);
  }
}

TEST_CASE("INFO0d: the 62-bit V.90 frame decodes (recording A's, bit for bit)") {
  const std::string text = "11110111001011111111100001010001011101100011110110011110101111";
  std::vector<std::uint8_t> bits;
  for (const char c : text) bits.push_back(c == '1' ? 1 : 0);
  const auto d = decode_info0d(bits);
  REQUIRE(d);
  CHECK(d->v34.supports_3429_baud);
  CHECK(d->v34.constellation_1664);
  CHECK(d->v92_capable);
  CHECK_FALSE(d->short_phase2_request);
  CHECK(-6 - d->nominal_power_code == -10);
  CHECK(-0.5 * (d->max_power_code + 1) == -12.0);
  CHECK(d->power_at_codec);
  CHECK_FALSE(d->a_law);
  CHECK_FALSE(decode_info0d(std::span(bits).first(49)));
}

// Recording A (README: CJ ≈13.3; INFO0a 13.34 CRC valid; the other side's INFO0
// ≈13.4; probing 13.60–14.00 and 14.08–14.52; training 15–21.7; data ≈24.1).
// Where we differ, from the 160-sample DFT frames of the audio:
// - probe 1 starts at 13.63, not 13.60: the window 13.600–13.620 still holds 71 %
//   of its power at 2400 Hz (tone A) and 4 % in the probe bins; 13.620–13.640 has
//   50 % in the probe bins. It ends at 13.97 (tone B from 13.96).
// - probe 2 runs 14.09–14.50, the last 70 ms under the analogue modem's tone A.
// - training starts at 14.89: INFO1a ends at 14.82, 40 ms of silence, then a
//   broadband signal at -19 dBm0 (the README's 15 is rounded).
// - the 1200 Hz INFO0 is V.90's 62-bit INFO0d (CRC ok) at 13.368.
TEST_CASE("recording A: INFO0a, INFO0d, INFO1d, INFO1a (V.90), two probes, training") {
  const auto x = test::read_recording_8k("A_termini_wikimedia_dial_up_modem_noises.wav");
  const Heard h = listen(x, 4096);
  const HeardInfo* a = find(h, HeardInfoKind::info0, 2400);
  REQUIRE(a != nullptr);
  CHECK(a->crc_ok);
  CHECK(seconds(a->start) == doctest::Approx(13.34).epsilon(0.02 / 13.34));
  const HeardInfo* d = find(h, HeardInfoKind::info0d, 1200);
  REQUIRE(d != nullptr);
  CHECK(d->crc_ok);
  CHECK(seconds(d->start) == doctest::Approx(13.368).epsilon(0.02 / 13.4));
  const HeardInfo* i1d = find(h, HeardInfoKind::info1c, 1200);
  REQUIRE(i1d != nullptr);
  CHECK(i1d->crc_ok);
  const HeardInfo* i1a = find(h, HeardInfoKind::info1a, 2400);
  REQUIRE(i1a != nullptr);
  CHECK(i1a->crc_ok);
  // V.90 Table 10: bits 37-39 = 6 (PCM downstream), bits 34-36 = 4 (3200 baud upstream).
  CHECK(i1a->bits[37] + 2 * i1a->bits[38] + 4 * i1a->bits[39] == 6);
  CHECK(i1a->bits[34] + 2 * i1a->bits[35] + 4 * i1a->bits[36] == 4);

  REQUIRE(h.probes.size() == 2);
  CHECK(seconds(h.probes[0].start) == doctest::Approx(13.63).epsilon(0.02 / 13.6));
  CHECK(seconds(h.probes[0].end) == doctest::Approx(13.97).epsilon(0.02 / 14));
  CHECK(h.probes[0].prober_carrier_hz == 2400);
  CHECK(seconds(h.probes[1].start) == doctest::Approx(14.08).epsilon(0.02 / 14));
  CHECK(seconds(h.probes[1].end) == doctest::Approx(14.50).epsilon(0.03 / 14.5));
  CHECK(h.probes[1].prober_carrier_hz == 1200);
  for (const auto& p : h.probes) {
    CHECK(p.measured);
    CHECK(p.report.band_low_hz == 150);
    CHECK(p.report.band_high_hz == 3750);
  }
  REQUIRE(h.trainings.size() == 1);
  CHECK(seconds(h.trainings[0].start) == doctest::Approx(14.89).epsilon(0.02 / 14.9));
}

// B (mp3, README: INFO0, probing, training) and G (mp3, three rounds of probing).
TEST_CASE("recording B: INFO0d, two probes, INFO1, training") {
  const auto x = test::read_recording_8k("B_freesound16475_jlew_dialup_full.mp3");
  const Heard h = listen(x, 4096);
  const HeardInfo* d = find(h, HeardInfoKind::info0d, 1200);
  REQUIRE(d != nullptr);
  CHECK(d->crc_ok);
  CHECK(seconds(d->start) == doctest::Approx(12.43).epsilon(0.05 / 12.4));
  REQUIRE(h.probes.size() == 2);
  CHECK(seconds(h.probes[0].start) == doctest::Approx(12.67).epsilon(0.05 / 12.7));
  CHECK(seconds(h.probes[1].start) == doctest::Approx(13.19).epsilon(0.05 / 13.2));
  REQUIRE(h.trainings.size() == 1);
  CHECK(seconds(h.trainings[0].start) == doctest::Approx(14.10).epsilon(0.05 / 14.1));
}

// G: the README's three rounds are at 10.5, 16.3 and 21.5 s; the third has both
// sides' probes (21.49 answerer, 22.22 caller), so four probes in all.
TEST_CASE("recording G: three rounds of probing") {
  const auto x = test::read_recording_8k("G_freesound8057_schluppipuppie_modem_gesamt.mp3");
  const Heard h = listen(x, 4096);
  REQUIRE(h.probes.size() == 4);
  CHECK(seconds(h.probes[0].start) == doctest::Approx(10.53).epsilon(0.05 / 10.5));
  CHECK(seconds(h.probes[1].start) == doctest::Approx(16.26).epsilon(0.05 / 16.3));
  CHECK(seconds(h.probes[2].start) == doctest::Approx(21.49).epsilon(0.05 / 21.5));
  CHECK(seconds(h.probes[3].start) == doctest::Approx(22.22).epsilon(0.05 / 22.2));
  const HeardInfo* a = find(h, HeardInfoKind::info0, 2400);
  REQUIRE(a != nullptr);
  CHECK(a->crc_ok);
}

TEST_CASE("recordings without V.34 phase 2 (V.22bis, fax) give nothing") {
  for (const char* name : {"J_goughlui_v22b_2400bps.mp3", "I_fax_ced_v21.wav"}) {
    const Heard h = listen(test::read_recording_8k(name), 4096);
    CHECK(h.frames.empty());
    CHECK(h.probes.empty());
    CHECK(h.trainings.empty());
  }
}
