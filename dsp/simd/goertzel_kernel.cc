// Highway implementation of the multi-tone block Goertzel, compiled once per
// target through foreach_target.h and dispatched at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dsp/simd/goertzel_kernel.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "dsp/simd/dispatch.h"
#include "dsp/simd/goertzel_kernel.h"

HWY_BEFORE_NAMESPACE();
namespace squeal::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

float GoertzelBlockPower(const GoertzelPlan& p, const float* HWY_RESTRICT x,
                         float* HWY_RESTRICT power) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  constexpr std::size_t M = kGoertzelSegments;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t L = p.segment_length;

  for (std::size_t k0 = 0; k0 < p.padded_tones; k0 += lanes) {
    const V c = hn::LoadU(d, p.coeff.data() + k0);
    V s1[M], s2[M];
    for (std::size_t m = 0; m < M; ++m) s1[m] = s2[m] = hn::Zero(d);
    // Eight independent recurrences (one per segment) hide the FMA latency.
    // Two steps per iteration: the state swap becomes renaming, no moves.
    const float* HWY_RESTRICT seg[M];
    for (std::size_t m = 0; m < M; ++m) seg[m] = x + m * L;
    std::size_t i = 0;
    for (; i + 2 <= L; i += 2) {
      for (std::size_t m = 0; m < M; ++m) {
        s2[m] = hn::MulAdd(c, s1[m], hn::Sub(hn::Set(d, seg[m][i]), s2[m]));
        s1[m] = hn::MulAdd(c, s2[m], hn::Sub(hn::Set(d, seg[m][i + 1]), s1[m]));
      }
    }
    for (; i < L; ++i) {
      for (std::size_t m = 0; m < M; ++m) {
        const V s = hn::MulAdd(c, s1[m], hn::Sub(hn::Set(d, seg[m][i]), s2[m]));
        s2[m] = s1[m];
        s1[m] = s;
      }
    }
    for (std::size_t n = M * L; n < p.block_length; ++n) {
      const V s = hn::MulAdd(c, s1[M - 1], hn::Sub(hn::Set(d, x[n]), s2[M - 1]));
      s2[M - 1] = s1[M - 1];
      s1[M - 1] = s;
    }
    const V cw = hn::LoadU(d, p.cos_w.data() + k0);
    const V sw = hn::LoadU(d, p.sin_w.data() + k0);
    V re = hn::Zero(d), im = hn::Zero(d);
    for (std::size_t m = 0; m < M; ++m) {
      const V yr = hn::NegMulAdd(cw, s2[m], s1[m]);  // s1 - cos(w)·s2
      const V yi = hn::Mul(sw, s2[m]);               // sin(w)·s2
      const V rr = hn::LoadU(d, p.rot_re.data() + m * p.padded_tones + k0);
      const V ri = hn::LoadU(d, p.rot_im.data() + m * p.padded_tones + k0);
      re = hn::NegMulAdd(ri, yi, hn::MulAdd(rr, yr, re));
      im = hn::MulAdd(ri, yr, hn::MulAdd(rr, yi, im));
    }
    const V pw = hn::Mul(hn::Set(d, p.power_scale), hn::MulAdd(re, re, hn::Mul(im, im)));
    hn::StoreU(pw, d, power + k0);
  }

  V acc = hn::Zero(d);
  std::size_t n = 0;
  for (; n + lanes <= p.block_length; n += lanes) {
    const V v = hn::LoadU(d, x + n);
    acc = hn::MulAdd(v, v, acc);
  }
  float energy = hn::GetLane(hn::SumOfLanes(d, acc));
  for (; n < p.block_length; ++n) energy += x[n] * x[n];
  return energy / static_cast<float>(p.block_length);
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace squeal::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace squeal::simd {

HWY_EXPORT(GoertzelBlockPower);

float goertzel_block_power(const GoertzelPlan& plan, const float* x, float* power) noexcept {
  if (current_target() == Target::scalar) return goertzel_block_power_scalar(plan, x, power);
  return HWY_DYNAMIC_DISPATCH(GoertzelBlockPower)(plan, x, power);
}

}  // namespace squeal::simd
#endif  // HWY_ONCE
