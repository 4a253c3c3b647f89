// Tone generators and the generator catalogue: spectral masks for every named
// signal, sample-exact cadence / reversal / DTMF timing, chunking invariance,
// configuration errors.
#include <doctest/doctest.h>
#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dsp/generator.h"
#include "dsp/levels.h"
#include "dsp/tone_generator.h"
#include "dsp/types.h"

using namespace squeal;

namespace {

struct Component { double freq_hz; double level_dbm0; };
struct Interval { std::size_t begin; std::size_t end; };  // samples [begin, end)

// Samples [begin, end) in which the signal is stationary with these components.
struct Expectation {
  std::vector<Interval> intervals;
  std::vector<Component> components;
};

// What each catalogue entry must be, restated from the standards (not read back
// from the generator). Cadence in ms; 0/0 = continuous.
struct Spec {
  const char* name;
  std::vector<double> freqs_hz;
  double level_dbm0;
  int on_ms;
  int off_ms;
  bool am;         // V.8 ANSam: 15 Hz, depth 0.2
  bool reversals;  // V.25: every 450 ms
};

const std::vector<Spec>& specs() {
  static const std::vector<Spec> kSpecs = {
      {"tone", {1000.0}, -10.0, 0, 0, false, false},
      {"dtmf", {}, -8.0, 100, 100, false, false},
      {"dial_tone_na", {350.0, 440.0}, -13.0, 0, 0, false, false},
      {"dial_tone_eu", {425.0}, -13.0, 0, 0, false, false},
      {"ringback_na", {440.0, 480.0}, -19.0, 2000, 4000, false, false},
      {"ringback_eu", {425.0}, -13.0, 1000, 4000, false, false},
      {"busy_na", {480.0, 620.0}, -24.0, 500, 500, false, false},
      {"busy_eu", {425.0}, -13.0, 500, 500, false, false},
      {"ans", {2100.0}, -12.0, 0, 0, false, false},
      {"ans_pr", {2100.0}, -12.0, 0, 0, false, true},
      {"ansam", {2100.0}, -12.0, 0, 0, true, false},
      {"ansam_pr", {2100.0}, -12.0, 0, 0, true, true},
      {"cng", {1100.0}, -10.0, 500, 3000, false, false},
      {"ct", {1300.0}, -10.0, 600, 2000, false, false},
      {"tone_a", {2400.0}, -12.0, 0, 0, false, false},
      {"tone_b", {1200.0}, -12.0, 0, 0, false, false},
  };
  return kSpecs;
}

const Spec& spec_of(std::string_view name) {
  const auto it = std::find_if(specs().begin(), specs().end(), [&](const Spec& s) { return s.name == name; });
  REQUIRE_MESSAGE(it != specs().end(), "no spec for " << std::string(name));
  return *it;
}

constexpr std::size_t ms_to_samples(int ms) { return static_cast<std::size_t>(ms) * 8; }

std::vector<float> generate(Generator& gen, std::size_t n) {
  std::vector<float> out(n, 12345.0f);  // poison: every sample must be written
  gen.generate(out);
  return out;
}

// ---- spectrum: Welch average of Kaiser windows. The Kaiser beta is chosen per
// analysis: as high as 18 (side lobes near -140 dB, main lobe ±5.8 bins) where
// the components are far apart, lower where they are close (ANSam/ in 3600-sample
// stretches: sidebands 6.75 bins from the carrier).

struct Spectrum {
  double bin_hz = 0;
  double lobe_bins = 0;        // main-lobe half-width of the window (bins)
  std::vector<double> power;   // one-sided; a tone's main-lobe bins sum to its mean square
};

Spectrum welch(const std::vector<float>& x, const std::vector<Interval>& intervals, std::size_t nfft,
               const std::vector<Component>& components) {
  const double bin_hz = kSampleRate / static_cast<double>(nfft);
  double spacing_bins = 1e9;
  for (const auto& a : components) {
    for (const auto& b : components) {
      if (&a != &b) spacing_bins = std::min(spacing_bins, std::abs(a.freq_hz - b.freq_hz) / bin_hz);
    }
  }
  const double lobe_bins = std::min(5.8, 0.47 * spacing_bins);  // Kaiser main lobe ±sqrt(1+(beta/pi)^2) bins
  const double beta = kPi * std::sqrt(lobe_bins * lobe_bins - 1.0);
  std::vector<float> window(nfft);
  double window_energy = 0;
  for (std::size_t i = 0; i < nfft; ++i) {
    const double r = 2.0 * static_cast<double>(i) / static_cast<double>(nfft) - 1.0;
    const double w = std::cyl_bessel_i(0.0, beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / std::cyl_bessel_i(0.0, beta);
    window[i] = static_cast<float>(w);
    window_energy += w * w;
  }
  float* in = fftwf_alloc_real(nfft);
  fftwf_complex* out = fftwf_alloc_complex(nfft / 2 + 1);
  fftwf_plan plan = fftwf_plan_dft_r2c_1d(static_cast<int>(nfft), in, out, FFTW_ESTIMATE);
  Spectrum s;
  s.bin_hz = bin_hz;
  s.lobe_bins = lobe_bins;
  s.power.assign(nfft / 2 + 1, 0.0);
  int count = 0;
  for (const auto& iv : intervals) {
    for (std::size_t start = iv.begin; start + nfft <= iv.end; start += nfft / 2) {
      for (std::size_t i = 0; i < nfft; ++i) in[i] = x[start + i] * window[i];
      fftwf_execute(plan);
      for (std::size_t k = 0; k <= nfft / 2; ++k) {
        s.power[k] += 2.0 * (double{out[k][0]} * out[k][0] + double{out[k][1]} * out[k][1]) /
                      (static_cast<double>(nfft) * window_energy);
      }
      ++count;
    }
  }
  fftwf_destroy_plan(plan);
  fftwf_free(in);
  fftwf_free(out);
  REQUIRE(count > 0);
  for (double& p : s.power) p /= count;
  return s;
}

struct Measured {
  std::vector<double> level_dbm0;  // per expected component
  std::vector<double> freq_hz;     // power-weighted centroid of its lobe
  double spur_dbc = -300;          // strongest bin outside all lobes, relative to the strongest component's peak bin
  double spur_freq_hz = 0;
};

Measured measure(const Spectrum& s, const std::vector<Component>& components) {
  Measured m;
  const double exclude_bins = s.lobe_bins + 1.5;  // past the main lobe: side lobes only
  double peak_bin = 0;
  for (std::size_t c = 0; c < components.size(); ++c) {
    const double center = components[c].freq_hz / s.bin_hz;
    double lo = center - s.lobe_bins - 0.5;
    double hi = center + s.lobe_bins + 0.5;
    for (std::size_t o = 0; o < components.size(); ++o) {  // split shared bins at the midpoint
      if (o == c) continue;
      const double other = components[o].freq_hz / s.bin_hz;
      if (other > center) hi = std::min(hi, (center + other) / 2);
      if (other < center) lo = std::max(lo, (center + other) / 2);
    }
    double sum = 0;
    double moment = 0;
    for (auto k = static_cast<std::size_t>(std::ceil(lo)); k <= static_cast<std::size_t>(std::floor(hi)); ++k) {
      sum += s.power[k];
      moment += s.power[k] * static_cast<double>(k);
      peak_bin = std::max(peak_bin, s.power[k]);
    }
    m.level_dbm0.push_back(mean_square_to_dbm0(sum));
    m.freq_hz.push_back(moment / sum * s.bin_hz);
  }
  for (std::size_t k = 0; k < s.power.size(); ++k) {
    bool near = false;
    for (const auto& c : components) near = near || std::abs(static_cast<double>(k) - c.freq_hz / s.bin_hz) <= exclude_bins;
    if (near) continue;
    const double rel = power_ratio_db(s.power[k] / peak_bin);
    if (rel > m.spur_dbc) {
      m.spur_dbc = rel;
      m.spur_freq_hz = static_cast<double>(k) * s.bin_hz;
    }
  }
  return m;
}

Measured analyse(const std::vector<float>& x, const std::vector<Interval>& intervals, std::size_t nfft,
                 const std::vector<Component>& components) {
  return measure(welch(x, intervals, nfft, components), components);
}

// Stationary stretches of a catalogue signal of `n` samples, per its spec.
std::vector<Expectation> expectations(const Spec& spec, const GeneratorOptions& options, std::size_t n) {
  std::vector<Expectation> result;
  if (std::string_view(spec.name) == "dtmf") {
    for (std::size_t i = 0; i < options.digits.size(); ++i) {
      const auto [low, high] = dtmf_frequencies(options.digits[i]);
      result.push_back({{{1600 * i, 1600 * i + 800}}, {{low, spec.level_dbm0}, {high, spec.level_dbm0 + 2.0}}});
    }
    return result;
  }
  Expectation e;
  for (double f : spec.freqs_hz) e.components.push_back({f, spec.level_dbm0});
  if (spec.am) {  // V.8: envelope 0.8..1.2 → sidebands at ±15 Hz, each 20·log10(0.2/2) = -20 dB
    e.components.push_back({2100.0 - 15.0, spec.level_dbm0 - 20.0});
    e.components.push_back({2100.0 + 15.0, spec.level_dbm0 - 20.0});
  }
  if (spec.on_ms > 0) {
    const std::size_t period = ms_to_samples(spec.on_ms + spec.off_ms);
    for (std::size_t b = 0; b + ms_to_samples(spec.on_ms) <= n; b += period) e.intervals.push_back({b, b + ms_to_samples(spec.on_ms)});
  } else if (spec.reversals) {
    for (std::size_t b = 0; b + 3600 <= n; b += 3600) e.intervals.push_back({b, b + 3600});
  } else {
    e.intervals.push_back({0, n});
  }
  result.push_back(e);
  return result;
}

std::size_t test_length(const Spec& spec) {
  const std::size_t cycle = ms_to_samples(spec.on_ms + spec.off_ms);
  return std::max<std::size_t>(32000, 2 * cycle + ms_to_samples(spec.on_ms));
}

}  // namespace

TEST_CASE("the catalogue lists every signal, in order, with its documented default level") {
  const auto catalog = generator_catalog();
  REQUIRE(catalog.size() == specs().size());
  for (std::size_t i = 0; i < catalog.size(); ++i) {
    CAPTURE(specs()[i].name);
    CHECK(catalog[i].name == specs()[i].name);
    CHECK(catalog[i].default_level_dbm0 == specs()[i].level_dbm0);
    CHECK(!catalog[i].description.empty());
  }
}

TEST_CASE("every catalogue signal meets its spectral mask: frequency, level, spurs") {
  double worst_spur = -300;
  double worst_level_error = 0;
  double worst_freq_error = 0;
  for (const auto& info : generator_catalog()) {
    const Spec& spec = spec_of(info.name);
    const GeneratorOptions options;
    auto gen = make_generator(info.name, options);
    const std::size_t n = test_length(spec);
    const auto x = generate(*gen, n);
    for (const auto& e : expectations(spec, options, n)) {
      std::size_t shortest = 8192;
      for (const auto& iv : e.intervals) shortest = std::min(shortest, iv.end - iv.begin);
      const auto m = analyse(x, e.intervals, shortest, e.components);
      for (std::size_t c = 0; c < e.components.size(); ++c) {
        CAPTURE(info.name);
        CAPTURE(e.components[c].freq_hz);
        CHECK(std::abs(m.freq_hz[c] - e.components[c].freq_hz) < 0.5);
        // ±0.02 dB (tighter than the ±0.3 dB mask): a wrong dBm0 reference (3.0 vs 3.14 dB) must fail.
        CHECK(std::abs(m.level_dbm0[c] - e.components[c].level_dbm0) < 0.02);
        worst_freq_error = std::max(worst_freq_error, std::abs(m.freq_hz[c] - e.components[c].freq_hz));
        worst_level_error = std::max(worst_level_error, std::abs(m.level_dbm0[c] - e.components[c].level_dbm0));
      }
      CAPTURE(info.name);
      CAPTURE(m.spur_freq_hz);
      CHECK(m.spur_dbc < -70.0);  // the generator's promise; the mask asks for 50 dB
      worst_spur = std::max(worst_spur, m.spur_dbc);
    }
  }
  MESSAGE("worst spur " << worst_spur << " dBc, worst level error " << worst_level_error << " dB, worst frequency error "
                         << worst_freq_error << " Hz");
}

TEST_CASE("the interpolated sine table keeps spurs far below -100 dBc") {
  ToneGeneratorConfig config;
  config.tones = {{1234.567, 0.0}};
  ToneGenerator gen(config);
  const auto x = generate(gen, 8192 * 16);
  const auto m = analyse(x, {{0, x.size()}}, 8192, {{1234.567, 0.0}});
  MESSAGE("table spur " << m.spur_dbc << " dBc at " << m.spur_freq_hz << " Hz, level error "
                        << m.level_dbm0[0] << " dB");
  CHECK(m.spur_dbc < -100.0);
  CHECK(std::abs(m.level_dbm0[0]) < 0.001);
  CHECK(std::abs(table_sine(0x40000000u) - 1.0f) < 1e-6f);
  CHECK(std::abs(table_sine(0x12345678u) - static_cast<float>(std::sin(2 * kPi * 0x12345678u / 4294967296.0))) < 5e-6f);
}

TEST_CASE("a dual tone from options has both sines at the requested level") {
  GeneratorOptions options;
  options.freq_hz = 1000.0;
  options.freq2_hz = 1500.0;
  options.level_dbm0 = -20.0;
  auto gen = make_generator("tone", options);
  const auto x = generate(*gen, 32000);
  const auto m = analyse(x, {{0, x.size()}}, 8192, {{1000.0, -20.0}, {1500.0, -20.0}});
  CHECK(std::abs(m.level_dbm0[0] + 20.0) < 0.01);
  CHECK(std::abs(m.level_dbm0[1] + 20.0) < 0.01);
  CHECK(std::abs(m.freq_hz[1] - 1500.0) < 0.1);
  CHECK(m.spur_dbc < -100.0);
}

// The waveform is exactly its definition: sines on uint32 accumulators
// (inc = round(f/8000·2^32)), every burst starting at phase 0, silence exactly
// 0, reversal = +half turn at each multiple of 3600, ANSam gain 1 + 0.2·sin(15 Hz).
TEST_CASE("every tone signal matches its sample-exact definition, cadence and reversals included") {
  for (const auto& spec : specs()) {
    if (std::string_view(spec.name) == "dtmf") continue;
    CAPTURE(spec.name);
    auto gen = make_generator(spec.name, {});
    const std::size_t n = test_length(spec);
    const auto x = generate(*gen, n);
    const double amplitude = dbm0_to_amplitude(spec.level_dbm0);
    const std::size_t on = ms_to_samples(spec.on_ms);
    const std::size_t period = ms_to_samples(spec.on_ms + spec.off_ms);
    double max_error = 0;
    std::size_t off_nonzero = 0;
    for (std::size_t i = 0; i < n; ++i) {
      std::size_t m = i;  // samples since the burst started
      if (period > 0) {
        if (i % period >= on) {
          off_nonzero += x[i] != 0.0f;
          continue;
        }
        m = i % period;
      }
      double ref = 0;
      for (double f : spec.freqs_hz) {
        const auto inc = static_cast<std::uint32_t>(std::llround(f / 8000.0 * 4294967296.0));
        std::uint32_t phase = static_cast<std::uint32_t>(m) * inc;
        if (spec.reversals) phase += static_cast<std::uint32_t>(i / 3600) * 0x80000000u;
        ref += amplitude * std::sin(2 * kPi * phase / 4294967296.0);
      }
      if (spec.am) {
        const auto am_inc = static_cast<std::uint32_t>(std::llround(15.0 / 8000.0 * 4294967296.0));
        ref *= 1.0 + 0.2 * std::sin(2 * kPi * static_cast<std::uint32_t>(static_cast<std::uint32_t>(i) * am_inc) / 4294967296.0);
      }
      max_error = std::max(max_error, std::abs(x[i] - ref));
    }
    CHECK(off_nonzero == 0);
    CHECK(max_error < 1e-5);  // one sample of timing slip would be > 0.01
  }
}

TEST_CASE("output is bit-identical whatever the chunk size, and after reset") {
  for (const auto& info : generator_catalog()) {
    CAPTURE(info.name);
    auto whole_gen = make_generator(info.name, {});
    const auto whole = generate(*whole_gen, 60000);
    for (std::size_t chunk : {1u, 37u, 160u, 1024u}) {
      CAPTURE(chunk);
      auto gen = make_generator(info.name, {});
      std::vector<float> pieces(whole.size());
      for (std::size_t i = 0; i < pieces.size(); i += chunk) {
        gen->generate(std::span<float>(pieces).subspan(i, std::min(chunk, pieces.size() - i)));
      }
      CHECK(std::memcmp(pieces.data(), whole.data(), whole.size() * sizeof(float)) == 0);
    }
    whole_gen->reset();
    const auto again = generate(*whole_gen, whole.size());
    CHECK(std::memcmp(again.data(), whole.data(), whole.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("ANS/ and ANSam/ reverse by 180 degrees exactly every 450 ms, first at 450 ms") {
  for (const char* name : {"ans_pr", "ansam_pr"}) {
    CAPTURE(name);
    auto gen = make_generator(name, {});
    const auto x = generate(*gen, 36000);  // ten reversals
    // Demodulate at 2100 Hz over 80-sample blocks (exactly 21 carrier cycles).
    std::vector<double> phase_deg;
    for (std::size_t b = 0; b + 80 <= x.size(); b += 80) {
      std::complex<double> z = 0;
      for (std::size_t i = b; i < b + 80; ++i) z += static_cast<double>(x[i]) * std::polar(1.0, -2 * kPi * 2100.0 * static_cast<double>(i) / 8000.0);
      phase_deg.push_back(std::arg(z) * 180.0 / kPi);
    }
    double worst = 0;
    int jumps = 0;
    for (std::size_t b = 1; b < phase_deg.size(); ++b) {
      const double step = std::remainder(phase_deg[b] - phase_deg[b - 1], 360.0);
      const bool reversal_expected = (b * 80) % 3600 == 0;
      jumps += std::abs(step) > 90.0;
      worst = std::max(worst, reversal_expected ? 180.0 - std::abs(step) : std::abs(step));
    }
    CHECK(jumps == 9);  // at blocks 3600, 7200, …, 32400 (block 0 has none before it)
    CHECK(worst < 0.5);
  }
}

TEST_CASE("a reversal lands on its exact sample (off a zero crossing)") {
  ToneGeneratorConfig config;
  config.tones = {{1000.1, -6.0}};  // 1000.1 Hz · 0.45 s = 450.045 cycles: samples near 3600 are large
  config.reversal_period_samples = 3600;
  ToneGenerator gen(config);
  const auto x = generate(gen, 8000);
  const double a = dbm0_to_amplitude(-6.0);
  const auto inc = static_cast<std::uint32_t>(std::llround(1000.1 / 8000.0 * 4294967296.0));
  for (std::size_t i : {3598u, 3599u, 3600u, 3601u, 7199u, 7200u}) {
    CAPTURE(i);
    const double continuous = a * std::sin(2 * kPi * static_cast<std::uint32_t>(static_cast<std::uint32_t>(i) * inc) / 4294967296.0);
    REQUIRE(std::abs(continuous) > 0.1 * a);
    const double sign = (i / 3600) % 2 == 0 ? 1.0 : -1.0;
    CHECK(std::abs(x[i] - sign * continuous) < 1e-5);
  }
}

TEST_CASE("AM keeps running through cadence gaps while each burst restarts at phase 0") {
  ToneGeneratorConfig config;
  config.tones = {{1000.0, -6.0}};
  config.cadence_samples = {800, 700};
  config.am_freq_hz = 15.0;
  config.am_depth = 0.2;
  ToneGenerator gen(config);
  const auto x = generate(gen, 3000);
  const double a = dbm0_to_amplitude(-6.0);
  for (std::size_t i : {1502u, 1700u}) {  // second burst starts at 1500
    CAPTURE(i);
    const double carrier = std::sin(2 * kPi * 1000.0 * static_cast<double>(i - 1500) / 8000.0);
    const double gain = 1.0 + 0.2 * std::sin(2 * kPi * 15.0 * static_cast<double>(i) / 8000.0);
    CHECK(std::abs(x[i] - a * carrier * gain) < 1e-5);
  }
  CHECK(x[1500] == 0.0f);  // sin(0)
  CHECK(x[1499] == 0.0f);  // last sample of the gap
}

TEST_CASE("every DTMF digit has its Q.23 pair at -8/-6 dBm0 and nothing else") {
  double worst_spur = -300;
  for (char digit : std::string("0123456789*#ABCD")) {
    CAPTURE(digit);
    DtmfConfig config;
    config.digits = std::string(1, digit);
    DtmfGenerator gen(config);
    const auto x = generate(gen, 1600);
    const auto [low, high] = dtmf_frequencies(digit);
    const auto m = analyse(x, {{0, 800}}, 800, {{low, -8.0}, {high, -6.0}});
    CHECK(std::abs(m.freq_hz[0] - low) < 1.0);
    CHECK(std::abs(m.freq_hz[1] - high) < 1.0);
    CHECK(std::abs(m.level_dbm0[0] + 8.0) < 0.02);
    CHECK(std::abs(m.level_dbm0[1] + 6.0) < 0.02);
    CHECK(m.spur_dbc < -70.0);
    worst_spur = std::max(worst_spur, m.spur_dbc);
  }
  CHECK(dtmf_frequencies('5') == std::pair{770.0, 1336.0});
  CHECK(dtmf_frequencies('d') == std::pair{941.0, 1633.0});
  MESSAGE("DTMF worst spur " << worst_spur << " dBc");
}

TEST_CASE("DTMF digits start and stop on their exact samples, chunking aside") {
  DtmfConfig config;
  config.digits = "1A#";
  config.on_samples = 400;
  config.off_samples = 240;
  DtmfGenerator whole_gen(config);
  const auto x = generate(whole_gen, 3 * 640 + 1000);
  const double a_low = dbm0_to_amplitude(-8.0);
  const double a_high = dbm0_to_amplitude(-6.0);
  double max_error = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t digit = i / 640;
    const std::size_t m = i % 640;
    double ref = 0;
    if (digit < 3 && m < 400) {
      const auto [low, high] = dtmf_frequencies(config.digits[digit]);
      ref = a_low * std::sin(2 * kPi * low * static_cast<double>(m) / 8000.0) +
            a_high * std::sin(2 * kPi * high * static_cast<double>(m) / 8000.0);
    } else {
      CHECK_MESSAGE(x[i] == 0.0f, "sample " << i << " should be silent");
    }
    max_error = std::max(max_error, std::abs(x[i] - ref));
  }
  CHECK(max_error < 1e-5);
  for (std::size_t chunk : {1u, 37u, 160u, 1024u}) {
    DtmfGenerator gen(config);
    std::vector<float> pieces(x.size());
    for (std::size_t i = 0; i < pieces.size(); i += chunk) {
      gen.generate(std::span<float>(pieces).subspan(i, std::min(chunk, pieces.size() - i)));
    }
    CHECK(std::memcmp(pieces.data(), x.data(), x.size() * sizeof(float)) == 0);
  }
}

namespace {
std::string error_of(std::string_view name, const GeneratorOptions& options) {
  try {
    make_generator(name, options);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("bad names and values throw, naming the value") {
  const std::string unknown = error_of("ansam_prr", {});
  CHECK(unknown.find("'ansam_prr'") != std::string::npos);
  CHECK(unknown.find("ansam_pr,") != std::string::npos);  // the valid names are listed
  CHECK(unknown.find("tone_b") != std::string::npos);

  GeneratorOptions digits;
  digits.digits = "12X4";
  CHECK(error_of("dtmf", digits).find("'X'") != std::string::npos);
  digits.digits = "";
  CHECK(error_of("dtmf", digits).find("empty") != std::string::npos);

  GeneratorOptions freq;
  freq.freq_hz = 4000.0;
  CHECK(error_of("tone", freq).find("freq_hz 4000") != std::string::npos);
  freq.freq_hz = -5.0;
  CHECK(error_of("tone", freq).find("freq_hz -5") != std::string::npos);
  freq.freq_hz = 1000.0;
  freq.freq2_hz = 4500.0;
  CHECK(error_of("tone", freq).find("freq2_hz 4500") != std::string::npos);

  GeneratorOptions level;
  level.level_dbm0 = 3.5;
  CHECK(error_of("ans", level).find("level_dbm0 3.5") != std::string::npos);
  level.level_dbm0 = INFINITY;
  CHECK(error_of("busy_na", level).find("level_dbm0 inf") != std::string::npos);
  level.level_dbm0 = 2.0;  // DTMF high group would be +4 dBm0
  CHECK(error_of("dtmf", level).find("level_dbm0 2 puts the high group at 4") != std::string::npos);
  level.level_dbm0 = 3.0;  // the limit itself is allowed
  CHECK(error_of("ans", level) == "(no error)");

  ToneGeneratorConfig three;
  three.tones = {{400, -10}, {500, -10}, {600, -10}};
  CHECK_THROWS_WITH_AS(ToneGenerator{three}, "tone count 3 is not 1 or 2", std::invalid_argument);
  ToneGeneratorConfig odd;
  odd.tones = {{400, -10}};
  odd.cadence_samples = {800, 800, 800};
  CHECK_THROWS_AS(ToneGenerator{odd}, std::invalid_argument);
  odd.cadence_samples = {800, 0};
  CHECK_THROWS_WITH_AS(ToneGenerator{odd}, "cadence entry 0 samples is not positive", std::invalid_argument);
}
