// DecodeStage: one more listener in `squeal decode`'s single pass over a file.
//
// file_analysis.cc runs the tone analyser and the V.8 listener itself; every
// other family of signals (V.8bis and fax HDLC, V.34 INFO frames and probing,
// V.22bis/V.32bis, training and data) is a stage. A stage sees every 8 kHz
// block of the (mixed) stream in order and, at the end, appends its findings
// as project-wide JSON events {"signal", "start_s", "end_s", "side", "text",
// "fields"} (docs/signals.md lists the names). Stages may read what the
// earlier detectors found (e.g. where CJ ended) from the FileResult passed to
// finish(). V.21 bits come from the V.8 listener's demodulators (v21_bit()),
// so the FSK is demodulated once. The DSP itself lives in dsp/ or
// negotiation/; a stage only adapts it.
#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <span>
#include <vector>

#include "dsp/types.h"
#include "dsp/v21_modem.h"

namespace squeal::cli {

struct FileResult;

class DecodeStage {
 public:
  virtual ~DecodeStage() = default;
  /// The next block of the stream (8000 Hz, consecutive, any length).
  virtual void process(std::span<const float> block) = 0;
  /// A bit from the decoder's V.21 demodulators (channel 1 or 2), shared with
  /// the V.8 listener; called before process() gets the block it came from.
  virtual void v21_bit(int /*channel*/, const V21Bit& /*bit*/) {}
  /// End of stream after `samples` samples: append events (any order).
  virtual void finish(SampleIndex samples, const FileResult& so_far,
                      std::vector<nlohmann::ordered_json>& events) = 0;
};

/// Every stage, fresh, in a fixed order (cli/decode_stages.cc).
std::vector<std::unique_ptr<DecodeStage>> make_decode_stages();

}  // namespace squeal::cli
