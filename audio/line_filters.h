// Building blocks of the virtual telephone line (audio/line_sim.h), kept apart
// because each stands on its own:
//
// - BlockFir: a long FIR on one or two real streams, block by block, by
//   overlap-save (FFTW). Two streams with the same taps share one complex FFT
//   (first in the real part, second in the imaginary part): h is real, so
//   h*(a + jb) = h*a + j·h*b, and the pair costs about what one real stream did.
// - GaussianNoise: xoshiro256** (seeded by splitmix64) + ziggurat normal samples.
// - g711_round_trip_table / apply_g711: G.711 encode + decode by table lookup.
//
// Nothing here allocates or throws after construction / init().
#pragma once

#include <fftw3.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "dsp/fftw_planner.h"
#include <span>
#include <vector>

namespace squeal {


/// splitmix64 step (Vigna): seeds xoshiro and derives independent seeds.
std::uint64_t splitmix64(std::uint64_t& x) noexcept;

/// FIR y[m] = Σ h[k]·u[m-k] (at most kMaxTaps taps) on one or two streams that
/// advance together. With an FFT size N it computes block() = N - (taps - 1)
/// outputs per stream at once by overlap-save; with N = 0 one output per input
/// by direct dot products. Blocks count from the stream start, so outputs do
/// not depend on how the caller splits its writes. FFTW_ESTIMATE plans: the
/// arithmetic is the same in every run.
class BlockFir {
 public:
  static constexpr std::size_t kDirectSpan = 1024;  // direct form: inputs between history moves

  BlockFir() = default;
  BlockFir(const BlockFir&) = delete;
  BlockFir& operator=(const BlockFir&) = delete;
  ~BlockFir() { release(); }

  /// fft_size 0 (direct form) or > taps; channels 1 or 2. Allocates; call reset() after.
  void init(std::span<const float> taps, int fft_size, int channels);
  /// Zero history and outputs, empty block.
  void reset() noexcept;
  bool empty() const noexcept { return taps_ == 0; }

  /// The taps - 1 inputs before the next one, oldest first (writable right after reset()).
  float* history(int channel) noexcept { return input_[channel] + fill_ - history_; }
  /// Inputs that can be written before commit() must be called.
  std::size_t room() const noexcept { return capacity_ - fill_; }
  /// Where channel's next room() inputs go; write every channel, then commit().
  float* input(int channel) noexcept { return input_[channel] + fill_; }
  /// Takes k <= room() written inputs per channel; returns how many new outputs
  /// are at output(channel): k (direct form), block() or 0 (FFT).
  std::size_t commit(std::size_t k) noexcept;
  const float* output(int channel) const noexcept { return output_[channel]; }

 private:
  void run_fft() noexcept;
  void release() noexcept;

  int fft_size_ = 0;                       // N, 0 = direct form
  int channels_ = 1;                       // streams filtered together (1 or 2)
  std::size_t taps_ = 0;                   // FIR length
  std::size_t history_ = 0;                // taps - 1
  std::size_t capacity_ = 0;               // input_ length per channel
  std::size_t fill_ = 0;                   // next write position in input_
  std::array<float*, 2> input_{};          // per channel: history_ old samples, then the block being filled
  std::array<float*, 2> output_{};         // per channel: outputs of the last commit
  float* reversed_ = nullptr;              // direct form: taps reversed (window oldest first)
  float* real_out_ = nullptr;              // one channel, FFT: inverse transform (outputs from history_)
  fftwf_complex* spectrum_ = nullptr;      // one channel: N/2+1 bins; two: N bins of input_[0] + j·input_[1]
  fftwf_complex* response_ = nullptr;      // FFT of the zero-padded taps / N (same bins as spectrum_)
  fftwf_complex* packed_ = nullptr;        // two channels: interleaved input, then inverse output
  fftwf_plan forward_ = nullptr;           // input → spectrum_
  fftwf_plan inverse_ = nullptr;           // spectrum_ → time
};

/// Standard normal samples: xoshiro256** and the ziggurat (Marsaglia & Tsang
/// 2000, 128 layers; tail by Marsaglia 1964), two per 64-bit draw. Same seed,
/// same sequence, however it is split into next() and fill() calls.
class GaussianNoise {
 public:
  void seed(std::uint64_t seed) noexcept;
  float next() noexcept;
  /// out[i] = sigma · next(), in order.
  void fill(std::span<float> out, float sigma) noexcept;

 private:
  std::uint64_t next_u64() noexcept;
  float from_word(std::uint32_t word) noexcept;
  float slow_path(std::int32_t hz, std::size_t iz) noexcept;
  std::uint64_t rng_[4] = {};  // xoshiro256** state
  std::uint32_t spare_ = 0;    // upper half of the last draw, not used yet
  bool has_spare_ = false;     // spare_ holds a word
};

/// G.711 encode + decode of every 16-bit linear value, as x / 32768; codec_ulaw selects μ-law, else A-law.
const std::vector<float>& g711_round_trip_table(bool codec_ulaw);

/// x[i] → table[lrint(clamp(x[i]·32768, -32768, 32767)) + 32768], clipped to ±1 (NaN → -1).
void apply_g711(const float* table, std::span<float> x) noexcept;

}  // namespace squeal
