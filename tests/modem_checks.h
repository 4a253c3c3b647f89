// What the V.21 and DPSK modem suites share: random data, running a
// demodulator over a signal in chunks, and comparing two bit streams
// (chunk-size and SIMD-target invariance).
#pragma once

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <span>
#include <vector>

#include "dsp/simd/dispatch.h"
#include "tests/signal_synth.h"

namespace squeal::test {

using Bits = std::vector<std::uint8_t>;

/// n random bits (mt19937 with `seed`).
inline Bits random_bits(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bits b(n);
  for (auto& v : b) v = static_cast<std::uint8_t>(rng() & 1u);
  return b;
}

/// Every bit `demod` pops while x is fed to it `chunk` samples at a time;
/// checks that its queue never overflowed.
template <class Bit, class Demodulator>
std::vector<Bit> demodulate_all(Demodulator& demod, std::span<const float> x, std::size_t chunk) {
  std::vector<Bit> bits;
  feed_in_chunks(x, chunk, [&](std::span<const float> c) {
    demod.process(c);
    Bit b;
    while (demod.pop(b)) bits.push_back(b);
  });
  CHECK(demod.dropped() == 0);
  return bits;
}

/// Two streams of demodulated bits: the same bits with the same stamps and gap marks.
template <class Bit>
bool identical_streams(const std::vector<Bit>& a, const std::vector<Bit>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].stamp != b[i].stamp || a[i].bit != b[i].bit || a[i].after_gap != b[i].after_gap) return false;
  }
  return true;
}

/// Bits that differ in value, or in stamp by more than `stamp_tolerance` samples
/// (the streams must have the same length).
template <class Bit>
std::size_t differing_bits(const std::vector<Bit>& a, const std::vector<Bit>& b, long stamp_tolerance) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    n += (a[i].bit != b[i].bit || std::abs(static_cast<long>(a[i].stamp - b[i].stamp)) > stamp_tolerance) ? 1 : 0;
  }
  return n;
}

/// demodulate(x, chunk) gives the same stream for chunks of 1, 37, 160 and
/// 1024 samples (ARCHITECTURE.md: results do not depend on block size).
template <class Demodulate>
void check_chunk_size_invariance(std::span<const float> x, std::size_t min_bits, Demodulate&& demodulate) {
  const auto ref = demodulate(x, 1024);
  REQUIRE(ref.size() > min_bits);
  for (const std::size_t chunk : {1u, 37u, 160u}) {
    CAPTURE(chunk);
    const auto got = demodulate(x, chunk);
    REQUIRE(got.size() == ref.size());
    CHECK(identical_streams(got, ref));
  }
}

/// demodulate(x, 160) on every SIMD target gives the scalar kernel's bits,
/// stamps within one sample.
template <class Demodulate>
void check_simd_targets_match_scalar(std::span<const float> x, Demodulate&& demodulate) {
  simd::set_target(simd::Target::scalar);
  const auto ref = demodulate(x, 160);
  for (const simd::Target t : simd::available_targets()) {
    CAPTURE(simd::target_name(t));
    simd::set_target(t);
    const auto got = demodulate(x, 160);
    REQUIRE(got.size() == ref.size());
    CHECK(differing_bits(got, ref, 1) == 0);
  }
  simd::set_target(simd::Target::best);
}

}  // namespace squeal::test
