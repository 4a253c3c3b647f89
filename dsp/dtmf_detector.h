// DtmfDetector: DTMF digits (Q.23 frequencies) with Q.24 acceptance rules.
//
// Design (one GoertzelBank, 24 tones, 102-sample blocks = 12.75 ms, no overlap):
//  * 8 nominal tones plus, for each, a guard pair at f ± g_k. The guard power
//    ratio P(f+g)/P(f-g) is a frequency discriminator: a sine at offset δ reads
//    D²(g-δ)/D²(g+δ) (D = Dirichlet kernel of the block). Its limit is D's
//    value at δ = 2.5 % of f, half way between Q.24's "operate within ±1.5 %"
//    and "do not operate beyond ±3.5 %". g_k = min(0.5 bin, 0.9 bin - 3.5 %·f_k)
//    keeps the far guard inside its main lobe up to 3.5 %, so the ratio rises
//    monotonically over the whole decision range. 24 tones are 3 AVX2 vectors
//    or 2 AVX-512 vectors: one pass over the input, like 8 scalar Goertzels.
//  * Per block: strongest tone per group, each >= min level, >= 8 dB above the
//    other tones of its group, guard ratio within limit, twist within limits,
//    and the two tones hold >= 60 % of the block's total power (talk-off:
//    speech harmonics, a third tone or a tone off by > 3.5 % put power
//    elsewhere). Only comparisons; no log in the per-block path.
//  * A digit starts after 2 consecutive hit blocks and ends after 2 consecutive
//    blocks without it. Q.24 operate >= 40 ms always gives 2 full blocks; a
//    tone must be >= ~20.5 ms (102 + 0.6·102 samples) to give 2 hits. A pause
//    >= 40 ms always ends a digit; a drop-out <= 10 ms never does.
//    Edges are placed inside the edge blocks from the tone amplitude there
//    relative to a full block (amplitude grows with coverage).
#pragma once

#include <array>
#include <span>

#include "dsp/events.h"
#include "dsp/goertzel_bank.h"

namespace squeal {

class DtmfDetector {
 public:
  struct Config {
    double min_level_dbm0 = -32;       // per tone; Q.24 operate range reaches -26 dBm0 per tone
    double max_normal_twist_db = 8;    // high group above low group (Q.24 / Bell practice)
    double max_reverse_twist_db = 4;   // low group above high group (Q.24 / Bell practice)
    double min_relative_peak_db = 8;   // chosen tone over the others of its group
    double min_tone_fraction = 0.6;    // (low+high power) / block mean square, 0 < x < 1
    double accept_deviation = 0.025;   // frequency limit, between Q.24's 1.5 % and 3.5 %
  };

  DtmfDetector() : DtmfDetector(Config{}) {}
  /// Throws std::invalid_argument naming a bad value.
  explicit DtmfDetector(const Config& config);

  void process(std::span<const float> in, EventQueue& out) noexcept;
  void reset() noexcept;

  static constexpr int kBlockLength = 102;  // 12.75 ms, bin 78 Hz
  static constexpr int kMinOnSamples = 232; // start to end of the last hit block, see .cc

  /// Samples from a digit's start to the block where it is reported (worst case).
  [[nodiscard]] static constexpr int latency() noexcept { return kMinOnSamples + 2 * kBlockLength; }

 private:
  using Powers = std::array<float, 8>;  // nominal-tone powers of one block

  char classify(std::span<const float> power, float mean_square) const noexcept;
  void on_block(const GoertzelBank::Block& block, EventQueue& out) noexcept;
  void accumulate(const Powers& p, float mean_square, char digit) noexcept;
  [[nodiscard]] Event make_event(Edge edge, SampleIndex sample) const noexcept;
  static float amplitude(const Powers& p, char digit) noexcept;

  Config config_;                       // as constructed
  GoertzelBank bank_;                   // 8 nominal + 8 lower + 8 upper guard tones
  std::array<float, 8> guard_limit_{};  // max P(f+g)/P(f-g) and P(f-g)/P(f+g)
  float min_power_ = 0;                 // min_level_dbm0 as mean square
  float normal_twist_ = 0;              // max high/low power ratio
  float reverse_twist_ = 0;             // max low/high power ratio
  float relative_peak_ = 0;             // min chosen/other power ratio in a group

  Powers prev_power_{};                 // nominal powers of the previous block
  Powers prev2_power_{};                // ... and of the block before it
  float prev_mean_square_ = 0;          // mean square of the previous block
  char prev_digit_ = 0;                 // digit the previous block held, 0 if none
  char active_ = 0;                     // candidate or reported digit, 0 if none
  bool confirmed_ = false;              // active_ lasted long enough and was reported
  SampleIndex start_ = 0;               // estimated start sample of active_
  int misses_ = 0;                      // consecutive blocks without the active digit
  SampleIndex last_hit_end_ = 0;        // end of the last block that held the active digit
  float last_hit_amplitude_ = 0;        // digit amplitude in that block
  float first_miss_amplitude_ = 0;      // digit amplitude in the first block without it
  double low_sum_ = 0;                  // Σ low-tone power over the digit's hit blocks
  double high_sum_ = 0;                 // Σ high-tone power over the same blocks
  double rest_sum_ = 0;                 // Σ (mean square - tone power) over the same blocks
  int hit_blocks_ = 0;                  // blocks summed
  SampleIndex last_end_ = 0;            // end sample of the last reported digit
};

/// Digit of low-group index row (0..3) and high-group index col (0..3).
char dtmf_digit(int row, int col) noexcept;

}  // namespace squeal
