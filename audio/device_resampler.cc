// RateConverter and DeviceResampler (see device_resampler.h).
#include "audio/device_resampler.h"

#include <liquid/liquid.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

#include "audio/spsc_ring.h"

namespace squeal {

namespace {

constexpr float kStopBandDb = 60.0f;            // Kaiser stop-band attenuation
constexpr unsigned kFilterBankPhases = 64;      // polyphase branches (resamp_rrrf interpolates between them)
constexpr std::size_t kRxChunkDevice = 1024;    // device samples popped from the RX ring per conversion
constexpr std::size_t kTxChunkDsp = 256;        // DSP samples converted per TX step

resamp_rrrf as_resamp(void* p) noexcept { return static_cast<resamp_rrrf>(p); }

}  // namespace

// The low-pass, at the input rate: -6 dB at 100 Hz under the lower rate's
// Nyquist (3900 Hz between 8 kHz and anything faster), transition 1/16 of the
// lower rate (500 Hz). Kaiser at 60 dB: flat to 3650 Hz, >= 60 dB down from
// 4150 Hz, so a decimated alias of anything above 4150 Hz lands above 3850 Hz
// (outside the band V.34 probing measures, 150..3750 Hz) 60 dB down, and
// interpolated images of the band start at 4250 Hz, 60 dB down.
// Taps per side (Kaiser estimate): m = (As - 7.95) / (14.36 df) / 2, df
// normalised to the input rate: 48 kHz -> 8 kHz m = 175 (351 taps per output
// sample), 8 kHz -> 48 kHz m = 30 (61 taps per output). Both under 3 M
// multiply-adds per second.
RateConverter::RateConverter(double rate_in_hz, double rate_out_hz) {
  if (!(rate_in_hz > 0) || !std::isfinite(rate_in_hz)) {
    throw std::invalid_argument("resampler input rate " + std::to_string(rate_in_hz) + " Hz must be > 0");
  }
  if (!(rate_out_hz > 0) || !std::isfinite(rate_out_hz)) {
    throw std::invalid_argument("resampler output rate " + std::to_string(rate_out_hz) + " Hz must be > 0");
  }
  const double ratio = rate_out_hz / rate_in_hz;
  if (ratio < 1.0 / 16 || ratio > 16) {
    throw std::invalid_argument("resampling " + std::to_string(rate_in_hz) + " Hz to " + std::to_string(rate_out_hz) +
                                " Hz is outside the supported ratio 1/16..16");
  }
  rate_in_hz_ = rate_in_hz;
  rate_out_hz_ = rate_out_hz;
  const double lower_hz = std::min(rate_in_hz, rate_out_hz);
  cutoff_hz_ = lower_hz / 2 - lower_hz / 80;  // 3900 Hz at 8000
  const double transition = (lower_hz / 16) / rate_in_hz;
  const auto semi_length =
      static_cast<unsigned>(std::ceil((kStopBandDb - 7.95) / (14.36 * transition) / 2.0)) + 1;
  resampler_ = resamp_rrrf_create(static_cast<float>(ratio), semi_length, static_cast<float>(cutoff_hz_ / rate_in_hz),
                                  kStopBandDb, kFilterBankPhases);
  if (resampler_ == nullptr) {
    throw std::invalid_argument("liquid-dsp refused a resampler from " + std::to_string(rate_in_hz) + " Hz to " +
                                std::to_string(rate_out_hz) + " Hz");
  }
  max_per_input_ = static_cast<std::size_t>(std::ceil(ratio)) + 1;  // liquid: at most ceil(r); +1 for rounding
}

RateConverter::~RateConverter() {
  if (resampler_ != nullptr) resamp_rrrf_destroy(as_resamp(resampler_));
}

RateConverter::RateConverter(RateConverter&& other) noexcept
    : resampler_(std::exchange(other.resampler_, nullptr)),
      rate_in_hz_(other.rate_in_hz_),
      rate_out_hz_(other.rate_out_hz_),
      cutoff_hz_(other.cutoff_hz_),
      max_per_input_(other.max_per_input_) {}

RateConverter& RateConverter::operator=(RateConverter&& other) noexcept {
  if (this != &other) {
    if (resampler_ != nullptr) resamp_rrrf_destroy(as_resamp(resampler_));
    resampler_ = std::exchange(other.resampler_, nullptr);
    rate_in_hz_ = other.rate_in_hz_;
    rate_out_hz_ = other.rate_out_hz_;
    cutoff_hz_ = other.cutoff_hz_;
    max_per_input_ = other.max_per_input_;
  }
  return *this;
}

std::size_t RateConverter::max_output(std::size_t n_in) const noexcept { return n_in * max_per_input_; }

RateConverter::Counts RateConverter::process(std::span<const float> in, std::span<float> out) noexcept {
  const std::size_t n = std::min(in.size(), out.size() / max_per_input_);
  if (n == 0 || resampler_ == nullptr) return {};
  unsigned produced = 0;
  // resamp_rrrf_execute_block takes a non-const pointer but only reads the input.
  resamp_rrrf_execute_block(as_resamp(resampler_), const_cast<float*>(in.data()), static_cast<unsigned>(n), out.data(),
                            &produced);
  return {n, produced};
}

void RateConverter::reset() noexcept {
  if (resampler_ != nullptr) resamp_rrrf_reset(as_resamp(resampler_));
}

DeviceResampler::DeviceResampler(double device_rate_hz, double dsp_rate_hz)
    : down_(device_rate_hz, dsp_rate_hz),
      up_(dsp_rate_hz, device_rate_hz),
      rx_device_(kRxChunkDevice),
      rx_pending_(down_.max_output(kRxChunkDevice)),
      tx_pending_(up_.max_output(kTxChunkDsp)) {}

std::size_t DeviceResampler::read_from(SpscRing& rx, std::span<float> out) noexcept {
  std::size_t done = 0;
  while (true) {
    const std::size_t take = std::min(out.size() - done, rx_pending_end_ - rx_pending_begin_);
    std::copy_n(rx_pending_.begin() + static_cast<std::ptrdiff_t>(rx_pending_begin_), take,
                out.begin() + static_cast<std::ptrdiff_t>(done));
    rx_pending_begin_ += take;
    done += take;
    if (done == out.size()) return done;
    // rx_pending_ is empty now: convert the next chunk of device samples.
    const std::size_t popped = rx.pop(std::span<float>(rx_device_));
    if (popped == 0) return done;
    const RateConverter::Counts c = down_.process(std::span<const float>(rx_device_.data(), popped), rx_pending_);
    rx_pending_begin_ = 0;
    rx_pending_end_ = c.produced;
  }
}

std::size_t DeviceResampler::write_to(SpscRing& tx, std::span<const float> in) noexcept {
  std::size_t done = 0;
  while (true) {
    tx_pending_begin_ += tx.push(std::span<const float>(tx_pending_.data() + tx_pending_begin_,
                                                        tx_pending_end_ - tx_pending_begin_));
    if (!tx_drained() || done == in.size()) return done;
    const std::size_t n = std::min(kTxChunkDsp, in.size() - done);
    const RateConverter::Counts c = up_.process(in.subspan(done, n), tx_pending_);
    tx_pending_begin_ = 0;
    tx_pending_end_ = c.produced;
    done += c.consumed;
  }
}

void DeviceResampler::reset() noexcept {
  down_.reset();
  up_.reset();
  rx_pending_begin_ = rx_pending_end_ = 0;
  tx_pending_begin_ = tx_pending_end_ = 0;
}

}  // namespace squeal
