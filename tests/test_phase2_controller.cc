// The V.34 phase-2 controllers driven against each other through an
// event-level line (no DSP): INFO frames arrive whole after their air time
// plus the one-way delay, tones and reversals after the delay, a probe is
// "analysed" into a synthetic report when the analysis window lies inside the
// far probe. Checks the sequence, RTD, the decision both sides reach, and
// the failures.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <optional>
#include <vector>

#include "negotiation/phase2_controller.h"

using namespace squeal;

namespace {

constexpr double kSamplesPerBit = 8000.0 / 600.0;

Info0 full_info0() {
  Info0 i;
  i.supports_2743_baud = i.supports_2800_baud = i.supports_3429_baud = i.allows_3429_baud = true;
  i.constellation_1664 = true;
  return i;
}

// What the far side's probe analyser would report: every tone at snr_db (50 Hz bins).
ProbeReport report_with_snr(double snr_db) {
  ProbeReport r;
  r.valid = true;
  r.periods_used = 18;
  for (int i = 0; i < kProbeToneCount; ++i) {
    r.tones[static_cast<std::size_t>(i)].freq_hz = probe_tone_freq_hz(i);
    r.tones[static_cast<std::size_t>(i)].snr_db = snr_db;
  }
  r.offset_1050_hz = 0.5;
  return r;
}

struct Side {
  Phase2Controller ctl;
  // transmitter
  enum class Tx { silent, info, tone, probe } tx = Tx::silent;
  InfoKind kind = InfoKind::info0;
  InfoBits bits{};
  InfoBits next_bits{};  // replaces `bits` at the next frame boundary
  bool have_next = false;
  bool repeat = false;
  int left = 0;          // send_info frames left
  SampleIndex frame_start = 0;
  SampleIndex probe_start = -1;
  SampleIndex tone_start = -1;
  std::vector<Phase2Action> pending;
  std::vector<SampleIndex> reversals;  // sent
  std::optional<Phase2Action> analysis;
};

struct Sim {
  Side caller, answerer;
  SampleIndex delay;                 // one way
  std::function<ProbeReport(bool to_caller)> probe_report = [](bool) { return report_with_snr(45); };
  bool drop_caller_reversal = false;  // the caller's reply never arrives
  std::vector<std::pair<SampleIndex, std::function<void()>>> deliveries;

  Sim(SampleIndex one_way, const Phase2Timing& t = {})
      : caller{Phase2Controller(V8Role::caller, full_info0(), t), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}},
        answerer{Phase2Controller(V8Role::answerer, full_info0(), t), {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}},
        delay(one_way) {}

  Side& far(Side& s) { return &s == &caller ? answerer : caller; }
  void later(SampleIndex at, std::function<void()> f) { deliveries.emplace_back(at, std::move(f)); }

  SampleIndex frame_len(const InfoBits& b) const {
    return static_cast<SampleIndex>(std::llround(static_cast<double>(b.size) * kSamplesPerBit));
  }

  void apply(Side& s, const Phase2Action& a, SampleIndex now) {
    Side& f = far(s);
    switch (a.kind) {
      case Phase2ActionKind::silence: s.tx = Side::Tx::silent; break;
      case Phase2ActionKind::repeat_info:
        if (s.tx == Side::Tx::info && s.repeat) {
          s.next_bits = a.info;
          s.have_next = true;
        } else {
          s.tx = Side::Tx::info;
          s.kind = a.info_kind;
          s.bits = a.info;
          s.repeat = true;
          s.frame_start = now;
        }
        break;
      case Phase2ActionKind::send_info:
        s.tx = Side::Tx::info;
        s.kind = a.info_kind;
        s.bits = a.info;
        s.repeat = false;
        s.left = a.count;
        s.frame_start = now;
        break;
      case Phase2ActionKind::tone:
        s.tx = Side::Tx::tone;
        s.tone_start = now;
        later(now + delay + 400, [&f, this, start = now] {  // 50 ms of unmodulated carrier heard
          if (f.ctl.wants_tone() || true) f.ctl.on_far_tone(start + delay + 400);
        });
        break;
      case Phase2ActionKind::reverse_tone:
        s.reversals.push_back(now);
        if (&s == &caller && drop_caller_reversal) break;
        later(now + delay + 40, [&f, this, now] { f.ctl.on_reversal(static_cast<double>(now + delay), now + delay + 40); });
        break;
      case Phase2ActionKind::send_probe:
        s.tx = Side::Tx::probe;
        s.probe_start = now;
        later(now + 1280 + 3200, [&s, this, now] {
          s.tx = Side::Tx::silent;
          s.ctl.on_tx_done(now + 1280 + 3200);
        });
        break;
      case Phase2ActionKind::analyse_probe: {
        const SampleIndex end = a.at + static_cast<SampleIndex>(a.periods) * 160;
        later(end, [&s, &f, this, a, end] {
          const bool inside = f.probe_start >= 0 && a.at >= f.probe_start + delay + 1280 &&
                              end <= f.probe_start + delay + 1280 + 3200;
          ProbeReport r = inside ? probe_report(&s == &caller) : ProbeReport{};
          s.ctl.on_probe_report(r, end);
        });
        break;
      }
      case Phase2ActionKind::finished: break;
    }
  }

  void step_tx(Side& s, SampleIndex now) {
    if (s.tx != Side::Tx::info || now != s.frame_start + frame_len(s.bits)) return;
    // A frame ends: the far side decodes it after the delay.
    Side& f = far(s);
    const InfoBits sent = s.bits;
    const InfoKind kind = s.kind;
    later(now + delay, [&f, sent, kind, this, now] {
      const SampleIndex at = now + delay;
      if (!f.ctl.expected_info().has(kind)) return;
      if (kind == InfoKind::info0) {
        if (auto d = decode_info0(sent.view()); d.info) f.ctl.on_info0(*d.info, at);
      } else if (kind == InfoKind::info1c) {
        if (auto d = decode_info1c(sent.view()); d.info) f.ctl.on_info1c(*d.info, at);
      } else if (auto d = decode_info1a(sent.view()); d.info) {
        f.ctl.on_info1a(*d.info, at);
      }
    });
    if (kind == InfoKind::info0) s.ctl.on_info0_sent(now, sent.data[28] != 0);
    if (s.repeat) {
      if (s.have_next) {
        s.bits = s.next_bits;
        s.have_next = false;
      }
      s.frame_start = now;
    } else if (--s.left > 0) {
      s.frame_start = now;
    } else {
      s.tx = Side::Tx::silent;
      s.ctl.on_tx_done(now);
    }
  }

  void run(SampleIndex max_samples = 80000) {
    caller.ctl.start(0);
    answerer.ctl.start(0);
    for (SampleIndex now = 0; now < max_samples; ++now) {
      for (std::size_t i = 0; i < deliveries.size();) {
        if (deliveries[i].first <= now) {
          auto f = std::move(deliveries[i].second);
          deliveries.erase(deliveries.begin() + static_cast<std::ptrdiff_t>(i));
          f();
        } else {
          ++i;
        }
      }
      for (Side* s : {&caller, &answerer}) {
        step_tx(*s, now);
        if (s->ctl.next_deadline() <= now) s->ctl.on_time(now);
        Phase2Action a;
        while (s->ctl.pop_action(a)) s->pending.push_back(a);
        for (std::size_t i = 0; i < s->pending.size();) {
          if (s->pending[i].at <= now) {
            const Phase2Action due = s->pending[i];
            s->pending.erase(s->pending.begin() + static_cast<std::ptrdiff_t>(i));
            apply(*s, due, now);
          } else {
            ++i;
          }
        }
      }
      if (caller.ctl.finished() && answerer.ctl.finished() && deliveries.empty()) break;
    }
  }
};

}  // namespace

TEST_CASE("phase 2 end to end: INFO0, ranging, both probes, INFO1c/INFO1a, one decision") {
  for (SampleIndex one_way : {SampleIndex{0}, SampleIndex{37}, SampleIndex{400}}) {
    CAPTURE(one_way);
    Sim sim(one_way);
    sim.run();
    const Phase2Result& c = sim.caller.ctl.result();
    const Phase2Result& a = sim.answerer.ctl.result();
    REQUIRE(c.outcome == V8Outcome::connected);
    REQUIRE(a.outcome == V8Outcome::connected);
    // RTD = two one-way delays (the reversal reports carry the exact instant).
    REQUIRE(a.rtd_ms.has_value());
    REQUIRE(c.rtd_ms.has_value());
    CHECK(*a.rtd_ms == doctest::Approx(2.0 * static_cast<double>(one_way) / 8.0).epsilon(1e-9));
    CHECK(*c.rtd_ms == doctest::Approx(2.0 * static_cast<double>(one_way) / 8.0).epsilon(1e-9));
    // 45 dB per 50 Hz bin (40.2 dB per tone share) everywhere: 33600 at 3429 baud both ways.
    CHECK(a.call_to_answer.bit_rate == 33600);
    CHECK(a.call_to_answer.symbol_rate_baud == 3429);
    CHECK(a.answer_to_call.bit_rate == 33600);
    // Both sides hold the same decision.
    CHECK(c.call_to_answer.bit_rate == a.call_to_answer.bit_rate);
    CHECK(c.call_to_answer.symbol_rate_code == a.call_to_answer.symbol_rate_code);
    CHECK(c.answer_to_call.bit_rate == a.answer_to_call.bit_rate);
    CHECK(c.answer_to_call.symbol_rate_code == a.answer_to_call.symbol_rate_code);
    // The answerer reversed twice, the caller once; the caller's came 40 ms after the first arrived.
    REQUIRE(sim.answerer.reversals.size() == 2);
    REQUIRE(sim.caller.reversals.size() == 1);
    CHECK(sim.caller.reversals[0] - (sim.answerer.reversals[0] + one_way) == 320);
    CHECK(sim.answerer.reversals[1] - (sim.caller.reversals[0] + one_way) == 320);
    // INFO1a went out with the answerer's choice; INFO1c with the caller's measurements.
    REQUIRE(a.info1c.has_value());
    CHECK(a.info1c->rates[5].max_rate_2400bps == 14);
  }
}

TEST_CASE("phase 2: asymmetric lines give each direction its own rate") {
  Sim sim(100);
  sim.probe_report = [](bool to_caller) { return report_with_snr(to_caller ? 30 : 40); };
  sim.run();
  const Phase2Result& c = sim.caller.ctl.result();
  const Phase2Result& a = sim.answerer.ctl.result();
  REQUIRE(c.outcome == V8Outcome::connected);
  REQUIRE(a.outcome == V8Outcome::connected);
  // answer->call measured by the caller at 30 dB/bin (25.2 dB per tone share).
  CHECK(c.answer_to_call.bit_rate < a.call_to_answer.bit_rate);
  CHECK(c.answer_to_call.bit_rate == a.answer_to_call.bit_rate);
  CHECK(c.call_to_answer.bit_rate == a.call_to_answer.bit_rate);
}

TEST_CASE("phase 2 failures end with their reason, never hang") {
  SUBCASE("the caller's reversal never arrives: ranging fails after the retries") {
    Sim sim(50);
    sim.drop_caller_reversal = true;
    sim.run();
    CHECK(sim.answerer.ctl.result().failure == Phase2Failure::no_reversal_reply);
    CHECK(sim.answerer.ctl.result().reversal_tries == 3);
    CHECK(sim.caller.ctl.finished());
  }
  SUBCASE("a line too bad for any rate") {
    Sim sim(50);
    sim.probe_report = [](bool) { return report_with_snr(0); };
    sim.run();
    CHECK(sim.answerer.ctl.result().failure == Phase2Failure::nothing_usable);
    CHECK(sim.caller.ctl.finished());
  }
  SUBCASE("a silent far end: no INFO0") {
    Phase2Controller c(V8Role::caller, full_info0());
    c.start(0);
    c.on_time(100000);
    CHECK(c.result().failure == Phase2Failure::no_info0);
    CHECK(c.result().ended_at == 40000);
    CHECK_FALSE(phase2_failure_description(c.result().failure).empty());
  }
}
