// V.34 phase-2 INFO frames (INFO0a/INFO0c, INFO1c, INFO1a): fields <-> bits,
// their CRC, a streaming receiver, and the frames in words. Plus the symbol
// rate / carrier table the rate selection needs.
//
// V.34 §10.1.2.3 (facts in /work/shared/spec/v34-phase2.md): a frame is fill
// 1111, sync 01110010, fields (multi-bit fields least-significant bit first),
// a 16-bit CRC over the field bits (sent least-significant bit first), fill
// 1111. INFO frames travel as 600 bit/s DPSK; the DPSK modem lives in dsp/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace squeal {

// ---------------------------------------------------------------------------
// Symbol rates and carriers (v34-phase2.md, "Symbol rates, carriers and data rates")

/// Symbol-rate codes as INFO1a carries them: 0 = 2400, 1 = 2743, 2 = 2800,
/// 3 = 3000, 4 = 3200, 5 = 3429 baud. INFO1c's per-rate blocks use the same order.
inline constexpr int kSymbolRateCount = 6;

/// Nominal symbol rate of a code, as the tables name it (2400, 2743, 2800,
/// 3000, 3200, 3429). Throws std::invalid_argument for a code outside 0..5.
int symbol_rate_baud(int code);
/// Exact symbol rate 2400·a/c (e.g. 2742.857 for code 1). Throws like symbol_rate_baud.
double symbol_rate_exact_baud(int code);
/// Carrier for a symbol rate and carrier choice, exact (S·d/e; e.g. 1645.714 Hz
/// for 2743 low); rounds to the spec table's hertz. Throws for a bad code.
double carrier_freq_hz(int code, bool high_carrier);
/// Highest data rate at a symbol rate (21600 ... 33600 bit/s). Throws for a bad code.
int max_data_rate_bps(int code);
/// Code of a nominal symbol rate (2400 -> 0 ... 3429 -> 5); nullopt if none.
std::optional<int> symbol_rate_code(int baud) noexcept;

// ---------------------------------------------------------------------------
// Frames

enum class InfoKind : std::uint8_t { info0, info1c, info1a };
std::string_view info_kind_name(InfoKind k) noexcept;  // "INFO0", "INFO1c", "INFO1a"

/// Whole frame lengths in bits, fill to fill. v34-phase2.md.
inline constexpr int kInfo0Bits = 49;
inline constexpr int kInfo1cBits = 109;
inline constexpr int kInfo1aBits = 70;
inline constexpr int kInfoMaxBits = kInfo1cBits;
/// Fill (4) + sync (8) before the fields; CRC (16) and fill (4) after them.
inline constexpr int kInfoHeadBits = 12;
inline constexpr int kInfoCrcBits = 16;
inline constexpr int kInfoFillBits = 4;
/// fill 1111 + sync 01110010 in first-bit-first order.
inline constexpr std::array<std::uint8_t, kInfoHeadBits> kInfoHead{1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 1, 0};

int info_frame_bits(InfoKind k) noexcept;  // 49, 109, 70
int info_field_bits(InfoKind k) noexcept;  // 17, 77, 38 (between sync and CRC)

/// CRC of INFO field bits (one bit, 0 or 1, per element, first sent first):
/// x^16 + x^12 + x^5 + 1 in reflected form 0x8408, preset 0xFFFF, no final
/// inversion (V.34 §10.1.2.3). Run over fields + the CRC as sent it gives 0.
std::uint16_t info_crc(std::span<const std::uint8_t> bits) noexcept;

/// Frequency offset code meaning "not measured" (10-bit two's complement -512).
inline constexpr std::int16_t kInfoFreqOffsetNotMeasured = -512;
/// Offset in hertz (code · 0.02 Hz), nullopt for "not measured".
std::optional<double> info_freq_offset_hz(std::int16_t code_0p02hz) noexcept;
/// Nearest code for an offset in hertz, clamped to -511..511 (±10.22 Hz).
std::int16_t info_freq_offset_code(double offset_hz) noexcept;

/// INFO0 (INFO0a from the answer modem, INFO0c from the call modem). V.34 §10.1.2.3.1.
struct Info0 {
  bool supports_2743_baud = false;               // bit 12
  bool supports_2800_baud = false;               // bit 13
  bool supports_3429_baud = false;               // bit 14
  bool supports_3000_baud_low_carrier = true;    // bit 15
  bool supports_3000_baud_high_carrier = true;   // bit 16
  bool supports_3200_baud_low_carrier = true;    // bit 17
  bool supports_3200_baud_high_carrier = true;   // bit 18
  bool allows_3429_baud = false;                 // bit 19: 3429 baud allowed on this call
  bool can_reduce_power = false;                 // bit 20: can reduce transmit power
  std::uint8_t max_symbol_rate_difference = 0;   // bits 21-23, 0..7 as sent
  bool cme = false;                              // bit 24: CME modem
  bool constellation_1664 = false;               // bit 25: 1664-point constellation (> 28800 bit/s)
  std::uint8_t tx_clock_source = 0;              // bits 26-27, 0..3 as sent
  bool acknowledge = false;                      // bit 28: far end's INFO0 received correctly
  friend bool operator==(const Info0&, const Info0&) = default;
};

/// INFO1c's per-symbol-rate block (9 bits). V.34 §10.1.2.3.2.
struct Info1cRate {
  bool high_carrier = false;             // 1 bit
  std::uint8_t pre_emphasis_index = 0;   // 4 bits, 0..10
  std::uint8_t max_rate_2400bps = 0;     // 4 bits, data rate / 2400 bit/s, 0 = unusable, 0..14
  friend bool operator==(const Info1cRate&, const Info1cRate&) = default;
};

/// INFO1c (call modem -> answer modem, after probing). V.34 §10.1.2.3.2.
/// Power reductions: V.34 gives them in dB; v34-phase2.md gives only the width.
struct Info1c {
  std::uint8_t min_power_reduction_db = 0;         // bits 12-14, 0..7
  std::uint8_t additional_power_reduction_db = 0;  // bits 15-17, 0..7
  std::uint8_t md_length_35ms = 0;                 // bits 18-24, 0..127 (MD length / 35 ms)
  std::array<Info1cRate, kSymbolRateCount> rates{};  // bits 25-78, 2400 ... 3429 baud
  std::int16_t freq_offset_0p02hz = kInfoFreqOffsetNotMeasured;  // bits 79-88, -512..511
  friend bool operator==(const Info1c&, const Info1c&) = default;
};

/// INFO1a (answer modem -> call modem, after probing). V.34 §10.1.2.3.3.
struct Info1a {
  std::uint8_t min_power_reduction_db = 0;         // bits 12-14, 0..7
  std::uint8_t additional_power_reduction_db = 0;  // bits 15-17, 0..7
  std::uint8_t md_length_35ms = 0;                 // bits 18-24, 0..127
  bool call_to_answer_high_carrier = false;        // bit 25
  std::uint8_t call_to_answer_pre_emphasis_index = 0;  // bits 26-29, 0..10
  std::uint8_t call_to_answer_max_rate_2400bps = 0;    // bits 30-33, 0..14
  std::uint8_t answer_to_call_symbol_rate_code = 4;    // bits 34-36, 0..5 (4 = 3200)
  std::uint8_t call_to_answer_symbol_rate_code = 4;    // bits 37-39, 0..5
  std::int16_t freq_offset_0p02hz = kInfoFreqOffsetNotMeasured;  // bits 40-49, -512..511
  friend bool operator==(const Info1a&, const Info1a&) = default;
};

/// First out-of-range field as "name=value" (e.g. "md_length_35ms=200");
/// empty if every field fits.
std::string invalid_field(const Info0& info);
std::string invalid_field(const Info1c& info);
std::string invalid_field(const Info1a& info);

/// Bits of one frame, fixed capacity (what a real-time transmitter uses).
struct InfoBits {
  std::array<std::uint8_t, kInfoMaxBits> data{};  // one bit per element, first sent first
  std::size_t size = 0;                           // bits held; 0 = a field was out of range
  [[nodiscard]] std::span<const std::uint8_t> view() const noexcept { return {data.data(), size}; }
};

/// Struct -> whole frame as transmitted. Throws std::invalid_argument naming
/// the first out-of-range field (e.g. "INFO1a: answer_to_call_symbol_rate_code=7").
std::vector<std::uint8_t> encode_info0(const Info0& info);
std::vector<std::uint8_t> encode_info1c(const Info1c& info);
std::vector<std::uint8_t> encode_info1a(const Info1a& info);
/// The same without allocating or throwing: size 0 if a field is out of range.
InfoBits encode_info0_fixed(const Info0& info) noexcept;
InfoBits encode_info1c_fixed(const Info1c& info) noexcept;
InfoBits encode_info1a_fixed(const Info1a& info) noexcept;

/// Why a frame could not be read.
enum class InfoStatus : std::uint8_t {
  ok,
  wrong_length,   // not the frame length of this kind
  bad_sync,       // leading fill or sync not 1111 01110010
  crc_error,      // CRC over fields + CRC is not 0: damaged, ignore it
  invalid_value,  // CRC good, but a field holds a value the spec does not define
};
std::string_view info_status_name(InfoStatus s) noexcept;  // "ok", "crc_error", ...

/// A decoded frame: `info` is set only when status is ok, so a damaged frame
/// can never be acted on.
template <typename T>
struct InfoDecoded {
  InfoStatus status = InfoStatus::wrong_length;
  std::optional<T> info;  // engaged iff status == ok
  std::uint16_t crc = 0;  // CRC as received (bits after the fields), if long enough
  [[nodiscard]] bool ok() const noexcept { return status == InfoStatus::ok; }
};

/// Whole frame (fill to fill, as encode_* gives and InfoFrame holds) -> fields.
/// The closing fill is not checked (it carries nothing). Never throws or allocates.
InfoDecoded<Info0> decode_info0(std::span<const std::uint8_t> bits) noexcept;
InfoDecoded<Info1c> decode_info1c(std::span<const std::uint8_t> bits) noexcept;
InfoDecoded<Info1a> decode_info1a(std::span<const std::uint8_t> bits) noexcept;

/// In words. INFO0: "INFO0a: symbol rates 2400, 2743, 2800, 3000 (low/high),
/// 3200 (low/high), 3429; can reduce power; 1664-point constellation; ack".
std::string describe(const Info0& info, bool from_answerer);
/// "INFO1c: 2400: 21600 bit/s, low carrier, pre-emphasis 0; 2743: unusable;
/// ...; offset +0.34 Hz" (power reduction and MD only when not 0).
std::string describe(const Info1c& info);
/// "INFO1a: symbol rate 3200 both ways, call->answer 26400 bit/s, high carrier,
/// pre-emphasis 2, offset +0.34 Hz".
std::string describe(const Info1a& info);

// ---------------------------------------------------------------------------
// Streaming receiver

/// A set of frame kinds.
struct InfoKinds {
  std::uint8_t mask = 0;  // bit k = InfoKind(k)
  constexpr InfoKinds() = default;
  constexpr InfoKinds(InfoKind k) : mask(static_cast<std::uint8_t>(1u << static_cast<int>(k))) {}  // NOLINT
  [[nodiscard]] constexpr bool has(InfoKind k) const { return (mask >> static_cast<int>(k)) & 1u; }
  friend constexpr InfoKinds operator|(InfoKinds a, InfoKinds b) {
    InfoKinds r;
    r.mask = static_cast<std::uint8_t>(a.mask | b.mask);
    return r;
  }
};

/// One frame found in the bit stream. Flat and fixed-size: never allocates.
struct InfoFrame {
  InfoKind kind = InfoKind::info0;
  bool crc_ok = false;       // CRC over fields + CRC is 0 (false: damaged, do not act on it)
  bool truncated = false;    // flush() came before the frame was complete (crc_ok false)
  bool end_fill_ok = false;  // the closing fill was 1111
  std::uint8_t size = 0;     // bits held
  std::array<std::uint8_t, kInfoMaxBits> bits{};  // the frame, fill to fill
  std::int64_t start_bit = 0;    // bit index of the first fill bit
  std::int64_t end_bit = 0;      // bit index of the last bit held
  std::int64_t start_stamp = 0;  // caller's stamp of start_bit (e.g. sample index)
  std::int64_t end_stamp = 0;    // caller's stamp of end_bit

  [[nodiscard]] std::span<const std::uint8_t> view() const noexcept { return {bits.data(), size}; }
};

/// Decoding a received frame: a kind mismatch reads as wrong_length.
InfoDecoded<Info0> decode_info0(const InfoFrame& f) noexcept;
InfoDecoded<Info1c> decode_info1c(const InfoFrame& f) noexcept;
InfoDecoded<Info1a> decode_info1a(const InfoFrame& f) noexcept;

/// Finds INFO frames in demodulated DPSK bits. Fixed buffers, no allocation,
/// nothing throws on the push path.
///
/// Every fill + sync (1111 01110010) opens a candidate frame; it is read at
/// the length of each expected kind, shortest first, and emitted as the first
/// kind whose CRC checks, or, failing all, as the longest expected kind with
/// crc_ok false. Candidates overlap (a damaged frame may hide the start of
/// the next); those opening inside a frame whose CRC checked are dropped as
/// false syncs. The bits alone cannot tell the kinds apart, so the session
/// says what it expects next (set_expected); with nothing expected it hunts
/// nothing.
class InfoReceiver {
 public:
  static constexpr std::size_t kQueueCapacity = 8;       // frames held for pop()
  static constexpr std::size_t kMaxCandidates = 16;      // syncs are >= 12 bits apart: <= 10 open
  static constexpr std::size_t kHistoryBits = 128;       // >= kInfoMaxBits, power of two

  InfoReceiver() = default;
  explicit InfoReceiver(InfoKinds expected) : expected_(expected) {}

  /// Kinds to look for from now on (applies to frames already open too).
  void set_expected(InfoKinds kinds) noexcept { expected_ = kinds; }
  [[nodiscard]] InfoKinds expected() const noexcept { return expected_; }

  /// One demodulated bit; `stamp` is reported back in frames (e.g. the sample
  /// index of the bit). The overload without stamp uses the bit index.
  void push(bool bit, std::int64_t stamp) noexcept;
  void push(bool bit) noexcept { push(bit, bit_index_); }
  /// Several bits with a stamp each (sizes must match; extra stamps ignored,
  /// missing ones take the bit index).
  void push(std::span<const std::uint8_t> bits, std::span<const std::int64_t> stamps) noexcept;

  /// End of input / carrier lost: open candidates come out truncated. Then hunts afresh.
  void flush() noexcept;

  /// Takes the oldest finished frame; false if none.
  bool pop(InfoFrame& out) noexcept;

  [[nodiscard]] std::size_t pending() const noexcept { return queue_size_; }
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
  [[nodiscard]] std::int64_t bit_index() const noexcept { return bit_index_; }

  /// Back to hunting, queue emptied; the expected kinds are kept.
  void reset() noexcept;

 private:
  void emit(std::int64_t start_bit, std::int64_t end_bit, InfoKind kind, bool crc_ok, bool truncated) noexcept;
  void remove_candidate(std::size_t i) noexcept;
  [[nodiscard]] bool crc_checks(std::int64_t start_bit, InfoKind kind) const noexcept;

  InfoKinds expected_{};                           // kinds the session expects next
  std::int64_t bit_index_ = 0;                     // index of the next bit pushed
  std::uint16_t window_ = 0;                       // last 12 bits, newest in bit 0
  int history_bits_ = 0;                           // bits seen since reset/flush (capped at 12)
  std::array<std::uint8_t, kHistoryBits> history_{};  // bit i at [i % kHistoryBits]
  std::array<std::int64_t, kHistoryBits> stamps_{};   // stamp of bit i at [i % kHistoryBits]
  std::array<std::int64_t, kMaxCandidates> candidates_{};  // start bits of open frames, oldest first
  std::size_t candidate_count_ = 0;                // open frames
  std::array<InfoFrame, kQueueCapacity> queue_{};  // finished frames (ring)
  std::size_t queue_head_ = 0;                     // index of the oldest finished frame
  std::size_t queue_size_ = 0;                     // finished frames held
  std::uint64_t dropped_ = 0;                      // frames or candidates lost to full buffers
};

}  // namespace squeal
