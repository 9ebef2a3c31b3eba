// Initial sequence numbers (RFC 9293 3.4.1, RFC 6528), injected into the stack.
#pragma once

#include <array>
#include <cstdint>

#include "stack/ip.h"
#include "stack/seq.h"
#include "stack/time.h"

namespace synfin {

class IsnGenerator {
 public:
  virtual ~IsnGenerator() = default;
  virtual SeqNum isn(const FourTuple& tuple, Instant now) = 0;
  // The offset of the connection's RFC 7323 timestamp clock (5.4). A generator
  // that does not randomize it leaves the clock as it is.
  virtual uint32_t ts_offset(const FourTuple& tuple) { return 0; }
};

// RFC 6528 section 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
// with M a timer ticking every 4 microseconds and F a keyed pseudo-random function,
// here SipHash-2-4. The clock is the injected virtual time, so a fixed key gives
// the same ISNs on every run: tests use this production path with a fixed key.
class Rfc6528IsnGenerator final : public IsnGenerator {
 public:
  using Key = std::array<uint8_t, 16>;
  explicit Rfc6528IsnGenerator(const Key& key) : key_(key) {}
  SeqNum isn(const FourTuple& tuple, Instant now) override;
  // The same keyed function as the ISN's F, on the 4-tuple and a tag that sets
  // it apart, so the offset reveals nothing about the ISN.
  uint32_t ts_offset(const FourTuple& tuple) override;

 private:
  Key key_;
};

// SipHash-2-4 (Aumasson and Bernstein, 2012) of `data` under a 128-bit key.
uint64_t siphash24(const std::array<uint8_t, 16>& key, const uint8_t* data, size_t len);

}  // namespace synfin
