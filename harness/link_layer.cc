#include "harness/link_layer.h"

namespace synfin::harness {
namespace {

// Link types by number, so the values do not depend on the platform's DLT_ macros.
constexpr int kLinkNull = 0;
constexpr int kLinkEthernet = 1;
constexpr int kLinkRawLinux = 12;    // DLT_RAW on most systems
constexpr int kLinkRawOpenBsd = 14;  // DLT_RAW on OpenBSD
constexpr int kLinkRaw = 101;        // LINKTYPE_RAW, if libpcap did not map it
constexpr int kLinkLoop = 108;
constexpr int kLinkSll = 113;
constexpr int kLinkIpv4 = 228;
constexpr int kLinkIpv6 = 229;
constexpr int kLinkSll2 = 276;

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherPppoeSession = 0x8864;

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// Skips VLAN tags and a PPPoE session header starting at `offset`, where
// `ethertype` was read just before it. Returns the IP packet's offset, or nullopt
// if the frame carries no IPv4/IPv6.
std::optional<size_t> after_ethertype(const uint8_t* data, size_t size, uint16_t ethertype,
                                      size_t offset) {
  while (ethertype == 0x8100 || ethertype == 0x88a8 || ethertype == 0x9100) {
    if (size < offset + 4) return std::nullopt;
    ethertype = be16(data + offset + 2);
    offset += 4;
  }
  if (ethertype == kEtherPppoeSession) {
    // RFC 2516: version/type, code, session id, length, then the PPP protocol
    // (RFC 1332 IPv4 0x0021, RFC 5072 IPv6 0x0057).
    if (size < offset + 8) return std::nullopt;
    const uint16_t ppp = be16(data + offset + 6);
    if (ppp != 0x0021 && ppp != 0x0057) return std::nullopt;
    return offset + 8;
  }
  if (ethertype != kEtherIpv4 && ethertype != kEtherIpv6) return std::nullopt;
  return offset;
}

// Where the IP packet starts in a frame of link type `link`, or nullopt to skip it.
std::optional<size_t> ip_offset(int link, const uint8_t* data, size_t size) {
  switch (link) {
    case kLinkRawLinux:
    case kLinkRawOpenBsd:
    case kLinkRaw:
    case kLinkIpv4:
    case kLinkIpv6: {
      if (size < 1) return std::nullopt;
      const int version = data[0] >> 4;
      if (version != 4 && version != 6) return std::nullopt;
      return size_t{0};
    }
    case kLinkEthernet:
      if (size < 14) return std::nullopt;
      return after_ethertype(data, size, be16(data + 12), 14);
    case kLinkSll:
      if (size < 16) return std::nullopt;
      return after_ethertype(data, size, be16(data + 14), 16);
    case kLinkSll2:
      if (size < 20) return std::nullopt;
      return after_ethertype(data, size, be16(data + 0), 20);
    case kLinkNull:
    case kLinkLoop: {
      if (size < 4) return std::nullopt;
      // DLT_NULL is in the capturing host's byte order, DLT_LOOP in network order;
      // families are small, so the zero half tells the order.
      const uint32_t big = static_cast<uint32_t>(data[0]) << 24 |
                           static_cast<uint32_t>(data[1]) << 16 |
                           static_cast<uint32_t>(data[2]) << 8 | data[3];
      const uint32_t little = static_cast<uint32_t>(data[3]) << 24 |
                              static_cast<uint32_t>(data[2]) << 16 |
                              static_cast<uint32_t>(data[1]) << 8 | data[0];
      const uint32_t family = (data[0] == 0 && data[1] == 0) ? big : little;
      if (family == 2 || family == 10 || family == 24 || family == 28 || family == 30) {
        return size_t{4};
      }
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

// The IP packet's own idea of its length, when it is shorter than what the link
// carried (padding, FCS); else `size`.
size_t ip_length(const uint8_t* ip, size_t size) {
  if (size >= 20 && ip[0] >> 4 == 4) {
    const size_t total = be16(ip + 2);
    if (total >= 20 && total < size) return total;
  } else if (size >= 40 && ip[0] >> 4 == 6) {
    const size_t payload = be16(ip + 4);  // 0: jumbogram, leave it alone
    if (payload != 0 && 40 + payload < size) return 40 + payload;
  }
  return size;
}

}  // namespace

std::optional<std::span<const uint8_t>> ip_packet_in_frame(int link,
                                                           std::span<const uint8_t> frame) {
  const std::optional<size_t> offset = ip_offset(link, frame.data(), frame.size());
  if (!offset) return std::nullopt;
  const std::span<const uint8_t> ip = frame.subspan(*offset);
  return ip.first(ip_length(ip.data(), ip.size()));
}

}  // namespace synfin::harness
