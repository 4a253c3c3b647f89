// `squeal devices`: every audio device PortAudio sees, with its host API,
// channel counts and default rate, as a table or a JSON array.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "audio/portaudio_stream.h"
#include "cli/commands.h"

namespace squeal::cli {

namespace {

struct DevicesArgs {
  bool json = false;
  std::string jack_server = "squeal";
};

/// The JACK server PortAudio looked for (JACK_DEFAULT_SERVER), for messages.
std::string jack_server_in_use() {
  const char* name = std::getenv("JACK_DEFAULT_SERVER");
  return name != nullptr && *name != '\0' ? name : "default";
}

void run_devices(const DevicesArgs& args) {
  use_jack_server_by_default(args.jack_server);
  const DeviceList devices = list_devices();
  const bool jack_seen =
      std::any_of(devices.begin(), devices.end(), [](const AudioDevice& d) { return d.host_api.find("JACK") != std::string::npos; });
  if (!jack_seen) {  // on stderr, so --json output stays one document
    fmt::print(stderr, "no JACK server '{}' answers{}; for the loopback cable: tools/jack-cable.sh start\n",
               jack_server_in_use(), devices.empty() ? " and PortAudio sees no other audio device" : "");
  }
  if (args.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const AudioDevice& d : devices) {
      out.push_back({{"index", d.index},
                     {"name", d.name},
                     {"host_api", d.host_api},
                     {"max_input_channels", d.max_input_channels},
                     {"max_output_channels", d.max_output_channels},
                     {"default_sample_rate_hz", d.default_sample_rate_hz},
                     {"default_input", d.default_input},
                     {"default_output", d.default_output}});
    }
    fmt::print("{}\n", out.dump(2));
    return;
  }
  if (devices.empty()) return;  // said above
  fmt::print("{:>5}  {:<28} {:<28} {:>3} {:>4} {:>9}\n", "index", "name", "host API", "in", "out", "rate Hz");
  for (const AudioDevice& d : devices) {
    std::string name = d.name;
    if (d.default_input || d.default_output) {
      name += d.default_input && d.default_output ? " (default)" : d.default_input ? " (default in)" : " (default out)";
    }
    fmt::print("{:>5}  {:<28} {:<28} {:>3} {:>4} {:>9.0f}\n", d.index, name, d.host_api, d.max_input_channels,
               d.max_output_channels, d.default_sample_rate_hz);
  }
}

}  // namespace

void register_devices(CLI::App& app) {
  auto args = std::make_shared<DevicesArgs>();
  CLI::App* cmd = app.add_subcommand("devices", "List the audio devices PortAudio sees (host API, channels, default rate)");
  cmd->add_flag("--json", args->json,
                "Print a JSON array of {index, name, host_api, max_input_channels, max_output_channels, "
                "default_sample_rate_hz, default_input, default_output}");
  cmd->add_option("--jack-server", args->jack_server,
                  "JACK server to look at when JACK_DEFAULT_SERVER is not set (tools/jack-cable.sh runs 'squeal')")
      ->capture_default_str();
  cmd->footer(
      "Devices are chosen by name (or a unique part of it) in commands that use live audio.\n"
      "Examples:\n"
      "  tools/jack-cable.sh start && squeal devices\n"
      "  squeal devices --json");
  cmd->callback([args] { run_devices(*args); });
}

}  // namespace squeal::cli
