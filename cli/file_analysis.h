// One pass over an audio file with every detector squeal has: tone intervals
// (dsp/analyzer.h) and V.8 messages (negotiation/v8_listener.h), repeats
// collapsed, as the project-wide JSON events. Shared by `detect` and `decode`.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "audio/wav_io.h"
#include "dsp/analyzer.h"
#include "negotiation/v8_listener.h"

namespace squeal::cli {

/// Consecutive identical V.8 messages on one channel, shown as one row.
struct V8Run {
  V8Heard first;   // the first of the run (octets, status, start)
  SampleIndex end; // end of the last one
  int count;       // messages in the run
};

struct FileResult {
  AudioInfo info;                   // the file as opened
  SampleIndex samples = 0;          // samples analysed at 8000 Hz
  std::vector<Interval> intervals;  // tones heard
  std::vector<V8Run> v8;            // V.8 messages heard, repeats collapsed
  std::vector<nlohmann::ordered_json> staged;  // events from the decode stages (cli/decode_stage.h)
};

/// Every detector and decode stage over one 8 kHz stream, fed block by block
/// (any block sizes: the result does not depend on them). analyse() drives it
/// from a file; `squeal bench` drives it from memory.
class StreamDecoder {
 public:
  StreamDecoder();
  ~StreamDecoder();
  StreamDecoder(StreamDecoder&&) noexcept;
  StreamDecoder& operator=(StreamDecoder&&) noexcept;

  void process(std::span<const float> samples);
  /// End of stream: flushes the detectors and fills result.intervals, v8 and
  /// staged (result.info is left as the caller set it). Call once.
  FileResult finish(FileResult result = {});
  /// Detector events lost to a full queue (0 unless a detector floods).
  [[nodiscard]] std::uint64_t dropped() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;  // detectors, listener, stages, events so far
};

/// Streams the file (channel 0 = mix) through the detectors. `on_block`
/// (optional) sees every 8 kHz block, e.g. for a spectrogram or progress.
/// Throws std::runtime_error naming the file and the reason.
FileResult analyse(const std::string& path, int channel,
                   const std::function<void(std::span<const float>)>& on_block = {});

/// The V.8 run as a JSON event.
nlohmann::ordered_json v8_json(const V8Run& run);

/// Tone intervals and V.8 messages in one list, by start time.
nlohmann::ordered_json all_events(const FileResult& r);

}  // namespace squeal::cli
