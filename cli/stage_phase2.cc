// Decode stage: V.34 / V.90 phase 2 (negotiation/phase2_listener.h): INFO
// frames on the 1200 and 2400 Hz DPSK channels, L1/L2 line probes with their
// per-tone table, and where training (and, by a level heuristic, data) starts.
//
// Sides: in V.34 the answer modem sends INFO0a/INFO1a and tone A on 2400 Hz,
// the call modem INFO0c/INFO1c and tone B on 1200 Hz (v34-phase2.md). In V.90
// the digital modem takes 1200 Hz (INFO0d, INFO1d, tone B) and the analogue
// modem 2400 Hz (INFO0a, INFO1a, tone A). A 62-bit INFO0d with a good CRC
// marks the call as V.90; the digital modem is then reported as the answerer
// (the ISP answers; in every recording we have the caller's CM offers "PCM
// analogue"). A probe's side is the side whose tone preceded it.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "cli/decode_stage.h"
#include "negotiation/info_codec.h"
#include "negotiation/phase2_listener.h"

namespace squeal::cli {

namespace {

std::string bits_text(std::span<const std::uint8_t> bits) {
  std::string s;
  for (const auto b : bits) s += b != 0 ? '1' : '0';
  return s;
}

unsigned field(std::span<const std::uint8_t> bits, int first, int width) {
  unsigned v = 0;
  for (int i = 0; i < width; ++i) v |= static_cast<unsigned>(bits[static_cast<std::size_t>(first + i)] & 1u) << i;
  return v;
}

class Phase2Stage final : public DecodeStage {
 public:
  void process(std::span<const float> block) override { listener_.process(block); }

  void finish(SampleIndex /*samples*/, const FileResult& /*so_far*/,
              std::vector<nlohmann::ordered_json>& events) override {
    listener_.finish();
    const auto frames = listener_.frames();
    v90_ = std::ranges::any_of(frames, [](const HeardInfo& f) { return f.kind == HeardInfoKind::info0d && f.crc_ok; });
    // Repeats (same channel, same bits) are one row with a count.
    for (std::size_t i = 0; i < frames.size();) {
      std::size_t j = i + 1;
      while (j < frames.size() && frames[j].carrier_hz == frames[i].carrier_hz && frames[j].crc_ok == frames[i].crc_ok &&
             std::ranges::equal(frames[j].view(), frames[i].view())) {
        ++j;
      }
      events.push_back(info_json(frames[i], frames[j - 1].end, static_cast<int>(j - i)));
      i = j;
    }
    for (const HeardProbe& p : listener_.probes()) events.push_back(probe_json(p));
    for (const HeardTraining& t : listener_.trainings()) {
      const SampleIndex training_end = t.data_start >= 0 ? t.data_start : t.end;
      events.push_back({{"signal", "training"},
                        {"start_s", samples_to_seconds(t.start)},
                        {"end_s", samples_to_seconds(training_end)},
                        {"side", "unknown"},
                        {"text", fmt::format("training (broadband signal after probing), {:.1f} dBm0", t.level_dbm0)},
                        {"fields", {{"level_dbm0", t.level_dbm0}, {"basis", "first 200 ms of broadband signal after a probe"}}}});
      if (t.data_start >= 0) {
        events.push_back({{"signal", "data"},
                          {"start_s", samples_to_seconds(t.data_start)},
                          {"end_s", samples_to_seconds(t.end)},
                          {"side", "unknown"},
                          {"text", fmt::format("data (estimate: the level rises {:.1f} dB and holds >= 1 s)", t.data_step_db)},
                          {"fields", {{"step_db", t.data_step_db}, {"basis", "level heuristic, 200 ms resolution"}}}});
      }
    }
  }

 private:
  // The side that sends on a carrier (see the file comment).
  [[nodiscard]] const char* side(int carrier_hz) const {
    if (carrier_hz == 0) return "unknown";
    return (carrier_hz == 2400) != v90_ ? "answerer" : "caller";
  }
  [[nodiscard]] std::string role(int carrier_hz) const {
    if (v90_) return carrier_hz == 1200 ? "V.90 digital modem" : "V.90 analogue modem";
    return carrier_hz == 2400 ? "V.34 answer modem" : "V.34 call modem";
  }

  nlohmann::ordered_json info_json(const HeardInfo& f, SampleIndex end, int count) const {
    const bool low = f.carrier_hz == 1200;
    std::string signal;
    std::string text;
    nlohmann::ordered_json fields;
    fields["crc"] = f.crc_ok ? "ok" : "bad";
    fields["bits"] = bits_text(f.view());
    fields["carrier_hz"] = f.carrier_hz;
    fields["count"] = count;
    fields["sender"] = role(f.carrier_hz);
    const std::string crc = f.crc_ok ? "CRC ok" : "CRC bad";
    switch (f.kind) {
      case HeardInfoKind::info0: {
        signal = low ? "info0c" : "info0a";
        const auto d = decode_info0(f.view());
        if (d.info) {
          text = describe(*d.info, !low);
          fields["acknowledge"] = d.info->acknowledge;
          fields["constellation_1664"] = d.info->constellation_1664;
        } else {
          text = low ? "INFO0c" : "INFO0a";
        }
        break;
      }
      case HeardInfoKind::info0d: {
        signal = "info0d";
        const auto d = decode_info0d(f.view());
        text = d ? describe(*d) : "INFO0d";
        if (d) {
          fields["v92_capable"] = d->v92_capable;
          fields["nominal_power_dbm0"] = -6 - d->nominal_power_code;
          fields["max_power_dbm0"] = -0.5 * (d->max_power_code + 1);
          fields["law"] = d->a_law ? "A" : "mu";
        }
        break;
      }
      case HeardInfoKind::info1c: {
        signal = v90_ ? "info1d" : "info1c";
        const auto d = decode_info1c(f.view());
        text = d.info ? describe(*d.info) : "INFO1c";
        if (v90_ && text.starts_with("INFO1c")) text.replace(0, 6, "INFO1d");
        break;
      }
      case HeardInfoKind::info1a: {
        signal = "info1a";
        const auto bits = f.view();
        if (f.crc_ok && field(bits, 37, 3) == 6) {
          // V.90 Table 10: bits 37-39 = 6 asks for V.90 (PCM downstream);
          // bits 34-36 are then the upstream (V.34) symbol rate.
          const unsigned up = field(bits, 34, 3);
          const int baud = up < 6 ? symbol_rate_baud(static_cast<int>(up)) : 0;
          text = fmt::format("INFO1a (V.90): PCM downstream, upstream V.34 at {} baud, U_INFO {}, MD {} ms", baud,
                             field(bits, 25, 7), 35 * field(bits, 18, 7));
          fields["mode"] = "v90";
          fields["upstream_symbol_rate_baud"] = baud;
        } else if (const auto d = decode_info1a(bits); d.info) {
          const Info1a& i = *d.info;
          text = describe(i);
          fields["mode"] = "v34";
          fields["symbol_rate_answer_to_call_baud"] = symbol_rate_baud(i.answer_to_call_symbol_rate_code);
          fields["symbol_rate_call_to_answer_baud"] = symbol_rate_baud(i.call_to_answer_symbol_rate_code);
          fields["carrier_call_to_answer_hz"] =
              carrier_freq_hz(i.call_to_answer_symbol_rate_code, i.call_to_answer_high_carrier);
          fields["max_bit_rate_call_to_answer"] = 2400 * i.call_to_answer_max_rate_2400bps;
        } else {
          text = "INFO1a";
        }
        break;
      }
    }
    // "INFO0a: ..." -> "INFO0a (CRC ok): ..."
    if (const auto colon = text.find(':'); colon != std::string::npos) {
      text.insert(colon, " (" + crc + ")");
    } else {
      text += " (" + crc + ")";
    }
    if (count > 1) text += fmt::format(" x{}", count);
    return {{"signal", signal},
            {"start_s", samples_to_seconds(f.start)},
            {"end_s", samples_to_seconds(end)},
            {"side", side(f.carrier_hz)},
            {"text", text},
            {"fields", fields}};
  }

  nlohmann::ordered_json probe_json(const HeardProbe& p) const {
    nlohmann::ordered_json fields;
    fields["prober_carrier_hz"] = p.prober_carrier_hz;
    if (p.l1_end >= 0) fields["l1_end_s"] = samples_to_seconds(p.l1_end);
    fields["measured"] = p.measured;
    std::string text = fmt::format("L1/L2 line probe{}", p.prober_carrier_hz != 0 ? " from the " + role(p.prober_carrier_hz) : "");
    if (p.l1_end >= 0) text += fmt::format(", L1 until {:.3f} s", samples_to_seconds(p.l1_end));
    if (p.measured) {
      const ProbeReport& r = p.report;
      nlohmann::ordered_json tones = nlohmann::ordered_json::array();
      for (const ProbeTone& t : r.tones) {
        tones.push_back({{"freq_hz", t.freq_hz}, {"level_dbm0", std::round(t.level_dbm0 * 10) / 10},
                         {"snr_db", std::round(t.snr_db * 10) / 10}});
      }
      fields["level_dbm0"] = r.total_level_dbm0;
      fields["band_low_hz"] = r.band_low_hz;
      fields["band_high_hz"] = r.band_high_hz;
      fields["freq_offset_hz"] = r.freq_offset_hz;
      fields["periods"] = r.periods_used;
      fields["tones"] = tones;
      text += fmt::format("; L2 {:.1f} dBm0, usable band {:.0f}-{:.0f} Hz (SNR >= {:.0f} dB in 50 Hz), offset {:+.2f} Hz",
                          r.total_level_dbm0, r.band_low_hz, r.band_high_hz, r.usable_snr_db, r.freq_offset_hz);
    } else {
      text += "; per-tone levels not measurable (too short or too noisy)";
    }
    return {{"signal", "l1l2_probe"},
            {"start_s", samples_to_seconds(p.start)},
            {"end_s", samples_to_seconds(p.end)},
            {"side", side(p.prober_carrier_hz)},
            {"text", text},
            {"fields", fields}};
  }

  Phase2Listener listener_;  // the DSP
  bool v90_ = false;         // an INFO0d was heard: 1200 Hz is the digital modem
};

}  // namespace

std::unique_ptr<DecodeStage> make_phase2_stage() { return std::make_unique<Phase2Stage>(); }

}  // namespace squeal::cli
