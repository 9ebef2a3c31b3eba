// Wire codec: TCP header and options, inside IPv4 or IPv6, with the pseudo-header
// checksum, in both directions.
//
// Decoding accepts arbitrary bytes: it never reads outside the span it was given
// and reports the first thing wrong as a specific error. Encoding a decoded value
// and decoding it again gives the same value (options are emitted in one canonical
// order, so NOP/EOL padding is not preserved byte for byte, but every field is).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "stack/ip.h"
#include "stack/segment.h"

namespace synfin {

// Why a decode failed. Each error Status carries one of these as the payload
// under kDecodeErrorUrl (as a single byte), and names it in its message, so
// callers and tests can tell errors apart without parsing text.
enum class DecodeError : uint8_t {
  kTruncatedIpHeader,
  kBadIpVersion,
  kBadIpHeaderLength,
  kBadIpTotalLength,
  kBadIpChecksum,
  kIpFragment,
  kNotTcp,
  kUnsupportedIpv6Extension,
  kTruncatedTcpHeader,
  kBadDataOffset,
  kBadOptionLength,
  kTooManySackBlocks,
  kBadTcpChecksum,
};
inline constexpr char kDecodeErrorUrl[] = "synfin.dev/decode-error";
const char* to_string(DecodeError e);
// The DecodeError a failed decode reported, if `s` came from the codec.
std::optional<DecodeError> decode_error_of(const absl::Status& s);

// Whether decode verifies the TCP checksum. Captures from hosts with checksum
// offload carry wrong checksums that are not the sender's fault.
enum class ChecksumPolicy : uint8_t { kVerify, kIgnore };

// Internet checksum (RFC 1071) helpers.
uint16_t internet_checksum(std::span<const uint8_t> data, uint32_t initial = 0);
// The TCP checksum over pseudo-header + `tcp_bytes` (whose checksum field must be
// zero, or hold the checksum: the result is then 0 for a correct segment).
uint16_t tcp_checksum(const IpAddr& src, const IpAddr& dst, std::span<const uint8_t> tcp_bytes);

// Bytes the encoded TCP options take, padded to a multiple of 4. May exceed 40 for
// an oversized option set; encode_tcp rejects that.
size_t encoded_options_size(const TcpOptions& o);
// Bytes of the TCP header plus payload.
size_t encoded_tcp_size(const Segment& s);
// Bytes of the whole packet, IP header included.
size_t encoded_packet_size(const IpPacket& p);

// Appends the TCP header, options and payload, with the checksum computed over the
// pseudo-header of src/dst. Fails (and appends nothing) if the options do not fit
// in 40 bytes or src and dst are of different families.
absl::Status encode_tcp(const Segment& s, const IpAddr& src, const IpAddr& dst,
                        std::vector<uint8_t>& out);
// Appends an IPv4 or IPv6 header (by p.src.family) and the TCP segment.
absl::Status encode_packet(const IpPacket& p, std::vector<uint8_t>& out);
// What encode_packet would return, without writing anything: for callers that
// only need to know whether a packet could go on the wire.
absl::Status check_packet_encodable(const IpPacket& p);
absl::StatusOr<std::vector<uint8_t>> encode_packet(const IpPacket& p);

// Decodes TCP header + options + payload from `bytes`, the IP payload.
absl::StatusOr<Segment> decode_tcp(std::span<const uint8_t> bytes, const IpAddr& src,
                                   const IpAddr& dst,
                                   ChecksumPolicy policy = ChecksumPolicy::kVerify);
// Decodes an IPv4 or IPv6 packet carrying TCP (version from the first nibble).
// Bytes after the IP total/payload length (link padding) are ignored.
absl::StatusOr<IpPacket> decode_packet(std::span<const uint8_t> bytes,
                                       ChecksumPolicy policy = ChecksumPolicy::kVerify);

}  // namespace synfin
