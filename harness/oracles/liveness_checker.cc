// The liveness checker: connections finish, hosts do not flood the wire, and a
// host whose connections have all closed holds nothing any more. States, timers
// and buffers are tracked from the events alone.
//
// Ids:
//   liveness.stuck                the network went quiet with a connection still in a
//                                 state that must move on (SYN-SENT, SYN-RECEIVED,
//                                 FIN-WAIT-1, CLOSING, LAST-ACK, TIME-WAIT) or with a
//                                 retransmission timer the events say is armed
//   liveness.segment-storm        a host sent more than 10000 segments within 1 s that
//                                 neither carry sequence space nor answer a segment that did
//   liveness.leak                 every connection of a host has closed (only listeners
//                                 left) but it still holds a connection, a timer or bytes
//   liveness.released-with-timer  a TCB released with one of its timers still armed
#include <cstdint>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "harness/oracles/checkers.h"

namespace synfin::harness {
namespace {

constexpr int kMaxHosts = 2;
constexpr uint32_t kStormLimit = 10000;
constexpr Duration kStormWindow = Duration::seconds(1);

enum Id : uint32_t {
  kStuck = 1u << 0,
  kReleasedWithTimer = 1u << 1,
};

struct Conn {
  State state = State::kClosed;
  bool child = false;      // spawned by a listener
  uint8_t timers = 0;      // bit per TimerKind, armed
  uint64_t buffered = 0;   // send_queued + recv_queued at the last snapshot
  uint32_t reported = 0;
};

constexpr StateSet kMustMoveOn = State::kSynSent | State::kSynReceived | State::kFinWait1 |
                                 State::kClosing | State::kLastAck | State::kTimeWait;

struct Host {
  // Segments counted against the storm limit: (instant, how many), oldest first,
  // from index `head` on.
  std::vector<std::pair<Instant, uint32_t>> window;
  size_t head = 0;
  uint64_t in_window = 0;
  bool storm_reported = false;
  bool leak_reported = false;
  // The segment being processed at this host carried sequence space: what the
  // host sends in reply (ACKs) is driven by data, not counted.
  bool answering_data = false;
};

class LivenessChecker final : public Oracle {
 public:
  explicit LivenessChecker(const OracleContext& ctx) : Oracle(ctx) {}

  void on_created(int h, ConnId id, ConnId parent, const FourTuple&, Instant) override {
    Conn& c = conns_[key(h, id)];
    c = Conn{};
    c.child = parent != kNoConn;
    c.state = c.child ? State::kListen : State::kClosed;
  }

  void on_transition(int h, ConnId id, State, State to, Cause, Instant) override {
    conns_[key(h, id)].state = to;
  }

  void on_timer(int h, ConnId id, TimerKind kind, TimerAction action, Instant, Instant) override {
    auto it = conns_.find(key(h, id));
    if (it == conns_.end()) return;
    const uint8_t bit = static_cast<uint8_t>(1u << static_cast<int>(kind));
    if (action == TimerAction::kSet) {
      it->second.timers |= bit;
    } else {
      it->second.timers &= static_cast<uint8_t>(~bit);
    }
    if (action == TimerAction::kFire) end_answer(h);
  }

  void on_segment_in(int h, ConnId, const FourTuple&, const Segment& seg, const TcbSnapshot&,
                     Instant) override {
    if (Host* ho = host(h)) {
      ho->answering_data = !seg.payload.empty() || seg.flags.syn() || seg.flags.fin();
    }
  }

  void on_segment_out(int h, ConnId id, const FourTuple&, const Segment& seg,
                      const TcbSnapshot& tcb, Instant now) override {
    if (id != kNoConn) {
      auto it = conns_.find(key(h, id));
      if (it != conns_.end()) it->second.buffered = uint64_t{tcb.send_queued} + tcb.recv_queued;
    }
    Host* ho = host(h);
    if (!ho || ho->storm_reported) return;
    const bool carries_space = !seg.payload.empty() || seg.flags.syn() || seg.flags.fin();
    if (carries_space || ho->answering_data) return;
    count(h, *ho, now);
  }

  void on_step_end(int h, ConnId id, const TcbSnapshot& tcb, Instant) override {
    auto it = conns_.find(key(h, id));
    if (it != conns_.end()) it->second.buffered = uint64_t{tcb.send_queued} + tcb.recv_queued;
    end_answer(h);
  }

  void on_released(int h, ConnId id, Instant now) override {
    auto it = conns_.find(key(h, id));
    if (it == conns_.end()) return;
    Conn& c = it->second;
    if (c.timers != 0 && !(c.reported & kReleasedWithTimer)) {
      fail("liveness.released-with-timer", h, id, now,
           absl::StrCat("the TCB was released in ", to_string(c.state), " with its ",
                        timer_names(c.timers),
                        " still armed: a deleted TCB's timers must be cancelled first."));
    }
    conns_.erase(it);
  }

  void on_wire_send(int h, std::span<const uint8_t>, Instant) override { end_answer(h); }
  void on_wire_deliver(int h, std::span<const uint8_t>, Instant) override { end_answer(h); }
  void on_inject(int h, const IpPacket&, Instant) override { end_answer(h); }
  void on_app_call(int h, const AppCall&, Instant now) override {
    end_answer(h);
    check_leak(h, now);
  }

  void finish(bool quiet, Instant now) override {
    for (int h = 0; h < kMaxHosts; ++h) check_leak(h, now);
    if (!quiet) return;  // the run was cut short: a bound, a limit or a failed expectation
    // Quiet: nothing in flight and no timer armed anywhere, so nothing will ever
    // move these connections again.
    for (auto& [k, c] : conns_) {
      const bool rexmit = c.timers & (1u << static_cast<int>(TimerKind::kRetransmit));
      if (!kMustMoveOn.contains(c.state) && !rexmit) continue;
      if (c.reported & kStuck) continue;
      c.reported |= kStuck;
      fail("liveness.stuck", static_cast<int>(k >> 32), static_cast<ConnId>(k), now,
           absl::StrCat("after the fault-free tail the network went quiet at ", format_instant(now),
                        " with the connection in ", to_string(c.state),
                        rexmit ? " and its retransmission timer armed according to the events"
                               : "",
                        ": nothing will ever move it on (", to_string(c.state),
                        " waits for a timer or a segment that cannot come)."));
    }
  }

 private:
  static uint64_t key(int h, ConnId id) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(h)) << 32) | id;
  }
  Host* host(int h) { return h >= 0 && h < kMaxHosts ? &hosts_[h] : nullptr; }
  void end_answer(int h) {
    if (Host* ho = host(h)) ho->answering_data = false;
  }

  static std::string timer_names(uint8_t timers) {
    std::string s;
    for (int k = 0; k < kNumTimerKinds; ++k) {
      if (!(timers & (1u << k))) continue;
      absl::StrAppend(&s, s.empty() ? "" : " and ", to_string(static_cast<TimerKind>(k)), " timer");
    }
    return s;
  }

  void count(int h, Host& ho, Instant now) {
    if (ho.head < ho.window.size() && ho.window.back().first == now) {
      ++ho.window.back().second;
    } else {
      ho.window.emplace_back(now, 1);
    }
    ++ho.in_window;
    while (ho.head < ho.window.size() && now - ho.window[ho.head].first >= kStormWindow) {
      ho.in_window -= ho.window[ho.head].second;
      ++ho.head;
    }
    if (ho.head > 64 && ho.head * 2 > ho.window.size()) {
      ho.window.erase(ho.window.begin(), ho.window.begin() + static_cast<ptrdiff_t>(ho.head));
      ho.head = 0;
    }
    if (ho.in_window > kStormLimit) {
      ho.storm_reported = true;
      fail("liveness.segment-storm", h, kNoConn, now,
           absl::StrCat("host ", h, " sent ", ho.in_window,
                        " segments between ", format_instant(ho.window[ho.head].first), " and ",
                        format_instant(now),
                        " that carry no data, SYN or FIN and answer no segment that did (more "
                        "than ",
                        kStormLimit, " within 1 s): a segment storm."));
    }
  }

  // Only listeners left: nothing else may remain.
  void check_leak(int h, Instant now) {
    Host* ho = host(h);
    if (!ho || ho->leak_reported) return;
    const uint64_t lo = key(h, 0), hi = key(h + 1, 0);
    size_t non_listeners = 0, timers = 0;
    uint64_t bytes = 0;
    ConnId example = kNoConn;
    for (auto it = conns_.lower_bound(lo); it != conns_.end() && it->first < hi; ++it) {
      const Conn& c = it->second;
      const bool listener = !c.child && c.state == State::kListen;
      const bool closed = c.state == State::kClosed || (c.child && c.state == State::kListen);
      if (!listener && !closed) return;  // a connection is still open
      if (!listener) {
        ++non_listeners;
        if (example == kNoConn) example = static_cast<ConnId>(it->first);
      }
      for (int k = 0; k < kNumTimerKinds; ++k) timers += (c.timers >> k) & 1u;
      bytes += c.buffered;
    }
    if (non_listeners == 0 && timers == 0 && bytes == 0) return;
    ho->leak_reported = true;
    fail("liveness.leak", h, example, now,
         absl::StrCat("every connection of host ", h,
                      " has closed (only listeners are left) but it still holds ", non_listeners,
                      " closed connection(s) not released, ", timers, " armed timer(s) and ",
                      bytes, " buffered byte(s)."));
  }

  absl::btree_map<uint64_t, Conn> conns_;
  Host hosts_[kMaxHosts];
};

}  // namespace

std::unique_ptr<Oracle> make_liveness_checker(const OracleContext& ctx) {
  return std::make_unique<LivenessChecker>(ctx);
}

}  // namespace synfin::harness
