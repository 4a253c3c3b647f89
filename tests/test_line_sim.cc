// Virtual telephone line: delay, shape response, noise level and SNR,
// frequency offset, clock skew (with slips), G.711, echo, chunk invariance,
// seeds and configuration errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "audio/line_sim.h"
#include "dsp/levels.h"
#include "tests/signal_synth.h"

using namespace squeal;

namespace {

std::vector<float> sine(std::size_t n, double freq_hz, double level_dbm0, double phase = 0) {
  std::vector<float> x(n);
  const double a = dbm0_to_amplitude(level_dbm0);
  for (std::size_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(a * std::cos(2 * kPi * freq_hz * static_cast<double>(i) / kSampleRate + phase));
  return x;
}

std::vector<float> run(LinePath& path, const std::vector<float>& in) {
  std::vector<float> out(in.size());
  path.process(in, out);
  return out;
}

/// Complex amplitude of the component at freq_hz in x[begin, begin+n): 2/N·Σ x·e^{-jωt}.
std::complex<double> demod(const std::vector<float>& x, double freq_hz, std::size_t begin, std::size_t n) {
  std::complex<double> acc = 0;
  for (std::size_t i = begin; i < begin + n; ++i)
    acc += static_cast<double>(x[i]) * std::polar(1.0, -2 * kPi * freq_hz * static_cast<double>(i) / kSampleRate);
  return acc * (2.0 / static_cast<double>(n));
}

/// Frequency of the sine in x (near nominal_hz): slope of the unwrapped block phase.
double measure_freq_hz(const std::vector<float>& x, double nominal_hz, std::size_t begin) {
  constexpr std::size_t kBlock = 400;
  std::vector<double> t, ph;
  double prev = 0, unwrap = 0;
  for (std::size_t b = begin; b + kBlock <= x.size(); b += kBlock) {
    const double p = std::arg(demod(x, nominal_hz, b, kBlock));
    if (!ph.empty()) {
      double d = p - prev;
      while (d > kPi) d -= 2 * kPi;
      while (d < -kPi) d += 2 * kPi;
      unwrap += d;
    } else {
      unwrap = p;
    }
    prev = p;
    t.push_back(static_cast<double>(b) / kSampleRate);
    ph.push_back(unwrap);
  }
  const double n = static_cast<double>(t.size());
  double st = 0, sp = 0, stt = 0, stp = 0;
  for (std::size_t i = 0; i < t.size(); ++i) { st += t[i]; sp += ph[i]; stt += t[i] * t[i]; stp += t[i] * ph[i]; }
  const double slope = (n * stp - st * sp) / (n * stt - st * st);
  return nominal_hz + slope / (2 * kPi);
}

double gain_db_at(LinePathConfig c, double freq_hz) {
  LinePath path(c);
  const auto in = sine(8000 + 400, freq_hz, -10);
  const auto out = run(path, in);
  const double a_in = std::abs(demod(in, freq_hz, 400, 8000));
  const double a_out = std::abs(demod(out, freq_hz, 400, 8000));
  return 20 * std::log10(a_out / a_in);
}

LinePathConfig quiet(LineShape shape = LineShape::flat) {
  LinePathConfig c;
  c.shape = shape;
  return c;
}

std::string thrown_message(const LinePathConfig& c) {
  try {
    LinePath p(c);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(nothing thrown)";
}

}  // namespace

TEST_CASE("an impulse arrives exactly at delay_samples()") {
  struct Case { LineShape shape; double delay_ms; double offset_hz; double expect; };
  const Case cases[] = {
      {LineShape::none, 0, 0, 0},
      {LineShape::none, 12.5, 0, 100},
      {LineShape::flat, 12.5, 0, 100 + 80},
      {LineShape::long_loop, 100, 0, 800 + 80},
  };
  for (const Case& k : cases) {
    CAPTURE(line_shape_name(k.shape));
    CAPTURE(k.delay_ms);
    CAPTURE(k.offset_hz);
    LinePathConfig c = quiet(k.shape);
    c.delay_ms = k.delay_ms;
    c.offset_hz = k.offset_hz;
    LinePath path(c);
    CHECK(path.delay_samples() == k.expect);
    std::vector<float> in(2000, 0.0f);
    in[300] = 0.5f;
    const auto out = run(path, in);
    const auto peak = std::max_element(out.begin(), out.end(), [](float a, float b) { return std::abs(a) < std::abs(b); });
    CHECK(static_cast<double>(peak - out.begin()) == 300 + k.expect);
  }
}

TEST_CASE("with a frequency offset, a sine comes out shifted and delayed by delay_samples()") {
  // y[n] = A·cos((ω + Δ)·(n - B) - ω·(D - B)): the analytic signal delayed by the
  // filters (D - B), mixed from sample 0, then delayed by the bulk delay B.
  // Two frequencies, so a delay error of up to 80 samples cannot hide behind a period.
  struct Case { LineShape shape; double delay_ms; double offset_hz; double expect; };
  const Case cases[] = {{LineShape::none, 5, 4, 40 + 48}, {LineShape::flat, 0, -6, 80 + 48}};
  for (const Case& k : cases) {
    for (const double f : {1000.0, 1300.0}) {
      CAPTURE(line_shape_name(k.shape));
      CAPTURE(f);
      LinePathConfig c = quiet(k.shape);
      c.delay_ms = k.delay_ms;
      c.offset_hz = k.offset_hz;
      LinePath path(c);
      REQUIRE(path.delay_samples() == k.expect);
      const auto out = run(path, sine(3000, f, -6));
      const double a = dbm0_to_amplitude(-6) * std::pow(10.0, path.response_db(f) / 20);
      double worst = 0;
      for (std::size_t n = 400; n < out.size(); ++n) {
        const double t = static_cast<double>(n);
        const double bulk = k.delay_ms * 8;
        const double expect =
            a * std::cos(2 * kPi * ((f + k.offset_hz) * (t - bulk) - f * (k.expect - bulk)) / kSampleRate);
        worst = std::max(worst, std::abs(out[n] - expect));
      }
      CHECK(worst < 0.002 * a);
    }
  }
}

TEST_CASE("a sine gains what response_db says, for every shape") {
  for (const LineShape shape : {LineShape::none, LineShape::flat, LineShape::mid, LineShape::long_loop}) {
    LinePathConfig c = quiet(shape);
    c.gain_db = -6;
    const LinePath reference(c);
    for (const double f : {500.0, 1000.0, 2000.0, 3000.0}) {
      CAPTURE(line_shape_name(shape));
      CAPTURE(f);
      const double measured = gain_db_at(c, f);
      CAPTURE(measured);
      CHECK(std::abs(measured - reference.response_db(f)) < 0.3);
    }
  }
}

TEST_CASE("shapes have their nominal loss") {
  const LinePath flat(quiet(LineShape::flat)), mid(quiet(LineShape::mid)), lng(quiet(LineShape::long_loop));
  for (const double f : {400.0, 500.0, 1000.0, 2000.0, 3000.0, 3200.0}) {
    CAPTURE(f);
    CHECK(std::abs(flat.response_db(f)) < 0.5);  // flat inside the band
  }
  const double mid_slope = mid.response_db(3000) - mid.response_db(1000);
  const double long_slope = lng.response_db(3000) - lng.response_db(1000);
  MESSAGE("mid 3k-1k " << mid_slope << " dB, long 3k-1k " << long_slope << " dB, long 500-1k "
                       << lng.response_db(500) - lng.response_db(1000) << " dB");
  CHECK(mid_slope < -3.0);
  CHECK(mid_slope > -4.0);
  CHECK(long_slope < -10.0);
  CHECK(long_slope > -12.0);
  CHECK(lng.response_db(500) - lng.response_db(1000) < -1.5);  // more low-end loss
  CHECK(std::abs(mid.response_db(1000)) < 0.2);
}

TEST_CASE("flat shape attenuates out of band (100 Hz, 3800 Hz)") {
  const double low = gain_db_at(quiet(LineShape::flat), 100);
  const double high = gain_db_at(quiet(LineShape::flat), 3800);
  MESSAGE("flat: 100 Hz " << low << " dB, 3800 Hz " << high << " dB");
  CHECK(low < -25);
  CHECK(high < -25);
  CHECK(std::abs(gain_db_at(quiet(LineShape::none), 100)) < 0.01);
}

TEST_CASE("noise power and SNR match the configuration") {
  LinePathConfig c = quiet(LineShape::flat);
  c.snr_db = 30;
  c.seed = 7;
  LinePath path(c);
  CHECK(path.noise_level_dbm0() == doctest::Approx(-43));
  CHECK(LinePath(quiet()).noise_level_dbm0() == -INFINITY);
  constexpr std::size_t kN = 32000;
  const auto noise = run(path, std::vector<float>(kN, 0.0f));
  const double noise_dbm0 = mean_square_to_dbm0(test::mean_square(noise));
  MESSAGE("noise " << noise_dbm0 << " dBm0 (expected -43)");
  CHECK(std::abs(noise_dbm0 - -43) < 0.3);

  // -13 dBm0 sine at 1 kHz plus noise: remove the sine by projection, the rest is noise.
  path.reset();
  const auto out = run(path, sine(kN, 1000, -13));
  const std::size_t skip = 200, n = kN - skip;
  const std::complex<double> amp = demod(out, 1000, skip, n);
  double residual = 0;
  for (std::size_t i = skip; i < kN; ++i) {
    const double s = std::real(amp * std::polar(1.0, 2 * kPi * 1000 * static_cast<double>(i) / kSampleRate));
    residual += (out[i] - s) * (out[i] - s);
  }
  const double snr = power_ratio_db(std::norm(amp) / 2 / (residual / static_cast<double>(n)));
  MESSAGE("measured SNR " << snr << " dB (configured 30)");
  CHECK(std::abs(snr - 30) < 0.5);
  CHECK(path.true_snr_db(1000, -13, path.noise_bandwidth_hz()) == doctest::Approx(30).epsilon(0.002));

  // In a 10 Hz bin (800-point DFT, rectangular window) around 1 kHz.
  constexpr std::size_t kBlock = 800;
  double bin_power = 0;
  int bins = 0;
  for (std::size_t b = 0; b + kBlock <= kN; b += kBlock) {
    for (double f = 900; f <= 1100; f += 10, ++bins) bin_power += std::norm(demod(noise, f, b, kBlock)) / 2;
  }
  const double measured_bin_snr = -13 - mean_square_to_dbm0(bin_power / bins);
  const double predicted = path.true_snr_db(1000, -13, 10);
  MESSAGE("10 Hz bin SNR measured " << measured_bin_snr << " dB, true_snr_db " << predicted << " dB");
  CHECK(std::abs(measured_bin_snr - predicted) < 0.5);
}

TEST_CASE("frequency offset shifts a 1000 Hz sine to 1007 Hz") {
  for (const double offset : {7.0, -7.0}) {
    LinePathConfig c = quiet(LineShape::flat);
    c.offset_hz = offset;
    LinePath path(c);
    const auto out = run(path, sine(8000, 1000, -10));
    const double f = measure_freq_hz(out, 1000, 400);
    MESSAGE("offset " << offset << ": " << f << " Hz");
    CHECK(std::abs(f - (1000 + offset)) < 0.01);
    // the shift keeps the level
    CHECK(std::abs(20 * std::log10(std::abs(demod(out, 1000 + offset, 400, 7200)) / dbm0_to_amplitude(-10))) < 0.1);
  }
}

TEST_CASE("skew interpolator and Hilbert mixer keep 300..3400 Hz flat") {
  for (const double f : {300.0, 1000.0, 3400.0}) {
    CAPTURE(f);
    LinePathConfig skewed = quiet(LineShape::none), shifted = quiet(LineShape::none);
    skewed.skew_ppm = 150;
    shifted.offset_hz = 10;
    LinePath a(skewed), b(shifted);
    const auto in = sine(8400, f, -10);
    const double ref = dbm0_to_amplitude(-10);
    const double skew_db = 20 * std::log10(std::abs(demod(run(a, in), f * (1 + 150e-6), 400, 8000)) / ref);
    const double shift_db = 20 * std::log10(std::abs(demod(run(b, in), f + 10, 400, 8000)) / ref);
    MESSAGE(f << " Hz: skew stage " << skew_db << " dB, offset stage " << shift_db << " dB");
    CHECK(std::abs(skew_db) < 0.05);
    CHECK(std::abs(shift_db) < 0.05);
  }
}

TEST_CASE("skew: +100 ppm makes 1000 Hz into 1000.1 Hz") {
  LinePathConfig c = quiet(LineShape::flat);
  c.skew_ppm = 100;
  LinePath path(c);
  const auto out = run(path, sine(32000, 1000, -10));
  const double f = measure_freq_hz(out, 1000, 400);
  MESSAGE("skew +100 ppm: " << f << " Hz");
  CHECK(std::abs(f - 1000.1) < 0.002);
}

TEST_CASE("skew: long run keeps counts equal and follows delay_samples_at through a slip") {
  for (const double ppm : {200.0, -200.0}) {
    CAPTURE(ppm);
    LinePathConfig c = quiet(LineShape::none);
    c.skew_ppm = ppm;
    LinePath path(c);
    constexpr std::size_t kN = 200000;  // one slip at 160000
    const double f = 700;
    const auto in = sine(kN, f, -6);
    std::vector<float> out(kN);
    test::feed_in_chunks(in, 1000, [&, pos = std::size_t{0}](std::span<const float> block) mutable {
      path.process(block, std::span<float>(out).subspan(pos, block.size()));
      pos += block.size();
    });
    const double a = dbm0_to_amplitude(-6);
    double worst = 0;
    for (std::size_t n = 100; n < kN; ++n) {
      const double d = path.delay_samples_at(static_cast<SampleIndex>(n));
      const double expect = a * std::cos(2 * kPi * f * (static_cast<double>(n) - d) / kSampleRate);
      worst = std::max(worst, std::abs(out[n] - expect));
    }
    MESSAGE("worst interpolation error " << worst / a << " of the amplitude");
    CHECK(worst < 2e-3 * a);
    // delay stays inside the slip window and slipped once
    const double d0 = path.delay_samples_at(0), d_end = path.delay_samples_at(kN - 1);
    CHECK(d0 == (ppm > 0 ? 48 : 16));
    CHECK(std::abs(d_end - d0) == doctest::Approx(std::abs(200e-6 * (kN - 1) - 32)).epsilon(1e-4));  // drift 40, slip 32
  }
}

TEST_CASE("G.711 known code values") {
  CHECK(linear_to_ulaw(0) == 0xFF);
  CHECK(linear_to_ulaw(32767) == 0x80);
  CHECK(linear_to_ulaw(-32768) == 0x00);
  CHECK(ulaw_to_linear(0x80) == 32124);  // 8031 on the 14-bit scale
  CHECK(ulaw_to_linear(0x00) == -32124);
  CHECK(ulaw_to_linear(0xFF) == 0);
  CHECK(ulaw_to_linear(0xEF) == 4 * 33);  // segment 1 starts at 33 (14-bit)
  CHECK(linear_to_ulaw(1000) == 0xCE);
  CHECK(linear_to_alaw(0) == 0xD5);
  CHECK(linear_to_alaw(32767) == 0xAA);
  CHECK(linear_to_alaw(-32768) == 0x2A);
  CHECK(alaw_to_linear(0xD5) == 8);       // 1 on the 13-bit scale
  CHECK(alaw_to_linear(0x55) == -8);
  CHECK(alaw_to_linear(0xAA) == 32256);   // 4032 on the 13-bit scale
  CHECK(alaw_to_linear(0xC5) == 8 * 33);  // segment 1 starts at 33 (13-bit)
  for (int code = 0; code < 256; ++code) {
    CAPTURE(code);
    const auto c = static_cast<std::uint8_t>(code);
    if (code != 0x7F) CHECK(linear_to_ulaw(ulaw_to_linear(c)) == c);  // 0x7F is μ-law's negative zero
    CHECK(linear_to_alaw(alaw_to_linear(c)) == c);
  }
}

TEST_CASE("G.711 round trip error stays within half a quantisation step") {
  int worst_u = 0, worst_a = 0;
  for (int x = -32768; x <= 32767; ++x) {
    const auto v = static_cast<std::int16_t>(x);
    const int eu = std::abs(ulaw_to_linear(linear_to_ulaw(v)) - x);
    const int ea = std::abs(alaw_to_linear(linear_to_alaw(v)) - x);
    if (std::abs(x) <= 32124 && eu > (std::abs(x) + 132) / 32 + 4) ++worst_u;
    if (std::abs(x) <= 32256 && ea > std::max(8, std::abs(x) / 32) + 1) ++worst_a;
  }
  CHECK(worst_u == 0);
  CHECK(worst_a == 0);
  // monotonic decode
  for (int c = 0x80; c < 0xFF; ++c) CHECK(ulaw_to_linear(static_cast<std::uint8_t>(c)) > ulaw_to_linear(static_cast<std::uint8_t>(c + 1)));
  // a -13 dBm0 sine through each law: about 38 dB signal-to-quantisation ratio
  for (const LineCodec codec : {LineCodec::ulaw, LineCodec::alaw}) {
    LinePathConfig c = quiet(LineShape::none);
    c.codec = codec;
    LinePath path(c);
    const auto in = sine(8000, 1010, -13);
    const auto out = run(path, in);
    double err = 0;
    for (std::size_t i = 0; i < in.size(); ++i) err += (out[i] - in[i]) * (out[i] - in[i]);
    const double sqnr = power_ratio_db(test::mean_square(in) / (err / static_cast<double>(in.size())));
    MESSAGE(line_codec_name(codec) << " SQNR " << sqnr << " dB");
    CHECK(sqnr > 35);
    CHECK(sqnr < 41);
  }
}

TEST_CASE("output does not depend on chunking, and seeds decide the noise") {
  LinePathConfig c;
  c.shape = LineShape::long_loop;
  c.delay_ms = 7.3;
  c.gain_db = 2;
  c.snr_db = 25;
  c.offset_hz = 3.3;
  c.skew_ppm = -37;
  c.codec = LineCodec::alaw;
  c.seed = 42;
  const auto in = test::speech_like_noise(12000, dbm0_to_mean_square(-12), 3);
  LinePath whole(c);
  const auto reference = run(whole, in);
  for (const std::size_t chunk : {1u, 37u, 160u, 1024u}) {
    CAPTURE(chunk);
    LinePath path(c);
    std::vector<float> out(in.size());
    std::size_t pos = 0;
    test::feed_in_chunks(in, chunk, [&](std::span<const float> block) {
      path.process(block, std::span<float>(out).subspan(pos, block.size()));
      pos += block.size();
    });
    CHECK(std::memcmp(out.data(), reference.data(), out.size() * sizeof(float)) == 0);
  }
  whole.reset();
  CHECK(run(whole, in) == reference);  // reset reproduces
  c.seed = 43;
  LinePath other(c);
  const auto different = run(other, in);
  std::size_t differing = 0;
  for (std::size_t i = 0; i < in.size(); ++i) differing += different[i] != reference[i];
  CHECK(differing > in.size() / 2);
}

TEST_CASE("talker echo comes back at its delay and level; LineSim chunking") {
  LinePathConfig one_way = quiet(LineShape::flat);
  one_way.delay_ms = 10;
  const LineConfig config = symmetric_line(one_way, -20, 25);
  CHECK(config.answerer_to_caller.seed != config.caller_to_answerer.seed);
  LineSim line(config);
  CHECK(line.echo_delay_samples() == 200);
  constexpr std::size_t kN = 1200;
  std::vector<float> caller_tx(kN, 0.0f), answerer_tx(kN, 0.0f), caller_rx(kN), answerer_rx(kN);
  caller_tx[100] = 0.5f;
  line.process(caller_tx, answerer_tx, caller_rx, answerer_rx);
  // the caller hears its own impulse 200 samples later at -20 dB, nothing else
  CHECK(caller_rx[300] == doctest::Approx(0.05f));
  for (std::size_t i = 0; i < kN; ++i) if (i != 300) CHECK_MESSAGE(caller_rx[i] == 0.0f, i);
  // the answerer hears it through the line
  const auto peak = std::max_element(answerer_rx.begin(), answerer_rx.end());
  CHECK(static_cast<double>(peak - answerer_rx.begin()) == 100 + line.to_answerer().delay_samples());

  // chunked and aliased (rx written over tx) processing gives the same result
  LineConfig noisy = symmetric_line([] { LinePathConfig p; p.snr_db = 20; p.skew_ppm = 50; return p; }(), -15, 30);
  const auto ctx = test::speech_like_noise(5000, dbm0_to_mean_square(-10), 1);
  const auto atx = test::speech_like_noise(5000, dbm0_to_mean_square(-10), 2);
  LineSim a(noisy), b(noisy);
  std::vector<float> crx_ref(ctx.size()), arx_ref(ctx.size());
  a.process(ctx, atx, crx_ref, arx_ref);
  std::vector<float> c_buf = ctx, a_buf = atx;  // in place
  for (std::size_t i = 0; i < c_buf.size(); i += 37) {
    const std::size_t n = std::min<std::size_t>(37, c_buf.size() - i);
    auto cs = std::span<float>(c_buf).subspan(i, n);
    auto as = std::span<float>(a_buf).subspan(i, n);
    b.process(cs, as, cs, as);
  }
  CHECK(c_buf == crx_ref);
  CHECK(a_buf == arx_ref);
}

TEST_CASE("LineSim with both directions on one shared FFT filter: chunking-independent, close to each path alone") {
  LinePathConfig one_way;  // merged shape + noise, 160-sample FFT blocks shared by both directions
  one_way.delay_ms = 20;
  one_way.snr_db = 30;
  one_way.codec = LineCodec::ulaw;
  const LineConfig config = symmetric_line(one_way);
  const auto ctx = test::speech_like_noise(6000, dbm0_to_mean_square(-10), 4);
  const auto atx = test::speech_like_noise(6000, dbm0_to_mean_square(-10), 5);
  LineSim whole(config);
  std::vector<float> crx_ref(ctx.size()), arx_ref(ctx.size());
  whole.process(ctx, atx, crx_ref, arx_ref);
  for (const std::size_t chunk : {1u, 37u, 160u, 1024u}) {
    CAPTURE(chunk);
    LineSim line(config);
    std::vector<float> crx(ctx.size()), arx(ctx.size());
    for (std::size_t i = 0; i < ctx.size(); i += chunk) {
      const std::size_t n = std::min(chunk, ctx.size() - i);
      line.process(std::span(ctx).subspan(i, n), std::span(atx).subspan(i, n), std::span(crx).subspan(i, n),
                   std::span(arx).subspan(i, n));
    }
    CHECK(crx == crx_ref);
    CHECK(arx == arx_ref);
  }
  whole.reset();
  std::vector<float> crx(ctx.size()), arx(ctx.size());
  whole.process(ctx, atx, crx, arx);
  CHECK(crx == crx_ref);  // reset reproduces
  // each direction alone (its own real FFT) differs only by rounding, at most one G.711 step
  LinePath alone(config.answerer_to_caller);
  const auto crx_alone = run(alone, atx);
  std::size_t differing = 0;
  for (std::size_t i = 0; i < ctx.size(); ++i) {
    differing += crx_alone[i] != crx_ref[i];
    CHECK_MESSAGE(std::abs(crx_alone[i] - crx_ref[i]) <= 1024.0f / 32768.0f, i);
  }
  CHECK(differing < ctx.size() / 100);
}

TEST_CASE("bad configurations throw naming the value") {
  const auto with = [](auto change) { LinePathConfig c; change(c); return thrown_message(c); };
  CHECK(with([](LinePathConfig& c) { c.delay_ms = 150; }) == "LinePathConfig.delay_ms = 150 is out of range 0..100");
  CHECK(with([](LinePathConfig& c) { c.delay_ms = NAN; }).find("delay_ms") != std::string::npos);
  CHECK(with([](LinePathConfig& c) { c.gain_db = 7; }).find("gain_db") != std::string::npos);
  CHECK(with([](LinePathConfig& c) { c.snr_db = -INFINITY; }).find("snr_db") != std::string::npos);
  CHECK(with([](LinePathConfig& c) { c.reference_level_dbm0 = 10; }).find("reference_level_dbm0") != std::string::npos);
  CHECK(with([](LinePathConfig& c) { c.offset_hz = 11; }).find("offset_hz") != std::string::npos);
  CHECK(with([](LinePathConfig& c) { c.skew_ppm = -250; }).find("skew_ppm") != std::string::npos);
  CHECK(with([](LinePathConfig& c) { c.codec = static_cast<LineCodec>(9); }).find("codec") != std::string::npos);
  CHECK(with([](LinePathConfig& c) { c.shape = static_cast<LineShape>(9); }).find("shape") != std::string::npos);
  CHECK(with([](LinePathConfig&) {}) == "(nothing thrown)");
  LineConfig lc;
  lc.echo_db = 3;
  CHECK_THROWS_AS(LineSim{lc}, std::invalid_argument);
  lc.echo_db = -20;
  lc.echo_delay_ms = 101;
  CHECK_THROWS_WITH_AS(LineSim{lc}, doctest::Contains("echo_delay_ms"), std::invalid_argument);
  CHECK(parse_line_shape("long") == LineShape::long_loop);
  CHECK(parse_line_codec("alaw") == LineCodec::alaw);
  for (const LineShape s : {LineShape::none, LineShape::flat, LineShape::mid, LineShape::long_loop})
    CHECK(parse_line_shape(line_shape_name(s)) == s);
  CHECK_THROWS_WITH_AS(parse_line_shape("wobbly"), doctest::Contains("wobbly"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_line_codec("gsm"), doctest::Contains("gsm"), std::invalid_argument);
}
