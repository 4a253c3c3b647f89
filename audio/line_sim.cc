#include "audio/line_sim.h"

#include <complex>  // before liquid.h: makes liquid_float_complex std::complex<float>

#include <fftw3.h>
#include <liquid/liquid.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>

#include "audio/line_filters.h"
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
constexpr std::size_t kBulkMask = kBulkRing - 1;
constexpr std::size_t kSegment = 128;    // samples per stage pass: segment + bulk delay (<= 800) stays within kBulkRing
constexpr int kFracBits = 32;            // skew read offset: fixed point, 2^-32 sample
constexpr int kPhaseBits = 6;            // log2(kSkewPhases)
static_assert(1 << kPhaseBits == LinePath::kSkewPhases);
constexpr int kHistory = LinePath::kShapeTaps - 1;  // FIR memory: 160 samples before the newest
constexpr std::uint64_t kMixResync = 1024;          // mixer phasor recomputed exactly at multiples of this index

/// Largest FFT size whose overlap-save block (N - 160 new samples) is at most
/// max_block; 0 (direct form) when even the smallest is too long.
int fft_size_for_block(std::size_t max_block) noexcept {
  for (const int n : {2048, 1024, 768, 640, 512, 384, 320, 256})
    if (static_cast<std::size_t>(n - kHistory) <= max_block) return n;
  return 0;
}

}  // namespace

// ---------------------------------------------------------------- LinePath

// Stages run segment by segment: front() takes inputs up to the shape filter
// and, as filter blocks complete, its outputs through gain and offset into the
// bulk ring; back() reads the ring (after the bulk delay), adds noise, codes
// and clips. A block of B filter outputs needs B - 1 inputs after its first:
// the bulk delay hides them (B <= delay + 1), so back() always finds its samples.
struct LinePath::State {
  // skew (polyphase interpolator)
  std::vector<float> skew_tables;        // (kSkewPhases+1) × kSkewTapsPerPhase kernels g(j - q/P)
  std::vector<float> skew_history;       // input ring, kSkewRing
  std::int64_t skew_step_fx = 0;         // skew·2^32: read offset decrease per sample
  std::int64_t skew_start_fx = 0;        // read offset at sample 0 (2^-32 samples)
  std::int64_t skew_delay_fx = 0;        // current read offset behind the newest input (2^-32 samples)
  std::uint64_t skew_n = 0;              // samples into the skew stage since reset
  // shape
  std::vector<float> shape_taps;         // linear-phase FIR (empty for none)
  BlockFir own_fir;                      // shape_taps; two channels when shared with the other direction
  BlockFir* fir = nullptr;               // filter in use: &own_fir, the other direction's, or nullptr (shape none)
  int fir_channel = 0;                   // this direction's channel of *fir
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
  GaussianNoise gaussian;                // white noise source
  const float* codec_table = nullptr;    // G.711 round trip per 16-bit value (nullptr: no codec)
  std::uint64_t n = 0;                   // samples out since reset
  float scratch[kSegment] = {};          // shape none: filter-stage output of the current segment

  ~State() {
    if (hilbert) firhilbf_destroy(hilbert);
  }

  float skew(float x) noexcept {
    constexpr int kM = kSkewTapsPerPhase;
    skew_history[skew_n & (kSkewRing - 1)] = x;
    const std::int64_t d_int = skew_delay_fx >> kFracBits;
    const std::uint64_t d_frac = static_cast<std::uint64_t>(skew_delay_fx) & 0xFFFFFFFFull;
    // read time n - d = i + a, 0 <= a < 1
    std::uint64_t i = skew_n++ - static_cast<std::uint64_t>(d_int);
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

  /// Filter inputs for k <= kSegment samples into dst: skew, then (merged)
  /// gain·x + σ·w. x == nullptr: noise only (merged), the D samples ahead at reset.
  void write_filter_input(const float* x, std::size_t k, float* dst) noexcept {
    if (x == nullptr) {
      gaussian.fill(std::span<float>(dst, k), noise_sigma);
      return;
    }
    if (!skew_history.empty()) {
      for (std::size_t i = 0; i < k; ++i) dst[i] = skew(x[i]);
      x = dst;
    }
    if (merged) {
      float noise[kSegment];
      gaussian.fill(std::span<float>(noise, k), noise_sigma);
      const float g = gain;
      for (std::size_t i = 0; i < k; ++i) dst[i] = g * x[i] + noise[i];  // u[n + D]
    } else if (x != dst) {
      std::copy_n(x, k, dst);
    }
  }

  /// count filter outputs through gain and offset (not merged) into the bulk ring.
  void take_filter_output(const float* y, std::size_t count) noexcept {
    if (merged || (gain == 1 && !hilbert)) {
      for (std::size_t j = 0; j < count; ++j) bulk[(written + j) & kBulkMask] = y[j];
      written += count;
      return;
    }
    for (std::size_t j = 0; j < count; ++j) {
      float x = gain * y[j];
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
      bulk[written++ & kBulkMask] = x;
    }
  }

  /// k <= kSegment outputs: bulk ring after the delay, + noise, G.711, clip.
  void back(float* out, std::size_t k) noexcept {
    const std::uint64_t first = merged ? n : n - bulk_delay;
    for (std::size_t i = 0; i < k; ++i) out[i] = bulk[(first + i) & kBulkMask];
    if (noise_on && !merged) {
      const auto block = static_cast<std::uint64_t>(noise_fir.room());
      for (std::size_t i = 0; i < k;) {
        const std::uint64_t index = n + i;
        if (index >= noise_end) {
          gaussian.fill(std::span<float>(noise_fir.input(0), block), noise_sigma);
          noise_end += noise_fir.commit(block);
        }
        const float* noise = noise_fir.output(0) + (index - (noise_end - block));
        const std::size_t m = std::min<std::size_t>(k - i, noise_end - index);
        for (std::size_t j = 0; j < m; ++j) out[i + j] += noise[j];
        i += m;
      }
    }
    if (codec_table) {
      apply_g711(codec_table, std::span<float>(out, k));  // within ±1 already
    } else {
      for (std::size_t i = 0; i < k; ++i) out[i] = out[i] < -1.0f ? -1.0f : (1.0f < out[i] ? 1.0f : out[i]);  // std::clamp
    }
    n += k;
  }

  /// k inputs of each path (x[p] == nullptr: merged noise only) through the
  /// filter stage of paths that share the filter (or have none: shape none).
  static void front(State* const* paths, std::size_t count, const float* const* x, std::size_t k) noexcept {
    BlockFir* fir = paths[0]->fir;
    for (std::size_t done = 0; done < k;) {
      const std::size_t r = std::min(k - done, fir ? fir->room() : kSegment);
      for (std::size_t p = 0; p < count; ++p) {
        State& s = *paths[p];
        s.write_filter_input(x[p] ? x[p] + done : nullptr, r, fir ? fir->input(s.fir_channel) : s.scratch);
      }
      const std::size_t produced = fir ? fir->commit(r) : r;
      for (std::size_t p = 0; p < count && produced > 0; ++p) {
        State& s = *paths[p];
        s.take_filter_output(fir ? fir->output(s.fir_channel) : s.scratch, produced);
      }
      done += r;
    }
  }

  /// After reset_stages(): filter history, noise-filter history and (merged) the
  /// D noise-only filter inputs ahead of the signal.
  static void restart(State* const* paths, std::size_t count) noexcept {
    if (paths[0]->fir) paths[0]->fir->reset();
    for (std::size_t p = 0; p < count; ++p) {
      State& s = *paths[p];
      if (!s.noise_on) continue;
      if (!s.merged) s.noise_fir.reset();
      float* history = s.merged ? s.fir->history(s.fir_channel) : s.noise_fir.history(0);
      s.gaussian.fill(std::span<float>(history, kHistory), s.noise_sigma);  // noise before sample 0: full power
    }
    if (paths[0]->merged) {  // noise of samples 0..D-1, whose signal part (x[m-D]) is still zero
      const float* none[2] = {nullptr, nullptr};
      for (std::size_t done = 0; done < paths[0]->bulk_delay; done += kSegment)
        front(paths, count, none, std::min(kSegment, paths[0]->bulk_delay - done));
    }
  }

  void reset_stages(std::uint64_t seed) noexcept {
    std::fill(skew_history.begin(), skew_history.end(), 0.0f);
    skew_delay_fx = skew_start_fx;
    skew_n = 0;
    if (hilbert) firhilbf_reset(hilbert);
    mix_phase = 0;
    mix_cos = 1;
    mix_sin = 0;
    std::fill(bulk.begin(), bulk.end(), 0.0f);
    written = 0;
    gaussian.seed(seed);
    n = 0;
    noise_end = 0;
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
    s.own_fir.init(s.shape_taps, fft_size_for_block(s.bulk_delay + 1), 1);
    s.fir = &s.own_fir;
  }
  if (s.noise_on && !s.merged) s.noise_fir.init(s.noise_taps, 2048, 1);  // noise needs no input: any block length
  if (config.codec != LineCodec::none) s.codec_table = g711_round_trip_table(config.codec == LineCodec::ulaw).data();
  reset();
}

LinePath::~LinePath() = default;
LinePath::LinePath(LinePath&&) noexcept = default;
LinePath& LinePath::operator=(LinePath&&) noexcept = default;

void LinePath::reset() noexcept {
  state_->reset_stages(config_.seed);
  State* const paths[1] = {state_.get()};
  State::restart(paths, 1);
}

float LinePath::process_sample(float in) noexcept {
  float out = 0;
  process(std::span<const float>(&in, 1), std::span<float>(&out, 1));
  return out;
}

void LinePath::process(std::span<const float> in, std::span<float> out) noexcept {
  State* const paths[1] = {state_.get()};
  const std::size_t count = std::min(in.size(), out.size());
  for (std::size_t done = 0; done < count; done += kSegment) {
    const std::size_t k = std::min(kSegment, count - done);
    const float* x[1] = {in.data() + done};
    State::front(paths, 1, x, k);  // reads all k inputs before back() writes: in-place is fine
    state_->back(out.data() + done, k);
  }
}

void LinePath::share_shape_filter(LinePath& first, LinePath& second) {
  State& a = *first.state_;
  State& b = *second.state_;
  // same filter, same block alignment (merged runs D samples ahead), same signal path structure
  if (a.shape_taps.empty() || a.shape_taps != b.shape_taps || a.bulk_delay != b.bulk_delay || a.merged != b.merged)
    return;
  a.own_fir.init(a.shape_taps, fft_size_for_block(a.bulk_delay + 1), 2);
  b.fir = &a.own_fir;
  b.fir_channel = 1;
  reset_pair(first, second);
}

void LinePath::reset_pair(LinePath& first, LinePath& second) noexcept {
  if (first.state_->fir == nullptr || first.state_->fir != second.state_->fir) {
    first.reset();
    second.reset();
    return;
  }
  first.state_->reset_stages(first.config_.seed);
  second.state_->reset_stages(second.config_.seed);
  State* const paths[2] = {first.state_.get(), second.state_.get()};
  State::restart(paths, 2);
}

void LinePath::process_pair(LinePath& first, std::span<const float> first_in, std::span<float> first_out,
                            LinePath& second, std::span<const float> second_in, std::span<float> second_out) noexcept {
  if (first.state_->fir == nullptr || first.state_->fir != second.state_->fir) {
    first.process(first_in, first_out);
    second.process(second_in, second_out);
    return;
  }
  State* const paths[2] = {first.state_.get(), second.state_.get()};
  const std::size_t count = std::min(std::min(first_in.size(), first_out.size()), std::min(second_in.size(), second_out.size()));
  for (std::size_t done = 0; done < count; done += kSegment) {
    const std::size_t k = std::min(kSegment, count - done);
    const float* x[2] = {first_in.data() + done, second_in.data() + done};
    State::front(paths, 2, x, k);
    paths[0]->back(first_out.data() + done, k);
    paths[1]->back(second_out.data() + done, k);
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
      answerer_echo_(kBulkRing, 0.0f) {
  LinePath::share_shape_filter(to_caller_, to_answerer_);
}

void LineSim::process(std::span<const float> caller_tx, std::span<const float> answerer_tx,
                      std::span<float> caller_rx, std::span<float> answerer_rx) noexcept {
  const std::size_t count =
      std::min(std::min(caller_tx.size(), answerer_tx.size()), std::min(caller_rx.size(), answerer_rx.size()));
  constexpr std::size_t kChunk = 256;  // work in stack chunks: each path runs a whole chunk at a time
  float ctx[kChunk], atx[kChunk], crx[kChunk], arx[kChunk];
  constexpr std::uint64_t mask = kBulkRing - 1;
  for (std::size_t done = 0; done < count;) {
    const std::size_t k = std::min(kChunk, count - done);
    std::copy_n(caller_tx.begin() + static_cast<std::ptrdiff_t>(done), k, ctx);  // copies first: rx may alias tx
    std::copy_n(answerer_tx.begin() + static_cast<std::ptrdiff_t>(done), k, atx);
    LinePath::process_pair(to_caller_, std::span<const float>(atx, k), std::span<float>(crx, k),
                           to_answerer_, std::span<const float>(ctx, k), std::span<float>(arx, k));
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
  LinePath::reset_pair(to_caller_, to_answerer_);
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
