#include "audio/line_sim.h"

#include <complex>  // before liquid.h: makes liquid_float_complex std::complex<float>

#include <fftw3.h>
#include <liquid/liquid.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>

#include "dsp/levels.h"

namespace squeal {

// ---------------------------------------------------------------- names

std::string_view line_shape_name(LineShape shape) noexcept {
  switch (shape) {
    case LineShape::none: return "none";
    case LineShape::flat: return "flat";
    case LineShape::mid: return "mid";
    case LineShape::long_loop: return "long";
  }
  return "?";
}

LineShape parse_line_shape(std::string_view name) {
  for (const LineShape s : {LineShape::none, LineShape::flat, LineShape::mid, LineShape::long_loop}) {
    if (name == line_shape_name(s)) return s;
  }
  throw std::invalid_argument("unknown line shape '" + std::string(name) + "' (none, flat, mid, long)");
}

std::string_view line_codec_name(LineCodec codec) noexcept {
  switch (codec) {
    case LineCodec::none: return "none";
    case LineCodec::ulaw: return "ulaw";
    case LineCodec::alaw: return "alaw";
  }
  return "?";
}

LineCodec parse_line_codec(std::string_view name) {
  if (name == "none") return LineCodec::none;
  if (name == "ulaw" || name == "mulaw") return LineCodec::ulaw;
  if (name == "alaw") return LineCodec::alaw;
  throw std::invalid_argument("unknown line codec '" + std::string(name) + "' (none, ulaw, alaw)");
}

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

namespace {

// ---------------------------------------------------------------- design

/// Desired shape magnitude (linear) at f: the 300..3400 band edges
/// (raised-cosine, 150→400 Hz and 3300→3700 Hz) times the loop slope.
double shape_magnitude(LineShape shape, double f_hz) {
  if (shape == LineShape::none) return 1.0;
  double band = 0;
  if (f_hz <= 150 || f_hz >= 3700) band = 0;
  else if (f_hz < 400) band = 0.5 - 0.5 * std::cos(kPi * (f_hz - 150) / 250);
  else if (f_hz <= 3300) band = 1;
  else band = 0.5 + 0.5 * std::cos(kPi * (f_hz - 3300) / 400);
  const double x = f_hz / 1000.0 - 1.0;  // 0 at 1 kHz, the reference frequency
  double slope_db = 0;
  if (shape == LineShape::mid) slope_db = -1.75 * x;                      // medium loop
  if (shape == LineShape::long_loop) slope_db = -4.15 * x * x + 2.8 * x;  // long loaded loop
  return band * std::pow(10.0, slope_db / 20.0);
}

std::mutex& fftw_planner_mutex() {
  static std::mutex m;  // FFTW's planner is not thread-safe
  return m;
}

/// Linear-phase FIR by frequency sampling: 4096-point inverse FFT of the
/// desired zero-phase magnitude, kShapeTaps taps around t = 0, Kaiser window β = 6.
std::vector<float> design_shape(LineShape shape) {
  constexpr int kFft = 4096;
  constexpr int kTaps = LinePath::kShapeTaps;
  std::vector<float> time(kFft);
  auto* spec = static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * (kFft / 2 + 1)));
  for (int m = 0; m <= kFft / 2; ++m) {
    spec[m][0] = static_cast<float>(shape_magnitude(shape, m * kSampleRate / kFft));
    spec[m][1] = 0;
  }
  {
    const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
    fftwf_plan plan = fftwf_plan_dft_c2r_1d(kFft, spec, time.data(), FFTW_ESTIMATE);
    fftwf_execute(plan);
    fftwf_destroy_plan(plan);
  }
  fftwf_free(spec);
  std::vector<float> taps(kTaps);
  constexpr int half = (kTaps - 1) / 2;
  for (int i = 0; i < kTaps; ++i) {
    const int k = (i - half + kFft) % kFft;
    taps[static_cast<std::size_t>(i)] =
        time[static_cast<std::size_t>(k)] / kFft * liquid_kaiser(static_cast<unsigned>(i), kTaps, 6.0f);
  }
  return taps;
}

/// |H(f)|² of an FIR.
double fir_power_gain(const std::vector<float>& taps, double f_hz) {
  std::complex<double> sum = 0;
  const double w = 2 * kPi * f_hz / kSampleRate;
  for (std::size_t k = 0; k < taps.size(); ++k) sum += static_cast<double>(taps[k]) * std::polar(1.0, -w * static_cast<double>(k));
  return std::norm(sum);
}

std::string format_value(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

void require(bool ok, const char* name, double value, const char* range) {
  if (ok) return;
  throw std::invalid_argument(std::string("LinePathConfig.") + name + " = " + format_value(value) +
                              " is out of range " + range);
}

void validate(const LinePathConfig& c) {
  require(c.delay_ms >= 0 && c.delay_ms <= 100, "delay_ms", c.delay_ms, "0..100");
  require(c.gain_db >= -40 && c.gain_db <= 6, "gain_db", c.gain_db, "-40..+6");
  require((c.snr_db >= -20 && c.snr_db <= 100) || c.snr_db == INFINITY, "snr_db", c.snr_db, "-20..100 or +inf");
  require(c.reference_level_dbm0 >= -60 && c.reference_level_dbm0 <= 3, "reference_level_dbm0",
          c.reference_level_dbm0, "-60..+3");
  require(c.offset_hz >= -10 && c.offset_hz <= 10, "offset_hz", c.offset_hz, "-10..+10");
  require(c.skew_ppm >= -200 && c.skew_ppm <= 200, "skew_ppm", c.skew_ppm, "-200..+200");
  require(static_cast<int>(c.codec) <= 2, "codec", static_cast<int>(c.codec), "none, ulaw, alaw");
  require(static_cast<int>(c.shape) <= 3, "shape", static_cast<int>(c.shape), "none, flat, mid, long");
}

constexpr std::size_t kSkewRing = 128;   // >= slip + taps + 2, power of 2
constexpr std::size_t kBulkRing = 1024;  // > 100 ms at 8 kHz, power of 2
constexpr int kFracBits = 32;            // skew read offset: fixed point, 2^-32 sample
constexpr int kPhaseBits = 6;            // log2(kSkewPhases)
static_assert(1 << kPhaseBits == LinePath::kSkewPhases);

std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

constexpr int kHistory = LinePath::kShapeTaps - 1;  // FIR memory: 160 samples before the newest
constexpr std::size_t kDirectSpan = 1024;           // direct-form FIR: pushes between history moves
constexpr std::uint64_t kMixResync = 1024;          // mixer phasor recomputed exactly at multiples of this index

/// Σ h[i]·w[i] over kShapeTaps taps as 8 interleaved partial sums: vectorises
/// without -ffast-math, and every output sample is summed in the same order.
float dot_taps(const float* h, const float* w) noexcept {
  constexpr int kMain = LinePath::kShapeTaps / 8 * 8;
  float acc[8] = {};
  for (int k = 0; k < kMain; k += 8)
    for (int j = 0; j < 8; ++j) acc[j] += h[k + j] * w[k + j];
  float tail = 0;
  for (int k = kMain; k < LinePath::kShapeTaps; ++k) tail += h[k] * w[k];
  return (((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]))) + tail;
}

/// Largest FFT size whose overlap-save block (N - 160 new samples) is at most
/// max_block; 0 (direct form) when even the smallest is too long.
int fft_size_for_block(std::size_t max_block) noexcept {
  for (const int n : {2048, 1024, 768, 640, 512, 384, 320, 256})
    if (static_cast<std::size_t>(n - kHistory) <= max_block) return n;
  return 0;
}

/// kShapeTaps-tap FIR y[m] = Σ h[k]·u[m-k] on a stream pushed one sample at a
/// time. With an FFT size N it computes N - 160 outputs at once by overlap-save
/// (FFTW, FFTW_ESTIMATE plans so the arithmetic is the same in every run);
/// with N = 0 one output per push as a dot product. Blocks count from the
/// stream start, so the outputs do not depend on how the caller chunks its work.
class BlockFir {
 public:
  BlockFir() = default;
  BlockFir(const BlockFir&) = delete;
  BlockFir& operator=(const BlockFir&) = delete;
  ~BlockFir() { release(); }

  void init(const std::vector<float>& taps, int fft_size) {
    release();
    fft_size_ = fft_size;
    if (fft_size == 0) {
      block_ = 1;
      capacity_ = kHistory + kDirectSpan;
      input_ = fftwf_alloc_real(capacity_);
      output_ = fftwf_alloc_real(1);
      reversed_ = fftwf_alloc_real(LinePath::kShapeTaps);
      std::reverse_copy(taps.begin(), taps.end(), reversed_);
    } else {
      const auto n = static_cast<std::size_t>(fft_size), bins = n / 2 + 1;
      block_ = fft_size - kHistory;
      capacity_ = n;
      input_ = fftwf_alloc_real(n);
      output_ = fftwf_alloc_real(n);
      spectrum_ = fftwf_alloc_complex(bins);
      response_ = fftwf_alloc_complex(bins);
      {
        const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
        forward_ = fftwf_plan_dft_r2c_1d(fft_size, input_, spectrum_, FFTW_ESTIMATE);
        inverse_ = fftwf_plan_dft_c2r_1d(fft_size, spectrum_, output_, FFTW_ESTIMATE);
      }
      std::fill(input_, input_ + n, 0.0f);
      std::copy(taps.begin(), taps.end(), input_);
      fftwf_execute(forward_);
      for (std::size_t k = 0; k < bins; ++k) {  // H / N: FFTW's inverse is unnormalised
        response_[k][0] = spectrum_[k][0] / static_cast<float>(n);
        response_[k][1] = spectrum_[k][1] / static_cast<float>(n);
      }
    }
    reset();
  }

  void reset() noexcept {
    std::fill(input_, input_ + capacity_, 0.0f);
    fill_ = kHistory;
  }
  /// The kHistory inputs before the first push, oldest first (zero after reset).
  float* history() noexcept { return input_; }
  int block() const noexcept { return block_; }
  /// Outputs of the block the last completing push() ended.
  const float* output() const noexcept { return fft_size_ ? output_ + kHistory : output_; }

  /// Appends u; true when block() new outputs are ready in output().
  bool push(float u) noexcept {
    input_[fill_++] = u;
    if (fft_size_ == 0) {
      output_[0] = dot_taps(reversed_, input_ + fill_ - LinePath::kShapeTaps);
      if (fill_ == capacity_) {
        std::copy(input_ + fill_ - kHistory, input_ + fill_, input_);
        fill_ = kHistory;
      }
      return true;
    }
    if (fill_ < capacity_) return false;
    fftwf_execute(forward_);
    const std::size_t bins = capacity_ / 2 + 1;
    for (std::size_t k = 0; k < bins; ++k) {
      const float re = spectrum_[k][0] * response_[k][0] - spectrum_[k][1] * response_[k][1];
      const float im = spectrum_[k][0] * response_[k][1] + spectrum_[k][1] * response_[k][0];
      spectrum_[k][0] = re;
      spectrum_[k][1] = im;
    }
    fftwf_execute(inverse_);  // outputs kHistory.. are the linear convolution (overlap-save)
    std::copy(input_ + block_, input_ + capacity_, input_);
    fill_ = kHistory;
    return true;
  }

 private:
  void release() noexcept {
    if (forward_ || inverse_) {
      const std::lock_guard<std::mutex> lock(fftw_planner_mutex());
      if (forward_) fftwf_destroy_plan(forward_);
      if (inverse_) fftwf_destroy_plan(inverse_);
    }
    forward_ = inverse_ = nullptr;
    for (float* p : {input_, output_, reversed_}) fftwf_free(p);
    for (fftwf_complex* p : {spectrum_, response_}) fftwf_free(p);
    input_ = output_ = reversed_ = nullptr;
    spectrum_ = response_ = nullptr;
  }

  int fft_size_ = 0;                     // N, 0 = direct form
  int block_ = 1;                        // outputs per completed block
  std::size_t capacity_ = 0;             // input_ length
  std::size_t fill_ = 0;                 // next write position in input_
  float* input_ = nullptr;               // kHistory old samples, then the block being filled
  float* output_ = nullptr;              // inverse FFT (outputs from kHistory), or the one direct output
  float* reversed_ = nullptr;            // direct form: taps reversed, so the window is oldest first
  fftwf_complex* spectrum_ = nullptr;    // FFT of input_
  fftwf_complex* response_ = nullptr;    // FFT of the zero-padded taps / N
  fftwf_plan forward_ = nullptr;         // input_ → spectrum_
  fftwf_plan inverse_ = nullptr;         // spectrum_ → output_
};

/// Ziggurat tables (Marsaglia & Tsang 2000, 128 layers) for standard normal samples.
struct Ziggurat {
  static constexpr double kTail = 3.442619855899;  // r: start of the tail
  std::uint32_t k[128];                            // |hz| below k[i]: inside layer i's rectangle
  double w[128];                                   // layer i width / 2^31
  double f[128];                                   // exp(-x_i²/2)
};

const Ziggurat& ziggurat() {
  static const Ziggurat table = [] {
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
    return t;
  }();
  return table;
}

/// G.711 encode + decode of every 16-bit linear value, as x / 32768.
using CodecTable = std::vector<float>;
const CodecTable& codec_table(LineCodec codec) {
  static const auto build = [](LineCodec c) {
    CodecTable t(65536);
    for (int v = -32768; v <= 32767; ++v) {
      const auto linear = static_cast<std::int16_t>(v);
      t[static_cast<std::size_t>(v + 32768)] =
          (c == LineCodec::ulaw ? ulaw_to_linear(linear_to_ulaw(linear)) : alaw_to_linear(linear_to_alaw(linear))) /
          32768.0f;
    }
    return t;
  };
  static const CodecTable ulaw = build(LineCodec::ulaw), alaw = build(LineCodec::alaw);
  return codec == LineCodec::ulaw ? ulaw : alaw;
}

}  // namespace

// ---------------------------------------------------------------- LinePath

struct LinePath::State {
  // skew (polyphase interpolator)
  std::vector<float> skew_tables;        // (kSkewPhases+1) × kSkewTapsPerPhase kernels g(j - q/P)
  std::vector<float> skew_history;       // input ring, kSkewRing
  std::int64_t skew_step_fx = 0;         // skew·2^32: read offset decrease per sample
  std::int64_t skew_start_fx = 0;        // read offset at sample 0 (2^-32 samples)
  std::int64_t skew_delay_fx = 0;        // current read offset behind the newest input (2^-32 samples)
  // shape
  std::vector<float> shape_taps;         // linear-phase FIR (empty for none)
  BlockFir shape_fir;                    // shape_taps; when merged, also filters the noise
  bool merged = false;                   // shape flat, no offset, noise on: one FIR on gain·x[m-D] + σ·w[m]
  float gain = 1;                        // linear gain
  // offset
  firhilbf hilbert = nullptr;            // real → analytic (nullptr when offset is 0)
  double mix_phase = 0;                  // mixer phase (rad, wrapped to [0, 2π))
  double mix_step = 0;                   // 2π·offset/fs
  double mix_cos = 1, mix_sin = 0;       // cos, sin of mix_phase (rotated between exact resyncs)
  double step_cos = 1, step_sin = 0;     // cos, sin of mix_step
  // bulk delay
  std::vector<float> bulk;               // ring, kBulkRing: stage output before the bulk delay (merged: line output before the codec)
  std::size_t bulk_delay = 0;            // samples
  std::uint64_t written = 0;             // samples written to bulk so far
  // noise
  std::vector<float> noise_taps;         // flat 300..3400 FIR
  BlockFir noise_fir;                    // noise_taps on σ·w, 1888-sample blocks (not merged)
  bool noise_on = false;                 // snr_db finite
  float noise_sigma = 0;                 // white-noise std dev before the filter
  std::uint64_t noise_end = 0;           // noise_fir outputs cover [noise_end - block, noise_end)
  std::uint64_t rng[4] = {};             // xoshiro256** state
  const float* codec_table = nullptr;    // G.711 round trip per 16-bit value (nullptr: no codec)
  std::uint64_t n = 0;                   // samples processed since reset

  ~State() {
    if (hilbert) firhilbf_destroy(hilbert);
  }

  std::uint64_t next_u64() noexcept {  // xoshiro256**
    const std::uint64_t result = std::rotl(rng[1] * 5, 7) * 9;
    const std::uint64_t t = rng[1] << 17;
    rng[2] ^= rng[0]; rng[3] ^= rng[1]; rng[1] ^= rng[2]; rng[0] ^= rng[3];
    rng[2] ^= t; rng[3] = std::rotl(rng[3], 45);
    return result;
  }

  double uniform_open() noexcept { return (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53; }  // (0, 1]

  /// Standard normal sample by the ziggurat: 32 bits for the value, 7 other bits for the layer.
  float gaussian() noexcept {
    const Ziggurat& z = ziggurat();
    std::uint64_t u = next_u64();
    for (;;) {
      const auto hz = static_cast<std::int32_t>(static_cast<std::uint32_t>(u >> 32));
      const auto iz = static_cast<std::size_t>(u & 127);
      const std::uint32_t mag = hz < 0 ? 0u - static_cast<std::uint32_t>(hz) : static_cast<std::uint32_t>(hz);
      const double x = hz * z.w[iz];
      if (mag < z.k[iz]) return static_cast<float>(x);  // inside the rectangle: 98.8 %
      if (iz == 0) {  // tail beyond r (Marsaglia 1964)
        double xt = 0, y = 0;
        do {
          xt = -std::log(uniform_open()) / Ziggurat::kTail;
          y = -std::log(uniform_open());
        } while (y + y < xt * xt);
        return static_cast<float>(hz > 0 ? Ziggurat::kTail + xt : -(Ziggurat::kTail + xt));
      }
      const double v = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
      if (z.f[iz] + v * (z.f[iz - 1] - z.f[iz]) < std::exp(-0.5 * x * x)) return static_cast<float>(x);
      u = next_u64();
    }
  }

  float skew(float x) noexcept {
    constexpr int kM = kSkewTapsPerPhase;
    skew_history[n & (kSkewRing - 1)] = x;
    const std::int64_t d_int = skew_delay_fx >> kFracBits;
    const std::uint64_t d_frac = static_cast<std::uint64_t>(skew_delay_fx) & 0xFFFFFFFFull;
    // read time n - d = i + a, 0 <= a < 1
    std::uint64_t i = n - static_cast<std::uint64_t>(d_int);
    std::uint64_t a_fx = 0;
    if (d_frac != 0) { --i; a_fx = (1ull << kFracBits) - d_frac; }
    const std::size_t q = static_cast<std::size_t>(a_fx >> (kFracBits - kPhaseBits));
    const float r = static_cast<float>(a_fx & ((1ull << (kFracBits - kPhaseBits)) - 1)) * 0x1.0p-26f;
    const float* t0 = &skew_tables[q * kM];
    const float* t1 = t0 + kM;
    float acc = 0;
    const std::uint64_t first = i - (kM / 2 - 1);  // wraps harmlessly through the ring mask
    for (int j = 0; j < kM; ++j) {
      const float g = t0[j] + r * (t1[j] - t0[j]);
      acc += g * skew_history[(first + static_cast<std::uint64_t>(j)) & (kSkewRing - 1)];
    }
    // advance: the far end's clock runs fast, so the read point gains on the write point
    skew_delay_fx -= skew_step_fx;
    constexpr std::int64_t lo = std::int64_t{kSkewMinDelaySamples} << kFracBits;
    constexpr std::int64_t hi = std::int64_t{kSkewMinDelaySamples + kSkewSlipSamples} << kFracBits;
    constexpr std::int64_t slip = std::int64_t{kSkewSlipSamples} << kFracBits;
    if (skew_delay_fx < lo) skew_delay_fx += slip;  // slip: repeat kSkewSlipSamples
    if (skew_delay_fx > hi) skew_delay_fx -= slip;  // slip: drop kSkewSlipSamples
    return acc;
  }

  /// Gain and frequency offset of one shape-filter output; into the bulk ring.
  void after_shape(float x) noexcept {
    x *= gain;
    if (hilbert) {
      std::complex<float> analytic;
      firhilbf_r2c_execute(hilbert, x, &analytic);
      if (written % kMixResync == 0) {  // exact phasor at fixed indices: no drift, chunking-independent
        mix_cos = std::cos(mix_phase);
        mix_sin = std::sin(mix_phase);
      }
      x = analytic.real() * static_cast<float>(mix_cos) - analytic.imag() * static_cast<float>(mix_sin);
      const double c = mix_cos * step_cos - mix_sin * step_sin;
      mix_sin = mix_sin * step_cos + mix_cos * step_sin;
      mix_cos = c;
      mix_phase += mix_step;
      if (mix_phase >= 2 * kPi) mix_phase -= 2 * kPi;
      if (mix_phase < 0) mix_phase += 2 * kPi;
    }
    bulk[written++ & (kBulkRing - 1)] = x;
  }

  /// Merged FIR outputs (line before the codec) into the bulk ring.
  void push_merged(float u) noexcept {
    if (!shape_fir.push(u)) return;
    const float* y = shape_fir.output();
    for (int j = 0; j < shape_fir.block(); ++j) bulk[written++ & (kBulkRing - 1)] = y[j];
  }

  /// Filtered noise at sample n (not merged).
  float noise_at(std::uint64_t index) noexcept {
    if (index >= noise_end) {
      while (!noise_fir.push(noise_sigma * gaussian())) {}
      noise_end += static_cast<std::uint64_t>(noise_fir.block());
    }
    return noise_fir.output()[index - (noise_end - static_cast<std::uint64_t>(noise_fir.block()))];
  }
};

LinePath::LinePath(const LinePathConfig& config) : config_(config) {
  validate(config);
  state_ = std::make_unique<State>();
  State& s = *state_;
  // skew interpolator: Kaiser-windowed sinc prototype, cut-off at the input Nyquist
  if (config.skew_ppm != 0) {
    constexpr int kM = kSkewTapsPerPhase, kP = kSkewPhases;
    std::vector<float> proto(static_cast<std::size_t>(kP * kM + 1));
    liquid_firdes_kaiser(static_cast<unsigned>(proto.size()), 0.5f / kP, 60.0f, 0.0f, proto.data());
    s.skew_tables.assign(static_cast<std::size_t>((kP + 1) * kM), 0.0f);
    for (int q = 0; q <= kP; ++q) {
      double sum = 0;
      for (int jj = 0; jj < kM; ++jj) {
        const int j = jj - (kM / 2 - 1);
        const float g = proto[static_cast<std::size_t>(j * kP - q + kP * kM / 2)];
        s.skew_tables[static_cast<std::size_t>(q * kM + jj)] = g;
        sum += g;
      }
      for (int jj = 0; jj < kM; ++jj) s.skew_tables[static_cast<std::size_t>(q * kM + jj)] /= static_cast<float>(sum);
    }
    s.skew_history.assign(kSkewRing, 0.0f);
    s.skew_step_fx = std::llround(config.skew_ppm * 1e-6 * 0x1.0p32);
    const int start = config.skew_ppm > 0 ? kSkewMinDelaySamples + kSkewSlipSamples : kSkewMinDelaySamples;
    s.skew_start_fx = std::int64_t{start} << kFracBits;
  }
  s.gain = static_cast<float>(std::pow(10.0, config.gain_db / 20.0));
  if (config.offset_hz != 0) {
    s.hilbert = firhilbf_create(kHilbertSemiLength, 60.0f);
    s.mix_step = 2 * kPi * config.offset_hz / kSampleRate;
    s.step_cos = std::cos(s.mix_step);
    s.step_sin = std::sin(s.mix_step);
  }
  s.bulk.assign(kBulkRing, 0.0f);
  s.bulk_delay = static_cast<std::size_t>(std::lround(config.delay_ms * kSampleRate / 1000.0));
  s.noise_taps = design_shape(LineShape::flat);  // also sets the noise bandwidth of true_snr_db
  s.noise_on = std::isfinite(config.snr_db);
  if (s.noise_on) {
    double energy = 0;
    for (const float h : s.noise_taps) energy += static_cast<double>(h) * h;
    s.noise_sigma = static_cast<float>(std::sqrt(dbm0_to_mean_square(noise_level_dbm0()) / energy));
  }
  // Shape and noise filters are the same flat FIR: with nothing time-varying
  // between them, h*(g·x)[n-D] + h*(σw)[n] = h*(g·x[·-D] + σw)[n], one filter.
  s.merged = s.noise_on && config.shape == LineShape::flat && config.offset_hz == 0;
  if (config.shape != LineShape::none) {
    s.shape_taps = design_shape(config.shape);
    // a block of B outputs needs B - 1 inputs after its first: hidden by the bulk delay
    s.shape_fir.init(s.shape_taps, fft_size_for_block(s.bulk_delay + 1));
  }
  if (s.noise_on && !s.merged) s.noise_fir.init(s.noise_taps, 2048);  // noise needs no input: any block length
  if (config.codec != LineCodec::none) s.codec_table = codec_table(config.codec).data();
  reset();
}

LinePath::~LinePath() = default;
LinePath::LinePath(LinePath&&) noexcept = default;
LinePath& LinePath::operator=(LinePath&&) noexcept = default;

void LinePath::reset() noexcept {
  State& s = *state_;
  std::fill(s.skew_history.begin(), s.skew_history.end(), 0.0f);
  s.skew_delay_fx = s.skew_start_fx;
  if (s.hilbert) firhilbf_reset(s.hilbert);
  s.mix_phase = 0;
  s.mix_cos = 1;
  s.mix_sin = 0;
  std::fill(s.bulk.begin(), s.bulk.end(), 0.0f);
  s.written = 0;
  std::uint64_t seed = config_.seed;
  for (std::uint64_t& w : s.rng) w = splitmix64(seed);
  s.n = 0;
  s.noise_end = 0;
  if (!s.shape_taps.empty()) s.shape_fir.reset();
  if (s.noise_on) {
    BlockFir& filter = s.merged ? s.shape_fir : s.noise_fir;
    if (!s.merged) filter.reset();
    float* history = filter.history();  // noise before sample 0: full power from the start
    for (int i = 0; i < kHistory; ++i) history[i] = s.noise_sigma * s.gaussian();
    if (s.merged) {  // noise of samples 0..D-1, whose signal part (x[m-D]) is still zero
      for (std::size_t m = 0; m < s.bulk_delay; ++m) s.push_merged(s.noise_sigma * s.gaussian());
    }
  }
}

float LinePath::process_sample(float in) noexcept {
  float out = 0;
  process(std::span<const float>(&in, 1), std::span<float>(&out, 1));
  return out;
}

void LinePath::process(std::span<const float> in, std::span<float> out) noexcept {
  State& s = *state_;
  const std::size_t count = std::min(in.size(), out.size());
  const bool skewed = !s.skew_history.empty(), shaped = !s.shape_taps.empty();
  constexpr std::uint64_t mask = kBulkRing - 1;
  for (std::size_t i = 0; i < count; ++i) {
    float x = in[i];
    if (skewed) x = s.skew(x);
    if (s.merged) {
      s.push_merged(s.gain * x + s.noise_sigma * s.gaussian());  // u[n + D]
      x = s.bulk[s.n & mask];
    } else {
      if (!shaped) {
        s.after_shape(x);
      } else if (s.shape_fir.push(x)) {
        const float* z = s.shape_fir.output();
        for (int j = 0; j < s.shape_fir.block(); ++j) s.after_shape(z[j]);
      }
      x = s.bulk[(s.n - s.bulk_delay) & mask];
      if (s.noise_on) x += s.noise_at(s.n);
    }
    if (s.codec_table) {
      float v = x * 32768.0f;  // clamp first (NaN → -32768), then round to nearest even like lrint
      if (!(v >= -32768.0f)) v = -32768.0f;
      if (!(v <= 32767.0f)) v = 32767.0f;
      v = (v + 0x1.8p23f) - 0x1.8p23f;  // exact for |v| < 2^22 without -ffast-math, inline (no libm call)
      x = s.codec_table[static_cast<std::size_t>(static_cast<int>(v) + 32768)];
    }
    ++s.n;
    out[i] = std::clamp(x, -1.0f, 1.0f);
  }
}

double LinePath::delay_samples() const noexcept { return delay_samples_at(0); }

double LinePath::delay_samples_at(SampleIndex n) const noexcept {
  const State& s = *state_;
  double d = static_cast<double>(s.bulk_delay);
  if (!s.shape_taps.empty()) d += kShapeDelaySamples;
  if (s.hilbert) d += kHilbertDelaySamples;
  if (s.skew_step_fx != 0) {
    const double step = static_cast<double>(s.skew_step_fx) * 0x1.0p-32;  // the skew actually applied
    double x = static_cast<double>(s.skew_start_fx) * 0x1.0p-32 - kSkewMinDelaySamples -
               step * static_cast<double>(n);  // offset inside the slip window
    constexpr double w = kSkewSlipSamples;
    x = step > 0 ? x - w * std::ceil(x / w) + w : x - w * std::floor(x / w);
    d += kSkewMinDelaySamples + x;
  }
  return d;
}

double LinePath::response_db(double freq_hz) const {
  if (state_->shape_taps.empty()) return config_.gain_db;
  return config_.gain_db + power_ratio_db(fir_power_gain(state_->shape_taps, freq_hz));
}

double LinePath::noise_level_dbm0() const noexcept {
  return std::isfinite(config_.snr_db) ? config_.reference_level_dbm0 - config_.snr_db : -INFINITY;
}

double LinePath::noise_bandwidth_hz() const noexcept {
  double energy = 0;
  for (const float h : state_->noise_taps) energy += static_cast<double>(h) * h;
  return kSampleRate / 2 * energy;
}

double LinePath::true_snr_db(double freq_hz, double tx_level_dbm0, double bandwidth_hz) const {
  if (!std::isfinite(config_.snr_db)) return INFINITY;
  const double in_bin = bandwidth_hz * fir_power_gain(state_->noise_taps, freq_hz) / noise_bandwidth_hz();
  return tx_level_dbm0 + response_db(freq_hz) - (noise_level_dbm0() + power_ratio_db(in_bin));
}

// ---------------------------------------------------------------- LineSim

namespace {
const LineConfig& validated(const LineConfig& c) {
  if (!(c.echo_db == -INFINITY || (c.echo_db >= -60 && c.echo_db <= 0)))
    throw std::invalid_argument("LineConfig.echo_db = " + format_value(c.echo_db) + " is out of range -60..0 or -inf");
  if (!(c.echo_delay_ms >= 0 && c.echo_delay_ms <= 100))
    throw std::invalid_argument("LineConfig.echo_delay_ms = " + format_value(c.echo_delay_ms) +
                                " is out of range 0..100");
  return c;
}
}  // namespace

LineSim::LineSim(const LineConfig& config)
    : config_(validated(config)),
      to_answerer_(config.caller_to_answerer),
      to_caller_(config.answerer_to_caller),
      echo_gain_(config.echo_db == -INFINITY ? 0.0f : static_cast<float>(std::pow(10.0, config.echo_db / 20.0))),
      echo_delay_samples_(static_cast<int>(std::lround(config.echo_delay_ms * kSampleRate / 1000.0))),
      caller_echo_(kBulkRing, 0.0f),
      answerer_echo_(kBulkRing, 0.0f) {}

void LineSim::process(std::span<const float> caller_tx, std::span<const float> answerer_tx,
                      std::span<float> caller_rx, std::span<float> answerer_rx) noexcept {
  const std::size_t count =
      std::min(std::min(caller_tx.size(), answerer_tx.size()), std::min(caller_rx.size(), answerer_rx.size()));
  constexpr std::size_t kChunk = 256;  // work in stack chunks: each path runs a whole chunk at a time
  float ctx[kChunk], atx[kChunk], crx[kChunk], arx[kChunk];
  const std::uint64_t mask = kBulkRing - 1;
  for (std::size_t done = 0; done < count;) {
    const std::size_t k = std::min(kChunk, count - done);
    std::copy_n(caller_tx.begin() + static_cast<std::ptrdiff_t>(done), k, ctx);  // copies first: rx may alias tx
    std::copy_n(answerer_tx.begin() + static_cast<std::ptrdiff_t>(done), k, atx);
    to_caller_.process(std::span<const float>(atx, k), std::span<float>(crx, k));
    to_answerer_.process(std::span<const float>(ctx, k), std::span<float>(arx, k));
    if (echo_gain_ != 0) {
      for (std::size_t i = 0; i < k; ++i, ++position_) {
        caller_echo_[position_ & mask] = ctx[i];
        answerer_echo_[position_ & mask] = atx[i];
        const std::uint64_t echo_at = (position_ - static_cast<std::uint64_t>(echo_delay_samples_)) & mask;
        crx[i] = std::clamp(crx[i] + echo_gain_ * caller_echo_[echo_at], -1.0f, 1.0f);
        arx[i] = std::clamp(arx[i] + echo_gain_ * answerer_echo_[echo_at], -1.0f, 1.0f);
      }
    } else {
      position_ += k;  // path outputs are already within ±1
    }
    std::copy_n(crx, k, caller_rx.begin() + static_cast<std::ptrdiff_t>(done));
    std::copy_n(arx, k, answerer_rx.begin() + static_cast<std::ptrdiff_t>(done));
    done += k;
  }
}

void LineSim::reset() noexcept {
  to_answerer_.reset();
  to_caller_.reset();
  std::fill(caller_echo_.begin(), caller_echo_.end(), 0.0f);
  std::fill(answerer_echo_.begin(), answerer_echo_.end(), 0.0f);
  position_ = 0;
}

LineConfig symmetric_line(const LinePathConfig& one_way, double echo_db, double echo_delay_ms) {
  LineConfig c;
  c.caller_to_answerer = one_way;
  c.answerer_to_caller = one_way;
  std::uint64_t s = one_way.seed;
  c.answerer_to_caller.seed = splitmix64(s);  // a different, deterministic seed
  c.echo_db = echo_db;
  c.echo_delay_ms = echo_delay_ms;
  return c;
}

}  // namespace squeal
