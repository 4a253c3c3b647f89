// HdlcReceiver: a streaming HDLC deframer fed one demodulated bit at a time
// (e.g. from V21Demodulator), as V.8bis messages and T.30 control frames are
// sent (V.8bis §7.2, T.30 §5.3, ISO/IEC 13239).
//
//  - Flag 0111 1110 (0x7E) opens and closes a frame; frames may share a flag
//    (the closing flag of one is the opening flag of the next), and a run of
//    flags before a frame is its preamble (T.30 §5.3.1: 1 s of flags).
//  - Transparency: the transmitter inserts a 0 after five consecutive 1s in
//    the frame; the receiver drops a 0 that follows five 1s.
//  - Seven or more consecutive 1s abort the frame: it is discarded and the
//    receiver hunts for the next flag (idle mark after a transmission does the
//    same).
//  - Octets are sent least significant bit first.
//  - The last two octets are the FCS-16 (ITU-T V.42 §8.1.1.6.1 / ISO 3309:
//    x^16 + x^12 + x^5 + 1, preset to all ones, sent complemented, LSB first).
//    Running the CRC over the octets and the FCS leaves the residue 0xF0B8.
//  - A frame between two flags whose length is not a whole number of octets,
//    shorter than 3 octets (one octet and the FCS) or longer than kMaxOctets
//    is invalid and only counted (V.8bis §7.2.9).
//
// push() never allocates: the frame under construction and the queue of
// finished frames are fixed arrays. Bits carry the caller's sample stamps, so
// the result does not depend on how the bits were produced in chunks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dsp/types.h"

namespace squeal {

/// CRC-16 of ITU-T V.42 / ISO 3309 (reflected polynomial 0x8408), continuing
/// from `crc` (start with 0xFFFF). The FCS sent is the complement, LSB first.
std::uint16_t crc16_itu(std::span<const std::uint8_t> octets, std::uint16_t crc = 0xFFFF) noexcept;

/// The two FCS octets to append to `octets` (low octet first).
std::array<std::uint8_t, 2> hdlc_fcs(std::span<const std::uint8_t> octets) noexcept;

/// Residue of crc16_itu over a frame and its correct FCS.
inline constexpr std::uint16_t kHdlcGoodResidue = 0xF0B8;

/// One frame between flags.
struct HdlcFrame {
  static constexpr std::size_t kMaxOctets = 260;  // T.30 frames reach 256 octets with address/control
  std::array<std::uint8_t, kMaxOctets> octets{};  // content without the FCS
  std::size_t size = 0;                            // octets used (FCS excluded)
  std::uint16_t fcs = 0;                           // FCS as received (low octet first)
  bool fcs_ok = false;                             // CRC residue was 0xF0B8
  int preamble_flags = 0;                          // flags in the run before the frame (>= 1)
  SampleIndex preamble_start = 0;                  // stamp of the first bit of the first of them
  SampleIndex start = 0;                           // stamp of the first bit of the opening flag
  SampleIndex end = 0;                             // stamp of the last bit of the closing flag

  [[nodiscard]] std::span<const std::uint8_t> view() const noexcept { return {octets.data(), size}; }
};

class HdlcReceiver {
 public:
  static constexpr std::size_t kQueueCapacity = 16;  // finished frames held for pop()

  /// One received bit (true = 1) and its stamp (any monotonic sample index).
  void push(bool bit, SampleIndex stamp) noexcept;
  /// Oldest finished frame; false if none.
  bool pop(HdlcFrame& out) noexcept;
  /// Carrier lost: abandons a frame in progress and hunts for a flag again.
  void flush() noexcept;
  void reset() noexcept;

  [[nodiscard]] std::size_t pending() const noexcept { return size_; }
  /// Flags in the current run (0 when not just after a flag).
  [[nodiscard]] int flag_run() const noexcept { return flags_; }
  [[nodiscard]] std::uint64_t frames_ok() const noexcept { return frames_ok_; }
  [[nodiscard]] std::uint64_t frames_bad_fcs() const noexcept { return frames_bad_fcs_; }
  [[nodiscard]] std::uint64_t aborts() const noexcept { return aborts_; }
  [[nodiscard]] std::uint64_t invalid_frames() const noexcept { return invalid_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }

 private:
  void on_flag(SampleIndex flag_start, SampleIndex flag_end) noexcept;
  void data_bit(bool bit) noexcept;
  void hunt() noexcept;

  bool synced_ = false;           // a flag has been seen since the last abort / flush
  int ones_ = 0;                  // consecutive 1s just received
  std::uint64_t bits_seen_ = 0;   // raw bits pushed since reset (indexes stamps_)
  std::array<SampleIndex, 8> stamps_{};  // stamps of the last 8 raw bits (ring)
  // Frame under construction (between the last flag and now).
  HdlcFrame frame_;               // octets so far; flag stamps of the run before it
  std::array<std::uint8_t, 2> fcs_tail_{};  // octets past frame_.octets (a longest frame's FCS)
  std::size_t count_ = 0;         // whole octets received (FCS included)
  std::uint8_t partial_ = 0;      // bits of the octet being received
  int partial_bits_ = 0;          // how many
  bool overflow_ = false;         // more than kMaxOctets + 2 octets: invalid
  // Flag run before the frame.
  int flags_ = 0;                 // flags since the last data / sync loss
  SampleIndex run_start_ = 0;     // stamp of the first bit of the run's first flag
  SampleIndex last_flag_start_ = 0;  // stamp of the first bit of the latest flag
  // Output.
  std::array<HdlcFrame, kQueueCapacity> queue_{};  // finished frames (ring)
  std::size_t head_ = 0;          // oldest frame
  std::size_t size_ = 0;          // frames held
  std::uint64_t frames_ok_ = 0;       // frames with a good FCS
  std::uint64_t frames_bad_fcs_ = 0;  // frames with a bad FCS
  std::uint64_t aborts_ = 0;          // frames ended by 7+ ones
  std::uint64_t invalid_ = 0;         // misaligned, too short or too long
  std::uint64_t dropped_ = 0;         // frames lost to a full queue
};

}  // namespace squeal
