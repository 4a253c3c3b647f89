#include "bench/spandsp_v8_peer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <stdexcept>
#include <vector>

#if SQUEAL_HAVE_SPANDSP
#include <spandsp.h>
#endif

namespace squeal::bench {

#if SQUEAL_HAVE_SPANDSP

namespace {

/// One row per squeal mode: the V8_MOD_* bit written into v8_parms_t and the
/// bits read back as that mode (spandsp has a separate V.92 bit; V.8's modn0
/// 0x20 means V.90/V.92, squeal's v90).
struct ModulationRow {
  V8Modulation mode;    // squeal's mode
  unsigned sent;        // V8_MOD_* bit this mode sets
  unsigned heard;       // V8_MOD_* bits that read as this mode
};

constexpr std::array<ModulationRow, kV8ModulationCount> kModulationTable{{
    {V8Modulation::v90, V8_MOD_V90, V8_MOD_V90 | V8_MOD_V92},
    {V8Modulation::v34, V8_MOD_V34, V8_MOD_V34},
    {V8Modulation::v32bis, V8_MOD_V32, V8_MOD_V32},
    {V8Modulation::v22bis, V8_MOD_V22, V8_MOD_V22},
    {V8Modulation::v26ter, V8_MOD_V26TER, V8_MOD_V26TER},
    {V8Modulation::v23, V8_MOD_V23, V8_MOD_V23},
    {V8Modulation::v21, V8_MOD_V21, V8_MOD_V21},
    {V8Modulation::v34_hd, V8_MOD_V34HDX, V8_MOD_V34HDX},
    {V8Modulation::v17, V8_MOD_V17, V8_MOD_V17},
    {V8Modulation::v29_hd, V8_MOD_V29, V8_MOD_V29},
    {V8Modulation::v27ter, V8_MOD_V27TER, V8_MOD_V27TER},
    {V8Modulation::v26bis, V8_MOD_V26BIS, V8_MOD_V26BIS},
    {V8Modulation::v23_hd, V8_MOD_V23HDX, V8_MOD_V23HDX},
}};

std::int16_t to_int16(float x) noexcept {
  const float scaled = std::round(x * 32767.0f);
  return static_cast<std::int16_t>(std::clamp(scaled, -32768.0f, 32767.0f));
}

const char* status_text(int status) noexcept {
  switch (status) {
    case V8_STATUS_IN_PROGRESS: return "in progress";
    case V8_STATUS_V8_OFFERED: return "V.8 offered";
    case V8_STATUS_V8_CALL: return "V.8 call";
    case V8_STATUS_NON_V8_CALL: return "non-V.8 call";
    case V8_STATUS_FAILED: return "failed";
    default: return "unknown";
  }
}

int pstn_access_bits(const V8Menu& menu) noexcept {
  if (!menu.has_pstn_access) return 0;
  return (menu.pstn_access.calling_dce_cellular ? V8_PSTN_ACCESS_CALL_DCE_CELLULAR : 0) |
         (menu.pstn_access.answering_dce_cellular ? V8_PSTN_ACCESS_ANSWER_DCE_CELLULAR : 0) |
         (menu.pstn_access.dce_on_digital_network ? V8_PSTN_ACCESS_DCE_ON_DIGITAL : 0);
}

int pcm_bits(const V8Menu& menu) noexcept {
  if (!menu.has_pcm) return 0;
  return (menu.pcm.v90_analogue ? V8_PSTN_PCM_MODEM_V90_V92_ANALOGUE : 0) |
         (menu.pcm.v90_digital ? V8_PSTN_PCM_MODEM_V90_V92_DIGITAL : 0) |
         (menu.pcm.v91 ? V8_PSTN_PCM_MODEM_V91 : 0);
}

}  // namespace

unsigned to_spandsp_modulations(V8Modulations modulations) noexcept {
  unsigned bits = 0;
  for (const ModulationRow& row : kModulationTable) {
    if (modulations.has(row.mode)) bits |= row.sent;
  }
  return bits;
}

V8Modulations from_spandsp_modulations(unsigned spandsp_bits) noexcept {
  V8Modulations out;
  for (const ModulationRow& row : kModulationTable) {
    if ((spandsp_bits & row.heard) != 0) out.set(row.mode);
  }
  return out;
}

struct SpandspV8Peer::Impl {
  SpandspV8Peer* peer = nullptr;                 // owner, for the result callback
  v8_parms_t parms{};                            // what this side offers (copied by v8_init)
  v8_state_t* state = nullptr;                   // spandsp's V.8 context
  std::array<std::int16_t, kBlockSamples> rx16{};  // rx block as int16
  std::array<std::int16_t, kBlockSamples> tx16{};  // tx block as int16 (zeroed before v8_tx)

  /// spandsp's v8_result_handler_t; runs inside v8_rx.
  static void on_result(void* user_data, v8_parms_t* r) {
    SpandspV8Peer& p = *static_cast<SpandspV8Peer*>(user_data);
    if (r->status == V8_STATUS_IN_PROGRESS) return;
    if (r->status == V8_STATUS_V8_OFFERED) {
      // 0.0.6 answerer: the far CM, before JM is built from this very struct.
      // Narrow to (offer ∩ own menu) or JM would echo the caller's list.
      p.result_.far_modulations = from_spandsp_modulations(r->modulations);
      r->modulations &= to_spandsp_modulations(p.own_modulations_);
      return;
    }
    p.result_.finished = true;
    p.result_.status = r->status;
    p.result_.status_text = status_text(r->status);  // short: fits the string's own buffer
    p.result_.finished_at = p.position_;
    p.result_.connected = r->status == V8_STATUS_V8_CALL;
    if (!p.result_.connected) return;
    const V8Modulations reported = from_spandsp_modulations(r->modulations);
    if (p.calling_) p.result_.far_modulations = reported;  // the caller's result is JM's list
    V8Menu joint;
    joint.modulations = reported & p.own_modulations_;
    p.result_.mode = preferred_modulation(joint);
  }
};

SpandspV8Peer::SpandspV8Peer(bool calling, const V8Menu& menu)
    : calling_(calling), own_modulations_(menu.modulations), impl_(std::make_unique<Impl>()) {
  if (menu.modulations.empty()) {
    throw std::invalid_argument("spandsp V.8 peer: menu '" + describe(menu) + "' offers no modulation");
  }
  impl_->peer = this;
  v8_parms_t& p = impl_->parms;
  p.modem_connect_tone = MODEM_CONNECT_TONES_ANSAM_PR;  // answerer sends ANSam/ (V.8 §8.1)
  p.send_ci = 0;                                         // no effect in 0.0.6 (v8.md)
  p.v92 = -1;                                            // no V.92 extension content of our own
  p.call_function = menu.has_call_function ? static_cast<int>(menu.call_function) : V8_CALL_V_SERIES;
  p.modulations = to_spandsp_modulations(menu.modulations);
  p.protocol = menu.has_lapm() ? V8_PROTOCOL_LAPM_V42 : V8_PROTOCOL_NONE;
  p.pstn_access = pstn_access_bits(menu);
  p.pcm_modem_availability = pcm_bits(menu);
  p.nsf = -1;  // not sent
  p.t66 = -1;  // not sent
  impl_->state = v8_init(nullptr, calling ? 1 : 0, &p, &Impl::on_result, this);
  if (impl_->state == nullptr) throw std::runtime_error("spandsp v8_init failed");
}

SpandspV8Peer::~SpandspV8Peer() {
  if (impl_ && impl_->state) v8_free(impl_->state);
}

bool SpandspV8Peer::available() noexcept { return true; }

void SpandspV8Peer::run_block() noexcept {
  for (int i = 0; i < kBlockSamples; ++i) impl_->rx16[static_cast<std::size_t>(i)] = to_int16(rx_block_[i]);
  position_ += kBlockSamples;  // a status reported in this block is stamped with its end
  v8_rx(impl_->state, impl_->rx16.data(), kBlockSamples);
  // v8_tx may return fewer samples than asked (nothing to send, or the FSK
  // count right after a silence): zero first, never pad after (v8.md quirk).
  impl_->tx16.fill(0);
  v8_tx(impl_->state, impl_->tx16.data(), kBlockSamples);
  for (int i = 0; i < kBlockSamples; ++i) tx_block_[i] = impl_->tx16[static_cast<std::size_t>(i)] / 32767.0f;
}

void SpandspV8Peer::process(std::span<const float> rx, std::span<float> tx) noexcept {
  const std::size_t n = std::min(rx.size(), tx.size());
  for (std::size_t i = 0; i < n; ++i) {
    tx[i] = tx_block_[fill_];
    rx_block_[fill_] = rx[i];
    if (++fill_ == kBlockSamples) {
      fill_ = 0;
      run_block();
    }
  }
}

#else  // built without spandsp

unsigned to_spandsp_modulations(V8Modulations) noexcept { return 0; }
V8Modulations from_spandsp_modulations(unsigned) noexcept { return {}; }

struct SpandspV8Peer::Impl {};

SpandspV8Peer::SpandspV8Peer(bool calling, const V8Menu& menu) : calling_(calling), own_modulations_(menu.modulations) {
  throw std::runtime_error("spandsp V.8 peer unavailable: squeal was built without spandsp");
}
SpandspV8Peer::~SpandspV8Peer() = default;
bool SpandspV8Peer::available() noexcept { return false; }
void SpandspV8Peer::run_block() noexcept {}
void SpandspV8Peer::process(std::span<const float>, std::span<float> tx) noexcept {
  std::fill(tx.begin(), tx.end(), 0.0f);
}

#endif

SpandspV8PairRun run_spandsp_v8_pair(const V8Menu& caller_menu, const V8Menu& answerer_menu, double max_seconds) {
  SpandspV8Peer caller(true, caller_menu);
  SpandspV8Peer answerer(false, answerer_menu);
  constexpr std::size_t kBlock = SpandspV8Peer::kBlockSamples;
  std::array<float, kBlock> to_caller{};    // answerer's last block, the caller's rx
  std::array<float, kBlock> to_answerer{};  // caller's last block, the answerer's rx
  std::array<float, kBlock> out{};
  const SampleIndex limit = seconds_to_samples(max_seconds);
  SpandspV8PairRun run;
  while (run.samples < limit && !(caller.result().finished && answerer.result().finished)) {
    caller.process(to_caller, out);
    to_answerer = out;
    answerer.process(to_answerer, out);
    to_caller = out;
    run.samples += static_cast<SampleIndex>(kBlock);
  }
  run.caller = caller.result();
  run.answerer = answerer.result();
  return run;
}

Pass make_spandsp_v8_pair_pass(const V8Menu& caller_menu, const V8Menu& answerer_menu) {
  if (!SpandspV8Peer::available()) return {};
  return [caller_menu, answerer_menu]() -> std::uint64_t {
    const SpandspV8PairRun run = run_spandsp_v8_pair(caller_menu, answerer_menu);
    const bool ok = run.caller.connected && run.answerer.connected;
    return ok ? static_cast<std::uint64_t>(run.samples) : 0;
  };
}

namespace {

double thread_cpu_seconds() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

double measure_spandsp_v8_pair_x_realtime(const V8Menu& caller_menu, const V8Menu& answerer_menu,
                                          double min_cpu_seconds, int repetitions) {
  if (!SpandspV8Peer::available()) throw std::runtime_error("spandsp V.8 peer unavailable");
  double best = 0;
  for (int rep = 0; rep < std::max(repetitions, 1); ++rep) {
    double audio_seconds = 0;
    const double start = thread_cpu_seconds();
    double elapsed = 0;
    do {
      const SpandspV8PairRun run = run_spandsp_v8_pair(caller_menu, answerer_menu);
      if (!run.caller.connected || !run.answerer.connected) {
        throw std::runtime_error("spandsp V.8 pair did not connect (caller: " + run.caller.status_text +
                                 ", answerer: " + run.answerer.status_text + ")");
      }
      audio_seconds += samples_to_seconds(run.samples);
      elapsed = thread_cpu_seconds() - start;
    } while (elapsed < min_cpu_seconds);
    best = std::max(best, audio_seconds / elapsed);
  }
  return best;
}

}  // namespace squeal::bench
