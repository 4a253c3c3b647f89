// Line-quality-based V.34 rate selection: per-tone SNR from the line probe and
// both modems' capabilities -> symbol rate, carrier and maximum data rate.
//
// The rule (docs/rate-selection.md gives the derivation and a table):
//  1. For every symbol rate S both modems support, and each of its carriers
//     fc (low/high, v34-phase2.md table): the band is fc ± 0.45·S; the probe
//     tones inside it are the subchannels that carry the signal.
//  2. Bits per symbol from a Shannon-gap model, averaged over those tones:
//        b = mean_i log2(1 + SNR_i / Γ),  Γ = kGapDb (7 dB)
//     SNR_i is the tone's SNR density over its 150 Hz share of the band (the
//     probe tones are 150 Hz apart and sent at the data signal's power).
//  3. Data rate = the largest multiple of 2400 bit/s not above b·S, clamped to
//     the symbol rate's maximum (21600 ... 33600), to 28800 without the
//     1664-point constellation; below the minimum (2400 at 2400 baud, 4800
//     otherwise) the symbol rate is unusable.
//  4. The decision is the candidate with the highest data rate; ties go to the
//     one with the larger margin (b·S - rate), then the lower symbol rate.
// Pure and allocation-free: the same inputs always give the same decision;
// rate_reason() puts it in words.
#pragma once

#include <array>
#include <span>
#include <string>

#include "dsp/line_probe.h"
#include "negotiation/info_codec.h"

namespace squeal {

/// Shannon gap Γ in dB: uncoded QAM needs 9.8 dB more than capacity at a
/// symbol error rate of 1e-7; V.34's trellis code and shaping win back ~5 dB;
/// 2 dB is kept as margin for what a short probe cannot see (v34-phase2.md,
/// "Rate selection: approaches seen": Γ about 6-9 dB after coding gain and margin).
inline constexpr double kGapDb = 7.0;

// Symbol rates, carriers and maximum data rates by code 0..5 (2400 ... 3429
// baud): symbol_rate_baud(), carrier_freq_hz(), max_data_rate_bps() in
// negotiation/info_codec.h, the one copy of the v34-phase2.md table.

/// One probe tone as measured.
struct ToneSnr {
  double freq_hz = 0;
  double snr_db = 0;  // SNR density over the tone's 150 Hz share of the band
};

/// What both modems can do (the AND of the two INFO0s).
struct RateCapabilities {
  std::array<bool, 6> symbol_rate{true, true, true, true, true, true};  // by code; 2400/3000/3200 are mandatory
  bool low_carrier_3000 = true, high_carrier_3000 = true;  // INFO0 bits 15/16
  bool low_carrier_3200 = true, high_carrier_3200 = true;  // INFO0 bits 17/18
  bool constellation_1664 = true;  // rates above 28800 (INFO0 bit 25)
};

/// One symbol rate and carrier, evaluated.
struct RateOption {
  int symbol_rate_code = 0;
  int symbol_rate_baud = 2400;
  bool high_carrier = false;
  double carrier_hz = 1600;
  int tones = 0;               // probe tones inside the band
  double bits_per_symbol = 0;  // b
  double band_snr_db = 0;      // mean tone SNR in the band (dB)
  int bit_rate = 0;            // 0 = unusable
  bool allowed = true;         // both modems support it
};

struct RateDecision {
  bool usable = false;          // some option carries data
  RateOption chosen;            // the decision (valid when usable)
  std::array<RateOption, 6> best_per_rate{};  // best carrier of each symbol rate (INFO1c blocks)
  bool measured = true;         // false: the probe could not be analysed
};

/// The decision's reason in words (allocates: call it off the real-time path).
std::string rate_reason(const RateDecision& d);

/// The rule above. Tones may come in any order; NaN SNRs count as unusable.
RateDecision select_rate(std::span<const ToneSnr> tones, const RateCapabilities& caps = {});

/// The probe's tones as the rule wants them: the analyser measures SNR in a
/// 50 Hz DFT bin, the rule wants it over a tone's 150 Hz share (-4.77 dB).
std::array<ToneSnr, kProbeToneCount> probe_tone_snrs(const ProbeReport& report) noexcept;

/// select_rate on a measured probe (an invalid report gives "unusable").
RateDecision select_rate(const ProbeReport& report, const RateCapabilities& caps = {});

/// One step of the data-rate ladder (2400 bit/s).
inline constexpr int kBitRateStep = 2400;

}  // namespace squeal
