#include "audio/wav_io.h"

#include <fmt/format.h>
#include <liquid/liquid.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace squeal {

namespace {

constexpr sf_count_t kBlockFrames = 4096;  // frames read from the file per refill
constexpr float kStopBandDb = 60.0f;       // resampler stop-band attenuation

[[noreturn]] void fail(const std::string& path, std::string_view reason) {
  throw std::runtime_error(fmt::format("{}: {}", path, reason));
}

std::string format_name(int format) {
  SF_FORMAT_INFO major{};
  major.format = format & SF_FORMAT_TYPEMASK;
  SF_FORMAT_INFO sub{};
  sub.format = format & SF_FORMAT_SUBMASK;
  std::string name = sf_command(nullptr, SFC_GET_FORMAT_INFO, &major, sizeof major) == 0 && major.name != nullptr
                         ? major.name
                         : "unknown";
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &sub, sizeof sub) == 0 && sub.name != nullptr) {
    name += fmt::format(" / {}", sub.name);
  }
  return name;
}

// libsndfile accepts a WAV whose data chunk is cut short and reads what is
// there; its log then shows "data : <header size> (should be <real size>)".
std::string truncation_warning(SNDFILE* file) {
  std::string log(8192, '\0');
  sf_command(file, SFC_GET_LOG_INFO, log.data(), static_cast<int>(log.size()));
  log.resize(log.find('\0'));
  std::size_t pos = 0;
  while (pos < log.size()) {
    const std::size_t end = std::min(log.find('\n', pos), log.size());
    const std::string_view line(log.data() + pos, end - pos);
    if (line.rfind("data", 0) == 0 && line.find("should be") != std::string_view::npos) {
      return fmt::format("truncated: the data chunk is shorter than its header says ({})", line);
    }
    pos = end + 1;
  }
  return {};
}

// The resampler: one liquid-dsp polyphase arbitrary-rate stage (resamp_rrrf,
// 64 phases, interpolated between) with a Kaiser low-pass designed for the telephone band.
// Decimating, the cut-off (-6 dB) sits at the output Nyquist, 4000 Hz, with
// an 800 Hz transition: measured flat within 0.01 dB to 3600 Hz, -1 dB at
// 3800 Hz, >= 60 dB down from 4400 Hz (whose alias lands at 3600 Hz).
// msresamp_rrrf (liquid-dsp 1.5, 60 dB) was measured first and rejected: it
// droops 0.3 dB at 3000 Hz and 1.6 dB at 3500 Hz, and passes 4300 Hz at only
// -8 dB, aliasing onto 3700 Hz -- inside the band V.34 probing measures.
// Cost: 2m+1 taps per output sample, ~600x real time at 48 kHz.
resamp_rrrf make_resampler(int rate_in_hz) {
  const double ratio = kSampleRate / rate_in_hz;
  double cutoff = 0.45;      // upsampling: -6 dB at 0.45 of the input rate
  double transition = 0.1;   // transition width, normalised to the input rate
  if (ratio < 1.0) {
    cutoff = (kSampleRate / 2.0) / rate_in_hz;
    transition = 800.0 / rate_in_hz;
  }
  // Kaiser estimate of the taps for kStopBandDb: N = (As - 7.95) / (14.36 df); m = N/2.
  const auto semi_length =
      static_cast<unsigned>(std::ceil((kStopBandDb - 7.95) / (14.36 * transition) / 2.0)) + 1;
  return resamp_rrrf_create(static_cast<float>(ratio), semi_length, static_cast<float>(cutoff), kStopBandDb, 64);
}

// Output slots resamp_rrrf_execute_block may fill from n inputs.
std::size_t max_outputs(double ratio, std::size_t n) {
  return static_cast<std::size_t>(std::ceil(ratio) + 1.0) * n + 16;
}

// Delay of the resampler in output samples, measured rather than derived
// from the filter length (the polyphase stage's timing convention is
// liquid-dsp's business): a Gaussian pulse (sigma 0.5 ms, far inside the
// pass band) goes through the resampler, and the centroid of the output
// against the pulse centre is the delay. The filter is linear-phase, so this
// delay holds at every frequency in the band. `q` is reset afterwards.
double measure_delay_samples(resamp_rrrf q, int rate_in_hz) {
  const double centre_s = 0.02;
  const double sigma_s = 0.0005;
  const auto n = static_cast<std::size_t>(std::ceil(0.06 * rate_in_hz));
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate_in_hz - centre_s;
    x[i] = static_cast<float>(std::exp(-t * t / (2 * sigma_s * sigma_s)));
  }
  std::vector<float> y(max_outputs(kSampleRate / rate_in_hz, n));
  unsigned ny = 0;
  resamp_rrrf_execute_block(q, x.data(), static_cast<unsigned>(n), y.data(), &ny);
  resamp_rrrf_reset(q);
  double sum = 0;
  double weighted = 0;
  for (unsigned i = 0; i < ny; ++i) {
    sum += y[i];
    weighted += static_cast<double>(i) * y[i];
  }
  return weighted / sum - centre_s * kSampleRate;
}

// Designing the Kaiser polyphase bank costs far more than decoding a short
// file (liquid-dsp evaluates a Bessel function per tap: ~0.1 s for 48 kHz,
// 64 x 2m+1 taps), so each input rate's resampler is designed once per
// process and every file at that rate gets a copy (resamp_rrrf_copy, a
// memcpy of the bank), together with its measured delay. Guarded by a mutex:
// `decode -j N` opens files on several threads. Files open outside any
// real-time path.
struct ResamplerPrototype {
  resamp_rrrf q = nullptr;
  double delay_samples = 0;
};

class ResamplerCache {
 public:
  ResamplerCache() = default;
  ResamplerCache(const ResamplerCache&) = delete;
  ResamplerCache& operator=(const ResamplerCache&) = delete;
  ~ResamplerCache() {
    for (auto& [rate, p] : by_rate_) resamp_rrrf_destroy(p.q);
  }

  /// A fresh resampler from rate_in_hz to 8000 Hz (caller destroys it), and its delay.
  std::pair<resamp_rrrf, double> get(int rate_in_hz) {
    const std::lock_guard<std::mutex> lock(mutex_);
    auto it = by_rate_.find(rate_in_hz);
    if (it == by_rate_.end()) {
      ResamplerPrototype p;
      p.q = make_resampler(rate_in_hz);
      if (p.q == nullptr) throw std::runtime_error(fmt::format("liquid-dsp refused a resampler from {} Hz", rate_in_hz));
      p.delay_samples = measure_delay_samples(p.q, rate_in_hz);
      it = by_rate_.emplace(rate_in_hz, p).first;
    }
    return {resamp_rrrf_copy(it->second.q), it->second.delay_samples};
  }

 private:
  std::mutex mutex_;
  std::map<int, ResamplerPrototype> by_rate_;
};

ResamplerCache& resampler_cache() {
  static ResamplerCache cache;
  return cache;
}

}  // namespace

struct WavSource::State {
  AudioInfo info;                  // what the file holds
  SNDFILE* file = nullptr;         // libsndfile handle
  int channel = 0;                 // 0 = mix all, else 1-based channel
  double ratio = 1;                // 8000 / rate_in
  resamp_rrrf resampler = nullptr;     // null when the file is already at 8000 Hz
  SampleIndex drop_remaining = 0;  // resampler delay still to discard (output samples)
  std::vector<float> frames;       // one block of interleaved file frames
  std::vector<float> mono;         // the same block, one channel
  std::vector<float> resampled;    // resampler output of one block
  std::vector<float> pending;      // samples ready for read()
  std::size_t pending_pos = 0;     // next unread index in pending
  std::int64_t frames_in = 0;      // file frames consumed
  SampleIndex produced = 0;        // output samples placed in pending so far (after the delay)
  SampleIndex delivered = 0;       // output samples handed out by read()
  bool input_done = false;         // the file is exhausted
  SampleIndex total = 0;           // output sample count, known once input_done
  int flush_blocks = 0;            // blocks of zeros fed after the end to flush the resampler

  ~State() {
    if (resampler != nullptr) resamp_rrrf_destroy(resampler);
    if (file != nullptr) sf_close(file);
  }

  // Puts the next samples into `pending`; false when the stream is over.
  bool refill() {
    pending.clear();
    pending_pos = 0;
    while (pending.empty()) {
      if (input_done && (produced >= total || resampler == nullptr)) return false;
      std::size_t n = 0;
      if (!input_done) {
        const sf_count_t got = sf_readf_float(file, frames.data(), kBlockFrames);
        if (got <= 0) {
          if (sf_error(file) != SF_ERR_NO_ERROR) fail(info.path, fmt::format("read error: {}", sf_strerror(file)));
          input_done = true;
          total = resampler != nullptr ? static_cast<SampleIndex>(std::llround(static_cast<double>(frames_in) * ratio))
                                       : frames_in;
          continue;
        }
        n = static_cast<std::size_t>(got);
        frames_in += got;
        to_mono(n);
      } else {
        // Zeros after the end push the last samples out of the resampler.
        if (++flush_blocks > 4) {
          total = produced;
          return false;
        }
        n = static_cast<std::size_t>(kBlockFrames);
        std::fill_n(mono.begin(), n, 0.0f);
      }
      std::span<const float> out(mono.data(), n);
      if (resampler != nullptr) {
        unsigned ny = 0;
        resamp_rrrf_execute_block(resampler, mono.data(), static_cast<unsigned>(n), resampled.data(), &ny);
        out = std::span<const float>(resampled.data(), ny);
        const auto skip = static_cast<std::size_t>(std::min<SampleIndex>(drop_remaining, ny));
        drop_remaining -= static_cast<SampleIndex>(skip);
        out = out.subspan(skip);
      }
      if (input_done) {
        const SampleIndex room = std::max<SampleIndex>(total - produced, 0);
        out = out.first(static_cast<std::size_t>(std::min<SampleIndex>(room, static_cast<SampleIndex>(out.size()))));
      }
      pending.assign(out.begin(), out.end());
      produced += static_cast<SampleIndex>(out.size());
    }
    return true;
  }

  void to_mono(std::size_t n) {
    const auto c = static_cast<std::size_t>(info.channels);
    if (channel > 0) {
      for (std::size_t i = 0; i < n; ++i) mono[i] = frames[i * c + static_cast<std::size_t>(channel - 1)];
      return;
    }
    const float scale = 1.0f / static_cast<float>(c);
    for (std::size_t i = 0; i < n; ++i) {
      float sum = 0;
      for (std::size_t k = 0; k < c; ++k) sum += frames[i * c + k];
      mono[i] = sum * scale;
    }
  }
};

WavSource::WavSource(const std::string& path, const ReadOptions& options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.info.path = path;
  SF_INFO sf_info{};
  s.file = sf_open(path.c_str(), SFM_READ, &sf_info);
  if (s.file == nullptr) fail(path, fmt::format("cannot open: {}", sf_strerror(nullptr)));
  if (sf_info.samplerate <= 0 || sf_info.channels <= 0) {
    fail(path, fmt::format("not usable audio: rate {} Hz, {} channels", sf_info.samplerate, sf_info.channels));
  }
  if (sf_info.frames <= 0) fail(path, "contains no audio frames (empty)");
  s.info.format = format_name(sf_info.format);
  s.info.rate_in_hz = sf_info.samplerate;
  s.info.channels = sf_info.channels;
  s.info.frames = sf_info.frames;
  s.info.duration_s = static_cast<double>(sf_info.frames) / sf_info.samplerate;
  s.info.warning = truncation_warning(s.file);
  if (options.channel < 0 || options.channel > sf_info.channels) {
    throw std::invalid_argument(fmt::format("{}: channel {} does not exist (0 = mix, 1..{})", path, options.channel,
                                            sf_info.channels));
  }
  s.channel = options.channel;
  s.frames.resize(static_cast<std::size_t>(kBlockFrames) * static_cast<std::size_t>(sf_info.channels));
  s.mono.resize(static_cast<std::size_t>(kBlockFrames));
  if (sf_info.samplerate != kSampleRateHz) {
    s.ratio = kSampleRate / sf_info.samplerate;
    const auto [q, delay] = resampler_cache().get(sf_info.samplerate);
    s.resampler = q;
    s.drop_remaining = std::llround(delay);
    s.resampled.resize(max_outputs(s.ratio, static_cast<std::size_t>(kBlockFrames)));
  }
}

WavSource::~WavSource() = default;
WavSource::WavSource(WavSource&&) noexcept = default;
WavSource& WavSource::operator=(WavSource&&) noexcept = default;

const AudioInfo& WavSource::info() const noexcept { return state_->info; }

SampleIndex WavSource::position() const noexcept { return state_->delivered; }

SampleIndex WavSource::expected_samples() const noexcept {
  const State& s = *state_;
  return s.resampler != nullptr ? static_cast<SampleIndex>(std::llround(static_cast<double>(s.info.frames) * s.ratio))
                                : s.info.frames;
}

std::size_t WavSource::read(std::span<float> out) {
  State& s = *state_;
  std::size_t done = 0;
  while (done < out.size()) {
    if (s.pending_pos == s.pending.size() && !s.refill()) break;
    const std::size_t n = std::min(out.size() - done, s.pending.size() - s.pending_pos);
    std::copy_n(s.pending.begin() + static_cast<std::ptrdiff_t>(s.pending_pos), n, out.begin() + static_cast<std::ptrdiff_t>(done));
    s.pending_pos += n;
    done += n;
  }
  s.delivered += static_cast<SampleIndex>(done);
  return done;
}

std::vector<float> read_all(const std::string& path, const ReadOptions& options, AudioInfo* info) {
  WavSource source(path, options);
  std::vector<float> samples;
  samples.reserve(static_cast<std::size_t>(std::max<SampleIndex>(source.expected_samples(), 0)));
  std::vector<float> block(8192);
  while (const std::size_t n = source.read(block)) samples.insert(samples.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(n));
  if (info != nullptr) *info = source.info();
  return samples;
}

struct WavSink::State {
  std::string path;            // as given
  SNDFILE* file = nullptr;     // libsndfile handle, null once closed
  WriteOptions options;        // as constructed
  std::vector<short> pcm;      // conversion buffer for 16-bit output

  ~State() {
    if (file != nullptr) sf_close(file);
  }
};

WavSink::WavSink(const std::string& path, const WriteOptions& options) : state_(std::make_unique<State>()) {
  if (options.channels != 1 && options.channels != 2) {
    throw std::invalid_argument(fmt::format("{}: channels {} is not 1 or 2", path, options.channels));
  }
  if (options.rate_hz <= 0) throw std::invalid_argument(fmt::format("{}: rate_hz {} is not positive", path, options.rate_hz));
  State& s = *state_;
  s.path = path;
  s.options = options;
  SF_INFO sf_info{};
  sf_info.samplerate = options.rate_hz;
  sf_info.channels = options.channels;
  sf_info.format = SF_FORMAT_WAV | (options.format == SampleFormat::pcm16 ? SF_FORMAT_PCM_16 : SF_FORMAT_FLOAT);
  s.file = sf_open(path.c_str(), SFM_WRITE, &sf_info);
  if (s.file == nullptr) fail(path, fmt::format("cannot create: {}", sf_strerror(nullptr)));
}

WavSink::~WavSink() {
  if (state_ != nullptr && state_->file != nullptr) {
    sf_close(state_->file);  // errors cannot be reported from a destructor; call close() to see them
    state_->file = nullptr;
  }
}
WavSink::WavSink(WavSink&&) noexcept = default;
WavSink& WavSink::operator=(WavSink&&) noexcept = default;

void WavSink::write(std::span<const float> interleaved) {
  State& s = *state_;
  if (s.file == nullptr) fail(s.path, "write after close");
  if (interleaved.size() % static_cast<std::size_t>(s.options.channels) != 0) {
    throw std::invalid_argument(fmt::format("{}: {} samples is not a whole number of {}-channel frames", s.path,
                                            interleaved.size(), s.options.channels));
  }
  sf_count_t written = 0;
  const auto count = static_cast<sf_count_t>(interleaved.size());
  if (s.options.format == SampleFormat::pcm16) {
    // libsndfile reads 16-bit as k/32768 but writes float as x·32767; converting
    // here with 32768 makes write → read → write exact.
    s.pcm.resize(interleaved.size());
    std::transform(interleaved.begin(), interleaved.end(), s.pcm.begin(), [](float x) {
      if (!(x == x)) return short{0};  // NaN
      const double v = std::nearbyint(static_cast<double>(x) * 32768.0);
      return static_cast<short>(std::clamp(v, -32768.0, 32767.0));
    });
    written = sf_write_short(s.file, s.pcm.data(), count);
  } else {
    written = sf_write_float(s.file, interleaved.data(), count);
  }
  if (written != count) fail(s.path, fmt::format("write failed: {}", sf_strerror(s.file)));
}

void WavSink::close() {
  State& s = *state_;
  if (s.file == nullptr) return;
  const int err = sf_close(s.file);
  s.file = nullptr;
  if (err != 0) fail(s.path, fmt::format("close failed: {}", sf_error_number(err)));
}

void write_wav(const std::string& path, std::span<const float> interleaved, const WriteOptions& options) {
  WavSink sink(path, options);
  sink.write(interleaved);
  sink.close();
}

}  // namespace squeal
