// Signal generators by name: the catalogue behind `squeal generate` and the
// test/bench signal sources. Concrete generators live in dsp/tone_generator.h.
#pragma once

#include <cmath>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace squeal {

/// Anything that writes samples at kSampleRateHz, continuing where it left off.
class Generator {
 public:
  virtual ~Generator() = default;
  /// Fills `out` with the next out.size() samples. Never allocates or throws.
  virtual void generate(std::span<float> out) noexcept = 0;
  /// Back to sample 0 (phase, cadence position and all).
  virtual void reset() noexcept = 0;
};

/// Options of make_generator; each signal uses the ones that apply to it.
struct GeneratorOptions {
  double level_dbm0 = NAN;          // level per tone; NaN = the signal's default level
  std::string digits = "5702340003";  // "dtmf": digits 0-9 * # A-D, sent 100 ms on / 100 ms off
  double freq_hz = 1000.0;          // "tone": frequency (Hz, 0 < f < 4000)
  double freq2_hz = 0.0;            // "tone": second tone (Hz), 0 = single tone
};

struct GeneratorInfo {
  std::string_view name;         // e.g. "ansam_pr"
  std::string_view description;  // one line, for --help and `squeal generate --list`
  double default_level_dbm0;     // level per tone when none is given
};

/// Every generator make_generator knows, in a stable order.
std::span<const GeneratorInfo> generator_catalog() noexcept;

/// Builds the named generator. Throws std::invalid_argument naming the bad
/// name (and listing the valid ones) or the bad option value.
std::unique_ptr<Generator> make_generator(std::string_view name, const GeneratorOptions& options);

}  // namespace squeal
