// FFTW's planner (plan creation and destruction) is not thread-safe: every
// block that makes or destroys an FFTW plan holds this process-wide lock.
// Executing a plan needs no lock.
#pragma once

#include <mutex>

namespace squeal {

std::mutex& fftw_planner_mutex();

}  // namespace squeal
