#include "bench/spandsp_reference.h"

#include <algorithm>
#include <memory>
#include <vector>

#ifdef SQUEAL_HAVE_SPANDSP
#include <spandsp.h>
#endif

namespace squeal::bench {

#ifdef SQUEAL_HAVE_SPANDSP

namespace {

/// Calls fn(block) for consecutive blocks of `block_length` samples (last one may be short).
template <class Fn>
void for_each_block(std::span<const std::int16_t> signal, int block_length, Fn&& fn) {
  const std::size_t block = static_cast<std::size_t>(block_length);
  for (std::size_t i = 0; i < signal.size(); i += block) {
    fn(signal.subspan(i, std::min(block, signal.size() - i)));
  }
}

struct GoertzelReference {
  std::vector<goertzel_descriptor_t> descriptors;  // one per tone
  std::vector<goertzel_state_t> states;            // one per tone
  double sink = 0;                                 // Σ results, keeps them live
};

struct AnsamReference {
  std::unique_ptr<modem_connect_tones_rx_state_t, int (*)(modem_connect_tones_rx_state_t*)> state{
      nullptr, modem_connect_tones_rx_free};  // spandsp detector
  std::uint64_t reports = 0;                   // tone reports (code != NONE) this pass
};

struct DtmfReference {
  std::unique_ptr<dtmf_rx_state_t, int (*)(dtmf_rx_state_t*)> state{nullptr, dtmf_rx_free};  // spandsp receiver
  std::uint64_t digits = 0;                                                                  // digits this pass
};

struct V21Reference {
  std::unique_ptr<fsk_rx_state_t, int (*)(fsk_rx_state_t*)> state{nullptr, fsk_rx_free};  // spandsp receiver
  std::uint64_t bursts = 0;                                                               // carrier-up reports this pass
};

void on_v21_bit(void* user_data, int bit) {
  // Data bits are 0/1; negative values are status reports (carrier up/down, ...).
  if (bit == SIG_STATUS_CARRIER_UP) ++static_cast<V21Reference*>(user_data)->bursts;
}

void on_tone(void* user_data, int code, int /*level*/, int /*delay*/) {
  if (code != MODEM_CONNECT_TONES_NONE) ++static_cast<AnsamReference*>(user_data)->reports;
}

void on_digits(void* user_data, const char* /*digits*/, int len) {
  static_cast<DtmfReference*>(user_data)->digits += static_cast<std::uint64_t>(std::max(len, 0));
}

}  // namespace

bool spandsp_available() noexcept { return true; }

std::string_view spandsp_label() noexcept {
#ifdef SQUEAL_SPANDSP_VERSION
  return "spandsp " SQUEAL_SPANDSP_VERSION;
#else
  return "spandsp";
#endif
}

Pass make_spandsp_goertzel_pass(std::span<const std::int16_t> signal, std::span<const double> freqs_hz,
                                int block_length) {
  auto ref = std::make_shared<GoertzelReference>();
  ref->descriptors.resize(freqs_hz.size());
  ref->states.resize(freqs_hz.size());
  for (std::size_t k = 0; k < freqs_hz.size(); ++k) {
    make_goertzel_descriptor(&ref->descriptors[k], static_cast<float>(freqs_hz[k]), block_length);
  }
  return [ref, signal, block_length]() -> std::uint64_t {
    for (std::size_t k = 0; k < ref->states.size(); ++k) goertzel_init(&ref->states[k], &ref->descriptors[k]);
    std::uint64_t blocks = 0;
    double sum = 0;
    for_each_block(signal, block_length, [&](std::span<const std::int16_t> block) {
      if (block.size() != static_cast<std::size_t>(block_length)) return;  // like squeal: whole blocks only
      for (goertzel_state_t& s : ref->states) {
        goertzel_update(&s, block.data(), block_length);
        sum += static_cast<double>(goertzel_result(&s));  // also resets s for the next block
      }
      ++blocks;
    });
    ref->sink += sum;
    return blocks;
  };
}

Pass make_spandsp_ansam_pass(std::span<const std::int16_t> signal, int block_length) {
  auto ref = std::make_shared<AnsamReference>();
  ref->state.reset(modem_connect_tones_rx_init(nullptr, MODEM_CONNECT_TONES_ANSAM_PR, on_tone, ref.get()));
  return [ref, signal, block_length]() -> std::uint64_t {
    modem_connect_tones_rx_init(ref->state.get(), MODEM_CONNECT_TONES_ANSAM_PR, on_tone, ref.get());
    ref->reports = 0;
    for_each_block(signal, block_length, [&](std::span<const std::int16_t> block) {
      modem_connect_tones_rx(ref->state.get(), block.data(), static_cast<int>(block.size()));
    });
    return ref->reports;
  };
}

Pass make_spandsp_dtmf_pass(std::span<const std::int16_t> signal, int block_length) {
  auto ref = std::make_shared<DtmfReference>();
  ref->state.reset(dtmf_rx_init(nullptr, on_digits, ref.get()));
  return [ref, signal, block_length]() -> std::uint64_t {
    dtmf_rx_init(ref->state.get(), on_digits, ref.get());
    ref->digits = 0;
    for_each_block(signal, block_length, [&](std::span<const std::int16_t> block) {
      dtmf_rx(ref->state.get(), block.data(), static_cast<int>(block.size()));
    });
    return ref->digits;
  };
}

Pass make_spandsp_v21_pass(std::span<const std::int16_t> signal, int block_length) {
  auto ref = std::make_shared<V21Reference>();
  ref->state.reset(fsk_rx_init(nullptr, &preset_fsk_specs[FSK_V21CH1], FSK_FRAME_MODE_SYNC, on_v21_bit, ref.get()));
  return [ref, signal, block_length]() -> std::uint64_t {
    fsk_rx_init(ref->state.get(), &preset_fsk_specs[FSK_V21CH1], FSK_FRAME_MODE_SYNC, on_v21_bit, ref.get());
    ref->bursts = 0;
    for_each_block(signal, block_length, [&](std::span<const std::int16_t> block) {
      fsk_rx(ref->state.get(), block.data(), static_cast<int>(block.size()));
    });
    return ref->bursts;
  };
}

#else  // built without spandsp: the bench still runs, references are "unavailable"

bool spandsp_available() noexcept { return false; }
std::string_view spandsp_label() noexcept { return "unavailable"; }
Pass make_spandsp_goertzel_pass(std::span<const std::int16_t>, std::span<const double>, int) { return {}; }
Pass make_spandsp_ansam_pass(std::span<const std::int16_t>, int) { return {}; }
Pass make_spandsp_dtmf_pass(std::span<const std::int16_t>, int) { return {}; }
Pass make_spandsp_v21_pass(std::span<const std::int16_t>, int) { return {}; }

#endif

}  // namespace squeal::bench
