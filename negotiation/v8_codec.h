// V.8 messages (CI, CM, JM, CJ): category octets <-> a menu of capabilities,
// the menu in words, joint menu and preferred modulation.
//
// V.8 §7 (as implemented by spandsp, linmodem and others): after the sync
// octet come category octets; the low five bits are a tag, the value rides in
// bits 5..7. Octets with (b & 0x38) == 0x10 are extension octets that continue
// the previous category. Framing into bits lives in negotiation/v8_bits.h.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "negotiation/v8_bits.h"

namespace squeal {

/// Category tags (low five bits of a category octet). V.8 Table 2.
inline constexpr std::uint8_t kV8TagCallFunction = 0x01;
inline constexpr std::uint8_t kV8TagModulation = 0x05;
inline constexpr std::uint8_t kV8TagPcm = 0x07;
inline constexpr std::uint8_t kV8TagProtocols = 0x0A;
inline constexpr std::uint8_t kV8TagPstnAccess = 0x0D;
inline constexpr std::uint8_t kV8TagT66 = 0x0E;
inline constexpr std::uint8_t kV8TagNsf = 0x0F;

/// True for an extension octet (continues the previous category).
constexpr bool is_v8_extension_octet(std::uint8_t b) { return (b & 0x38) == 0x10; }

/// Call function (value bits 5..7 of the tag-0x01 octet). Value 0 is reserved.
enum class V8CallFunction : std::uint8_t {
  reserved = 0,
  h324 = 1,
  v18_text = 2,
  t101 = 3,
  t30_transmit = 4,
  t30_receive = 5,
  v_series_data = 6,  // octet 0xC1
  extension = 7,
};

/// Modulation modes, declared best first (the order of describe() and
/// preferred_modulation()): duplex modes by speed, then half-duplex ones.
enum class V8Modulation : std::uint8_t {
  v90,      // V.90/V.92 PCM            modn0 0x20
  v34,      // V.34 duplex              modn0 0x40
  v32bis,   // V.32/V.32bis             modn1 0x01
  v22bis,   // V.22/V.22bis             modn1 0x02
  v26ter,   // V.26ter                  modn2 0x01
  v23,      // V.23 duplex              modn2 0x04
  v21,      // V.21                     modn2 0x80
  v34_hd,   // V.34 half-duplex         modn0 0x80
  v17,      // V.17                     modn1 0x04
  v29_hd,   // V.29 half-duplex         modn1 0x40
  v27ter,   // V.27ter                  modn1 0x80
  v26bis,   // V.26bis                  modn2 0x02
  v23_hd,   // V.23 half-duplex         modn2 0x40
};
inline constexpr int kV8ModulationCount = 13;

std::string_view modulation_name(V8Modulation m) noexcept;   // "V.34 duplex"
std::string_view modulation_token(V8Modulation m) noexcept;  // "v34" (parse_menu spelling)

/// A set of modulation modes.
class V8Modulations {
 public:
  constexpr V8Modulations() = default;
  constexpr V8Modulations(std::initializer_list<V8Modulation> ms) {
    for (V8Modulation m : ms) set(m);
  }
  [[nodiscard]] constexpr bool has(V8Modulation m) const { return (bits_ >> static_cast<int>(m)) & 1u; }
  constexpr void set(V8Modulation m, bool on = true) {
    const auto bit = static_cast<std::uint16_t>(1u << static_cast<int>(m));
    bits_ = static_cast<std::uint16_t>(on ? (bits_ | bit) : (bits_ & ~bit));
  }
  [[nodiscard]] constexpr bool empty() const { return bits_ == 0; }
  [[nodiscard]] constexpr std::uint16_t bits() const { return bits_; }
  friend constexpr V8Modulations operator&(V8Modulations a, V8Modulations b) {
    V8Modulations r;
    r.bits_ = static_cast<std::uint16_t>(a.bits_ & b.bits_);
    return r;
  }
  friend constexpr bool operator==(V8Modulations, V8Modulations) = default;

 private:
  std::uint16_t bits_ = 0;  // bit i = V8Modulation(i)
};

/// Protocol value (bits 5..7 of the tag-0x0A octet); 0 = none, others reserved.
inline constexpr std::uint8_t kV8ProtocolNone = 0;
inline constexpr std::uint8_t kV8ProtocolLapm = 1;  // V.42 LAPM, octet 0x2A

/// PSTN access category (tag 0x0D), value bits.
struct V8PstnAccess {
  bool calling_dce_cellular = false;    // 0x20
  bool answering_dce_cellular = false;  // 0x40
  bool dce_on_digital_network = false;  // 0x80
  friend bool operator==(const V8PstnAccess&, const V8PstnAccess&) = default;
};

/// PCM modem availability category (tag 0x07), value bits.
struct V8PcmAvailability {
  bool v90_analogue = false;  // 0x20: V.90/V.92 analogue modem available
  bool v90_digital = false;   // 0x40: V.90/V.92 digital modem available
  bool v91 = false;           // 0x80: V.91 available
  friend bool operator==(const V8PcmAvailability&, const V8PcmAvailability&) = default;
};

/// Where one received category sits, for faithful re-encoding: its tag and the
/// octets this codec does not interpret (for unknown, repeated, NSF and T.66
/// categories: the whole category; for known ones: surplus extension octets).
struct V8CategorySlot {
  std::uint8_t tag = 0;         // low five bits of the category octet
  bool interpreted = false;     // true: the menu's fields hold it
  std::uint8_t raw_offset = 0;  // first octet in V8Menu::raw
  std::uint8_t raw_size = 0;    // octets in V8Menu::raw
  friend bool operator==(const V8CategorySlot&, const V8CategorySlot&) = default;
};

/// The capabilities carried by CM or JM (CI carries the call function only).
/// Fixed-size: copying never allocates. A menu built by hand has an empty
/// layout and encodes in the canonical order (call function, modulations,
/// protocols, PSTN access, PCM), like spandsp and recording A.
struct V8Menu {
  static constexpr std::size_t kMaxCategories = 16;
  static constexpr std::size_t kMaxRaw = kV8MaxFrameOctets;

  bool has_call_function = true;
  V8CallFunction call_function = V8CallFunction::v_series_data;  // V.8 §7.2
  bool has_modulations = true;
  V8Modulations modulations;         // V.8 §7.3
  std::uint8_t modulation_octets = 3;  // modn0 + extensions sent (1..3); spandsp sends 3
  bool has_protocols = false;
  std::uint8_t protocol = kV8ProtocolNone;  // V.8 §7.4: 1 = LAPM
  bool has_pstn_access = false;
  V8PstnAccess pstn_access;
  bool has_pcm = false;
  V8PcmAvailability pcm;

  std::array<V8CategorySlot, kMaxCategories> layout{};  // categories in arrival order
  std::uint8_t layout_size = 0;                         // 0: canonical order
  std::array<std::uint8_t, kMaxRaw> raw{};              // uninterpreted octets (see slots)
  std::uint8_t raw_size = 0;                            // octets used in raw

  /// Raw octets of the first category with this tag that the fields do not
  /// hold (NSF 0x0F, T.66 0x0E, unknown tags), including its category octet;
  /// empty if absent.
  [[nodiscard]] std::span<const std::uint8_t> raw_category(std::uint8_t tag) const noexcept;
  [[nodiscard]] bool has_nsf() const noexcept { return !raw_category(kV8TagNsf).empty(); }
  [[nodiscard]] bool has_t66() const noexcept { return !raw_category(kV8TagT66).empty(); }
  [[nodiscard]] bool has_lapm() const noexcept { return has_protocols && protocol == kV8ProtocolLapm; }

  /// Field-by-field, layout included: a parsed menu and a hand-built one with
  /// the same meaning differ. To ask "same message?" compare the octets.
  friend bool operator==(const V8Menu&, const V8Menu&) = default;
};

/// Why a run of category octets could not be read as a menu.
enum class V8ParseStatus : std::uint8_t {
  ok,
  empty,             // no octets after the sync
  orphan_extension,  // the first octet is an extension octet
  no_call_function,  // the first category is not the call function (V.8 §7.1)
  too_long,          // more categories or raw octets than V8Menu holds
};
std::string_view parse_status_name(V8ParseStatus s) noexcept;

/// Category octets (after sync) -> menu. Never throws or allocates.
V8ParseStatus parse_menu_octets(std::span<const std::uint8_t> octets, V8Menu& out) noexcept;

/// Octets of one message, fixed capacity: encoding on the real-time path
/// never allocates. Octets past the capacity are dropped and flagged.
struct V8Octets {
  std::array<std::uint8_t, kV8MaxFrameOctets> data{};  // the octets
  std::size_t size = 0;                                // octets held
  bool overflow = false;                               // some octets did not fit

  void push_back(std::uint8_t b) noexcept {
    if (size < data.size()) {
      data[size++] = b;
    } else {
      overflow = true;
    }
  }
  void append(std::span<const std::uint8_t> bs) noexcept {
    for (std::uint8_t b : bs) push_back(b);
  }
  [[nodiscard]] std::span<const std::uint8_t> view() const noexcept { return {data.data(), size}; }
};

/// Menu -> category octets (after sync), following the menu's layout.
std::vector<std::uint8_t> encode_menu_octets(const V8Menu& menu);
/// The same without allocating (what a transmitter on the real-time path uses).
V8Octets encode_menu_octets_fixed(const V8Menu& menu) noexcept;

/// The messages, by who sends them.
enum class V8MessageType : std::uint8_t { ci, cm, jm, cj, v92 };
std::string_view message_name(V8MessageType t) noexcept;  // "CI", "CM", "JM", "CJ", "V.92"

/// Octets after the sync of a message: CI = the call function octet only;
/// CM/JM = the whole menu; CJ = none (it has no sync); V.92 = one zero octet
/// (the value spandsp sends).
std::vector<std::uint8_t> encode_message_octets(V8MessageType type, const V8Menu& menu);

/// Bits of a message as transmitted (preamble, framed sync and octets; CJ:
/// three framed zero octets), one bit per element, first bit first.
std::vector<std::uint8_t> encode_message_bits(V8MessageType type, const V8Menu& menu);

/// A frame read as a message.
struct V8Message {
  V8MessageType type = V8MessageType::cm;
  V8FrameStatus frame_status = V8FrameStatus::ok;  // how the frame ended
  V8ParseStatus parse_status = V8ParseStatus::ok;  // how its octets read
  V8Menu menu;                                     // CI: call function only
  /// A whole frame that read cleanly: the only kind a controller may act on.
  [[nodiscard]] bool ok() const noexcept {
    return frame_status == V8FrameStatus::ok && parse_status == V8ParseStatus::ok;
  }
};

/// Reads a frame; `from_answerer` (V.21 channel 2) makes a CM/JM frame a JM.
V8Message decode_frame(const V8Frame& frame, bool from_answerer) noexcept;

/// Every frame in a finished bit stream (0/1 per element), flushed at the end.
std::vector<V8Frame> decode_bit_stream(std::span<const std::uint8_t> bits);

/// In words, e.g. "V-series data; V.90/V.92, V.34 duplex, V.32bis, V.22bis,
/// V.23 duplex, V.21; LAPM; PCM: V.90/V.92 analogue". Modulations best first;
/// categories with no bit set are left out; unknown ones shown as hex.
std::string describe(const V8Menu& menu);
std::string_view call_function_name(V8CallFunction f) noexcept;  // "V-series data"

/// "c1 65 13 94 2a": lower-case hex, space separated (JSON `fields.octets`).
std::string octets_hex(std::span<const std::uint8_t> octets);

/// JM for a CM: V.8 §7.3, modulations common to both; LAPM if both have it
/// (protocols category present when both sent one); call function from CM.
/// PSTN access and PCM availability describe the answering DCE itself, as in
/// recording A (CM PCM analogue 0x27, JM PCM digital 0x47). V.90 is dropped
/// when both sides state PCM availability and no analogue/digital pair exists.
V8Menu joint_menu(const V8Menu& caller_cm, const V8Menu& answerer_capabilities);

/// Best common mode of a JM (declaration order of V8Modulation), if any.
std::optional<V8Modulation> preferred_modulation(const V8Menu& jm) noexcept;

/// Menu from a user string "v90,v34,v32bis,v22bis,v21,lapm" (case-insensitive;
/// tokens are modulation_token() names plus aliases v92, v32, v22, and lapm,
/// pcm-analogue, pcm-digital, v91). Call function V-series data.
/// Throws std::invalid_argument naming a bad or empty token.
V8Menu parse_menu(std::string_view text);

}  // namespace squeal
