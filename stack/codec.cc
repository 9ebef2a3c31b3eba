// Wire codec for TCP inside IPv4/IPv6. See codec.h for the contract.
//
// Layout of this file: byte helpers and checksums first, then errors, then
// decoding (TCP options -> TCP header -> IP headers), then encoding in the same
// order. Decoding checks every length before reading, so no read leaves the span
// it was given; encoding validates everything before it writes, so a failed
// encode leaves the output untouched.
#include "stack/codec.h"

#include <bit>
#include <cstring>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace synfin {
namespace {

// ---------------------------------------------------------------------------
// Byte helpers. Network byte order is big-endian (RFC 791 Appendix B).

uint16_t load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t load32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}
uint8_t* store8(uint8_t* p, uint8_t v) {
  *p = v;
  return p + 1;
}
uint8_t* store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
  return p + 2;
}
uint8_t* store32(uint8_t* p, uint32_t v) {
  store16(p, static_cast<uint16_t>(v >> 16));
  return store16(p + 2, static_cast<uint16_t>(v));
}
uint8_t* store_bytes(uint8_t* p, const uint8_t* src, size_t n) {
  // memcpy with a null source is undefined even for n == 0, and an empty
  // std::vector may hand out a null data().
  if (n != 0) std::memcpy(p, src, n);
  return p + n;
}

// ---------------------------------------------------------------------------
// Internet checksum (RFC 1071).

// Folds a ones' complement accumulator to 16 bits with end-around carry. Any
// fold keeps the value mod 0xFFFF because 2^16 == 1 (mod 0xFFFF).
uint16_t fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Unfolded ones' complement sum of `data` read as big-endian 16-bit words (an
// odd final byte is padded with zero, RFC 1071 section 1). The bulk is summed
// four bytes at a time in native order into a 64-bit accumulator, which is both
// allowed and cheap: the sum is byte-order independent up to a final swap and
// can be computed in wider words and folded afterwards (RFC 1071 section 2,
// (B) and (C)).
uint64_t sum_words(std::span<const uint8_t> data) {
  const uint8_t* p = data.data();
  const size_t n = data.size();
  size_t i = 0;
  uint64_t wide = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t w;
    std::memcpy(&w, p + i, 4);  // unaligned-safe load
    wide += w;
  }
  uint16_t folded = fold(wide);
  if constexpr (std::endian::native == std::endian::little) {
    folded = static_cast<uint16_t>(folded << 8 | folded >> 8);
  }
  uint64_t sum = folded;
  // The tail starts at an even offset, so its words line up with the bulk's.
  for (; i + 2 <= n; i += 2) sum += load16(p + i);
  if (i < n) sum += uint32_t{p[i]} << 8;
  return sum;
}

// The pseudo-header's contribution to the TCP checksum.
//  IPv4 (RFC 9293 section 3.1): src, dst, zero, protocol 6, 16-bit TCP length.
//  IPv6 (RFC 8200 section 8.1): src, dst, 32-bit length, three zero bytes,
//    next header 6.
// Both reduce to the same sum: the 32-bit length contributes its two halves,
// and an IPv4 TCP length never exceeds 16 bits (the encoder enforces that).
// Each address contributes its own size() bytes.
uint32_t pseudo_header_sum(const IpAddr& src, const IpAddr& dst, size_t tcp_len) {
  uint32_t sum = 0;
  for (size_t i = 0; i < src.size(); i += 2) sum += load16(&src.bytes[i]);
  for (size_t i = 0; i < dst.size(); i += 2) sum += load16(&dst.bytes[i]);
  const auto len32 = static_cast<uint32_t>(tcp_len);
  return sum + (len32 >> 16) + (len32 & 0xFFFF) + 6;  // 6 = IPPROTO_TCP
}

// What the checksum field should have held, recovered from the verification
// result `verify` (the checksum computed with the transmitted field `field` in
// place). verify = ~(S + field), so S = ~verify - field and the right field is
// ~S. Ones' complement subtraction is addition of the complement. Used only to
// make error messages useful without a second pass over the data.
uint16_t expected_checksum(uint16_t verify, uint16_t field) {
  const uint16_t total = static_cast<uint16_t>(~verify);
  const uint16_t rest = fold(uint32_t{total} + static_cast<uint16_t>(~field));
  return static_cast<uint16_t>(~rest);
}

// ---------------------------------------------------------------------------
// Errors.

absl::Status decode_failure(DecodeError e, absl::string_view detail) {
  absl::Status s = absl::InvalidArgumentError(absl::StrCat(to_string(e), ": ", detail));
  s.SetPayload(kDecodeErrorUrl, absl::Cord(std::string(1, static_cast<char>(e))));
  return s;
}

// ---------------------------------------------------------------------------
// TCP option constants (RFC 9293 section 3.2, RFC 7323, RFC 2018).

constexpr uint8_t kOptEol = 0;
constexpr uint8_t kOptNop = 1;
constexpr uint8_t kOptMss = 2;
constexpr uint8_t kOptWindowScale = 3;   // RFC 7323 section 2.2
constexpr uint8_t kOptSackPermitted = 4;  // RFC 2018 section 2
constexpr uint8_t kOptSack = 5;          // RFC 2018 section 3
constexpr uint8_t kOptTimestamps = 8;    // RFC 7323 section 3.2

constexpr size_t kMssLen = 4;
constexpr size_t kWindowScaleLen = 3;
constexpr size_t kSackPermittedLen = 2;
constexpr size_t kTimestampsLen = 10;
constexpr size_t kSackBlockLen = 8;
constexpr size_t kMaxSackBlocks = 4;  // (40 - 2) / 8
size_t sack_option_len(size_t blocks) { return 2 + kSackBlockLen * blocks; }

constexpr size_t kTcpHeaderLen = 20;
constexpr size_t kMaxTcpOptionsLen = 40;  // data offset is 4 bits: 15 * 4 - 20
constexpr size_t kIpv4HeaderLen = 20;
constexpr size_t kIpv6HeaderLen = 40;
constexpr uint8_t kProtoTcp = 6;
constexpr uint16_t kHeaderFlagBits = 0x0FFF;  // 4 reserved bits + 8 control bits

// ---------------------------------------------------------------------------
// Decoding TCP options.

absl::Status bad_option_length(uint8_t kind, size_t len, absl::string_view want,
                               size_t offset) {
  return decode_failure(DecodeError::kBadOptionLength,
                        absl::StrFormat("TCP option kind %d has length %d (%s) at byte %d",
                                        kind, len, want, offset));
}

absl::Status expect_option_len(uint8_t kind, size_t len, size_t want, size_t offset) {
  if (len == want) return absl::OkStatus();
  return bad_option_length(kind, len, absl::StrCat("must be ", want), offset);
}

// Interprets one option whose kind/length framing is already known to be sound.
// `body` is the bytes after kind and length; `offset` is where the option
// starts, for messages. A repeated known option overwrites the earlier one
// ("last one wins"): RFC 9293 does not say which to use, and keeping one value
// per field is what makes decode(encode(x)) == x hold.
absl::Status decode_option(uint8_t kind, std::span<const uint8_t> body, size_t offset,
                           TcpOptions& o) {
  const size_t len = body.size() + 2;
  switch (kind) {
    case kOptMss:
      if (auto st = expect_option_len(kind, len, kMssLen, offset); !st.ok()) return st;
      o.mss = load16(body.data());
      return absl::OkStatus();
    case kOptWindowScale:
      if (auto st = expect_option_len(kind, len, kWindowScaleLen, offset); !st.ok()) return st;
      o.window_scale = body[0];  // raw: clamping to 14 (RFC 7323 2.3) is the stack's job
      return absl::OkStatus();
    case kOptSackPermitted:
      if (auto st = expect_option_len(kind, len, kSackPermittedLen, offset); !st.ok()) return st;
      o.sack_permitted = true;
      return absl::OkStatus();
    case kOptSack: {
      // RFC 2018 section 3: length 2 + 8n. n = 0 carries nothing and is malformed.
      if (len < sack_option_len(1) || body.size() % kSackBlockLen != 0) {
        return bad_option_length(kind, len, "must be 2 + 8n with n >= 1", offset);
      }
      const size_t n = body.size() / kSackBlockLen;
      // Unreachable from decode_tcp (5 blocks need 42 bytes of a 40-byte option
      // area) but kept so the invariant sack.size() <= 4 never rests on that.
      if (n > kMaxSackBlocks) {
        return decode_failure(DecodeError::kTooManySackBlocks,
                              absl::StrFormat("SACK option with %d blocks (max %d) at byte %d", n,
                                              kMaxSackBlocks, offset));
      }
      o.sack.clear();
      for (size_t i = 0; i < n; ++i) {
        const uint8_t* b = body.data() + i * kSackBlockLen;
        o.sack.push_back(SackBlock{SeqNum(load32(b)), SeqNum(load32(b + 4))});
      }
      return absl::OkStatus();
    }
    case kOptTimestamps:
      if (auto st = expect_option_len(kind, len, kTimestampsLen, offset); !st.ok()) return st;
      o.timestamps = Timestamps{load32(body.data()), load32(body.data() + 4)};
      return absl::OkStatus();
    default:
      o.unknown.push_back(RawOption{kind, std::vector<uint8_t>(body.begin(), body.end())});
      return absl::OkStatus();
  }
}

// Walks the option area (RFC 9293 section 3.2): EOL ends the list and anything
// after it is padding; NOP is a one-byte filler; every other kind is
// kind, length (counting kind and length), data.
absl::Status decode_options(std::span<const uint8_t> area, size_t base, TcpOptions& o) {
  size_t i = 0;
  while (i < area.size()) {
    const uint8_t kind = area[i];
    if (kind == kOptEol) break;
    if (kind == kOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= area.size()) {
      return decode_failure(
          DecodeError::kBadOptionLength,
          absl::StrFormat("TCP option kind %d at byte %d has no length byte", kind, base + i));
    }
    const size_t len = area[i + 1];
    if (len < 2) return bad_option_length(kind, len, "must be >= 2", base + i);
    if (len > area.size() - i) {
      return bad_option_length(kind, len,
                               absl::StrCat("runs past the option area, ", area.size() - i,
                                            " bytes left"),
                               base + i);
    }
    if (auto st = decode_option(kind, area.subspan(i + 2, len - 2), base + i, o); !st.ok()) {
      return st;
    }
    i += len;
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Decoding the TCP header (RFC 9293 section 3.1).
//
// `base` is where `tcp` starts inside the span the caller passed, so that error
// offsets are relative to what the caller holds (the TCP header for decode_tcp,
// the IP packet for decode_packet).
absl::Status decode_tcp_into(std::span<const uint8_t> tcp, size_t base, const IpAddr& src,
                             const IpAddr& dst, ChecksumPolicy policy, Segment& seg) {
  if (tcp.size() < kTcpHeaderLen) {
    return decode_failure(DecodeError::kTruncatedTcpHeader,
                          absl::StrFormat("%d TCP bytes, need at least %d, at byte %d",
                                          tcp.size(), kTcpHeaderLen, base));
  }
  const uint8_t* h = tcp.data();
  const size_t doff = h[12] >> 4;
  if (doff < 5) {
    return decode_failure(DecodeError::kBadDataOffset,
                          absl::StrFormat("bad TCP data offset %d (must be 5..15) at byte %d",
                                          doff, base + 12));
  }
  const size_t header_len = doff * 4;
  if (header_len > tcp.size()) {
    return decode_failure(
        DecodeError::kBadDataOffset,
        absl::StrFormat("bad TCP data offset %d (%d bytes) exceeds the %d TCP bytes at byte %d",
                        doff, header_len, tcp.size(), base + 12));
  }
  if (policy == ChecksumPolicy::kVerify) {
    if (const uint16_t v = tcp_checksum(src, dst, tcp); v != 0) {
      const uint16_t field = load16(h + 16);
      return decode_failure(
          DecodeError::kBadTcpChecksum,
          absl::StrFormat("bad TCP checksum 0x%04x (expected 0x%04x) at byte %d", field,
                          expected_checksum(v, field), base + 16));
    }
  }
  seg.src_port = load16(h);
  seg.dst_port = load16(h + 2);
  seg.seq = SeqNum(load32(h + 4));
  seg.ack = SeqNum(load32(h + 8));
  // The low nibble of byte 12 holds the reserved bits; Flags keeps them at
  // bits 8..11 so every header bit survives a round trip.
  seg.flags = Flags(static_cast<uint16_t>((h[12] & 0x0F) << 8 | h[13]));
  seg.window = load16(h + 14);
  seg.urgent_pointer = load16(h + 18);
  if (auto st = decode_options(tcp.subspan(kTcpHeaderLen, header_len - kTcpHeaderLen),
                               base + kTcpHeaderLen, seg.options);
      !st.ok()) {
    return st;
  }
  seg.payload.assign(tcp.begin() + static_cast<ptrdiff_t>(header_len), tcp.end());
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Decoding IPv4 (RFC 791 section 3.1).

absl::Status decode_ipv4(std::span<const uint8_t> bytes, ChecksumPolicy policy, IpPacket& p) {
  if (bytes.size() < kIpv4HeaderLen) {
    return decode_failure(DecodeError::kTruncatedIpHeader,
                          absl::StrFormat("%d bytes, an IPv4 header needs %d, at byte 0",
                                          bytes.size(), kIpv4HeaderLen));
  }
  const uint8_t* h = bytes.data();
  const size_t ihl = h[0] & 0x0F;
  if (ihl < 5) {
    return decode_failure(DecodeError::kBadIpHeaderLength,
                          absl::StrFormat("bad IPv4 IHL %d (must be 5..15) at byte 0", ihl));
  }
  const size_t header_len = ihl * 4;
  if (header_len > bytes.size()) {
    return decode_failure(
        DecodeError::kTruncatedIpHeader,
        absl::StrFormat("IPv4 IHL %d (%d bytes) but only %d bytes present, at byte 0", ihl,
                        header_len, bytes.size()));
  }
  const size_t total = load16(h + 2);
  if (total < header_len || total > bytes.size()) {
    return decode_failure(
        DecodeError::kBadIpTotalLength,
        absl::StrFormat("bad IPv4 total length %d (must be %d..%d) at byte 2", total,
                        header_len, bytes.size()));
  }
  if (policy == ChecksumPolicy::kVerify) {
    if (const uint16_t v = internet_checksum(bytes.first(header_len)); v != 0) {
      const uint16_t field = load16(h + 10);
      return decode_failure(
          DecodeError::kBadIpChecksum,
          absl::StrFormat("bad IPv4 header checksum 0x%04x (expected 0x%04x) at byte 10", field,
                          expected_checksum(v, field)));
    }
  }
  const uint16_t frag = load16(h + 6);
  const bool more_fragments = frag & 0x2000;
  const size_t frag_offset = frag & 0x1FFF;
  if (more_fragments || frag_offset != 0) {
    return decode_failure(
        DecodeError::kIpFragment,
        absl::StrFormat("IPv4 fragment (MF=%d, offset %d bytes) at byte 6; no reassembly",
                        more_fragments ? 1 : 0, frag_offset * 8));
  }
  if (h[9] != kProtoTcp) {
    return decode_failure(DecodeError::kNotTcp,
                          absl::StrFormat("IPv4 protocol %d is not TCP (6) at byte 9", h[9]));
  }
  p.tos = h[1];
  p.ipv4_id = load16(h + 4);
  p.dont_fragment = frag & 0x4000;
  p.ttl = h[8];
  p.ipv6_flow = 0;
  p.src = IpAddr::v4(h[12], h[13], h[14], h[15]);
  p.dst = IpAddr::v4(h[16], h[17], h[18], h[19]);
  // IPv4 options (header_len > 20) are skipped; bytes past `total` are link padding.
  return decode_tcp_into(bytes.subspan(header_len, total - header_len), header_len, p.src,
                         p.dst, policy, p.tcp);
}

// ---------------------------------------------------------------------------
// Decoding IPv6 (RFC 8200 sections 3 and 4).

// Extension headers we recognise but do not walk: ESP and AH (RFC 4303, 4302)
// have their own framing, the rest are rare (Mobility 135, HIP 139, Shim6 140,
// experimental 253/254; IANA "IPv6 Extension Header Types").
bool is_unwalked_extension(uint8_t nh) {
  switch (nh) {
    case 50: case 51: case 135: case 139: case 140: case 253: case 254:
      return true;
    default:
      return false;
  }
}

// Steps over the extension-header chain in bytes[kIpv6HeaderLen, end) and
// returns the offset of the TCP header.
absl::StatusOr<size_t> skip_ipv6_extensions(std::span<const uint8_t> bytes, size_t end) {
  uint8_t nh = bytes[6];
  size_t off = kIpv6HeaderLen;
  for (;;) {
    switch (nh) {
      case kProtoTcp:
        return off;
      case 0:  // Hop-by-Hop Options
        // RFC 8200 section 4.1: only allowed directly after the IPv6 header.
        if (off != kIpv6HeaderLen) {
          return decode_failure(
              DecodeError::kUnsupportedIpv6Extension,
              absl::StrFormat("IPv6 hop-by-hop header at byte %d is not first (RFC 8200 4.1)",
                              off));
        }
        [[fallthrough]];
      case 43:    // Routing
      case 60: {  // Destination Options
        // RFC 8200 sections 4.3-4.6: next header, then length in 8-octet units
        // not counting the first 8; so every such header is at least 8 bytes.
        if (end - off < 8) {
          return decode_failure(
              DecodeError::kBadIpTotalLength,
              absl::StrFormat("IPv6 extension header %d at byte %d is cut off by the payload "
                              "length (%d bytes left, need 8)",
                              nh, off, end - off));
        }
        const size_t len = (size_t{bytes[off + 1]} + 1) * 8;
        if (len > end - off) {
          return decode_failure(
              DecodeError::kBadIpTotalLength,
              absl::StrFormat("IPv6 extension header %d at byte %d has length %d bytes but "
                              "only %d remain in the payload",
                              nh, off, len, end - off));
        }
        nh = bytes[off];
        off += len;
        continue;
      }
      case 44:
        return decode_failure(
            DecodeError::kIpFragment,
            absl::StrFormat("IPv6 fragment header at byte %d; no reassembly", off));
      default:
        if (is_unwalked_extension(nh)) {
          return decode_failure(
              DecodeError::kUnsupportedIpv6Extension,
              absl::StrFormat("unsupported IPv6 extension header %d at byte %d", nh, off));
        }
        return decode_failure(
            DecodeError::kNotTcp,
            absl::StrFormat("IPv6 next header %d is not TCP (6) at byte %d", nh, off));
    }
  }
}

absl::Status decode_ipv6(std::span<const uint8_t> bytes, ChecksumPolicy policy, IpPacket& p) {
  if (bytes.size() < kIpv6HeaderLen) {
    return decode_failure(DecodeError::kTruncatedIpHeader,
                          absl::StrFormat("%d bytes, an IPv6 header needs %d, at byte 0",
                                          bytes.size(), kIpv6HeaderLen));
  }
  const uint8_t* h = bytes.data();
  const size_t payload_len = load16(h + 4);
  if (payload_len > bytes.size() - kIpv6HeaderLen) {
    return decode_failure(
        DecodeError::kBadIpTotalLength,
        absl::StrFormat("bad IPv6 payload length %d (only %d bytes follow the header) at byte 4",
                        payload_len, bytes.size() - kIpv6HeaderLen));
  }
  const size_t end = kIpv6HeaderLen + payload_len;
  absl::StatusOr<size_t> tcp_off = skip_ipv6_extensions(bytes, end);
  if (!tcp_off.ok()) return tcp_off.status();

  p.tos = static_cast<uint8_t>((h[0] & 0x0F) << 4 | h[1] >> 4);  // traffic class
  p.ipv6_flow = uint32_t{h[1] & 0x0Fu} << 16 | uint32_t{h[2]} << 8 | h[3];
  p.ttl = h[7];  // hop limit
  // IPv4-only fields get fixed values so decoded packets compare equal after a
  // round trip. IPv6 routers never fragment (RFC 8200 section 5), so DF holds.
  p.ipv4_id = 0;
  p.dont_fragment = true;
  std::array<uint8_t, 16> a;
  std::memcpy(a.data(), h + 8, 16);
  p.src = IpAddr::v6(a);
  std::memcpy(a.data(), h + 24, 16);
  p.dst = IpAddr::v6(a);
  // RFC 8200 section 8.1: with a Routing header the pseudo-header uses the final
  // destination, which at the recipient is the header's destination address.
  return decode_tcp_into(bytes.subspan(*tcp_off, end - *tcp_off), *tcp_off, p.src, p.dst,
                         policy, p.tcp);
}

// ---------------------------------------------------------------------------
// Encoding.

size_t unpadded_options_size(const TcpOptions& o) {
  size_t n = 0;
  if (o.mss) n += kMssLen;
  if (o.sack_permitted) n += kSackPermittedLen;
  if (o.timestamps) n += kTimestampsLen;
  if (o.window_scale) n += kWindowScaleLen;
  if (!o.sack.empty()) n += sack_option_len(o.sack.size());
  for (const RawOption& r : o.unknown) n += 2 + r.data.size();
  return n;
}

// Checks everything that could make encode_tcp fail, so that the writer itself
// cannot fail and a failed encode appends nothing.
absl::Status check_tcp_encodable(const Segment& s, const IpAddr& src, const IpAddr& dst,
                                 size_t tcp_size) {
  if (src.family != dst.family) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot encode TCP between ", src.to_string(), " and ", dst.to_string(),
                     ": address families differ"));
  }
  if (const size_t n = encoded_options_size(s.options); n > kMaxTcpOptionsLen) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "TCP options need %d bytes, at most %d fit (<%s>)", n, kMaxTcpOptionsLen,
        options_to_string(s.options)));
  }
  for (const RawOption& r : s.options.unknown) {
    // EOL and NOP are single bytes with no length field (RFC 9293 3.2), so a
    // RawOption of those kinds has no wire form. Other known kinds are emitted
    // verbatim, which lets a fuzzer send malformed MSS, SACK, ... options.
    if (r.kind == kOptEol || r.kind == kOptNop) {
      return absl::InvalidArgumentError(
          absl::StrFormat("RawOption kind %d (EOL/NOP) cannot carry a length and data", r.kind));
    }
  }
  if (s.flags.bits & ~kHeaderFlagBits) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "flags 0x%04x have bits outside the 12 header bits", s.flags.bits));
  }
  // The IPv4 pseudo-header carries a 16-bit TCP length, IPv6's a 32-bit one.
  const size_t max_len = src.family == IpFamily::kV4 ? 0xFFFF : 0xFFFFFFFF;
  if (tcp_size > max_len) {
    return absl::InvalidArgumentError(
        absl::StrFormat("TCP segment of %d bytes exceeds the pseudo-header limit %d", tcp_size,
                        max_len));
  }
  return absl::OkStatus();
}

// Emits the options in the one canonical order (see codec.h) and pads with EOL
// (zero) bytes to `area_len`, a multiple of 4 (RFC 9293 section 3.1: the header
// ends on a 32-bit boundary). Returns the end of the area.
uint8_t* write_options(const TcpOptions& o, uint8_t* w, size_t area_len) {
  uint8_t* const start = w;
  if (o.mss) {
    w = store8(w, kOptMss), w = store8(w, kMssLen);
    w = store16(w, *o.mss);
  }
  if (o.sack_permitted) w = store8(w, kOptSackPermitted), w = store8(w, kSackPermittedLen);
  if (o.timestamps) {
    w = store8(w, kOptTimestamps), w = store8(w, kTimestampsLen);
    w = store32(w, o.timestamps->val);
    w = store32(w, o.timestamps->ecr);
  }
  if (o.window_scale) {
    w = store8(w, kOptWindowScale), w = store8(w, kWindowScaleLen);
    w = store8(w, *o.window_scale);
  }
  if (!o.sack.empty()) {
    w = store8(w, kOptSack);
    w = store8(w, static_cast<uint8_t>(sack_option_len(o.sack.size())));
    for (const SackBlock& b : o.sack) {
      w = store32(w, b.left.raw);
      w = store32(w, b.right.raw);
    }
  }
  for (const RawOption& r : o.unknown) {
    w = store8(w, r.kind), w = store8(w, static_cast<uint8_t>(2 + r.data.size()));
    w = store_bytes(w, r.data.data(), r.data.size());
  }
  uint8_t* const end = start + area_len;
  std::memset(w, kOptEol, static_cast<size_t>(end - w));
  return end;
}

// Writes header, options, payload and checksum into w[0, tcp_size). The
// caller has checked the segment with check_tcp_encodable.
void write_tcp(const Segment& s, const IpAddr& src, const IpAddr& dst, uint8_t* w,
               size_t tcp_size) {
  const size_t options_len = encoded_options_size(s.options);
  const size_t header_len = kTcpHeaderLen + options_len;
  uint8_t* const start = w;
  w = store16(w, s.src_port);
  w = store16(w, s.dst_port);
  w = store32(w, s.seq.raw);
  w = store32(w, s.ack.raw);
  w = store8(w, static_cast<uint8_t>((header_len / 4) << 4 | (s.flags.bits >> 8 & 0x0F)));
  w = store8(w, static_cast<uint8_t>(s.flags.bits));
  w = store16(w, s.window);
  w = store16(w, 0);  // checksum, filled in below
  w = store16(w, s.urgent_pointer);
  w = write_options(s.options, w, options_len);
  store_bytes(w, s.payload.data(), s.payload.size());
  store16(start + 16, tcp_checksum(src, dst, std::span<const uint8_t>(start, tcp_size)));
}

void write_ipv4_header(const IpPacket& p, size_t total, uint8_t* w) {
  uint8_t* const start = w;
  w = store8(w, 0x45);  // version 4, IHL 5: no options
  w = store8(w, p.tos);
  w = store16(w, static_cast<uint16_t>(total));
  w = store16(w, p.ipv4_id);
  w = store16(w, p.dont_fragment ? 0x4000 : 0);  // flags + fragment offset 0
  w = store8(w, p.ttl);
  w = store8(w, kProtoTcp);
  w = store16(w, 0);  // header checksum, filled in below
  w = store_bytes(w, p.src.bytes.data(), 4);
  store_bytes(w, p.dst.bytes.data(), 4);
  store16(start + 10, internet_checksum(std::span<const uint8_t>(start, kIpv4HeaderLen)));
}

void write_ipv6_header(const IpPacket& p, size_t payload_len, uint8_t* w) {
  // Version 6, traffic class, 20-bit flow label (RFC 8200 section 3).
  w = store32(w, uint32_t{6} << 28 | uint32_t{p.tos} << 20 | p.ipv6_flow);
  w = store16(w, static_cast<uint16_t>(payload_len));
  w = store8(w, kProtoTcp);
  w = store8(w, p.ttl);
  w = store_bytes(w, p.src.bytes.data(), 16);
  store_bytes(w, p.dst.bytes.data(), 16);
}

absl::Status check_ip_encodable(const IpPacket& p, size_t tcp_size) {
  if (p.src.family == IpFamily::kV4) {
    if (kIpv4HeaderLen + tcp_size > 0xFFFF) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "IPv4 packet of %d bytes exceeds the 65535-byte total length", kIpv4HeaderLen + tcp_size));
    }
    return absl::OkStatus();
  }
  if (tcp_size > 0xFFFF) {  // jumbograms (RFC 2675) are not supported
    return absl::InvalidArgumentError(
        absl::StrFormat("IPv6 payload of %d bytes exceeds 65535", tcp_size));
  }
  if (p.ipv6_flow > 0xFFFFF) {
    return absl::InvalidArgumentError(
        absl::StrFormat("IPv6 flow label 0x%x exceeds 20 bits", p.ipv6_flow));
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------
// Public API.

const char* to_string(DecodeError e) {
  switch (e) {
    case DecodeError::kTruncatedIpHeader: return "TruncatedIpHeader";
    case DecodeError::kBadIpVersion: return "BadIpVersion";
    case DecodeError::kBadIpHeaderLength: return "BadIpHeaderLength";
    case DecodeError::kBadIpTotalLength: return "BadIpTotalLength";
    case DecodeError::kBadIpChecksum: return "BadIpChecksum";
    case DecodeError::kIpFragment: return "IpFragment";
    case DecodeError::kNotTcp: return "NotTcp";
    case DecodeError::kUnsupportedIpv6Extension: return "UnsupportedIpv6Extension";
    case DecodeError::kTruncatedTcpHeader: return "TruncatedTcpHeader";
    case DecodeError::kBadDataOffset: return "BadDataOffset";
    case DecodeError::kBadOptionLength: return "BadOptionLength";
    case DecodeError::kTooManySackBlocks: return "TooManySackBlocks";
    case DecodeError::kBadTcpChecksum: return "BadTcpChecksum";
  }
  return "UnknownDecodeError";  // a value cast from outside the enum
}

std::optional<DecodeError> decode_error_of(const absl::Status& s) {
  const auto payload = s.GetPayload(kDecodeErrorUrl);  // absl::optional: may not be std::
  if (!payload || payload->size() != 1) return std::nullopt;
  const auto v = static_cast<uint8_t>((*payload)[0]);
  if (v > static_cast<uint8_t>(DecodeError::kBadTcpChecksum)) return std::nullopt;
  return static_cast<DecodeError>(v);
}

uint16_t internet_checksum(std::span<const uint8_t> data, uint32_t initial) {
  return static_cast<uint16_t>(~fold(sum_words(data) + initial));
}

uint16_t tcp_checksum(const IpAddr& src, const IpAddr& dst, std::span<const uint8_t> tcp_bytes) {
  return internet_checksum(tcp_bytes, pseudo_header_sum(src, dst, tcp_bytes.size()));
}

size_t encoded_options_size(const TcpOptions& o) {
  return (unpadded_options_size(o) + 3) & ~size_t{3};
}

size_t encoded_tcp_size(const Segment& s) {
  return kTcpHeaderLen + encoded_options_size(s.options) + s.payload.size();
}

size_t encoded_packet_size(const IpPacket& p) {
  return (p.src.family == IpFamily::kV4 ? kIpv4HeaderLen : kIpv6HeaderLen) +
         encoded_tcp_size(p.tcp);
}

absl::Status encode_tcp(const Segment& s, const IpAddr& src, const IpAddr& dst,
                        std::vector<uint8_t>& out) {
  const size_t n = encoded_tcp_size(s);
  if (auto st = check_tcp_encodable(s, src, dst, n); !st.ok()) return st;
  const size_t old = out.size();
  out.resize(old + n);  // grows geometrically, so repeated appends stay amortised O(1)
  write_tcp(s, src, dst, out.data() + old, n);
  return absl::OkStatus();
}

absl::Status check_packet_encodable(const IpPacket& p) {
  const size_t tcp_size = encoded_tcp_size(p.tcp);
  if (auto st = check_tcp_encodable(p.tcp, p.src, p.dst, tcp_size); !st.ok()) return st;
  return check_ip_encodable(p, tcp_size);
}

absl::Status encode_packet(const IpPacket& p, std::vector<uint8_t>& out) {
  if (auto st = check_packet_encodable(p); !st.ok()) return st;
  const size_t tcp_size = encoded_tcp_size(p.tcp);
  const bool v4 = p.src.family == IpFamily::kV4;
  const size_t ip_len = v4 ? kIpv4HeaderLen : kIpv6HeaderLen;
  const size_t old = out.size();
  out.resize(old + ip_len + tcp_size);
  uint8_t* w = out.data() + old;
  if (v4) {
    write_ipv4_header(p, ip_len + tcp_size, w);
  } else {
    write_ipv6_header(p, tcp_size, w);
  }
  write_tcp(p.tcp, p.src, p.dst, w + ip_len, tcp_size);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> encode_packet(const IpPacket& p) {
  std::vector<uint8_t> out;
  out.reserve(encoded_packet_size(p));
  if (auto st = encode_packet(p, out); !st.ok()) return st;
  return out;
}

absl::StatusOr<Segment> decode_tcp(std::span<const uint8_t> bytes, const IpAddr& src,
                                   const IpAddr& dst, ChecksumPolicy policy) {
  // Mixed families are the caller's mistake, not the bytes', so no DecodeError.
  if (src.family != dst.family) {
    return absl::InvalidArgumentError(absl::StrCat("decode_tcp between ", src.to_string(),
                                                   " and ", dst.to_string(),
                                                   ": address families differ"));
  }
  Segment seg;
  if (auto st = decode_tcp_into(bytes, 0, src, dst, policy, seg); !st.ok()) return st;
  return seg;
}

absl::StatusOr<IpPacket> decode_packet(std::span<const uint8_t> bytes, ChecksumPolicy policy) {
  if (bytes.empty()) {
    return decode_failure(DecodeError::kTruncatedIpHeader, "empty packet at byte 0");
  }
  IpPacket p;
  absl::Status st;
  switch (bytes[0] >> 4) {
    case 4:
      st = decode_ipv4(bytes, policy, p);
      break;
    case 6:
      st = decode_ipv6(bytes, policy, p);
      break;
    default:
      return decode_failure(
          DecodeError::kBadIpVersion,
          absl::StrFormat("bad IP version %d (must be 4 or 6) at byte 0", bytes[0] >> 4));
  }
  if (!st.ok()) return st;
  return p;
}

}  // namespace synfin
