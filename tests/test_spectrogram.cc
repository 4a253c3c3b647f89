// cli/spectrogram: the picture puts a tone at its frequency and time, the label
// bands in their side's lane over their time span, columns merge when the
// stream outgrows the plan, chunking does not change the picture, and a PNG
// that cannot be written names its path.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/spectrogram.h"
#include "dsp/types.h"

#if SQUEAL_HAVE_CAIRO
#include <cairo.h>
#endif

namespace fs = std::filesystem;
using namespace squeal;
using namespace squeal::cli;

namespace {

// 10 s: 1 kHz at 1-3 s, 2100 Hz at 4-8 s (0.5 amplitude), faint noise-free silence elsewhere.
std::vector<float> two_tones() {
  std::vector<float> x(10 * kSampleRateHz, 0.0f);
  for (std::size_t n = 0; n < x.size(); ++n) {
    const double t = static_cast<double>(n) / kSampleRate;
    if (t >= 1 && t < 3) x[n] = static_cast<float>(0.5 * std::sin(2 * kPi * 1000 * t));
    if (t >= 4 && t < 8) x[n] = static_cast<float>(0.5 * std::sin(2 * kPi * 2100 * t));
  }
  return x;
}

std::string temp_png(const std::string& name) {
  return (fs::temp_directory_path() / ("squeal_spectrogram_" + std::to_string(::getpid()) + "_" + name)).string();
}

const std::vector<SpectrogramLabel> kLabels{
    {1.0, 3.0, "1 kHz test tone", "caller", "dtmf"},
    {4.0, 8.0, "ANSam 2100 Hz", "answerer", "ansam"},
    {5.0, 5.0, "reversal", "answerer", "phase_reversal"},
    {0.2, 0.9, "dial tone", "network", "dial_tone"},
};

#if SQUEAL_HAVE_CAIRO
struct Image {
  cairo_surface_t* surface = nullptr;
  explicit Image(const std::string& path) : surface(cairo_image_surface_create_from_png(path.c_str())) {}
  ~Image() { cairo_surface_destroy(surface); }
  Image(const Image&) = delete;
  Image& operator=(const Image&) = delete;
  [[nodiscard]] bool ok() const { return cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS; }
  [[nodiscard]] int width() const { return cairo_image_surface_get_width(surface); }
  [[nodiscard]] int height() const { return cairo_image_surface_get_height(surface); }
  [[nodiscard]] std::uint32_t rgb(double x, double y) const {
    const unsigned char* data = cairo_image_surface_get_data(surface);
    const int stride = cairo_image_surface_get_stride(surface);
    const auto* row = reinterpret_cast<const std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y) * stride);
    return row[static_cast<int>(x)] & 0xFFFFFFu;
  }
};

// Brightness of a viridis pixel: the map rises monotonically in green + red.
int brightness(std::uint32_t rgb) { return static_cast<int>((rgb >> 16) & 0xFF) + static_cast<int>((rgb >> 8) & 0xFF); }

// Frequency (Hz) of the brightest spectrogram row in the pixel column at `t_s`.
double brightest_hz(const Image& img, const SpectrogramLayout& l, double t_s) {
  const double x = l.x_of_time(t_s);
  int best = -1;
  double best_y = 0;
  for (int y = static_cast<int>(l.spectrum_top); y < static_cast<int>(l.spectrum_top + l.spectrum_height); ++y) {
    const int b = brightness(img.rgb(x, y));
    if (b > best) best = b, best_y = y;
  }
  return l.hz_of_y(best_y + 0.5);
}

bool colour_near(std::uint32_t rgb, const std::array<double, 3>& c) {
  for (int i = 0; i < 3; ++i) {
    const int got = static_cast<int>((rgb >> (16 - 8 * i)) & 0xFF);
    if (std::abs(got - static_cast<int>(std::lround(c[static_cast<std::size_t>(i)] * 255))) > 2) return false;
  }
  return true;
}

// How many pixels of the band row (middle of the band) in `lane` between t0 and t1 have `colour`.
double band_fraction(const Image& img, const SpectrogramLayout& l, int lane, double t0, double t1,
                     const std::array<double, 3>& colour) {
  const double y = l.lane_top(lane) + 2;  // above any text in the band
  int hits = 0, total = 0;
  for (double x = std::ceil(l.x_of_time(t0)) + 1; x < std::floor(l.x_of_time(t1)) - 1; ++x, ++total) {
    hits += colour_near(img.rgb(x, y), colour) ? 1 : 0;
  }
  return total > 0 ? static_cast<double>(hits) / total : 0.0;
}
#endif

}  // namespace

TEST_CASE("lanes and families: sides map to fixed lanes, unknown sides get their own") {
  std::vector<std::string> lanes = spectrogram_lanes(kLabels);
  REQUIRE(lanes.size() == 3);
  CHECK(spectrogram_lane_of(lanes, "answerer") == 1);
  CHECK(spectrogram_lane_of(lanes, "modem?") == -1);
  lanes = spectrogram_lanes({{0, 1, "x", "somebody", "cm"}});
  REQUIRE(lanes.size() == 4);
  CHECK(spectrogram_lane_of(lanes, "somebody") == 3);
  CHECK(signal_family("cm") == SignalFamily::v8);
  CHECK(signal_family("ansam_pr") == SignalFamily::answer_tone);
  CHECK(signal_family("dial_tone") == SignalFamily::call_progress);
  CHECK(signal_family("info0a") == SignalFamily::v34);
  CHECK(signal_family("cng") == SignalFamily::fax);
  CHECK(signal_family("dtmf") == SignalFamily::dtmf);
  CHECK(family_colour(SignalFamily::v8) != family_colour(SignalFamily::v34));
}

TEST_CASE("layout maps time and frequency both ways") {
  const SpectrogramLayout l = spectrogram_layout({}, 30, 3);
  CHECK(l.width_px == 1600);
  CHECK(l.plot_width > 1300);
  CHECK(l.y_of_hz(4000) == doctest::Approx(l.spectrum_top));
  CHECK(l.hz_of_y(l.y_of_hz(1234)) == doctest::Approx(1234));
  CHECK(l.time_of_x(l.x_of_time(17.5)) == doctest::Approx(17.5));
  CHECK(l.lanes_top >= l.spectrum_top + l.spectrum_height);
  CHECK(l.lane_top(2) + l.lane_height <= l.height_px);
  SpectrogramOptions tall;
  tall.height_px = 900;
  CHECK(spectrogram_layout(tall, 30, 4).height_px == 900);
}

// Six short signals in 1.2 s of a 30 s file: their names cannot fit their bands.
const std::vector<SpectrogramLabel> kCrowded{
    {20.00, 20.10, "INFO0a", "caller", "info0a"},   {20.05, 20.15, "INFO0d", "answerer", "info0d"},
    {20.20, 20.40, "tone B", "caller", "tone_b"},   {20.20, 20.40, "tone A", "answerer", "tone_a"},
    {20.45, 20.80, "L1/L2 probe", "caller", "l1l2_probe"}, {20.90, 21.20, "L1/L2 probe", "answerer", "l1l2_probe"},
    {2.0, 12.0, "a long tone whose name fits", "answerer", "ansam"}};

TEST_CASE("crowded names get a zoom panel over their stretch; roomy ones do not") {
  const SpectrogramLayout l = spectrogram_layout({}, 30, 3);
  const std::vector<SpectrogramZoom> z = spectrogram_zooms(kCrowded, l);
  REQUIRE(z.size() == 1);
  CHECK(z[0].start_s < 20.0);
  CHECK(z[0].start_s > 19.8);
  CHECK(z[0].end_s > 21.2);
  CHECK(z[0].end_s < 21.4);
  CHECK(spectrogram_zooms(kLabels, spectrogram_layout({}, 10, 3)).empty());
  // Three crowded names are not enough for a zoom.
  CHECK(spectrogram_zooms({kCrowded.begin(), kCrowded.begin() + 3}, l).empty());
  // Two separate crowds: two zooms, in time order, side by side.
  std::vector<SpectrogramLabel> two = kCrowded;
  for (const SpectrogramLabel& lab : kCrowded) {
    if (lab.start_s >= 20) two.push_back({lab.start_s - 15, lab.end_s - 15, lab.text, lab.side, lab.signal});
  }
  const std::vector<SpectrogramZoom> z2 = spectrogram_zooms(two, l);
  REQUIRE(z2.size() == 2);
  CHECK(z2[0].end_s < 7);
  CHECK(z2[1].start_s > 19);
}

TEST_CASE("bad options throw invalid_argument naming the value") {
  SpectrogramOptions o;
  o.max_hz = 5000;
  CHECK_THROWS_WITH_AS(SpectrogramBuilder(10, o), doctest::Contains("max_hz = 5000"), std::invalid_argument);
  o = {};
  o.width_px = 10;
  CHECK_THROWS_WITH_AS(SpectrogramBuilder(10, o), doctest::Contains("width_px = 10"), std::invalid_argument);
}

#if SQUEAL_HAVE_CAIRO
TEST_CASE("tones appear at their frequency and time, bands in their lane over their span") {
  const std::vector<float> x = two_tones();
  SpectrogramOptions o;
  o.title = "two tones";
  SpectrogramBuilder b(10, o);
  b.add(x);
  CHECK(b.duration_s() == doctest::Approx(10.0));
  const std::string path = temp_png("tones.png");
  b.write_png(path, kLabels);
  const Image img(path);
  REQUIRE(img.ok());
  const SpectrogramLayout l = b.layout(kLabels);
  CHECK(img.width() == 1600);
  CHECK(img.height() == l.height_px);
  // One row is 10 Hz at 400 px for 4 kHz; a Hann bin is 31.25 Hz.
  CHECK(brightest_hz(img, l, 2.0) == doctest::Approx(1000).epsilon(0.02));
  CHECK(brightest_hz(img, l, 5.5) == doctest::Approx(2100).epsilon(0.02));
  // In silence (9 s) the column is the bottom of the colour map everywhere.
  CHECK(brightness(img.rgb(l.x_of_time(9.0), l.y_of_hz(1000))) < brightness(img.rgb(l.x_of_time(2.0), l.y_of_hz(1000))));

  const auto dtmf = family_colour(SignalFamily::dtmf);
  const auto answer = family_colour(SignalFamily::answer_tone);
  CHECK(band_fraction(img, l, 0, 1.0, 3.0, dtmf) > 0.95);      // caller lane over its span
  CHECK(band_fraction(img, l, 0, 4.0, 8.0, dtmf) == 0.0);      // nowhere else in that lane
  CHECK(band_fraction(img, l, 1, 1.0, 3.0, dtmf) == 0.0);      // nor in the answerer's lane
  CHECK(band_fraction(img, l, 1, 5.2, 8.0, answer) > 0.95);    // answerer lane (after the marker)
  CHECK(band_fraction(img, l, 1, 0.0, 3.9, answer) == 0.0);
  CHECK(band_fraction(img, l, 2, 0.2, 0.9, family_colour(SignalFamily::call_progress)) > 0.95);
  // The instant at 5 s is a darker mark inside the answer band.
  CHECK_FALSE(colour_near(img.rgb(l.x_of_time(5.0), l.lane_top(1) + 2), answer));
  fs::remove(path);
}

TEST_CASE("a zoom panel redraws its stretch: the tone at its frequency, the bands in their lanes") {
  // 30 s; a 1500 Hz tone at 20.2-20.4 s among the crowded labels.
  std::vector<float> x(30 * kSampleRateHz, 0.0f);
  for (std::size_t n = 0; n < x.size(); ++n) {
    const double t = static_cast<double>(n) / kSampleRate;
    if (t >= 20.2 && t < 20.4) x[n] = static_cast<float>(0.5 * std::sin(2 * kPi * 1500 * t));
  }
  SpectrogramBuilder b(30);
  b.add(x);
  const std::string path = temp_png("zoom.png");
  b.write_png(path, kCrowded);
  const Image img(path);
  REQUIRE(img.ok());
  const SpectrogramLayout l = b.layout(kCrowded);
  const std::vector<SpectrogramLayout> zooms = b.zoom_layouts(kCrowded);
  REQUIRE(zooms.size() == 1);
  const SpectrogramLayout& z = zooms[0];
  CHECK(img.height() == l.height_px);
  CHECK(z.spectrum_top > l.lanes_top + l.lane_count * l.lane_height);
  CHECK(z.lane_top(2) + z.lane_height < l.height_px);
  CHECK(z.x_of_time(z.start_s) == doctest::Approx(z.plot_left));
  CHECK(z.time_of_x(z.x_of_time(20.3)) == doctest::Approx(20.3));
  CHECK(brightest_hz(img, z, 20.3) == doctest::Approx(1500).epsilon(0.02));
  // 0.2 s is ~10 px in the overview and ~200 px in the zoom: the bands are there, in their lanes.
  const auto v34 = family_colour(SignalFamily::v34);
  CHECK(band_fraction(img, z, 0, 20.21, 20.39, v34) > 0.95);  // tone B, caller
  CHECK(band_fraction(img, z, 1, 20.21, 20.39, v34) > 0.95);  // tone A, answerer
  CHECK(band_fraction(img, z, 2, 20.0, 21.2, v34) == 0.0);    // nothing from the network
  fs::remove(path);
}

TEST_CASE("chunking does not change the picture; a long stream merges columns and keeps the tone") {
  const std::vector<float> x = two_tones();
  SpectrogramBuilder whole(10), chunked(10), underestimated(1.0);
  whole.add(x);
  for (std::size_t i = 0; i < x.size(); i += 37) {
    chunked.add(std::span<const float>(x).subspan(i, std::min<std::size_t>(37, x.size() - i)));
  }
  underestimated.add(x);  // planned for 1 s, got 10: columns merged several times
  const std::string a = temp_png("whole.png"), c = temp_png("chunked.png"), u = temp_png("under.png");
  whole.write_png(a, {});
  chunked.write_png(c, {});
  underestimated.write_png(u, {});
  auto bytes = [](const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(f), {});
  };
  CHECK(bytes(a) == bytes(c));
  const Image img(u);
  REQUIRE(img.ok());
  const SpectrogramLayout l = underestimated.layout({});
  CHECK(brightest_hz(img, l, 2.0) == doctest::Approx(1000).epsilon(0.02));
  CHECK(brightest_hz(img, l, 6.0) == doctest::Approx(2100).epsilon(0.02));
  for (const auto& p : {a, c, u}) fs::remove(p);
}
#endif

TEST_CASE("a PNG that cannot be written throws runtime_error naming the path") {
  SpectrogramBuilder b(1);
  b.add(std::vector<float>(8000, 0.1f));
  const std::string bad = "/nonexistent-dir-squeal/x.png";
  CHECK_THROWS_WITH_AS(b.write_png(bad, kLabels), doctest::Contains(bad.c_str()), std::runtime_error);
}
