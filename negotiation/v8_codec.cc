#include "negotiation/v8_codec.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace squeal {

namespace {

// Where each modulation's bit sits: octet 0 = modn0, 1 = modn1, 2 = modn2.
// V.8 Table 4 (the same bits spandsp decodes).
struct ModulationBit {
  std::uint8_t octet;
  std::uint8_t mask;
};
constexpr std::array<ModulationBit, kV8ModulationCount> kModulationBits{{
    {0, 0x20},  // v90
    {0, 0x40},  // v34
    {1, 0x01},  // v32bis
    {1, 0x02},  // v22bis
    {2, 0x01},  // v26ter
    {2, 0x04},  // v23
    {2, 0x80},  // v21
    {0, 0x80},  // v34_hd
    {1, 0x04},  // v17
    {1, 0x40},  // v29_hd
    {1, 0x80},  // v27ter
    {2, 0x02},  // v26bis
    {2, 0x40},  // v23_hd
}};

constexpr std::array<std::string_view, kV8ModulationCount> kModulationNames{
    "V.90/V.92", "V.34 duplex", "V.32bis", "V.22bis", "V.26ter", "V.23 duplex", "V.21",
    "V.34 half-duplex", "V.17", "V.29 half-duplex", "V.27ter", "V.26bis", "V.23 half-duplex"};

constexpr std::array<std::string_view, kV8ModulationCount> kModulationTokens{
    "v90", "v34", "v32bis", "v22bis", "v26ter", "v23", "v21",
    "v34hd", "v17", "v29", "v27ter", "v26bis", "v23hd"};

constexpr std::uint8_t category_octet(std::uint8_t tag, unsigned value) {
  return static_cast<std::uint8_t>(((value & 7u) << 5) | tag);
}

V8Menu empty_menu() {
  V8Menu m;
  m.has_call_function = false;
  m.has_modulations = false;
  m.modulation_octets = 0;
  return m;
}

bool is_interpreted_tag(std::uint8_t tag) {
  return tag == kV8TagCallFunction || tag == kV8TagModulation || tag == kV8TagProtocols ||
         tag == kV8TagPstnAccess || tag == kV8TagPcm;
}

bool& present_flag(V8Menu& m, std::uint8_t tag) {
  switch (tag) {
    case kV8TagCallFunction: return m.has_call_function;
    case kV8TagModulation: return m.has_modulations;
    case kV8TagProtocols: return m.has_protocols;
    case kV8TagPstnAccess: return m.has_pstn_access;
    default: return m.has_pcm;
  }
}

bool present(const V8Menu& m, std::uint8_t tag) {
  switch (tag) {
    case kV8TagCallFunction: return m.has_call_function;
    case kV8TagModulation: return m.has_modulations;
    case kV8TagProtocols: return m.has_protocols;
    case kV8TagPstnAccess: return m.has_pstn_access;
    case kV8TagPcm: return m.has_pcm;
    default: return false;
  }
}

// Octets of one interpreted category (without surplus extension octets).
void emit_known(const V8Menu& m, std::uint8_t tag, V8Octets& out) noexcept {
  switch (tag) {
    case kV8TagCallFunction:
      out.push_back(category_octet(tag, static_cast<unsigned>(m.call_function)));
      return;
    case kV8TagModulation: {
      std::array<std::uint8_t, 3> modn{kV8TagModulation, 0x10, 0x10};  // extensions: 010 in bits 3..5
      int needed = 1;
      for (int i = 0; i < kV8ModulationCount; ++i) {
        if (!m.modulations.has(static_cast<V8Modulation>(i))) continue;
        const ModulationBit b = kModulationBits[static_cast<std::size_t>(i)];
        modn[b.octet] = static_cast<std::uint8_t>(modn[b.octet] | b.mask);
        needed = std::max(needed, b.octet + 1);
      }
      const int count = std::clamp(std::max<int>(needed, m.modulation_octets), 1, 3);
      out.append(std::span<const std::uint8_t>(modn.data(), static_cast<std::size_t>(count)));
      return;
    }
    case kV8TagProtocols:
      out.push_back(category_octet(tag, m.protocol));
      return;
    case kV8TagPstnAccess:
      out.push_back(static_cast<std::uint8_t>(tag | (m.pstn_access.calling_dce_cellular ? 0x20 : 0) |
                                              (m.pstn_access.answering_dce_cellular ? 0x40 : 0) |
                                              (m.pstn_access.dce_on_digital_network ? 0x80 : 0)));
      return;
    case kV8TagPcm:
      out.push_back(static_cast<std::uint8_t>(tag | (m.pcm.v90_analogue ? 0x20 : 0) |
                                              (m.pcm.v90_digital ? 0x40 : 0) | (m.pcm.v91 ? 0x80 : 0)));
      return;
    default:
      return;
  }
}

// Reads one interpreted category into the menu; returns how many of its
// octets were used (the rest are surplus extension octets).
std::size_t read_known(std::span<const std::uint8_t> cat, V8Menu& m) {
  const std::uint8_t tag = cat[0] & 0x1F;
  const unsigned value = cat[0] >> 5;
  switch (tag) {
    case kV8TagCallFunction:
      m.call_function = static_cast<V8CallFunction>(value);
      return 1;
    case kV8TagModulation: {
      const std::size_t used = std::min<std::size_t>(cat.size(), 3);
      for (int i = 0; i < kV8ModulationCount; ++i) {
        const ModulationBit b = kModulationBits[static_cast<std::size_t>(i)];
        if (b.octet < used && (cat[b.octet] & b.mask) != 0) m.modulations.set(static_cast<V8Modulation>(i));
      }
      m.modulation_octets = static_cast<std::uint8_t>(used);
      return used;
    }
    case kV8TagProtocols:
      m.protocol = static_cast<std::uint8_t>(value);
      return 1;
    case kV8TagPstnAccess:
      m.pstn_access = {(cat[0] & 0x20) != 0, (cat[0] & 0x40) != 0, (cat[0] & 0x80) != 0};
      return 1;
    default:  // kV8TagPcm
      m.pcm = {(cat[0] & 0x20) != 0, (cat[0] & 0x40) != 0, (cat[0] & 0x80) != 0};
      return 1;
  }
}

constexpr std::array<std::uint8_t, 5> kCanonicalOrder{kV8TagCallFunction, kV8TagModulation, kV8TagProtocols,
                                                       kV8TagPstnAccess, kV8TagPcm};

}  // namespace

std::string_view modulation_name(V8Modulation m) noexcept {
  return kModulationNames[static_cast<std::size_t>(m) % kModulationNames.size()];
}

std::string_view modulation_token(V8Modulation m) noexcept {
  return kModulationTokens[static_cast<std::size_t>(m) % kModulationTokens.size()];
}

std::span<const std::uint8_t> V8Menu::raw_category(std::uint8_t tag) const noexcept {
  for (std::size_t i = 0; i < layout_size; ++i) {
    const V8CategorySlot& s = layout[i];
    if (s.tag == tag && !s.interpreted) return {raw.data() + s.raw_offset, s.raw_size};
  }
  return {};
}

std::string_view parse_status_name(V8ParseStatus s) noexcept {
  switch (s) {
    case V8ParseStatus::ok: return "ok";
    case V8ParseStatus::empty: return "empty";
    case V8ParseStatus::orphan_extension: return "orphan_extension";
    case V8ParseStatus::no_call_function: return "no_call_function";
    case V8ParseStatus::too_long: return "too_long";
  }
  return "?";
}

V8ParseStatus parse_menu_octets(std::span<const std::uint8_t> octets, V8Menu& out) noexcept {
  out = empty_menu();
  if (octets.empty()) return V8ParseStatus::empty;
  if (is_v8_extension_octet(octets[0])) return V8ParseStatus::orphan_extension;
  std::size_t i = 0;
  while (i < octets.size()) {
    std::size_t end = i + 1;
    while (end < octets.size() && is_v8_extension_octet(octets[end])) ++end;
    const std::span<const std::uint8_t> cat = octets.subspan(i, end - i);
    const std::uint8_t tag = cat[0] & 0x1F;
    if (i == 0 && tag != kV8TagCallFunction) return V8ParseStatus::no_call_function;  // V.8 §7.1
    if (out.layout_size == V8Menu::kMaxCategories) return V8ParseStatus::too_long;

    V8CategorySlot slot;
    slot.tag = tag;
    slot.interpreted = is_interpreted_tag(tag) && !present(out, tag);  // a repeat stays raw
    std::size_t used = 0;
    if (slot.interpreted) {
      used = read_known(cat, out);
      present_flag(out, tag) = true;
    }
    const std::size_t surplus = cat.size() - used;
    if (out.raw_size + surplus > V8Menu::kMaxRaw) return V8ParseStatus::too_long;
    slot.raw_offset = out.raw_size;
    slot.raw_size = static_cast<std::uint8_t>(surplus);
    std::copy(cat.begin() + static_cast<std::ptrdiff_t>(used), cat.end(), out.raw.begin() + out.raw_size);
    out.raw_size = static_cast<std::uint8_t>(out.raw_size + surplus);
    out.layout[out.layout_size++] = slot;
    i = end;
  }
  return V8ParseStatus::ok;
}

V8Octets encode_menu_octets_fixed(const V8Menu& menu) noexcept {
  V8Octets out;
  std::array<bool, 32> emitted{};  // interpreted tags already written
  for (std::size_t i = 0; i < menu.layout_size; ++i) {
    const V8CategorySlot& s = menu.layout[i];
    if (s.interpreted) {
      if (!present(menu, s.tag)) continue;  // removed since it was parsed
      emit_known(menu, s.tag, out);
      emitted[s.tag] = true;
    }
    out.append(std::span<const std::uint8_t>(menu.raw.data() + s.raw_offset, s.raw_size));
  }
  for (std::uint8_t tag : kCanonicalOrder) {
    if (!emitted[tag] && present(menu, tag)) emit_known(menu, tag, out);
  }
  return out;
}

std::vector<std::uint8_t> encode_menu_octets(const V8Menu& menu) {
  const V8Octets o = encode_menu_octets_fixed(menu);
  return {o.view().begin(), o.view().end()};
}

std::string_view message_name(V8MessageType t) noexcept {
  switch (t) {
    case V8MessageType::ci: return "CI";
    case V8MessageType::cm: return "CM";
    case V8MessageType::jm: return "JM";
    case V8MessageType::cj: return "CJ";
    case V8MessageType::v92: return "V.92";
  }
  return "?";
}

std::vector<std::uint8_t> encode_message_octets(V8MessageType type, const V8Menu& menu) {
  switch (type) {
    case V8MessageType::ci: return {category_octet(kV8TagCallFunction, static_cast<unsigned>(menu.call_function))};
    case V8MessageType::cm:
    case V8MessageType::jm: return encode_menu_octets(menu);
    case V8MessageType::cj: return {};
    case V8MessageType::v92: return {0x00};
  }
  return {};
}

std::vector<std::uint8_t> encode_message_bits(V8MessageType type, const V8Menu& menu) {
  const std::vector<std::uint8_t> octets = encode_message_octets(type, menu);
  switch (type) {
    case V8MessageType::ci: return frame_bits(V8FrameKind::ci, octets);
    case V8MessageType::cm:
    case V8MessageType::jm: return frame_bits(V8FrameKind::cm_jm, octets);
    case V8MessageType::cj: return frame_bits(V8FrameKind::cj, octets);
    case V8MessageType::v92: return frame_bits(V8FrameKind::v92, octets);
  }
  return {};
}

V8Message decode_frame(const V8Frame& frame, bool from_answerer) noexcept {
  V8Message m;
  m.frame_status = frame.status;
  m.menu = empty_menu();
  switch (frame.kind) {
    case V8FrameKind::ci:
      m.type = V8MessageType::ci;
      m.parse_status = parse_menu_octets(frame.view(), m.menu);
      break;
    case V8FrameKind::cm_jm:
      m.type = from_answerer ? V8MessageType::jm : V8MessageType::cm;
      m.parse_status = parse_menu_octets(frame.view(), m.menu);
      break;
    case V8FrameKind::cj:
      m.type = V8MessageType::cj;
      m.parse_status = V8ParseStatus::ok;
      break;
    case V8FrameKind::v92:
      m.type = V8MessageType::v92;
      m.parse_status = frame.size == 0 ? V8ParseStatus::empty : V8ParseStatus::ok;
      break;
  }
  return m;
}

std::vector<V8Frame> decode_bit_stream(std::span<const std::uint8_t> bits) {
  V8BitReceiver rx;
  std::vector<V8Frame> frames;
  V8Frame f;
  auto drain = [&] {
    while (rx.pop(f)) frames.push_back(f);
  };
  for (std::uint8_t b : bits) {
    rx.push(b != 0);
    drain();
  }
  rx.flush();
  drain();
  return frames;
}

std::string_view call_function_name(V8CallFunction f) noexcept {
  switch (f) {
    case V8CallFunction::reserved: return "call function 0 (reserved)";
    case V8CallFunction::h324: return "H.324 multimedia";
    case V8CallFunction::v18_text: return "V.18 text telephone";
    case V8CallFunction::t101: return "T.101 videotex";
    case V8CallFunction::t30_transmit: return "T.30 fax transmit";
    case V8CallFunction::t30_receive: return "T.30 fax receive";
    case V8CallFunction::v_series_data: return "V-series data";
    case V8CallFunction::extension: return "call function extension";
  }
  return "?";
}

std::string octets_hex(std::span<const std::uint8_t> octets) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(octets.size() * 3);
  for (std::size_t i = 0; i < octets.size(); ++i) {
    if (i != 0) s.push_back(' ');
    s.push_back(kDigits[octets[i] >> 4]);
    s.push_back(kDigits[octets[i] & 0x0F]);
  }
  return s;
}

std::string describe(const V8Menu& menu) {
  std::vector<std::string> parts;
  if (menu.has_call_function) parts.emplace_back(call_function_name(menu.call_function));
  if (menu.has_modulations) {
    std::string mods;
    for (int i = 0; i < kV8ModulationCount; ++i) {
      const auto m = static_cast<V8Modulation>(i);
      if (!menu.modulations.has(m)) continue;
      if (!mods.empty()) mods += ", ";
      mods += modulation_name(m);
    }
    parts.push_back(mods.empty() ? "no modulations" : mods);
  }
  if (menu.has_protocols && menu.protocol == kV8ProtocolLapm) {
    parts.emplace_back("LAPM");
  } else if (menu.has_protocols && menu.protocol != kV8ProtocolNone) {
    parts.push_back("protocol " + std::to_string(menu.protocol) + " (reserved)");
  }
  if (menu.has_pstn_access) {
    std::string s;
    auto add = [&s](bool on, const char* what) {
      if (!on) return;
      s += s.empty() ? "PSTN access: " : ", ";
      s += what;
    };
    add(menu.pstn_access.calling_dce_cellular, "calling DCE on cellular");
    add(menu.pstn_access.answering_dce_cellular, "answering DCE on cellular");
    add(menu.pstn_access.dce_on_digital_network, "DCE on digital network");
    if (!s.empty()) parts.push_back(s);
  }
  if (menu.has_pcm) {
    std::string s;
    auto add = [&s](bool on, const char* what) {
      if (!on) return;
      s += s.empty() ? "PCM: " : ", ";
      s += what;
    };
    add(menu.pcm.v90_analogue, "V.90/V.92 analogue");
    add(menu.pcm.v90_digital, "V.90/V.92 digital");
    add(menu.pcm.v91, "V.91");
    if (!s.empty()) parts.push_back(s);
  }
  for (std::size_t i = 0; i < menu.layout_size; ++i) {
    const V8CategorySlot& slot = menu.layout[i];
    if (slot.interpreted || slot.raw_size == 0) continue;
    const std::string hex = octets_hex({menu.raw.data() + slot.raw_offset, slot.raw_size});
    if (slot.tag == kV8TagNsf) {
      parts.push_back("NSF: " + hex);
    } else if (slot.tag == kV8TagT66) {
      parts.push_back("T.66: " + hex);
    } else {
      parts.push_back("unknown category: " + hex);
    }
  }
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

V8Menu joint_menu(const V8Menu& caller_cm, const V8Menu& answerer_capabilities) {
  const V8Menu& a = answerer_capabilities;
  V8Menu jm;  // canonical layout
  jm.has_call_function = true;
  jm.call_function = caller_cm.call_function;
  jm.has_modulations = true;
  jm.modulations = caller_cm.modulations & a.modulations;  // V.8 §7.3: modes common to both
  jm.modulation_octets = 3;
  // V.90 §1: a PCM connection needs an analogue and a digital modem.
  if (jm.modulations.has(V8Modulation::v90) && caller_cm.has_pcm && a.has_pcm &&
      !((caller_cm.pcm.v90_analogue && a.pcm.v90_digital) || (caller_cm.pcm.v90_digital && a.pcm.v90_analogue))) {
    jm.modulations.set(V8Modulation::v90, false);
  }
  jm.has_protocols = caller_cm.has_protocols && a.has_protocols;
  jm.protocol = jm.has_protocols && caller_cm.protocol == a.protocol ? a.protocol : kV8ProtocolNone;
  jm.has_pstn_access = a.has_pstn_access;
  jm.pstn_access = a.pstn_access;
  jm.has_pcm = a.has_pcm;
  jm.pcm = a.pcm;
  return jm;
}

std::optional<V8Modulation> preferred_modulation(const V8Menu& jm) noexcept {
  if (!jm.has_modulations) return std::nullopt;
  for (int i = 0; i < kV8ModulationCount; ++i) {
    const auto m = static_cast<V8Modulation>(i);
    if (jm.modulations.has(m)) return m;
  }
  return std::nullopt;
}

V8Menu parse_menu(std::string_view text) {
  V8Menu menu;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = text.find(',', pos);
    std::string_view raw_token = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!raw_token.empty() && std::isspace(static_cast<unsigned char>(raw_token.front()))) raw_token.remove_prefix(1);
    while (!raw_token.empty() && std::isspace(static_cast<unsigned char>(raw_token.back()))) raw_token.remove_suffix(1);
    std::string token(raw_token);
    std::transform(token.begin(), token.end(), token.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (token.empty()) throw std::invalid_argument("empty item in V.8 menu '" + std::string(text) + "'");

    bool known = true;
    const auto* found = std::find(kModulationTokens.begin(), kModulationTokens.end(), token);
    if (found != kModulationTokens.end()) {
      menu.modulations.set(static_cast<V8Modulation>(found - kModulationTokens.begin()));
    } else if (token == "v92") {
      menu.modulations.set(V8Modulation::v90);
    } else if (token == "v32") {
      menu.modulations.set(V8Modulation::v32bis);
    } else if (token == "v22") {
      menu.modulations.set(V8Modulation::v22bis);
    } else if (token == "v29hd") {
      menu.modulations.set(V8Modulation::v29_hd);
    } else if (token == "lapm") {
      menu.has_protocols = true;
      menu.protocol = kV8ProtocolLapm;
    } else if (token == "pcm-analogue" || token == "pcm-analog") {
      menu.has_pcm = true;
      menu.pcm.v90_analogue = true;
    } else if (token == "pcm-digital") {
      menu.has_pcm = true;
      menu.pcm.v90_digital = true;
    } else if (token == "v91") {
      menu.has_pcm = true;
      menu.pcm.v91 = true;
    } else {
      known = false;
    }
    if (!known) {
      std::string expected;
      for (std::string_view t : kModulationTokens) expected += std::string(t) + ", ";
      throw std::invalid_argument("unknown V.8 menu item '" + std::string(raw_token) + "' (expected one of " +
                                  expected + "lapm, pcm-analogue, pcm-digital, v91)");
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return menu;
}

}  // namespace squeal
