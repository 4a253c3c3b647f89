#include "tests/signal_synth.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <random>

namespace squeal::test {

namespace {

// Shapes x in the frequency domain by gain(f_hz) and rescales to mean_square.
std::vector<float> shape(std::vector<float> x, double mean_square_out,
                         double (*gain)(double f_hz, const void* ctx), const void* ctx) {
  const int n = static_cast<int>(x.size());
  std::vector<std::complex<float>> spec(static_cast<std::size_t>(n / 2 + 1));
  fftwf_plan fwd = fftwf_plan_dft_r2c_1d(n, x.data(), reinterpret_cast<fftwf_complex*>(spec.data()),
                                         FFTW_ESTIMATE);
  fftwf_execute(fwd);
  fftwf_destroy_plan(fwd);
  for (std::size_t k = 0; k < spec.size(); ++k) {
    const double f = 8000.0 * static_cast<double>(k) / n;
    spec[k] *= static_cast<float>(gain(f, ctx));
  }
  fftwf_plan inv = fftwf_plan_dft_c2r_1d(n, reinterpret_cast<fftwf_complex*>(spec.data()), x.data(),
                                         FFTW_ESTIMATE);
  fftwf_execute(inv);
  fftwf_destroy_plan(inv);
  const double ms = mean_square(x);
  const float scale = ms > 0 ? static_cast<float>(std::sqrt(mean_square_out / ms)) : 0.f;
  for (float& v : x) v *= scale;
  return x;
}

struct Band {
  double lo, hi;
};

}  // namespace

std::vector<float> white_noise(std::size_t n, double mean_square_out, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, static_cast<float>(std::sqrt(mean_square_out)));
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

std::vector<float> band_noise(std::size_t n, double mean_square_out, double lo_hz, double hi_hz,
                              std::uint32_t seed) {
  const Band band{lo_hz, hi_hz};
  return shape(white_noise(n, 1.0, seed), mean_square_out,
               [](double f, const void* ctx) {
                 const auto* b = static_cast<const Band*>(ctx);
                 return (f >= b->lo && f <= b->hi) ? 1.0 : 0.0;
               },
               &band);
}

std::vector<float> speech_like_noise(std::size_t n, double mean_square_out, std::uint32_t seed) {
  std::vector<float> x = shape(white_noise(n, 1.0, seed), 1.0,
                               [](double f, const void*) {
                                 if (f < 100.0 || f > 3800.0) return 0.0;
                                 // Long-term speech spectrum: flat to 500 Hz, -6 dB/octave above.
                                 return f < 500.0 ? 1.0 : 500.0 / f;
                               },
                               nullptr);
  // Syllabic gating: ~4 Hz raised-cosine bursts of random length, with pauses.
  std::mt19937 rng(seed ^ 0x5eedu);
  std::uniform_real_distribution<double> syllable_s(0.12, 0.35), pause_s(0.02, 0.4), gain(0.3, 1.0);
  std::size_t i = 0;
  while (i < n) {
    const auto on = static_cast<std::size_t>(syllable_s(rng) * 8000.0);
    const auto off = static_cast<std::size_t>(pause_s(rng) * 8000.0);
    const double g = gain(rng);
    for (std::size_t k = 0; k < on && i < n; ++k, ++i) {
      x[i] *= static_cast<float>(g * std::sin(3.14159265358979 * static_cast<double>(k) / on));
    }
    for (std::size_t k = 0; k < off && i < n; ++k, ++i) x[i] = 0.f;
  }
  const double ms = mean_square(x);
  const float scale = ms > 0 ? static_cast<float>(std::sqrt(mean_square_out / ms)) : 0.f;
  for (float& v : x) v *= scale;
  return x;
}

double mean_square(std::span<const float> x) {
  double sum = 0;
  for (float v : x) sum += static_cast<double>(v) * v;
  return x.empty() ? 0.0 : sum / static_cast<double>(x.size());
}

void add_into(std::vector<float>& a, std::span<const float> b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) a[i] += b[i];
}

}  // namespace squeal::test
