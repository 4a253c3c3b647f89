#include "tests/recordings.h"

#include <cstdlib>

#include "audio/wav_io.h"

namespace squeal::test {

std::string recording_path(const std::string& name) {
  const char* dir = std::getenv("SQUEAL_RECORDINGS");
  return std::string(dir != nullptr ? dir : "../shared/recordings") + "/" + name;
}

std::vector<float> read_recording_8k(const std::string& name) {
  return read_all(recording_path(name));
}

}  // namespace squeal::test
