// Audio files in and out through libsndfile.
//
// WavSource reads anything libsndfile reads (WAV, FLAC, Ogg, MP3 with
// libsndfile >= 1.1), at any rate and channel count, and delivers mono float
// samples at kSampleRateHz in blocks, so a 2-hour file never sits in memory.
// Rates other than 8000 Hz go through a liquid-dsp polyphase resampler
// (resamp_rrrf, Kaiser low-pass, 60 dB stop band; flat to 3600 Hz, see
// wav_io.cc for why not msresamp_rrrf) whose delay is removed: output sample
// n is the file's time n / 8000 s, whatever the input rate.
//
// WavSink writes 16-bit PCM or 32-bit float WAV, mono or stereo.
//
// Every failure throws std::runtime_error whose message names the file and
// the reason (libsndfile's sf_strerror where it has one).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dsp/types.h"

namespace squeal {

/// What the file holds, as libsndfile reports it.
struct AudioInfo {
  std::string path;          // as given
  std::string format;        // e.g. "WAV (Microsoft) / Signed 16 bit PCM"
  int rate_in_hz = 0;        // the file's sample rate
  int channels = 0;          // the file's channel count
  std::int64_t frames = 0;   // frames in the file (an estimate for MP3)
  double duration_s = 0;     // frames / rate_in_hz
  std::string warning;       // non-fatal problem (e.g. data chunk shorter than its header says), else empty
};

struct ReadOptions {
  int channel = 0;  // 0 = mean of all channels; 1..channels = that channel only
};

/// Streaming reader: mono, kSampleRateHz, time-aligned with the file.
class WavSource {
 public:
  /// Opens `path`. Throws std::runtime_error naming the file and the reason
  /// (missing, not audio, no frames), or std::invalid_argument for a channel
  /// the file does not have.
  explicit WavSource(const std::string& path, const ReadOptions& options = {});
  ~WavSource();
  WavSource(WavSource&&) noexcept;
  WavSource& operator=(WavSource&&) noexcept;
  WavSource(const WavSource&) = delete;
  WavSource& operator=(const WavSource&) = delete;

  [[nodiscard]] const AudioInfo& info() const noexcept;

  /// Fills `out` with the next samples; returns how many (< out.size() only
  /// at the end, 0 once everything was delivered). Throws std::runtime_error
  /// naming the file if libsndfile reports a read error.
  std::size_t read(std::span<float> out);

  /// Samples delivered so far (= the index of the next sample).
  [[nodiscard]] SampleIndex position() const noexcept;

  /// Samples the whole file gives at kSampleRateHz, from info().frames
  /// (exact for WAV/FLAC; the stream may end a little earlier for MP3).
  [[nodiscard]] SampleIndex expected_samples() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;  // libsndfile handle, resampler and buffers
};

/// Reads the whole file (mono, kSampleRateHz). `info`, if given, receives the file's info.
std::vector<float> read_all(const std::string& path, const ReadOptions& options = {},
                            AudioInfo* info = nullptr);

enum class SampleFormat { pcm16, float32 };

struct WriteOptions {
  SampleFormat format = SampleFormat::pcm16;  // 16-bit PCM or 32-bit IEEE float
  int channels = 1;                           // 1 or 2, samples interleaved
  int rate_hz = kSampleRateHz;                // > 0
};

/// Streaming WAV writer. 16-bit PCM maps x to round(x·32768), clipped to
/// [-32768, 32767], so every value k/32768 that libsndfile reads back from a
/// 16-bit file writes back to the same code (bit-exact round trip).
class WavSink {
 public:
  /// Creates (or truncates) `path`. Throws std::runtime_error naming the file
  /// and the reason, std::invalid_argument for bad options.
  WavSink(const std::string& path, const WriteOptions& options = {});
  ~WavSink();  // closes the file
  WavSink(WavSink&&) noexcept;
  WavSink& operator=(WavSink&&) noexcept;
  WavSink(const WavSink&) = delete;
  WavSink& operator=(const WavSink&) = delete;

  /// Appends interleaved samples (size a multiple of the channel count).
  void write(std::span<const float> interleaved);
  /// Flushes and closes; throws on failure. Called by the destructor if needed.
  void close();

 private:
  struct State;
  std::unique_ptr<State> state_;  // libsndfile handle and conversion buffer
};

/// Writes a whole buffer of interleaved samples to `path`.
void write_wav(const std::string& path, std::span<const float> interleaved, const WriteOptions& options = {});

}  // namespace squeal
