// V.8bis (ITU-T V.8bis, 11/2000): the tone signals and the HDLC messages.
//
// Signals (V.8bis §7.1, Tables 1 and 2): segment 1 is a dual tone of 400 ms,
// 1375 + 2002 Hz from the initiating station or 1529 + 2225 Hz from the
// responding station; segment 2, 100 ms, is a single tone naming the signal:
// MRe 650 Hz, MRd 1150 Hz, CRe 400 Hz, CRd 1900 Hz, ESi 980 Hz (the V.21
// channel-1 mark), ESr 1650 Hz (the channel-2 mark). MRd and CRd exist in
// both tone sets, MRe/CRe/ESi only in the initiating one, ESr only in the
// responding one. MRe and CRe are sent 12-15 dB under the other signals
// (§7.1.4), so a detector needs a low floor.
//
// Messages (§7.2, §8): V.21 at 300 bit/s, the initiating station on channel 1
// (980/1180 Hz, as the ESi mark says) and the responding one on channel 2,
// HDLC framed (dsp/hdlc.h). Information field: a type/revision octet (type in
// bits 1-4: Table 3), then the identification field I and the standard field
// S, each NPar(1), SPar(1) and one Par(2) block per SPar(1) bit; parameter
// octets end their block with delimiter bits (§8.2.3: bit 8 at level 1 and at
// the end of a Par(2) block, bit 7 at the end of NPar(2)/SPar(2)/NPar(3)); an
// optional non-standard field NS follows (§8.5: length, T.35 country, provider
// code length, provider code, data). Bit values: Tables 5-1, 5-3, 6-2, 6-3.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "dsp/goertzel_bank.h"
#include "dsp/types.h"

namespace squeal {

enum class V8bisSignal : std::uint8_t { mre, mrd, cre, crd, esi, esr };

std::string_view v8bis_signal_name(V8bisSignal s) noexcept;  // "MRe", "MRd", "CRe", "CRd", "ESi", "ESr"
double v8bis_segment2_hz(V8bisSignal s) noexcept;           // Table 2

/// Segment 1 pair: initiating (1375/2002 Hz) or responding (1529/2225 Hz) station.
struct V8bisToneSet {
  double low_hz;
  double high_hz;
};
V8bisToneSet v8bis_tone_set(bool responding) noexcept;

/// One tone signal heard.
struct V8bisSignalHeard {
  V8bisSignal signal = V8bisSignal::cre;
  bool responding_set = false;     // segment 1 was the responding station's pair
  SampleIndex start = 0;           // estimated start of segment 1
  SampleIndex segment2_start = 0;  // estimated start of segment 2
  SampleIndex end = 0;             // estimated end of segment 2 (ES: at most 100 ms after its start)
  float level_dbm0 = -200;         // level of segment 1, each tone
};

/// Finds V.8bis signals in audio: a GoertzelBank (10 ms blocks every 5 ms)
/// classifies each block as a tone pair, a single tone or neither; a run of
/// pair blocks (>= 150 ms) followed within 20 ms by a run of one segment-2
/// tone (>= 40 ms) is a signal. Output is independent of chunking.
class V8bisSignalDetector {
 public:
  static constexpr std::size_t kQueueCapacity = 16;

  /// min_level_dbm0: floor for each tone, -60..0 (MRe/CRe come 13.5 dB low).
  explicit V8bisSignalDetector(double min_level_dbm0 = -50.0);

  void process(std::span<const float> in) noexcept;
  bool pop(V8bisSignalHeard& out) noexcept;
  void reset() noexcept;

 private:
  enum Class : int { kNone = -1, kPairInitiating = 100, kPairResponding = 101 };  // else segment-2 tone index
  void on_block(const GoertzelBank::Block& b) noexcept;
  void end_run(SampleIndex now) noexcept;
  void emit(SampleIndex now) noexcept;

  GoertzelBank bank_;              // pair and segment-2 frequencies
  float min_power_ = 0;            // per-tone floor (mean square)
  int run_class_ = kNone;          // class of the current run of blocks
  int run_blocks_ = 0;             // blocks in it
  float run_level_ = 0;            // steady power of the run's tone(s) (max over its blocks)
  float first_power_ = 0;          // that power in the run's first block
  SampleIndex first_end_ = 0;      // end of the run's first block
  SampleIndex last_end_ = 0;       // end of its latest passing block
  int misses_ = 0;                 // failing blocks since then
  float after_power_ = 0;          // the run's tone power in the first failing block
  SampleIndex after_start_ = 0;    // start of that block
  // The last finished pair run, waiting for its segment 2.
  bool pair_pending_ = false;      // a pair run of sufficient length just ended
  bool pair_responding_ = false;   // which pair
  SampleIndex pair_start_ = 0;     // its start
  SampleIndex pair_end_ = 0;       // its end
  float pair_level_ = 0;           // its per-tone mean square
  std::array<V8bisSignalHeard, kQueueCapacity> queue_{};  // found signals (ring)
  std::size_t head_ = 0;           // oldest
  std::size_t size_ = 0;           // held
};

/// Table 3 message types (bits 1-4 of the first octet).
enum class V8bisMessageType : std::uint8_t {
  ms = 1, cl = 2, clr = 3, ack1 = 4, ack2 = 5, nak1 = 8, nak2 = 9, nak3 = 10, nak4 = 11,
};

/// A decoded information field. Flat: decoding never allocates.
struct V8bisMessage {
  static constexpr std::size_t kMaxNs = 4;
  std::uint8_t type = 0;          // Table 3 nibble
  std::uint8_t revision = 0;      // bits 5-8 of the first octet
  bool known_type = false;        // one of V8bisMessageType
  bool parsed = false;            // the I and S fields parsed to their delimiters
  bool truncated = false;         // a block ran past the end
  // I field
  std::uint8_t id_npar1 = 0;      // Table 5-1: 0x01 V.8, 0x02 shortened V.8, 0x04 more info, 0x08 send ACK(1), 0x40 NS follows
  std::uint8_t id_spar1 = 0;      // 0x01: network type block
  std::uint8_t network = 0;       // Table 5-3: 0x01 cellular, 0x02 ISDN
  // S field
  std::uint8_t s_npar1 = 0;       // Table 6-1
  std::uint8_t s_spar1 = 0;       // Table 6-2: 0x01 data, 0x02 SVD, 0x04 H.324, 0x08 V.18, 0x20 telephony, 0x40 T.101
  std::array<std::uint8_t, 3> data{};  // Table 6-3 NPar(2) octets (6 bits each)
  std::uint8_t v18 = 0;           // Table 6-6
  std::uint8_t telephony = 0;     // Table 6-7
  // NS field
  std::size_t ns_count = 0;       // non-standard blocks
  std::array<std::uint8_t, kMaxNs> ns_country{};   // T.35 country code
  std::array<std::uint16_t, kMaxNs> ns_provider{}; // first two provider code octets
  std::array<std::uint8_t, kMaxNs> ns_data_octets{};  // data octets after the provider code
};

/// Decodes an information field (HDLC frame content without FCS). Never throws.
V8bisMessage decode_v8bis(std::span<const std::uint8_t> octets) noexcept;

/// "MS", "CL", "CLR", "ACK(1)", "ACK(2)", "NAK(1)".."NAK(4)", "" if unknown.
std::string_view v8bis_message_name(std::uint8_t type) noexcept;
/// Signal name of the JSON event: "ms", "cl", "clr", "ack", "nak", "" if unknown.
std::string_view v8bis_message_token(std::uint8_t type) noexcept;
/// Whether an HDLC frame plausibly is a V.8bis message (known type, parses).
bool looks_like_v8bis(std::span<const std::uint8_t> octets) noexcept;

/// The message in words, e.g. "CL rev 1: V.8 follows, send ACK(1); standard:
/// none; non-standard: country b5, provider 0094, 5 data octets". Allocates.
std::string describe(const V8bisMessage& m);

}  // namespace squeal
