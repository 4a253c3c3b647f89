#include "cli/line_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#if SQUEAL_HAVE_CAIRO
#include <cairo.h>
#endif

namespace squeal::cli {

#if SQUEAL_HAVE_CAIRO
namespace {

constexpr std::array<std::array<double, 3>, 6> kColours{{
    {0.00, 0.45, 0.70}, {0.84, 0.37, 0.00}, {0.00, 0.62, 0.45}, {0.80, 0.47, 0.65}, {0.90, 0.62, 0.00}, {0.34, 0.71, 0.91}}};

double nice_step(double span, int target_ticks) {
  const double raw = span / std::max(1, target_ticks);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= raw) return m * mag;
  }
  return 10 * mag;
}

void text_at(cairo_t* cr, double x, double y, const std::string& s, double align_x, double align_y) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  cairo_move_to(cr, x - e.width * align_x - e.x_bearing, y - e.height * align_y - e.y_bearing);
  cairo_show_text(cr, s.c_str());
}

}  // namespace
#endif

void write_line_plot(const std::string& path, const std::vector<PlotSeries>& series, const PlotOptions& o) {
#if SQUEAL_HAVE_CAIRO
  double x0 = INFINITY, x1 = -INFINITY, y1 = 0;
  for (const PlotSeries& s : series) {
    for (double v : s.x) x0 = std::min(x0, v), x1 = std::max(x1, v);
    for (double v : s.y) y1 = std::max(y1, v);
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1;
  if (x1 <= x0) x1 = x0 + 1;
  const double y_step = o.y_tick > 0 ? o.y_tick : nice_step(std::max(1.0, y1), 8);
  y1 = std::max(y_step, std::ceil(y1 / y_step) * y_step);
  const double left = 90, right = 170, top = 50, bottom = 60;
  const double w = o.width_px - left - right, h = o.height_px - top - bottom;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * w; };
  auto py = [&](double y) { return top + h - y / y1 * h; };

  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, o.width_px, o.height_px);
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 13);
  // Grid and ticks.
  cairo_set_line_width(cr, 1);
  for (double y = 0; y <= y1 + 1e-9; y += y_step) {
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_move_to(cr, left, py(y));
    cairo_line_to(cr, left + w, py(y));
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    text_at(cr, left - 8, py(y), fmt::format("{:g}", y), 1.0, 0.5);
  }
  const double x_step = nice_step(x1 - x0, 8);
  for (double x = std::ceil(x0 / x_step) * x_step; x <= x1 + 1e-9; x += x_step) {
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    cairo_move_to(cr, px(x), top);
    cairo_line_to(cr, px(x), top + h);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    text_at(cr, px(x), top + h + 8, fmt::format("{:g}", x), 0.5, 0.0);
  }
  cairo_set_source_rgb(cr, 0, 0, 0);
  cairo_rectangle(cr, left, top, w, h);
  cairo_stroke(cr);
  text_at(cr, left + w / 2, top + h + 32, o.x_label, 0.5, 0.0);
  cairo_save(cr);
  cairo_translate(cr, 24, top + h / 2);
  cairo_rotate(cr, -M_PI / 2);
  text_at(cr, 0, 0, o.y_label, 0.5, 0.5);
  cairo_restore(cr);
  cairo_set_font_size(cr, 16);
  text_at(cr, left + w / 2, 18, o.title, 0.5, 0.0);
  cairo_set_font_size(cr, 13);
  // Series and legend.
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& c = kColours[i % kColours.size()];
    const PlotSeries& s = series[i];
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    cairo_set_line_width(cr, 2.5);
    for (std::size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
      if (k == 0) {
        cairo_move_to(cr, px(s.x[k]), py(s.y[k]));
      } else {
        cairo_line_to(cr, px(s.x[k]), py(s.y[k]));
      }
    }
    cairo_stroke(cr);
    for (std::size_t k = 0; k < s.x.size() && k < s.y.size(); ++k) {
      cairo_arc(cr, px(s.x[k]), py(s.y[k]), 3.5, 0, 2 * M_PI);
      cairo_fill(cr);
    }
    const double ly = top + 16 + 22 * static_cast<double>(i);
    cairo_move_to(cr, left + w + 16, ly);
    cairo_line_to(cr, left + w + 46, ly);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text_at(cr, left + w + 54, ly, s.name, 0.0, 0.5);
  }
  cairo_destroy(cr);
  const cairo_status_t st = cairo_surface_write_to_png(surface, path.c_str());
  cairo_surface_destroy(surface);
  if (st != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error(fmt::format("{}: cannot write the PNG ({})", path, cairo_status_to_string(st)));
  }
#else
  (void)series;
  (void)o;
  throw std::runtime_error(path + ": this squeal was built without cairo, so it cannot draw PNGs");
#endif
}

}  // namespace squeal::cli
