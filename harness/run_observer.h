// What a run reports: every stack event tagged with its host, plus what the
// harness itself does (packets on the wire, faults, app calls, injections).
// Traces, pcap export and the oracles are RunObservers; the simulator feeds one
// fan-out list of them.
#pragma once

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "harness/scenario.h"
#include "stack/host.h"
#include "stack/observer.h"

namespace synfin::harness {

// An application call as performed, with its outcome.
struct AppCall {
  OpKind kind = OpKind::kWait;  // kListen .. kAbort
  int socket = -1;              // index in the host's socket table (-1: none / new)
  SocketId handle = 0;          // the stack's handle, 0 if none
  uint64_t requested = 0;       // bytes asked to send or read
  uint64_t result = 0;          // bytes sent or read; new socket index for listen/connect/accept
  bool ok = true;
  std::string error;            // when !ok
};

// The events a RunObserver can be told of, one bit each (handled_events).
enum RunEvent : uint32_t {
  kEvCreated = 1u << 0,
  kEvTransition = 1u << 1,
  kEvSegmentIn = 1u << 2,
  kEvSegmentOut = 1u << 3,
  kEvTimer = 1u << 4,
  kEvDeliver = 1u << 5,
  kEvSendAccepted = 1u << 6,
  kEvUserEvent = 1u << 7,
  kEvStepEnd = 1u << 8,
  kEvReleased = 1u << 9,
  kEvWireSend = 1u << 10,
  kEvWireDeliver = 1u << 11,
  kEvFault = 1u << 12,
  kEvLinkDrop = 1u << 13,
  kEvDecodeError = 1u << 14,
  kEvAppCall = 1u << 15,
  kEvInject = 1u << 16,
  kEvExpectationFailed = 1u << 17,
  kEvRunEnd = 1u << 18,
};
inline constexpr int kNumRunEvents = 19;
inline constexpr uint32_t kAllRunEvents = (1u << kNumRunEvents) - 1;

class RunObserver {
 public:
  virtual ~RunObserver() = default;

  // ---- The stack's events (see stack/observer.h), with the host's index ----
  virtual void on_created(int host, ConnId id, ConnId parent, const FourTuple& tuple, Instant now) {}
  virtual void on_transition(int host, ConnId id, State from, State to, Cause cause, Instant now) {}
  virtual void on_segment_in(int host, ConnId id, const FourTuple& tuple, const Segment& seg,
                             const TcbSnapshot& before, Instant now) {}
  virtual void on_segment_out(int host, ConnId id, const FourTuple& tuple, const Segment& seg,
                              const TcbSnapshot& tcb, Instant now) {}
  virtual void on_timer(int host, ConnId id, TimerKind kind, TimerAction action, Instant deadline,
                        Instant now) {}
  virtual void on_deliver(int host, ConnId id, std::span<const uint8_t> bytes, Instant now) {}
  virtual void on_send_accepted(int host, ConnId id, std::span<const uint8_t> bytes, Instant now) {}
  virtual void on_user_event(int host, ConnId id, UserEvent event, Instant now) {}
  virtual void on_step_end(int host, ConnId id, const TcbSnapshot& tcb, Instant now) {}
  virtual void on_released(int host, ConnId id, Instant now) {}

  // ---- The harness's events ----
  // A packet left `from_host` (host 1 is the scripted peer in endpoint mode, whose
  // packets are the injected ones). `bytes` is the encoded IP packet; it is empty
  // when the packet never needed encoding (endpoint mode, where nothing carries
  // it) and no observer asked for the bytes (needs_wire_bytes).
  virtual void on_wire_send(int from_host, std::span<const uint8_t> bytes, Instant now) {}
  // A packet reached `to_host` after the link's faults. `bytes` as for on_wire_send.
  virtual void on_wire_deliver(int to_host, std::span<const uint8_t> bytes, Instant now) {}
  // Whether this observer reads the bytes of on_wire_send/on_wire_deliver. In
  // endpoint mode packets are encoded only for observers that do: encoding and
  // checksumming every segment was a twentieth of a fuzz run.
  virtual bool needs_wire_bytes() const { return true; }
  // The link from `from_host` applied a fault to a packet it carried.
  virtual void on_fault(int from_host, FaultKind kind, uint64_t param, Instant now) {}
  // The link dropped a packet for a reason that is not a fault op: MTU, queue
  // overflow, partition.
  virtual void on_link_drop(int from_host, const char* reason, Instant now) {}
  // A packet reached `to_host` but did not decode (corrupted or truncated on the wire).
  virtual void on_decode_error(int to_host, const absl::Status& error, Instant now) {}
  virtual void on_app_call(int host, const AppCall& call, Instant now) {}
  // An injected segment, as built from the live state, before delivery.
  virtual void on_inject(int host, const IpPacket& packet, Instant now) {}
  // Endpoint mode: an outbound segment did not match the script's expectation.
  virtual void on_expectation_failed(int op_index, const std::string& what, Instant now) {}
  // The run is over (the simulator drained or hit its end time).
  virtual void on_run_end(Instant now) {}

  // The events this observer acts on (RunEvent bits); a RunObserverList calls it
  // for no others. Asked once, when the observer joins a list. The default is all
  // of them; an observer that implements a few says which with
  // events_overridden_by<T>(), so the set cannot drift from the code.
  virtual uint32_t handled_events() const { return kAllRunEvents; }
};

// The RunEvent bits of the handlers T declares itself (or inherits from a class
// between it and RunObserver): a handler T does not declare names RunObserver's
// own, whose member-pointer type differs from T's.
template <class T>
constexpr uint32_t events_overridden_by() {
  using R = RunObserver;
  uint32_t m = 0;
#define SYNFIN_EVENT_BIT(fn, bit) \
  if constexpr (!std::is_same_v<decltype(&T::fn), decltype(&R::fn)>) m |= bit
  SYNFIN_EVENT_BIT(on_created, kEvCreated);
  SYNFIN_EVENT_BIT(on_transition, kEvTransition);
  SYNFIN_EVENT_BIT(on_segment_in, kEvSegmentIn);
  SYNFIN_EVENT_BIT(on_segment_out, kEvSegmentOut);
  SYNFIN_EVENT_BIT(on_timer, kEvTimer);
  SYNFIN_EVENT_BIT(on_deliver, kEvDeliver);
  SYNFIN_EVENT_BIT(on_send_accepted, kEvSendAccepted);
  SYNFIN_EVENT_BIT(on_user_event, kEvUserEvent);
  SYNFIN_EVENT_BIT(on_step_end, kEvStepEnd);
  SYNFIN_EVENT_BIT(on_released, kEvReleased);
  SYNFIN_EVENT_BIT(on_wire_send, kEvWireSend);
  SYNFIN_EVENT_BIT(on_wire_deliver, kEvWireDeliver);
  SYNFIN_EVENT_BIT(on_fault, kEvFault);
  SYNFIN_EVENT_BIT(on_link_drop, kEvLinkDrop);
  SYNFIN_EVENT_BIT(on_decode_error, kEvDecodeError);
  SYNFIN_EVENT_BIT(on_app_call, kEvAppCall);
  SYNFIN_EVENT_BIT(on_inject, kEvInject);
  SYNFIN_EVENT_BIT(on_expectation_failed, kEvExpectationFailed);
  SYNFIN_EVENT_BIT(on_run_end, kEvRunEnd);
#undef SYNFIN_EVENT_BIT
  return m;
}

// Forwards each event to the observers that handle it, in the order they were
// added. Keeping a member set per event spares every event the calls to
// observers that ignore it: most act on a few of the nineteen kinds, and the
// fan-out was a tenth of a fuzz run's instructions.
class RunObserverList final : public RunObserver {
 public:
  void add(RunObserver* o) {
    if (!o) return;
    if (count_ == kMaxObservers) {
      // A list is an observer: more than this many belong in nested lists.
      std::fprintf(stderr, "synfin: RunObserverList holds at most %zu observers\n", kMaxObservers);
      std::abort();
    }
    const uint64_t bit = uint64_t{1} << count_;
    all_[count_++] = o;
    const uint32_t events = o->handled_events();
    handled_ |= events;
    for (uint32_t e = events & kAllRunEvents; e != 0; e &= e - 1) {
      members_[std::countr_zero(e)] |= bit;
    }
  }
  bool empty() const { return count_ == 0; }
  bool needs_wire_bytes() const override {
    for (size_t i = 0; i < count_; ++i) {
      if (all_[i]->needs_wire_bytes()) return true;
    }
    return false;
  }
  uint32_t handled_events() const override { return handled_; }

  void on_created(int h, ConnId id, ConnId p, const FourTuple& t, Instant n) override {
    each(kEvCreated, [&](RunObserver* o) { o->on_created(h, id, p, t, n); });
  }
  void on_transition(int h, ConnId id, State f, State t, Cause c, Instant n) override {
    each(kEvTransition, [&](RunObserver* o) { o->on_transition(h, id, f, t, c, n); });
  }
  void on_segment_in(int h, ConnId id, const FourTuple& t, const Segment& s, const TcbSnapshot& b,
                     Instant n) override {
    each(kEvSegmentIn, [&](RunObserver* o) { o->on_segment_in(h, id, t, s, b, n); });
  }
  void on_segment_out(int h, ConnId id, const FourTuple& t, const Segment& s, const TcbSnapshot& b,
                      Instant n) override {
    each(kEvSegmentOut, [&](RunObserver* o) { o->on_segment_out(h, id, t, s, b, n); });
  }
  void on_timer(int h, ConnId id, TimerKind k, TimerAction a, Instant d, Instant n) override {
    each(kEvTimer, [&](RunObserver* o) { o->on_timer(h, id, k, a, d, n); });
  }
  void on_deliver(int h, ConnId id, std::span<const uint8_t> b, Instant n) override {
    each(kEvDeliver, [&](RunObserver* o) { o->on_deliver(h, id, b, n); });
  }
  void on_send_accepted(int h, ConnId id, std::span<const uint8_t> b, Instant n) override {
    each(kEvSendAccepted, [&](RunObserver* o) { o->on_send_accepted(h, id, b, n); });
  }
  void on_user_event(int h, ConnId id, UserEvent e, Instant n) override {
    each(kEvUserEvent, [&](RunObserver* o) { o->on_user_event(h, id, e, n); });
  }
  void on_step_end(int h, ConnId id, const TcbSnapshot& t, Instant n) override {
    each(kEvStepEnd, [&](RunObserver* o) { o->on_step_end(h, id, t, n); });
  }
  void on_released(int h, ConnId id, Instant n) override {
    each(kEvReleased, [&](RunObserver* o) { o->on_released(h, id, n); });
  }
  void on_wire_send(int h, std::span<const uint8_t> b, Instant n) override {
    each(kEvWireSend, [&](RunObserver* o) { o->on_wire_send(h, b, n); });
  }
  void on_wire_deliver(int h, std::span<const uint8_t> b, Instant n) override {
    each(kEvWireDeliver, [&](RunObserver* o) { o->on_wire_deliver(h, b, n); });
  }
  void on_fault(int h, FaultKind k, uint64_t p, Instant n) override {
    each(kEvFault, [&](RunObserver* o) { o->on_fault(h, k, p, n); });
  }
  void on_link_drop(int h, const char* r, Instant n) override {
    each(kEvLinkDrop, [&](RunObserver* o) { o->on_link_drop(h, r, n); });
  }
  void on_decode_error(int h, const absl::Status& e, Instant n) override {
    each(kEvDecodeError, [&](RunObserver* o) { o->on_decode_error(h, e, n); });
  }
  void on_app_call(int h, const AppCall& c, Instant n) override {
    each(kEvAppCall, [&](RunObserver* o) { o->on_app_call(h, c, n); });
  }
  void on_inject(int h, const IpPacket& p, Instant n) override {
    each(kEvInject, [&](RunObserver* o) { o->on_inject(h, p, n); });
  }
  void on_expectation_failed(int i, const std::string& w, Instant n) override {
    each(kEvExpectationFailed, [&](RunObserver* o) { o->on_expectation_failed(i, w, n); });
  }
  void on_run_end(Instant n) override {
    each(kEvRunEnd, [&](RunObserver* o) { o->on_run_end(n); });
  }

 private:
  // A run has a handful of observers (the oracles, a trace, a pcap, the fuzzer's
  // feedback); keeping them inline spares every run its lists' allocations.
  static constexpr size_t kMaxObservers = 64;
  static constexpr int index(RunEvent e) { return std::countr_zero(static_cast<uint32_t>(e)); }

  // f(observer) for each observer that handles `e`, in the order they were added.
  template <class F>
  void each(RunEvent e, F&& f) const {
    for (uint64_t m = members_[index(e)]; m != 0; m &= m - 1) f(all_[std::countr_zero(m)]);
  }

  RunObserver* all_[kMaxObservers];  // the first count_ are set
  size_t count_ = 0;
  // Per event, a bit per observer in all_ that handles it: dispatch walks the set
  // bits, so observers keep the order they were added in.
  uint64_t members_[kNumRunEvents] = {};
  uint32_t handled_ = 0;
};

// Adapts one host's stack Observer callbacks to a RunObserver with its index.
class HostObserverAdapter final : public Observer {
 public:
  HostObserverAdapter(int host, RunObserver* run) : host_(host), run_(run) {}
  void on_created(ConnId id, ConnId p, const FourTuple& t, Instant n) override {
    run_->on_created(host_, id, p, t, n);
  }
  void on_transition(ConnId id, State f, State t, Cause c, Instant n) override {
    run_->on_transition(host_, id, f, t, c, n);
  }
  void on_segment_in(ConnId id, const FourTuple& t, const Segment& s, const TcbSnapshot& b,
                     Instant n) override {
    run_->on_segment_in(host_, id, t, s, b, n);
  }
  void on_segment_out(ConnId id, const FourTuple& t, const Segment& s, const TcbSnapshot& b,
                      Instant n) override {
    run_->on_segment_out(host_, id, t, s, b, n);
  }
  void on_timer(ConnId id, TimerKind k, TimerAction a, Instant d, Instant n) override {
    run_->on_timer(host_, id, k, a, d, n);
  }
  void on_deliver(ConnId id, std::span<const uint8_t> b, Instant n) override {
    run_->on_deliver(host_, id, b, n);
  }
  void on_send_accepted(ConnId id, std::span<const uint8_t> b, Instant n) override {
    run_->on_send_accepted(host_, id, b, n);
  }
  void on_user_event(ConnId id, UserEvent e, Instant n) override {
    run_->on_user_event(host_, id, e, n);
  }
  void on_step_end(ConnId id, const TcbSnapshot& t, Instant n) override {
    run_->on_step_end(host_, id, t, n);
  }
  void on_released(ConnId id, Instant n) override { run_->on_released(host_, id, n); }

 private:
  int host_;
  RunObserver* run_;
};

}  // namespace synfin::harness
