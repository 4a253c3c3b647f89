#include "negotiation/v8_listener.h"

namespace squeal {

V8Listener::V8Listener()
    : channels_{Channel{1, V21Demodulator({.channel = 1}), V8BitReceiver{}},
                Channel{2, V21Demodulator({.channel = 2}), V8BitReceiver{}}} {}

void V8Listener::reset() noexcept {
  for (Channel& ch : channels_) {
    ch.demodulator.reset();
    ch.receiver.reset();
  }
}

}  // namespace squeal
