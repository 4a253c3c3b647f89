// Annotated spectrogram PNG for `squeal decode --png`: the call's sound (STFT,
// 0..max_hz, log power in dBm0, a perceptual colour map) over time, and under
// it one lane per side (caller / answerer / network, plus "unknown" when used)
// in which every decoded signal is a coloured band with its name. Where the
// names crowd (the V.8bis exchange, phase 2: a dozen signals in two seconds)
// up to two zoom panels below the overview redraw that stretch, spectrum and
// lanes, wide enough to read every name; the overview marks what they show.
//
// SpectrogramBuilder is streaming: add() takes the 8 kHz samples in any
// chunks (the picture does not depend on the chunking) and keeps at most a
// few thousand columns of power, so memory stays bounded for a 2-hour file.
// If the stream turns out longer than expected, adjacent columns are merged
// (mean power) and the time resolution halves.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace squeal::cli {

struct SpectrogramLabel {
  double start_s = 0, end_s = 0;  // interval in seconds; end == start draws an instant marker
  std::string text;               // shown in (or under) the band, shortened when room is short
  std::string side;               // "caller", "answerer", "network", anything else -> "unknown"
  std::string signal;             // lower-case name ("cm", "dtmf", "ansam"): picks the colour
};

struct SpectrogramOptions {
  int width_px = 1600;             // whole image width, >= 400
  int height_px = 0;               // whole image height; 0 = automatic (400 px of spectrum)
  double max_hz = 4000;            // top of the frequency axis, 0 < max_hz <= 4000
  double dynamic_range_db = 70;    // colour map spans [top - range, top] dB, > 0
  std::string title;               // e.g. the file name; the duration is appended
};

/// Colour families of the label bands.
enum class SignalFamily : std::uint8_t { call_progress, dtmf, answer_tone, v8, v34, fax, data, other };

/// Family of a lower-case signal name ("dial_tone" -> call_progress, "cm" -> v8, ...).
SignalFamily signal_family(std::string_view signal) noexcept;
/// Human name of a family ("call progress", "V.8", ...), as in the legend.
std::string_view family_name(SignalFamily family) noexcept;
/// Band colour (r, g, b in 0..1) of a family.
std::array<double, 3> family_colour(SignalFamily family) noexcept;

/// Lane names top to bottom: caller, answerer, network, then "unknown" if a
/// label's side is none of those.
std::vector<std::string> spectrogram_lanes(const std::vector<SpectrogramLabel>& labels);
/// Index of `side` in `lanes` (unknown sides go to the "unknown" lane), -1 if absent.
int spectrogram_lane_of(const std::vector<std::string>& lanes, std::string_view side) noexcept;

/// Where everything sits in the image (pixels, origin top-left). The
/// renderer draws with exactly these functions; tests map pixels back with them.
struct SpectrogramLayout {
  int width_px = 0, height_px = 0;          // whole image (the overview's layout: including the zoom panels)
  double plot_left = 0, plot_width = 0;     // x of time 0 and width of the time axis (px)
  double spectrum_top = 0, spectrum_height = 0;  // spectrogram area (px)
  double lanes_top = 0, lane_height = 0;    // first lane's top, height of each lane (px)
  double band_height = 0;                   // coloured band at the top of each lane (px)
  int lane_count = 0;                       // lanes drawn
  double start_s = 0;                       // time at plot_left (0 for the overview, later for a zoom)
  double duration_s = 0, max_hz = 0;        // time span shown and top of the frequency axis

  [[nodiscard]] double x_of_time(double t_s) const noexcept;
  [[nodiscard]] double time_of_x(double x) const noexcept;
  [[nodiscard]] double y_of_hz(double hz) const noexcept;   // max_hz at spectrum_top
  [[nodiscard]] double hz_of_y(double y) const noexcept;
  [[nodiscard]] double lane_top(int lane) const noexcept;
};

/// Layout for an image of `options` showing `duration_s` seconds and `lane_count` lanes (no zooms).
SpectrogramLayout spectrogram_layout(const SpectrogramOptions& options, double duration_s, int lane_count);

/// A stretch of time the picture shows again, larger.
struct SpectrogramZoom {
  double start_s = 0, end_s = 0;
};

/// Up to two stretches where the names of `labels` would not fit their bands in
/// the overview `l` (at least four such labels within a few seconds), in time order.
std::vector<SpectrogramZoom> spectrogram_zooms(const std::vector<SpectrogramLabel>& labels, const SpectrogramLayout& l);

class SpectrogramBuilder {
 public:
  /// `expected_duration_s` (<= 0: unknown, 30 s assumed) sets the first time
  /// resolution. Throws std::invalid_argument naming a bad option.
  explicit SpectrogramBuilder(double expected_duration_s, const SpectrogramOptions& options = {});
  ~SpectrogramBuilder();
  SpectrogramBuilder(SpectrogramBuilder&&) noexcept;
  SpectrogramBuilder& operator=(SpectrogramBuilder&&) noexcept;
  SpectrogramBuilder(const SpectrogramBuilder&) = delete;
  SpectrogramBuilder& operator=(const SpectrogramBuilder&) = delete;

  /// Appends samples at 8000 Hz (STFT: 256-point Hann via FFTW, mean power per column).
  void add(std::span<const float> samples_8k);

  /// Seconds of audio added so far.
  [[nodiscard]] double duration_s() const noexcept;
  /// The overview layout write_png() uses for these labels (height_px: the whole image).
  [[nodiscard]] SpectrogramLayout layout(const std::vector<SpectrogramLabel>& labels) const;
  /// The zoom panels' layouts, left to right (empty when no names crowd).
  [[nodiscard]] std::vector<SpectrogramLayout> zoom_layouts(const std::vector<SpectrogramLabel>& labels) const;

  /// Renders the PNG. Throws std::runtime_error naming `path` if it cannot be
  /// written or the program was built without cairo.
  void write_png(const std::string& path, const std::vector<SpectrogramLabel>& labels) const;

 private:
  struct State;
  std::unique_ptr<State> state_;  // FFTW plan, sample history and column powers
  SpectrogramOptions options_;    // as given
};

}  // namespace squeal::cli
