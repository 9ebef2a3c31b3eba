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
#include <span>
#include <vector>

namespace synfin {

class ByteRing {
 public:
  explicit ByteRing(size_t limit = 0) : limit_(limit) {}

  size_t size() const { return size_; }
  size_t limit() const { return limit_; }
  size_t free_space() const { return limit_ - size_; }
  bool empty() const { return size_ == 0; }
  // Bytes of storage held (for memory accounting).
  size_t allocated() const { return buf_.capacity(); }

  // Appends as much of `data` as fits under the limit; returns how many bytes.
  size_t push(std::span<const uint8_t> data) {
    const size_t n = std::min(data.size(), free_space());
    if (n == 0) return 0;
    reserve(size_ + n);
    const size_t cap = buf_.size();
    const size_t tail = (head_ + size_) % cap;
    const size_t first = std::min(n, cap - tail);
    std::memcpy(buf_.data() + tail, data.data(), first);
    std::memcpy(buf_.data(), data.data() + first, n - first);
    size_ += n;
    return n;
  }

  // Copies out.size() bytes starting `offset` bytes from the front.
  // Requires offset + out.size() <= size().
  void peek(size_t offset, std::span<uint8_t> out) const {
    if (out.empty()) return;
    const size_t cap = buf_.size();
    const size_t start = (head_ + offset) % cap;
    const size_t first = std::min(out.size(), cap - start);
    std::memcpy(out.data(), buf_.data() + start, first);
    std::memcpy(out.data() + first, buf_.data(), out.size() - first);
  }

  // Drops up to n bytes from the front; returns how many were dropped. The head
  // moves even when the ring empties: bytes written past the tail stay in place.
  size_t pop(size_t n) {
    n = std::min(n, size_);
    if (n == 0) return 0;
    size_ -= n;
    head_ = (head_ + n) % buf_.size();
    return n;
  }

  // Copies `data` to `offset` bytes past the tail, leaving size() unchanged.
  // Requires offset + data.size() <= free_space().
  void write_past_tail(size_t offset, std::span<const uint8_t> data) {
    if (data.empty()) return;
    reserve(size_ + offset + data.size());
    const size_t cap = buf_.size();
    const size_t at = (head_ + size_ + offset) % cap;
    const size_t first = std::min(data.size(), cap - at);
    std::memcpy(buf_.data() + at, data.data(), first);
    std::memcpy(buf_.data(), data.data() + first, data.size() - first);
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
  // written past the tail) to the front of the new storage if it grows.
  void reserve(size_t needed) {
    if (needed <= buf_.size()) return;
    size_t cap = std::max<size_t>(buf_.size() * 2, 1024);
    cap = std::min(std::max(cap, needed), limit_);
    std::vector<uint8_t> grown(cap);
    peek(0, std::span<uint8_t>(grown.data(), buf_.size()));
    buf_.swap(grown);
    head_ = 0;
  }

  size_t limit_;
  std::vector<uint8_t> buf_;
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace synfin
