// Subcommands of the squeal program. Each register_* adds one subcommand to
// the app with its options and callback; main.cc only wires them together.
#pragma once

namespace CLI {
class App;
}

namespace squeal::cli {

void register_generate(CLI::App& app);  // cli/cmd_generate.cc
void register_detect(CLI::App& app);    // cli/cmd_detect.cc
void register_bench(CLI::App& app);     // cli/cmd_bench.cc
void register_loopback(CLI::App& app);  // cli/cmd_loopback.cc
void register_decode(CLI::App& app);    // cli/cmd_decode.cc
void register_sweep(CLI::App& app);     // cli/cmd_sweep.cc
void register_devices(CLI::App& app);   // cli/cmd_devices.cc
void register_live(CLI::App& app);      // cli/cmd_live.cc: call, answer

}  // namespace squeal::cli
