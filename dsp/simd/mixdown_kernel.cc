// Highway implementation of the fused mix-down / decimating FIR, compiled once
// per target through foreach_target.h and dispatched at run time.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "dsp/simd/mixdown_kernel.cc"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

#include "dsp/simd/dispatch.h"
#include "dsp/simd/mixdown_kernel.h"

HWY_BEFORE_NAMESPACE();
namespace squeal::simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void MixdownDecimate(const MixdownPlan& p, const float* HWY_RESTRICT x, std::size_t num_outputs,
                     std::size_t first_phase, float* HWY_RESTRICT out_re,
                     float* HWY_RESTRICT out_im, float* HWY_RESTRICT out_mean_square) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const std::size_t lanes = hn::Lanes(d);
  const std::size_t L = p.taps;  // a multiple of 16, so of every vector width here
  std::size_t ph = first_phase;
  for (std::size_t i = 0; i < num_outputs; ++i) {
    const float* HWY_RESTRICT w = x + i * p.decimation;
    const float* HWY_RESTRICT cr = p.coeff_re.data() + ph * L;
    const float* HWY_RESTRICT ci = p.coeff_im.data() + ph * L;
    // Two accumulator pairs halve the FMA dependency chain.
    V re0 = hn::Zero(d), im0 = hn::Zero(d), re1 = hn::Zero(d), im1 = hn::Zero(d);
    std::size_t k = 0;
    for (; k + 2 * lanes <= L; k += 2 * lanes) {
      const V x0 = hn::LoadU(d, w + k);
      const V x1 = hn::LoadU(d, w + k + lanes);
      re0 = hn::MulAdd(hn::LoadU(d, cr + k), x0, re0);
      im0 = hn::MulAdd(hn::LoadU(d, ci + k), x0, im0);
      re1 = hn::MulAdd(hn::LoadU(d, cr + k + lanes), x1, re1);
      im1 = hn::MulAdd(hn::LoadU(d, ci + k + lanes), x1, im1);
    }
    for (; k < L; k += lanes) {
      const V x0 = hn::LoadU(d, w + k);
      re0 = hn::MulAdd(hn::LoadU(d, cr + k), x0, re0);
      im0 = hn::MulAdd(hn::LoadU(d, ci + k), x0, im0);
    }
    out_re[i] = hn::GetLane(hn::SumOfLanes(d, hn::Add(re0, re1)));
    out_im[i] = hn::GetLane(hn::SumOfLanes(d, hn::Add(im0, im1)));

    if (out_mean_square != nullptr) {
      V acc = hn::Zero(d);
      std::size_t n = L - p.decimation;
      for (; n + lanes <= L; n += lanes) {
        const V v = hn::LoadU(d, w + n);
        acc = hn::MulAdd(v, v, acc);
      }
      float energy = hn::GetLane(hn::SumOfLanes(d, acc));
      for (; n < L; ++n) energy += w[n] * w[n];
      out_mean_square[i] = energy / static_cast<float>(p.decimation);
    }
    if (++ph == p.num_phases) ph = 0;
  }
}

// NOLINTNEXTLINE(google-readability-namespace-comments)
}  // namespace HWY_NAMESPACE
}  // namespace squeal::simd
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace squeal::simd {

HWY_EXPORT(MixdownDecimate);

void mixdown_decimate(const MixdownPlan& plan, const float* x, std::size_t num_outputs,
                      std::size_t first_phase, float* out_re, float* out_im,
                      float* out_mean_square) noexcept {
  if (current_target() == Target::scalar) {
    mixdown_decimate_scalar(plan, x, num_outputs, first_phase, out_re, out_im, out_mean_square);
    return;
  }
  HWY_DYNAMIC_DISPATCH(MixdownDecimate)(plan, x, num_outputs, first_phase, out_re, out_im,
                                        out_mean_square);
}

}  // namespace squeal::simd
#endif  // HWY_ONCE
