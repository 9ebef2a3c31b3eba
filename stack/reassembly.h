// Which octets past RCV.NXT are held: the hole list of RFC 9293 3.10.7.4's
// seventh step, "Segments with higher beginning sequence numbers may be held for
// later processing."
//
// Positions are offsets from RCV.NXT, never sequence numbers, so nothing here
// orders two numbers on the circle; when RCV.NXT advances, advance() moves the
// origin. Held ranges are kept sorted, disjoint and merged with their
// neighbours. Only the bookkeeping lives here: the octets wait in the receive
// buffer's free space at their offsets (RecvBuffer).
//
// The number of ranges is bounded (Config::reassembly_max_ranges), so a peer that
// scatters one-octet segments over the window cannot make the list grow without
// end. The storage is reserved once, the first time a range is held, and reused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"

namespace synfin {

class Reassembly {
 public:
  // [begin, end): offsets from RCV.NXT.
  struct Range {
    uint32_t begin = 0;
    uint32_t end = 0;
    friend bool operator==(const Range&, const Range&) = default;
  };

  // At most `max_ranges` ranges past the front are held (0 holds none, the
  // behaviour of a receiver that drops out-of-order segments). A range that
  // starts at the front is about to be delivered and does not count.
  explicit Reassembly(size_t max_ranges) : max_ranges_(max_ranges) {}

  // Records [begin, end) as held. When that would exceed the limit, the range
  // furthest from the front goes: the new one if it is the furthest (returns
  // false, nothing changes), else the furthest held one, whose octets are
  // forgotten. Octets near RCV.NXT are the ones that unblock delivery soonest.
  bool add(uint32_t begin, uint32_t end);

  // Calls f(begin, end) for each part of [begin, end) not yet held, in order:
  // where new octets may be written without overwriting ones already held.
  template <typename F>
  void for_each_gap(uint32_t begin, uint32_t end, F&& f) const {
    uint32_t at = begin;
    for (const Range& r : ranges_) {
      if (at >= end) return;
      if (r.end <= at) continue;
      if (r.begin >= end) break;
      if (r.begin > at) f(at, r.begin);
      at = r.end;
    }
    if (at < end) f(at, end);
  }

  // Octets held contiguously from the front (offset 0): ready to deliver.
  uint32_t ready() const { return !ranges_.empty() && ranges_[0].begin == 0 ? ranges_[0].end : 0; }
  // RCV.NXT moved forward by n: offsets shift down, and whatever now lies
  // before the front is forgotten.
  void advance(uint32_t n);
  // Forgets everything held at or past `offset`.
  void truncate(uint32_t offset);
  // Keeps the storage for reuse.
  void clear() { ranges_.clear(); }

  bool empty() const { return ranges_.empty(); }
  std::span<const Range> ranges() const { return ranges_; }
  size_t max_ranges() const { return max_ranges_; }
  uint32_t held_bytes() const;
  // One past the last held offset; 0 when nothing is held.
  uint32_t end() const { return ranges_.empty() ? 0 : ranges_.back().end; }
  size_t allocated() const { return ranges_.capacity() * sizeof(Range); }

  // Ranges non-empty, sorted, disjoint and not touching (touching ones merge),
  // within the limit, and all inside the receive window [0, window).
  absl::Status check_invariants(uint32_t window) const;

 private:
  size_t counted() const { return ranges_.size() - (ready() > 0 ? 1 : 0); }

  size_t max_ranges_;
  std::vector<Range> ranges_;
};

}  // namespace synfin
