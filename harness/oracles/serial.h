// The oracles' own serial-number arithmetic, written apart from stack/seq.h on
// purpose: if the stack's comparisons were wrong, checks built on them would agree
// with the bug. Plain uint32_t, RFC 1982 semantics.
#pragma once

#include <cstdint>

namespace synfin::harness::serial {

// a precedes b on the 32-bit circle (b is less than 2^31 ahead).
inline bool before(uint32_t a, uint32_t b) { return a != b && (b - a) < 0x80000000u; }
inline bool at_or_before(uint32_t a, uint32_t b) { return a == b || before(a, b); }
inline bool after(uint32_t a, uint32_t b) { return before(b, a); }
// lo <= x < lo + len, walking forward from lo.
inline bool within(uint32_t x, uint32_t lo, uint32_t len) { return x - lo < len; }

// RFC 9293 3.10.7.4, the acceptability table, restated.
inline bool acceptable(uint32_t seq, uint32_t len, uint32_t rcv_nxt, uint32_t rcv_wnd) {
  if (rcv_wnd == 0) return len == 0 && seq == rcv_nxt;
  if (len == 0) return within(seq, rcv_nxt, rcv_wnd);
  return within(seq, rcv_nxt, rcv_wnd) || within(seq + len - 1, rcv_nxt, rcv_wnd);
}

// Added for the seqack/stream checkers.
// a and b lie exactly 2^31 apart: RFC 1982 leaves their order undefined (and
// stack/seq.h calls each less than the other), so checks skip such pairs.
inline bool order_undefined(uint32_t a, uint32_t b) { return a - b == 0x80000000u; }

}  // namespace synfin::harness::serial
