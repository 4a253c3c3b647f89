// PortAudio device list and DuplexStream (see portaudio_stream.h).
#include "audio/portaudio_stream.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

#include "audio/device_resampler.h"
#include "audio/spsc_ring.h"

#if defined(SQUEAL_HAVE_PORTAUDIO) && SQUEAL_HAVE_PORTAUDIO
#include <fcntl.h>
#include <portaudio.h>
#include <unistd.h>
#define SQUEAL_PA 1
#else
#define SQUEAL_PA 0
#endif

namespace squeal {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int channels_in(const AudioDevice& d, AudioDirection direction) {
  return direction == AudioDirection::input ? d.max_input_channels : d.max_output_channels;
}

/// describe_devices() without its last newline, to end an error message.
std::string device_list_for_error(const DeviceList& devices) {
  std::string list = describe_devices(devices);
  if (!list.empty() && list.back() == '\n') list.pop_back();
  return list;
}

std::string_view direction_name(AudioDirection direction) {
  return direction == AudioDirection::input ? "input" : "output";
}

}  // namespace

std::string describe_devices(const DeviceList& devices) {
  if (devices.empty()) return "  (PortAudio sees no devices)\n";
  std::string out;
  for (const AudioDevice& d : devices) {
    char line[512];
    std::snprintf(line, sizeof line, "  %2d  %-24s [%s]  in %d  out %d  %.0f Hz\n", d.index, d.name.c_str(),
                  d.host_api.c_str(), d.max_input_channels, d.max_output_channels, d.default_sample_rate_hz);
    out += line;
  }
  return out;
}

const AudioDevice& find_device(const DeviceList& devices, std::string_view name, AudioDirection direction) {
  const std::string dir(direction_name(direction));
  std::vector<const AudioDevice*> usable;
  for (const AudioDevice& d : devices) {
    if (channels_in(d, direction) > 0) usable.push_back(&d);
  }
  if (name.empty()) {
    for (const AudioDevice* d : usable) {
      if (direction == AudioDirection::input ? d->default_input : d->default_output) return *d;
    }
    if (!usable.empty()) return *usable.front();
    throw std::runtime_error("no " + dir + " audio device exists; the devices are:\n" + device_list_for_error(devices));
  }
  for (const AudioDevice* d : usable) {
    if (d->name == name) return *d;
  }
  const std::string wanted = lower(name);
  std::vector<const AudioDevice*> matches;
  for (const AudioDevice* d : usable) {
    if (lower(d->name).find(wanted) != std::string::npos) matches.push_back(d);
  }
  if (matches.size() == 1) return *matches.front();
  if (matches.empty()) {
    std::string msg = "no " + dir + " audio device matches '" + std::string(name) + "'";
    for (const AudioDevice& d : devices) {
      if (d.name == name) msg += " ('" + d.name + "' exists but has no " + dir + " channels)";
    }
    throw std::runtime_error(msg + "; the devices are:\n" + device_list_for_error(devices));
  }
  std::string msg = "audio device name '" + std::string(name) + "' is ambiguous for " + dir + ", it matches";
  for (const AudioDevice* d : matches) msg += " '" + d->name + "'";
  throw std::runtime_error(msg + "; the devices are:\n" + device_list_for_error(devices));
}

void use_jack_server_by_default(std::string_view server) {
  const char* current = std::getenv("JACK_DEFAULT_SERVER");
  if (current == nullptr || *current == '\0') ::setenv("JACK_DEFAULT_SERVER", std::string(server).c_str(), 1);
}

#if SQUEAL_PA

bool portaudio_available() noexcept { return true; }

namespace {

/// Pa_Initialize / Pa_Terminate, with ALSA's and JACK's probing chatter on
/// stderr silenced (SQUEAL_AUDIO_DEBUG=1 keeps it).
class PortAudioLibrary {
 public:
  PortAudioLibrary() {
    const char* debug = std::getenv("SQUEAL_AUDIO_DEBUG");
    const bool quiet = debug == nullptr || std::string_view(debug) != "1";
    int saved_stderr = -1;
    if (quiet) {
      std::fflush(stderr);
      saved_stderr = ::dup(2);
      const int devnull = ::open("/dev/null", O_WRONLY);
      if (saved_stderr >= 0 && devnull >= 0) ::dup2(devnull, 2);
      if (devnull >= 0) ::close(devnull);
    }
    const PaError err = Pa_Initialize();
    if (saved_stderr >= 0) {
      std::fflush(stderr);
      ::dup2(saved_stderr, 2);
      ::close(saved_stderr);
    }
    if (err != paNoError) {
      throw std::runtime_error(std::string("PortAudio failed to start: ") + Pa_GetErrorText(err));
    }
  }
  ~PortAudioLibrary() { Pa_Terminate(); }
  PortAudioLibrary(const PortAudioLibrary&) = delete;
  PortAudioLibrary& operator=(const PortAudioLibrary&) = delete;
};

DeviceList enumerate() {
  DeviceList out;
  const int count = Pa_GetDeviceCount();
  if (count < 0) throw std::runtime_error(std::string("PortAudio cannot list devices: ") + Pa_GetErrorText(count));
  for (int i = 0; i < count; ++i) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(i);
    if (info == nullptr) continue;
    const PaHostApiInfo* api = Pa_GetHostApiInfo(info->hostApi);
    out.push_back(AudioDevice{i, info->name ? info->name : "", api && api->name ? api->name : "?",
                              info->maxInputChannels, info->maxOutputChannels, info->defaultSampleRate,
                              i == Pa_GetDefaultInputDevice(), i == Pa_GetDefaultOutputDevice()});
  }
  return out;
}

std::string pa_error_text(PaError err) {
  std::string text = Pa_GetErrorText(err);
  if (err == paUnanticipatedHostError) {
    const PaHostErrorInfo* host = Pa_GetLastHostErrorInfo();
    if (host != nullptr && host->errorText != nullptr && *host->errorText) text += std::string(" (") + host->errorText + ")";
  }
  return text;
}

std::string device_label(const AudioDevice& d) { return "'" + d.name + "' [" + d.host_api + "]"; }

/// Counters bumped by the callbacks (relaxed atomics: lock-free, no ordering needed).
struct AtomicCounts {
  std::atomic<std::uint64_t> rx_overrun_samples{0};
  std::atomic<std::uint64_t> rx_overrun_events{0};
  std::atomic<std::uint64_t> tx_underrun_samples{0};
  std::atomic<std::uint64_t> tx_underrun_events{0};
  std::atomic<std::uint64_t> pa_input_overflow{0};
  std::atomic<std::uint64_t> pa_input_underflow{0};
  std::atomic<std::uint64_t> pa_output_underflow{0};
  std::atomic<std::uint64_t> pa_output_overflow{0};
  std::atomic<std::uint64_t> input_samples{0};
  std::atomic<std::uint64_t> output_samples{0};
};

void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) noexcept {
  counter.fetch_add(by, std::memory_order_relaxed);
}

void count_flags(AtomicCounts& counts, PaStreamCallbackFlags flags) noexcept {
  if (flags & paInputOverflow) bump(counts.pa_input_overflow);
  if (flags & paInputUnderflow) bump(counts.pa_input_underflow);
  if (flags & paOutputUnderflow) bump(counts.pa_output_underflow);
  if (flags & paOutputOverflow) bump(counts.pa_output_overflow);
}

constexpr std::size_t kScratchSamples = 1024;  // callback chunk for (de)interleaving

}  // namespace

struct DuplexStream::Impl {
  PortAudioLibrary library;                 // keeps PortAudio initialised while the stream lives
  DeviceList devices;                       // snapshot the device indices below refer to
  AudioDevice input;                        // the capture device
  AudioDevice output;                       // the playback device
  double rate_hz = kSampleRateHz;           // the DSP rate of read() / write()
  double device_rate_hz = kSampleRateHz;    // both streams' sample rate
  int input_channels = 1;                   // channels the input stream was opened with
  int output_channels = 1;                  // channels the output stream was opened with
  int input_channel_index = 0;              // 0-based channel kept from the input
  int output_channel_index = 0;             // 0-based channel driven on the output
  std::size_t prefill_samples = 0;          // zeros (device rate) the first write() queues for output
  std::unique_ptr<SpscRing> rx;             // input callback -> read(), device-rate samples
  std::unique_ptr<SpscRing> tx;             // write() -> output callback, device-rate samples
  std::unique_ptr<DeviceResampler> resampler;  // device <-> DSP rate on the DSP thread; null at equal rates
  std::vector<float> rx_scratch;            // input callback's de-interleave buffer (callback thread only)
  std::vector<float> tx_scratch;            // output callback's pop buffer (callback thread only)
  AtomicCounts counts;                      // xrun and sample counters
  std::atomic<bool> tx_armed{false};        // set by the first write() (which queues the prefill): underruns count from then on
  PaStream* input_stream = nullptr;         // the open input stream
  PaStream* output_stream = nullptr;        // the open output stream
  bool started = false;                     // start() succeeded and stop() has not run

  Impl() : rx_scratch(kScratchSamples), tx_scratch(kScratchSamples) {}

  static int input_callback(const void* in, void*, unsigned long frames, const PaStreamCallbackTimeInfo*,
                            PaStreamCallbackFlags flags, void* user) noexcept {
    Impl& self = *static_cast<Impl*>(user);
    count_flags(self.counts, flags);
    if (in == nullptr) return paContinue;
    const float* samples = static_cast<const float*>(in);
    const std::size_t stride = static_cast<std::size_t>(self.input_channels);
    const std::size_t channel = static_cast<std::size_t>(self.input_channel_index);
    std::size_t dropped = 0;
    for (std::size_t done = 0; done < frames;) {
      const std::size_t chunk = std::min<std::size_t>(frames - done, self.rx_scratch.size());
      for (std::size_t i = 0; i < chunk; ++i) self.rx_scratch[i] = samples[(done + i) * stride + channel];
      dropped += chunk - self.rx->push(std::span<const float>(self.rx_scratch.data(), chunk));
      done += chunk;
    }
    bump(self.counts.input_samples, frames);
    if (dropped > 0) {
      bump(self.counts.rx_overrun_samples, dropped);
      bump(self.counts.rx_overrun_events);
    }
    return paContinue;
  }

  static int output_callback(const void*, void* out, unsigned long frames, const PaStreamCallbackTimeInfo*,
                             PaStreamCallbackFlags flags, void* user) noexcept {
    Impl& self = *static_cast<Impl*>(user);
    count_flags(self.counts, flags);
    float* samples = static_cast<float*>(out);
    const std::size_t stride = static_cast<std::size_t>(self.output_channels);
    const std::size_t channel = static_cast<std::size_t>(self.output_channel_index);
    std::size_t missing = 0;
    for (std::size_t done = 0; done < frames;) {
      const std::size_t chunk = std::min<std::size_t>(frames - done, self.tx_scratch.size());
      const std::size_t got = self.tx->pop(std::span<float>(self.tx_scratch.data(), chunk));
      std::fill(self.tx_scratch.begin() + static_cast<std::ptrdiff_t>(got),
                self.tx_scratch.begin() + static_cast<std::ptrdiff_t>(chunk), 0.0f);
      missing += chunk - got;
      for (std::size_t i = 0; i < chunk; ++i) {
        float* frame = samples + (done + i) * stride;
        for (std::size_t c = 0; c < stride; ++c) frame[c] = c == channel ? self.tx_scratch[i] : 0.0f;
      }
      done += chunk;
    }
    bump(self.counts.output_samples, frames);
    if (missing > 0 && self.tx_armed.load(std::memory_order_relaxed)) {
      bump(self.counts.tx_underrun_samples, missing);
      bump(self.counts.tx_underrun_events);
    }
    return paContinue;
  }

  /// The stream parameters for one direction of `device`.
  static PaStreamParameters parameters(const AudioDevice& device, AudioDirection direction, int channels) {
    const PaDeviceInfo* info = Pa_GetDeviceInfo(device.index);
    PaStreamParameters params{};
    params.device = device.index;
    params.channelCount = channels;
    params.sampleFormat = paFloat32;
    params.hostApiSpecificStreamInfo = nullptr;
    const bool is_input = direction == AudioDirection::input;
    params.suggestedLatency = info ? (is_input ? info->defaultLowInputLatency : info->defaultLowOutputLatency) : 0.0;
    return params;
  }

  static std::string what(const AudioDevice& device, AudioDirection direction) {
    return "audio device " + device_label(device) + " (" + std::string(direction_name(direction)) + ")";
  }

  /// True when `device` takes `channels` float32 channels at `rate`; false for
  /// a rate it refuses; throws for busy and every other refusal.
  static bool runs_at(const AudioDevice& device, AudioDirection direction, int channels, double rate) {
    const PaStreamParameters params = parameters(device, direction, channels);
    const bool is_input = direction == AudioDirection::input;
    const PaError supported = Pa_IsFormatSupported(is_input ? &params : nullptr, is_input ? nullptr : &params, rate);
    if (supported == paFormatIsSupported) return true;
    if (supported == paInvalidSampleRate) return false;
    if (supported == paDeviceUnavailable) throw std::runtime_error(what(device, direction) + " is busy or unavailable");
    throw std::runtime_error(what(device, direction) + " does not support " + std::to_string(channels) +
                             " float32 channel(s) at " + std::to_string(static_cast<long>(rate)) + " Hz: " +
                             pa_error_text(supported));
  }

  /// The first of `rates` both devices run at; "rate not supported" naming
  /// the rates tried and the refusing device's default rate otherwise.
  double choose_rate(const std::vector<double>& rates) {
    for (double rate : rates) {
      if (runs_at(input, AudioDirection::input, input_channels, rate) &&
          runs_at(output, AudioDirection::output, output_channels, rate)) {
        return rate;
      }
    }
    std::string tried;
    for (double rate : rates) tried += (tried.empty() ? "" : " nor at ") + std::to_string(static_cast<long>(rate)) + " Hz";
    const bool input_refuses = !runs_at(input, AudioDirection::input, input_channels, rates.front());
    const AudioDevice& refusing = input_refuses ? input : output;
    const auto default_hz = static_cast<long>(refusing.default_sample_rate_hz);
    const bool default_tried = std::find(rates.begin(), rates.end(), refusing.default_sample_rate_hz) != rates.end();
    throw std::runtime_error("rate not supported: " + what(refusing, input_refuses ? AudioDirection::input : AudioDirection::output) +
                             " cannot run at " + tried + "; its default rate is " + std::to_string(default_hz) + " Hz" +
                             (default_tried ? "" : " (squeal resamples from it: --rate " + std::to_string(default_hz) + ")"));
  }

  PaStream* open_one(const AudioDevice& device, AudioDirection direction, int channels, unsigned long frames_per_buffer) {
    const PaStreamParameters params = parameters(device, direction, channels);
    const bool is_input = direction == AudioDirection::input;
    PaStream* stream = nullptr;
    const PaError err = Pa_OpenStream(&stream, is_input ? &params : nullptr, is_input ? nullptr : &params, device_rate_hz,
                                      frames_per_buffer, paNoFlag,
                                      is_input ? &Impl::input_callback : &Impl::output_callback, this);
    if (err == paDeviceUnavailable) throw std::runtime_error(what(device, direction) + " is busy or unavailable");
    if (err != paNoError) throw std::runtime_error("cannot open " + what(device, direction) + ": " + pa_error_text(err));
    return stream;
  }

  void close_all() noexcept {
    if (input_stream != nullptr) Pa_CloseStream(input_stream);
    if (output_stream != nullptr) Pa_CloseStream(output_stream);
    input_stream = output_stream = nullptr;
  }
};

namespace {

/// The JACK server PortAudio's JACK host API looks for.
std::string jack_server_name() {
  const char* name = std::getenv("JACK_DEFAULT_SERVER");
  return name != nullptr && *name != '\0' ? name : "default";
}

/// find_device(), and when nothing matches while PortAudio sees no JACK
/// device, the error says first that no audio server answers and what to do.
const AudioDevice& find_device_or_say_why(const DeviceList& devices, std::string_view name, AudioDirection direction) {
  try {
    return find_device(devices, name, direction);
  } catch (const std::runtime_error& e) {
    if (std::any_of(devices.begin(), devices.end(), [](const AudioDevice& d) { return d.host_api.find("JACK") != std::string::npos; })) {
      throw;
    }
    const std::string server = jack_server_name();
    throw std::runtime_error("no audio server: the JACK server '" + server + "' is not running" +
                             (devices.empty() ? " and PortAudio sees no other audio device" : "") +
                             ". Start the loopback cable with tools/jack-cable.sh start (server 'squeal'), or name a "
                             "running JACK server with --jack-server NAME (or JACK_DEFAULT_SERVER).\n" + e.what());
  }
}

}  // namespace

DeviceList list_devices() {
  PortAudioLibrary library;
  return enumerate();
}

DuplexStream::DuplexStream(const DuplexStreamConfig& config) {
  if (!(config.sample_rate_hz > 0)) {
    throw std::invalid_argument("sample rate " + std::to_string(config.sample_rate_hz) + " Hz must be > 0");
  }
  if (config.input_channel < 1) throw std::invalid_argument("input channel " + std::to_string(config.input_channel) + " must be >= 1");
  if (config.output_channel < 1) throw std::invalid_argument("output channel " + std::to_string(config.output_channel) + " must be >= 1");
  if (config.ring_samples < 2 * config.prefill_samples || config.ring_samples < 256) {
    throw std::invalid_argument("ring of " + std::to_string(config.ring_samples) +
                                " samples is too small (needs >= 256 and >= twice the prefill of " +
                                std::to_string(config.prefill_samples) + ")");
  }
  if (config.device_rate_hz < 0 || !std::isfinite(config.device_rate_hz)) {
    throw std::invalid_argument("device rate " + std::to_string(config.device_rate_hz) + " Hz must be > 0 (or 0: automatic)");
  }
  impl_ = std::make_unique<Impl>();
  Impl& s = *impl_;
  s.devices = enumerate();
  s.input = find_device_or_say_why(s.devices, config.input_device, AudioDirection::input);
  s.output = find_device_or_say_why(s.devices, config.output_device, AudioDirection::output);
  s.rate_hz = config.sample_rate_hz;
  if (config.input_channel > s.input.max_input_channels) {
    throw std::runtime_error("input channel " + std::to_string(config.input_channel) + " does not exist on audio device " +
                             device_label(s.input) + ", which has " + std::to_string(s.input.max_input_channels));
  }
  if (config.output_channel > s.output.max_output_channels) {
    throw std::runtime_error("output channel " + std::to_string(config.output_channel) + " does not exist on audio device " +
                             device_label(s.output) + ", which has " + std::to_string(s.output.max_output_channels));
  }
  // At least two channels where the device has them: some hardware refuses mono.
  s.input_channels = std::max(config.input_channel, std::min(2, s.input.max_input_channels));
  s.output_channels = std::max(config.output_channel, std::min(2, s.output.max_output_channels));
  s.input_channel_index = config.input_channel - 1;
  s.output_channel_index = config.output_channel - 1;
  // The rates to try, in order (DuplexStreamConfig::device_rate_hz).
  std::vector<double> rates;
  if (config.device_rate_hz > 0) {
    rates = {config.device_rate_hz, config.sample_rate_hz};
  } else {
    rates = {config.sample_rate_hz, s.input.default_sample_rate_hz, s.output.default_sample_rate_hz};
  }
  std::erase_if(rates, [](double r) { return !(r > 0); });
  rates.erase(std::unique(rates.begin(), rates.end()), rates.end());
  s.device_rate_hz = s.choose_rate(rates);
  const double device_per_dsp = s.device_rate_hz / s.rate_hz;
  if (s.device_rate_hz != s.rate_hz) s.resampler = std::make_unique<DeviceResampler>(s.device_rate_hz, s.rate_hz);
  const auto ring = static_cast<std::size_t>(std::ceil(static_cast<double>(config.ring_samples) * std::max(1.0, device_per_dsp)));
  s.rx = std::make_unique<SpscRing>(ring);
  s.tx = std::make_unique<SpscRing>(ring);
  s.prefill_samples = static_cast<std::size_t>(std::llround(static_cast<double>(config.prefill_samples) * device_per_dsp));
  const unsigned long frames = config.frames_per_buffer == 0 ? paFramesPerBufferUnspecified
                                                             : static_cast<unsigned long>(config.frames_per_buffer);
  try {
    s.input_stream = s.open_one(s.input, AudioDirection::input, s.input_channels, frames);
    s.output_stream = s.open_one(s.output, AudioDirection::output, s.output_channels, frames);
  } catch (...) {
    s.close_all();
    throw;
  }
}

DuplexStream::~DuplexStream() {
  if (!impl_) return;
  stop();
  impl_->close_all();
}

void DuplexStream::start() {
  Impl& s = *impl_;
  stop();
  // Both streams are stopped: this thread is the only one touching the rings.
  s.rx->discard(s.rx->available());
  s.tx->discard(s.tx->available());
  if (s.resampler) s.resampler->reset();
  s.tx_armed.store(false);
  for (auto* c : {&s.counts.rx_overrun_samples, &s.counts.rx_overrun_events, &s.counts.tx_underrun_samples,
                  &s.counts.tx_underrun_events, &s.counts.pa_input_overflow, &s.counts.pa_input_underflow,
                  &s.counts.pa_output_underflow, &s.counts.pa_output_overflow, &s.counts.input_samples,
                  &s.counts.output_samples}) {
    c->store(0);
  }
  PaError err = Pa_StartStream(s.output_stream);
  if (err != paNoError) throw std::runtime_error("cannot start audio device " + device_label(s.output) + " (output): " + pa_error_text(err));
  err = Pa_StartStream(s.input_stream);
  if (err != paNoError) {
    Pa_StopStream(s.output_stream);
    throw std::runtime_error("cannot start audio device " + device_label(s.input) + " (input): " + pa_error_text(err));
  }
  s.started = true;
}

void DuplexStream::stop() noexcept {
  Impl& s = *impl_;
  if (!s.started) return;
  Pa_StopStream(s.input_stream);
  Pa_StopStream(s.output_stream);
  s.started = false;
}

bool DuplexStream::running() const noexcept {
  const Impl& s = *impl_;
  return s.started && Pa_IsStreamActive(s.input_stream) == 1 && Pa_IsStreamActive(s.output_stream) == 1;
}

namespace {
constexpr auto kPollInterval = std::chrono::milliseconds(1);  // read()/write() wait granularity
}

std::size_t DuplexStream::read(std::span<float> out, std::chrono::milliseconds timeout) {
  Impl& s = *impl_;
  auto take = [&s](std::span<float> to) { return s.resampler ? s.resampler->read_from(*s.rx, to) : s.rx->pop(to); };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t done = take(out);
  while (done < out.size()) {
    if (std::chrono::steady_clock::now() >= deadline || !running()) break;
    std::this_thread::sleep_for(kPollInterval);
    done += take(out.subspan(done));
  }
  return done;
}

std::size_t DuplexStream::write(std::span<const float> in, std::chrono::milliseconds timeout) {
  Impl& s = *impl_;
  if (!s.tx_armed.load(std::memory_order_relaxed)) {
    // Until now the output played silence; from here on it must never run dry,
    // so give it prefill_samples of slack ahead of the DSP thread's samples.
    s.tx->push_zeros(s.prefill_samples);
    s.tx_armed.store(true, std::memory_order_relaxed);
  }
  auto give = [&s](std::span<const float> from) { return s.resampler ? s.resampler->write_to(*s.tx, from) : s.tx->push(from); };
  auto drained = [&s] { return !s.resampler || s.resampler->tx_drained(); };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t done = give(in);
  while (done < in.size() || !drained()) {
    if (std::chrono::steady_clock::now() >= deadline || !running()) break;
    std::this_thread::sleep_for(kPollInterval);
    done += give(in.subspan(done));
  }
  return done;
}

// At the device rate: what the rings hold, not counting the resampler's leftovers.
std::size_t DuplexStream::readable() const noexcept { return impl_->rx->available(); }
std::size_t DuplexStream::writable() const noexcept { return impl_->tx->free_space(); }

XrunCounts DuplexStream::xruns() const noexcept {
  const AtomicCounts& c = impl_->counts;
  auto get = [](const std::atomic<std::uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return XrunCounts{get(c.rx_overrun_samples), get(c.rx_overrun_events),   get(c.tx_underrun_samples),
                    get(c.tx_underrun_events), get(c.pa_input_overflow),   get(c.pa_input_underflow),
                    get(c.pa_output_underflow), get(c.pa_output_overflow), get(c.input_samples),
                    get(c.output_samples)};
}

const AudioDevice& DuplexStream::input_device() const noexcept { return impl_->input; }
const AudioDevice& DuplexStream::output_device() const noexcept { return impl_->output; }
double DuplexStream::sample_rate_hz() const noexcept { return impl_->rate_hz; }
double DuplexStream::device_rate_hz() const noexcept { return impl_->device_rate_hz; }
bool DuplexStream::resampling() const noexcept { return impl_->resampler != nullptr; }

// PortAudio 19.6's JACK host API reports 2^32 frames here (an unsigned -1).
constexpr double kImplausibleLatencyS = 60;

double DuplexStream::input_latency_s() const noexcept {
  const PaStreamInfo* info = Pa_GetStreamInfo(impl_->input_stream);
  return info && info->inputLatency < kImplausibleLatencyS ? info->inputLatency : -1.0;
}
double DuplexStream::output_latency_s() const noexcept {
  const PaStreamInfo* info = Pa_GetStreamInfo(impl_->output_stream);
  return info && info->outputLatency < kImplausibleLatencyS ? info->outputLatency : -1.0;
}

#else  // no PortAudio in this build

bool portaudio_available() noexcept { return false; }

namespace {
[[noreturn]] void no_portaudio() {
  throw std::runtime_error("this squeal was built without PortAudio (install portaudio19-dev and rebuild)");
}
}  // namespace

struct DuplexStream::Impl {
  AudioDevice none;  // what the accessors return
};

DeviceList list_devices() { no_portaudio(); }
DuplexStream::DuplexStream(const DuplexStreamConfig&) { no_portaudio(); }
DuplexStream::~DuplexStream() = default;
void DuplexStream::start() { no_portaudio(); }
void DuplexStream::stop() noexcept {}
bool DuplexStream::running() const noexcept { return false; }
std::size_t DuplexStream::read(std::span<float>, std::chrono::milliseconds) { return 0; }
std::size_t DuplexStream::write(std::span<const float>, std::chrono::milliseconds) { return 0; }
std::size_t DuplexStream::readable() const noexcept { return 0; }
std::size_t DuplexStream::writable() const noexcept { return 0; }
XrunCounts DuplexStream::xruns() const noexcept { return {}; }
const AudioDevice& DuplexStream::input_device() const noexcept { return impl_->none; }
const AudioDevice& DuplexStream::output_device() const noexcept { return impl_->none; }
double DuplexStream::sample_rate_hz() const noexcept { return 0; }
double DuplexStream::device_rate_hz() const noexcept { return 0; }
bool DuplexStream::resampling() const noexcept { return false; }
double DuplexStream::input_latency_s() const noexcept { return 0; }
double DuplexStream::output_latency_s() const noexcept { return 0; }

#endif

}  // namespace squeal
