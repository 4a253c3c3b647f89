// V.8 bit-level framing: octets framed start/stop, preamble + sync, and a
// streaming receiver that finds V.8 frames in the bit stream of a V.21
// demodulator.
//
// V.8 §5 (as implemented by spandsp, linmodem and others): every octet is sent
// as start bit 0, eight data bits least-significant first, stop bit 1. A
// message is ten 1 bits (preamble), a sync octet, then category octets. Idle
// between octets is mark (1). CJ has no preamble: three framed zero octets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace squeal {

/// Most octets kept after the sync octet of one frame; a longer frame is
/// reported as too_long. Real CMs are 5-10 octets.
inline constexpr std::size_t kV8MaxFrameOctets = 64;

/// Bits per framed octet: start, 8 data bits, stop.
inline constexpr int kV8BitsPerOctet = 10;

/// Preamble length in bits (all 1). V.8 §5.
inline constexpr int kV8PreambleBits = 10;

/// Sync octets (after the preamble).
inline constexpr std::uint8_t kV8SyncCi = 0x00;    // CI
inline constexpr std::uint8_t kV8SyncCmJm = 0xE0;  // CM and JM
inline constexpr std::uint8_t kV8SyncV92 = 0x55;   // V.92 extension frame

/// 20-bit windows (oldest bit in bit 0, newest in bit 19) of preamble + framed sync.
inline constexpr std::uint32_t kV8WindowCi = 0x803FF;
inline constexpr std::uint32_t kV8WindowCmJm = 0xF03FF;
inline constexpr std::uint32_t kV8WindowV92 = 0xAABFF;

/// Which kind of frame the receiver found (CM and JM share a sync octet; the
/// V.21 channel they came on tells them apart).
enum class V8FrameKind : std::uint8_t { ci, cm_jm, v92, cj };

/// How a frame ended. Only `ok` frames may be trusted as complete.
enum class V8FrameStatus : std::uint8_t {
  ok,             // ended by >= 10 idle mark bits (next preamble) or flush() between octets
  framing_error,  // a stop bit was 0; the octets before it are kept
  too_long,       // more than kV8MaxFrameOctets octets; the first ones are kept
  truncated,      // flush() in the middle of an octet
  interrupted,    // CJ (three zero octets) followed with no preamble: may be cut short
};

std::string_view frame_kind_name(V8FrameKind k) noexcept;      // "ci", "cm_jm", "v92", "cj"
std::string_view frame_status_name(V8FrameStatus s) noexcept;  // "ok", "framing_error", ...

/// One frame found in the bit stream. Flat and fixed-size: never allocates.
struct V8Frame {
  V8FrameKind kind = V8FrameKind::cm_jm;
  V8FrameStatus status = V8FrameStatus::ok;
  std::uint8_t sync = 0;                                // sync octet (0 for CJ)
  std::uint8_t size = 0;                                // octets held after the sync
  std::array<std::uint8_t, kV8MaxFrameOctets> octets{};  // category octets (CJ: none)
  std::int64_t start_bit = 0;    // bit index of the first preamble bit (CJ: first start bit)
  std::int64_t end_bit = 0;      // bit index of the last bit that belongs to the frame
  std::int64_t start_stamp = 0;  // caller's stamp of start_bit (e.g. sample index)
  std::int64_t end_stamp = 0;    // caller's stamp of end_bit

  [[nodiscard]] std::span<const std::uint8_t> view() const noexcept { return {octets.data(), size}; }
};

/// Appends the 10 bits of `octet` as sent (start 0, b0..b7, stop 1), one bit per element.
void append_framed_octet(std::uint8_t octet, std::vector<std::uint8_t>& bits);

/// Bits of a whole frame as transmitted, first bit first: preamble, framed sync,
/// framed `octets`. For CJ: three framed zero octets, no preamble (octets ignored).
std::vector<std::uint8_t> frame_bits(V8FrameKind kind, std::span<const std::uint8_t> octets);

/// Streaming receiver: push demodulated bits one at a time; complete frames
/// come out of pop(). Fixed buffers, no allocation, nothing throws.
///
/// Hunting: a 20-bit window is matched against preamble + sync (CI, CM/JM,
/// V.92); a 30-bit window against CJ (three framed zero octets). Collecting:
/// framed octets are gathered until >= 10 idle 1 bits (the next preamble), a
/// framing error, overflow, or three consecutive zero octets (CJ, which ends
/// the frame as `interrupted` and is emitted itself).
class V8BitReceiver {
 public:
  /// Frames held for pop() before the newest is dropped (and counted).
  static constexpr std::size_t kQueueCapacity = 8;
  /// Idle mark bits after a stop bit that end a frame (a preamble is ten).
  static constexpr int kIdleEndBits = 10;

  /// One demodulated bit; `stamp` is reported back in frames (e.g. the sample
  /// index of the bit). The overload without stamp uses the bit index.
  void push(bool bit, std::int64_t stamp) noexcept;
  void push(bool bit) noexcept { push(bit, bit_index_); }

  /// Ends a frame in progress (carrier lost / end of input): `ok` if between
  /// octets, `truncated` mid-octet. Then hunts afresh.
  void flush() noexcept;

  /// Takes the oldest finished frame; false if none.
  bool pop(V8Frame& out) noexcept;

  [[nodiscard]] std::size_t pending() const noexcept { return queue_size_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
  /// Bits pushed since reset (the index the next bit will get).
  [[nodiscard]] std::int64_t bit_index() const noexcept { return bit_index_; }

  void reset() noexcept;

 private:
  enum class State : std::uint8_t { hunting, collecting };

  void start_frame(V8FrameKind kind, std::uint8_t sync) noexcept;
  void end_frame(V8FrameStatus status, std::int64_t end_bit) noexcept;
  void emit_cj(std::int64_t start_bit, std::int64_t end_bit) noexcept;
  void enqueue(const V8Frame& f) noexcept;
  void clear_history() noexcept;
  [[nodiscard]] std::int64_t stamp_of(std::int64_t bit) const noexcept;
  void collect_bit(bool bit) noexcept;

  // Look-back for stamps: inside a frame idle gaps are < 10 bits, so a CJ run
  // starts at most 3 * 10 + 2 * 9 bits back.
  static constexpr std::size_t kStampRing = 64;

  State state_ = State::hunting;           // hunting for a sync / collecting octets
  std::int64_t bit_index_ = 0;             // index of the next bit pushed
  std::uint32_t window_ = 0;               // last 32 bits, newest in bit 31
  int history_bits_ = 0;                   // valid bits in window_ (capped at 32)
  std::array<std::int64_t, kStampRing> stamps_{};  // stamp of bit i at [i % kStampRing]
  V8Frame frame_{};                        // frame being collected
  int octet_bit_ = -1;                     // -1 waiting for start bit, 0..7 data bits, 8 stop bit
  std::uint8_t octet_ = 0;                 // data bits gathered so far (LSB first)
  std::int64_t octet_start_bit_ = 0;       // bit index of the current octet's start bit
  int idle_ones_ = 0;                      // mark bits since the last stop bit
  int zero_run_ = 0;                       // consecutive framed zero octets (CJ check)
  std::int64_t zero_run_start_bit_ = 0;    // start bit of the first octet in zero_run_
  std::uint8_t zero_run_from_size_ = 0;    // frame_.size before the zero run began
  std::array<V8Frame, kQueueCapacity> queue_{};  // finished frames (ring)
  std::size_t queue_head_ = 0;             // index of the oldest finished frame
  std::size_t queue_size_ = 0;             // finished frames held
  std::uint64_t dropped_ = 0;              // frames lost to a full queue
};

}  // namespace squeal
