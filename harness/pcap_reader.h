// Reads the IP packets out of a capture file (pcap or pcapng, anything libpcap
// opens), whatever the link layer the capture was taken on (harness/link_layer.h
// lists the link types). Only IPv4 and IPv6 are kept; other records (ARP, unknown
// ethertypes, unsupported link types, records too short for their link header)
// are skipped and counted.
//
// Damage is reported with the record number (counted from 0) and the byte offset
// where that record starts:
//   - not a capture file, or a file header cut short: the file cannot be opened;
//   - a record header or record data cut off by the end of the file;
//   - an absurd record length: more captured bytes than the snapshot length allows
//     (libpcap's check), or more captured bytes than the packet had on the wire.
// A record that the snapshot length cut short (caplen < len) is not damage: it is
// returned with `truncated` set.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/captured_packet.h"

namespace synfin::harness {

struct PcapReadResult {
  std::vector<CapturedPacket> packets;
  // Records that were not IPv4/IPv6, were of an unsupported link type, or were too
  // short to hold their link header.
  uint64_t skipped_non_ip = 0;
  // Records read, skipped ones included (the damaged one, if any, not counted).
  uint64_t records = 0;
  // Bytes of the file read up to the end (or up to the damage).
  uint64_t bytes = 0;
  // The file's link type as libpcap reports it (pcap_datalink(): a DLT_ value, so
  // LINKTYPE_RAW reads as DLT_RAW = 12 on Linux).
  int link_type = -1;
  // With PcapReadOptions::keep_going: why reading stopped before the end of the
  // file (OK when it did not). `packets` holds what came before the damage.
  absl::Status damage;
};

struct PcapReadOptions {
  // Return what was read before damage (in `damage`) instead of failing.
  bool keep_going = false;
};

// Errors name the file (or "<memory>") and carry the record number, byte offset
// and libpcap's error text. A file that cannot be opened is always an error.
absl::StatusOr<PcapReadResult> read_pcap_packets(const std::string& path,
                                                 const PcapReadOptions& options = {});
absl::StatusOr<PcapReadResult> read_pcap_packets_from_memory(std::span<const uint8_t> data,
                                                             const PcapReadOptions& options = {});

}  // namespace synfin::harness
