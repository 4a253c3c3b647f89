// audio/spsc_ring.h, device lookup, and (when PortAudio and JACK are present)
// DuplexStream through the JACK loopback cable (tools/jack-cable.sh): a caller
// (out cableA, in cableB) and an answerer (out cableB, in cableA) in this one
// process exchange tones, and `squeal devices --json` lists the cable; the
// device resampler (audio/device_resampler.h) 8 kHz -> 48 kHz -> 8 kHz.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "audio/device_resampler.h"
#include "audio/portaudio_stream.h"
#include "audio/spsc_ring.h"
#include "tests/jack_cable.h"

using namespace squeal;

TEST_CASE("spsc ring rounds its capacity up to a power of two and rejects 0") {
  CHECK(SpscRing(1).capacity() == 1);
  CHECK(SpscRing(100).capacity() == 128);
  CHECK(SpscRing(128).capacity() == 128);
  CHECK_THROWS_AS(SpscRing(0), std::invalid_argument);
}

TEST_CASE("spsc ring keeps order across wrap-around and refuses what does not fit") {
  SpscRing ring(8);
  std::vector<float> out(8);
  float next_in = 0, next_out = 0;
  for (int round = 0; round < 20; ++round) {  // 3 in, 3 out: the indices wrap every few rounds
    std::vector<float> in{next_in, next_in + 1, next_in + 2};
    REQUIRE(ring.push(in) == 3);
    next_in += 3;
    REQUIRE(ring.pop(std::span<float>(out.data(), 3)) == 3);
    for (int i = 0; i < 3; ++i) CHECK(out[static_cast<std::size_t>(i)] == next_out++);
  }
  std::vector<float> ten(10, 1.0f);
  CHECK(ring.push(ten) == 8);  // full at 8
  CHECK(ring.push(ten) == 0);
  CHECK(ring.free_space() == 0);
  CHECK(ring.available() == 8);
  CHECK(ring.discard(5) == 5);
  CHECK(ring.push_zeros(10) == 5);
  CHECK(ring.pop(out) == 8);
  CHECK(out[2] == 1.0f);
  CHECK(out[3] == 0.0f);
  CHECK(ring.pop(out) == 0);  // empty
}

TEST_CASE("spsc ring passes 200000 samples between two threads intact") {
  SpscRing ring(256);
  constexpr int kCount = 200'000;  // below 2^24: every value is an exact float
  std::thread producer([&] {
    std::vector<float> block(37);
    int next = 0;
    while (next < kCount) {
      const int n = std::min<int>(37, kCount - next);
      for (int i = 0; i < n; ++i) block[static_cast<std::size_t>(i)] = static_cast<float>(next + i);
      std::size_t pushed = 0;
      while (pushed < static_cast<std::size_t>(n)) {
        pushed += ring.push(std::span<const float>(block.data() + pushed, static_cast<std::size_t>(n) - pushed));
        if (pushed < static_cast<std::size_t>(n)) std::this_thread::yield();
      }
      next += n;
    }
  });
  std::vector<float> block(53);
  int expected = 0, mismatches = 0;
  while (expected < kCount) {
    const std::size_t got = ring.pop(block);
    for (std::size_t i = 0; i < got; ++i) mismatches += block[i] != static_cast<float>(expected++);
    if (got == 0) std::this_thread::yield();
  }
  producer.join();
  CHECK(mismatches == 0);
  CHECK(ring.available() == 0);
}

TEST_CASE("find_device matches exactly, then by unique substring, and lists the devices otherwise") {
  const DeviceList devices{
      {0, "system", "JACK Audio Connection Kit", 2, 2, 8000, true, true},
      {1, "cableA", "JACK Audio Connection Kit", 2, 2, 8000, false, false},
      {2, "cableB", "JACK Audio Connection Kit", 2, 2, 8000, false, false},
      {3, "mic only", "ALSA", 1, 0, 48000, false, false},
  };
  CHECK(find_device(devices, "cableA", AudioDirection::output).index == 1);
  CHECK(find_device(devices, "ableb", AudioDirection::input).index == 2);
  CHECK(find_device(devices, "", AudioDirection::input).index == 0);
  CHECK(find_device(devices, "mic", AudioDirection::input).index == 3);
  try {
    find_device(devices, "mic", AudioDirection::output);
    FAIL("an input-only device matched for output");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CHECK(what.find("'mic'") != std::string::npos);
    CHECK(what.find("cableB") != std::string::npos);  // the list of devices that exist
  }
  try {
    find_device(devices, "cable", AudioDirection::input);
    FAIL("an ambiguous name matched");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("ambiguous") != std::string::npos);
  }
  CHECK_THROWS_AS(find_device(devices, "nosuch", AudioDirection::input), std::runtime_error);
}

namespace {

/// Mean-square power of x (sampled at rate_hz) at freq_hz: Goertzel, a full-scale sine gives 0.5.
double tone_power_at(std::span<const float> x, double freq_hz, double rate_hz) {
  const double w = 2 * std::numbers::pi * freq_hz / rate_hz;
  double re = 0, im = 0;
  for (std::size_t n = 0; n < x.size(); ++n) {
    re += x[n] * std::cos(w * static_cast<double>(n));
    im -= x[n] * std::sin(w * static_cast<double>(n));
  }
  const double amp = 2 * std::hypot(re, im) / static_cast<double>(x.size());
  return amp * amp / 2;
}

double mean_square_of(std::span<const float> x) {
  double sum = 0;
  for (float v : x) sum += static_cast<double>(v) * v;
  return x.empty() ? 0 : sum / static_cast<double>(x.size());
}

std::vector<float> sine(std::size_t n, double freq_hz, double rate_hz, double amplitude) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(amplitude * std::sin(2 * std::numbers::pi * freq_hz * static_cast<double>(i) / rate_hz));
  }
  return x;
}

/// `dsp` through a DeviceResampler's TX side (write_to in `chunk`-sample
/// pieces) into a ring, the ring's device-rate samples straight into the RX
/// side, read back (read_from in `chunk`-sample pieces): the cable without
/// the cable. Returns {device-rate samples, DSP-rate samples read back}.
std::pair<std::vector<float>, std::vector<float>> round_trip(const std::vector<float>& dsp, double device_rate_hz,
                                                            std::size_t chunk) {
  DeviceResampler resampler(device_rate_hz, 8000);
  SpscRing tx(1 << 17), rx(1 << 17);
  std::vector<float> device;
  std::vector<float> moved(4096);
  for (std::size_t at = 0; at < dsp.size();) {
    const std::size_t n = std::min(chunk, dsp.size() - at);
    at += resampler.write_to(tx, std::span<const float>(dsp.data() + at, n));
    for (std::size_t got; (got = tx.pop(moved)) > 0;) device.insert(device.end(), moved.begin(), moved.begin() + static_cast<std::ptrdiff_t>(got));
  }
  while (!resampler.tx_drained()) {
    resampler.write_to(tx, {});
    for (std::size_t got; (got = tx.pop(moved)) > 0;) device.insert(device.end(), moved.begin(), moved.begin() + static_cast<std::ptrdiff_t>(got));
  }
  std::vector<float> back;
  std::vector<float> out(chunk);
  for (std::size_t at = 0; at < device.size();) {
    at += rx.push(std::span<const float>(device.data() + at, std::min<std::size_t>(4096, device.size() - at)));
    for (std::size_t got; (got = resampler.read_from(rx, out)) > 0;) back.insert(back.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(got));
  }
  return {device, back};
}

}  // namespace

TEST_CASE("device resampler 8 kHz -> 48 kHz -> 8 kHz keeps a tone's level within 0.1 dB and its frequency, in any chunking") {
  for (const double freq_hz : {400.0, 1000.0, 1800.0, 3300.0}) {
    CAPTURE(freq_hz);
    const std::vector<float> dsp = sine(16000, freq_hz, 8000, 0.5);  // 2 s
    const auto [device, back] = round_trip(dsp, 48000, 160);
    // Rate: 6 device samples per DSP sample, and all of them back (but the
    // filters' tails, which are still in the resampler).
    CHECK(static_cast<double>(device.size()) == doctest::Approx(6.0 * 16000).epsilon(0.001));
    CHECK(static_cast<double>(back.size()) == doctest::Approx(16000).epsilon(0.003));
    REQUIRE(back.size() > 12000);
    // At 48 kHz: the same tone (power at freq_hz, 0.5^2/2), nothing elsewhere.
    const std::span<const float> mid_device(device.data() + 24000, 48000);
    CHECK(std::fabs(10 * std::log10(mean_square_of(mid_device) / 0.125)) < 0.05);
    CHECK(tone_power_at(mid_device, freq_hz, 48000) > 0.999 * mean_square_of(mid_device));
    CHECK(tone_power_at(mid_device, 8000 - freq_hz, 48000) < 1e-6 * 0.125);  // first image, >= 60 dB down
    // Back at 8 kHz: level within 0.1 dB, the power at freq_hz (2 Hz bins
    // over 0.5 s: a frequency error of 1 Hz would lose ~40 % of it).
    const std::span<const float> mid_back(back.data() + 4000, 4000);
    const double level_db = 10 * std::log10(mean_square_of(mid_back) / 0.125);
    MESSAGE("round trip at ", freq_hz, " Hz: ", level_db, " dB");
    CHECK(std::fabs(level_db) < 0.1);
    CHECK(tone_power_at(mid_back, freq_hz, 8000) > 0.999 * mean_square_of(mid_back));
  }
  // Chunk-invariant: 1, 37, 160 and 1024-sample pieces give identical samples both ways.
  std::vector<float> speech_like(8000);
  for (std::size_t i = 0; i < speech_like.size(); ++i) {
    const double t = static_cast<double>(i) / 8000;
    speech_like[i] = static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * 700 * t) * std::sin(2 * std::numbers::pi * 3 * t) +
                                        0.2 * std::sin(2 * std::numbers::pi * 2400 * t + 1));
  }
  const auto reference = round_trip(speech_like, 48000, 160);
  for (const std::size_t chunk : {1u, 37u, 1024u}) {
    CAPTURE(chunk);
    const auto other = round_trip(speech_like, 48000, chunk);
    CHECK(other.first == reference.first);
    CHECK(other.second == reference.second);
  }
  // 44.1 kHz, a ratio that is not an integer: the tone still comes back at its level.
  const auto [device441, back441] = round_trip(sine(16000, 1000, 8000, 0.5), 44100, 160);
  CHECK(static_cast<double>(device441.size()) == doctest::Approx(16000 * 44100.0 / 8000).epsilon(0.001));
  REQUIRE(back441.size() > 12000);
  CHECK(std::fabs(10 * std::log10(mean_square_of(std::span<const float>(back441.data() + 4000, 4000)) / 0.125)) < 0.1);
}

TEST_CASE("rate converter rejects bad rates naming them") {
  CHECK_THROWS_AS(RateConverter(0, 8000), std::invalid_argument);
  CHECK_THROWS_AS(RateConverter(8000, -1), std::invalid_argument);
  try {
    RateConverter(8000, 192000);
    FAIL("a 24x ratio was accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("192000") != std::string::npos);
  }
  RateConverter down(48000, 8000);
  CHECK(down.cutoff_hz() == 3900);
  CHECK(down.max_output(600) >= 100);
}

namespace {

std::string run_capture(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  ::pclose(pipe);
  return out;
}

/// Mean-square power of x at freq_hz (Goertzel, normalised so a full-scale sine gives 0.5).
double tone_power(std::span<const float> x, double freq_hz) {
  const double w = 2 * std::numbers::pi * freq_hz / kSampleRateHz;
  double re = 0, im = 0;
  for (std::size_t n = 0; n < x.size(); ++n) {
    re += x[n] * std::cos(w * static_cast<double>(n));
    im -= x[n] * std::sin(w * static_cast<double>(n));
  }
  const double amp = 2 * std::hypot(re, im) / static_cast<double>(x.size());
  return amp * amp / 2;
}

double mean_square(std::span<const float> x) {
  double sum = 0;
  for (float v : x) sum += static_cast<double>(v) * v;
  return x.empty() ? 0 : sum / static_cast<double>(x.size());
}

/// First index from which |x| exceeds threshold, or -1.
long onset(const std::vector<float>& x, float threshold) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (std::fabs(x[i]) > threshold) return static_cast<long>(i);
  }
  return -1;
}

}  // namespace

TEST_CASE("a tone each way through the JACK loopback cable arrives intact") {
  if (!portaudio_available()) {
    MESSAGE("built without PortAudio: cable test skipped");
    return;
  }
  ::setenv("JACK_DEFAULT_SERVER", "squeal", 1);  // tools/jack-cable.sh's server
  ::setenv("JACK_NO_START_SERVER", "1", 1);
  squeal::test::CableGuard cable;
  if (!cable.ready()) {
    REQUIRE_MESSAGE(!cable.have_jackd(), "jackd is installed but tools/jack-cable.sh start failed");
    MESSAGE("jackd is not installed (tools/setup.sh installs jackd2): cable test skipped");
    return;
  }

  const DeviceList devices = list_devices();
  for (const char* name : {"cableA", "cableB"}) {
    const AudioDevice& d = find_device(devices, name, AudioDirection::input);
    CHECK(d.name == name);
    CHECK(d.max_input_channels == 2);
    CHECK(d.max_output_channels == 2);
    CHECK(d.default_sample_rate_hz == 8000);
  }

  {  // squeal devices --json lists the cable
    const char* bin = std::getenv("SQUEAL_BIN");
    REQUIRE(bin != nullptr);
    const auto json = nlohmann::json::parse(run_capture(std::string("timeout 20 '") + bin + "' devices --json"));
    REQUIRE(json.is_array());
    int found = 0;
    for (const auto& d : json) {
      if (d.at("name") == "cableA" || d.at("name") == "cableB") {
        ++found;
        CHECK(d.at("max_output_channels") == 2);
        CHECK(d.at("default_sample_rate_hz") == 8000.0);
        CHECK(d.at("host_api").get<std::string>().find("JACK") != std::string::npos);
      }
    }
    CHECK(found == 2);
  }

  {  // the cable runs at 8000 Hz only: asked for 16000, the stream falls back to 8000, no resampling
    DuplexStreamConfig config;
    config.output_device = "cableA";
    config.input_device = "cableB";
    config.device_rate_hz = 16000;
    DuplexStream stream(config);
    CHECK(stream.device_rate_hz() == 8000);
    CHECK(stream.sample_rate_hz() == 8000);
    CHECK_FALSE(stream.resampling());
  }
  {  // a 16 kHz DSP side on the 8 kHz cable: opened at the device's default rate, resampled
    DuplexStreamConfig config;
    config.output_device = "cableA";
    config.input_device = "cableB";
    config.sample_rate_hz = 16000;
    DuplexStream stream(config);
    CHECK(stream.device_rate_hz() == 8000);
    CHECK(stream.sample_rate_hz() == 16000);
    CHECK(stream.resampling());
  }

  {  // a caller and an answerer stream
    DuplexStreamConfig caller_config;
    caller_config.output_device = "cableA";
    caller_config.input_device = "cableB";
    DuplexStreamConfig answerer_config;
    answerer_config.output_device = "cableB";
    answerer_config.input_device = "cableA";
    DuplexStream caller(caller_config);
    DuplexStream answerer(answerer_config);
    CHECK(caller.output_device().name == "cableA");
    CHECK(answerer.input_device().name == "cableA");

    // Caller: silence, then 0.5 s of 1000 Hz at amplitude 0.5 (cosine: the
    // first tone sample is the peak, so the onset is exact); answerer: the
    // same with 1800 Hz, starting later.
    constexpr std::size_t kBlock = 256, kBlocks = 48;  // 1.536 s
    constexpr std::size_t kCallerStart = 1600, kAnswererStart = 4000, kToneLength = 4000;
    auto make = [](std::size_t start, double freq_hz) {
      std::vector<float> x(kBlock * kBlocks, 0.0f);
      for (std::size_t n = 0; n < kToneLength; ++n) {
        x[start + n] = static_cast<float>(0.5 * std::cos(2 * std::numbers::pi * freq_hz * static_cast<double>(n) / kSampleRateHz));
      }
      return x;
    };
    const std::vector<float> caller_tx = make(kCallerStart, 1000), answerer_tx = make(kAnswererStart, 1800);
    std::vector<float> caller_rx(caller_tx.size()), answerer_rx(answerer_tx.size());

    caller.start();
    answerer.start();
    const auto timeout = std::chrono::milliseconds(1000);
    bool complete = true;
    for (std::size_t b = 0; b < kBlocks && complete; ++b) {  // a DSP loop serving both sides
      const std::size_t at = b * kBlock;
      complete = caller.read(std::span<float>(caller_rx.data() + at, kBlock), timeout) == kBlock &&
                 answerer.read(std::span<float>(answerer_rx.data() + at, kBlock), timeout) == kBlock &&
                 caller.write(std::span<const float>(caller_tx.data() + at, kBlock), timeout) == kBlock &&
                 answerer.write(std::span<const float>(answerer_tx.data() + at, kBlock), timeout) == kBlock;
    }
    REQUIRE_MESSAGE(complete, "a read or write timed out after 1 s");
    const XrunCounts caller_xruns = caller.xruns(), answerer_xruns = answerer.xruns();
    caller.stop();
    answerer.stop();
    CHECK_FALSE(caller.running());

    const long a_onset = onset(answerer_rx, 0.25f), c_onset = onset(caller_rx, 0.25f);
    REQUIRE(a_onset >= 0);
    REQUIRE(c_onset >= 0);
    const long a_latency = a_onset - static_cast<long>(kCallerStart);   // caller write -> answerer read
    const long c_latency = c_onset - static_cast<long>(kAnswererStart); // answerer write -> caller read
    // Each side's indices count from its own start(): the two differ by whole periods.
    MESSAGE("write->read index offset caller->answerer " << a_latency << " samples, answerer->caller " << c_latency
            << " samples; xruns caller " << caller_xruns.total() << " answerer " << answerer_xruns.total()
            << " (tx underrun samples " << caller_xruns.tx_underrun_samples << "/"
            << answerer_xruns.tx_underrun_samples << ")");
    // The cable itself adds whole JACK periods to the prefill; both ends must see the other's tone.
    CHECK(a_latency > 0);
    CHECK(c_latency > 0);
    CHECK(a_latency < 4000);
    CHECK(c_latency < 4000);

    // Level and frequency over the middle of each received tone.
    if (a_onset + static_cast<long>(kToneLength) <= static_cast<long>(answerer_rx.size())) {
      const std::span<const float> a_tone(answerer_rx.data() + a_onset + 500, kToneLength - 1000);
      CHECK(mean_square(a_tone) == doctest::Approx(0.125).epsilon(0.02));  // 0.5^2 / 2
      CHECK(tone_power(a_tone, 1000) > 0.9 * mean_square(a_tone));
      CHECK(tone_power(a_tone, 1800) < 1e-4);
    }
    if (c_onset + static_cast<long>(kToneLength) <= static_cast<long>(caller_rx.size())) {
      const std::span<const float> c_tone(caller_rx.data() + c_onset + 500, kToneLength - 1000);
      CHECK(tone_power(c_tone, 1800) > 0.9 * mean_square(c_tone));
      CHECK(tone_power(c_tone, 1000) < 1e-4);
    }
    // Without xruns the cable is a pure delay: the samples arrive bit-exact.
    if (caller_xruns.total() == 0 && answerer_xruns.total() == 0) {
      float worst = 0;
      for (std::size_t n = 0; n < kToneLength && a_onset + static_cast<long>(n) < static_cast<long>(answerer_rx.size()); ++n) {
        worst = std::max(worst, std::fabs(answerer_rx[static_cast<std::size_t>(a_onset) + n] - caller_tx[kCallerStart + n]));
      }
      CHECK(worst == 0.0f);
      // Before the tone only silence came through.
      CHECK(mean_square(std::span<const float>(answerer_rx.data(), static_cast<std::size_t>(a_onset))) == 0.0);
    }
  }
}

TEST_CASE("DuplexStream names a missing device and lists those that exist") {
  if (!portaudio_available()) return;
  DuplexStreamConfig config;
  config.input_device = "no-such-device-xyz";
  try {
    DuplexStream stream(config);
    FAIL("opened a device that does not exist");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("'no-such-device-xyz'") != std::string::npos);
  }
  config.sample_rate_hz = 0;
  CHECK_THROWS_AS(DuplexStream{config}, std::invalid_argument);
}
