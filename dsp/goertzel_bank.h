// GoertzelBank: a streaming multi-tone power meter over fixed blocks.
//
// Blocks are aligned to absolute sample indices (block b ends at sample
// (b+1)·hop + (block_length - hop) - 1 counted from reset), and a block is
// computed only once all its samples have arrived, so the output is identical
// however the input is chunked. hop < block_length gives overlapping
// ("sliding") blocks, hop == block_length plain back-to-back blocks; each
// detector chooses.
#pragma once

#include <algorithm>
#include <cstring>
#include <span>
#include <vector>

#include "dsp/simd/goertzel_kernel.h"
#include "dsp/types.h"

namespace squeal {

class GoertzelBank {
 public:
  struct Config {
    std::vector<double> freqs_hz;  // tone frequencies, 0 <= f < 4000 Hz, 1..256 tones
    int block_length = 160;        // samples per DFT block, >= 16
    int hop = 0;                   // samples between block starts, 1..block_length; 0 = block_length
    bool hann_window = false;      // Hann taper (lower leakage, wider main lobe)
  };

  /// One finished block, valid during the callback only.
  struct Block {
    SampleIndex end_sample;              // absolute index one past the block's last sample
    std::span<const float> tone_power;   // mean square each tone carries, per Config order
    float mean_square;                   // of the whole block (all frequencies)
  };

  /// Throws std::invalid_argument naming the bad value.
  explicit GoertzelBank(const Config& config);

  /// Feeds samples; calls on_block(const Block&) for each completed block.
  /// Never allocates or throws.
  template <class OnBlock>
  void process(std::span<const float> in, OnBlock&& on_block) noexcept {
    while (!in.empty()) {
      const std::size_t want = static_cast<std::size_t>(block_length_) - fill_;
      const std::size_t n = std::min(want, in.size());
      std::memcpy(window_.data() + fill_, in.data(), n * sizeof(float));
      fill_ += n;
      in = in.subspan(n);
      consumed_ += static_cast<SampleIndex>(n);
      if (fill_ == static_cast<std::size_t>(block_length_)) {
        compute();
        on_block(Block{consumed_, std::span<const float>(power_.data(), plan_.num_tones),
                       mean_square_});
        // Keep the overlap for the next block.
        const std::size_t keep = static_cast<std::size_t>(block_length_ - hop_);
        if (keep > 0) std::memmove(window_.data(), window_.data() + hop_, keep * sizeof(float));
        fill_ = keep;
      }
    }
  }

  void reset() noexcept;

  [[nodiscard]] int block_length() const noexcept { return block_length_; }
  [[nodiscard]] int hop() const noexcept { return hop_; }
  [[nodiscard]] std::size_t num_tones() const noexcept { return plan_.num_tones; }
  [[nodiscard]] const std::vector<double>& freqs_hz() const noexcept { return freqs_hz_; }
  /// Power of the most recent block (mean-square units, per tone).
  [[nodiscard]] std::span<const float> last_power() const noexcept {
    return {power_.data(), plan_.num_tones};
  }

 private:
  void compute() noexcept;

  std::vector<double> freqs_hz_;   // as configured
  int block_length_;               // samples per block
  int hop_;                        // samples between block starts
  simd::GoertzelPlan plan_;        // kernel tables
  std::vector<float> taper_;       // Hann window scaled for unit coherent gain, empty if none
  std::vector<float> window_;      // samples of the block being filled
  std::vector<float> scratch_;     // tapered copy of window_ when taper_ is set
  std::vector<float> power_;       // last block's tone powers (padded)
  float mean_square_ = 0;          // last block's mean square
  std::size_t fill_ = 0;           // samples in window_
  SampleIndex consumed_ = 0;       // samples fed since reset
};

}  // namespace squeal
