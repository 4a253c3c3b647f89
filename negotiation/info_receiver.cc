// InfoReceiver: finds V.34 INFO frames in demodulated DPSK bits (negotiation/info_codec.h).
#include "negotiation/info_codec.h"

namespace squeal {

namespace {

constexpr std::uint16_t kHeadWindow = 0xF72;  // fill 1111 + sync 01110010, first bit in bit 11
// Kinds by frame length, shortest first (49, 70, 109 bits).
constexpr std::array<InfoKind, 3> kKindsShortestFirst{InfoKind::info0, InfoKind::info1a, InfoKind::info1c};

// Longest expected kind and its length in bits (0 if none expected).
int longest_expected(InfoKinds expected, InfoKind& kind) noexcept {
  int longest = 0;
  for (InfoKind k : kKindsShortestFirst) {
    if (expected.has(k)) {
      longest = info_frame_bits(k);
      kind = k;
    }
  }
  return longest;
}

}  // namespace

void InfoReceiver::reset() noexcept {
  bit_index_ = 0;
  window_ = 0;
  history_bits_ = 0;
  candidate_count_ = 0;
  queue_head_ = queue_size_ = 0;
  dropped_ = 0;
}

bool InfoReceiver::pop(InfoFrame& out) noexcept {
  if (queue_size_ == 0) return false;
  out = queue_[queue_head_];
  queue_head_ = (queue_head_ + 1) % kQueueCapacity;
  --queue_size_;
  return true;
}

void InfoReceiver::remove_candidate(std::size_t i) noexcept {
  for (std::size_t j = i + 1; j < candidate_count_; ++j) candidates_[j - 1] = candidates_[j];
  --candidate_count_;
}

bool InfoReceiver::crc_checks(std::int64_t start_bit, InfoKind kind) const noexcept {
  // Fields + CRC run through the CRC give 0 (v34-phase2.md).
  std::uint16_t crc = 0xFFFF;
  const int n = info_field_bits(kind) + kInfoCrcBits;
  for (int k = 0; k < n; ++k) {
    const std::uint8_t b = history_[static_cast<std::size_t>(start_bit + kInfoHeadBits + k) % kHistoryBits];
    const bool feedback = ((crc ^ b) & 1u) != 0;
    crc = static_cast<std::uint16_t>(crc >> 1);
    if (feedback) crc ^= 0x8408;
  }
  return crc == 0;
}

void InfoReceiver::emit(std::int64_t start_bit, std::int64_t end_bit, InfoKind kind, bool crc_ok,
                        bool truncated) noexcept {
  if (queue_size_ == kQueueCapacity) {
    ++dropped_;
    return;
  }
  InfoFrame& f = queue_[(queue_head_ + queue_size_) % kQueueCapacity];
  ++queue_size_;
  f = InfoFrame{};
  f.kind = kind;
  f.crc_ok = crc_ok;
  f.truncated = truncated;
  f.size = static_cast<std::uint8_t>(end_bit - start_bit + 1);
  for (std::size_t k = 0; k < f.size; ++k) {
    f.bits[k] = history_[static_cast<std::size_t>(start_bit + static_cast<std::int64_t>(k)) % kHistoryBits];
  }
  f.end_fill_ok = f.size == static_cast<std::size_t>(info_frame_bits(kind));
  for (std::size_t k = f.size >= kInfoFillBits ? f.size - kInfoFillBits : 0; k < f.size; ++k) {
    f.end_fill_ok = f.end_fill_ok && f.bits[k] == 1;
  }
  f.start_bit = start_bit;
  f.end_bit = end_bit;
  f.start_stamp = stamps_[static_cast<std::size_t>(start_bit) % kHistoryBits];
  f.end_stamp = stamps_[static_cast<std::size_t>(end_bit) % kHistoryBits];
}

void InfoReceiver::push(bool bit, std::int64_t stamp) noexcept {
  const std::int64_t now = bit_index_++;
  history_[static_cast<std::size_t>(now) % kHistoryBits] = bit ? 1 : 0;
  stamps_[static_cast<std::size_t>(now) % kHistoryBits] = stamp;
  window_ = static_cast<std::uint16_t>(((window_ << 1) | (bit ? 1u : 0u)) & 0xFFFu);
  if (history_bits_ < kInfoHeadBits) ++history_bits_;

  // Open frames, oldest first: read each at every expected kind's length.
  InfoKind longest_kind = InfoKind::info0;
  const int longest = longest_expected(expected_, longest_kind);
  for (std::size_t i = 0; i < candidate_count_;) {
    const std::int64_t start = candidates_[i];
    const auto length = static_cast<int>(now - start + 1);
    bool done = false;
    for (InfoKind k : kKindsShortestFirst) {
      if (!expected_.has(k) || info_frame_bits(k) != length) continue;
      if (crc_checks(start, k)) {
        emit(start, now, k, true, false);
        // Syncs opened inside a frame whose CRC checked were its own bits.
        std::size_t j = i + 1;
        while (j < candidate_count_) {
          if (candidates_[j] <= now) {
            remove_candidate(j);
          } else {
            ++j;
          }
        }
        done = true;
      } else if (length == longest) {
        emit(start, now, k, false, false);
        done = true;
      }
      break;
    }
    if (!done && (longest == 0 || length > longest)) done = true;  // nothing expected any more
    if (done) {
      remove_candidate(i);
    } else {
      ++i;
    }
  }

  // Hunt: fill + sync just completed opens a frame at its first fill bit.
  if (history_bits_ >= kInfoHeadBits && window_ == kHeadWindow && expected_.mask != 0) {
    if (candidate_count_ == kMaxCandidates) {
      ++dropped_;
    } else {
      candidates_[candidate_count_++] = now - kInfoHeadBits + 1;
    }
  }
}

void InfoReceiver::push(std::span<const std::uint8_t> bits, std::span<const std::int64_t> stamps) noexcept {
  for (std::size_t k = 0; k < bits.size(); ++k) push(bits[k] != 0, k < stamps.size() ? stamps[k] : bit_index_);
}

void InfoReceiver::flush() noexcept {
  InfoKind kind = InfoKind::info0;
  const int longest = longest_expected(expected_, kind);
  for (std::size_t i = 0; i < candidate_count_; ++i) {
    const std::int64_t start = candidates_[i];
    if (longest != 0 && bit_index_ - start < longest) emit(start, bit_index_ - 1, kind, false, true);
  }
  candidate_count_ = 0;
  window_ = 0;
  history_bits_ = 0;
}

}  // namespace squeal
