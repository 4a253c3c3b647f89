// The multi-tone Goertzel kernel and the streaming bank around it.
#include <doctest/doctest.h>

#include <cmath>
#include <complex>
#include <random>
#include <stdexcept>
#include <vector>

#include "dsp/goertzel_bank.h"
#include "dsp/simd/dispatch.h"
#include "dsp/simd/goertzel_kernel.h"
#include "tests/signal_synth.h"

using namespace squeal;

namespace {

std::vector<double> tone_set(std::size_t count) {
  std::vector<double> f;
  for (std::size_t k = 0; k < count; ++k) f.push_back((200.0 + 55.0 * static_cast<double>(k)) / 8000.0);
  return f;
}

// Direct DFT in double: the definition the kernel must match.
std::vector<double> dft_power(const std::vector<double>& freqs, const float* x, std::size_t n) {
  std::vector<double> out;
  for (double f : freqs) {
    std::complex<double> acc = 0;
    for (std::size_t i = 0; i < n; ++i) acc += static_cast<double>(x[i]) * std::polar(1.0, -2.0 * kPi * f * static_cast<double>(i));
    out.push_back(2.0 * std::norm(acc) / (static_cast<double>(n) * static_cast<double>(n)));
  }
  return out;
}

struct TargetGuard {
  ~TargetGuard() { simd::set_target(simd::Target::best); }
};

}  // namespace

TEST_CASE("scalar Goertzel equals the direct DFT for every block length") {
  for (std::size_t n : {16u, 102u, 160u, 205u, 1000u}) {
    const auto freqs = tone_set(32);
    const auto plan = simd::make_goertzel_plan(freqs, n);
    const auto x = test::white_noise(n, 0.1, 7u + static_cast<unsigned>(n));
    std::vector<float> power(plan.padded_tones);
    const float ms = simd::goertzel_block_power_scalar(plan, x.data(), power.data());
    const auto ref = dft_power(freqs, x.data(), n);
    double max_ref = 0;
    for (double r : ref) max_ref = std::max(max_ref, r);
    for (std::size_t k = 0; k < freqs.size(); ++k) {
      CAPTURE(n);
      CAPTURE(k);
      CHECK(power[k] == doctest::Approx(ref[k]).epsilon(1e-3).scale(max_ref));
    }
    CHECK(ms == doctest::Approx(test::mean_square(x)).epsilon(1e-5));
    for (std::size_t k = freqs.size(); k < plan.padded_tones; ++k) CHECK(power[k] == doctest::Approx(0.0));
  }
}

TEST_CASE("a sine on a tone reads its mean square; off-tone bins stay low") {
  const std::vector<double> freqs{1000.0 / 8000.0, 2100.0 / 8000.0};
  const auto plan = simd::make_goertzel_plan(freqs, 160);
  std::vector<float> x(160);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * static_cast<float>(std::sin(2 * kPi * 1000.0 * i / 8000.0 + 0.3));
  std::vector<float> power(plan.padded_tones);
  simd::goertzel_block_power_scalar(plan, x.data(), power.data());
  CHECK(power[0] == doctest::Approx(0.125).epsilon(1e-4));
  CHECK(power[1] < 1e-8);
}

TEST_CASE("every SIMD target equals scalar on misaligned buffers") {
  TargetGuard guard;
  const auto targets = simd::available_targets();
  CHECK(targets.front() == simd::Target::scalar);
  for (std::size_t tones : {1u, 8u, 17u, 32u, 64u}) {
    for (std::size_t n : {16u, 102u, 160u, 205u}) {
      const auto freqs = tone_set(tones);
      const auto plan = simd::make_goertzel_plan(freqs, n);
      auto storage = test::white_noise(n + 8, 0.2, static_cast<unsigned>(n * tones));
      for (std::size_t offset = 0; offset < 4; ++offset) {  // 0..3 floats off any alignment
        const float* x = storage.data() + offset;
        std::vector<float> ref(plan.padded_tones + 4);
        const float ref_ms = simd::goertzel_block_power_scalar(plan, x, ref.data());
        double scale = 0;
        for (float v : ref) scale = std::max(scale, static_cast<double>(v));
        for (simd::Target t : targets) {
          simd::set_target(t);
          REQUIRE(simd::current_target() == t);
          std::vector<float> out(plan.padded_tones + 4, -1.f);
          float* dst = out.data() + (offset % 3);  // misaligned output too
          const float ms = simd::goertzel_block_power(plan, x, dst);
          CAPTURE(simd::target_name(t));
          CAPTURE(tones);
          CAPTURE(n);
          CHECK(ms == doctest::Approx(ref_ms).epsilon(1e-5));
          for (std::size_t k = 0; k < plan.padded_tones; ++k) {
            CHECK(dst[k] == doctest::Approx(ref[k]).epsilon(1e-4).scale(scale));
          }
        }
      }
    }
  }
}

TEST_CASE("bad plans are refused with the value named") {
  const std::vector<double> ok{0.1};
  CHECK_THROWS_WITH_AS(simd::make_goertzel_plan(ok, 8), doctest::Contains("8"), std::invalid_argument);
  const std::vector<double> high{0.6};
  CHECK_THROWS_WITH_AS(simd::make_goertzel_plan(high, 160), doctest::Contains("4800"), std::invalid_argument);
  CHECK_THROWS_AS(GoertzelBank({{1000.0}, 160, 200, false}), std::invalid_argument);
}

TEST_CASE("bank output does not depend on chunk size, with and without overlap") {
  const auto signal = test::white_noise(8000, 0.05, 99);
  for (int hop : {160, 80, 37}) {
    for (bool hann : {false, true}) {
      std::vector<std::vector<float>> reference;
      for (std::size_t chunk : {1u, 37u, 160u, 1024u}) {
        GoertzelBank bank({{350.0, 440.0, 1100.0, 2100.0}, 160, hop, hann});
        std::vector<std::vector<float>> blocks;
        std::vector<SampleIndex> ends;
        test::feed_in_chunks(signal, chunk, [&](std::span<const float> part) {
          bank.process(part, [&](const GoertzelBank::Block& b) {
            std::vector<float> row(b.tone_power.begin(), b.tone_power.end());
            row.push_back(b.mean_square);
            blocks.push_back(row);
            ends.push_back(b.end_sample);
          });
        });
        CAPTURE(chunk);
        CAPTURE(hop);
        REQUIRE(!blocks.empty());
        CHECK(ends.front() == 160);
        CHECK(ends.size() == static_cast<std::size_t>((8000 - 160) / hop + 1));
        if (reference.empty()) {
          reference = blocks;
        } else {
          CHECK(blocks == reference);  // bit-identical
        }
      }
    }
  }
}

TEST_CASE("Hann taper keeps a sine's power and total power") {
  GoertzelBank bank({{1000.0, 1500.0}, 200, 0, true});
  std::vector<float> x(200);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.3f * static_cast<float>(std::cos(2 * kPi * 1000.0 * i / 8000.0));
  float p0 = 0, p1 = 0, ms = 0;
  bank.process(x, [&](const GoertzelBank::Block& b) {
    p0 = b.tone_power[0];
    p1 = b.tone_power[1];
    ms = b.mean_square;
  });
  CHECK(p0 == doctest::Approx(0.045).epsilon(0.01));
  CHECK(ms == doctest::Approx(0.045).epsilon(0.01));
  CHECK(p1 < 0.045 * 1e-4);  // 500 Hz away: far outside the Hann main lobe
}
