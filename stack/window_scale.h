// RFC 7323 section 2: the Window Scale option, as pure functions of the numbers
// involved, so each rule can be tested on its own.
#pragma once

#include <algorithm>
#include <cstdint>

namespace synfin {

// RFC 7323 2.3: "the maximum scale exponent is limited to 14".
inline constexpr uint8_t kMaxWindowShift = 14;

// The shift we offer: the smallest that lets the 16-bit field describe the whole
// receive buffer (0 for buffers up to 65535 octets, still offered so the peer may
// scale its own window; RFC 7323 2.2).
constexpr uint8_t window_shift_for(uint32_t recv_buffer) {
  uint8_t s = 0;
  while (s < kMaxWindowShift && (recv_buffer >> s) > 0xFFFF) ++s;
  return s;
}

// RFC 7323 2.3: "If a Window Scale option is received with a shift.cnt value
// larger than 14, the TCP SHOULD log the error but MUST use 14 instead".
constexpr uint8_t clamp_window_shift(uint8_t received) {
  return std::min(received, kMaxWindowShift);
}

// The largest window (in octets) a header can offer with `shift`.
constexpr uint32_t max_window(uint8_t shift) { return uint32_t{0xFFFF} << shift; }

// The Window field for `room` octets of buffer space: RFC 7323 2.3, "SEG.WND =
// RCV.WND >> Rcv.Wind.Shift", rounded down so the edge offered never lies past
// the buffer. (Rounding down may offer an edge up to 2^shift - 1 octets left of
// one offered before: the window retraction of RFC 7323 2.4, which the receiver
// covers by honouring the furthest edge it ever offered.)
constexpr uint16_t window_field(uint32_t room, uint8_t shift) {
  return static_cast<uint16_t>(std::min<uint32_t>(room >> shift, 0xFFFF));
}

}  // namespace synfin
