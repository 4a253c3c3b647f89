#include "negotiation/v8_bits.h"

namespace squeal {

namespace {

// Three framed zero octets, oldest bit in bit 0: stop bits at 9, 19 and 29.
constexpr std::uint32_t kCjWindow = (1u << 9) | (1u << 19) | (1u << 29);
constexpr std::uint32_t kMask20 = (1u << 20) - 1;
constexpr std::uint32_t kMask30 = (1u << 30) - 1;

std::uint8_t sync_of(V8FrameKind kind) noexcept {
  switch (kind) {
    case V8FrameKind::ci: return kV8SyncCi;
    case V8FrameKind::cm_jm: return kV8SyncCmJm;
    case V8FrameKind::v92: return kV8SyncV92;
    case V8FrameKind::cj: return 0;
  }
  return 0;
}

}  // namespace

std::string_view frame_kind_name(V8FrameKind k) noexcept {
  switch (k) {
    case V8FrameKind::ci: return "ci";
    case V8FrameKind::cm_jm: return "cm_jm";
    case V8FrameKind::v92: return "v92";
    case V8FrameKind::cj: return "cj";
  }
  return "?";
}

std::string_view frame_status_name(V8FrameStatus s) noexcept {
  switch (s) {
    case V8FrameStatus::ok: return "ok";
    case V8FrameStatus::framing_error: return "framing_error";
    case V8FrameStatus::too_long: return "too_long";
    case V8FrameStatus::truncated: return "truncated";
    case V8FrameStatus::interrupted: return "interrupted";
  }
  return "?";
}

void append_framed_octet(std::uint8_t octet, std::vector<std::uint8_t>& bits) {
  bits.push_back(0);  // start bit
  for (int i = 0; i < 8; ++i) bits.push_back(static_cast<std::uint8_t>((octet >> i) & 1u));  // LSB first
  bits.push_back(1);  // stop bit
}

std::vector<std::uint8_t> frame_bits(V8FrameKind kind, std::span<const std::uint8_t> octets) {
  std::vector<std::uint8_t> bits;
  if (kind == V8FrameKind::cj) {
    for (int i = 0; i < 3; ++i) append_framed_octet(0, bits);  // V.8 §7.5: CJ = three zero octets
    return bits;
  }
  bits.reserve(static_cast<std::size_t>(kV8BitsPerOctet) * (octets.size() + 2));
  bits.insert(bits.end(), kV8PreambleBits, 1);  // V.8 §5: ten 1 bits
  append_framed_octet(sync_of(kind), bits);
  for (std::uint8_t o : octets) append_framed_octet(o, bits);
  return bits;
}

// ---------------------------------------------------------------------------

void V8BitReceiver::reset() noexcept {
  state_ = State::hunting;
  bit_index_ = 0;
  clear_history();
  frame_ = V8Frame{};
  octet_bit_ = -1;
  octet_ = 0;
  octet_start_bit_ = 0;
  idle_ones_ = 0;
  zero_run_ = 0;
  zero_run_start_bit_ = 0;
  zero_run_from_size_ = 0;
  queue_head_ = queue_size_ = 0;
  dropped_ = 0;
}

void V8BitReceiver::clear_history() noexcept {
  window_ = 0;
  history_bits_ = 0;
}

std::int64_t V8BitReceiver::stamp_of(std::int64_t bit) const noexcept {
  return stamps_[static_cast<std::size_t>(bit) % kStampRing];
}

void V8BitReceiver::enqueue(const V8Frame& f) noexcept {
  if (queue_size_ == kQueueCapacity) {
    ++dropped_;
    return;
  }
  queue_[(queue_head_ + queue_size_) % kQueueCapacity] = f;
  ++queue_size_;
}

bool V8BitReceiver::pop(V8Frame& out) noexcept {
  if (queue_size_ == 0) return false;
  out = queue_[queue_head_];
  queue_head_ = (queue_head_ + 1) % kQueueCapacity;
  --queue_size_;
  return true;
}

void V8BitReceiver::start_frame(V8FrameKind kind, std::uint8_t sync) noexcept {
  state_ = State::collecting;
  frame_.kind = kind;
  frame_.status = V8FrameStatus::ok;
  frame_.sync = sync;
  frame_.size = 0;
  frame_.octets.fill(0);
  frame_.start_bit = bit_index_ - 2 * kV8BitsPerOctet + 1;  // first preamble bit
  frame_.start_stamp = stamp_of(frame_.start_bit);
  octet_bit_ = -1;
  idle_ones_ = 0;
  // The CI sync is itself a zero octet: CJ after an idle gap looks like a CI
  // preamble + sync followed by two more zero octets.
  zero_run_ = kind == V8FrameKind::ci ? 1 : 0;
  zero_run_start_bit_ = bit_index_ - kV8BitsPerOctet + 1;
  zero_run_from_size_ = 0;
}

void V8BitReceiver::end_frame(V8FrameStatus status, std::int64_t end_bit) noexcept {
  frame_.status = status;
  frame_.end_bit = end_bit;
  frame_.end_stamp = stamp_of(end_bit);
  enqueue(frame_);
  state_ = State::hunting;
  octet_bit_ = -1;
}

void V8BitReceiver::emit_cj(std::int64_t start_bit, std::int64_t end_bit) noexcept {
  V8Frame cj;
  cj.kind = V8FrameKind::cj;
  cj.status = V8FrameStatus::ok;
  cj.start_bit = start_bit;
  cj.end_bit = end_bit;
  cj.start_stamp = stamp_of(start_bit);
  cj.end_stamp = stamp_of(end_bit);
  enqueue(cj);
  state_ = State::hunting;
  octet_bit_ = -1;
  clear_history();  // a fourth zero octet must not report CJ again
}

void V8BitReceiver::collect_bit(bool bit) noexcept {
  if (octet_bit_ < 0) {  // between octets: idle mark or a start bit
    if (bit) {
      if (++idle_ones_ >= kIdleEndBits) end_frame(V8FrameStatus::ok, bit_index_ - idle_ones_);
      return;
    }
    octet_bit_ = 0;
    octet_ = 0;
    octet_start_bit_ = bit_index_;
    return;
  }
  if (octet_bit_ < 8) {  // data bits, least significant first
    octet_ = static_cast<std::uint8_t>(octet_ | (static_cast<unsigned>(bit) << octet_bit_));
    ++octet_bit_;
    return;
  }
  // Stop bit.
  if (!bit) {
    end_frame(V8FrameStatus::framing_error, bit_index_);
    return;
  }
  octet_bit_ = -1;
  idle_ones_ = 0;
  if (octet_ == 0) {
    if (zero_run_ == 0) {
      zero_run_start_bit_ = octet_start_bit_;
      zero_run_from_size_ = frame_.size;
    }
    if (++zero_run_ >= 3) {  // CJ without preamble: the frame before it was cut short
      const bool frame_had_octets = !(frame_.kind == V8FrameKind::ci && zero_run_from_size_ == 0 &&
                                      zero_run_start_bit_ == frame_.start_bit + kV8BitsPerOctet);
      if (frame_had_octets) {
        frame_.size = zero_run_from_size_;
        end_frame(V8FrameStatus::interrupted, zero_run_start_bit_ - 1);
      }
      emit_cj(zero_run_start_bit_, bit_index_);
      return;
    }
  } else {
    zero_run_ = 0;
  }
  if (frame_.size == kV8MaxFrameOctets) {
    end_frame(V8FrameStatus::too_long, bit_index_);
    return;
  }
  frame_.octets[frame_.size++] = octet_;
}

void V8BitReceiver::push(bool bit, std::int64_t stamp) noexcept {
  stamps_[static_cast<std::size_t>(bit_index_) % kStampRing] = stamp;
  window_ = (window_ >> 1) | (static_cast<std::uint32_t>(bit) << 31);
  if (history_bits_ < 32) ++history_bits_;

  if (state_ == State::collecting) {
    collect_bit(bit);
  } else if (history_bits_ >= 30 && ((window_ >> 2) & kMask30) == kCjWindow) {
    emit_cj(bit_index_ - 29, bit_index_);
  } else if (history_bits_ >= 20) {
    const std::uint32_t w20 = (window_ >> 12) & kMask20;
    if (w20 == kV8WindowCmJm) {
      start_frame(V8FrameKind::cm_jm, kV8SyncCmJm);
    } else if (w20 == kV8WindowCi) {
      start_frame(V8FrameKind::ci, kV8SyncCi);
    } else if (w20 == kV8WindowV92) {
      start_frame(V8FrameKind::v92, kV8SyncV92);
    }
  }
  ++bit_index_;
}

void V8BitReceiver::flush() noexcept {
  if (state_ == State::collecting) {
    if (octet_bit_ >= 0) {
      end_frame(V8FrameStatus::truncated, bit_index_ - 1);
    } else {
      end_frame(V8FrameStatus::ok, bit_index_ - 1 - idle_ones_);
    }
  }
  state_ = State::hunting;
  clear_history();
}

}  // namespace squeal
