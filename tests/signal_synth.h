// Test-signal synthesis: seeded noise, band-limited noise, speech-like noise,
// and helpers to feed detectors in chunks. Test code only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dsp/events.h"

namespace squeal::test {

/// Gaussian white noise with the given mean square, reproducible from `seed`.
std::vector<float> white_noise(std::size_t n, double mean_square, std::uint32_t seed);

/// Gaussian noise limited to [lo_hz, hi_hz] (brick-wall in the FFT domain),
/// scaled to exactly `mean_square`.
std::vector<float> band_noise(std::size_t n, double mean_square, double lo_hz, double hi_hz,
                              std::uint32_t seed);

/// Speech-like noise: a falling long-term spectrum (formant-ish peaks, -6 dB/oct
/// above 500 Hz) gated by a ~4 Hz syllabic envelope with pauses; mean square as given.
std::vector<float> speech_like_noise(std::size_t n, double mean_square, std::uint32_t seed);

/// Mean square of x.
double mean_square(std::span<const float> x);

/// a[i] += b[i] for i < min(size).
void add_into(std::vector<float>& a, std::span<const float> b);

/// Feeds `signal` to `feed(std::span<const float>)` in chunks of `chunk` samples.
template <class Feed>
void feed_in_chunks(std::span<const float> signal, std::size_t chunk, Feed&& feed) {
  for (std::size_t i = 0; i < signal.size(); i += chunk) {
    const std::size_t n = signal.size() - i < chunk ? signal.size() - i : chunk;
    feed(signal.subspan(i, n));
  }
}

/// Runs a detector (anything with process(span, EventQueue&)) over `signal`
/// in chunks of `chunk` samples and returns every event it pushed, in order.
template <class Detector>
std::vector<Event> detect_events(Detector& detector, std::span<const float> signal, std::size_t chunk) {
  EventQueue queue;
  std::vector<Event> events;
  feed_in_chunks(signal, chunk, [&](std::span<const float> c) {
    detector.process(c, queue);
    Event e;
    while (queue.pop(e)) events.push_back(e);
  });
  return events;
}

}  // namespace squeal::test
