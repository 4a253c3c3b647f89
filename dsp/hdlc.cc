#include "dsp/hdlc.h"

#include <algorithm>

namespace squeal {

namespace {

// Byte-wise table of the reflected CRC-16 (polynomial 0x8408), built at compile time.
constexpr std::array<std::uint16_t, 256> make_crc_table() {
  std::array<std::uint16_t, 256> table{};
  for (unsigned i = 0; i < 256; ++i) {
    std::uint16_t crc = static_cast<std::uint16_t>(i);
    for (int k = 0; k < 8; ++k) crc = (crc & 1U) != 0 ? static_cast<std::uint16_t>((crc >> 1) ^ 0x8408U) : static_cast<std::uint16_t>(crc >> 1);
    table[i] = crc;
  }
  return table;
}

constexpr std::array<std::uint16_t, 256> kCrcTable = make_crc_table();

}  // namespace

std::uint16_t crc16_itu(std::span<const std::uint8_t> octets, std::uint16_t crc) noexcept {
  for (const std::uint8_t o : octets) crc = static_cast<std::uint16_t>((crc >> 8) ^ kCrcTable[(crc ^ o) & 0xFFU]);
  return crc;
}

std::array<std::uint8_t, 2> hdlc_fcs(std::span<const std::uint8_t> octets) noexcept {
  const std::uint16_t fcs = static_cast<std::uint16_t>(~crc16_itu(octets));
  return {static_cast<std::uint8_t>(fcs & 0xFFU), static_cast<std::uint8_t>(fcs >> 8)};
}

void HdlcReceiver::push(bool bit, SampleIndex stamp) noexcept {
  stamps_[bits_seen_ % stamps_.size()] = stamp;
  ++bits_seen_;
  if (bit) {
    // A run of 1s is held until it ends: five then 0 is data plus a stuffed
    // 0, six then 0 is a flag, seven is an abort.
    if (++ones_ >= 7) {
      if (synced_ && (count_ > 0 || partial_bits_ > 1)) ++aborts_;
      if (synced_) hunt();
    }
    return;
  }
  const int ones = ones_;
  ones_ = 0;
  if (ones == 6) {
    // The flag's 8 bits are the last 8 pushed (its leading 0 went in as data).
    const std::uint64_t back = std::min<std::uint64_t>(bits_seen_, 8);
    on_flag(stamps_[(bits_seen_ - back) % stamps_.size()], stamp);
    return;
  }
  if (ones > 6 || !synced_) return;  // after an abort: hunting
  for (int k = 0; k < ones; ++k) data_bit(true);
  if (ones != 5) data_bit(false);  // after five 1s the 0 was stuffed: drop it
}

void HdlcReceiver::data_bit(bool bit) noexcept {
  if (bit) partial_ = static_cast<std::uint8_t>(partial_ | (1U << partial_bits_));
  if (++partial_bits_ < 8) return;
  if (count_ < frame_.octets.size() + 2) {
    if (count_ < frame_.octets.size()) {
      frame_.octets[count_] = partial_;
    } else {
      fcs_tail_[count_ - frame_.octets.size()] = partial_;
    }
    ++count_;
  } else {
    overflow_ = true;
  }
  partial_ = 0;
  partial_bits_ = 0;
}

void HdlcReceiver::on_flag(SampleIndex flag_start, SampleIndex flag_end) noexcept {
  if (!synced_) {
    synced_ = true;
    flags_ = 0;
  } else if (count_ == 0 && partial_bits_ <= 1) {
    // Another flag of the run (its leading 0, if any, is the only data bit).
  } else if (partial_bits_ == 1 && count_ >= 3 && !overflow_) {
    // A frame: octets, then the FCS in the last two.
    const std::size_t n = count_;
    const auto octet_at = [this](std::size_t i) {
      return i < frame_.octets.size() ? frame_.octets[i] : fcs_tail_[i - frame_.octets.size()];
    };
    std::uint16_t crc = crc16_itu({frame_.octets.data(), std::min(n, frame_.octets.size())});
    for (std::size_t i = frame_.octets.size(); i < n; ++i) crc = crc16_itu({&fcs_tail_[i - frame_.octets.size()], 1}, crc);
    frame_.size = n - 2;
    frame_.fcs = static_cast<std::uint16_t>(octet_at(n - 2) | (octet_at(n - 1) << 8));
    frame_.fcs_ok = crc == kHdlcGoodResidue;
    frame_.preamble_flags = flags_;
    frame_.preamble_start = run_start_;
    frame_.start = last_flag_start_;
    frame_.end = flag_end;
    if (frame_.fcs_ok) {
      ++frames_ok_;
    } else {
      ++frames_bad_fcs_;
    }
    if (size_ == kQueueCapacity) {
      ++dropped_;
    } else {
      queue_[(head_ + size_) % kQueueCapacity] = frame_;
      ++size_;
    }
    flags_ = 0;  // the closing flag opens the next run
  } else {
    ++invalid_;
    flags_ = 0;
  }
  if (flags_ == 0) run_start_ = flag_start;
  ++flags_;
  last_flag_start_ = flag_start;
  count_ = 0;
  partial_ = 0;
  partial_bits_ = 0;
  overflow_ = false;
}

void HdlcReceiver::hunt() noexcept {
  synced_ = false;
  count_ = 0;
  partial_ = 0;
  partial_bits_ = 0;
  overflow_ = false;
  flags_ = 0;
}

bool HdlcReceiver::pop(HdlcFrame& out) noexcept {
  if (size_ == 0) return false;
  out = queue_[head_];
  head_ = (head_ + 1) % kQueueCapacity;
  --size_;
  return true;
}

void HdlcReceiver::flush() noexcept {
  ones_ = 0;
  hunt();
}

void HdlcReceiver::reset() noexcept {
  flush();
  bits_seen_ = 0;
  stamps_ = {};
  frame_ = HdlcFrame{};
  fcs_tail_ = {};
  run_start_ = last_flag_start_ = 0;
  head_ = size_ = 0;
  frames_ok_ = frames_bad_fcs_ = aborts_ = invalid_ = dropped_ = 0;
}

}  // namespace squeal
