// The squeal program: wires the subcommands together, sets flush-to-zero on
// the processing thread, and turns errors into a message and an exit code.
#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <exception>

#include "cli/commands.h"
#include "cli/common.h"
#include "dsp/simd/dispatch.h"

int main(int argc, char** argv) {
  // Recursive filters decaying after a tone would otherwise run into slow
  // subnormal arithmetic; all processing happens on this thread.
  squeal::simd::enable_flush_to_zero();

  CLI::App app{"squeal: a software modem handshake engine -- generates and detects the tones of a modem call"};
  app.footer(
      "Examples:\n"
      "  squeal generate --list\n"
      "  squeal generate dtmf --digits 5702340003 -o digits.wav\n"
      "  squeal generate ansam_pr --seconds 3 --level -12 -o ansam.wav\n"
      "  squeal detect recording.wav\n"
      "  squeal detect --json --channel 1 recording.mp3 > events.json\n"
      "  squeal detect --simd scalar recording.wav\n"
      "  squeal decode recording.wav\n"
      "  squeal loopback --snr 15 --delay-ms 40 --echo-db -20\n"
      "  squeal --version\n"
      "\nRun 'squeal <command> --help' for the options of a command.");
  bool version = false;
  app.add_flag("--version", version, "Print the version and the SIMD target the kernels use");
  squeal::cli::register_generate(app);
  squeal::cli::register_detect(app);
  squeal::cli::register_decode(app);
  squeal::cli::register_loopback(app);
  squeal::cli::register_sweep(app);
  squeal::cli::register_devices(app);
  squeal::cli::register_live(app);
  squeal::cli::register_bench(app);
  app.require_subcommand(0, 1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    fmt::print(stderr, "squeal: error: {}\n", e.what());
    return 1;
  }
  if (version) {
    fmt::print("squeal {}, SIMD {}\n", squeal::cli::kVersion, squeal::simd::describe_current_target());
    return 0;
  }
  if (app.get_subcommands().empty()) {
    fmt::print("{}", app.help());
    return 1;
  }
  return 0;
}
