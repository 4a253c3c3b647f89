#include "dsp/fftw_planner.h"

namespace squeal {

std::mutex& fftw_planner_mutex() {
  static std::mutex m;
  return m;
}

}  // namespace squeal
