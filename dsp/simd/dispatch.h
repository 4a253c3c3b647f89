// Process-wide choice of the SIMD target used by the kernels in dsp/simd/.
//
// `scalar` is a plain C++ reference implementation (not Highway); the other
// targets are Highway instantiations dispatched at run time. Tests compare
// every target against scalar; benchmarks print the target that ran.
// This header includes no Highway header.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace squeal::simd {

enum class Target { scalar, sse4, avx2, avx512, best };

/// "scalar", "sse4", "avx2", "avx512", "best".
std::string_view target_name(Target t) noexcept;

/// Parses a --simd value; throws std::invalid_argument naming the bad value.
Target parse_target(std::string_view name);

/// Targets that are both compiled in and supported by this CPU, scalar first.
std::vector<Target> available_targets();

/// Forces `t` for every kernel in the process. `best` picks the best available.
/// Throws std::invalid_argument if `t` is not available on this machine.
/// Not meant to be called while another thread runs a kernel.
void set_target(Target t);

/// The target kernels use now (never `best`: the concrete one it resolved to).
Target current_target() noexcept;

/// Human description of the current target, e.g. "avx512 (Highway AVX3)".
std::string describe_current_target();

/// Sets flush-to-zero / denormals-are-zero on the calling thread, so recursive
/// filters decaying after a tone ends do not fall into slow subnormal
/// arithmetic. Call once on every processing thread (the CLI does).
void enable_flush_to_zero() noexcept;

}  // namespace squeal::simd
