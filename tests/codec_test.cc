// Tests for the wire codec (stack/codec.h): checksums against independent
// computations and a real captured segment, option parsing, every DecodeError
// from a hand-built packet, and round trips over structured random segments and
// brute-force byte strings. All randomness is a fixed-seed std::mt19937 used
// through raw draws (not std::*_distribution, whose output differs between
// standard libraries), so every run sees the same inputs.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "stack/codec.h"

namespace synfin {
namespace {

using Bytes = std::vector<uint8_t>;

const IpAddr kV4A = IpAddr::v4(10, 0, 0, 1);
const IpAddr kV4B = IpAddr::v4(10, 0, 0, 2);
const IpAddr kV6A = IpAddr::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
const IpAddr kV6B = IpAddr::v6({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});

// ---------------------------------------------------------------------------
// Independent reference implementations, written the obvious way so they share
// no code or cleverness with the codec.

uint16_t naive_checksum(const Bytes& data) {
  uint32_t sum = 0;
  for (size_t i = 0; i < data.size(); i += 2) {
    const uint32_t hi = data[i];
    const uint32_t lo = i + 1 < data.size() ? data[i + 1] : 0;
    sum += hi << 8 | lo;
    sum = (sum & 0xFFFF) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

// Pseudo-header spelled out byte by byte (RFC 9293 3.1; RFC 8200 8.1) + segment.
uint16_t naive_tcp_checksum(const IpAddr& src, const IpAddr& dst, const Bytes& tcp) {
  Bytes all;
  all.insert(all.end(), src.bytes.begin(), src.bytes.begin() + src.size());
  all.insert(all.end(), dst.bytes.begin(), dst.bytes.begin() + dst.size());
  const auto len = static_cast<uint32_t>(tcp.size());
  if (src.family == IpFamily::kV4) {
    all.insert(all.end(), {0, 6, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)});
  } else {
    all.insert(all.end(), {static_cast<uint8_t>(len >> 24), static_cast<uint8_t>(len >> 16),
                           static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len), 0, 0, 0,
                           6});
  }
  all.insert(all.end(), tcp.begin(), tcp.end());
  return naive_checksum(all);
}

void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

// Recomputes the IPv4 header checksum after a test edits the header.
void fix_ipv4_checksum(Bytes& pkt) {
  const size_t ihl = (pkt[0] & 0x0F) * 4u;
  put16(pkt, 10, 0);
  put16(pkt, 10, naive_checksum(Bytes(pkt.begin(), pkt.begin() + static_cast<ptrdiff_t>(ihl))));
}

// Recomputes the TCP checksum of tcp bytes starting at `at` and running to the end.
void fix_tcp_checksum(Bytes& pkt, size_t at, const IpAddr& src, const IpAddr& dst) {
  put16(pkt, at + 16, 0);
  put16(pkt, at + 16,
        naive_tcp_checksum(src, dst, Bytes(pkt.begin() + static_cast<ptrdiff_t>(at), pkt.end())));
}

// A TCP header with the given option bytes (a multiple of 4), payload and
// flags byte, checksummed for kV4A -> kV4B.
Bytes tcp_bytes(const Bytes& options, const Bytes& payload = {}, uint8_t flags = 0x02) {
  REQUIRE(options.size() % 4 == 0);
  Bytes b = {0x30, 0x39, 0x00, 0x50,  // ports 12345 -> 80
             0x00, 0x00, 0x03, 0xe8,  // seq 1000
             0x00, 0x00, 0x00, 0x00,  // ack 0
             static_cast<uint8_t>((20 + options.size()) / 4 << 4), flags,
             0xff, 0xff,  // window
             0x00, 0x00,  // checksum
             0x00, 0x00};
  b.insert(b.end(), options.begin(), options.end());
  b.insert(b.end(), payload.begin(), payload.end());
  fix_tcp_checksum(b, 0, kV4A, kV4B);
  return b;
}

// ---------------------------------------------------------------------------
// Structured random values. rng() % n is deliberately used over distributions.

uint32_t draw(std::mt19937& rng, uint32_t n) { return static_cast<uint32_t>(rng() % n); }

TcpOptions random_options(std::mt19937& rng) {
  TcpOptions o;
  if (draw(rng, 2)) o.mss = static_cast<uint16_t>(rng());
  if (draw(rng, 2)) o.window_scale = static_cast<uint8_t>(rng());
  o.sack_permitted = draw(rng, 2);
  if (draw(rng, 2)) o.timestamps = Timestamps{static_cast<uint32_t>(rng()), static_cast<uint32_t>(rng())};
  for (uint32_t n = draw(rng, 5); n > 0; --n) {
    o.sack.push_back(SackBlock{SeqNum(static_cast<uint32_t>(rng())), SeqNum(static_cast<uint32_t>(rng()))});
  }
  for (uint32_t n = draw(rng, 3); n > 0; --n) {
    uint8_t kind;
    do kind = static_cast<uint8_t>(rng());
    while (kind <= 5 || kind == 8);  // unknown kinds only
    Bytes data(draw(rng, 7));
    for (uint8_t& b : data) b = static_cast<uint8_t>(rng());
    o.unknown.push_back(RawOption{kind, data});
  }
  // Shed options until the set fits the 40-byte option area.
  while (encoded_options_size(o) > 40) {
    if (!o.unknown.empty()) {
      o.unknown.pop_back();
    } else {
      o.sack.pop_back();
    }
  }
  return o;
}

Segment random_segment(std::mt19937& rng) {
  Segment s;
  s.src_port = static_cast<uint16_t>(rng());
  s.dst_port = static_cast<uint16_t>(rng());
  s.seq = SeqNum(static_cast<uint32_t>(rng()));
  s.ack = SeqNum(static_cast<uint32_t>(rng()));
  s.flags = Flags(static_cast<uint16_t>(rng() & 0xFFF));  // control + reserved bits
  s.window = static_cast<uint16_t>(rng());
  s.urgent_pointer = static_cast<uint16_t>(rng());
  s.options = random_options(rng);
  s.payload.resize(draw(rng, 3) == 0 ? 0 : draw(rng, 200));
  for (uint8_t& b : s.payload) b = static_cast<uint8_t>(rng());
  return s;
}

IpAddr random_addr(std::mt19937& rng, IpFamily family) {
  IpAddr a;
  a.family = family;
  for (size_t i = 0; i < a.size(); ++i) a.bytes[i] = static_cast<uint8_t>(rng());
  return a;
}

// A packet as decode would produce it: IPv4-only fields fixed for IPv6 and the
// flow label zero for IPv4.
IpPacket random_packet(std::mt19937& rng) {
  const IpFamily family = draw(rng, 2) ? IpFamily::kV4 : IpFamily::kV6;
  IpPacket p;
  p.src = random_addr(rng, family);
  p.dst = random_addr(rng, family);
  p.ttl = static_cast<uint8_t>(rng());
  p.tos = static_cast<uint8_t>(rng());
  if (family == IpFamily::kV4) {
    p.ipv4_id = static_cast<uint16_t>(rng());
    p.dont_fragment = draw(rng, 2);
  } else {
    p.ipv6_flow = static_cast<uint32_t>(rng() & 0xFFFFF);
  }
  p.tcp = random_segment(rng);
  return p;
}

Bytes encode_or_fail(const IpPacket& p) {
  absl::StatusOr<Bytes> b = encode_packet(p);
  REQUIRE(b.ok());
  return *b;
}

std::optional<DecodeError> packet_error(const Bytes& b,
                                        ChecksumPolicy policy = ChecksumPolicy::kVerify) {
  absl::StatusOr<IpPacket> p = decode_packet(b, policy);
  REQUIRE_FALSE(p.ok());
  INFO(p.status().ToString());
  CHECK(p.status().code() == absl::StatusCode::kInvalidArgument);
  return decode_error_of(p.status());
}

std::optional<DecodeError> tcp_error(const Bytes& b,
                                     ChecksumPolicy policy = ChecksumPolicy::kVerify) {
  absl::StatusOr<Segment> s = decode_tcp(b, kV4A, kV4B, policy);
  REQUIRE_FALSE(s.ok());
  INFO(s.status().ToString());
  return decode_error_of(s.status());
}

Segment decode_tcp_or_fail(const Bytes& b) {
  absl::StatusOr<Segment> s = decode_tcp(b, kV4A, kV4B);
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return *s;
}

// A valid IPv4 SYN with options and payload, the base for malformed variants.
IpPacket sample_v4() {
  IpPacket p;
  p.src = kV4A;
  p.dst = kV4B;
  p.ipv4_id = 0x1234;
  p.tcp.src_port = 40000;
  p.tcp.dst_port = 80;
  p.tcp.seq = SeqNum(0xfffffff0);
  p.tcp.flags = kSyn;
  p.tcp.window = 65535;
  p.tcp.options.mss = 1460;
  p.tcp.options.sack_permitted = true;
  p.tcp.options.timestamps = Timestamps{1, 0};
  p.tcp.options.window_scale = 7;
  p.tcp.payload = {'h', 'i'};
  return p;
}

IpPacket sample_v6() {
  IpPacket p = sample_v4();
  p.src = kV6A;
  p.dst = kV6B;
  p.ipv4_id = 0;
  p.ipv6_flow = 0xabcde;
  return p;
}

// An IPv6 packet whose TCP segment sits behind extension headers. Each entry of
// `chain` is {type, total length in bytes (multiple of 8)}; the chain ends with
// `last` (6 for TCP) carrying `tcp`.
Bytes ipv6_with_extensions(const std::vector<std::pair<uint8_t, size_t>>& chain, uint8_t last,
                           const Bytes& tcp) {
  Bytes pkt = encode_or_fail(sample_v6());
  pkt.resize(40);
  std::vector<uint8_t> types;
  for (const auto& [type, len] : chain) types.push_back(type);
  types.push_back(last);
  pkt[6] = types[0];
  for (size_t i = 0; i < chain.size(); ++i) {
    Bytes ext(chain[i].second, 0);
    ext[0] = types[i + 1];
    ext[1] = static_cast<uint8_t>(chain[i].second / 8 - 1);
    pkt.insert(pkt.end(), ext.begin(), ext.end());
  }
  pkt.insert(pkt.end(), tcp.begin(), tcp.end());
  put16(pkt, 4, static_cast<uint16_t>(pkt.size() - 40));
  return pkt;
}

Bytes sample_v6_tcp() {
  const IpPacket p = sample_v6();
  Bytes tcp;
  REQUIRE(encode_tcp(p.tcp, p.src, p.dst, tcp).ok());
  return tcp;
}

// ---------------------------------------------------------------------------
// Checksums.

TEST_CASE("internet_checksum matches the RFC 1071 worked example", "[codec]") {
  // RFC 1071 section 3: words 0001 f203 f4f5 f6f7 sum to ddf2.
  const Bytes data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  CHECK(internet_checksum(data) == 0x220d);
}

TEST_CASE("internet_checksum verifies a well-known IPv4 header", "[codec]") {
  // 192.168.0.1 -> 192.168.0.199, UDP, checksum b861 (the usual textbook example).
  Bytes h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
             0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  CHECK(internet_checksum(h) == 0);
  h[10] = h[11] = 0;
  CHECK(internet_checksum(h) == 0xb861);
}

TEST_CASE("internet_checksum agrees with a naive sum for every length and alignment",
          "[codec]") {
  std::mt19937 rng(1071);
  Bytes buf(300);
  for (uint8_t& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t start = 0; start < 4; ++start) {
    for (size_t len = 0; len + start <= buf.size(); ++len) {
      const Bytes slice(buf.begin() + static_cast<ptrdiff_t>(start),
                        buf.begin() + static_cast<ptrdiff_t>(start + len));
      INFO("start " << start << " len " << len);
      REQUIRE(internet_checksum(std::span<const uint8_t>(buf).subspan(start, len)) ==
              naive_checksum(slice));
    }
  }
  // All-ones data exercises every end-around carry.
  const Bytes ones(1001, 0xff);
  CHECK(internet_checksum(ones) == naive_checksum(ones));
}

// A SYN-ACK captured from the wild (64.142.126.178:80 -> 192.168.1.3:36374),
// used as a checksum vector by Suricata's TCPCalculateValidChecksumtest01.
// Options: MSS 1460, SACK-permitted, timestamps, NOP, window scale 2.
const IpAddr kRealSrc = IpAddr::v4(64, 142, 126, 178);
const IpAddr kRealDst = IpAddr::v4(192, 168, 1, 3);
const Bytes kRealSynAck = {0x00, 0x50, 0x8e, 0x16, 0x0d, 0x59, 0xcd, 0x3c, 0xcf, 0x0d,
                           0x21, 0x80, 0xa0, 0x12, 0x16, 0xa0, 0xfa, 0x03, 0x00, 0x00,
                           0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x6e, 0x18,
                           0x78, 0x73, 0x01, 0x71, 0x74, 0xde, 0x01, 0x03, 0x03, 0x02};

TEST_CASE("a real captured SYN-ACK checksums and decodes", "[codec]") {
  CHECK(tcp_checksum(kRealSrc, kRealDst, kRealSynAck) == 0);
  Bytes zeroed = kRealSynAck;
  zeroed[16] = zeroed[17] = 0;
  CHECK(tcp_checksum(kRealSrc, kRealDst, zeroed) == 0xfa03);
  CHECK(naive_tcp_checksum(kRealSrc, kRealDst, zeroed) == 0xfa03);

  absl::StatusOr<Segment> s = decode_tcp(kRealSynAck, kRealSrc, kRealDst);
  REQUIRE(s.ok());
  CHECK(s->src_port == 80);
  CHECK(s->dst_port == 36374);
  CHECK(s->seq == SeqNum(0x0d59cd3c));
  CHECK(s->ack == SeqNum(0xcf0d2180));
  CHECK(s->flags == (kSyn | kAck));
  CHECK(s->window == 5792);
  CHECK(s->options.mss == uint16_t{1460});
  CHECK(s->options.sack_permitted);
  CHECK(s->options.timestamps == Timestamps{0x6e187873, 0x017174de});
  CHECK(s->options.window_scale == uint8_t{2});
  CHECK(s->options.unknown.empty());
  CHECK(s->payload.empty());

  // The message names the checksum that would have been right.
  Bytes wrong = kRealSynAck;
  put16(wrong, 16, 0x1234);
  absl::StatusOr<Segment> bad = decode_tcp(wrong, kRealSrc, kRealDst);
  REQUIRE(decode_error_of(bad.status()) == DecodeError::kBadTcpChecksum);
  CHECK_THAT(std::string(bad.status().message()),
             Catch::Contains("0x1234") && Catch::Contains("expected 0xfa03") &&
                 Catch::Contains("at byte 16"));
}

TEST_CASE("encoded checksums agree with the naive pseudo-header computation", "[codec]") {
  std::mt19937 rng(9293);
  for (int i = 0; i < 200; ++i) {
    const IpPacket p = random_packet(rng);
    Bytes tcp;
    REQUIRE(encode_tcp(p.tcp, p.src, p.dst, tcp).ok());
    CHECK(naive_tcp_checksum(p.src, p.dst, tcp) == 0);
    const Bytes pkt = encode_or_fail(p);
    if (p.src.family == IpFamily::kV4) {
      CHECK(naive_checksum(Bytes(pkt.begin(), pkt.begin() + 20)) == 0);
    }
  }
}

// ---------------------------------------------------------------------------
// Round trips.

TEST_CASE("random structured segments round-trip through encode_tcp/decode_tcp", "[codec]") {
  std::mt19937 rng(20240601);
  for (int i = 0; i < 2000; ++i) {
    const Segment s = random_segment(rng);
    const bool v4 = i % 2 == 0;
    const IpAddr& src = v4 ? kV4A : kV6A;
    const IpAddr& dst = v4 ? kV4B : kV6B;
    Bytes out = {0xaa};  // encode appends
    REQUIRE(encode_tcp(s, src, dst, out).ok());
    REQUIRE(out.size() == 1 + encoded_tcp_size(s));
    absl::StatusOr<Segment> back = decode_tcp(std::span<const uint8_t>(out).subspan(1), src, dst);
    INFO(segment_to_string(s));
    REQUIRE(back.ok());
    REQUIRE(*back == s);
  }
}

TEST_CASE("random packets round-trip through encode_packet/decode_packet", "[codec]") {
  std::mt19937 rng(8200);
  for (int i = 0; i < 2000; ++i) {
    const IpPacket p = random_packet(rng);
    const Bytes b = encode_or_fail(p);
    REQUIRE(b.size() == encoded_packet_size(p));
    absl::StatusOr<IpPacket> back = decode_packet(b);
    INFO(segment_to_string(p.tcp));
    REQUIRE(back.ok());
    REQUIRE(*back == p);
  }
}

TEST_CASE("IPv4 header fields are written and read back", "[codec]") {
  IpPacket p = sample_v4();
  p.ttl = 3;
  p.tos = 0xb8;  // DSCP EF
  p.ipv4_id = 0xbeef;
  p.dont_fragment = false;
  const Bytes b = encode_or_fail(p);
  CHECK(b[0] == 0x45);
  CHECK(b[1] == 0xb8);
  CHECK((b[2] << 8 | b[3]) == static_cast<int>(b.size()));
  CHECK((b[4] << 8 | b[5]) == 0xbeef);
  CHECK((b[6] << 8 | b[7]) == 0);  // no DF, no MF, offset 0
  CHECK(b[8] == 3);
  CHECK(b[9] == 6);
  absl::StatusOr<IpPacket> back = decode_packet(b);
  REQUIRE(back.ok());
  CHECK(*back == p);

  p.dont_fragment = true;
  const Bytes df = encode_or_fail(p);
  CHECK((df[6] << 8 | df[7]) == 0x4000);
  CHECK(decode_packet(df)->dont_fragment);
}

TEST_CASE("IPv4 options are skipped and link padding is ignored", "[codec]") {
  const IpPacket p = sample_v4();
  Bytes b = encode_or_fail(p);
  // Insert 8 bytes of IPv4 options (NOP x3 + EOL, then zeros) and bump IHL.
  const Bytes ip_options = {1, 1, 1, 0, 0, 0, 0, 0};
  b.insert(b.begin() + 20, ip_options.begin(), ip_options.end());
  b[0] = 0x47;
  put16(b, 2, static_cast<uint16_t>(b.size()));
  fix_ipv4_checksum(b);
  b.insert(b.end(), {0, 0, 0, 0, 0, 0});  // Ethernet minimum-frame padding
  absl::StatusOr<IpPacket> back = decode_packet(b);
  REQUIRE(back.ok());
  CHECK(*back == p);
}

TEST_CASE("IPv6 header fields are written and read back", "[codec]") {
  IpPacket p = sample_v6();
  p.tos = 0xa5;
  p.ipv6_flow = 0xfedcb;
  p.ttl = 255;
  const Bytes b = encode_or_fail(p);
  CHECK(b[0] == 0x6a);  // version 6, traffic class high nibble
  CHECK(b[1] == 0x5f);  // traffic class low nibble, flow label high nibble
  CHECK(b[2] == 0xed);
  CHECK(b[3] == 0xcb);
  CHECK((b[4] << 8 | b[5]) == static_cast<int>(b.size() - 40));
  CHECK(b[6] == 6);
  CHECK(b[7] == 255);
  absl::StatusOr<IpPacket> back = decode_packet(b);
  REQUIRE(back.ok());
  CHECK(*back == p);
  CHECK(back->dont_fragment);  // fixed for IPv6 (RFC 8200 section 5)
  CHECK(back->ipv4_id == 0);
}

TEST_CASE("IPv6 hop-by-hop, routing and destination options headers are walked", "[codec]") {
  const Bytes tcp = sample_v6_tcp();
  const Bytes pkt = ipv6_with_extensions({{0, 8}, {43, 24}, {60, 16}}, 6, tcp);
  absl::StatusOr<IpPacket> back = decode_packet(pkt);
  INFO(back.status().ToString());
  REQUIRE(back.ok());
  CHECK(back->tcp == sample_v6().tcp);
  CHECK(back->ipv6_flow == sample_v6().ipv6_flow);
}

TEST_CASE("SYN+FIN, all control bits and reserved bits survive", "[codec]") {
  for (uint16_t bits : {uint16_t{0x003}, uint16_t{0x0FF}, uint16_t{0xF00}, uint16_t{0xFFF},
                        uint16_t{0x107}}) {
    Segment s;
    s.flags = Flags(bits);
    s.payload = {1, 2, 3};
    Bytes b;
    REQUIRE(encode_tcp(s, kV4A, kV4B, b).ok());
    CHECK((b[12] & 0x0F) == bits >> 8);
    CHECK(b[13] == (bits & 0xFF));
    CHECK(decode_tcp_or_fail(b).flags == Flags(bits));
  }
  Segment synfin;
  synfin.flags = kSyn | kFin;
  CHECK(synfin.seg_len() == SeqLen(2));
  Bytes b;
  REQUIRE(encode_tcp(synfin, kV4A, kV4B, b).ok());
  CHECK(decode_tcp_or_fail(b).flags == (kSyn | kFin));
}

// ---------------------------------------------------------------------------
// Options.

TEST_CASE("every known option kind decodes, with values kept raw", "[codec]") {
  const Bytes opts = {
      2, 4, 0x00, 0x00,                           // MSS 0 (kept, not treated as absent)
      3, 3, 200,                                  // window scale 200 (not clamped to 14)
      4, 2,                                       // SACK permitted
      8, 10, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff,  // TS val 1 ecr 2^32-1
      5, 18, 0, 0, 0, 10, 0, 0, 0, 20,            // SACK 10:20
      0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 5,         //      2^32-16:5 (wraps)
      0, 0, 0};                                   // EOL, padding to 40
  const Segment s = decode_tcp_or_fail(tcp_bytes(opts));
  CHECK(s.options.mss == uint16_t{0});
  CHECK(s.options.window_scale == uint8_t{200});
  CHECK(s.options.sack_permitted);
  CHECK(s.options.timestamps == Timestamps{1, 0xffffffff});
  REQUIRE(s.options.sack.size() == 2);
  CHECK(s.options.sack[0] == SackBlock{SeqNum(10), SeqNum(20)});
  CHECK(s.options.sack[1] == SackBlock{SeqNum(0xfffffff0), SeqNum(5)});
  CHECK(s.options.unknown.empty());
}

TEST_CASE("four SACK blocks fill the option area exactly", "[codec]") {
  Bytes opts = {1, 1, 5, 34};
  for (uint8_t i = 0; i < 32; ++i) opts.push_back(i);
  opts.push_back(0);
  opts.push_back(0);
  opts.push_back(0);
  opts.push_back(0);
  REQUIRE(opts.size() == 40);
  const Segment s = decode_tcp_or_fail(tcp_bytes(opts));
  REQUIRE(s.options.sack.size() == 4);
  CHECK(s.options.sack[3] == SackBlock{SeqNum(0x18191a1b), SeqNum(0x1c1d1e1f)});
}

TEST_CASE("NOPs are skipped and EOL ends the option list", "[codec]") {
  // Bytes after EOL look like an MSS option but are padding (RFC 9293 3.2).
  const Bytes opts = {1, 1, 3, 3, 7, 0, 2, 4, 5, 0xb4, 0, 0};
  const Segment s = decode_tcp_or_fail(tcp_bytes(opts));
  CHECK(s.options.window_scale == uint8_t{7});
  CHECK_FALSE(s.options.mss.has_value());
  // Garbage after EOL, even malformed, is ignored too.
  CHECK(decode_tcp_or_fail(tcp_bytes({0, 2, 1, 9})).options.empty());
}

TEST_CASE("unknown options are kept in wire order and re-emitted", "[codec]") {
  const Bytes opts = {30, 4, 0xaa, 0xbb,  // MPTCP-ish, 2 data bytes
                      2, 4, 5, 0xb4,      // MSS between unknowns
                      254, 2,             // experimental, no data
                      1, 1};
  const Segment s = decode_tcp_or_fail(tcp_bytes(opts));
  REQUIRE(s.options.unknown.size() == 2);
  CHECK(s.options.unknown[0] == RawOption{30, {0xaa, 0xbb}});
  CHECK(s.options.unknown[1] == RawOption{254, {}});
  CHECK(s.options.mss == uint16_t{1460});
  Bytes again;
  REQUIRE(encode_tcp(s, kV4A, kV4B, again).ok());
  CHECK(decode_tcp_or_fail(again) == s);
}

TEST_CASE("a repeated known option: the last one wins", "[codec]") {
  const Bytes opts = {2, 4, 0x01, 0x00,               // MSS 256
                      5, 10, 0, 0, 0, 1, 0, 0, 0, 2,  // SACK 1:2
                      2, 4, 0x02, 0x00,               // MSS 512
                      5, 10, 0, 0, 0, 3, 0, 0, 0, 4,  // SACK 3:4
                      0, 0, 0, 0};
  const Segment s = decode_tcp_or_fail(tcp_bytes(opts));
  CHECK(s.options.mss == uint16_t{512});
  REQUIRE(s.options.sack.size() == 1);
  CHECK(s.options.sack[0] == SackBlock{SeqNum(3), SeqNum(4)});
  Bytes again;
  REQUIRE(encode_tcp(s, kV4A, kV4B, again).ok());
  CHECK(decode_tcp_or_fail(again) == s);
}

TEST_CASE("options are encoded in canonical order and padded with EOL", "[codec]") {
  Segment s;
  s.options.unknown.push_back(RawOption{99, {}});
  s.options.sack.push_back(SackBlock{SeqNum(1), SeqNum(2)});
  s.options.window_scale = 14;
  s.options.timestamps = Timestamps{5, 6};
  s.options.sack_permitted = true;
  s.options.mss = 536;
  const Bytes want = {2, 4, 0x02, 0x18,               // MSS
                      4, 2,                           // SACK permitted
                      8, 10, 0, 0, 0, 5, 0, 0, 0, 6,  // timestamps
                      3, 3, 14,                       // window scale
                      5, 10, 0, 0, 0, 1, 0, 0, 0, 2,  // SACK
                      99, 2,                          // unknown
                      0};                             // EOL padding 31 -> 32
  CHECK(encoded_options_size(s.options) == 32);
  Bytes b;
  REQUIRE(encode_tcp(s, kV4A, kV4B, b).ok());
  REQUIRE(b.size() == 52);
  CHECK(b[12] >> 4 == 13);
  CHECK(Bytes(b.begin() + 20, b.end()) == want);
  CHECK(decode_tcp_or_fail(b) == s);
}

TEST_CASE("malformed options are rejected as kBadOptionLength", "[codec]") {
  const std::vector<std::pair<const char*, Bytes>> cases = {
      {"length byte missing", {1, 1, 1, 2}},
      {"length 0", {30, 0, 0, 0}},
      {"length 1", {30, 1, 0, 0}},
      {"runs past the area", {30, 6, 0, 0}},
      {"MSS length 3", {2, 3, 0, 0}},
      {"MSS length 5", {2, 5, 0, 0, 0, 0, 0, 0}},
      {"window scale length 4", {3, 4, 0, 0}},
      {"SACK-permitted length 3", {4, 3, 0, 0}},
      {"SACK with no blocks", {5, 2, 0, 0}},
      {"SACK length not 2+8n", {5, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
      {"timestamps length 8", {8, 8, 0, 0, 0, 0, 0, 0}},
  };
  for (const auto& [name, opts] : cases) {
    INFO(name);
    CHECK(tcp_error(tcp_bytes(opts)) == DecodeError::kBadOptionLength);
  }
  // Five SACK blocks would need 42 bytes; the 40-byte area makes the length run
  // past it, so kTooManySackBlocks cannot arise from wire bytes.
  Bytes five = {5, 42};
  five.resize(40, 0);
  CHECK(tcp_error(tcp_bytes(five)) == DecodeError::kBadOptionLength);
}

TEST_CASE("option errors name the kind, length and byte offset", "[codec]") {
  absl::StatusOr<Segment> s = decode_tcp(tcp_bytes({1, 2, 3, 0}), kV4A, kV4B);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(std::string(s.status().message()),
             Catch::Contains("BadOptionLength") && Catch::Contains("kind 2") &&
                 Catch::Contains("length 3") && Catch::Contains("byte 21"));
  // Offsets from decode_packet count from the start of the IP header.
  Bytes pkt = encode_or_fail(sample_v4());
  pkt[40] = 2;
  pkt[41] = 9;
  fix_tcp_checksum(pkt, 20, kV4A, kV4B);
  absl::StatusOr<IpPacket> p = decode_packet(pkt);
  REQUIRE(decode_error_of(p.status()) == DecodeError::kBadOptionLength);
  CHECK_THAT(std::string(p.status().message()), Catch::Contains("at byte 40"));
}

// ---------------------------------------------------------------------------
// Every DecodeError from a hand-built malformed packet.

TEST_CASE("decode errors: IP layer", "[codec]") {
  const Bytes v4 = encode_or_fail(sample_v4());
  const Bytes v6 = encode_or_fail(sample_v6());

  SECTION("kTruncatedIpHeader") {
    CHECK(packet_error({}) == DecodeError::kTruncatedIpHeader);
    CHECK(packet_error(Bytes(v4.begin(), v4.begin() + 19)) == DecodeError::kTruncatedIpHeader);
    CHECK(packet_error(Bytes(v6.begin(), v6.begin() + 39)) == DecodeError::kTruncatedIpHeader);
    Bytes b = v4;
    b[0] = 0x4f;  // IHL 15: 60 header bytes, more than the packet holds
    b.resize(56);
    CHECK(packet_error(b) == DecodeError::kTruncatedIpHeader);
  }
  SECTION("kBadIpVersion") {
    for (uint8_t first : {0x05, 0x55, 0x75, 0xf5}) {
      Bytes b = v4;
      b[0] = first;
      CHECK(packet_error(b) == DecodeError::kBadIpVersion);
    }
  }
  SECTION("kBadIpHeaderLength") {
    Bytes b = v4;
    b[0] = 0x44;
    fix_ipv4_checksum(b);
    CHECK(packet_error(b) == DecodeError::kBadIpHeaderLength);
  }
  SECTION("kBadIpTotalLength") {
    Bytes longer = v4;
    put16(longer, 2, static_cast<uint16_t>(v4.size() + 1));
    fix_ipv4_checksum(longer);
    CHECK(packet_error(longer) == DecodeError::kBadIpTotalLength);
    Bytes shorter = v4;
    put16(shorter, 2, 19);  // less than the header itself
    fix_ipv4_checksum(shorter);
    CHECK(packet_error(shorter) == DecodeError::kBadIpTotalLength);
    Bytes b6 = v6;
    put16(b6, 4, static_cast<uint16_t>(v6.size() - 39));
    CHECK(packet_error(b6) == DecodeError::kBadIpTotalLength);
  }
  SECTION("kBadIpChecksum") {
    Bytes b = v4;
    b[8] ^= 1;  // TTL changed, checksum not updated
    CHECK(packet_error(b) == DecodeError::kBadIpChecksum);
    // kIgnore skips the IP header checksum too.
    CHECK(decode_packet(b, ChecksumPolicy::kIgnore).ok());
  }
  SECTION("kIpFragment") {
    Bytes mf = v4;
    mf[6] |= 0x20;
    fix_ipv4_checksum(mf);
    CHECK(packet_error(mf) == DecodeError::kIpFragment);
    Bytes offset = v4;
    put16(offset, 6, 0x0001);  // offset 8 bytes, last fragment
    fix_ipv4_checksum(offset);
    CHECK(packet_error(offset) == DecodeError::kIpFragment);
    CHECK(packet_error(ipv6_with_extensions({{44, 8}}, 6, sample_v6_tcp())) ==
          DecodeError::kIpFragment);
  }
  SECTION("kNotTcp") {
    Bytes udp = v4;
    udp[9] = 17;
    fix_ipv4_checksum(udp);
    CHECK(packet_error(udp) == DecodeError::kNotTcp);
    for (uint8_t nh : {17, 58, 59}) {  // UDP, ICMPv6, No Next Header
      Bytes b = v6;
      b[6] = nh;
      CHECK(packet_error(b) == DecodeError::kNotTcp);
    }
    CHECK(packet_error(ipv6_with_extensions({{60, 8}}, 17, sample_v6_tcp())) ==
          DecodeError::kNotTcp);
  }
  SECTION("kUnsupportedIpv6Extension") {
    Bytes ah = v6;
    ah[6] = 51;
    CHECK(packet_error(ah) == DecodeError::kUnsupportedIpv6Extension);
    // Hop-by-hop anywhere but first (RFC 8200 section 4.1).
    CHECK(packet_error(ipv6_with_extensions({{60, 8}, {0, 8}}, 6, sample_v6_tcp())) ==
          DecodeError::kUnsupportedIpv6Extension);
  }
  SECTION("truncated IPv6 extension headers are kBadIpTotalLength") {
    // Header claims 16 bytes but the payload ends after 8.
    Bytes b = ipv6_with_extensions({{60, 8}}, 6, {});
    b[41] = 1;
    CHECK(packet_error(b) == DecodeError::kBadIpTotalLength);
    // Fewer than 8 bytes left for the extension header.
    Bytes tiny = ipv6_with_extensions({}, 60, {1, 2, 3});
    CHECK(packet_error(tiny) == DecodeError::kBadIpTotalLength);
  }
}

TEST_CASE("decode errors: TCP layer", "[codec]") {
  const Bytes v4 = encode_or_fail(sample_v4());

  SECTION("kTruncatedTcpHeader") {
    Bytes b = v4;
    b.resize(39);
    put16(b, 2, 39);
    fix_ipv4_checksum(b);
    CHECK(packet_error(b) == DecodeError::kTruncatedTcpHeader);
    CHECK(tcp_error({}) == DecodeError::kTruncatedTcpHeader);
  }
  SECTION("kBadDataOffset") {
    for (uint8_t doff : {0, 4}) {
      Bytes b = tcp_bytes({});
      b[12] = static_cast<uint8_t>(doff << 4);
      CHECK(tcp_error(b) == DecodeError::kBadDataOffset);
    }
    Bytes b = tcp_bytes({1, 1, 1, 1}, {9, 9, 9});  // 27 bytes
    b[12] = 7 << 4;                                // claims a 28-byte header
    CHECK(tcp_error(b) == DecodeError::kBadDataOffset);
    Bytes four = tcp_bytes({});
    four[12] = 4 << 4;
    CHECK(std::string(decode_tcp(four, kV4A, kV4B).status().message()) ==
          "BadDataOffset: bad TCP data offset 4 (must be 5..15) at byte 12");
  }
  SECTION("kBadOptionLength inside a full packet") {
    Bytes b = v4;
    b[41] = 5;  // MSS option length 4 -> 5
    fix_tcp_checksum(b, 20, kV4A, kV4B);
    CHECK(packet_error(b) == DecodeError::kBadOptionLength);
  }
  SECTION("kBadTcpChecksum") {
    Bytes b = v4;
    b.back() ^= 0x40;  // payload bit flip
    CHECK(packet_error(b) == DecodeError::kBadTcpChecksum);
    absl::StatusOr<IpPacket> ignored = decode_packet(b, ChecksumPolicy::kIgnore);
    REQUIRE(ignored.ok());
    CHECK(ignored->tcp.payload.back() == ('i' ^ 0x40));
    // Corrupt the IPv6 pseudo-header instead: a different source address.
    Bytes v6 = encode_or_fail(sample_v6());
    v6[23] ^= 1;
    CHECK(packet_error(v6) == DecodeError::kBadTcpChecksum);
  }
}

TEST_CASE("decode_error_of and to_string", "[codec]") {
  CHECK_FALSE(decode_error_of(absl::OkStatus()).has_value());
  CHECK_FALSE(decode_error_of(absl::InvalidArgumentError("x")).has_value());
  for (uint8_t v = 0; v <= static_cast<uint8_t>(DecodeError::kBadTcpChecksum); ++v) {
    absl::Status s = absl::InvalidArgumentError("x");
    s.SetPayload(kDecodeErrorUrl, absl::Cord(std::string(1, static_cast<char>(v))));
    CHECK(decode_error_of(s) == static_cast<DecodeError>(v));
    CHECK(std::string(to_string(static_cast<DecodeError>(v))) != "UnknownDecodeError");
  }
  absl::Status junk = absl::InvalidArgumentError("x");
  junk.SetPayload(kDecodeErrorUrl, absl::Cord("\x7f"));
  CHECK_FALSE(decode_error_of(junk).has_value());
  // Mixed families are a caller error, not a DecodeError.
  absl::StatusOr<Segment> mixed = decode_tcp(tcp_bytes({}), kV4A, kV6B);
  REQUIRE_FALSE(mixed.ok());
  CHECK_FALSE(decode_error_of(mixed.status()).has_value());
}

// ---------------------------------------------------------------------------
// Encode failures.

TEST_CASE("encode rejects what it cannot represent and appends nothing", "[codec]") {
  const Bytes prefix = {1, 2, 3};
  auto rejects = [&](const IpPacket& p) {
    Bytes out = prefix;
    const absl::Status st = encode_packet(p, out);
    INFO(st.ToString());
    CHECK(st.code() == absl::StatusCode::kInvalidArgument);
    CHECK(out == prefix);
    // The check alone says the same, word for word.
    CHECK(check_packet_encodable(p) == st);
  };
  SECTION("options over 40 bytes") {
    IpPacket p = sample_v4();  // 19 bytes of options already
    p.tcp.options.unknown.push_back(RawOption{99, Bytes(20)});
    CHECK(encoded_options_size(p.tcp.options) == 44);
    rejects(p);
    Bytes out = prefix;
    CHECK_FALSE(encode_tcp(p.tcp, p.src, p.dst, out).ok());
    CHECK(out == prefix);
    // One byte less fits exactly.
    p.tcp.options.unknown.back().data.resize(19);
    CHECK(encode_packet(p).ok());
  }
  SECTION("five SACK blocks") {
    IpPacket p = sample_v4();
    p.tcp.options = TcpOptions{};
    for (uint32_t i = 0; i < 5; ++i) p.tcp.options.sack.push_back({SeqNum(i), SeqNum(i + 1)});
    rejects(p);
  }
  SECTION("address families differ") {
    IpPacket p = sample_v4();
    p.dst = kV6B;
    rejects(p);
    Bytes out = prefix;
    CHECK_FALSE(encode_tcp(p.tcp, kV6A, kV4B, out).ok());
    CHECK(out == prefix);
  }
  SECTION("EOL/NOP as RawOption, flag bits beyond the header, oversized flow label") {
    IpPacket p = sample_v4();
    p.tcp.options.unknown.push_back(RawOption{1, {}});
    rejects(p);
    p = sample_v4();
    p.tcp.flags = Flags(0x1002);
    rejects(p);
    p = sample_v6();
    p.ipv6_flow = 0x100000;
    rejects(p);
  }
  SECTION("packet too large for the IP length field") {
    IpPacket p = sample_v4();
    p.tcp.payload.resize(65535 - 20 - 40 + 1);
    rejects(p);
    p.tcp.payload.resize(65535 - 20 - 40);
    CHECK(encode_packet(p).ok());
    CHECK(check_packet_encodable(p).ok());
  }
}

TEST_CASE("a known option kind in RawOption is emitted verbatim", "[codec]") {
  // Lets a fuzzer send a malformed MSS; the decoder then reports it.
  Segment s;
  s.options.unknown.push_back(RawOption{2, {5}});
  Bytes b;
  REQUIRE(encode_tcp(s, kV4A, kV4B, b).ok());
  CHECK(b[20] == 2);
  CHECK(b[21] == 3);
  CHECK(tcp_error(b) == DecodeError::kBadOptionLength);
}

// ---------------------------------------------------------------------------
// Brute force: no input crashes the decoder, and whatever decodes round-trips.

// On success, encoding and decoding again must give the same value.
void check_round_trip_if_decodes(const Bytes& b, ChecksumPolicy policy) {
  absl::StatusOr<IpPacket> p = decode_packet(b, policy);
  if (!p.ok()) {
    INFO(p.status().ToString());
    REQUIRE(decode_error_of(p.status()).has_value());
    return;
  }
  absl::StatusOr<Bytes> again = encode_packet(*p);
  INFO(segment_to_string(p->tcp));
  REQUIRE(again.ok());
  absl::StatusOr<IpPacket> back = decode_packet(*again);
  REQUIRE(back.ok());
  REQUIRE(*back == *p);
}

TEST_CASE("every truncation prefix of a valid packet fails cleanly", "[codec]") {
  const std::vector<Bytes> packets = {
      encode_or_fail(sample_v4()), encode_or_fail(sample_v6()),
      ipv6_with_extensions({{0, 8}, {43, 16}}, 6, sample_v6_tcp())};
  for (const Bytes& full : packets) {
    for (size_t n = 0; n < full.size(); ++n) {
      // Decode from a heap copy of exactly n bytes so ASan catches any overread.
      const Bytes prefix(full.begin(), full.begin() + static_cast<ptrdiff_t>(n));
      INFO("prefix length " << n);
      absl::StatusOr<IpPacket> p = decode_packet(prefix);
      REQUIRE_FALSE(p.ok());
      REQUIRE(decode_error_of(p.status()).has_value());
    }
    CHECK(decode_packet(full).ok());
  }
  // Same for raw TCP, where a prefix can still be a valid (shorter) segment only
  // if the checksum happens to match, so use kIgnore and round-trip successes.
  Bytes tcp;
  REQUIRE(encode_tcp(sample_v4().tcp, kV4A, kV4B, tcp).ok());
  for (size_t n = 0; n <= tcp.size(); ++n) {
    const Bytes prefix(tcp.begin(), tcp.begin() + static_cast<ptrdiff_t>(n));
    absl::StatusOr<Segment> s = decode_tcp(prefix, kV4A, kV4B, ChecksumPolicy::kIgnore);
    CHECK(s.ok() == (n >= 40));  // 40 = header + options; the rest is payload
  }
}

TEST_CASE("random byte strings never crash the decoder", "[codec]") {
  std::mt19937 rng(0x5eed);
  int decoded = 0;
  for (int i = 0; i < 30000; ++i) {
    Bytes b(draw(rng, 120));
    for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
    // Steer half the inputs past the version and length checks.
    if (b.size() >= 40 && draw(rng, 2)) {
      size_t tcp_at;
      if (draw(rng, 2)) {
        b[0] = 0x45;
        put16(b, 2, static_cast<uint16_t>(b.size() - draw(rng, 4)));
        b[6] &= 0x40, b[7] = 0;  // keep DF, clear MF and the fragment offset
        b[9] = 6;
        tcp_at = 20;
      } else {
        b[0] = 0x60;
        put16(b, 4, static_cast<uint16_t>(b.size() - 40));
        b[6] = draw(rng, 4) ? 6 : 60;
        tcp_at = 40;
      }
      // Often no options (data offset 5) so the payload path is reached too.
      if (b.size() >= tcp_at + 20 && draw(rng, 2)) b[tcp_at + 12] = 0x50;
    }
    const ChecksumPolicy policy = i % 2 ? ChecksumPolicy::kIgnore : ChecksumPolicy::kVerify;
    absl::StatusOr<IpPacket> p = decode_packet(b, policy);
    if (p.ok()) ++decoded;
    check_round_trip_if_decodes(b, policy);
    // Raw TCP decoding of the same bytes, both families.
    (void)decode_tcp(b, kV4A, kV4B, policy);
    (void)decode_tcp(b, kV6A, kV6B, policy);
  }
  CHECK(decoded > 1000);  // the steering reaches the TCP decoder and past it
}

TEST_CASE("mutated valid packets decode or fail cleanly and round-trip", "[codec]") {
  std::mt19937 rng(793);
  int decoded = 0;
  for (int i = 0; i < 5000; ++i) {
    Bytes b = encode_or_fail(random_packet(rng));
    for (uint32_t flips = 1 + draw(rng, 4); flips > 0; --flips) {
      b[draw(rng, static_cast<uint32_t>(b.size()))] ^= static_cast<uint8_t>(1u << draw(rng, 8));
    }
    if (draw(rng, 4) == 0) b.resize(draw(rng, static_cast<uint32_t>(b.size()) + 1));
    absl::StatusOr<IpPacket> p = decode_packet(b, ChecksumPolicy::kIgnore);
    if (p.ok()) ++decoded;
    check_round_trip_if_decodes(b, ChecksumPolicy::kIgnore);
  }
  CHECK(decoded > 1000);
}

}  // namespace
}  // namespace synfin
