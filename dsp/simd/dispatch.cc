#include "dsp/simd/dispatch.h"

#include <atomic>
#include <stdexcept>
#include <string>

#include <hwy/highway.h>
#include <hwy/targets.h>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif
#if defined(__SSE3__) || defined(__x86_64__)
#include <pmmintrin.h>
#endif

namespace squeal::simd {

namespace {

std::atomic<Target> g_target{Target::best};
std::atomic<bool> g_resolved{false};

std::int64_t hwy_bit(Target t) {
  switch (t) {
    case Target::sse4: return HWY_SSE4;
    case Target::avx2: return HWY_AVX2;
    case Target::avx512: return HWY_AVX3;
    default: return 0;
  }
}

// Targets the CPU supports, with no test mock in force.
std::int64_t cpu_targets() {
  hwy::SetSupportedTargetsForTest(0);
  return hwy::SupportedTargets() & HWY_TARGETS;
}

Target best_target() {
  const std::int64_t have = cpu_targets();
  for (Target t : {Target::avx512, Target::avx2, Target::sse4}) {
    if (have & hwy_bit(t)) return t;
  }
  return Target::scalar;
}

}  // namespace

std::string_view target_name(Target t) noexcept {
  switch (t) {
    case Target::scalar: return "scalar";
    case Target::sse4: return "sse4";
    case Target::avx2: return "avx2";
    case Target::avx512: return "avx512";
    case Target::best: return "best";
  }
  return "unknown";
}

Target parse_target(std::string_view name) {
  for (Target t : {Target::scalar, Target::sse4, Target::avx2, Target::avx512, Target::best}) {
    if (name == target_name(t)) return t;
  }
  throw std::invalid_argument("unknown SIMD target '" + std::string(name) +
                              "' (expected scalar, sse4, avx2, avx512 or best)");
}

std::vector<Target> available_targets() {
  std::vector<Target> out{Target::scalar};
  const std::int64_t have = cpu_targets();
  for (Target t : {Target::sse4, Target::avx2, Target::avx512}) {
    if (have & hwy_bit(t)) out.push_back(t);
  }
  // Re-apply whatever was chosen, since cpu_targets() cleared the mock.
  if (g_resolved.load()) set_target(g_target.load());
  return out;
}

void set_target(Target t) {
  Target concrete = t == Target::best ? best_target() : t;
  if (concrete != Target::scalar) {
    const std::int64_t bit = hwy_bit(concrete);
    if ((cpu_targets() & bit) == 0) {
      throw std::invalid_argument("SIMD target '" + std::string(target_name(t)) +
                                  "' is not available on this CPU/build");
    }
    hwy::SetSupportedTargetsForTest(bit);
    hwy::GetChosenTarget().Update(hwy::SupportedTargets());
  }
  g_target.store(concrete);
  g_resolved.store(true);
}

Target current_target() noexcept {
  if (!g_resolved.load()) {
    try {
      set_target(Target::best);
    } catch (...) {
      g_target.store(Target::scalar);
      g_resolved.store(true);
    }
  }
  return g_target.load();
}

std::string describe_current_target() {
  const Target t = current_target();
  if (t == Target::scalar) return "scalar (plain C++ reference)";
  return std::string(target_name(t)) + " (Highway " + hwy::TargetName(hwy_bit(t)) + ")";
}

void enable_flush_to_zero() noexcept {
#if defined(__x86_64__) || defined(__SSE__)
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
#endif
}

}  // namespace squeal::simd
