// Helpers shared by the oracle tests: a sink that keeps every violation, runs of
// a scenario with the full OracleSet, and builders for the segments and TCB
// snapshots that hand-fed checker tests need.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/oracles/checkers.h"
#include "harness/oracles/oracle.h"
#include "harness/oracles/violation.h"
#include "harness/pattern.h"
#include "harness/simulation.h"

namespace synfin::oracle_test {

// Keeps every violation it is given.
class AllViolations final : public harness::ViolationSink {
 public:
  void report(harness::Violation v) override { v_.push_back(std::move(v)); }
  const std::vector<harness::Violation>& all() const { return v_; }
  int count(std::string_view id) const {
    int n = 0;
    for (const auto& v : v_) n += v.id == id;
    return n;
  }
  bool has(std::string_view id) const { return count(id) > 0; }
  // Violations whose id starts with `prefix` ("seqack.", "stream.").
  std::vector<harness::Violation> with_prefix(std::string_view prefix) const {
    std::vector<harness::Violation> r;
    for (const auto& v : v_) {
      if (std::string_view(v.id).substr(0, prefix.size()) == prefix) r.push_back(v);
    }
    return r;
  }
  std::string summary() const {
    std::string s;
    for (const auto& v : v_) s += v.to_string() + "\n";
    return s;
  }
  void clear() { v_.clear(); }

 private:
  std::vector<harness::Violation> v_;
};

// A context for one checker fed by hand.
inline harness::OracleContext context_for(harness::ViolationSink* sink,
                                          harness::Mode mode = harness::Mode::kConnection,
                                          Config config = Config{}) {
  harness::OracleContext ctx;
  ctx.header.mode = mode;
  ctx.header.config = config;
  ctx.sink = sink;
  return ctx;
}

// Runs a scenario through the simulator with every oracle attached.
inline harness::RunResult run_with_oracles(const harness::Scenario& s, harness::ViolationSink* sink,
                                           harness::RunLimits limits = {}) {
  harness::OracleSet oracles(s.header, sink);
  harness::Simulation sim(s, &oracles, limits);
  harness::RunResult r = sim.run();
  oracles.finish(r.quiet, r.end);
  return r;
}

// A segment: flags, seq, ack, window, and `payload` bytes of the stream pattern
// starting at stream offset `stream_offset`.
inline Segment make_segment(Flags flags, uint32_t seq, uint32_t ack = 0, uint16_t window = 65535,
                            size_t payload = 0, uint64_t stream_offset = 0) {
  Segment s;
  s.src_port = 40000;
  s.dst_port = 80;
  s.flags = flags;
  s.seq = SeqNum(seq);
  s.ack = SeqNum(ack);
  s.window = window;
  s.payload.resize(payload);
  harness::fill_stream(stream_offset, s.payload);
  return s;
}

// A TCB snapshot with the numbers a test names; the rest default.
struct Tcb {
  State state = State::kEstablished;
  uint32_t iss = 0, irs = 0;
  uint32_t snd_una = 0, snd_nxt = 0, snd_max = 0, snd_wnd = 0;
  uint32_t snd_wl1 = 0, snd_wl2 = 0;
  uint32_t rcv_nxt = 0, rcv_wnd = 0;
  uint32_t send_queued = 0, recv_queued = 0;
  bool fin_queued = false;

  TcbSnapshot snap() const {
    TcbSnapshot t;
    t.state = state;
    t.iss = SeqNum(iss);
    t.irs = SeqNum(irs);
    t.snd_una = SeqNum(snd_una);
    t.snd_nxt = SeqNum(snd_nxt);
    t.snd_max = SeqNum(snd_max);
    t.snd_wnd = snd_wnd;
    t.snd_wl1 = SeqNum(snd_wl1);
    t.snd_wl2 = SeqNum(snd_wl2);
    t.rcv_nxt = SeqNum(rcv_nxt);
    t.rcv_wnd = rcv_wnd;
    t.send_queued = send_queued;
    t.recv_queued = recv_queued;
    t.fin_queued = fin_queued;
    return t;
  }
};

// The 4-tuple of host `h` (10.0.0.1 / 10.0.0.2) talking to the other host.
inline FourTuple tuple_of_host(int h, uint16_t local_port, uint16_t remote_port) {
  const IpAddr a = IpAddr::v4(10, 0, 0, static_cast<uint8_t>(1 + h));
  const IpAddr b = IpAddr::v4(10, 0, 0, static_cast<uint8_t>(2 - h));
  return FourTuple{a, b, local_port, remote_port};
}

}  // namespace synfin::oracle_test
