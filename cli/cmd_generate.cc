// `squeal generate <signal> -o out.wav`: any signal of the generator
// catalogue (dsp/generator.h) to a WAV file at 8000 Hz.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <vector>

#include "audio/wav_io.h"
#include "cli/commands.h"
#include "cli/common.h"
#include "dsp/generator.h"
#include "dsp/types.h"

namespace squeal::cli {

namespace {

struct GenerateArgs {
  std::string signal;          // catalogue name
  std::string output;          // WAV path
  bool list = false;           // print the catalogue instead
  double level_dbm0 = NAN;     // NaN = the signal's default
  double seconds = NAN;        // NaN = natural length (dtmf: its digits; others 3 s)
  double pad_s = 0;            // silence before and after the signal
  double freq_hz = 1000;       // "tone"
  double freq2_hz = 0;         // "tone", 0 = single
  std::string digits = "5702340003";  // "dtmf"
  bool as_float = false;       // 32-bit float WAV instead of 16-bit PCM
  std::string simd = "best";   // --simd
};

void print_catalog() {
  fmt::print("Signals of 'squeal generate' (default level per tone):\n");
  for (const auto& info : generator_catalog()) {
    fmt::print("  {:<14} {:>6.1f} dBm0  {}\n", info.name, info.default_level_dbm0, info.description);
  }
}

void run_generate(const GenerateArgs& args) {
  apply_simd(args.simd);
  if (args.list) {
    print_catalog();
    return;
  }
  if (args.signal.empty()) throw std::runtime_error("generate: name a signal (see 'squeal generate --list')");
  if (args.output.empty()) throw std::runtime_error("generate: give the output file with -o out.wav");
  GeneratorOptions options;
  options.level_dbm0 = args.level_dbm0;
  options.digits = args.digits;
  options.freq_hz = args.freq_hz;
  options.freq2_hz = args.freq2_hz;
  auto generator = make_generator(args.signal, options);  // throws naming a bad name or value

  double seconds = args.seconds;
  if (std::isnan(seconds)) {
    // DTMF: each digit 100 ms on, 100 ms off.
    seconds = args.signal == "dtmf" ? 0.2 * static_cast<double>(args.digits.size()) : 3.0;
  }
  if (!(seconds > 0 && seconds <= 24 * 3600)) {
    throw std::runtime_error(fmt::format("generate: --seconds {} is not in (0, 86400]", seconds));
  }
  if (!(args.pad_s >= 0 && args.pad_s <= 3600)) {
    throw std::runtime_error(fmt::format("generate: --pad {} is not in [0, 3600]", args.pad_s));
  }
  WavSink sink(args.output, {.format = args.as_float ? SampleFormat::float32 : SampleFormat::pcm16});
  std::vector<float> block(4096);
  const auto write_silence = [&](SampleIndex n) {
    std::fill(block.begin(), block.end(), 0.0f);
    for (SampleIndex done = 0; done < n;) {
      const auto k = static_cast<std::size_t>(std::min<SampleIndex>(n - done, static_cast<SampleIndex>(block.size())));
      sink.write(std::span<const float>(block.data(), k));
      done += static_cast<SampleIndex>(k);
    }
  };
  const SampleIndex pad = seconds_to_samples(args.pad_s);
  write_silence(pad);
  const SampleIndex total = seconds_to_samples(seconds);
  for (SampleIndex done = 0; done < total;) {
    const auto k = static_cast<std::size_t>(std::min<SampleIndex>(total - done, static_cast<SampleIndex>(block.size())));
    generator->generate(std::span<float>(block.data(), k));
    sink.write(std::span<const float>(block.data(), k));
    done += static_cast<SampleIndex>(k);
  }
  write_silence(pad);
  sink.close();
  fmt::print(stderr, "wrote {}: {} at 8000 Hz, {:.3f} s{}\n", args.output, args.signal,
             samples_to_seconds(total + 2 * pad), args.as_float ? ", float" : ", 16-bit");
}

}  // namespace

void register_generate(CLI::App& app) {
  auto args = std::make_shared<GenerateArgs>();
  CLI::App* cmd = app.add_subcommand("generate", "Write a test signal (tone, DTMF, call progress, answer tone...) to a WAV file");
  cmd->add_option("signal", args->signal, "Signal name from the catalogue (see --list)");
  cmd->add_option("-o,--output", args->output, "Output WAV file (8000 Hz mono)");
  cmd->add_flag("--list", args->list, "List the signals and their default levels");
  cmd->add_option("--level", args->level_dbm0, "Level per tone in dBm0 (0 dBm0 = sine 3.14 dB below full scale); default: the signal's");
  cmd->add_option("--seconds", args->seconds, "Length in seconds (default: dtmf 0.2 s per digit, others 3 s)");
  cmd->add_option("--pad", args->pad_s, "Seconds of silence before and after the signal")->capture_default_str();
  cmd->add_option("--freq", args->freq_hz, "'tone': frequency in Hz")->capture_default_str();
  cmd->add_option("--freq2", args->freq2_hz, "'tone': second frequency in Hz, 0 for a single tone")->capture_default_str();
  cmd->add_option("--digits", args->digits, "'dtmf': digits 0-9 * # A-D, 100 ms on / 100 ms off")->capture_default_str();
  cmd->add_flag("--float", args->as_float, "Write 32-bit float samples instead of 16-bit PCM");
  add_simd_option(cmd, args->simd);
  cmd->footer(
      "Examples:\n"
      "  squeal generate --list\n"
      "  squeal generate dtmf --digits 123# -o digits.wav\n"
      "  squeal generate tone --freq 1000 --freq2 1200 --level -20 --seconds 1 -o pair.wav\n"
      "  squeal generate ansam_pr --pad 0.5 -o ansam.wav");
  cmd->callback([args] { run_generate(*args); });
}

}  // namespace squeal::cli
