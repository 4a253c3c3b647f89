// T.30 control frames (ITU-T T.30 §5.3.6): the HDLC frames a fax sends at
// 300 bit/s V.21 channel 2 (and channel 1 by the caller): address 0xFF,
// control 0x03 (0x13 on the last frame of a sequence: the final-frame bit),
// facsimile control field (FCF), optional information field (FIF).
//
// Octets are as received (first bit = LSB), so the FCF values are the bit
// strings of T.30 Table 1 read backwards (DIS "0000 0001" = 0x80). The X bit
// (first bit, 0x01 here) says which station sends a command after DIS/DTC;
// names below ignore it where T.30 marks it X.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace squeal {

/// Address 0xFF and control 0x03/0x13, at least an FCF.
bool looks_like_t30(std::span<const std::uint8_t> frame) noexcept;

/// "DIS", "CSI", "DCS", ... for an FCF octet as received; "" if unknown.
std::string_view t30_fcf_name(std::uint8_t fcf) noexcept;

/// Long name, e.g. "digital identification signal"; "" if unknown.
std::string_view t30_fcf_meaning(std::uint8_t fcf) noexcept;

/// Station identity of a CSI/TSI/CIG FIF: 20 characters sent last first
/// (T.30 §5.3.6.2.4), returned in reading order with spaces trimmed.
std::string t30_station_id(std::span<const std::uint8_t> fif);

/// DIS/DTC/DCS FIF bits 11-14 and 15 in words, e.g. "V.27 ter, V.29 and V.17;
/// 200x200 (fine)". `command` = DCS (a single rate) rather than DIS/DTC.
std::string t30_dis_words(std::span<const std::uint8_t> fif, bool command);

/// A whole frame (address, control, FCF, FIF) in words, e.g.
/// "CSI (called subscriber identification), final: \"+1 555 0100\"".
std::string t30_describe(std::span<const std::uint8_t> frame);

}  // namespace squeal
