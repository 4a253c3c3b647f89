// ToneDetector: on/off events for a configurable list of single tones or tone
// pairs, on one GoertzelBank (rectangular blocks, no overlap).
//
// Per block and tone: level = power at the tone(s) (dBm0, each tone of a pair
// must pass), SNR = tone power over the rest of the block's power, "rest"
// excluding every configured frequency (so overlapping tones, like V.34
// tone A and tone B, do not mask each other; rest_excludes_other_tones =
// false excludes only the tone's own frequencies). The SNR is wide-band (all of
// the rest of the block), so detection needs about min_snr_db - hysteresis. A tone
// becomes a candidate after 2 consecutive passing blocks, is reported once it
// has lasted min_duration_ms (on stamped at its estimated start) and ends
// after max_gap_ms of failing blocks (off stamped at its estimated end).
// Hysteresis: once a candidate, the level and SNR thresholds drop by
// hysteresis_db, so a tone near threshold in noise does not chatter.
// Edges are placed inside their block from the tone amplitude there over a
// full block's (amplitude grows with the covered part of the block); a tone
// that is masked rather than stopped ends where the masker's power began.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "dsp/events.h"
#include "dsp/goertzel_bank.h"

namespace squeal {

/// Holds events until no earlier event can still be produced, so a detector
/// that back-dates its edges still delivers them in sample order.
class EventStager {
 public:
  /// Inserts e in sample order (after equal samples). Full: goes straight out.
  void push(const Event& e, EventQueue& out) noexcept;
  /// Moves every held event with sample <= watermark to out, in order.
  void release(SampleIndex watermark, EventQueue& out) noexcept;
  void clear() noexcept { size_ = 0; }

 private:
  static constexpr std::size_t kCapacity = 64;
  std::array<Event, kCapacity> held_{};  // sorted by sample
  std::size_t size_ = 0;                 // events held
};

class ToneDetector {
 public:
  struct Tone {
    Signal signal = Signal::tone;  // reported signal
    double freq_hz = 0;            // 50 <= f < 3950 Hz
    double freq2_hz = 0;           // second tone of a pair, 0 for a single tone
    double min_level_dbm0 = -43;   // per tone (V.25 / T.30 receivers reach -43 dBm0)
    double min_duration_ms = 100;  // reported only once it lasted this long, >= 2 blocks
    double min_snr_db = 6;         // tone power over rest of the block
    double max_twist_db = 10;      // pair: stronger over weaker tone (a lone tone leaks into the other)
  };
  struct Config {
    std::vector<Tone> tones;   // 1..32 tones
    int block_length = 80;     // samples, 10 ms: 100 Hz bins, centred on every multiple of 100 Hz
    double hysteresis_db = 3;  // threshold drop once a tone is a candidate
    double max_gap_ms = 20;    // failing time that still ends a tone (shorter drop-outs bridged)
    bool rest_excludes_other_tones = true;  // false: SNR is over everything but this tone
  };

  /// CNG 1100 Hz (T.30), CT 1300 Hz (V.25), V.34 tone A 2400 Hz and tone B
  /// 1200 Hz. 2100 Hz answer tones belong to the ANSam detector.
  static Config signalling_tones();

  ToneDetector() : ToneDetector(signalling_tones()) {}
  /// Throws std::invalid_argument naming a bad value.
  explicit ToneDetector(const Config& config);

  void process(std::span<const float> in, EventQueue& out) noexcept;
  void reset() noexcept;

 private:
  struct Track {
    Tone tone;                        // configuration
    int index = 0;                    // bank index of freq_hz
    int index2 = -1;                  // bank index of freq2_hz, -1 if single
    float on_power = 0;               // min_level as mean square (per tone)
    float stay_power = 0;             // ... minus hysteresis
    float on_snr = 0;                 // min_snr as a power ratio
    float stay_snr = 0;               // ... minus hysteresis
    float max_twist = 0;              // max_twist_db as a power ratio
    SampleIndex min_on_samples = 0;   // min_duration in samples
    // State.
    int state = 0;                    // 0 idle, 1 candidate, 2 reported
    bool prev_hit = false;            // previous block passed
    float prev_amplitude = 0;         // tone amplitude of the previous block
    float prev2_amplitude = 0;        // ... and of the one before
    float prev_rest = 0;              // rest-of-block power of the previous block
    SampleIndex start = 0;            // estimated start of the current tone
    SampleIndex last_hit_end = 0;     // end of the last passing block
    float last_hit_amplitude = 0;     // its tone amplitude
    float first_miss_amplitude = 0;   // amplitude of the first failing block after it
    float first_miss_rest = 0;        // rest-of-block power of that block
    int misses = 0;                   // consecutive failing blocks
    SampleIndex last_end = 0;         // end of the previous reported tone
    double power_sum = 0;             // Σ tone power over passing blocks but the first and newest
    double rest_sum = 0;              // Σ rest-of-block power over the same
    int hit_blocks = 0;               // blocks summed
    float pending_power = 0;          // tone power of the newest passing block
    float pending_rest = 0;           // its rest-of-block power
  };

  void on_block(const GoertzelBank::Block& block, EventQueue& out) noexcept;
  void update(Track& t, const GoertzelBank::Block& block, float rest, EventQueue& out) noexcept;
  Event make_event(const Track& t, Edge edge, SampleIndex sample) const noexcept;

  Config config_;              // as constructed
  GoertzelBank bank_;          // every distinct frequency of the tone list
  int miss_blocks_ = 2;        // failing blocks that end a tone
  std::vector<Track> tracks_;  // one per configured tone
  EventStager stager_;         // keeps output in sample order
};

}  // namespace squeal
