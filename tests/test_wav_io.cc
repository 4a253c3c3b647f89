// audio/wav_io: bit-exact 16-bit round trip, resampling that keeps level and
// time, channel selection, streaming equals whole-file reading, and errors
// that name the file.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "audio/wav_io.h"
#include "dsp/levels.h"
#include "dsp/types.h"

namespace fs = std::filesystem;
using namespace squeal;

namespace {

// A scratch directory removed at the end of each test.
struct TempDir {
  fs::path dir;
  TempDir() {
    dir = fs::temp_directory_path() / ("squeal_wav_io_" + std::to_string(::getpid()));
    fs::create_directories(dir);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  [[nodiscard]] std::string file(const std::string& name) const { return (dir / name).string(); }
};

// Burst of a cosine at `freq_hz`, `level_dbm0`, from t_on to t_off seconds, at `rate_hz`.
std::vector<float> burst(double rate_hz, double seconds, double freq_hz, double level_dbm0, double t_on,
                         double t_off) {
  const auto n = static_cast<std::size_t>(std::llround(seconds * rate_hz));
  std::vector<float> x(n, 0.0f);
  const double a = dbm0_to_amplitude(level_dbm0);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) / rate_hz;
    if (t >= t_on && t < t_off) x[i] = static_cast<float>(a * std::cos(2 * kPi * freq_hz * (t - t_on)));
  }
  return x;
}

std::vector<float> interleave(const std::vector<float>& left, const std::vector<float>& right) {
  std::vector<float> out(left.size() * 2);
  for (std::size_t i = 0; i < left.size(); ++i) {
    out[2 * i] = left[i];
    out[2 * i + 1] = right[i];
  }
  return out;
}

// Energy of the last `window` samples ending at n (inclusive).
double window_energy(const std::vector<float>& x, std::size_t n, std::size_t window) {
  double e = 0;
  for (std::size_t k = n + 1 - window; k <= n; ++k) e += static_cast<double>(x[k]) * x[k];
  return e;
}

// Time (s) at which the sliding energy over one carrier period first crosses
// half its steady value (rising or falling), interpolated between samples.
// With a sharp edge at t, the window is half covered at t + window/2.
double edge_time_s(const std::vector<float>& x, std::size_t window, double steady, bool rising,
                   std::size_t from = 0) {
  const double half = steady / 2;
  for (std::size_t n = std::max(from, window); n < x.size(); ++n) {
    const double e0 = window_energy(x, n - 1, window);
    const double e1 = window_energy(x, n, window);
    if (rising ? (e0 < half && e1 >= half) : (e0 > half && e1 <= half)) {
      const double frac = (half - e0) / (e1 - e0);
      const double centre = static_cast<double>(n - 1) + frac - (static_cast<double>(window) - 1) / 2.0;
      return centre / kSampleRate;
    }
  }
  return -1;
}

double mean_square(const std::vector<float>& x, std::size_t from, std::size_t to) {
  double e = 0;
  for (std::size_t i = from; i < to; ++i) e += static_cast<double>(x[i]) * x[i];
  return e / static_cast<double>(to - from);
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace

TEST_CASE("16-bit WAV at 8 kHz round-trips bit-exact, float WAV too") {
  TempDir tmp;
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> code(-32768, 32767);
  std::vector<float> pcm(8000);
  for (auto& v : pcm) v = static_cast<float>(code(rng)) / 32768.0f;
  pcm[0] = -1.0f;                   // most negative code
  pcm[1] = 32767.0f / 32768.0f;     // most positive code
  write_wav(tmp.file("a.wav"), pcm);
  AudioInfo info;
  const auto back = read_all(tmp.file("a.wav"), {}, &info);
  CHECK(info.rate_in_hz == 8000);
  CHECK(info.channels == 1);
  CHECK(info.frames == 8000);
  CHECK(info.duration_s == doctest::Approx(1.0));
  REQUIRE(back.size() == pcm.size());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < pcm.size(); ++i) mismatches += back[i] != pcm[i];
  CHECK(mismatches == 0);

  std::normal_distribution<float> gauss(0.0f, 0.3f);
  std::vector<float> any(5000);
  for (auto& v : any) v = gauss(rng);
  write_wav(tmp.file("f.wav"), any, {.format = SampleFormat::float32});
  const auto back_f = read_all(tmp.file("f.wav"));
  REQUIRE(back_f.size() == any.size());
  CHECK(back_f == any);
}

TEST_CASE("16-bit writing clips out-of-range samples instead of wrapping") {
  TempDir tmp;
  const std::vector<float> loud = {2.0f, -2.0f, 1.0f, NAN};
  write_wav(tmp.file("clip.wav"), loud);
  const auto back = read_all(tmp.file("clip.wav"));
  REQUIRE(back.size() == 4);
  CHECK(back[0] == 32767.0f / 32768.0f);
  CHECK(back[1] == -1.0f);
  CHECK(back[2] == 32767.0f / 32768.0f);
  CHECK(back[3] == 0.0f);
}

TEST_CASE("channel selection picks one channel or mixes all") {
  TempDir tmp;
  const std::vector<float> left(800, 0.25f);
  const std::vector<float> right(800, -0.5f);
  write_wav(tmp.file("st.wav"), interleave(left, right), {.channels = 2});
  const auto mix = read_all(tmp.file("st.wav"));
  const auto l = read_all(tmp.file("st.wav"), {.channel = 1});
  const auto r = read_all(tmp.file("st.wav"), {.channel = 2});
  REQUIRE(mix.size() == 800);
  CHECK(l[100] == 0.25f);
  CHECK(r[100] == -0.5f);
  CHECK(mix[100] == -0.125f);
  const std::string err = error_of([&] { WavSource s(tmp.file("st.wav"), {.channel = 3}); });
  CHECK(err.find("channel 3") != std::string::npos);
  CHECK(err.find("st.wav") != std::string::npos);
}

TEST_CASE("resampling to 8 kHz keeps a tone's level within 0.2 dB and its edges within 1 ms") {
  TempDir tmp;
  const double t_on = 0.30371;  // deliberately between samples at every rate
  const double t_off = 0.80917;
  const double level = -10.0;
  for (const int rate : {11025, 22050, 24000, 44100, 48000, 6000}) {
    for (const double freq : {400.0, 1000.0, 2000.0, 3000.0, 3500.0}) {
      if (freq > 0.4 * rate) continue;
      CAPTURE(rate);
      CAPTURE(freq);
      const auto tone = burst(rate, 1.2, freq, level, t_on, t_off);
      const std::string path = tmp.file(fmt::format("r{}.wav", rate));
      write_wav(path, interleave(tone, tone), {.format = SampleFormat::float32, .channels = 2, .rate_hz = rate});
      const auto y = read_all(path);
      CHECK(static_cast<SampleIndex>(y.size()) == std::llround(1.2 * kSampleRate));
      const double ms = mean_square(y, 4000, 6000);  // 0.5..0.75 s, inside the burst
      CHECK(std::abs(mean_square_to_dbm0(ms) - level) < 0.2);
      // Energy window of whole carrier periods: 400 Hz 20, 1000 Hz 8, 2000 Hz 4, 3000 Hz 8 samples.
      // 3500 Hz: 16 samples = 7 periods.
      const std::size_t window = freq == 400.0 ? 20 : (freq == 2000.0 ? 4 : (freq == 3500.0 ? 16 : 8));
      const double steady = ms * static_cast<double>(window);
      const double on_s = edge_time_s(y, window, steady, true);
      const double off_s = edge_time_s(y, window, steady, false, 6000);
      MESSAGE("rate ", rate, " freq ", freq, ": level error ", mean_square_to_dbm0(ms) - level, " dB, on error ",
              (on_s - t_on) * 1e3, " ms, off error ", (off_s - t_off) * 1e3, " ms");
      CHECK(std::abs(on_s - t_on) < 0.001);
      CHECK(std::abs(off_s - t_off) < 0.001);
    }
  }
}

TEST_CASE("resampling rejects what would alias into the telephone band") {
  TempDir tmp;
  for (const int rate : {11025, 24000, 48000}) {
    CAPTURE(rate);
    // 4600 Hz would alias onto 3400 Hz at 8 kHz.
    const auto tone = burst(rate, 0.5, 4600.0, 0.0, 0.0, 1.0);
    const std::string path = tmp.file("alias.wav");
    write_wav(path, tone, {.format = SampleFormat::float32, .rate_hz = rate});
    const auto y = read_all(path);
    const double rejection_db = -mean_square_to_dbm0(mean_square(y, 1000, 3000));
    MESSAGE("rate ", rate, ": 4600 Hz comes out ", rejection_db, " dB down");
    CHECK(rejection_db > 55.0);
  }
}

TEST_CASE("streaming in any block size gives the same samples as read_all") {
  TempDir tmp;
  const auto tone = burst(44100, 0.5, 1234.0, -12.0, 0.1, 0.4);
  const std::string path = tmp.file("s.wav");
  write_wav(path, tone, {.rate_hz = 44100});
  const auto whole = read_all(path);
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{37}, std::size_t{160}, std::size_t{5000}}) {
    CAPTURE(chunk);
    WavSource source(path);
    CHECK(source.expected_samples() == static_cast<SampleIndex>(whole.size()));
    std::vector<float> got;
    std::vector<float> block(chunk);
    while (const std::size_t n = source.read(block)) got.insert(got.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK(source.position() == static_cast<SampleIndex>(got.size()));
    CHECK(got == whole);
  }
}

TEST_CASE("errors name the file and the reason") {
  TempDir tmp;
  const std::string missing = tmp.file("no_such_file.wav");
  std::string err = error_of([&] { WavSource s(missing); });
  CHECK(err.find(missing) != std::string::npos);
  CHECK(err.find("No such file") != std::string::npos);

  const std::string zero_bytes = tmp.file("zero_bytes.wav");
  std::ofstream(zero_bytes).close();
  err = error_of([&] { WavSource s(zero_bytes); });
  CHECK(err.find(zero_bytes) != std::string::npos);

  const std::string no_frames = tmp.file("no_frames.wav");
  write_wav(no_frames, {});
  err = error_of([&] { WavSource s(no_frames); });
  CHECK(err.find(no_frames) != std::string::npos);
  CHECK(err.find("no audio frames") != std::string::npos);

  const std::string garbage = tmp.file("garbage.wav");
  {
    std::ofstream out(garbage, std::ios::binary);
    std::mt19937 rng(3);
    for (int i = 0; i < 4000; ++i) out.put(static_cast<char>(rng()));
  }
  err = error_of([&] { WavSource s(garbage); });
  CHECK(err.find(garbage) != std::string::npos);
  CHECK(err.find("cannot open") != std::string::npos);

  // A WAV cut inside its header is unreadable; one cut inside its data reads
  // what is there and says so.
  const std::string whole = tmp.file("whole.wav");
  write_wav(whole, std::vector<float>(8000, 0.1f));
  const std::string cut_header = tmp.file("cut_header.wav");
  const std::string cut_data = tmp.file("cut_data.wav");
  fs::copy_file(whole, cut_header);
  fs::copy_file(whole, cut_data);
  fs::resize_file(cut_header, 30);
  fs::resize_file(cut_data, 44 + 2 * 1000);
  err = error_of([&] { WavSource s(cut_header); });
  CHECK(err.find(cut_header) != std::string::npos);
  AudioInfo info;
  const auto part = read_all(cut_data, {}, &info);
  CHECK(part.size() == 1000);
  CHECK(info.warning.find("truncated") != std::string::npos);

  err = error_of([&] { write_wav(tmp.file("no_dir/x.wav"), std::vector<float>(10)); });
  CHECK(err.find("no_dir/x.wav") != std::string::npos);
}

TEST_CASE("real recordings open with their rate and channel count") {
  const char* dir = std::getenv("SQUEAL_RECORDINGS");
  if (dir == nullptr || !fs::exists(fs::path(dir) / "A_termini_wikimedia_dial_up_modem_noises.wav")) {
    MESSAGE("SQUEAL_RECORDINGS not available, skipped");
    return;
  }
  const WavSource a((fs::path(dir) / "A_termini_wikimedia_dial_up_modem_noises.wav").string());
  CHECK(a.info().rate_in_hz == 24000);
  CHECK(a.info().channels == 2);
  CHECK(a.info().frames == 689354);
  CHECK(a.expected_samples() == std::llround(689354 / 3.0));
  const WavSource b((fs::path(dir) / "B_freesound16475_jlew_dialup_full.mp3").string());
  CHECK(b.info().rate_in_hz == 48000);
  CHECK(b.info().channels == 2);
  CHECK(b.info().duration_s == doctest::Approx(27.6).epsilon(0.01));
}
