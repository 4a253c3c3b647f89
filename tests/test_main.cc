#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "dsp/simd/dispatch.h"

int main(int argc, char** argv) {
  squeal::simd::enable_flush_to_zero();
  doctest::Context context;
  context.applyCommandLine(argc, argv);
  return context.run();
}
