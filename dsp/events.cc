#include "dsp/events.h"

namespace squeal {

std::string_view signal_name(Signal s) noexcept {
  switch (s) {
    case Signal::tone: return "tone";
    case Signal::dtmf: return "dtmf";
    case Signal::dial_tone: return "dial_tone";
    case Signal::ringback: return "ringback";
    case Signal::busy: return "busy";
    case Signal::ans: return "ans";
    case Signal::ans_pr: return "ans_pr";
    case Signal::ansam: return "ansam";
    case Signal::ansam_pr: return "ansam_pr";
    case Signal::phase_reversal: return "phase_reversal";
    case Signal::cng: return "cng";
    case Signal::ct: return "ct";
    case Signal::tone_a: return "tone_a";
    case Signal::tone_b: return "tone_b";
  }
  return "unknown";
}

}  // namespace squeal
