// Benchmark input signals: realistic content for each detector, synthesised
// once per run and fed unchanged (as float to squeal, as int16 to spandsp).
// Benchmark code only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace squeal::bench {

/// Answer-tone scenario, repeated to `seconds` (10 s cycle):
///   1.0 s line noise, 3.3 s ANSam/ (2100 Hz, 15 Hz AM depth 0.2, reversals
///   every 450 ms, V.8 / V.25) at -12 dBm0, 2.5 s V.21 channel-2 FSK
///   (1650/1850 Hz, 300 bit/s, random bits) at -12 dBm0, 3.2 s line noise.
/// White line noise at -60 dBm0 runs under everything.
std::vector<float> ansam_signal(double seconds, std::uint32_t seed);

/// Number of ANSam/ bursts ansam_signal(seconds, ...) contains.
int ansam_bursts(double seconds) noexcept;

/// DTMF scenario, repeated to `seconds` (5 s cycle): the 16 digits
/// "0123456789*#ABCD" (Q.23), 100 ms on / 100 ms off, -8/-6 dBm0 (+2 dB twist),
/// then 1.8 s of speech-like noise (low-passed noise, ~4 Hz syllables, -20 dBm0
/// when talking). White line noise at -45 dBm0 runs under everything.
std::vector<float> dtmf_signal(double seconds, std::uint32_t seed);

/// Number of complete DTMF digits dtmf_signal(seconds, ...) contains.
int dtmf_digits_sent(double seconds) noexcept;

/// V.21 channel 1 (980/1180 Hz, 300 bit/s) random bits at -14 dBm0, in 2 s
/// bursts with 0.5 s gaps, over -50 dBm0 white line noise.
std::vector<float> v21_signal(double seconds, std::uint32_t seed);

/// FSK bursts v21_signal(seconds, ...) carries.
std::uint64_t v21_bursts_sent(double seconds) noexcept;

/// Both scenarios interleaved (the Goertzel bank's input): first half DTMF, second half answer tone.
std::vector<float> mixed_signal(double seconds, std::uint32_t seed);

/// Float (full scale 1.0) to int16 (full scale 32767), rounded and clipped:
/// spandsp's input, made once before timing. Same level convention: 0 dBm0 is
/// 3.14 dB below full scale in both.
std::vector<std::int16_t> to_int16(std::span<const float> x);

}  // namespace squeal::bench
