// A bounded FIFO of bytes. Storage grows on demand (doubling) up to the limit, so an
// idle connection costs nothing and steady traffic stops allocating once the ring
// has reached its working size.
//
// The free space past the tail is addressable too: write_past_tail() puts bytes
// there without making them part of the contents and commit() appends them later.
// The receive side keeps segments that arrived ahead of a gap this way, at their
// final place, so filling the gap costs no copy. Positions past the tail survive
// pop() and growth; only clear() forgets them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

namespace synfin {

class ByteRing {
 public:
  explicit ByteRing(size_t limit = 0) : limit_(limit) {}

  size_t size() const { return size_; }
  size_t limit() const { return limit_; }
  size_t free_space() const { return limit_ - size_; }
  bool empty() const { return size_ == 0; }
  // Bytes of storage held (for memory accounting).
  size_t allocated() const { return cap_; }

  // Appends as much of `data` as fits under the limit; returns how many bytes.
  size_t push(std::span<const uint8_t> data) {
    const size_t n = std::min(data.size(), free_space());
    if (n == 0) return 0;
    reserve(size_ + n);
    const size_t tail = (head_ + size_) % cap_;
    const size_t first = std::min(n, cap_ - tail);
    std::memcpy(buf_.get() + tail, data.data(), first);
    std::memcpy(buf_.get(), data.data() + first, n - first);
    size_ += n;
    return n;
  }

  // Copies out.size() bytes starting `offset` bytes from the front.
  // Requires offset + out.size() <= size().
  void peek(size_t offset, std::span<uint8_t> out) const {
    if (out.empty()) return;
    const size_t start = (head_ + offset) % cap_;
    const size_t first = std::min(out.size(), cap_ - start);
    std::memcpy(out.data(), buf_.get() + start, first);
    std::memcpy(out.data() + first, buf_.get(), out.size() - first);
  }

  // Drops up to n bytes from the front; returns how many were dropped. The head
  // moves even when the ring empties: bytes written past the tail stay in place.
  size_t pop(size_t n) {
    n = std::min(n, size_);
    if (n == 0) return 0;
    size_ -= n;
    head_ = (head_ + n) % cap_;
    return n;
  }

  // Copies `data` to `offset` bytes past the tail, leaving size() unchanged.
  // Requires offset + data.size() <= free_space().
  void write_past_tail(size_t offset, std::span<const uint8_t> data) {
    if (data.empty()) return;
    reserve(size_ + offset + data.size());
    const size_t at = (head_ + size_ + offset) % cap_;
    const size_t first = std::min(data.size(), cap_ - at);
    std::memcpy(buf_.get() + at, data.data(), first);
    std::memcpy(buf_.get(), data.data() + first, data.size() - first);
  }

  // Appends the n bytes past the tail that write_past_tail() filled.
  // Requires n <= free_space().
  void commit(size_t n) {
    n = std::min(n, free_space());
    reserve(size_ + n);
    size_ += n;
  }

  void clear() { head_ = size_ = 0; }

 private:
  // Makes room for `needed` bytes, moving the whole ring (contents and the bytes
  // written past the tail) to the front of the new storage if it grows. The new
  // storage is not zeroed: every byte is written before it becomes part of the
  // contents (push, or write_past_tail then commit), and zeroing tens of KiB per
  // connection was a measurable share of a short fuzz run.
  void reserve(size_t needed) {
    if (needed <= cap_) return;
    size_t cap = std::max<size_t>(cap_ * 2, 1024);
    cap = std::min(std::max(cap, needed), limit_);
    std::unique_ptr<uint8_t[]> grown(new uint8_t[cap]);
    if (cap_ > 0) peek(0, std::span<uint8_t>(grown.get(), cap_));
    buf_ = std::move(grown);
    cap_ = cap;
    head_ = 0;
  }

  size_t limit_;
  std::unique_ptr<uint8_t[]> buf_;
  size_t cap_ = 0;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace synfin
