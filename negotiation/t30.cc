#include "negotiation/t30.h"

#include <fmt/format.h>

#include <array>

namespace squeal {

namespace {

struct FcfName {
  std::uint8_t fcf;       // as received (first bit in the LSB)
  bool x_bit_free;        // T.30 writes the first bit as X: match with it masked
  std::string_view name;
  std::string_view meaning;
};

// T.30 Table 1 (§5.3.6.1), bit strings read LSB first.
constexpr std::array<FcfName, 49> kFcf = {{
    {0x80, false, "DIS", "digital identification signal"},
    {0x40, false, "CSI", "called subscriber identification"},
    {0x20, false, "NSF", "non-standard facilities"},
    {0x81, false, "DTC", "digital transmit command"},
    {0x41, false, "CIG", "calling subscriber identification"},
    {0x21, false, "NSC", "non-standard facilities command"},
    {0xC1, false, "PWD", "password"},
    {0xA1, false, "SEP", "selective polling"},
    {0x61, false, "PSA", "polled subaddress"},
    {0xE1, false, "CIA", "calling subscriber internet address"},
    {0x11, false, "ISP", "internet selective polling address"},
    {0x82, true, "DCS", "digital command signal"},
    {0x42, true, "TSI", "transmitting subscriber identification"},
    {0x22, true, "NSS", "non-standard facilities set-up"},
    {0xC2, true, "SUB", "subaddress"},
    {0xA2, true, "SID", "sender identification"},
    {0x12, true, "CTC", "continue to correct"},
    {0x62, true, "TSA", "transmitting subscriber internet address"},
    {0xE2, true, "IRA", "internet routing address"},
    {0x84, true, "CFR", "confirmation to receive"},
    {0x44, true, "FTT", "failure to train"},
    {0xC4, true, "CTR", "response to continue to correct"},
    {0x24, true, "CSA", "called subscriber internet address"},
    {0x8E, true, "EOM", "end of message"},
    {0x4E, true, "MPS", "multipage signal"},
    {0x2E, true, "EOP", "end of procedure"},
    {0x9E, true, "PRI-EOM", "procedure interrupt, end of message"},
    {0x5E, true, "PRI-MPS", "procedure interrupt, multipage signal"},
    {0x3E, true, "PRI-EOP", "procedure interrupt, end of procedure"},
    {0x1E, true, "EOS", "end of selection"},
    {0xBE, true, "PPS", "partial page signal"},
    {0xCE, true, "EOR", "end of retransmission"},
    {0x6E, true, "RR", "receiver ready"},
    {0x8C, true, "MCF", "message confirmation"},
    {0xCC, true, "RTP", "retrain positive"},
    {0x4C, true, "RTN", "retrain negative"},
    {0xAC, true, "PIP", "procedure interrupt positive"},
    {0x2C, true, "PIN", "procedure interrupt negative"},
    {0xBC, true, "PPR", "partial page request"},
    {0xEC, true, "RNR", "receive not ready"},
    {0x1C, true, "ERR", "response for end of retransmission"},
    {0xFC, true, "FDM", "file diagnostics message"},
    {0xFA, true, "DCN", "disconnect"},
    {0x1A, true, "CRP", "command repeat"},
    {0xCA, true, "FNV", "field not valid"},
    {0xEA, true, "TNR", "transmitter not ready"},
    {0x6A, true, "TR", "transmitter ready"},
    {0x6C, true, "PID", "procedure interrupt disconnect"},
    {0x9A, true, "DNK", "digital not acknowledge"},
}};

const FcfName* find(std::uint8_t fcf) {
  for (const FcfName& f : kFcf) {
    if (f.fcf == fcf || (f.x_bit_free && f.fcf == (fcf & 0xFE))) return &f;
  }
  return nullptr;
}

// FIF bit n (T.30 numbering from 1, bit 1 = first received = LSB of octet 0).
bool fif_bit(std::span<const std::uint8_t> fif, int n) {
  const std::size_t octet = static_cast<std::size_t>(n - 1) / 8;
  return octet < fif.size() && (fif[octet] & (1U << ((n - 1) % 8))) != 0;
}

}  // namespace

bool looks_like_t30(std::span<const std::uint8_t> frame) noexcept {
  return frame.size() >= 3 && frame[0] == 0xFF && (frame[1] == 0x03 || frame[1] == 0x13);
}

std::string_view t30_fcf_name(std::uint8_t fcf) noexcept {
  const FcfName* f = find(fcf);
  return f != nullptr ? f->name : std::string_view{};
}

std::string_view t30_fcf_meaning(std::uint8_t fcf) noexcept {
  const FcfName* f = find(fcf);
  return f != nullptr ? f->meaning : std::string_view{};
}

std::string t30_station_id(std::span<const std::uint8_t> fif) {
  std::string id;
  for (auto it = fif.rbegin(); it != fif.rend(); ++it) {
    const char c = static_cast<char>(*it);
    id += (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  const auto first = id.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return id.substr(first, id.find_last_not_of(' ') - first + 1);
}

std::string t30_dis_words(std::span<const std::uint8_t> fif, bool command) {
  // Bits 11, 12, 13, 14 as a 4-character string in that order (T.30 Table 2).
  std::string code;
  for (int n = 11; n <= 14; ++n) code += fif_bit(fif, n) ? '1' : '0';
  std::string rate;
  if (command) {
    if (code == "0000") rate = "2400 bit/s V.27 ter";
    else if (code == "0100") rate = "4800 bit/s V.27 ter";
    else if (code == "1000") rate = "9600 bit/s V.29";
    else if (code == "1100") rate = "7200 bit/s V.29";
    else if (code == "0001") rate = "14400 bit/s V.17";
    else if (code == "0101") rate = "12000 bit/s V.17";
    else if (code == "1001") rate = "9600 bit/s V.17";
    else if (code == "1101") rate = "7200 bit/s V.17";
    else rate = "rate code " + code + " (reserved)";
  } else {
    if (code == "0000") rate = "V.27 ter fall-back (2400 bit/s)";
    else if (code == "0100") rate = "V.27 ter";
    else if (code == "1000") rate = "V.29";
    else if (code == "1100") rate = "V.27 ter and V.29";
    else if (code == "1101") rate = "V.27 ter, V.29 and V.17";
    else rate = "rate code " + code + " (reserved)";
  }
  std::string out = rate + (fif_bit(fif, 15) ? "; 200x200 / 7.7 lines/mm (fine)" : "; 3.85 lines/mm (standard)");
  if (!command && fif_bit(fif, 10)) out += "; can receive";
  if (fif_bit(fif, 16)) out += command ? "; 2-D coding" : "; 2-D coding capable";
  return out;
}

std::string t30_describe(std::span<const std::uint8_t> frame) {
  if (!looks_like_t30(frame)) return "not a T.30 frame";
  const std::uint8_t fcf = frame[2];
  const auto fif = frame.subspan(3);
  const std::string_view name = t30_fcf_name(fcf);
  std::string out = name.empty() ? fmt::format("FCF {:02x} (unknown)", fcf)
                                 : fmt::format("{} ({})", name, t30_fcf_meaning(fcf));
  if (frame[1] == 0x13) out += ", final frame";
  if (name == "CSI" || name == "TSI" || name == "CIG") out += fmt::format(": \"{}\"", t30_station_id(fif));
  if (name == "DIS" || name == "DTC") out += ": " + t30_dis_words(fif, false);
  if (name == "DCS") out += ": " + t30_dis_words(fif, true);
  return out;
}

}  // namespace squeal
