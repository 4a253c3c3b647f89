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
  firfilt_rrrf shape_filter = nullptr;   // liquid filter on shape_taps
  float gain = 1;                        // linear gain
  // offset
  firhilbf hilbert = nullptr;            // real → analytic (nullptr when offset is 0)
  double mix_phase = 0;                  // mixer phase (rad, wrapped to [0, 2π))
  double mix_step = 0;                   // 2π·offset/fs
  // bulk delay
  std::vector<float> bulk;               // ring, kBulkRing
  std::size_t bulk_delay = 0;            // samples
  // noise
  std::vector<float> noise_taps;         // flat 300..3400 FIR
  firfilt_rrrf noise_filter = nullptr;   // liquid filter on noise_taps (nullptr when off)
  float noise_sigma = 0;                 // white-noise std dev before the filter
  std::uint64_t rng[4] = {};             // xoshiro256** state
  float spare_gauss = 0;                 // second Box-Muller output
  bool have_spare = false;               // spare_gauss is valid
  std::uint64_t n = 0;                   // samples processed since reset

  ~State() {
    if (shape_filter) firfilt_rrrf_destroy(shape_filter);
    if (noise_filter) firfilt_rrrf_destroy(noise_filter);
    if (hilbert) firhilbf_destroy(hilbert);
  }

  std::uint64_t next_u64() noexcept {  // xoshiro256**
    const std::uint64_t result = std::rotl(rng[1] * 5, 7) * 9;
    const std::uint64_t t = rng[1] << 17;
    rng[2] ^= rng[0]; rng[3] ^= rng[1]; rng[1] ^= rng[2]; rng[0] ^= rng[3];
    rng[2] ^= t; rng[3] = std::rotl(rng[3], 45);
    return result;
  }

  float gaussian() noexcept {  // Box-Muller, both outputs used
    if (have_spare) { have_spare = false; return spare_gauss; }
    const double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
    const double u2 = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;          // [0, 1)
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_gauss = static_cast<float>(r * std::sin(2 * kPi * u2));
    have_spare = true;
    return static_cast<float>(r * std::cos(2 * kPi * u2));
  }

  float noise_sample() noexcept {
    float y = 0;
    firfilt_rrrf_execute_one(noise_filter, noise_sigma * gaussian(), &y);
    return y;
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
  if (config.shape != LineShape::none) {
    s.shape_taps = design_shape(config.shape);
    s.shape_filter = firfilt_rrrf_create(s.shape_taps.data(), kShapeTaps);
  }
  s.gain = static_cast<float>(std::pow(10.0, config.gain_db / 20.0));
  if (config.offset_hz != 0) {
    s.hilbert = firhilbf_create(kHilbertSemiLength, 60.0f);
    s.mix_step = 2 * kPi * config.offset_hz / kSampleRate;
  }
  s.bulk.assign(kBulkRing, 0.0f);
  s.bulk_delay = static_cast<std::size_t>(std::lround(config.delay_ms * kSampleRate / 1000.0));
  s.noise_taps = design_shape(LineShape::flat);  // also sets the noise bandwidth of true_snr_db
  if (std::isfinite(config.snr_db)) {
    double energy = 0;
    for (const float h : s.noise_taps) energy += static_cast<double>(h) * h;
    s.noise_sigma = static_cast<float>(std::sqrt(dbm0_to_mean_square(noise_level_dbm0()) / energy));
    s.noise_filter = firfilt_rrrf_create(s.noise_taps.data(), kShapeTaps);
  }
  reset();
}

LinePath::~LinePath() = default;
LinePath::LinePath(LinePath&&) noexcept = default;
LinePath& LinePath::operator=(LinePath&&) noexcept = default;

void LinePath::reset() noexcept {
  State& s = *state_;
  std::fill(s.skew_history.begin(), s.skew_history.end(), 0.0f);
  s.skew_delay_fx = s.skew_start_fx;
  if (s.shape_filter) firfilt_rrrf_reset(s.shape_filter);
  if (s.hilbert) firhilbf_reset(s.hilbert);
  s.mix_phase = 0;
  std::fill(s.bulk.begin(), s.bulk.end(), 0.0f);
  std::uint64_t seed = config_.seed;
  for (std::uint64_t& w : s.rng) w = splitmix64(seed);
  s.have_spare = false;
  s.n = 0;
  if (s.noise_filter) {
    firfilt_rrrf_reset(s.noise_filter);
    for (int i = 0; i < kShapeTaps; ++i) s.noise_sample();  // fill the filter: full power from sample 0
  }
}

float LinePath::process_sample(float x) noexcept {
  State& s = *state_;
  if (!s.skew_history.empty()) x = s.skew(x);
  if (s.shape_filter) firfilt_rrrf_execute_one(s.shape_filter, x, &x);
  x *= s.gain;
  if (s.hilbert) {
    std::complex<float> analytic;
    firhilbf_r2c_execute(s.hilbert, x, &analytic);
    const auto mix = std::complex<float>(static_cast<float>(std::cos(s.mix_phase)),
                                         static_cast<float>(std::sin(s.mix_phase)));
    x = (analytic * mix).real();
    s.mix_phase += s.mix_step;
    if (s.mix_phase >= 2 * kPi) s.mix_phase -= 2 * kPi;
    if (s.mix_phase < 0) s.mix_phase += 2 * kPi;
  }
  s.bulk[s.n & (kBulkRing - 1)] = x;
  x = s.bulk[(s.n - s.bulk_delay) & (kBulkRing - 1)];
  if (s.noise_filter) x += s.noise_sample();
  if (config_.codec != LineCodec::none) {
    const auto linear = static_cast<std::int16_t>(std::clamp(std::lrint(x * 32768.0f), -32768L, 32767L));
    x = (config_.codec == LineCodec::ulaw ? ulaw_to_linear(linear_to_ulaw(linear))
                                          : alaw_to_linear(linear_to_alaw(linear))) / 32768.0f;
  }
  ++s.n;
  return std::clamp(x, -1.0f, 1.0f);
}

void LinePath::process(std::span<const float> in, std::span<float> out) noexcept {
  const std::size_t count = std::min(in.size(), out.size());
  for (std::size_t i = 0; i < count; ++i) out[i] = process_sample(in[i]);
}

double LinePath::delay_samples() const noexcept { return delay_samples_at(0); }

double LinePath::delay_samples_at(SampleIndex n) const noexcept {
  const State& s = *state_;
  double d = static_cast<double>(s.bulk_delay);
  if (s.shape_filter) d += kShapeDelaySamples;
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
  const std::uint64_t mask = kBulkRing - 1;
  for (std::size_t i = 0; i < count; ++i) {
    const float ctx = caller_tx[i], atx = answerer_tx[i];  // read both before writing (aliasing)
    caller_echo_[position_ & mask] = ctx;
    answerer_echo_[position_ & mask] = atx;
    const std::uint64_t echo_at = (position_ - static_cast<std::uint64_t>(echo_delay_samples_)) & mask;
    const float crx = to_caller_.process_sample(atx) + echo_gain_ * caller_echo_[echo_at];
    const float arx = to_answerer_.process_sample(ctx) + echo_gain_ * answerer_echo_[echo_at];
    caller_rx[i] = std::clamp(crx, -1.0f, 1.0f);
    answerer_rx[i] = std::clamp(arx, -1.0f, 1.0f);
    ++position_;
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
