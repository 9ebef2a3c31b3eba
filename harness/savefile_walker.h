// A libpcap-free reader of classic pcap savefiles held in memory, for the
// pcap_import_fuzzer target: OSS-Fuzz's runner has no libpcap, so the fuzz
// target cannot use harness/pcap_reader. The CLI reads captures with libpcap;
// this walker accepts the same classic format (microsecond and nanosecond magic,
// either byte order) and reports damage the same way (record number and byte
// offset), with every length checked against the buffer. pcapng is not walked.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "harness/captured_packet.h"

namespace synfin::harness {

struct SavefileRecords {
  std::vector<CapturedPacket> packets;
  uint64_t records = 0;  // records read, skipped ones included
  uint64_t non_ip = 0;   // records carrying no IPv4/IPv6 (harness/link_layer.h)
  int link_type = -1;    // LINKTYPE_ value from the file header
  // Why walking stopped before the end (OK when it did not); `packets` holds
  // what came before the damage.
  absl::Status damage;
};

// Fails only when the file header is missing or is not a pcap header.
absl::StatusOr<SavefileRecords> walk_savefile(std::span<const uint8_t> data);

}  // namespace synfin::harness
