// The receive side's octets, indexed by their offset from RCV.NXT.
//
// One ring holds the in-order stream the application has not read yet, and past
// its tail the free space the receive window offers. Octets that arrive ahead of
// a gap are written into that free space at their own offset and recorded in a
// Reassembly; when the gap fills they become readable where they already are.
// So holding out-of-order data costs no memory beyond the window already
// offered, and a segment never needs more room than the window it was accepted
// into (the window is never larger than the free space).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "stack/byte_ring.h"
#include "stack/reassembly.h"

namespace synfin {

class RecvBuffer {
 public:
  RecvBuffer(size_t limit, size_t max_ranges) : ring_(limit), held_(max_ranges) {}

  // In-order octets the application has not read.
  size_t readable() const { return ring_.size(); }
  size_t limit() const { return ring_.limit(); }
  // Room past the readable octets: the largest window that may be offered.
  size_t free_space() const { return ring_.free_space(); }
  const Reassembly& held() const { return held_; }

  // Stores `data`, which starts `offset` octets past RCV.NXT, into the parts of
  // its range nothing is held in yet: octets already held win over a duplicate
  // or overlapping copy ("only the new parts are processed", RFC 9293 3.10.7.4).
  // Whatever lies past the free space is cut off. Returns false if the range
  // limit made it drop the segment.
  bool insert(uint32_t offset, std::span<const uint8_t> data);
  // Octets held contiguously from RCV.NXT, ready to join the readable stream.
  uint32_t ready() const { return held_.ready(); }
  // Moves the first n ready octets into the readable stream (RCV.NXT then
  // advances by n).
  void commit(uint32_t n);
  // Forgets held octets at or past `offset`.
  void truncate_held(uint32_t offset) { held_.truncate(offset); }

  // Copies up to out.size() readable octets out and drops them; returns how many.
  size_t read(std::span<uint8_t> out);
  // Drops every readable octet (held ones stay where they are).
  void discard_readable() { ring_.pop(ring_.size()); }
  // Drops everything, readable and held.
  void clear();

  // Bytes of heap held (for memory accounting).
  size_t allocated() const { return ring_.allocated() + held_.allocated(); }

  // The held ranges are well formed and inside `window`, which itself fits in the
  // free space.
  absl::Status check_invariants(uint32_t window) const;

 private:
  ByteRing ring_;
  Reassembly held_;
};

}  // namespace synfin
