// V22Listener: the V.22 / V.22bis and V.32bis start-up signals in a recording
// of both directions (a passive listener for `squeal decode`).
//
// V.22 is 600-baud QPSK, caller on a 1200 Hz carrier (low channel), answerer
// on 2400 Hz (high channel); the dibit sets the phase change (V.22 §2.5:
// 00 → +90°, 01 → 0°, 11 → +270°, 10 → +180°). So, without demodulating:
//  - unscrambled binary ones (V.22 §6.3.1, the answerer's first signal after
//    ANS; the caller's in V.22) advance -90° per symbol: a line at the
//    carrier - 150 Hz (2250 Hz answerer, 1050 Hz caller);
//  - V.22bis S1 (V.22bis §6.3.1.1: unscrambled 00 and 11 dibits alternately,
//    100 ms) alternates the phase 0°/90° at 600 baud: lines at the carrier
//    and carrier ± 300 Hz (900/1200/1500 caller, 2100/2400/2700 answerer);
//  - scrambled data (training at 1200 bit/s, then data) fills the channel
//    with no line standing out.
// V.32bis (§5.2) starts with the caller's AA (1800 Hz) and the answerer's AC
// (600 + 3000 Hz).
//
// One 160-sample (20 ms, 50 Hz bins) Goertzel block per 20 ms over 300-3950 Hz;
// each block is classified per channel, and runs of like blocks become
// intervals. Chunk-invariant (blocks aligned to the stream start).
#pragma once

#include <array>
#include <span>
#include <string_view>
#include <vector>

#include "dsp/goertzel_bank.h"
#include "dsp/types.h"

namespace squeal {

enum class V22Signal : std::uint8_t {
  unscrambled_ones,  // carrier - 150 Hz line
  s1,                // V.22bis S1: carrier and carrier ± 300 Hz
  scrambled,         // a full channel, no line: training or data
  v32_aa,            // V.32bis AA, 1800 Hz (caller)
  v32_ac,            // V.32bis AC, 600 + 3000 Hz (answerer)
};
std::string_view v22_signal_name(V22Signal s) noexcept;  // "v22_unscrambled_ones", "v22bis_s1", "v22_scrambled", "v32_aa", "v32_ac"

struct V22Heard {
  V22Signal signal = V22Signal::scrambled;
  bool answerer = false;    // high channel (2400 Hz carrier) / AC; else caller
  SampleIndex start = 0;    // first sample of the first block
  SampleIndex end = 0;      // one past the last block
  double level_dbm0 = 0;    // mean channel level over the interval
};

class V22Listener {
 public:
  V22Listener();

  /// Feeds samples (any chunking). Never allocates once the intervals fit
  /// the reserved list.
  void process(std::span<const float> in);
  /// End of stream: closes open intervals. Returns everything heard, by start.
  std::vector<V22Heard> finish();

  static constexpr int kBlock = 160;          // samples per Goertzel block (20 ms)
  static constexpr int kMinBlocks = 3;        // shortest interval: 60 ms (S1 lasts 100 ms)
  static constexpr int kLineMinBlocks = 8;    // unscrambled ones: 160 ms (V.22bis §6.3.1.2: >= 155 ms)
  static constexpr int kBridgeBlocks = 2;     // gaps up to 40 ms inside one interval

 private:
  void on_block(SampleIndex end, std::span<const float> power);
  void track(int lane, int kind, SampleIndex end, double level_ms);

  // Per lane (0 caller/low channel, 1 answerer/high channel, 2 V.32 AA, 3 V.32 AC):
  struct Run {
    int kind = -1;              // V22Signal of the open run, -1 none
    SampleIndex start = 0;      // first sample of the run
    SampleIndex last_end = 0;   // end of the last block that matched
    int blocks = 0;             // matching blocks
    double level_sum = 0;       // sum of matching blocks' channel mean square
  };
  GoertzelBank bank_;                 // 300-3950 Hz every 50 Hz
  std::array<Run, 4> runs_{};         // open runs per lane
  std::vector<V22Heard> heard_;       // closed intervals (reserved; more are dropped)
  SampleIndex armed_until_ = 0;       // scrambled data counts before this sample
};

}  // namespace squeal
