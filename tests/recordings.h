// Access to the shared real-modem recordings (../shared/recordings) from tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace squeal::test {

/// Path of a recording: $SQUEAL_RECORDINGS/name (set by tests/meson.build),
/// else ../shared/recordings/name.
std::string recording_path(const std::string& name);

/// The recording as the product reads it (audio/wav_io.h): channels mixed,
/// resampled to 8000 Hz, time-aligned with the file. Throws if unreadable.
std::vector<float> read_recording_8k(const std::string& name);

/// What `$SQUEAL_BIN decode --json <recording>` prints, parsed, and its exit
/// status: the product's own reading of the file, end to end.
struct DecodedRecording {
  int exit_code = -1;
  nlohmann::json doc;
};
DecodedRecording decode_recording(const std::string& name);

/// The events of a decode/detect --json document whose "signal" is `signal`, in order.
std::vector<nlohmann::json> events_named(const nlohmann::json& doc, const std::string& signal);

}  // namespace squeal::test
