// spandsp 0.0.6's V.8 (v8_init / v8_rx / v8_tx) wrapped as a squeal "peer":
// a real, independent V.8 caller or answerer for interop tests and benchmarks.
// spandsp is a bench/test-only dependency: this file is compiled into the
// squeal_bench library only, never into libsqueal. Built without spandsp, the
// peer throws on construction and available() is false.
//
// Quirks of the 0.0.6 peer handled here (../shared/spec/v8.md, "Known quirks"):
// - v8_tx returns fewer samples than asked when it has nothing to send: the
//   int16 buffer is zeroed before each call, never padded after it.
// - Its answerer copies the caller's whole modulation list into JM unless the
//   application narrows result->modulations in the V8_STATUS_V8_OFFERED
//   callback; the answerer peer narrows it to (caller's offer ∩ own menu).
// - Its caller waits for ANSam without a time-out: a caller peer that never
//   hears ANSam never finishes (run a time limit outside).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "bench/spandsp_reference.h"
#include "dsp/types.h"
#include "negotiation/v8_codec.h"

namespace squeal::bench {

/// What spandsp reported (final status, modes).
struct SpandspV8Result {
  bool finished = false;              // spandsp reported a final status
  bool connected = false;             // V8_STATUS_V8_CALL (negotiation done)
  int status = 0;                     // raw spandsp status code (V8_STATUS_*)
  std::string status_text;            // "V.8 call" / "non-V.8 call" / "failed"
  std::optional<V8Modulation> mode;   // best of (spandsp's result->modulations ∩ own menu), preferred_modulation order
  V8Modulations far_modulations;      // what the far end offered (caller: JM, answerer: CM)
  SampleIndex finished_at = -1;       // sample index (end of the 160-sample block) of the final status
};

/// Bits of spandsp's `v8_modulation_e` (V8_MOD_*) for a set of squeal modes, and back.
/// Both directions use one table. Return 0 / empty without spandsp.
unsigned to_spandsp_modulations(V8Modulations modulations) noexcept;
V8Modulations from_spandsp_modulations(unsigned spandsp_bits) noexcept;

class SpandspV8Peer {
 public:
  /// Samples per spandsp call; also the peer's latency (see process()).
  static constexpr int kBlockSamples = 160;

  /// calling: true for the caller (hears ANSam, sends CM, CJ), false for the
  /// answerer (sends ANSam/ with phase reversals, JM). menu: modulations, LAPM,
  /// PSTN access, PCM availability and call function go into v8_parms_t.
  /// Throws std::runtime_error if built without spandsp, std::invalid_argument
  /// if the menu has no modulation spandsp can send.
  SpandspV8Peer(bool calling, const V8Menu& menu);
  ~SpandspV8Peer();
  SpandspV8Peer(const SpandspV8Peer&) = delete;
  SpandspV8Peer& operator=(const SpandspV8Peer&) = delete;

  /// Float samples ±1.0 full scale in and out (int16 scaling 32767),
  /// rx.size() == tx.size() (only the common length is used). Samples are
  /// gathered into 160-sample blocks aligned to the absolute sample index, so
  /// the result does not depend on chunking; tx lags by latency() samples
  /// (the first block out is silence).
  void process(std::span<const float> rx, std::span<float> tx) noexcept;

  [[nodiscard]] const SpandspV8Result& result() const noexcept { return result_; }
  /// spandsp reported a final status (the endpoint interface of negotiation/call.h).
  [[nodiscard]] bool finished() const noexcept { return result_.finished; }
  [[nodiscard]] bool calling() const noexcept { return calling_; }
  /// Samples consumed so far (absolute index of the next rx sample).
  [[nodiscard]] SampleIndex position() const noexcept { return position_; }
  [[nodiscard]] static constexpr int latency() noexcept { return kBlockSamples; }

  /// Built with spandsp.
  static bool available() noexcept;

  struct Impl;  // spandsp state and callback glue (spandsp_v8_peer.cc)

 private:
  void run_block() noexcept;

  bool calling_;                                  // caller (true) or answerer
  V8Modulations own_modulations_;                 // this side's menu
  std::unique_ptr<Impl> impl_;                    // spandsp context, int16 buffers
  float rx_block_[kBlockSamples] = {};            // rx samples of the block being gathered
  float tx_block_[kBlockSamples] = {};            // tx samples of the last block spandsp made
  int fill_ = 0;                                  // samples gathered in rx_block_
  SampleIndex position_ = 0;                      // absolute index of the next rx sample
  SpandspV8Result result_;                        // what spandsp has reported
};

/// One spandsp caller + answerer call, wired back to back (each tx feeds the
/// other's rx; 160-sample blocks; each peer adds its one-block latency).
struct SpandspV8PairRun {
  SpandspV8Result caller;   // the caller's report
  SpandspV8Result answerer; // the answerer's report
  SampleIndex samples = 0;  // samples each side processed until both finished (or the limit)
};

/// Runs one call from fresh peers until both report a final status or
/// max_seconds of audio have passed. Throws like SpandspV8Peer's constructor.
SpandspV8PairRun run_spandsp_v8_pair(const V8Menu& caller_menu, const V8Menu& answerer_menu,
                                     double max_seconds = 10.0);

/// One whole call from fresh peers per invocation, in the bench suite's Pass
/// form (bench/spandsp_reference.h): returns the samples each side processed
/// (the same every time for given menus), 0 if the call did not connect.
/// Empty Pass without spandsp.
Pass make_spandsp_v8_pair_pass(const V8Menu& caller_menu, const V8Menu& answerer_menu);

/// × real time of a spandsp pair completing one V.8 call: call audio seconds
/// (both sides together count as one call time) / thread CPU seconds, whole
/// calls repeated until min_cpu_seconds have been spent, best of `repetitions`.
/// Throws std::runtime_error without spandsp or if a call does not connect.
double measure_spandsp_v8_pair_x_realtime(const V8Menu& caller_menu, const V8Menu& answerer_menu,
                                          double min_cpu_seconds = 0.3, int repetitions = 3);

}  // namespace squeal::bench
