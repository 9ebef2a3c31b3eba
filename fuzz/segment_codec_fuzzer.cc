// Arbitrary bytes as an IPv4/IPv6 + TCP packet. Whatever decodes must encode, and
// decode again to the same value; nothing may crash or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz/fuzz_support.h"
#include "stack/codec.h"
#include "stack/segment.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace synfin;
  const std::span<const uint8_t> bytes(data, size);
  // Checksums are not what this target is after: ignore them on the way in so
  // the fuzzer explores headers and options, then demand a verified round trip.
  absl::StatusOr<IpPacket> p = decode_packet(bytes, ChecksumPolicy::kIgnore);
  if (!p.ok()) {
    if (!decode_error_of(p.status())) fuzz::die_with_failure("codec: error without a DecodeError", std::string(p.status().message()));
    return 0;
  }
  (void)segment_to_string(p->tcp);
  absl::StatusOr<std::vector<uint8_t>> encoded = encode_packet(*p);
  if (!encoded.ok()) fuzz::die_with_failure("codec: decoded packet does not encode", std::string(encoded.status().message()));
  absl::StatusOr<IpPacket> q = decode_packet(*encoded, ChecksumPolicy::kVerify);
  if (!q.ok()) fuzz::die_with_failure("codec: re-decode failed", std::string(q.status().message()));
  if (!(*q == *p)) fuzz::die_with_failure("codec: round trip changed the packet", segment_to_string(p->tcp) + " vs " + segment_to_string(q->tcp));
  return 0;
}
