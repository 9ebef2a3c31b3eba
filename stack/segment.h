// A TCP segment as a plain value: what the header and options say, in host order.
//
// Flags are a bitset, not an enum of "kinds", so that odd combinations such as
// SYN+FIN or SYN+RST reach the state machine (and the fuzzer) intact; deciding
// what to do with them is the state machine's job, not the parser's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "stack/seq.h"

namespace synfin {

// The eight control bits in header order (RFC 9293 section 3.1, RFC 3168) plus
// the four reserved bits above them, so every header bit survives a round trip.
struct Flags {
  uint16_t bits = 0;

  static constexpr uint16_t kFin = 0x01;
  static constexpr uint16_t kSyn = 0x02;
  static constexpr uint16_t kRst = 0x04;
  static constexpr uint16_t kPsh = 0x08;
  static constexpr uint16_t kAck = 0x10;
  static constexpr uint16_t kUrg = 0x20;
  static constexpr uint16_t kEce = 0x40;
  static constexpr uint16_t kCwr = 0x80;
  static constexpr uint16_t kReservedMask = 0xF00;  // header bits 4..7 of byte 12

  constexpr Flags() = default;
  constexpr explicit Flags(uint16_t b) : bits(b) {}

  constexpr bool fin() const { return bits & kFin; }
  constexpr bool syn() const { return bits & kSyn; }
  constexpr bool rst() const { return bits & kRst; }
  constexpr bool psh() const { return bits & kPsh; }
  constexpr bool ack() const { return bits & kAck; }
  constexpr bool urg() const { return bits & kUrg; }
  constexpr bool has(uint16_t mask) const { return (bits & mask) == mask; }

  friend constexpr bool operator==(Flags, Flags) = default;
  friend constexpr Flags operator|(Flags a, Flags b) { return Flags(a.bits | b.bits); }
};

inline constexpr Flags kFin{Flags::kFin};
inline constexpr Flags kSyn{Flags::kSyn};
inline constexpr Flags kRst{Flags::kRst};
inline constexpr Flags kPsh{Flags::kPsh};
inline constexpr Flags kAck{Flags::kAck};
inline constexpr Flags kUrg{Flags::kUrg};

// tcpdump's spelling: "S", "S.", "F.", "R", "P." ... ("." is ACK), with "E", "W",
// "U" for ECE, CWR, URG and "r<hex>" for reserved bits.
std::string flags_to_string(Flags f);

struct SackBlock {
  SeqNum left;   // first sequence number of the block
  SeqNum right;  // sequence number just past the block
  friend bool operator==(const SackBlock&, const SackBlock&) = default;
};

struct Timestamps {
  uint32_t val = 0;
  uint32_t ecr = 0;
  friend bool operator==(const Timestamps&, const Timestamps&) = default;
};

// An option the codec does not interpret, kept so it can be re-emitted.
struct RawOption {
  uint8_t kind = 0;
  std::vector<uint8_t> data;  // bytes after kind and length
  friend bool operator==(const RawOption&, const RawOption&) = default;
};

// Options as the wire carries them. Values are kept raw (a window scale of 15 stays
// 15); clamping is protocol policy and happens in the stack.
struct TcpOptions {
  std::optional<uint16_t> mss;                 // kind 2
  std::optional<uint8_t> window_scale;         // kind 3
  bool sack_permitted = false;                 // kind 4
  absl::InlinedVector<SackBlock, 4> sack;      // kind 5, at most 4 blocks
  std::optional<Timestamps> timestamps;        // kind 8
  std::vector<RawOption> unknown;              // anything else, in wire order

  bool empty() const {
    return !mss && !window_scale && !sack_permitted && sack.empty() && !timestamps &&
           unknown.empty();
  }
  friend bool operator==(const TcpOptions&, const TcpOptions&) = default;
};

struct Segment {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  SeqNum seq;
  SeqNum ack;
  Flags flags;
  uint16_t window = 0;  // as on the wire, before any window scaling
  uint16_t urgent_pointer = 0;
  TcpOptions options;
  std::vector<uint8_t> payload;

  // SEG.LEN of RFC 9293: payload octets plus one for SYN and one for FIN.
  SeqLen seg_len() const {
    return SeqLen(static_cast<uint32_t>(payload.size()) + (flags.syn() ? 1u : 0u) +
                  (flags.fin() ? 1u : 0u));
  }
  // The first sequence number after this segment.
  SeqNum seq_end() const { return seq + seg_len(); }

  friend bool operator==(const Segment&, const Segment&) = default;
};

// "S 100:100(0) ack 7 win 65535 <mss 1460,nop,wscale 7>", packetdrill/tcpdump style.
std::string segment_to_string(const Segment& s);
std::string options_to_string(const TcpOptions& o);

}  // namespace synfin
