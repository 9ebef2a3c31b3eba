// Where the IP packet sits inside a captured frame, for the link types synfin
// reads:
//   RAW (LINKTYPE_RAW 101; DLT_RAW 12 or 14; DLT_IPV4 228, DLT_IPV6 229)
//   Ethernet (1): 14-byte header, 802.1Q / 802.1ad tags (0x8100, 0x88a8, 0x9100) skipped,
//     and PPPoE sessions (0x8864) carrying IPv4 or IPv6 over PPP
//   Linux cooked SLL (113, 16-byte header) and SLL2 (276, 20-byte header)
//   BSD NULL (0) and LOOP (108): a 4-byte address family in either byte order;
//     AF_INET = 2, AF_INET6 = 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS)
// Apart from the libpcap reader so that code built without libpcap (the fuzz
// targets) strips link headers the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace synfin::harness {

// The IP packet inside one frame of link type `link` (a DLT_ value as libpcap
// reports it, or the LINKTYPE_ value from a savefile header; the two agree for
// every type above but RAW). Only IPv4 (ethertype 0x0800, PPP 0x0021) and IPv6
// (0x86dd, PPP 0x0057) are found; nullopt for anything else (ARP, other
// ethertypes, unsupported link types, frames too short for their link header).
// Link-layer padding after the IP packet (Ethernet minimum-frame padding, an FCS)
// is trimmed when the IP header's length says the packet is shorter; nothing else
// is changed, so decode_packet can judge the bytes.
std::optional<std::span<const uint8_t>> ip_packet_in_frame(int link,
                                                           std::span<const uint8_t> frame);

}  // namespace synfin::harness
