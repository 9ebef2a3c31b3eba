// The liveness checker: connections finish, hosts do not flood the wire, and a
// host whose connections have all closed holds nothing any more. States, timers
// and buffers are tracked from the events alone.
//
// Ids:
//   liveness.stuck                the network went quiet with a connection still in a
//                                 state that must move on (SYN-SENT, SYN-RECEIVED,
//                                 FIN-WAIT-1, CLOSING, LAST-ACK, TIME-WAIT) or with a
//                                 retransmission timer the events say is armed
//   liveness.segment-storm        a host sent more than 10000 segments within 1 s that carry
//                                 no sequence space and are either unprompted (timer, app)
//                                 or a reply at the end of a chain of at least kStormDepth
//                                 replies to replies (an ACK or RST war): data, and the
//                                 short reply chains data draws (ACK, then a RST from a
//                                 closed port), are bounded by the data, not by time
//   liveness.leak                 every connection of a host has closed (only listeners
//                                 left) but it still holds a connection, a timer or bytes
//   liveness.released-with-timer  a TCB released with one of its timers still armed
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "harness/oracles/checkers.h"
#include "harness/oracles/conn_table.h"

namespace synfin::harness {
namespace {

constexpr int kMaxHosts = 2;
constexpr uint32_t kStormLimit = 10000;
constexpr Duration kStormWindow = Duration::seconds(1);
// A control segment answering a segment that itself answered ... : how deep a
// chain of replies must be before it counts as a possible loop. Legitimate chains
// end at 2 (data, its ACK, a RST for it from a closed port) or are rate-limited
// (ACKs to invalid segments, RFC 5961 challenge ACKs).
constexpr uint8_t kStormDepth = 4;

// Remembers the reply depth of control segments in flight on one direction, keyed
// by their header, so the receiver's answer can be placed one deeper. Identical
// headers cannot be told apart on arrival, so a header keeps the deepest depth it
// was sent with (a duplicate ACK answering data shares its header with the ACKs of
// a war on the same connection). A miss (never stored, overwritten by another
// header, corrupted in flight) reads as depth 0: less suspicious, never more.
class DepthCache {
 public:
  void put(uint64_t key, uint8_t depth) {
    if (!slots_) slots_ = std::make_unique<Slot[]>(kSlots);
    Slot& s = slots_[key % kSlots];
    if (s.key == key && s.depth >= depth) return;
    s.key = key;
    s.depth = depth;
  }
  uint8_t get(uint64_t key) const {
    if (!slots_) return 0;
    const Slot& s = slots_[key % kSlots];
    return s.key == key ? s.depth : 0;
  }

 private:
  struct Slot {
    uint64_t key = 0;
    uint8_t depth = 0;
  };
  static constexpr size_t kSlots = 256;
  std::unique_ptr<Slot[]> slots_;
};

uint64_t header_key(const Segment& s) {
  uint64_t k = s.seq.raw;
  k = k * 0x9E3779B97F4A7C15ULL ^ s.ack.raw;
  k = k * 0x9E3779B97F4A7C15ULL ^ ((uint64_t{s.src_port} << 16) | s.dst_port);
  k = k * 0x9E3779B97F4A7C15ULL ^ ((uint64_t{s.flags.bits} << 32) | (uint64_t{s.window} << 16));
  k = k * 0x9E3779B97F4A7C15ULL ^ s.payload.size();
  return k | 1;  // never 0, the empty slot's key
}

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
  // The host is answering an arriving segment of this reply depth (0: fresh).
  bool answering = false;
  uint8_t arrival_depth = 0;
  DepthCache sent;  // control segments this host sent, by header
  bool injected = false;  // the next arrival is an injected segment
};

class LivenessChecker final : public Oracle {
 public:
  explicit LivenessChecker(const OracleContext& ctx) : Oracle(ctx) {}
  uint32_t handled_events() const override { return events_overridden_by<LivenessChecker>(); }

  void on_created(int h, ConnId id, ConnId parent, const FourTuple&, Instant) override {
    Conn& c = conns_.fresh(h, id);
    c.child = parent != kNoConn;
    c.state = c.child ? State::kListen : State::kClosed;
  }

  void on_transition(int h, ConnId id, State, State to, Cause, Instant) override {
    conns_(h, id).state = to;
  }

  void on_timer(int h, ConnId id, TimerKind kind, TimerAction action, Instant, Instant) override {
    Conn* c = conns_.find(h, id);
    if (!c) return;
    const uint8_t bit = static_cast<uint8_t>(1u << static_cast<int>(kind));
    if (action == TimerAction::kSet) {
      c->timers |= bit;
    } else {
      c->timers &= static_cast<uint8_t>(~bit);
    }
    if (action == TimerAction::kFire) end_answer(h);
  }

  void on_segment_in(int h, ConnId, const FourTuple&, const Segment& seg, const TcbSnapshot&,
                     Instant) override {
    Host* ho = host(h);
    if (!ho) return;
    ho->answering = true;
    const bool carries_space = !seg.payload.empty() || seg.flags.syn() || seg.flags.fin();
    Host* from = host(1 - h);
    // An injected segment is fresh, whatever header it happens to share.
    ho->arrival_depth =
        carries_space || !from || ho->injected ? 0 : from->sent.get(header_key(seg));
    ho->injected = false;
  }

  void on_segment_out(int h, ConnId id, const FourTuple&, const Segment& seg,
                      const TcbSnapshot& tcb, Instant now) override {
    if (id != kNoConn) {
      if (Conn* c = conns_.find(h, id)) c->buffered = uint64_t{tcb.send_queued} + tcb.recv_queued;
    }
    Host* ho = host(h);
    if (!ho) return;
    const bool carries_space = !seg.payload.empty() || seg.flags.syn() || seg.flags.fin();
    if (carries_space) return;  // bounded by the data and the retry limits
    if (!ho->answering) {
      if (!ho->storm_reported) count(h, *ho, now);  // unprompted: a timer or the app
      return;
    }
    const uint8_t depth =
        ho->arrival_depth == 255 ? uint8_t{255} : static_cast<uint8_t>(ho->arrival_depth + 1);
    if (!endpoint_mode()) ho->sent.put(header_key(seg), depth);
    if (depth >= kStormDepth && !ho->storm_reported) count(h, *ho, now);
  }

  void on_step_end(int h, ConnId id, const TcbSnapshot& tcb, Instant) override {
    if (Conn* c = conns_.find(h, id)) c->buffered = uint64_t{tcb.send_queued} + tcb.recv_queued;
    end_answer(h);
  }

  void on_released(int h, ConnId id, Instant now) override {
    Conn* found = conns_.find(h, id);
    if (!found) return;
    const Conn& c = *found;
    if (c.timers != 0 && !(c.reported & kReleasedWithTimer)) {
      fail("liveness.released-with-timer", h, id, now,
           absl::StrCat("the TCB was released in ", to_string(c.state), " with its ",
                        timer_names(c.timers),
                        " still armed: a deleted TCB's timers must be cancelled first."));
    }
    conns_.erase(h, id);
  }

  void on_wire_send(int h, std::span<const uint8_t>, Instant) override { end_answer(h); }
  void on_wire_deliver(int h, std::span<const uint8_t>, Instant) override { end_answer(h); }
  void on_inject(int h, const IpPacket&, Instant) override {
    end_answer(h);
    if (Host* ho = host(h)) ho->injected = true;
  }
  void on_app_call(int h, const AppCall&, Instant now) override {
    end_answer(h);
    check_leak(h, now);
  }

  void finish(bool quiet, Instant now) override {
    for (int h = 0; h < kMaxHosts; ++h) check_leak(h, now);
    if (!quiet) return;  // the run was cut short: a bound, a limit or a failed expectation
    // Quiet: nothing in flight and no timer armed anywhere, so nothing will ever
    // move these connections again.
    conns_.for_each([&](int h, ConnId id, Conn& c) {
      const bool rexmit = c.timers & (1u << static_cast<int>(TimerKind::kRetransmit));
      if (!kMustMoveOn.contains(c.state) && !rexmit) return;
      if (c.reported & kStuck) return;
      c.reported |= kStuck;
      fail("liveness.stuck", h, id, now,
           absl::StrCat("after the fault-free tail the network went quiet at ", format_instant(now),
                        " with the connection in ", to_string(c.state),
                        rexmit ? " and its retransmission timer armed according to the events"
                               : "",
                        ": nothing will ever move it on (", to_string(c.state),
                        " waits for a timer or a segment that cannot come)."));
    });
  }

 private:
  Host* host(int h) { return h >= 0 && h < kMaxHosts ? &hosts_[h] : nullptr; }
  void end_answer(int h) {
    if (Host* ho = host(h)) ho->answering = false;
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
                        " that carry no data, SYN or FIN and were sent unprompted or as replies "
                        "at least ",
                        int{kStormDepth},
                        " deep in a chain of replies to replies (more than ", kStormLimit,
                        " within 1 s): a segment storm, such as two ends ACKing each other's "
                        "ACKs."));
    }
  }

  // Only listeners left: nothing else may remain.
  void check_leak(int h, Instant now) {
    Host* ho = host(h);
    if (!ho || ho->leak_reported) return;
    size_t non_listeners = 0, timers = 0;
    uint64_t bytes = 0;
    ConnId example = kNoConn;
    for (ConnId id = 0; id < conns_.id_limit(h); ++id) {
      const Conn* found = conns_.find(h, id);
      if (!found) continue;
      const Conn& c = *found;
      const bool listener = !c.child && c.state == State::kListen;
      const bool closed = c.state == State::kClosed || (c.child && c.state == State::kListen);
      if (!listener && !closed) return;  // a connection is still open
      if (!listener) {
        ++non_listeners;
        if (example == kNoConn) example = id;
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

  ConnTable<Conn> conns_;
  Host hosts_[kMaxHosts];
};

}  // namespace

std::unique_ptr<Oracle> make_liveness_checker(const OracleContext& ctx) {
  return std::make_unique<LivenessChecker>(ctx);
}

Oracle* make_liveness_checker_in(CheckerArena& arena, const OracleContext& ctx) {
  return arena.make<LivenessChecker>(ctx);
}

}  // namespace synfin::harness
