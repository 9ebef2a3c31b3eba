#include "harness/generator.h"

#include "harness/rng.h"

namespace synfin::harness {
namespace {

Op op(OpKind kind, uint8_t host, uint64_t amount = 0, uint8_t socket = 0) {
  Op o;
  o.kind = kind;
  o.host = host;
  o.amount = amount;
  o.socket = socket;
  return o;
}

}  // namespace

Scenario random_lifecycle_scenario(uint64_t seed) {
  Rng r(seed);
  Scenario s;
  s.header.mode = Mode::kConnection;
  s.header.seed = seed;
  s.header.family = r.below(4) == 0 ? IpFamily::kV6 : IpFamily::kV4;
  s.header.draw_mix_from_seed = true;
  s.header.config.msl = Duration::seconds(1 + static_cast<int64_t>(r.below(30)));
  s.header.config.rfc1337 = r.below(2);
  s.header.config.time_wait_syn =
      r.below(2) ? TimeWaitSynPolicy::kStrict : TimeWaitSynPolicy::kReuseIfSeqGreater;
  if (r.below(3) == 0) s.header.config.recv_buffer = static_cast<uint32_t>(500 + r.below(8000));
  {
    // RFC 7323 and RFC 2018 options, each off in one run in four. A stream of its
    // own, so the draws below stay what they were for every seed.
    Rng o(seed ^ 0x6f7074696f6e73ull);
    s.header.config.window_scale = o.below(4) != 0;
    s.header.config.timestamps = o.below(4) != 0;
    s.header.config.sack = o.below(4) != 0;
    s.header.config.delayed_ack = o.below(2) != 0;
    s.header.config.nagle = o.below(3) == 0;
    if (o.below(3) == 0) {
      s.header.config.keepalive = true;
      s.header.config.keepalive_idle = Duration::seconds(1 + static_cast<int64_t>(o.below(10)));
      s.header.config.keepalive_interval = Duration::millis(200 + static_cast<int64_t>(o.below(2000)));
      s.header.config.keepalive_probes = static_cast<int>(o.below(4));
    }
  }
  for (LinkSettings& l : s.header.links) {
    l.delay = Duration::micros(static_cast<int64_t>(100 + r.below(50000)));
    l.jitter = Duration::micros(static_cast<int64_t>(r.below(20000)));
  }
  auto wait = [&](uint64_t max_us) { s.ops.push_back(op(OpKind::kWait, 0, r.below(max_us))); };

  s.ops.push_back(op(OpKind::kListen, 1));
  // Host 0's socket table: [listener,] connection. Host 1's: listener, connection.
  const bool client_listens = r.below(8) == 0;
  if (client_listens) s.ops.push_back(op(OpKind::kListen, 0));
  const uint8_t c_sock = client_listens ? 1 : 0;
  s.ops.push_back(op(OpKind::kConnect, 0));
  wait(3000000);
  s.ops.push_back(op(OpKind::kAccept, 1));
  const int rounds = 1 + static_cast<int>(r.below(6));
  for (int i = 0; i < rounds; ++i) {
    const uint8_t h = static_cast<uint8_t>(r.below(2));
    const uint8_t sock = h == 0 ? c_sock : 1;
    switch (r.below(6)) {
      case 0:
      case 1: s.ops.push_back(op(OpKind::kSend, h, 1 + r.below(40000), sock)); break;
      case 2:
      case 3: s.ops.push_back(op(OpKind::kRecv, h, 1 + r.below(70000), sock)); break;
      case 4: s.ops.push_back(op(OpKind::kShutdown, h, 0, sock)); break;
      default: {
        Op f = op(OpKind::kFault, h, r.below(5000));
        f.fault = static_cast<FaultKind>(r.below(kNumFaultKinds));
        s.ops.push_back(f);
      }
    }
    wait(2000000);
  }
  // Drain both ways and close, sometimes abruptly.
  auto sock_of = [c_sock](uint8_t h) -> uint8_t { return h == 0 ? c_sock : 1; };
  for (uint8_t h = 0; h < 2; ++h) s.ops.push_back(op(OpKind::kRecv, h, 1 << 20, sock_of(h)));
  const uint8_t first = static_cast<uint8_t>(r.below(2));
  const uint8_t second = static_cast<uint8_t>(1 - first);
  s.ops.push_back(op(r.below(10) == 0 ? OpKind::kAbort : OpKind::kClose, first, 0, sock_of(first)));
  wait(5000000);
  s.ops.push_back(op(OpKind::kRecv, second, 1 << 20, sock_of(second)));
  s.ops.push_back(op(OpKind::kClose, second, 0, sock_of(second)));
  return s;
}

}  // namespace synfin::harness
