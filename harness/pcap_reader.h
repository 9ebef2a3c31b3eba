// Reads the IP packets out of a capture file (pcap or pcapng, anything libpcap
// opens), whatever the link layer the capture was taken on:
//   RAW (LINKTYPE_RAW 101; DLT_RAW 12 or 14; DLT_IPV4 228, DLT_IPV6 229)
//   Ethernet (1): 14-byte header, 802.1Q / 802.1ad tags (0x8100, 0x88a8, 0x9100) skipped
//   Linux cooked SLL (113, 16-byte header) and SLL2 (276, 20-byte header)
//   BSD NULL (0) and LOOP (108): a 4-byte address family in either byte order;
//     AF_INET = 2, AF_INET6 = 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS)
// Only IPv4 (ethertype 0x0800) and IPv6 (0x86dd) are kept; other records (ARP,
// unknown ethertypes, unsupported link types, records too short for their link
// header) are skipped and counted. Link-layer padding after the IP packet (Ethernet
// minimum-frame padding, an FCS) is trimmed when the IP header's length says the
// packet is shorter; nothing else is changed (so decode_packet can judge the bytes).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "stack/time.h"

namespace synfin::harness {

struct CapturedPacket {
  // The record's timestamp as the file has it, in microseconds since the Unix epoch
  // (nanosecond captures are truncated to microseconds). Not rebased.
  Instant at;
  // The IP packet, link header removed.
  std::vector<uint8_t> bytes;
  // The capture's snapshot length cut the frame short (caplen < len).
  bool truncated = false;
};

struct PcapReadResult {
  std::vector<CapturedPacket> packets;
  // Records that were not IPv4/IPv6, were of an unsupported link type, or were too
  // short to hold their link header.
  uint64_t skipped_non_ip = 0;
  // The file's link type as libpcap reports it (pcap_datalink(): a DLT_ value, so
  // LINKTYPE_RAW reads as DLT_RAW = 12 on Linux).
  int link_type = -1;
};

// Errors name the file and carry libpcap's error text (unreadable file, not a
// capture, a record cut off at the end of the file).
absl::StatusOr<PcapReadResult> read_pcap_packets(const std::string& path);
// The same over a capture held in memory (errors name it "<memory>").
absl::StatusOr<PcapReadResult> read_pcap_packets_from_memory(std::span<const uint8_t> data);

}  // namespace synfin::harness
