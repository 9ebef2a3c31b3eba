#include "harness/capture_decode.h"

#include <span>
#include <vector>

#include "stack/codec.h"

namespace synfin::harness {
namespace {

SkipReason reason_for(const absl::Status& s) {
  const std::optional<DecodeError> e = decode_error_of(s);
  if (!e) return SkipReason::kMalformed;
  switch (*e) {
    case DecodeError::kIpFragment:
      return SkipReason::kIpFragment;
    case DecodeError::kNotTcp:
    case DecodeError::kUnsupportedIpv6Extension:
      return SkipReason::kNotTcp;
    case DecodeError::kTruncatedIpHeader:
    case DecodeError::kBadIpVersion:
    case DecodeError::kBadIpHeaderLength:
    case DecodeError::kBadIpTotalLength:
    case DecodeError::kBadIpChecksum:
    case DecodeError::kTruncatedTcpHeader:
    case DecodeError::kBadDataOffset:
    case DecodeError::kBadOptionLength:
    case DecodeError::kTooManySackBlocks:
    case DecodeError::kBadTcpChecksum:
      return SkipReason::kMalformed;
  }
  return SkipReason::kMalformed;
}

bool checksum_error(const absl::Status& s) {
  const std::optional<DecodeError> e = decode_error_of(s);
  return e == DecodeError::kBadTcpChecksum || e == DecodeError::kBadIpChecksum;
}

// The packet's length as its IP header states it, if the header is there to say.
std::optional<size_t> declared_length(std::span<const uint8_t> b) {
  if (b.size() >= 20 && b[0] >> 4 == 4) return size_t{b[2]} << 8 | b[3];
  if (b.size() >= 40 && b[0] >> 4 == 6) return 40 + (size_t{b[4]} << 8 | b[5]);
  return std::nullopt;
}

// Where the TCP header starts, for IPv4 and for IPv6 without extension headers.
std::optional<size_t> tcp_offset(std::span<const uint8_t> b) {
  if (b.size() >= 20 && b[0] >> 4 == 4) return size_t{b[0] & 0x0Fu} * 4;
  if (b.size() >= 40 && b[0] >> 4 == 6 && b[6] == 6) return size_t{40};
  return std::nullopt;
}

// The packet cut down to its IP header and the fixed TCP header, with the data
// offset saying "no options" and the IP length fields adjusted to match.
std::optional<std::vector<uint8_t>> without_options(std::span<const uint8_t> b, size_t declared) {
  const std::optional<size_t> ip_len = tcp_offset(b);
  if (!ip_len || b.size() < *ip_len + 20) return std::nullopt;
  const size_t tcp_len = static_cast<size_t>(b[*ip_len + 12] >> 4) * 4;
  if (tcp_len < 20 || declared < *ip_len + tcp_len) return std::nullopt;
  const size_t payload = declared - *ip_len - tcp_len;
  std::vector<uint8_t> out(b.begin(), b.begin() + static_cast<ptrdiff_t>(*ip_len + 20));
  out[*ip_len + 12] = static_cast<uint8_t>(5 << 4 | (out[*ip_len + 12] & 0x0F));
  const size_t total = *ip_len + 20 + payload;
  const size_t field = out[0] >> 4 == 4 ? total : total - 40;
  const size_t at = out[0] >> 4 == 4 ? 2 : 4;
  out[at] = static_cast<uint8_t>(field >> 8);
  out[at + 1] = static_cast<uint8_t>(field);
  out.resize(total, 0);
  return out;
}

// A packet shorter than its IP header says: the snapshot length cut it, or the
// frame lost bytes. Only lengths matter to the importer, so the payload is
// zero-filled to the stated length; options cut off are dropped. Checksums
// cannot be verified. Unusable when the cut reaches into the fixed headers.
DecodeOutcome decode_cut(std::span<const uint8_t> bytes, size_t declared) {
  DecodeOutcome out;
  std::vector<uint8_t> padded(bytes.begin(), bytes.end());
  padded.resize(declared, 0);
  absl::StatusOr<IpPacket> d = decode_packet(padded, ChecksumPolicy::kIgnore);
  // Every header byte must have been captured, none made up of the padding.
  if (!d.ok() || bytes.size() + d->tcp.payload.size() < declared) {
    const SkipReason r = d.ok() ? SkipReason::kCutHeader : reason_for(d.status());
    if (r == SkipReason::kIpFragment || r == SkipReason::kNotTcp) {
      out.skipped = r;
      return out;
    }
    std::optional<std::vector<uint8_t>> bare = without_options(bytes, declared);
    if (bare) d = decode_packet(*bare, ChecksumPolicy::kIgnore);
    if (!bare || !d.ok()) {
      out.skipped = SkipReason::kCutHeader;
      return out;
    }
  }
  out.decoded = DecodedPacket{*std::move(d), false, true};
  return out;
}

}  // namespace

const char* to_string(SkipReason r) {
  switch (r) {
    case SkipReason::kNotIp: return "not IPv4/IPv6";
    case SkipReason::kNotTcp: return "not TCP";
    case SkipReason::kIpFragment: return "IP fragment";
    case SkipReason::kCutHeader: return "IP/TCP header cut short";
    case SkipReason::kMalformed: return "malformed IP/TCP header";
    case SkipReason::kDuplicate: return "captured twice";
  }
  return "?";
}

DecodeOutcome decode_captured(const CapturedPacket& p) {
  if (const std::optional<size_t> declared = declared_length(p.bytes);
      declared && *declared > p.bytes.size()) {
    return decode_cut(p.bytes, *declared);
  }
  DecodeOutcome out;
  absl::StatusOr<IpPacket> d = decode_packet(p.bytes, ChecksumPolicy::kVerify);
  bool fixed = false;
  if (!d.ok() && checksum_error(d.status())) {
    // NIC checksum offload: the capture saw the packet before the card filled
    // the checksum in. Judge the rest of the packet without it.
    d = decode_packet(p.bytes, ChecksumPolicy::kIgnore);
    fixed = true;
  }
  if (!d.ok()) {
    out.skipped = reason_for(d.status());
    return out;
  }
  out.decoded = DecodedPacket{*std::move(d), fixed, false};
  return out;
}

}  // namespace synfin::harness
