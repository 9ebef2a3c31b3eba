// The scenario model: everything one synfin run does, as a plain value.
//
// A scenario is a header (hosts, addresses, stack Config, link and fault-mix
// settings) and a list of operations: time advances, application calls,
// injected segments, expected segments, explicit link faults. Two encodings carry
// it: a compact, total binary form for fuzzers (scenario_binary.h) and a
// line-based text form for people (scenario_text.h). Both map onto this struct,
// so a crash input can be read, edited and replayed as text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "stack/config.h"
#include "stack/ip.h"
#include "stack/segment.h"
#include "stack/state.h"
#include "stack/time.h"

namespace synfin::harness {

// Endpoint: one synfin host (host 0) against a scripted peer whose segments are
// injected and whose expected replies are checked (packetdrill's model).
// Connection: two synfin hosts (0 = client, 1 = server) over faulty links.
enum class Mode : uint8_t { kEndpoint = 0, kConnection = 1 };

// Random fault probabilities for one direction, in units of 1/65536 per packet.
struct FaultMix {
  uint16_t drop = 0;
  uint16_t duplicate = 0;
  uint16_t reorder = 0;
  uint16_t corrupt = 0;
  uint16_t truncate = 0;
  friend bool operator==(const FaultMix&, const FaultMix&) = default;
  bool empty() const { return !drop && !duplicate && !reorder && !corrupt && !truncate; }
};

struct LinkSettings {
  Duration delay = Duration::millis(10);  // one-way propagation delay
  Duration jitter = Duration{0};          // extra delay drawn uniformly from [0, jitter]
  uint32_t mtu = 0;                       // 0: unlimited; larger IP packets are dropped
  uint32_t bandwidth_kbps = 0;            // 0: unlimited; else serialization delay
  uint32_t queue_packets = 0;             // 0: unlimited; else tail drop past this many queued
  FaultMix mix;
  friend bool operator==(const LinkSettings&, const LinkSettings&) = default;
};

struct ScenarioHeader {
  Mode mode = Mode::kConnection;
  IpFamily family = IpFamily::kV4;
  // Seeds the fault draws, the ISN key and ephemeral ports.
  uint64_t seed = 1;
  // When set, each direction's fault mix is drawn from the seed (a different mix
  // per seed, as deterministic-simulation testers do) instead of `links[d].mix`.
  bool draw_mix_from_seed = false;
  Config config;
  // links[0]: host 0 -> host 1 (client -> server); links[1]: the reverse.
  LinkSettings links[2];
  // Endpoint mode: the scripted peer's ISN (packetdrill scripts write the
  // peer's sequence numbers relative to it).
  uint32_t peer_isn = 0;
  friend bool operator==(const ScenarioHeader&, const ScenarioHeader&) = default;
};

// Where an injected segment's sequence or acknowledgment number is measured from.
// Relative bases let a fuzzer hit the live window without guessing 32-bit numbers.
enum class SeqBase : uint8_t {
  kAbsolute = 0,  // the offset is the number itself
  kPeerIsn,       // the scripted peer's ISN (packetdrill's relative numbering)
  kRcvNxt,        // the target host's RCV.NXT
  kRcvWndEdge,    // the target host's RCV.NXT + RCV.WND
};
inline constexpr int kNumSeqBases = 4;
enum class AckBase : uint8_t {
  kAbsolute = 0,
  kHostIss,  // the target host's ISS (packetdrill's relative numbering)
  kSndUna,   // the target host's SND.UNA
  kSndNxt,   // the target host's SND.NXT
  kSndMax,   // the target host's highest sequence number sent
};
inline constexpr int kNumAckBases = 5;

// Injected segments are addressed to a connection of the target host: by
// default the one the scripted peer is talking to; "spoof" variants change one
// element of the 4-tuple so the segment reaches no TCB or another one.
enum class Spoof : uint8_t {
  kNone = 0,
  kOtherSrcPort,   // source port + 1
  kOtherDstPort,   // destination port + 1
  kOtherSrcAddr,   // a third address
};
inline constexpr int kNumSpoofs = 4;

struct InjectedSegment {
  Flags flags;
  SeqBase seq_base = SeqBase::kPeerIsn;
  int64_t seq = 0;  // offset from seq_base (absolute number when kAbsolute)
  AckBase ack_base = AckBase::kHostIss;
  int64_t ack = 0;
  uint16_t window = 65535;
  uint16_t urgent_pointer = 0;
  uint16_t payload_len = 0;  // bytes follow the stream pattern at their offset
  TcpOptions options;
  Spoof spoof = Spoof::kNone;
  friend bool operator==(const InjectedSegment&, const InjectedSegment&) = default;
};

// What an endpoint scenario expects the host to send next (packetdrill's ">").
// Numbers are relative as in packetdrill: seq to the host's ISS, ack to the peer's
// ISN. Unset fields are wildcards.
struct ExpectedSegment {
  Flags flags;
  uint32_t seq = 0;
  uint16_t payload_len = 0;
  bool check_ack = false;
  uint32_t ack = 0;
  bool check_window = false;
  uint16_t window = 0;
  bool check_options = false;
  TcpOptions options;
  friend bool operator==(const ExpectedSegment&, const ExpectedSegment&) = default;
};

enum class FaultKind : uint8_t {
  kDrop = 0,
  kDuplicate,  // param: extra delay of the copy, microseconds
  kDelay,      // param: extra delay, microseconds
  kReorder,    // held back until `param` later packets of the direction have passed
  kCorrupt,    // param: which bit to flip (modulo the packet's bit length)
  kTruncate,   // param: bytes to keep (modulo the packet's length)
};
inline constexpr int kNumFaultKinds = 6;

enum class OpKind : uint8_t {
  kWait = 0,     // amount: microseconds of virtual time to let pass
  kListen,       // host, port
  kConnect,      // host, port (on the other host; in endpoint mode, the peer)
  kAccept,       // host: take the next established connection off the listener
  kSend,         // host, socket, amount: bytes (the stream pattern at the next offset)
  kRecv,         // host, socket, amount: most bytes to read
  kShutdown,     // host, socket: close the sending side
  kClose,        // host, socket
  kAbort,        // host, socket
  kInject,       // host (target), segment
  kExpect,       // host 0 in endpoint mode: the next outbound segment
  kFault,        // host: the sending host (the direction); fault; amount: its param.
                 // Applies to the next packet in that direction.
  kPartition,    // host: direction mask (1: host 0 -> 1, 2: host 1 -> 0, 3: both);
                 // amount: microseconds the link is cut
  kAwait,        // host, state; amount: the most microseconds to wait. Lets time
                 // pass until one of the host's connections is in `state` (CLOSED:
                 // until it has none but listeners), so an op can be aimed at a
                 // state however long the run takes to get there.
};
inline constexpr int kNumOpKinds = 14;

struct Op {
  OpKind kind = OpKind::kWait;
  uint8_t host = 0;       // target host (0 or 1); for faults, the sending host = direction
  uint8_t socket = 0;     // index into the host's socket table, in creation order
  uint16_t port = 80;
  uint64_t amount = 0;    // microseconds, bytes or fault parameter, by kind
  FaultKind fault = FaultKind::kDrop;
  State state = State::kClosed;  // kAwait
  InjectedSegment segment;   // kInject
  ExpectedSegment expected;  // kExpect
  friend bool operator==(const Op&, const Op&) = default;
};

struct Scenario {
  ScenarioHeader header;
  std::vector<Op> ops;
  friend bool operator==(const Scenario&, const Scenario&) = default;
};

// The header a run actually uses: every value brought into a range the simulator
// can run in bounded time without overflow (MSL and RTOs within 1 ms .. 1 h, retries
// <= 50, buffers and MSS non-zero, link delays <= 10 s). Idempotent. Decoding keeps
// what the input says, so encodings stay lossless; runs and oracles use this.
ScenarioHeader sanitized(const ScenarioHeader& h);

const char* to_string(OpKind k);
const char* to_string(FaultKind k);
const char* to_string(SeqBase b);
const char* to_string(AckBase b);
const char* to_string(Spoof s);

// The addresses the harness gives its hosts: 10.0.0.1/10.0.0.2 or fd00::1/fd00::2,
// and the scripted peer (endpoint mode) is host 1's address.
IpAddr host_address(IpFamily family, int host);
// The address spoofed segments come from.
IpAddr spoof_address(IpFamily family);

}  // namespace synfin::harness
