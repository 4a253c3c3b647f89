// A small line chart as a PNG (cairo): one line per series, axes with ticks,
// a legend. Used by `squeal sweep` (bit rate against SNR per line shape).
#pragma once

#include <string>
#include <vector>

namespace squeal::cli {

struct PlotSeries {
  std::string name;                 // legend text
  std::vector<double> x, y;         // same length, x ascending
};

struct PlotOptions {
  std::string title;
  std::string x_label, y_label;
  double y_tick = 0;                // 0: automatic
  int width_px = 900, height_px = 560;
};

/// Writes the chart. Throws std::runtime_error naming the path if it cannot
/// be written, or if the program was built without cairo.
void write_line_plot(const std::string& path, const std::vector<PlotSeries>& series, const PlotOptions& options);

}  // namespace squeal::cli
