#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/commands.h"
#include "dsp/simd/dispatch.h"

int main(int argc, char** argv) {
  CLI::App app{"squeal: modem handshake engine"};
  bool version = false;
  app.add_flag("--version", version, "Print version and the SIMD target");
  CLI11_PARSE(app, argc, argv);
  if (version) fmt::print("squeal 0.1.0, SIMD {}\n", squeal::simd::describe_current_target());
  return 0;
}
