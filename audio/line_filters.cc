#include "audio/line_filters.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "audio/line_sim.h"  // G.711 declarations

namespace squeal {

// ---------------------------------------------------------------- G.711

namespace {
constexpr int kUlawBias = 132;     // G.711 μ-law: 33 on the 14-bit scale, ×4 on the 16-bit scale
constexpr int kUlawClip = 32635;   // largest magnitude before the bias would overflow segment 7
}  // namespace

std::uint8_t linear_to_ulaw(std::int16_t linear) noexcept {
  const int v = linear;
  const int sign = v < 0 ? 0x80 : 0x00;
  const int mag = std::min(v < 0 ? -v : v, kUlawClip) + kUlawBias;            // 132..32767
  const int segment = std::bit_width(static_cast<unsigned>(mag)) - 8;         // 0..7
  const int mantissa = (mag >> (segment + 3)) & 0x0F;
  return static_cast<std::uint8_t>(~(sign | (segment << 4) | mantissa));      // all bits inverted
}

std::int16_t ulaw_to_linear(std::uint8_t code) noexcept {
  const int c = static_cast<std::uint8_t>(~code);
  const int mag = ((((c & 0x0F) << 3) + kUlawBias) << ((c >> 4) & 7)) - kUlawBias;
  return static_cast<std::int16_t>((c & 0x80) ? -mag : mag);
}

std::uint8_t linear_to_alaw(std::int16_t linear) noexcept {
  const int v = linear;
  const int mask = v >= 0 ? 0xD5 : 0x55;            // sign bit set for positive, even bits inverted
  const int mag = (v >= 0 ? v : -v - 1) >> 3;       // 12-bit magnitude (13-bit A-law scale)
  int segment = 0, mantissa = mag >> 1;
  if (mag >= 32) {
    segment = std::bit_width(static_cast<unsigned>(mag)) - 5;  // 1..7
    mantissa = (mag >> segment) & 0x0F;
  }
  return static_cast<std::uint8_t>(((segment << 4) | mantissa) ^ mask);
}

std::int16_t alaw_to_linear(std::uint8_t code) noexcept {
  const int a = code ^ 0x55;
  const int segment = (a >> 4) & 7;
  int mag = (a & 0x0F) << 4;
  mag = segment == 0 ? mag + 8 : (mag + 0x108) << (segment - 1);  // interval midpoints
  return static_cast<std::int16_t>((a & 0x80) ? mag : -mag);
}

const std::vector<float>& g711_round_trip_table(bool codec_ulaw) {
  static const auto build = [](bool ulaw) {
    std::vector<float> t(65536);
    for (int v = -32768; v <= 32767; ++v) {
      const auto linear = static_cast<std::int16_t>(v);
      t[static_cast<std::size_t>(v + 32768)] =
          (ulaw ? ulaw_to_linear(linear_to_ulaw(linear)) : alaw_to_linear(linear_to_alaw(linear))) / 32768.0f;
    }
    return t;
  };
  static const std::vector<float> ulaw = build(true), alaw = build(false);
  return codec_ulaw ? ulaw : alaw;
}

void apply_g711(const float* table, std::span<float> x) noexcept {
  constexpr std::size_t kStep = 128;
  std::int32_t index[kStep];
  for (std::size_t done = 0; done < x.size(); done += kStep) {
    float* p = x.data() + done;
    const std::size_t k = std::min(kStep, x.size() - done);
    for (std::size_t i = 0; i < k; ++i) {  // vectorises: clamp first (NaN → -32768), then round to even like lrint
      float v = p[i] * 32768.0f;
      v = v >= -32768.0f ? v : -32768.0f;
      v = v <= 32767.0f ? v : 32767.0f;
      v = (v + 0x1.8p23f) - 0x1.8p23f;  // exact for |v| < 2^22 without -ffast-math, no libm call
      index[i] = static_cast<std::int32_t>(v) + 32768;
    }
    for (std::size_t i = 0; i < k; ++i) p[i] = table[index[i]];  // table values are within ±32256/32768
  }
}

// ---------------------------------------------------------------- BlockFir


void BlockFir::init(std::span<const float> taps, int fft_size, int channels) {
  release();
  fft_size_ = fft_size;
  channels_ = channels;
  taps_ = taps.size();
  history_ = taps_ - 1;
  capacity_ = fft_size == 0 ? history_ + kDirectSpan : static_cast<std::size_t>(fft_size);
  const std::size_t outputs = fft_size == 0 ? kDirectSpan : capacity_ - history_;
  for (int c = 0; c < channels; ++c) {
    input_[c] = fftwf_alloc_real(capacity_);
    output_[c] = fftwf_alloc_real(outputs);
  }
  if (fft_size == 0) {
    reversed_ = fftwf_alloc_real(taps_);
    std::reverse_copy(taps.begin(), taps.end(), reversed_);
    reset();
    return;
  }
  const std::size_t n = capacity_, bins = channels == 1 ? n / 2 + 1 : n;
  spectrum_ = fftwf_alloc_complex(bins);
  response_ = fftwf_alloc_complex(bins);
  if (channels == 2) packed_ = fftwf_alloc_complex(n);
  {
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    if (channels == 1) {
      real_out_ = fftwf_alloc_real(n);
      forward_ = fftwf_plan_dft_r2c_1d(fft_size, input_[0], spectrum_, FFTW_ESTIMATE);
      inverse_ = fftwf_plan_dft_c2r_1d(fft_size, spectrum_, real_out_, FFTW_ESTIMATE);
    } else {
      forward_ = fftwf_plan_dft_1d(fft_size, packed_, spectrum_, FFTW_FORWARD, FFTW_ESTIMATE);
      inverse_ = fftwf_plan_dft_1d(fft_size, spectrum_, packed_, FFTW_BACKWARD, FFTW_ESTIMATE);
    }
  }
  // H / N (FFTW's inverse is unnormalised), by the same forward plan
  if (channels == 1) {
    std::fill(input_[0], input_[0] + n, 0.0f);
    std::copy(taps.begin(), taps.end(), input_[0]);
  } else {
    for (std::size_t i = 0; i < n; ++i) packed_[i][0] = packed_[i][1] = 0;
    for (std::size_t i = 0; i < taps_; ++i) packed_[i][0] = taps[i];
  }
  fftwf_execute(forward_);
  for (std::size_t k = 0; k < bins; ++k) {
    response_[k][0] = spectrum_[k][0] / static_cast<float>(n);
    response_[k][1] = spectrum_[k][1] / static_cast<float>(n);
  }
  reset();
}

void BlockFir::reset() noexcept {
  for (int c = 0; c < channels_; ++c) std::fill(input_[c], input_[c] + capacity_, 0.0f);
  fill_ = history_;
}

std::size_t BlockFir::commit(std::size_t k) noexcept {
  const std::size_t first = fill_;
  fill_ += k;
  if (fft_size_ == 0) {
    for (int c = 0; c < channels_; ++c) {
      const float* in = input_[c];
      float* out = output_[c];
      for (std::size_t i = 0; i < k; ++i) {
        // Σ h·w as 8 interleaved partial sums: vectorises without -ffast-math, same order for every output
        const float* w = in + first + i - history_;
        float acc[8] = {};
        const std::size_t main = taps_ / 8 * 8;
        for (std::size_t t = 0; t < main; t += 8)
          for (std::size_t j = 0; j < 8; ++j) acc[j] += reversed_[t + j] * w[t + j];
        float tail = 0;
        for (std::size_t t = main; t < taps_; ++t) tail += reversed_[t] * w[t];
        out[i] = (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))) + tail;
      }
    }
    if (fill_ == capacity_) {
      for (int c = 0; c < channels_; ++c) std::copy(input_[c] + fill_ - history_, input_[c] + fill_, input_[c]);
      fill_ = history_;
    }
    return k;
  }
  if (fill_ < capacity_) return 0;
  run_fft();
  for (int c = 0; c < channels_; ++c) std::copy(input_[c] + capacity_ - history_, input_[c] + capacity_, input_[c]);
  fill_ = history_;
  return capacity_ - history_;
}

void BlockFir::run_fft() noexcept {
  const std::size_t n = capacity_, block = capacity_ - history_;
  if (channels_ == 2) {
    const float* a = input_[0];
    const float* b = input_[1];
    for (std::size_t i = 0; i < n; ++i) {
      packed_[i][0] = a[i];
      packed_[i][1] = b[i];
    }
  }
  fftwf_execute(forward_);
  const std::size_t bins = channels_ == 1 ? n / 2 + 1 : n;
  for (std::size_t k = 0; k < bins; ++k) {
    const float re = spectrum_[k][0] * response_[k][0] - spectrum_[k][1] * response_[k][1];
    const float im = spectrum_[k][0] * response_[k][1] + spectrum_[k][1] * response_[k][0];
    spectrum_[k][0] = re;
    spectrum_[k][1] = im;
  }
  fftwf_execute(inverse_);  // outputs history_.. are the linear convolution (overlap-save)
  if (channels_ == 1) {
    std::copy(real_out_ + history_, real_out_ + n, output_[0]);
    return;
  }
  float* a = output_[0];
  float* b = output_[1];
  for (std::size_t i = 0; i < block; ++i) {
    a[i] = packed_[history_ + i][0];
    b[i] = packed_[history_ + i][1];
  }
}

void BlockFir::release() noexcept {
  if (forward_ || inverse_) {
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    if (forward_) fftwf_destroy_plan(forward_);
    if (inverse_) fftwf_destroy_plan(inverse_);
  }
  forward_ = inverse_ = nullptr;
  for (float* p : {input_[0], input_[1], output_[0], output_[1], reversed_, real_out_}) fftwf_free(p);
  for (fftwf_complex* p : {spectrum_, response_, packed_}) fftwf_free(p);
  input_ = output_ = {};
  reversed_ = real_out_ = nullptr;
  spectrum_ = response_ = packed_ = nullptr;
  taps_ = 0;
}

// ---------------------------------------------------------------- Gaussian noise

std::uint64_t splitmix64(std::uint64_t& x) noexcept {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

namespace {

/// Ziggurat tables (Marsaglia & Tsang 2000, 128 layers) for standard normal samples.
struct Ziggurat {
  static constexpr double kTail = 3.442619855899;  // r: start of the tail
  std::uint32_t k[128];                            // |hz| below k[i]: inside layer i's rectangle
  double w[128];                                   // layer i width / 2^31
  float w_float[128];                              // w as float (fast path: one rounding of hz·w)
  double f[128];                                   // exp(-x_i²/2)
};

const Ziggurat kZiggurat = [] {
  Ziggurat t{};
  constexpr double m1 = 2147483648.0, area = 9.91256303526217e-3;
  double dn = Ziggurat::kTail, tn = dn;
  const double q = area / std::exp(-0.5 * dn * dn);
  t.k[0] = static_cast<std::uint32_t>(dn / q * m1);
  t.k[1] = 0;
  t.w[0] = q / m1;
  t.w[127] = dn / m1;
  t.f[0] = 1.0;
  t.f[127] = std::exp(-0.5 * dn * dn);
  for (int i = 126; i >= 1; --i) {
    dn = std::sqrt(-2.0 * std::log(area / dn + std::exp(-0.5 * dn * dn)));
    t.k[i + 1] = static_cast<std::uint32_t>(dn / tn * m1);
    tn = dn;
    t.f[i] = std::exp(-0.5 * dn * dn);
    t.w[i] = dn / m1;
  }
  for (int i = 0; i < 128; ++i) t.w_float[i] = static_cast<float>(t.w[i]);
  return t;
}();

}  // namespace

void GaussianNoise::seed(std::uint64_t seed) noexcept {
  has_spare_ = false;
  for (std::uint64_t& w : rng_) w = splitmix64(seed);
}

inline std::uint64_t GaussianNoise::next_u64() noexcept {  // xoshiro256**
  const std::uint64_t result = std::rotl(rng_[1] * 5, 7) * 9;
  const std::uint64_t t = rng_[1] << 17;
  rng_[2] ^= rng_[0]; rng_[3] ^= rng_[1]; rng_[1] ^= rng_[2]; rng_[0] ^= rng_[3];
  rng_[2] ^= t; rng_[3] = std::rotl(rng_[3], 45);
  return result;
}

// One 32-bit word per sample: the low 7 bits pick the layer, the other 25 the
// value (hz, a multiple of 128: exact as a float). Two samples per xoshiro draw;
// the unused half is kept, so the sequence does not depend on how it is asked for.
inline float GaussianNoise::from_word(std::uint32_t word) noexcept {
  const auto hz = static_cast<std::int32_t>(word & ~std::uint32_t{127});
  const std::size_t iz = word & 127;
  const std::uint32_t mag = hz < 0 ? 0u - static_cast<std::uint32_t>(hz) : static_cast<std::uint32_t>(hz);
  if (mag < kZiggurat.k[iz]) return static_cast<float>(hz) * kZiggurat.w_float[iz];  // inside the rectangle: 98.8 %
  return slow_path(hz, iz);
}

float GaussianNoise::next() noexcept {
  if (has_spare_) {
    has_spare_ = false;
    return from_word(spare_);
  }
  const std::uint64_t u = next_u64();
  spare_ = static_cast<std::uint32_t>(u >> 32);
  has_spare_ = true;
  return from_word(static_cast<std::uint32_t>(u));
}

float GaussianNoise::slow_path(std::int32_t hz, std::size_t iz) noexcept {
  const Ziggurat& z = kZiggurat;
  const auto uniform_open = [this] { return (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53; };  // (0, 1]
  for (;;) {
    const double x = hz * z.w[iz];
    const std::uint32_t mag = hz < 0 ? 0u - static_cast<std::uint32_t>(hz) : static_cast<std::uint32_t>(hz);
    if (mag < z.k[iz]) return static_cast<float>(x);
    if (iz == 0) {  // tail beyond r (Marsaglia 1964)
      double xt = 0, y = 0;
      do {
        xt = -std::log(uniform_open()) / Ziggurat::kTail;
        y = -std::log(uniform_open());
      } while (y + y < xt * xt);
      return static_cast<float>(hz > 0 ? Ziggurat::kTail + xt : -(Ziggurat::kTail + xt));
    }
    const std::uint64_t u = next_u64();
    const double v = static_cast<double>(u >> 11) * 0x1.0p-53;
    if (z.f[iz] + v * (z.f[iz - 1] - z.f[iz]) < std::exp(-0.5 * x * x)) return static_cast<float>(x);
    const auto word = static_cast<std::uint32_t>(next_u64());  // retry with a fresh word
    hz = static_cast<std::int32_t>(word & ~std::uint32_t{127});
    iz = word & 127;
  }
}

void GaussianNoise::fill(std::span<float> out, float sigma) noexcept {
  std::size_t i = 0;
  if (has_spare_ && !out.empty()) out[i++] = sigma * next();
  for (; i + 2 <= out.size(); i += 2) {
    const std::uint64_t u = next_u64();
    out[i] = sigma * from_word(static_cast<std::uint32_t>(u));
    out[i + 1] = sigma * from_word(static_cast<std::uint32_t>(u >> 32));
  }
  if (i < out.size()) out[i] = sigma * next();
}

}  // namespace squeal
