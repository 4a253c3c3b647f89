// Decode stage: V.8bis signals and messages, and T.30 fax control frames.
//
// The bits of both V.21 channels (from the decoder's shared demodulators,
// dsp/v21_modem.h) are deframed as HDLC (dsp/hdlc.h). A frame with address
// 0xFF and control 0x03/0x13 is T.30 (negotiation/t30.h); otherwise one whose first octet is a V.8bis message
// type and whose fields parse is V.8bis (negotiation/v8bis.h). The V.8bis
// tone signals come from V8bisSignalDetector on the same stream.
//
// Sides: V.8bis messages from the initiating station travel on channel 1,
// the responding station's on channel 2 (V.8bis §7.2; the ESi/ESr marks say
// the same), and the initiating tone pair is 1375/2002 Hz. We report the
// initiating station as "caller" and the responding one as "answerer", which
// holds when the calling modem starts the transaction (recording A: its
// initiating station also sends V.8 CM on channel 1 afterwards). T.30 frames
// all travel on channel 2; their side comes from the content: DIS/CSI/NSF
// are the called terminal's, DTC/CIG/NSC the caller's, and for the rest the
// X bit (1 = sent by the station that received DIS, i.e. the caller).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cli/decode_stage.h"
#include "dsp/hdlc.h"
#include "dsp/v21_modem.h"
#include "negotiation/t30.h"
#include "negotiation/v8_codec.h"
#include "negotiation/v8bis.h"

namespace squeal::cli {

namespace {

constexpr std::size_t kMaxFrames = 512;       // frames kept per file
constexpr std::size_t kMaxSignals = 64;       // tone signals kept per file
constexpr SampleIndex kHalfBit = 13;          // half a 300 bit/s bit, samples
constexpr int kMinPreambleFlags = 10;         // a flag run this long is reported as hdlc_flags

struct HeardFrame {
  HdlcFrame frame;                // octets, FCS, stamps
  int channel = 1;                // V.21 channel
  SampleIndex transmission_start; // carrier-on of the burst it came in (first frame) or its opening flag
};

class HdlcStage final : public DecodeStage {
 public:
  HdlcStage()
      : channels_{Channel{1, {}, 0, 0}, Channel{2, {}, 0, 0}} {
    frames_.reserve(kMaxFrames);
    signals_.reserve(kMaxSignals);
  }

  void process(std::span<const float> block) override {
    signal_detector_.process(block);
    V8bisSignalHeard heard;
    while (signal_detector_.pop(heard)) {
      if (signals_.size() < kMaxSignals) signals_.push_back(heard);
    }
  }

  // The V.21 bits, from the decoder's shared demodulators (cli/decode_stage.h).
  void v21_bit(int channel, const V21Bit& bit) override {
    Channel& ch = channels_[channel == 1 ? 0 : 1];
    if (bit.after_gap) {
      ch.receiver.flush();
      ch.carrier_on = bit.stamp - kHalfBit;
      ch.frames_in_burst = 0;
    }
    ch.receiver.push(bit.bit != 0, bit.stamp);
    HdlcFrame frame;
    while (ch.receiver.pop(frame)) {
      const SampleIndex start = ch.frames_in_burst == 0 ? ch.carrier_on : frame.start - kHalfBit;
      ++ch.frames_in_burst;
      if (frames_.size() < kMaxFrames) frames_.push_back({frame, ch.number, start});
    }
  }

  void finish(SampleIndex /*samples*/, const FileResult& /*so_far*/,
              std::vector<nlohmann::ordered_json>& events) override {
    for (const V8bisSignalHeard& s : signals_) events.push_back(signal_json(s));
    for (const HeardFrame& f : frames_) {
      const auto octets = f.frame.view();
      const bool t30 = looks_like_t30(octets);
      if (t30 && f.frame.preamble_flags >= kMinPreambleFlags) events.push_back(flags_json(f));
      if (t30) {
        events.push_back(t30_json(f));
      } else if (f.frame.fcs_ok && looks_like_v8bis(octets)) {
        events.push_back(v8bis_json(f));
      }
    }
  }

 private:
  struct Channel {
    int number;                        // V.21 channel 1 or 2
    HdlcReceiver receiver;             // bits → frames
    SampleIndex carrier_on;            // start of the first bit of the current burst
    int frames_in_burst;               // frames popped since carrier_on
  };

  static nlohmann::ordered_json base(std::string signal, SampleIndex start, SampleIndex end, std::string side,
                                     std::string text) {
    return {{"signal", std::move(signal)},
            {"start_s", samples_to_seconds(start)},
            {"end_s", samples_to_seconds(end)},
            {"side", std::move(side)},
            {"text", std::move(text)},
            {"fields", nlohmann::ordered_json::object()}};
  }

  static nlohmann::ordered_json signal_json(const V8bisSignalHeard& s) {
    std::string name(v8bis_signal_name(s.signal));
    std::string token = (s.signal == V8bisSignal::esi || s.signal == V8bisSignal::esr) ? "es" : name;
    std::ranges::transform(token, token.begin(), [](char c) { return static_cast<char>(std::tolower(c)); });
    const auto set = v8bis_tone_set(s.responding_set);
    auto j = base("v8bis_" + token, s.start, s.end, s.responding_set ? "answerer" : "caller",
                  fmt::format("V.8bis {} from the {} station ({:.0f}+{:.0f} Hz, then {:.0f} Hz)", name,
                              s.responding_set ? "responding" : "initiating", set.low_hz, set.high_hz,
                              v8bis_segment2_hz(s.signal)));
    j["fields"] = {{"station", s.responding_set ? "responding" : "initiating"},
                   {"segment2_start_s", samples_to_seconds(s.segment2_start)},
                   {"segment2_hz", v8bis_segment2_hz(s.signal)},
                   {"level_dbm0", std::round(static_cast<double>(s.level_dbm0) * 10) / 10}};
    return j;
  }

  static nlohmann::ordered_json common_fields(const HeardFrame& f) {
    return {{"octets", octets_hex(f.frame.view())},
            {"fcs", f.frame.fcs_ok ? "ok" : "bad"},
            {"channel", f.channel},
            {"preamble_flags", f.frame.preamble_flags}};
  }

  static nlohmann::ordered_json v8bis_json(const HeardFrame& f) {
    const V8bisMessage m = decode_v8bis(f.frame.view());
    auto j = base("v8bis_" + std::string(v8bis_message_token(m.type)), f.transmission_start, f.frame.end + kHalfBit,
                  f.channel == 1 ? "caller" : "answerer", "V.8bis " + describe(m));
    j["fields"] = common_fields(f);
    j["fields"]["station"] = f.channel == 1 ? "initiating" : "responding";
    j["fields"]["message"] = std::string(v8bis_message_name(m.type));
    j["fields"]["revision"] = m.revision;
    return j;
  }

  static nlohmann::ordered_json t30_json(const HeardFrame& f) {
    const auto octets = f.frame.view();
    const std::uint8_t fcf = octets[2];
    std::string name(t30_fcf_name(fcf));
    std::string token = name.empty() ? "unknown" : name;
    std::ranges::transform(token, token.begin(), [](char c) { return c == '-' ? '_' : static_cast<char>(std::tolower(c)); });
    // Side (T.30 §5.3.6.1): fixed for the initial identification and polling frames, else the X bit.
    std::string side = "unknown";
    if (!name.empty()) side = (fcf & 0x01) != 0 && fcf != 0x80 ? "caller" : "answerer";
    auto j = base("t30_" + token, f.transmission_start, f.frame.end + kHalfBit, side,
                  "T.30 " + t30_describe(octets) + (f.frame.fcs_ok ? "" : " (FCS bad)"));
    j["fields"] = common_fields(f);
    j["fields"]["fcf"] = fmt::format("{:02x}", fcf);
    j["fields"]["final"] = octets[1] == 0x13;
    if (name == "CSI" || name == "TSI" || name == "CIG") j["fields"]["station_id"] = t30_station_id(octets.subspan(3));
    return j;
  }

  static nlohmann::ordered_json flags_json(const HeardFrame& f) {
    auto j = base("hdlc_flags", f.frame.preamble_start - kHalfBit, f.frame.start - kHalfBit, "unknown",
                  fmt::format("HDLC preamble: {} flags on V.21 channel {}", f.frame.preamble_flags, f.channel));
    j["fields"] = {{"count", f.frame.preamble_flags}, {"channel", f.channel}};
    return j;
  }

  V8bisSignalDetector signal_detector_;   // V.8bis tone signals
  std::array<Channel, 2> channels_;       // V.21 channel 1 and 2
  std::vector<HeardFrame> frames_;        // every frame, in order per channel (reserved)
  std::vector<V8bisSignalHeard> signals_; // tone signals (reserved)
};

}  // namespace

std::unique_ptr<DecodeStage> make_hdlc_stage() { return std::make_unique<HdlcStage>(); }

}  // namespace squeal::cli
