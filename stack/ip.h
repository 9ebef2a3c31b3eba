// Network-layer values: addresses, the 4-tuple and a TCP segment inside its IP header.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "stack/segment.h"

namespace synfin {

enum class IpFamily : uint8_t { kV4, kV6 };

// An IPv4 or IPv6 address. IPv4 uses the first four bytes; the rest stay zero so
// that comparison and hashing need no special cases.
struct IpAddr {
  IpFamily family = IpFamily::kV4;
  std::array<uint8_t, 16> bytes{};

  static IpAddr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    IpAddr r;
    r.bytes[0] = a, r.bytes[1] = b, r.bytes[2] = c, r.bytes[3] = d;
    return r;
  }
  static IpAddr v6(const std::array<uint8_t, 16>& b) {
    IpAddr r;
    r.family = IpFamily::kV6;
    r.bytes = b;
    return r;
  }
  // Dotted quad or RFC 4291 text ("10.0.0.1", "fd00::1").
  static absl::StatusOr<IpAddr> parse(absl::string_view text);

  size_t size() const { return family == IpFamily::kV4 ? 4 : 16; }
  std::string to_string() const;

  friend auto operator<=>(const IpAddr&, const IpAddr&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const IpAddr& a) {
    return H::combine(std::move(h), a.family, a.bytes);
  }
};

// A connection's identity as seen from one end.
struct FourTuple {
  IpAddr local_addr;
  IpAddr remote_addr;
  uint16_t local_port = 0;
  uint16_t remote_port = 0;

  friend auto operator<=>(const FourTuple&, const FourTuple&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const FourTuple& t) {
    return H::combine(std::move(h), t.local_addr, t.remote_addr, t.local_port, t.remote_port);
  }
  std::string to_string() const;
};

// A TCP segment with the IP header fields that travel with it.
struct IpPacket {
  IpAddr src;
  IpAddr dst;
  uint8_t ttl = 64;           // IPv4 TTL or IPv6 hop limit
  uint8_t tos = 0;            // IPv4 TOS or IPv6 traffic class (DSCP + ECN)
  uint16_t ipv4_id = 0;       // IPv4 identification
  bool dont_fragment = true;  // IPv4 DF bit
  uint32_t ipv6_flow = 0;     // IPv6 flow label (20 bits)
  Segment tcp;

  friend bool operator==(const IpPacket&, const IpPacket&) = default;
};

}  // namespace synfin
