// Phase2Listener: hears V.34 / V.90 phase 2 on one mixed recording, both
// directions at once, without taking part: the INFO frames on the 1200 and
// 2400 Hz DPSK channels, L1/L2 line probes, and where training starts.
//
// INFO frames (v34-phase2.md "INFO frame layout"; V.90 Table 7): each carrier
// has its own DpskDemodulator; a frame is fill 1111 + sync 01110010, and its
// length is found by the CRC (x^16+x^12+x^5+1 over fields + CRC = 0):
//   1200 Hz: INFO0c (49 bits), V.90 INFO0d (62), INFO1c / V.90 INFO1d (109);
//   2400 Hz: INFO0a (49), INFO1a (70).
// In V.34 the answer modem sends on 2400 Hz; in V.90 the digital modem takes
// the 1200 Hz channel (INFO0d, tone B) and the analogue modem 2400 Hz
// (INFO0a, tone A), whichever of them called. A frame whose CRC fits no
// length is reported damaged (crc_ok false) only when a closing fill 1111
// sits where the expected kind would end.
//
// Probes (V.34 §10.1.2.4): the L1/L2 sum of 21 cosines repeats every 160
// samples, so any 160-sample window of it is one whole period and a 160-point
// DFT puts all its power into bins 3m (m·150 Hz), none into 1200/1800/2400 Hz.
// A window is "probe" when >= 70 % of the in-band power (bins 2..78) sits in
// the 21 probe bins (1200, 1800, 2400 Hz ±50 Hz left out: the far tone may
// overlap), >= 30 % of all of it does, and >= 15 of them are within 20 dB of their mean. Windows
// hop by 80 samples on the absolute grid. A probe is >= 6 such windows; L1 is
// told from L2 by its 6 dB higher level; L2 (margins trimmed) is measured by
// LineProbeAnalyzer from a ring of recent samples. The prober is the side
// whose DPSK carrier (tone A or B) was on just before the probe: the probe has
// no power at 1200 or 2400 Hz.
//
// Training: after a probe, the first >= 200 ms run of broadband windows
// (level >= -40 dBm0, probe bins hold < 60 %, neither 1200 nor 2400 Hz holds
// > 20 %). It ends at a new probe, >= 200 ms of quiet, or the end of input.
// Data: inside a training run, the onset of the last rise of >= 3 dB in the
// 200 ms mean level that then holds for >= 1 s (a heuristic: data is sent at
// a different power than the training signals; reported as such).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "dsp/dpsk_modem.h"
#include "dsp/line_probe.h"
#include "dsp/types.h"
#include "negotiation/info_codec.h"

namespace squeal {

/// INFO frame kinds as heard; the carrier says who sent it.
enum class HeardInfoKind : std::uint8_t { info0, info0d, info1c, info1a };

/// Bits of V.90's INFO0d (Table 7/V.90; V.92 Table 15 for bits 26/27).
inline constexpr int kInfo0dBits = 62;

/// V.90 INFO0d, the digital modem's capabilities.
struct Info0d {
  Info0 v34;                        // bits 12-25 and 28 as in V.34's INFO0 (tx_clock_source unused: 0)
  bool short_phase2_request = false;  // bit 26 (V.92; reserved 0 in V.90)
  bool v92_capable = false;           // bit 27 (V.92; reserved 0 in V.90)
  std::uint8_t nominal_power_code = 0;  // bits 29-32: nominal phase-2 power = -6 - code dBm0
  std::uint8_t max_power_code = 0;      // bits 33-37: maximum transmit power = -0.5·(code + 1) dBm0
  bool power_at_codec = false;          // bit 38: powers are measured at the codec output
  bool a_law = false;                   // bit 39: 1 = A-law, 0 = µ-law
  bool upstream_3429 = false;           // bit 40: 3429 baud allowed upstream
};

/// Fields of a 62-bit INFO0d frame (fill to fill); nullopt if not 62 bits.
std::optional<Info0d> decode_info0d(std::span<const std::uint8_t> bits) noexcept;
/// "INFO0d (V.90 digital modem): symbol rates ..., V.92 capable, nominal -10 dBm0, ..., µ-law".
std::string describe(const Info0d& info);

/// One INFO frame heard.
struct HeardInfo {
  HeardInfoKind kind = HeardInfoKind::info0;
  int carrier_hz = 1200;         // 1200 or 2400
  bool crc_ok = false;           // CRC over fields + CRC is 0
  SampleIndex start = 0;         // centre of the first fill bit
  SampleIndex end = 0;           // centre of the last bit
  std::uint8_t size = 0;         // bits held
  std::array<std::uint8_t, kInfoMaxBits> bits{};  // fill to fill
  [[nodiscard]] std::span<const std::uint8_t> view() const noexcept { return {bits.data(), size}; }
};

/// One L1/L2 probe heard.
struct HeardProbe {
  SampleIndex start = 0;         // first probe sample (estimate, ±10 ms)
  SampleIndex end = 0;           // last probe sample + 1 (estimate)
  SampleIndex l1_end = -1;       // L1 → L2 step (-1: no 6 dB step seen)
  int prober_carrier_hz = 0;     // 2400 or 1200: whose tone preceded it; 0 = unknown
  double level_dbm0 = -200;      // mean level of the measured part
  bool measured = false;         // report is valid and clean enough to quote per tone
  ProbeReport report;            // LineProbeAnalyzer over the trimmed L2
};

/// One training run heard (after a probe).
struct HeardTraining {
  SampleIndex start = 0;         // first broadband window (centre)
  SampleIndex end = 0;           // end of the run
  SampleIndex data_start = -1;   // onset of the last sustained level rise (-1 none)
  double level_dbm0 = -200;      // mean level over the first 200 ms
  double data_step_db = 0;       // size of that rise
};

class Phase2Listener {
 public:
  static constexpr std::size_t kMaxFrames = 32;    // INFO frames kept
  static constexpr std::size_t kMaxProbes = 8;     // probes kept
  static constexpr std::size_t kMaxTrainings = 8;  // training runs kept

  Phase2Listener();
  ~Phase2Listener();
  Phase2Listener(const Phase2Listener&) = delete;
  Phase2Listener& operator=(const Phase2Listener&) = delete;

  void process(std::span<const float> in) noexcept;
  /// End of input at the current position: closes an open probe or training run.
  void finish() noexcept;
  void reset() noexcept;

  [[nodiscard]] std::span<const HeardInfo> frames() const noexcept { return {frames_.data(), frame_count_}; }
  [[nodiscard]] std::span<const HeardProbe> probes() const noexcept { return {probes_.data(), probe_count_}; }
  [[nodiscard]] std::span<const HeardTraining> trainings() const noexcept {
    return {trainings_.data(), training_count_};
  }
  [[nodiscard]] SampleIndex position() const noexcept { return position_; }

  static constexpr int kHop = 80;                   // window hop (10 ms)
  static constexpr std::size_t kRing = 16384;       // samples kept for probe analysis (2.05 s), power of two

 private:
  // Frame hunting on one DPSK channel.
  struct Channel {
    int carrier_hz;                                   // 1200 or 2400
    DpskDemodulator demod;                            // 600 bit/s DPSK
    std::array<std::uint8_t, 128> bits{};             // bit i at [i % 128]
    std::array<SampleIndex, 128> stamps{};            // its sample stamp
    std::int64_t count = 0;                           // bits pushed since the last gap
    std::uint16_t window = 0;                         // last 12 bits, newest in bit 0
    std::array<std::int64_t, 16> candidates{};        // start bits of open frames
    std::size_t candidate_count = 0;                  // open frames
    bool info0_seen = false;                          // an INFO0 with good CRC came on this channel
  };
  void push_bit(Channel& ch, const DpskBit& bit) noexcept;
  void emit_frame(Channel& ch, std::int64_t start, int length, HeardInfoKind kind, bool crc_ok) noexcept;
  [[nodiscard]] bool crc_checks(const Channel& ch, std::int64_t start, int length) const noexcept;
  [[nodiscard]] bool fill_at(const Channel& ch, std::int64_t start, int length) const noexcept;

  void on_window(SampleIndex n) noexcept;  // window [n, n + 160) complete
  void close_probe() noexcept;
  void close_training(SampleIndex end) noexcept;

  std::array<Channel, 2> channels_;                   // [0] 1200 Hz, [1] 2400 Hz
  LineProbeAnalyzer analyzer_;                        // measures a probe's L2
  float* fft_in_ = nullptr;                           // FFTW buffer, 160 samples (owned by plan holder)
  void* fft_out_ = nullptr;                           // FFTW buffer, 81 bins
  void* plan_ = nullptr;                              // fftwf_plan r2c 160
  std::array<float, kRing> ring_{};                   // input sample n at [n % kRing]
  SampleIndex position_ = 0;                          // absolute index of the next input sample

  // Per-window history.
  std::array<double, 4> tone_b_power_{}, tone_a_power_{};  // bin 24 / 48 power of the last 4 windows
  int probe_run_ = 0;                                 // consecutive probe windows
  int non_probe_run_ = 0;                             // consecutive non-probe windows while a probe is open
  bool probe_open_ = false;                           // a probe is being collected
  HeardProbe current_probe_;                          // the open probe
  std::array<float, 512> probe_levels_{};             // window levels (dBm0) of the open probe
  int probe_windows_ = 0;                             // windows in probe_levels_
  SampleIndex last_probe_window_ = 0;                 // start of the last probe window
  bool after_probe_ = false;                          // a probe ended and no training was found since

  int broadband_run_ = 0;                             // consecutive broadband windows
  SampleIndex broadband_first_ = 0;                   // first window of that run
  double broadband_sum_ms_ = 0;                       // mean-square sum over the run's first 20 windows
  bool training_open_ = false;                        // a training run is being collected
  HeardTraining current_training_;                    // the open run
  int quiet_run_ = 0;                                 // consecutive quiet windows in a training run
  std::array<float, 1024> block_levels_{};            // 200 ms mean levels (dBm0) of the open run
  int block_count_ = 0;                               // entries in block_levels_
  double block_sum_ms_ = 0;                           // mean-square sum of the current 200 ms block
  int block_fill_ = 0;                                // windows in it

  SampleIndex last_good_stamp_ = -1;                  // end of the last frame whose CRC checked (-1 none)
  std::array<HeardInfo, kMaxFrames> frames_{};        // frames heard
  std::size_t frame_count_ = 0;
  std::array<HeardProbe, kMaxProbes> probes_{};       // probes heard
  std::size_t probe_count_ = 0;
  std::array<HeardTraining, kMaxTrainings> trainings_{};  // training runs heard
  std::size_t training_count_ = 0;
};

}  // namespace squeal
