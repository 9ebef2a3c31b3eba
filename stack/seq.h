// Sequence-number space arithmetic (RFC 9293 section 3.4, RFC 1982 serial numbers).
//
// Sequence numbers live on a 32-bit circle, so "less than" only makes sense for
// numbers less than 2^31 apart. SeqNum therefore has no operator< (std::sort or
// std::map on it would be undefined behaviour once values span more than half the
// circle); comparisons are the named serial predicates below. Lengths are a
// separate type so that "number + number" does not compile.
#pragma once

#include <cstdint>
#include <string>

namespace synfin {

// A length in sequence space (bytes plus one for each SYN and FIN).
struct SeqLen {
  uint32_t raw = 0;

  constexpr SeqLen() = default;
  constexpr explicit SeqLen(uint32_t n) : raw(n) {}

  friend constexpr auto operator<=>(SeqLen, SeqLen) = default;
  friend constexpr SeqLen operator+(SeqLen a, SeqLen b) { return SeqLen(a.raw + b.raw); }
  friend constexpr SeqLen operator-(SeqLen a, SeqLen b) { return SeqLen(a.raw - b.raw); }
};

// A position on the 32-bit sequence circle.
struct SeqNum {
  uint32_t raw = 0;

  constexpr SeqNum() = default;
  constexpr explicit SeqNum(uint32_t n) : raw(n) {}

  friend constexpr bool operator==(SeqNum, SeqNum) = default;
  friend constexpr SeqNum operator+(SeqNum a, SeqLen n) { return SeqNum(a.raw + n.raw); }
  friend constexpr SeqNum operator-(SeqNum a, SeqLen n) { return SeqNum(a.raw - n.raw); }
  SeqNum& operator+=(SeqLen n) {
    raw += n.raw;
    return *this;
  }
};

// Distance walked forward from `from` to reach `to`, modulo 2^32.
constexpr SeqLen distance(SeqNum from, SeqNum to) { return SeqLen(to.raw - from.raw); }

// a < b in serial order (RFC 1982): b lies less than 2^31 ahead of a.
constexpr bool seq_lt(SeqNum a, SeqNum b) { return static_cast<int32_t>(a.raw - b.raw) < 0; }
constexpr bool seq_leq(SeqNum a, SeqNum b) { return static_cast<int32_t>(a.raw - b.raw) <= 0; }
constexpr bool seq_gt(SeqNum a, SeqNum b) { return seq_lt(b, a); }
constexpr bool seq_geq(SeqNum a, SeqNum b) { return seq_leq(b, a); }
constexpr SeqNum seq_max(SeqNum a, SeqNum b) { return seq_lt(a, b) ? b : a; }

// x in the half-open range [lo, hi), walking forward from lo. Well defined for any
// range shorter than 2^32, which is what windows are.
constexpr bool in_range(SeqNum x, SeqNum lo, SeqNum hi) {
  return x.raw - lo.raw < hi.raw - lo.raw;
}
// x in [start, start + len).
constexpr bool in_window(SeqNum x, SeqNum start, SeqLen len) {
  return x.raw - start.raw < len.raw;
}

inline std::string to_string(SeqNum s) { return std::to_string(s.raw); }

}  // namespace synfin
