// One IP packet taken from a capture file, with where it came from. Shared by the
// libpcap reader (harness/pcap_reader.h) and the libpcap-free parts of the
// importer (flow splitting, the fuzz target's savefile walker).
#pragma once

#include <cstdint>
#include <vector>

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
  // The record's number in the file, counted from 0 over every record (skipped
  // ones included), so messages match the file.
  uint64_t record = 0;
};

}  // namespace synfin::harness
