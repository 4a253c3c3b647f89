#include "negotiation/info_codec.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace squeal {

namespace {

// v34-phase2.md, "Symbol rates, carriers and data rates": S = 2400·a/c,
// carrier = S·d/e. The spec lists a/c and the carriers rounded to the hertz;
// d/e below are the ratios those rounded carriers come from (each reproduces
// the table to the hertz; tests check it).
struct SymbolRateRow {
  int baud;          // nominal name
  int a, c;          // S = 2400·a/c
  int d_low, e_low;  // low carrier = S·d/e
  int d_high, e_high;
  int max_rate_bps;  // highest data rate at this symbol rate
};
constexpr std::array<SymbolRateRow, kSymbolRateCount> kRates{{
    {2400, 1, 1, 2, 3, 3, 4, 21600},
    {2743, 8, 7, 3, 5, 2, 3, 26400},
    {2800, 7, 6, 3, 5, 2, 3, 26400},
    {3000, 5, 4, 3, 5, 2, 3, 28800},
    {3200, 4, 3, 4, 7, 3, 5, 31200},
    {3429, 10, 7, 4, 7, 4, 7, 33600},
}};

const SymbolRateRow& row(int code) {
  if (code < 0 || code >= kSymbolRateCount) {
    throw std::invalid_argument("symbol rate code " + std::to_string(code) + " (valid 0..5)");
  }
  return kRates[static_cast<std::size_t>(code)];
}

constexpr std::uint16_t kHeadWindow = 0xF72;  // 1111 0111 0010, first bit in bit 11
constexpr std::uint8_t kMaxPreEmphasis = 10;  // v34-phase2.md: index 0-10
constexpr std::uint8_t kMaxRate2400 = 14;     // 33600 bit/s, the table's highest

// Writes fields LSB first into a fixed frame.
struct BitWriter {
  InfoBits& out;
  void put(unsigned value, int nbits) noexcept {
    for (int i = 0; i < nbits; ++i) out.data[out.size++] = static_cast<std::uint8_t>((value >> i) & 1u);
  }
};

// Reads fields LSB first.
struct BitReader {
  std::span<const std::uint8_t> bits;
  std::size_t pos = kInfoHeadBits;
  unsigned get(int nbits) noexcept {
    unsigned v = 0;
    for (int i = 0; i < nbits; ++i) v |= static_cast<unsigned>(bits[pos++] & 1u) << i;
    return v;
  }
  std::int16_t get_signed10() noexcept {
    const auto v = static_cast<int>(get(10));
    return static_cast<std::int16_t>(v >= 512 ? v - 1024 : v);
  }
};

// First out-of-range field: name (nullptr if none), rate block index or -1, value.
struct BadField {
  const char* name = nullptr;
  int rate_index = -1;
  int value = 0;
};

BadField check(const Info0& i) noexcept {
  if (i.max_symbol_rate_difference > 7) return {"max_symbol_rate_difference", -1, i.max_symbol_rate_difference};
  if (i.tx_clock_source > 3) return {"tx_clock_source", -1, i.tx_clock_source};
  return {};
}

template <typename T>
BadField check_common(const T& i) noexcept {
  if (i.min_power_reduction_db > 7) return {"min_power_reduction_db", -1, i.min_power_reduction_db};
  if (i.additional_power_reduction_db > 7) {
    return {"additional_power_reduction_db", -1, i.additional_power_reduction_db};
  }
  if (i.md_length_35ms > 127) return {"md_length_35ms", -1, i.md_length_35ms};
  if (i.freq_offset_0p02hz < -512 || i.freq_offset_0p02hz > 511) {
    return {"freq_offset_0p02hz", -1, i.freq_offset_0p02hz};
  }
  return {};
}

BadField check(const Info1c& i) noexcept {
  if (BadField b = check_common(i); b.name) return b;
  for (int k = 0; k < kSymbolRateCount; ++k) {
    const Info1cRate& r = i.rates[static_cast<std::size_t>(k)];
    if (r.pre_emphasis_index > kMaxPreEmphasis) return {"pre_emphasis_index", k, r.pre_emphasis_index};
    if (r.max_rate_2400bps > kMaxRate2400) return {"max_rate_2400bps", k, r.max_rate_2400bps};
  }
  return {};
}

BadField check(const Info1a& i) noexcept {
  if (BadField b = check_common(i); b.name) return b;
  if (i.call_to_answer_pre_emphasis_index > kMaxPreEmphasis) {
    return {"call_to_answer_pre_emphasis_index", -1, i.call_to_answer_pre_emphasis_index};
  }
  if (i.call_to_answer_max_rate_2400bps > kMaxRate2400) {
    return {"call_to_answer_max_rate_2400bps", -1, i.call_to_answer_max_rate_2400bps};
  }
  if (i.answer_to_call_symbol_rate_code >= kSymbolRateCount) {
    return {"answer_to_call_symbol_rate_code", -1, i.answer_to_call_symbol_rate_code};
  }
  if (i.call_to_answer_symbol_rate_code >= kSymbolRateCount) {
    return {"call_to_answer_symbol_rate_code", -1, i.call_to_answer_symbol_rate_code};
  }
  return {};
}

std::string format_bad(const BadField& b) {
  if (!b.name) return {};
  std::string s;
  if (b.rate_index >= 0) {
    s = "rates[" + std::to_string(b.rate_index) + "](" +
        std::to_string(kRates[static_cast<std::size_t>(b.rate_index)].baud) + " baud).";
  }
  return s + b.name + "=" + std::to_string(b.value);
}

// Head, then fields via `put_fields`, CRC over the fields LSB first, fill.
template <typename F>
InfoBits frame(F&& put_fields) noexcept {
  InfoBits out;
  for (std::uint8_t b : kInfoHead) out.data[out.size++] = b;
  BitWriter w{out};
  put_fields(w);
  const std::uint16_t crc = info_crc({out.data.data() + kInfoHeadBits, out.size - kInfoHeadBits});
  w.put(crc, kInfoCrcBits);
  w.put(0xF, kInfoFillBits);
  return out;
}

void put_common(BitWriter& w, std::uint8_t min_db, std::uint8_t add_db, std::uint8_t md) noexcept {
  w.put(min_db, 3);
  w.put(add_db, 3);
  w.put(md, 7);
}

std::vector<std::uint8_t> to_vector(const InfoBits& b) { return {b.data.begin(), b.data.begin() + b.size}; }

// Length, head and CRC of a whole frame; ok means the fields may be read.
InfoStatus frame_status(std::span<const std::uint8_t> bits, InfoKind kind, std::uint16_t& crc) noexcept {
  crc = 0;
  const auto n = static_cast<std::size_t>(info_frame_bits(kind));
  if (bits.size() != n) return InfoStatus::wrong_length;
  const auto crc_at = static_cast<std::size_t>(kInfoHeadBits + info_field_bits(kind));
  for (int i = 0; i < kInfoCrcBits; ++i) {
    crc = static_cast<std::uint16_t>(crc | ((bits[crc_at + static_cast<std::size_t>(i)] & 1u) << i));
  }
  for (std::size_t i = 0; i < kInfoHead.size(); ++i) {
    if ((bits[i] & 1u) != kInfoHead[i]) return InfoStatus::bad_sync;
  }
  if (info_crc(bits.subspan(kInfoHeadBits, crc_at + kInfoCrcBits - kInfoHeadBits)) != 0) return InfoStatus::crc_error;
  return InfoStatus::ok;
}

std::string offset_words(std::int16_t code) {
  const std::optional<double> hz = info_freq_offset_hz(code);
  if (!hz) return "offset not measured";
  char buf[32];
  std::snprintf(buf, sizeof buf, "offset %+.2f Hz", *hz);
  return buf;
}

std::string rate_name(int code) {
  if (code >= 0 && code < kSymbolRateCount) return std::to_string(kRates[static_cast<std::size_t>(code)].baud);
  return "code " + std::to_string(code);
}

std::string power_md_words(std::uint8_t min_db, std::uint8_t add_db, std::uint8_t md, const char* sep) {
  std::string s;
  if (min_db != 0 || add_db != 0) {
    s += sep;
    s += "power reduction " + std::to_string(min_db) + " dB (+" + std::to_string(add_db) + " dB allowed)";
  }
  if (md != 0) {
    s += sep;
    s += "MD " + std::to_string(35 * md) + " ms";
  }
  return s;
}

std::string rate_words(unsigned rate_2400bps) {
  return rate_2400bps == 0 ? std::string("unusable") : std::to_string(2400 * rate_2400bps) + " bit/s";
}

}  // namespace

// ---------------------------------------------------------------------------

int symbol_rate_baud(int code) { return row(code).baud; }
double symbol_rate_exact_baud(int code) {
  const SymbolRateRow& r = row(code);
  return 2400.0 * r.a / r.c;
}
double carrier_freq_hz(int code, bool high_carrier) {
  const SymbolRateRow& r = row(code);
  return high_carrier ? symbol_rate_exact_baud(code) * r.d_high / r.e_high
                      : symbol_rate_exact_baud(code) * r.d_low / r.e_low;
}
int max_data_rate_bps(int code) { return row(code).max_rate_bps; }
std::optional<int> symbol_rate_code(int baud) noexcept {
  for (int k = 0; k < kSymbolRateCount; ++k) {
    if (kRates[static_cast<std::size_t>(k)].baud == baud) return k;
  }
  return std::nullopt;
}

std::string_view info_kind_name(InfoKind k) noexcept {
  switch (k) {
    case InfoKind::info0: return "INFO0";
    case InfoKind::info1c: return "INFO1c";
    case InfoKind::info1a: return "INFO1a";
  }
  return "?";
}

int info_frame_bits(InfoKind k) noexcept {
  switch (k) {
    case InfoKind::info0: return kInfo0Bits;
    case InfoKind::info1c: return kInfo1cBits;
    case InfoKind::info1a: return kInfo1aBits;
  }
  return 0;
}

int info_field_bits(InfoKind k) noexcept {
  return info_frame_bits(k) - kInfoHeadBits - kInfoCrcBits - kInfoFillBits;
}

std::uint16_t info_crc(std::span<const std::uint8_t> bits) noexcept {
  std::uint16_t crc = 0xFFFF;  // V.34 §10.1.2.3: preset to all ones, no final inversion
  for (std::uint8_t b : bits) {
    const bool feedback = ((crc ^ b) & 1u) != 0;
    crc = static_cast<std::uint16_t>(crc >> 1);
    if (feedback) crc ^= 0x8408;  // x^16 + x^12 + x^5 + 1, reflected
  }
  return crc;
}

std::optional<double> info_freq_offset_hz(std::int16_t code_0p02hz) noexcept {
  if (code_0p02hz == kInfoFreqOffsetNotMeasured) return std::nullopt;
  return 0.02 * code_0p02hz;
}

std::int16_t info_freq_offset_code(double offset_hz) noexcept {
  if (std::isnan(offset_hz)) return kInfoFreqOffsetNotMeasured;
  const double steps = std::round(offset_hz / 0.02);
  if (steps < -511.0) return -511;
  if (steps > 511.0) return 511;
  return static_cast<std::int16_t>(steps);
}

std::string invalid_field(const Info0& info) { return format_bad(check(info)); }
std::string invalid_field(const Info1c& info) { return format_bad(check(info)); }
std::string invalid_field(const Info1a& info) { return format_bad(check(info)); }

// V.34 §10.1.2.3.1, bits 12-28.
InfoBits encode_info0_fixed(const Info0& i) noexcept {
  if (check(i).name) return {};
  return frame([&](BitWriter& w) {
    w.put(i.supports_2743_baud, 1);
    w.put(i.supports_2800_baud, 1);
    w.put(i.supports_3429_baud, 1);
    w.put(i.supports_3000_baud_low_carrier, 1);
    w.put(i.supports_3000_baud_high_carrier, 1);
    w.put(i.supports_3200_baud_low_carrier, 1);
    w.put(i.supports_3200_baud_high_carrier, 1);
    w.put(i.allows_3429_baud, 1);
    w.put(i.can_reduce_power, 1);
    w.put(i.max_symbol_rate_difference, 3);
    w.put(i.cme, 1);
    w.put(i.constellation_1664, 1);
    w.put(i.tx_clock_source, 2);
    w.put(i.acknowledge, 1);
  });
}

// V.34 §10.1.2.3.2, bits 12-88.
InfoBits encode_info1c_fixed(const Info1c& i) noexcept {
  if (check(i).name) return {};
  return frame([&](BitWriter& w) {
    put_common(w, i.min_power_reduction_db, i.additional_power_reduction_db, i.md_length_35ms);
    for (const Info1cRate& r : i.rates) {
      w.put(r.high_carrier, 1);
      w.put(r.pre_emphasis_index, 4);
      w.put(r.max_rate_2400bps, 4);
    }
    w.put(static_cast<unsigned>(i.freq_offset_0p02hz) & 0x3FFu, 10);
  });
}

// V.34 §10.1.2.3.3, bits 12-49.
InfoBits encode_info1a_fixed(const Info1a& i) noexcept {
  if (check(i).name) return {};
  return frame([&](BitWriter& w) {
    put_common(w, i.min_power_reduction_db, i.additional_power_reduction_db, i.md_length_35ms);
    w.put(i.call_to_answer_high_carrier, 1);
    w.put(i.call_to_answer_pre_emphasis_index, 4);
    w.put(i.call_to_answer_max_rate_2400bps, 4);
    w.put(i.answer_to_call_symbol_rate_code, 3);
    w.put(i.call_to_answer_symbol_rate_code, 3);
    w.put(static_cast<unsigned>(i.freq_offset_0p02hz) & 0x3FFu, 10);
  });
}

std::vector<std::uint8_t> encode_info0(const Info0& info) {
  if (BadField b = check(info); b.name) throw std::invalid_argument("INFO0: " + format_bad(b));
  return to_vector(encode_info0_fixed(info));
}
std::vector<std::uint8_t> encode_info1c(const Info1c& info) {
  if (BadField b = check(info); b.name) throw std::invalid_argument("INFO1c: " + format_bad(b));
  return to_vector(encode_info1c_fixed(info));
}
std::vector<std::uint8_t> encode_info1a(const Info1a& info) {
  if (BadField b = check(info); b.name) throw std::invalid_argument("INFO1a: " + format_bad(b));
  return to_vector(encode_info1a_fixed(info));
}

std::string_view info_status_name(InfoStatus s) noexcept {
  switch (s) {
    case InfoStatus::ok: return "ok";
    case InfoStatus::wrong_length: return "wrong_length";
    case InfoStatus::bad_sync: return "bad_sync";
    case InfoStatus::crc_error: return "crc_error";
    case InfoStatus::invalid_value: return "invalid_value";
  }
  return "?";
}

InfoDecoded<Info0> decode_info0(std::span<const std::uint8_t> bits) noexcept {
  InfoDecoded<Info0> out;
  out.status = frame_status(bits, InfoKind::info0, out.crc);
  if (out.status != InfoStatus::ok) return out;
  BitReader r{bits};
  Info0 i;
  i.supports_2743_baud = r.get(1) != 0;
  i.supports_2800_baud = r.get(1) != 0;
  i.supports_3429_baud = r.get(1) != 0;
  i.supports_3000_baud_low_carrier = r.get(1) != 0;
  i.supports_3000_baud_high_carrier = r.get(1) != 0;
  i.supports_3200_baud_low_carrier = r.get(1) != 0;
  i.supports_3200_baud_high_carrier = r.get(1) != 0;
  i.allows_3429_baud = r.get(1) != 0;
  i.can_reduce_power = r.get(1) != 0;
  i.max_symbol_rate_difference = static_cast<std::uint8_t>(r.get(3));
  i.cme = r.get(1) != 0;
  i.constellation_1664 = r.get(1) != 0;
  i.tx_clock_source = static_cast<std::uint8_t>(r.get(2));
  i.acknowledge = r.get(1) != 0;
  out.info = i;
  return out;
}

InfoDecoded<Info1c> decode_info1c(std::span<const std::uint8_t> bits) noexcept {
  InfoDecoded<Info1c> out;
  out.status = frame_status(bits, InfoKind::info1c, out.crc);
  if (out.status != InfoStatus::ok) return out;
  BitReader r{bits};
  Info1c i;
  i.min_power_reduction_db = static_cast<std::uint8_t>(r.get(3));
  i.additional_power_reduction_db = static_cast<std::uint8_t>(r.get(3));
  i.md_length_35ms = static_cast<std::uint8_t>(r.get(7));
  for (Info1cRate& rate : i.rates) {
    rate.high_carrier = r.get(1) != 0;
    rate.pre_emphasis_index = static_cast<std::uint8_t>(r.get(4));
    rate.max_rate_2400bps = static_cast<std::uint8_t>(r.get(4));
  }
  i.freq_offset_0p02hz = r.get_signed10();
  if (check(i).name) {
    out.status = InfoStatus::invalid_value;
  } else {
    out.info = i;
  }
  return out;
}

InfoDecoded<Info1a> decode_info1a(std::span<const std::uint8_t> bits) noexcept {
  InfoDecoded<Info1a> out;
  out.status = frame_status(bits, InfoKind::info1a, out.crc);
  if (out.status != InfoStatus::ok) return out;
  BitReader r{bits};
  Info1a i;
  i.min_power_reduction_db = static_cast<std::uint8_t>(r.get(3));
  i.additional_power_reduction_db = static_cast<std::uint8_t>(r.get(3));
  i.md_length_35ms = static_cast<std::uint8_t>(r.get(7));
  i.call_to_answer_high_carrier = r.get(1) != 0;
  i.call_to_answer_pre_emphasis_index = static_cast<std::uint8_t>(r.get(4));
  i.call_to_answer_max_rate_2400bps = static_cast<std::uint8_t>(r.get(4));
  i.answer_to_call_symbol_rate_code = static_cast<std::uint8_t>(r.get(3));
  i.call_to_answer_symbol_rate_code = static_cast<std::uint8_t>(r.get(3));
  i.freq_offset_0p02hz = r.get_signed10();
  if (check(i).name) {
    out.status = InfoStatus::invalid_value;
  } else {
    out.info = i;
  }
  return out;
}

InfoDecoded<Info0> decode_info0(const InfoFrame& f) noexcept {
  if (f.kind != InfoKind::info0) return {};
  return decode_info0(f.view());
}
InfoDecoded<Info1c> decode_info1c(const InfoFrame& f) noexcept {
  if (f.kind != InfoKind::info1c) return {};
  return decode_info1c(f.view());
}
InfoDecoded<Info1a> decode_info1a(const InfoFrame& f) noexcept {
  if (f.kind != InfoKind::info1a) return {};
  return decode_info1a(f.view());
}

// ---------------------------------------------------------------------------

std::string describe(const Info0& i, bool from_answerer) {
  std::string s = from_answerer ? "INFO0a: symbol rates 2400" : "INFO0c: symbol rates 2400";
  auto carriers = [](bool low, bool high) -> std::string {
    if (low && high) return " (low/high)";
    return low ? " (low)" : " (high)";
  };
  if (i.supports_2743_baud) s += ", 2743";
  if (i.supports_2800_baud) s += ", 2800";
  if (i.supports_3000_baud_low_carrier || i.supports_3000_baud_high_carrier) {
    s += ", 3000" + carriers(i.supports_3000_baud_low_carrier, i.supports_3000_baud_high_carrier);
  }
  if (i.supports_3200_baud_low_carrier || i.supports_3200_baud_high_carrier) {
    s += ", 3200" + carriers(i.supports_3200_baud_low_carrier, i.supports_3200_baud_high_carrier);
  }
  if (i.supports_3429_baud) s += i.allows_3429_baud ? ", 3429" : ", 3429 (not allowed)";
  if (i.constellation_1664) s += "; 1664-point constellation";
  if (i.can_reduce_power) s += "; can reduce power";
  if (i.max_symbol_rate_difference != 0) {
    s += "; max symbol rate difference " + std::to_string(i.max_symbol_rate_difference);
  }
  if (i.cme) s += "; CME";
  if (i.tx_clock_source != 0) s += "; transmit clock source " + std::to_string(i.tx_clock_source);
  if (i.acknowledge) s += "; ack";
  return s;
}

std::string describe(const Info1c& i) {
  std::string s = "INFO1c: ";
  for (int k = 0; k < kSymbolRateCount; ++k) {
    const Info1cRate& r = i.rates[static_cast<std::size_t>(k)];
    if (k != 0) s += "; ";
    s += rate_name(k) + ": " + rate_words(r.max_rate_2400bps);
    if (r.max_rate_2400bps != 0) {
      s += r.high_carrier ? ", high carrier" : ", low carrier";
      s += ", pre-emphasis " + std::to_string(r.pre_emphasis_index);
    }
  }
  s += power_md_words(i.min_power_reduction_db, i.additional_power_reduction_db, i.md_length_35ms, "; ");
  return s + "; " + offset_words(i.freq_offset_0p02hz);
}

std::string describe(const Info1a& i) {
  std::string s = "INFO1a: symbol rate ";
  if (i.answer_to_call_symbol_rate_code == i.call_to_answer_symbol_rate_code) {
    s += rate_name(i.call_to_answer_symbol_rate_code) + " both ways";
  } else {
    s += "answer->call " + rate_name(i.answer_to_call_symbol_rate_code) + ", call->answer " +
         rate_name(i.call_to_answer_symbol_rate_code);
  }
  s += ", call->answer " + rate_words(i.call_to_answer_max_rate_2400bps);
  s += i.call_to_answer_high_carrier ? ", high carrier" : ", low carrier";
  s += ", pre-emphasis " + std::to_string(i.call_to_answer_pre_emphasis_index);
  s += power_md_words(i.min_power_reduction_db, i.additional_power_reduction_db, i.md_length_35ms, ", ");
  return s + ", " + offset_words(i.freq_offset_0p02hz);
}

}  // namespace squeal
