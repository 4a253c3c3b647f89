#include "cli/spectrogram.h"

#include <fftw3.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "dsp/fftw_planner.h"
#include "dsp/levels.h"
#include "dsp/types.h"

#if SQUEAL_HAVE_CAIRO
#include <cairo.h>
#endif

namespace squeal::cli {

namespace {

constexpr int kFftSize = 256;                 // 32 ms Hann window: 31.25 Hz bins, DTMF digits resolved
constexpr int kBins = kFftSize / 2 + 1;       // 0 .. 4000 Hz
constexpr double kBinHz = kSampleRate / kFftSize;
constexpr int kMaxHop = 64;                   // 8 ms: ANSam reversals (450 ms) and V.8 bursts stay visible
constexpr double kDefaultDurationS = 30;      // when the caller does not know the length

constexpr int kZoomDetail = 4;               // columns kept per overview pixel, so a zoom has detail too

// Layout constants (px).
constexpr double kLeft = 96, kRight = 84, kTop = 40, kAxisBelow = 40, kLegend = 24;
constexpr double kAutoSpectrumHeight = 400, kGap = 6, kBandHeight = 20, kRowHeight = 14, kLaneSpacing = 6;
constexpr int kTextRows = 3;  // staggered text rows under each lane's band
constexpr double kLaneHeight = kBandHeight + kTextRows * kRowHeight + kLaneSpacing;  // band, staggered text rows
constexpr double kZoomTitle = 30, kZoomSpectrumHeight = 220, kZoomGap = 56;  // zoom panels under the overview
constexpr int kMaxZooms = 2;

// Height of the row of zoom panels: title, spectrum, lanes, time axis.
double zoom_row_height(int lane_count) {
  return kZoomTitle + kZoomSpectrumHeight + kGap + lane_count * kLaneHeight + kAxisBelow;
}

SpectrogramLayout overview_layout(const SpectrogramOptions& o, double duration_s, int lane_count, bool zoomed) {
  SpectrogramLayout l;
  l.width_px = o.width_px;
  l.plot_left = kLeft;
  l.plot_width = o.width_px - kLeft - kRight;
  l.spectrum_top = kTop;
  l.lane_count = lane_count;
  l.band_height = kBandHeight;
  l.lane_height = kLaneHeight;
  const double below = kGap + lane_count * l.lane_height + kAxisBelow + (zoomed ? zoom_row_height(lane_count) : 0) + kLegend;
  l.spectrum_height = o.height_px > 0 ? std::max(100.0, o.height_px - kTop - below) : kAutoSpectrumHeight;
  l.height_px = static_cast<int>(kTop + l.spectrum_height + below);
  l.lanes_top = kTop + l.spectrum_height + kGap;
  l.duration_s = duration_s > 0 ? duration_s : 1.0;
  l.max_hz = o.max_hz;
  return l;
}

// The zoom panels side by side under the overview `l`, sharing its width.
std::vector<SpectrogramLayout> zoom_panels(const SpectrogramLayout& l, const std::vector<SpectrogramZoom>& zooms) {
  std::vector<SpectrogramLayout> panels;
  const auto n = static_cast<double>(zooms.size());
  const double width = (l.plot_width - (n - 1) * kZoomGap) / n;
  for (std::size_t i = 0; i < zooms.size(); ++i) {
    SpectrogramLayout z = l;
    z.plot_left = l.plot_left + static_cast<double>(i) * (width + kZoomGap);
    z.plot_width = width;
    z.spectrum_top = l.lanes_top + l.lane_count * l.lane_height + kAxisBelow + kZoomTitle;
    z.spectrum_height = kZoomSpectrumHeight;
    z.lanes_top = z.spectrum_top + z.spectrum_height + kGap;
    z.start_s = zooms[i].start_s;
    z.duration_s = zooms[i].end_s - zooms[i].start_s;
    panels.push_back(z);
  }
  return panels;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool one_of(std::string_view s, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

}  // namespace

SignalFamily signal_family(std::string_view s) noexcept {
  if (one_of(s, {"dial_tone", "ringback", "busy", "congestion", "sit", "call_progress", "ring"})) {
    return SignalFamily::call_progress;
  }
  if (starts_with(s, "dtmf")) return SignalFamily::dtmf;
  if (one_of(s, {"cng", "ced", "preamble", "dis", "dcs", "cfr", "tcf"}) || starts_with(s, "fax") ||
      starts_with(s, "t30") || starts_with(s, "v21") || starts_with(s, "hdlc")) {
    return SignalFamily::fax;
  }
  if (starts_with(s, "ans") || one_of(s, {"phase_reversal", "reversal", "answer_tone", "ct", "v25"})) {
    return SignalFamily::answer_tone;
  }
  if (starts_with(s, "v8") || one_of(s, {"v92", "cm", "jm", "cj", "ci", "cre", "crd", "cl", "clr", "ms", "mr", "ack", "nak",
                                         "esr", "esi"})) {
    return SignalFamily::v8;
  }
  if (starts_with(s, "v34") || starts_with(s, "v90") || starts_with(s, "info") || starts_with(s, "probe") ||
      starts_with(s, "tone_a") || starts_with(s, "tone_b") || starts_with(s, "l1l2") || one_of(s, {"l1", "l2", "ranging", "line_probe"})) {
    return SignalFamily::v34;
  }
  if (starts_with(s, "train") || starts_with(s, "data") || starts_with(s, "v22") || starts_with(s, "v32") ||
      one_of(s, {"scrambled_ones", "unscrambled_ones", "carrier", "modem"})) {
    return SignalFamily::data;
  }
  return SignalFamily::other;
}

std::string_view family_name(SignalFamily f) noexcept {
  switch (f) {
    case SignalFamily::call_progress: return "call progress";
    case SignalFamily::dtmf: return "DTMF";
    case SignalFamily::answer_tone: return "answer tones";
    case SignalFamily::v8: return "V.8 / V.8bis";
    case SignalFamily::v34: return "V.34 / V.90";
    case SignalFamily::fax: return "fax";
    case SignalFamily::data: return "training / data";
    case SignalFamily::other: break;
  }
  return "other";
}

std::array<double, 3> family_colour(SignalFamily f) noexcept {
  // Okabe-Ito palette (colour-blind safe), one colour per family.
  switch (f) {
    case SignalFamily::call_progress: return {0.337, 0.706, 0.914};  // sky blue
    case SignalFamily::dtmf: return {0.902, 0.624, 0.000};           // orange
    case SignalFamily::answer_tone: return {0.835, 0.369, 0.000};    // vermillion
    case SignalFamily::v8: return {0.000, 0.620, 0.451};             // bluish green
    case SignalFamily::v34: return {0.000, 0.447, 0.698};            // blue
    case SignalFamily::fax: return {0.800, 0.475, 0.655};            // reddish purple
    case SignalFamily::data: return {0.941, 0.894, 0.259};           // yellow
    case SignalFamily::other: break;
  }
  return {0.60, 0.60, 0.60};
}

std::vector<std::string> spectrogram_lanes(const std::vector<SpectrogramLabel>& labels) {
  std::vector<std::string> lanes{"caller", "answerer", "network"};
  for (const SpectrogramLabel& l : labels) {
    if (!one_of(l.side, {"caller", "answerer", "network"})) {
      lanes.emplace_back("unknown");
      break;
    }
  }
  return lanes;
}

int spectrogram_lane_of(const std::vector<std::string>& lanes, std::string_view side) noexcept {
  const std::string_view key = one_of(side, {"caller", "answerer", "network"}) ? side : "unknown";
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    if (lanes[i] == key) return static_cast<int>(i);
  }
  return -1;
}

double SpectrogramLayout::x_of_time(double t_s) const noexcept {
  return plot_left + (t_s - start_s) / duration_s * plot_width;
}
double SpectrogramLayout::time_of_x(double x) const noexcept {
  return start_s + (x - plot_left) / plot_width * duration_s;
}
double SpectrogramLayout::y_of_hz(double hz) const noexcept {
  return spectrum_top + (1.0 - hz / max_hz) * spectrum_height;
}
double SpectrogramLayout::hz_of_y(double y) const noexcept {
  return (1.0 - (y - spectrum_top) / spectrum_height) * max_hz;
}
double SpectrogramLayout::lane_top(int lane) const noexcept { return lanes_top + lane * lane_height; }

SpectrogramLayout spectrogram_layout(const SpectrogramOptions& o, double duration_s, int lane_count) {
  return overview_layout(o, duration_s, lane_count, false);
}

std::vector<SpectrogramZoom> spectrogram_zooms(const std::vector<SpectrogramLabel>& labels, const SpectrogramLayout& l) {
  constexpr double kCharPx = 6.8;  // mean advance of the 12 px sans-serif the lanes use
  constexpr std::size_t kMinCrowded = 4;
  const double max_span = std::clamp(l.duration_s / 8, 1.0, 4.0);
  std::vector<const SpectrogramLabel*> crowded;  // names that will not fit inside their band
  for (const SpectrogramLabel& lab : labels) {
    const double band_px = (lab.end_s - lab.start_s) / l.duration_s * l.plot_width;
    if (!lab.text.empty() && band_px < static_cast<double>(lab.text.size()) * kCharPx + 6) crowded.push_back(&lab);
  }
  std::ranges::stable_sort(crowded, {}, &SpectrogramLabel::start_s);
  std::vector<bool> used(crowded.size(), false);
  std::vector<SpectrogramZoom> zooms;
  while (zooms.size() < kMaxZooms) {
    std::size_t best = 0, best_n = 0;  // the window of max_span holding most unused crowded names
    for (std::size_t i = 0; i < crowded.size(); ++i) {
      std::size_t n = 0;
      while (i + n < crowded.size() && !used[i + n] && crowded[i + n]->start_s <= crowded[i]->start_s + max_span) ++n;
      if (n > best_n) best = i, best_n = n;
    }
    if (best_n < kMinCrowded) break;
    const double a = crowded[best]->start_s;
    double b = a + 0.5;
    for (std::size_t j = best; j < best + best_n; ++j) {
      b = std::max(b, std::min(crowded[j]->end_s, a + max_span));
      used[j] = true;
    }
    const double pad = 0.05 + 0.04 * (b - a);
    zooms.push_back({std::max(0.0, a - pad), std::min(l.start_s + l.duration_s, b + pad)});
  }
  std::ranges::sort(zooms, {}, &SpectrogramZoom::start_s);
  return zooms;
}

struct SpectrogramBuilder::State {
  fftwf_plan plan = nullptr;                    // r2c, kFftSize
  float* fft_in = nullptr;                      // windowed frame (fftwf_malloc)
  fftwf_complex* fft_out = nullptr;             // kBins bins (fftwf_malloc)
  std::array<float, kFftSize> window{};         // periodic Hann
  std::array<float, kFftSize> history{};        // last kFftSize samples (ring; zeros before the start)
  SampleIndex samples = 0;                      // samples added so far
  int hop = kMaxHop;                            // samples between frame centres
  double samples_per_column = 1;                // column width (doubles when columns are merged)
  std::size_t capacity = 0;                     // columns held before merging pairs
  std::size_t columns_used = 0;                 // highest column touched + 1
  std::vector<float> power_sum;                 // capacity x kBins: summed normalised power
  std::vector<std::uint32_t> frames;            // frames summed per column

  ~State() {
    const std::lock_guard lock(fftw_planner_mutex());  // dsp/fftw_planner.h
    if (plan != nullptr) fftwf_destroy_plan(plan);
    fftwf_free(fft_in);
    fftwf_free(fft_out);
  }

  void merge_pairs() {
    for (std::size_t i = 0; i < capacity / 2; ++i) {
      for (int k = 0; k < kBins; ++k) {
        power_sum[i * kBins + k] = power_sum[2 * i * kBins + k] + power_sum[(2 * i + 1) * kBins + k];
      }
      frames[i] = frames[2 * i] + frames[2 * i + 1];
    }
    std::fill(power_sum.begin() + static_cast<std::ptrdiff_t>(capacity / 2 * kBins), power_sum.end(), 0.0f);
    std::fill(frames.begin() + static_cast<std::ptrdiff_t>(capacity / 2), frames.end(), 0u);
    columns_used = (columns_used + 1) / 2;
    samples_per_column *= 2;
  }

  // Frame centred at `centre` = the last kFftSize samples (ending at `samples` - 1).
  void frame(SampleIndex centre) {
    const std::size_t start = static_cast<std::size_t>(samples % kFftSize);  // oldest sample in the ring
    for (int n = 0; n < kFftSize; ++n) {
      fft_in[n] = history[(start + static_cast<std::size_t>(n)) % kFftSize] * window[static_cast<std::size_t>(n)];
    }
    fftwf_execute(plan);
    auto column = static_cast<std::size_t>(static_cast<double>(centre) / samples_per_column);
    while (column >= capacity) {
      merge_pairs();
      column = static_cast<std::size_t>(static_cast<double>(centre) / samples_per_column);
    }
    // A full-scale sine gives |X| = sum(w)/2 = kFftSize/4 in its bin: normalise that to 1.
    constexpr float kNorm = 1.0f / ((kFftSize / 4.0f) * (kFftSize / 4.0f));
    float* dst = &power_sum[column * kBins];
    for (int k = 0; k < kBins; ++k) dst[k] += (fft_out[k][0] * fft_out[k][0] + fft_out[k][1] * fft_out[k][1]) * kNorm;
    ++frames[column];
    columns_used = std::max(columns_used, column + 1);
  }

  // Mean power per bin (full-scale sine = 1) of each of `plot_columns` columns
  // spanning `span_s` from `start_s`; a column with no frame takes its nearest neighbour's.
  [[nodiscard]] std::vector<float> plot_power(int plot_columns, double start_s, double span_s) const {
    std::vector<float> out(static_cast<std::size_t>(plot_columns) * kBins, 0.0f);
    if (columns_used == 0) return out;
    const double first_sample = start_s * kSampleRate;
    const double samples_per_px = span_s * kSampleRate / plot_columns;
    for (int x = 0; x < plot_columns; ++x) {
      const auto first = std::min(columns_used - 1, static_cast<std::size_t>((first_sample + x * samples_per_px) / samples_per_column));
      auto last = static_cast<std::size_t>((first_sample + (x + 1) * samples_per_px) / samples_per_column);
      last = std::min(std::max(last, first + 1), columns_used);
      std::uint32_t n = 0;
      for (std::size_t j = first; j < last; ++j) n += frames[j];
      std::size_t lo = first, hi = last;
      if (n == 0) {  // widen to the nearest column holding a frame
        lo = std::min(first, columns_used - 1);
        hi = lo + 1;
        for (std::size_t d = 0; d < columns_used; ++d) {
          if (lo >= d && frames[lo - d] > 0) { lo -= d; hi = lo + 1; break; }
          if (lo + d < columns_used && frames[lo + d] > 0) { lo += d; hi = lo + 1; break; }
        }
        n = frames[lo];
      }
      if (n == 0) continue;
      float* dst = &out[static_cast<std::size_t>(x) * kBins];
      for (std::size_t j = lo; j < hi; ++j) {
        for (int k = 0; k < kBins; ++k) dst[k] += power_sum[j * kBins + static_cast<std::size_t>(k)];
      }
      for (int k = 0; k < kBins; ++k) dst[k] /= static_cast<float>(n);
    }
    return out;
  }
};

SpectrogramBuilder::SpectrogramBuilder(double expected_duration_s, const SpectrogramOptions& options)
    : state_(std::make_unique<State>()), options_(options) {
  if (options.width_px < 400 || options.width_px > 20000) {
    throw std::invalid_argument(fmt::format("spectrogram width_px = {}: must be 400..20000", options.width_px));
  }
  if (options.height_px != 0 && (options.height_px < 300 || options.height_px > 20000)) {
    throw std::invalid_argument(fmt::format("spectrogram height_px = {}: must be 0 (auto) or 300..20000", options.height_px));
  }
  if (!(options.max_hz > 0 && options.max_hz <= kSampleRate / 2)) {
    throw std::invalid_argument(fmt::format("spectrogram max_hz = {}: must be in (0, 4000]", options.max_hz));
  }
  if (!(options.dynamic_range_db > 0)) {
    throw std::invalid_argument(fmt::format("spectrogram dynamic_range_db = {}: must be > 0", options.dynamic_range_db));
  }
  State& s = *state_;
  s.fft_in = fftwf_alloc_real(kFftSize);
  s.fft_out = fftwf_alloc_complex(kBins);
  {
    const std::lock_guard lock(fftw_planner_mutex());  // FFTW's planner is not thread-safe
    s.plan = fftwf_plan_dft_r2c_1d(kFftSize, s.fft_in, s.fft_out, FFTW_ESTIMATE);
  }
  for (int n = 0; n < kFftSize; ++n) {
    s.window[static_cast<std::size_t>(n)] = static_cast<float>(0.5 - 0.5 * std::cos(2 * kPi * n / kFftSize));
  }
  // kZoomDetail columns per plot pixel for the expected length; room for twice that before merging.
  const double plot_columns = kZoomDetail * spectrogram_layout(options, 1, 3).plot_width;
  const double expected_samples = (expected_duration_s > 0 ? expected_duration_s : kDefaultDurationS) * kSampleRate;
  s.samples_per_column = std::max(1.0, expected_samples / plot_columns);
  s.hop = std::clamp(static_cast<int>(s.samples_per_column / 2), 1, kMaxHop);
  s.capacity = 2 * static_cast<std::size_t>(plot_columns);
  s.power_sum.assign(s.capacity * kBins, 0.0f);
  s.frames.assign(s.capacity, 0);
}

SpectrogramBuilder::~SpectrogramBuilder() = default;
SpectrogramBuilder::SpectrogramBuilder(SpectrogramBuilder&&) noexcept = default;
SpectrogramBuilder& SpectrogramBuilder::operator=(SpectrogramBuilder&&) noexcept = default;

void SpectrogramBuilder::add(std::span<const float> samples_8k) {
  State& s = *state_;
  const SampleIndex half = kFftSize / 2;
  for (float x : samples_8k) {
    s.history[static_cast<std::size_t>(s.samples % kFftSize)] = std::isfinite(x) ? x : 0.0f;
    ++s.samples;
    // Frames are centred on multiples of hop (absolute sample index), so chunking does not matter.
    const SampleIndex centre = s.samples - half;
    if (centre >= 0 && centre % s.hop == 0) s.frame(centre);
  }
}

double SpectrogramBuilder::duration_s() const noexcept { return samples_to_seconds(state_->samples); }

SpectrogramLayout SpectrogramBuilder::layout(const std::vector<SpectrogramLabel>& labels) const {
  const int lanes = static_cast<int>(spectrogram_lanes(labels).size());
  const bool zoomed = !spectrogram_zooms(labels, spectrogram_layout(options_, duration_s(), lanes)).empty();
  return overview_layout(options_, duration_s(), lanes, zoomed);
}

std::vector<SpectrogramLayout> SpectrogramBuilder::zoom_layouts(const std::vector<SpectrogramLabel>& labels) const {
  const SpectrogramLayout l = layout(labels);
  return zoom_panels(l, spectrogram_zooms(labels, l));
}

#if SQUEAL_HAVE_CAIRO
namespace {

// matplotlib's viridis at 0, 0.1, ..., 1 (perceptually uniform, colour-blind safe).
constexpr std::array<std::array<double, 3>, 11> kViridis{{{68, 1, 84},
                                                          {72, 36, 117},
                                                          {65, 68, 135},
                                                          {53, 95, 141},
                                                          {42, 120, 142},
                                                          {33, 145, 140},
                                                          {34, 168, 132},
                                                          {68, 191, 112},
                                                          {122, 209, 81},
                                                          {189, 223, 38},
                                                          {253, 231, 37}}};

std::uint32_t viridis_rgb(double v) {
  v = std::clamp(v, 0.0, 1.0) * 10;
  const auto i = std::min<std::size_t>(9, static_cast<std::size_t>(v));
  const double f = v - static_cast<double>(i);
  std::uint32_t rgb = 0;
  for (int c = 0; c < 3; ++c) {
    const double x = kViridis[i][static_cast<std::size_t>(c)] * (1 - f) + kViridis[i + 1][static_cast<std::size_t>(c)] * f;
    rgb = (rgb << 8) | static_cast<std::uint32_t>(std::lround(x));
  }
  return rgb;
}

double nice_step(double span, double target_ticks) {
  const double raw = span / std::max(1.0, target_ticks);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) return m * mag;
  }
  return 10 * mag;
}

double text_width(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

// Draws `s` with its box aligned at (x, y): align 0 = left/top, 0.5 = centre, 1 = right/bottom.
void text_at(cairo_t* cr, double x, double y, const std::string& s, double align_x, double align_y) {
  cairo_font_extents_t fe;
  cairo_font_extents(cr, &fe);
  cairo_move_to(cr, x - text_width(cr, s) * align_x, y - (fe.ascent + fe.descent) * align_y + fe.ascent);
  cairo_show_text(cr, s.c_str());
}

// Longest prefix of `s` (whole UTF-8 characters) plus "…" that fits `width`, or "" if not even one character.
std::string shortened(cairo_t* cr, const std::string& s, double width) {
  for (std::size_t n = s.size(); n > 0; --n) {
    if ((static_cast<unsigned char>(s[n - 1]) & 0xC0) == 0x80) continue;  // inside a character
    std::string t = s.substr(0, n - 1);
    if (t.empty()) break;
    while (!t.empty() && t.back() == ' ') t.pop_back();
    t += "\u2026";
    if (text_width(cr, t) <= width) return t;
  }
  return {};
}

void set_rgb(cairo_t* cr, const std::array<double, 3>& c, double scale = 1.0) {
  cairo_set_source_rgb(cr, c[0] * scale, c[1] * scale, c[2] * scale);
}

constexpr double kToDbm0 = kDbm0BelowFullScaleDb;  // dsp/levels.h: 0 dBm0 sine is 3.14 dB below full scale

// Top of the colour scale (dBm0, a multiple of 5) for the overview's column powers.
double colour_scale_top(const std::vector<float>& power) {
  float peak = 0;
  for (float p : power) peak = std::max(peak, p);
  return peak > 0 ? std::ceil((10 * std::log10(peak) + kToDbm0) / 5) * 5 : 0;
}

// The spectrogram pixels, and the colour bar to the right when `colour_bar`.
void draw_spectrum(cairo_surface_t* surface, const SpectrogramLayout& l, const std::vector<float>& power,
                   double range_db, double top_dbm0, bool colour_bar) {
  const int plot_w = static_cast<int>(l.plot_width), plot_h = static_cast<int>(l.spectrum_height);
  const double to_dbm0 = kToDbm0;
  cairo_surface_flush(surface);
  unsigned char* data = cairo_image_surface_get_data(surface);
  const int stride = cairo_image_surface_get_stride(surface);
  const int x0 = static_cast<int>(l.plot_left), y0 = static_cast<int>(l.spectrum_top);
  for (int y = 0; y < plot_h; ++y) {
    const double bin = std::clamp(l.hz_of_y(y0 + y + 0.5) / kBinHz, 0.0, kBins - 1.0);
    const auto k = std::min<std::size_t>(kBins - 2, static_cast<std::size_t>(bin));
    const double f = bin - static_cast<double>(k);
    auto* row = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y0 + y) * stride);
    for (int x = 0; x < plot_w; ++x) {
      const float* col = &power[static_cast<std::size_t>(x) * kBins];
      const double p = col[k] * (1 - f) + col[k + 1] * f;
      const double db = p > 0 ? 10 * std::log10(p) + to_dbm0 : -300;
      row[x0 + x] = 0xFF000000u | viridis_rgb((db - (top_dbm0 - range_db)) / range_db);
    }
  }
  // Colour bar to the right.
  const int bar_x = x0 + plot_w + 14;
  for (int y = 0; colour_bar && y < plot_h; ++y) {
    auto* row = reinterpret_cast<std::uint32_t*>(data + static_cast<std::ptrdiff_t>(y0 + y) * stride);
    for (int x = bar_x; x < bar_x + 12; ++x) row[x] = 0xFF000000u | viridis_rgb(1.0 - (y + 0.5) / plot_h);
  }
  cairo_surface_mark_dirty(surface);
}

// Frequency and time axes of one panel; the overview also gets the axis titles and the colour scale.
void draw_axes(cairo_t* cr, const SpectrogramLayout& l, double range_db, double top_dbm0, bool overview) {
  const double right = l.plot_left + l.plot_width, bottom = l.lanes_top + l.lane_count * l.lane_height;
  cairo_set_font_size(cr, 12);
  cairo_set_line_width(cr, 1);
  // Frequency axis: ticks every 500 Hz, labels every 1000 Hz (every 500 when the axis is short).
  const double label_every = l.max_hz <= 2000 ? 500 : 1000;
  for (double hz = 0; hz <= l.max_hz + 1e-6; hz += 500) {
    const double y = std::round(l.y_of_hz(hz)) + 0.5;
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_move_to(cr, l.plot_left - (std::fmod(hz, label_every) == 0 ? 6 : 3), y);
    cairo_line_to(cr, l.plot_left, y);
    cairo_stroke(cr);
    if (std::fmod(hz, label_every) == 0) text_at(cr, l.plot_left - 9, y, fmt::format("{:g}", hz), 1.0, 0.5);
  }
  if (overview) {
    cairo_save(cr);
    cairo_translate(cr, 16, l.spectrum_top + l.spectrum_height / 2);
    cairo_rotate(cr, -kPi / 2);
    text_at(cr, 0, 0, "frequency (Hz)", 0.5, 0.5);
    cairo_restore(cr);
  }
  // Time axis: ticks under the lanes, grid lines through the lanes, short ticks above the spectrum.
  const double step = nice_step(l.duration_s, l.plot_width / 45);
  const double first = std::ceil(l.start_s / step - 1e-9);
  for (double k = first;; k += 1) {
    const double t = k * step + 0.0;  // + 0.0: no "-0" label
    if (t > l.start_s + l.duration_s + 1e-9) break;
    const double x = std::round(l.x_of_time(t)) + 0.5;
    cairo_set_source_rgb(cr, 0.82, 0.82, 0.82);
    cairo_move_to(cr, x, l.lanes_top - kGap);
    cairo_line_to(cr, x, bottom);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_move_to(cr, x, bottom);
    cairo_line_to(cr, x, bottom + 5);
    cairo_move_to(cr, x, l.spectrum_top - 4);
    cairo_line_to(cr, x, l.spectrum_top);
    cairo_stroke(cr);
    text_at(cr, x, bottom + 7, fmt::format("{:g}", t), 0.5, 0.0);
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_rectangle(cr, l.plot_left - 0.5, l.spectrum_top - 0.5, l.plot_width + 1, l.spectrum_height + 1);
  cairo_stroke(cr);
  if (!overview) return;
  text_at(cr, right, bottom + 24, "time (s)", 1.0, 0.0);
  // Colour bar scale.
  const double bar_x = right + 14;
  cairo_set_font_size(cr, 11);
  for (double db = 0; db <= range_db + 1e-9; db += 10) {
    const double y = l.spectrum_top + db / range_db * l.spectrum_height;
    cairo_move_to(cr, bar_x + 12, std::round(y) + 0.5);
    cairo_line_to(cr, bar_x + 16, std::round(y) + 0.5);
    cairo_stroke(cr);
    text_at(cr, bar_x + 18, y, fmt::format("{:g}", top_dbm0 - db), 0.0, 0.5);
  }
  text_at(cr, bar_x, l.spectrum_top - 6, "dBm0", 0.0, 1.0);
}

// Bands and their texts, one lane per side, for the labels within the panel's time span.
void draw_lanes(cairo_t* cr, const SpectrogramLayout& l, const std::vector<std::string>& lanes,
                const std::vector<SpectrogramLabel>& labels, bool lane_names) {
  const double right = l.plot_left + l.plot_width;
  cairo_set_font_size(cr, 12);
  for (int lane = 0; lane < l.lane_count; ++lane) {
    const double top = l.lane_top(lane);
    cairo_set_source_rgb(cr, 0.95, 0.95, 0.95);
    cairo_rectangle(cr, l.plot_left, top, l.plot_width, l.band_height);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    if (lane_names) text_at(cr, l.plot_left - 9, top + l.band_height / 2, lanes[static_cast<std::size_t>(lane)], 1.0, 0.5);

    std::vector<const SpectrogramLabel*> mine;
    for (const SpectrogramLabel& lab : labels) {
      const bool visible = lab.end_s >= l.start_s && lab.start_s <= l.start_s + l.duration_s;
      if (visible && spectrogram_lane_of(lanes, lab.side) == lane) mine.push_back(&lab);
    }
    std::stable_sort(mine.begin(), mine.end(), [](auto* a, auto* b) { return a->start_s < b->start_s; });
    auto x_clamped = [&](double t) { return std::clamp(l.x_of_time(t), l.plot_left, right); };
    // Bands first (intervals, then instants on top so reversals inside a tone stay visible).
    for (int pass = 0; pass < 2; ++pass) {
      for (const SpectrogramLabel* lab : mine) {
        const bool instant = lab->end_s <= lab->start_s;
        if (instant != (pass == 1)) continue;
        const auto colour = family_colour(signal_family(lab->signal));
        const double x0 = x_clamped(lab->start_s);
        if (instant) {
          set_rgb(cr, colour, 0.55);
          cairo_rectangle(cr, std::round(x0) - 1, top - 2, 2, l.band_height + 4);
        } else {
          set_rgb(cr, colour);
          cairo_rectangle(cr, x0, top + 1, std::max(2.0, x_clamped(lab->end_s) - x0), l.band_height - 2);
        }
        cairo_fill(cr);
      }
    }
    // Texts: in the band when it fits, else in the first free staggered row under it, else
    // shortened in the band, else none (the band stays).
    std::array<double, kTextRows> row_end{};  // right edge of the last text in each row
    row_end.fill(-1e9);
    struct Placed {
      double x, y;
      std::string text;
    };
    std::vector<Placed> staggered;  // drawn last, over the connectors of their neighbours
    for (std::size_t i = 0; i < mine.size(); ++i) {
      const SpectrogramLabel* lab = mine[i];
      if (lab->text.empty()) continue;
      const bool instant = lab->end_s <= lab->start_s;
      const auto colour = family_colour(signal_family(lab->signal));
      const double x0 = x_clamped(lab->start_s);
      double band_end = instant ? x0 : x_clamped(lab->end_s);
      for (std::size_t j = i + 1; j < mine.size(); ++j) {  // a later band drawn over this one
        if (mine[j]->end_s > mine[j]->start_s && x_clamped(mine[j]->start_s) > x0) {
          band_end = std::min(band_end, x_clamped(mine[j]->start_s));
          break;
        }
      }
      const double room = band_end - x0 - 6;
      const double tw = text_width(cr, lab->text);
      const double luminance = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2];
      auto in_band = [&](const std::string& t) {
        cairo_set_source_rgb(cr, luminance > 0.5 ? 0.0 : 1.0, luminance > 0.5 ? 0.0 : 1.0, luminance > 0.5 ? 0.0 : 1.0);
        text_at(cr, x0 + 3 + (room - text_width(cr, t)) / 2, top + l.band_height / 2, t, 0.0, 0.5);
      };
      if (!instant && tw <= room) {
        in_band(lab->text);
        continue;
      }
      const double tx = std::max(l.plot_left, std::min(x0, right - tw));
      bool placed = false;
      for (std::size_t r = 0; r < row_end.size() && !placed; ++r) {
        if (tx < row_end[r] + 8) continue;
        const double ty = top + l.band_height + 1 + static_cast<double>(r) * kRowHeight;
        set_rgb(cr, colour, 0.7);
        cairo_rectangle(cr, std::round(x0) - 0.5, top + l.band_height - 1, 1, ty - (top + l.band_height) + 3);
        cairo_fill(cr);
        staggered.push_back({tx + (x0 > tx ? 0 : 2), ty, lab->text});
        row_end[r] = tx + 2 + tw;
        placed = true;
      }
      if (!placed && !instant) {
        const std::string t = shortened(cr, lab->text, room);
        if (!t.empty()) in_band(t);
      }
    }
    for (const Placed& p : staggered) {
      cairo_set_source_rgb(cr, 1, 1, 1);
      cairo_rectangle(cr, p.x - 1, p.y, text_width(cr, p.text) + 2, kRowHeight);
      cairo_fill(cr);
      cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
      text_at(cr, p.x, p.y, p.text, 0.0, 0.0);
    }
  }
}

// Family legend on the bottom line, left-aligned under the plot.
void draw_legend(cairo_t* cr, const SpectrogramLayout& l, const std::vector<SpectrogramLabel>& labels) {
  const double y = l.height_px - kLegend / 2 - 4;
  double x = l.plot_left;
  cairo_set_font_size(cr, 12);
  for (int f = 0; f <= static_cast<int>(SignalFamily::other); ++f) {
    const auto family = static_cast<SignalFamily>(f);
    if (family == SignalFamily::other &&
        std::none_of(labels.begin(), labels.end(),
                     [](const SpectrogramLabel& lab) { return signal_family(lab.signal) == SignalFamily::other; })) {
      continue;
    }
    set_rgb(cr, family_colour(family));
    cairo_rectangle(cr, x, y - 6, 14, 12);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    const std::string name(family_name(family));
    text_at(cr, x + 19, y, name, 0.0, 0.5);
    x += 19 + text_width(cr, name) + 18;
  }
}

// Each zoom's stretch outlined on the overview's spectrum and named, and its panel's title.
void draw_zoom_marks(cairo_t* cr, const SpectrogramLayout& l, const std::vector<SpectrogramLayout>& zooms) {
  for (std::size_t i = 0; i < zooms.size(); ++i) {
    const SpectrogramLayout& z = zooms[i];
    const std::string name = fmt::format("zoom {}", i + 1);
    const double x0 = std::round(l.x_of_time(z.start_s)) + 0.5;
    const double x1 = std::round(l.x_of_time(z.start_s + z.duration_s)) - 0.5;
    const double bottom = l.lanes_top + l.lane_count * l.lane_height;
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, 1.5);
    const std::array<double, 2> dash{5, 3};
    cairo_set_dash(cr, dash.data(), 2, 0);
    cairo_rectangle(cr, x0, l.spectrum_top + 1.5, x1 - x0, l.spectrum_height - 3);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);  // the same stretch bracketed under the lanes
    cairo_move_to(cr, x0, bottom - 4);
    cairo_line_to(cr, x0, bottom);
    cairo_line_to(cr, x1, bottom);
    cairo_line_to(cr, x1, bottom - 4);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 12);
    cairo_set_source_rgb(cr, 1, 1, 1);
    text_at(cr, x0 + 4, l.spectrum_top + 5, name, 0.0, 0.0);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 13);
    text_at(cr, z.plot_left, z.spectrum_top - 8,
            fmt::format("{}: {:.2f}\u2013{:.2f} s", name, z.start_s, z.start_s + z.duration_s), 0.0, 1.0);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  }
}

}  // namespace
#endif

void SpectrogramBuilder::write_png(const std::string& path, const std::vector<SpectrogramLabel>& labels) const {
#if SQUEAL_HAVE_CAIRO
  const std::vector<std::string> lanes = spectrogram_lanes(labels);
  const SpectrogramLayout l = layout(labels);
  const std::vector<SpectrogramLayout> zooms = zoom_layouts(labels);
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, l.width_px, l.height_px);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  const std::vector<float> power = state_->plot_power(static_cast<int>(l.plot_width), 0, l.duration_s);
  const double top_dbm0 = colour_scale_top(power);  // the zooms share the overview's colour scale
  draw_spectrum(surface, l, power, options_.dynamic_range_db, top_dbm0, true);
  draw_axes(cr, l, options_.dynamic_range_db, top_dbm0, true);
  draw_lanes(cr, l, lanes, labels, true);
  for (std::size_t i = 0; i < zooms.size(); ++i) {
    const SpectrogramLayout& z = zooms[i];
    draw_spectrum(surface, z, state_->plot_power(static_cast<int>(z.plot_width), z.start_s, z.duration_s),
                  options_.dynamic_range_db, top_dbm0, false);
    draw_axes(cr, z, options_.dynamic_range_db, top_dbm0, false);
    draw_lanes(cr, z, lanes, labels, i == 0);
  }
  draw_zoom_marks(cr, l, zooms);
  draw_legend(cr, l, labels);
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size(cr, 15);
  const std::string duration = fmt::format("{:.2f} s", duration_s());
  text_at(cr, l.plot_left, 12, options_.title.empty() ? duration : options_.title + "  \u2014  " + duration, 0.0, 0.0);
  cairo_destroy(cr);
  const cairo_status_t st = cairo_surface_write_to_png(surface, path.c_str());
  cairo_surface_destroy(surface);
  if (st != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error(fmt::format("{}: cannot write the spectrogram PNG ({})", path, cairo_status_to_string(st)));
  }
#else
  (void)labels;
  throw std::runtime_error(path + ": this squeal was built without cairo, so it cannot draw the spectrogram PNG");
#endif
}

}  // namespace squeal::cli
