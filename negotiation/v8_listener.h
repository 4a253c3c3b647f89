// V8Listener: hears the V.8 messages on both V.21 channels of one audio
// stream (a recording, or the line as one side hears it).
//
// Channel 1 (980/1180 Hz) carries the caller's CI/CM/CJ, channel 2
// (1650/1850 Hz) the answerer's JM (V.8 §5, v8.md). Each channel has its own
// demodulator, band-separated, so a JM 20 dB under the CM is still read.
#pragma once

#include <algorithm>
#include <array>
#include <span>

#include "dsp/types.h"
#include "dsp/v21_modem.h"
#include "negotiation/v8_bits.h"
#include "negotiation/v8_codec.h"

namespace squeal {

/// One message heard, with where it was on the stream.
struct V8Heard {
  V8Message message;       // decoded (check message.ok() before acting on it)
  V8Frame frame;           // the raw frame: octets, status, bit span
  int channel = 1;         // V.21 channel it came on: 1 caller, 2 answerer
  SampleIndex start = 0;   // sample of the first preamble bit's centre (CJ: first start bit)
  SampleIndex end = 0;     // sample of the last bit's centre
};

class V8Listener {
 public:
  V8Listener();

  /// Ignores the demodulated bits (the default bit tap).
  struct NoBitTap {
    void operator()(int /*channel*/, const V21Bit& /*bit*/) const noexcept {}
  };

  /// Feeds samples; calls sink(const V8Heard&) for each finished frame, and
  /// tap(channel, const V21Bit&) for every demodulated bit, so that other
  /// V.21 readers (HDLC for V.8bis and T.30) share these demodulators.
  template <class Sink, class BitTap = NoBitTap>
  void process(std::span<const float> in, Sink&& sink, BitTap&& tap = BitTap{}) noexcept {
    // Sub-blocks keep each demodulator's bit queue (512 bits) from overflowing.
    for (std::size_t i = 0; i < in.size(); i += kSubBlock) {
      const auto part = in.subspan(i, std::min(kSubBlock, in.size() - i));
      for (Channel& ch : channels_) {
        ch.demodulator.process(part);
        drain(ch, sink, tap);
      }
    }
  }

  /// End of stream: finishes frames still being collected.
  template <class Sink, class BitTap = NoBitTap>
  void finish(Sink&& sink, BitTap&& tap = BitTap{}) noexcept {
    for (Channel& ch : channels_) {
      ch.receiver.flush();
      drain(ch, sink, tap);
    }
  }

  void reset() noexcept;

  static constexpr std::size_t kSubBlock = 2048;  // samples (~77 bits) per demodulator call

 private:
  struct Channel {
    int number;                    // V.21 channel, 1 or 2
    V21Demodulator demodulator;    // FSK → stamped bits
    V8BitReceiver receiver;        // bits → V.8 frames
  };

  template <class Sink, class BitTap>
  static void drain(Channel& ch, Sink& sink, BitTap& tap) noexcept {
    V21Bit bit;
    while (ch.demodulator.pop(bit)) {
      tap(ch.number, static_cast<const V21Bit&>(bit));
      if (bit.after_gap) ch.receiver.flush();  // carrier came back: a new transmission
      ch.receiver.push(bit.bit != 0, bit.stamp);
    }
    V8Frame frame;
    while (ch.receiver.pop(frame)) {
      V8Heard heard;
      heard.message = decode_frame(frame, ch.number == 2);
      heard.frame = frame;
      heard.channel = ch.number;
      heard.start = frame.start_stamp;
      heard.end = frame.end_stamp;
      sink(static_cast<const V8Heard&>(heard));
    }
  }

  std::array<Channel, 2> channels_;  // [0] channel 1 (caller), [1] channel 2 (answerer)
};

}  // namespace squeal
