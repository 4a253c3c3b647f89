#include "tests/recordings.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "audio/wav_io.h"

namespace squeal::test {

std::string recording_path(const std::string& name) {
  const char* dir = std::getenv("SQUEAL_RECORDINGS");
  return std::string(dir != nullptr ? dir : "../shared/recordings") + "/" + name;
}

std::vector<float> read_recording_8k(const std::string& name) {
  return read_all(recording_path(name));
}

DecodedRecording decode_recording(const std::string& name) {
  const char* bin = std::getenv("SQUEAL_BIN");
  if (bin == nullptr) throw std::runtime_error("SQUEAL_BIN must name the squeal program (meson test sets it)");
  const std::string command = std::string("'") + bin + "' decode --json '" + recording_path(name) + "' 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run " + command);
  std::string out;
  std::array<char, 4096> buf{};
  while (const std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
  const int status = pclose(pipe);
  DecodedRecording d;
  d.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  d.doc = nlohmann::json::parse(out);
  return d;
}

std::vector<nlohmann::json> events_named(const nlohmann::json& doc, const std::string& signal) {
  std::vector<nlohmann::json> out;
  for (const auto& e : doc.at("events")) {
    if (e.at("signal") == signal) out.push_back(e);
  }
  return out;
}

}  // namespace squeal::test
