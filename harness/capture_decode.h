// Turns captured IP packets into TCP segments with the stack's codec, judging
// each one the way an importer of real traffic must: checksums left wrong by NIC
// offload are recomputed (counted, not rejected); a packet shorter than its IP
// header says (the snapshot length cut it, or the frame lost bytes) keeps the
// payload length the IP header gives, and drops TCP options cut off (the
// importer needs lengths and the fixed header only); fragments, non-TCP packets
// and packets whose fixed headers are cut are skipped with a reason.
#pragma once

#include <cstdint>
#include <optional>

#include "harness/captured_packet.h"
#include "stack/ip.h"

namespace synfin::harness {

enum class SkipReason : uint8_t {
  kNotIp = 0,       // the frame carried no IPv4/IPv6 (counted by the reader)
  kNotTcp,          // another IP protocol (or an IPv6 extension header synfin does not walk)
  kIpFragment,      // an IPv4 or IPv6 fragment: no reassembly
  kCutHeader,       // the capture cut into the IP header or the fixed TCP header
  kMalformed,       // the codec rejected the headers for another reason
  kDuplicate,       // the same packet again at the same instant: captured twice
};
inline constexpr int kNumSkipReasons = 6;
const char* to_string(SkipReason r);

struct DecodedPacket {
  IpPacket packet;
  // The TCP or IPv4 header checksum was wrong and was taken as if right.
  bool checksum_fixed = false;
  // The packet was cut short; `packet.tcp.payload` has the length the IP header
  // gives, zero-filled past the captured bytes, and options cut off are gone.
  bool cut_salvaged = false;
};

struct DecodeOutcome {
  std::optional<DecodedPacket> decoded;
  SkipReason skipped = SkipReason::kMalformed;  // when `decoded` is empty
};

DecodeOutcome decode_captured(const CapturedPacket& p);

}  // namespace synfin::harness
