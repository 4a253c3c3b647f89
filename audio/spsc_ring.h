// Lock-free single-producer single-consumer ring of floats.
//
// One thread pushes, one other thread pops; neither ever blocks, locks or
// allocates (all storage is allocated in the constructor). This is how samples
// cross between a real-time audio callback and the DSP thread
// (audio/portaudio_stream.h). Capacity is rounded up to a power of two so the
// free-running indices wrap with a mask; the indices are 64-bit and never
// overflow in practice (2^63 samples at 8 kHz is 36 million years).
//
// Memory order: the producer writes the samples, then publishes write_index_
// with release; the consumer reads write_index_ with acquire before reading
// the samples (and symmetrically for read_index_), so each side sees the
// other's data complete.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace squeal {

class SpscRing {
 public:
  /// min_capacity: samples the ring must hold, 1..2^30; rounded up to a power of two.
  /// Throws std::invalid_argument naming the value otherwise.
  explicit SpscRing(std::size_t min_capacity) {
    if (min_capacity == 0 || min_capacity > (std::size_t{1} << 30)) {
      throw std::invalid_argument("SpscRing: capacity " + std::to_string(min_capacity) +
                                  " samples is outside 1..2^30");
    }
    std::size_t capacity = 1;
    while (capacity < min_capacity) capacity <<= 1;
    buffer_.assign(capacity, 0.0f);
    mask_ = capacity - 1;
  }

  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  std::size_t capacity() const noexcept { return mask_ + 1; }

  /// Samples ready to pop (exact for the consumer, a lower bound for the producer's view).
  std::size_t available() const noexcept {
    return static_cast<std::size_t>(write_index_.load(std::memory_order_acquire) -
                                    read_index_.load(std::memory_order_acquire));
  }
  /// Room to push (exact for the producer, a lower bound for the consumer's view).
  std::size_t free_space() const noexcept { return capacity() - available(); }

  /// Producer only. Pushes as many of `in` as fit; returns how many were pushed.
  std::size_t push(std::span<const float> in) noexcept {
    const std::uint64_t write = write_index_.load(std::memory_order_relaxed);
    const std::uint64_t read = read_index_.load(std::memory_order_acquire);
    const std::size_t room = capacity() - static_cast<std::size_t>(write - read);
    const std::size_t count = std::min(room, in.size());
    copy_in(write, in.first(count));
    write_index_.store(write + count, std::memory_order_release);
    return count;
  }

  /// Producer only. Pushes `count` zeros (or as many as fit); returns how many.
  std::size_t push_zeros(std::size_t count) noexcept {
    const std::uint64_t write = write_index_.load(std::memory_order_relaxed);
    const std::uint64_t read = read_index_.load(std::memory_order_acquire);
    const std::size_t room = capacity() - static_cast<std::size_t>(write - read);
    count = std::min(room, count);
    for (std::size_t i = 0; i < count; ++i) buffer_[(write + i) & mask_] = 0.0f;
    write_index_.store(write + count, std::memory_order_release);
    return count;
  }

  /// Consumer only. Pops up to out.size() samples into `out`; returns how many.
  std::size_t pop(std::span<float> out) noexcept {
    const std::uint64_t read = read_index_.load(std::memory_order_relaxed);
    const std::uint64_t write = write_index_.load(std::memory_order_acquire);
    const std::size_t count = std::min(static_cast<std::size_t>(write - read), out.size());
    const std::size_t start = static_cast<std::size_t>(read & mask_);
    const std::size_t first = std::min(count, capacity() - start);
    std::copy_n(buffer_.begin() + static_cast<std::ptrdiff_t>(start), first, out.begin());
    std::copy_n(buffer_.begin(), count - first, out.begin() + static_cast<std::ptrdiff_t>(first));
    read_index_.store(read + count, std::memory_order_release);
    return count;
  }

  /// Consumer only. Drops up to `count` samples; returns how many.
  std::size_t discard(std::size_t count) noexcept {
    const std::uint64_t read = read_index_.load(std::memory_order_relaxed);
    const std::uint64_t write = write_index_.load(std::memory_order_acquire);
    count = std::min(static_cast<std::size_t>(write - read), count);
    read_index_.store(read + count, std::memory_order_release);
    return count;
  }

 private:
  void copy_in(std::uint64_t write, std::span<const float> in) noexcept {
    const std::size_t start = static_cast<std::size_t>(write & mask_);
    const std::size_t first = std::min(in.size(), capacity() - start);
    std::copy_n(in.begin(), first, buffer_.begin() + static_cast<std::ptrdiff_t>(start));
    std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(first), in.size() - first, buffer_.begin());
  }

  std::vector<float> buffer_;  // the samples, capacity() of them, allocated once
  std::size_t mask_ = 0;       // capacity() - 1, to wrap an index into buffer_
  // Free-running counts of samples pushed / popped, each on its own cache line
  // so the two threads do not false-share.
  alignas(64) std::atomic<std::uint64_t> write_index_{0};  // written by the producer only
  alignas(64) std::atomic<std::uint64_t> read_index_{0};   // written by the consumer only
};

}  // namespace squeal
