// The simulator: ops in order, virtual time, links and faults, determinism.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "harness/pattern.h"
#include "harness/scenario_binary.h"
#include "harness/simulation.h"
#include "stack/codec.h"

using namespace synfin;
using namespace synfin::harness;

namespace {

Op make(OpKind kind, uint8_t host = 0, uint64_t amount = 0, uint8_t socket = 0) {
  Op op;
  op.kind = kind;
  op.host = host;
  op.amount = amount;
  op.socket = socket;
  return op;
}
Op wait_ms(int64_t ms) { return make(OpKind::kWait, 0, static_cast<uint64_t>(ms) * 1000); }

// Client (host 0) connects to the server (host 1), sends `bytes`, both close.
Scenario transfer(uint64_t bytes) {
  Scenario s;
  s.ops = {make(OpKind::kListen, 1),  make(OpKind::kConnect, 0), wait_ms(100),
           make(OpKind::kAccept, 1),  make(OpKind::kSend, 0, bytes), wait_ms(500),
           make(OpKind::kRecv, 1, 1 << 20, 1), make(OpKind::kShutdown, 0), wait_ms(100),
           make(OpKind::kRecv, 1, 1 << 20, 1), make(OpKind::kShutdown, 1, 0, 1), wait_ms(100)};
  return s;
}

// Records what the hosts' apps read and which transitions happened.
struct Recorder : RunObserver {
  std::vector<uint8_t> read[2];
  std::vector<std::string> transitions;
  int faults = 0, decode_errors = 0;
  void on_deliver(int h, ConnId, std::span<const uint8_t> b, Instant) override {
    read[h].insert(read[h].end(), b.begin(), b.end());
  }
  void on_transition(int h, ConnId, State f, State t, Cause, Instant) override {
    transitions.push_back(std::to_string(h) + ":" + to_string(f) + "->" + to_string(t));
  }
  void on_fault(int, FaultKind, uint64_t, Instant) override { ++faults; }
  void on_decode_error(int, const absl::Status&, Instant) override { ++decode_errors; }
};

}  // namespace

TEST_CASE("a clean transfer delivers every byte, both sides close, the network goes quiet",
          "[sim]") {
  Recorder rec;
  Simulation sim(transfer(20000), &rec);
  RunResult r = sim.run();
  CHECK(r.quiet);
  CHECK_FALSE(r.hit_limit);
  REQUIRE(rec.read[1].size() == 20000);
  std::vector<uint8_t> expected(20000);
  fill_stream(0, expected);
  CHECK(rec.read[1] == expected);
  // Client was the active closer: TIME-WAIT, then CLOSED after 2*MSL; nothing left.
  CHECK(std::find(rec.transitions.begin(), rec.transitions.end(), "0:FIN-WAIT-2->TIME-WAIT") !=
        rec.transitions.end());
  CHECK(sim.host(0).connection_count() == 0);
  CHECK(sim.host(1).connection_count() == 1);  // the listener
}

TEST_CASE("the event bound holds inside one instant when links have no delay", "[sim][limits]") {
  // With zero propagation delay the whole exchange happens at one virtual instant:
  // each arrival makes the other host answer at once. The bound must stop that
  // chain mid-instant, or a fuzz input that makes two hosts answer each other
  // forever would hang the run.
  Scenario s = transfer(20000);
  s.header.links[0].delay = Duration{0};
  s.header.links[1].delay = Duration{0};
  RunLimits limits;
  limits.max_events = 10;
  Simulation sim(s, nullptr, limits);
  RunResult r = sim.run();
  CHECK(r.hit_limit);
  // Ops count as events too and are not cut mid-op, so at most one op's worth over.
  CHECK(r.events <= limits.max_events + 1);
}

TEST_CASE("link drops and faults are reported when they happen, not when the frame would arrive",
          "[sim][trace]") {
  // The client's first data segment is delayed by 5 s and then meets the MTU
  // stage; the drop is decided at send time, so the timeline must not jump ahead.
  struct Clock : RunObserver {
    std::vector<Instant> times;
    std::vector<Instant> drops;
    void on_wire_send(int, std::span<const uint8_t>, Instant now) override { times.push_back(now); }
    void on_wire_deliver(int, std::span<const uint8_t>, Instant now) override { times.push_back(now); }
    void on_fault(int, FaultKind, uint64_t, Instant now) override { times.push_back(now); }
    void on_link_drop(int, const char*, Instant now) override {
      times.push_back(now);
      drops.push_back(now);
    }
  } clock;
  Scenario s;
  s.header.links[0].mtu = 200;  // handshake packets pass, full-sized data does not
  Op delay = make(OpKind::kFault, 0, 5'000'000);
  delay.fault = FaultKind::kDelay;
  s.ops = {make(OpKind::kListen, 1), make(OpKind::kConnect, 0), wait_ms(100),
           make(OpKind::kAccept, 1), delay, make(OpKind::kSend, 0, 1000), wait_ms(100)};
  Simulation sim(s, &clock);
  sim.run();
  REQUIRE_FALSE(clock.drops.empty());
  CHECK(clock.drops.front() < Instant{} + Duration::seconds(1));
  CHECK(std::is_sorted(clock.times.begin(), clock.times.end()));
}

TEST_CASE("a scripted drop of the client's SYN is recovered by retransmission", "[sim]") {
  Scenario s = transfer(1000);
  Op drop = make(OpKind::kFault, 0);
  drop.fault = FaultKind::kDrop;
  s.ops.insert(s.ops.begin() + 1, drop);
  s.ops.insert(s.ops.begin() + 4, wait_ms(2000));  // let the SYN be retransmitted
  Recorder rec;
  RunResult r = run_scenario(s, &rec);
  CHECK(rec.faults == 1);
  CHECK(r.quiet);
  CHECK(rec.read[1].size() == 1000);
}

TEST_CASE("a corrupted packet is rejected by the checksum and the data still arrives", "[sim]") {
  Scenario s = transfer(3000);
  Op corrupt = make(OpKind::kFault, 0, 400);  // flip bit 400 of the next client packet
  corrupt.fault = FaultKind::kCorrupt;
  s.ops.insert(s.ops.begin() + 4, corrupt);  // just before the send
  s.ops.insert(s.ops.begin() + 6, wait_ms(3000));
  Recorder rec;
  run_scenario(s, &rec);
  CHECK(rec.decode_errors == 1);
  CHECK(rec.read[1].size() == 3000);
}

TEST_CASE("random fault mixes drawn from the seed still deliver the stream in order", "[sim]") {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    Scenario s = transfer(30000);
    s.header.seed = seed;
    s.header.draw_mix_from_seed = true;
    s.ops.insert(s.ops.begin() + 6, wait_ms(60000));
    Recorder rec;
    run_scenario(s, &rec);
    INFO("seed " << seed);
    std::vector<uint8_t> expected(rec.read[1].size());
    fill_stream(0, expected);
    CHECK(rec.read[1] == expected);  // a prefix, never a wrong byte
  }
}

TEST_CASE("the same scenario runs identically twice", "[sim][determinism]") {
  Scenario s = transfer(50000);
  s.header.seed = 99;
  s.header.draw_mix_from_seed = true;
  Recorder a, b;
  RunResult ra = run_scenario(s, &a);
  RunResult rb = run_scenario(s, &b);
  CHECK(ra.events == rb.events);
  CHECK(ra.end == rb.end);
  CHECK(a.transitions == b.transitions);
  CHECK(a.read[1] == b.read[1]);
}

TEST_CASE("binary scenarios: decode is total and encode(decode(x)) is canonical", "[binary]") {
  std::mt19937 rng(12345);
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> bytes(rng() % 200);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    if (!bytes.empty() && rng() % 2) bytes[0] = kBinaryVersion;
    Scenario s = decode_scenario(bytes);
    std::vector<uint8_t> canon = encode_scenario(s);
    CHECK(decode_scenario(canon) == s);
    CHECK(encode_scenario(decode_scenario(canon)) == canon);
  }
}

TEST_CASE("binary scenarios: a hand-built scenario survives encode and decode", "[binary]") {
  Scenario s = transfer(1234);
  s.header.mode = Mode::kEndpoint;
  s.header.family = IpFamily::kV6;
  s.header.seed = 0xfeedface12345678ULL;
  s.header.config.msl = Duration::seconds(5);
  s.header.config.rfc1337 = false;
  s.header.links[1].mix.drop = 300;
  s.header.links[0].mtu = 576;
  Op inj = make(OpKind::kInject, 0);
  inj.segment.flags = kSyn | kFin;
  inj.segment.seq_base = SeqBase::kRcvNxt;
  inj.segment.seq = -5;
  inj.segment.ack_base = AckBase::kSndMax;
  inj.segment.ack = 3;
  inj.segment.payload_len = 17;
  inj.segment.options.mss = 536;
  inj.segment.options.timestamps = Timestamps{1, 2};
  inj.segment.options.sack.push_back({SeqNum(1), SeqNum(9)});
  inj.segment.options.unknown.push_back({30, {1, 2, 3}});
  inj.segment.spoof = Spoof::kOtherSrcAddr;
  s.ops.push_back(inj);
  Op part = make(OpKind::kPartition, 3, 5000000);
  s.ops.push_back(part);
  Op ex = make(OpKind::kExpect);
  ex.expected.flags = kSyn | kAck;
  ex.expected.check_ack = true;
  ex.expected.ack = 1;
  s.ops.push_back(ex);
  CHECK(decode_scenario(encode_scenario(s)) == s);
}

TEST_CASE("binary scenarios: unknown opcodes and header fields are skipped", "[binary]") {
  Scenario s = transfer(10);
  std::vector<uint8_t> bytes = encode_scenario(s);
  // Insert an op with opcode 200 and a 3-byte payload after the header.
  const size_t at = binary_header_end(bytes);
  bytes.insert(bytes.begin() + static_cast<long>(at), {200, 3, 9, 9, 9});
  CHECK(decode_scenario(bytes) == s);
}

TEST_CASE("3.10.2: a send on a listener's socket turns it active: LISTEN -> SYN-SENT, data queued",
          "[sim][rfc9293]") {
  // Both hosts listen on port 80; host 0's app then writes on its listener, which
  // opens toward host 1's port 80 and carries the bytes once established.
  Scenario s;
  s.ops = {make(OpKind::kListen, 1), make(OpKind::kListen, 0), make(OpKind::kSend, 0, 1000, 0),
           wait_ms(100), make(OpKind::kAccept, 1), make(OpKind::kRecv, 1, 5000, 1)};
  s.ops[0].port = s.ops[1].port = 80;
  Recorder rec;
  Simulation sim(s, &rec);
  sim.run();
  auto has = [&rec](const std::string& t) {
    return std::find(rec.transitions.begin(), rec.transitions.end(), t) != rec.transitions.end();
  };
  CHECK(has("0:LISTEN->SYN-SENT"));
  CHECK(has("0:SYN-SENT->ESTABLISHED"));
  CHECK(has("1:SYN-RECEIVED->ESTABLISHED"));
  REQUIRE(rec.read[1].size() == 1000);
  std::vector<uint8_t> expected(1000);
  fill_stream(0, expected);
  CHECK(rec.read[1] == expected);
}

namespace {

// Counts wire events and what they carried; says whether it reads the bytes.
struct WireWatcher : RunObserver {
  explicit WireWatcher(bool reads_bytes) : wants(reads_bytes) {}
  bool needs_wire_bytes() const override { return wants; }
  void on_wire_send(int, std::span<const uint8_t> b, Instant) override {
    ++sends;
    bytes += b.size();
    if (!b.empty() && decode_packet(b).ok()) ++decoded;
  }
  void on_wire_deliver(int, std::span<const uint8_t>, Instant) override { ++delivers; }
  bool wants;
  int sends = 0, delivers = 0, decoded = 0;
  size_t bytes = 0;
};

// Endpoint mode: a listener, the scripted peer's SYN and ACK, then data each way.
Scenario endpoint_exchange() {
  Scenario s;
  s.header.mode = Mode::kEndpoint;
  s.ops.push_back(make(OpKind::kListen, 0));
  Op syn = make(OpKind::kInject, 0);
  syn.segment.flags = kSyn;
  s.ops.push_back(syn);
  Op ack = make(OpKind::kInject, 0);
  ack.segment.flags = kAck;
  ack.segment.seq = 1;
  ack.segment.ack_base = AckBase::kSndNxt;
  s.ops.push_back(ack);
  s.ops.push_back(make(OpKind::kAccept, 0));
  s.ops.push_back(make(OpKind::kSend, 0, 500, 1));
  Op data = ack;
  data.segment.payload_len = 100;
  s.ops.push_back(data);
  s.ops.push_back(wait_ms(1000));
  return s;
}

}  // namespace

TEST_CASE("endpoint mode encodes packets only for observers that read the bytes", "[sim]") {
  WireWatcher reads(true), skips(false);
  Simulation(endpoint_exchange(), &reads).run();
  Simulation(endpoint_exchange(), &skips).run();
  // Same events either way: SYN-ACK, data, ACKs out; the peer's three segments in.
  REQUIRE(reads.sends >= 6);
  CHECK(skips.sends == reads.sends);
  CHECK(skips.delivers == reads.delivers);
  CHECK(reads.decoded == reads.sends);
  CHECK(skips.bytes == 0);
  SECTION("one reader among the observers is enough to get the bytes") {
    WireWatcher skipper(false), reader(true);
    RunObserverList both;
    both.add(&skipper);
    both.add(&reader);
    Simulation(endpoint_exchange(), &both).run();
    CHECK(skipper.bytes == reads.bytes);
    CHECK(reader.decoded == reads.sends);
  }
}

TEST_CASE("connection mode always encodes: the links carry the bytes", "[sim]") {
  WireWatcher skips(false);
  Simulation(transfer(3000), &skips).run();
  REQUIRE(skips.sends > 0);
  CHECK(skips.decoded == skips.sends);
}
