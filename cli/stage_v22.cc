// Decode stage: V.22 / V.22bis answer and training sequences and V.32bis
// AA/AC (negotiation/v22_listener.h), as events.
#include <fmt/format.h>

#include <algorithm>

#include "cli/common.h"
#include "cli/decode_stage.h"
#include "cli/file_analysis.h"
#include "negotiation/v22_listener.h"

namespace squeal::cli {

namespace {

std::string describe(const V22Heard& h) {
  switch (h.signal) {
    case V22Signal::unscrambled_ones:
      return fmt::format("V.22 unscrambled binary 1 at 1200 bit/s ({} Hz line, {:.1f} dBm0){}",
                         h.answerer ? 2250 : 1050, h.level_dbm0,
                         h.answerer ? ": the answerer's first V.22/V.22bis signal" : "");
    case V22Signal::s1:
      return fmt::format("V.22bis S1 (unscrambled 00/11 dibits, {:.1f} dBm0): this side can do 2400 bit/s", h.level_dbm0);
    case V22Signal::scrambled:
      return fmt::format("V.22 scrambled signal, 600 baud on {} Hz ({:.1f} dBm0): training, then data",
                         h.answerer ? 2400 : 1200, h.level_dbm0);
    case V22Signal::v32_aa: return fmt::format("V.32bis AA, 1800 Hz ({:.1f} dBm0)", h.level_dbm0);
    case V22Signal::v32_ac: return fmt::format("V.32bis AC, 600 + 3000 Hz ({:.1f} dBm0)", h.level_dbm0);
  }
  return "V.22";
}

class V22Stage final : public DecodeStage {
 public:
  void process(std::span<const float> block) override { listener_.process(block); }
  void finish(SampleIndex, const FileResult& so_far, std::vector<nlohmann::ordered_json>& events) override {
    // After a V.8 JM the modems run V.34/V.90 (or the mode JM names): lines
    // and tones then belong to that, not to V.22 or V.32bis.
    SampleIndex v8_end = -1;
    for (const V8Run& run : so_far.v8) {
      if (run.first.message.ok() && run.first.message.type == V8MessageType::jm) {
        v8_end = v8_end < 0 ? run.first.start : std::min(v8_end, run.first.start);
      }
    }
    for (const V22Heard& h : listener_.finish()) {
      if (v8_end >= 0 && h.start >= v8_end) continue;
      events.push_back({{"signal", v22_signal_name(h.signal)},
                        {"start_s", samples_to_seconds(h.start)},
                        {"end_s", samples_to_seconds(h.end)},
                        {"side", h.answerer ? "answerer" : "caller"},
                        {"text", describe(h)},
                        {"fields", {{"level_dbm0", h.level_dbm0}, {"carrier_hz", h.answerer ? 2400 : 1200}}}});
    }
  }

 private:
  V22Listener listener_;  // the DSP
};

}  // namespace

std::unique_ptr<DecodeStage> make_v22_stage() { return std::make_unique<V22Stage>(); }

}  // namespace squeal::cli
