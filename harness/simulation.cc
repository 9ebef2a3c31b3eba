#include "harness/simulation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/injector.h"
#include "harness/pattern.h"
#include "harness/rng.h"
#include "stack/codec.h"

namespace synfin::harness {
namespace {

// The port the scripted peer (or a forged sender) uses, as packetdrill's remote.
constexpr uint16_t kPeerPort = 40000;

Rfc6528IsnGenerator::Key isn_key(uint64_t seed) {
  Rfc6528IsnGenerator::Key k{};
  const uint64_t a = derive_seed(seed, 10), b = derive_seed(seed, 11);
  for (int i = 0; i < 8; ++i) {
    k[i] = static_cast<uint8_t>(a >> (8 * i));
    k[8 + i] = static_cast<uint8_t>(b >> (8 * i));
  }
  return k;
}

// Each seed draws its own mix: every fault kind is off for about half the seeds
// and otherwise up to ~12% per packet.
FaultMix draw_mix(uint64_t seed) {
  Rng r(seed);
  auto p = [&r]() -> uint16_t { return r.below(2) ? static_cast<uint16_t>(r.below(8000)) : 0; };
  FaultMix m;
  m.drop = p();
  m.duplicate = p();
  m.reorder = p();
  m.corrupt = p();
  m.truncate = p();
  return m;
}

// Packets whose options cannot be written in 40 bytes are trimmed so that the
// injected segment is one a real wire could carry.
void fit_options(TcpOptions& o) {
  if (encoded_options_size(o) <= 40) return;
  o.unknown.clear();
  while (encoded_options_size(o) > 40 && !o.sack.empty()) o.sack.pop_back();
  if (encoded_options_size(o) > 40) o.timestamps.reset();
}

}  // namespace

class Simulation::LinkOutput final : public FrameSink {
 public:
  LinkOutput(Simulation& sim, int to_host) : sim_(sim), to_host_(to_host) {}
  void accept(Frame&& f) override {
    sim_.arrivals_.push(Arrival{std::max(f.at, sim_.now_), sim_.next_order_++, to_host_,
                                std::move(f.bytes)});
  }

 private:
  Simulation& sim_;
  int to_host_;
};

Simulation::Simulation(Scenario scenario, RunObserver* observer, RunLimits limits)
    : scenario_(std::move(scenario)),
      observer_(observer),
      wire_bytes_wanted_(observer && observer->needs_wire_bytes()),
      limits_(limits),
      isn_(isn_key(scenario_.header.seed)) {  // scenario_ is declared (so built) first
  scenario_.header = sanitized(scenario_.header);
  const ScenarioHeader& h = scenario_.header;
  const int n = h.mode == Mode::kConnection ? 2 : 1;
  for (int i = 0; i < n; ++i) {
    Observer* obs = nullptr;
    if (observer_) {
      obs = &adapters_[i].emplace(i, observer_);
    }
    Host::Options opts{host_address(h.family, i), h.config, derive_seed(h.seed, 20 + i)};
    hosts_.push_back(std::make_unique<Host>(opts, isn_, obs));
  }
  if (h.mode == Mode::kConnection) {
    for (int i = 0; i < 2; ++i) {
      LinkSettings s = h.links[i];
      if (h.draw_mix_from_seed) s.mix = draw_mix(derive_seed(h.seed, 30 + i));
      link_outputs_.push_back(std::make_unique<LinkOutput>(*this, peer_of(i)));
      links_.push_back(std::make_unique<Link>(s, derive_seed(h.seed, 40 + i),
                                              LinkContext{i, observer_, &now_}, link_outputs_.back().get()));
    }
  }
  for (const Op& op : scenario_.ops) strict_ |= op.kind == OpKind::kExpect;
}

Simulation::~Simulation() = default;

Duration Simulation::quiet_bound() const {
  const Config& c = scenario_.header.config;
  const int retries = std::max(c.syn_retries, c.data_retries) + 2;
  return c.rto_max * retries + c.msl * 2 + Duration::seconds(1);
}

RunResult run_scenario(const Scenario& scenario, RunObserver* observer, RunLimits limits) {
  Simulation sim(scenario, observer, limits);
  return sim.run();
}

RunResult Simulation::run() {
  for (size_t i = 0; i < scenario_.ops.size(); ++i) {
    if (!result_.expectations_ok || result_.hit_limit) break;
    run_op(i);
  }
  if (strict_ && result_.expectations_ok && !unexpected_.empty()) {
    fail_expectation(scenario_.ops.size(),
                     absl::StrCat("unexpected outbound packet: ", segment_to_string(unexpected_.front().seg)));
  }
  if (result_.expectations_ok && !result_.hit_limit) settle();
  result_.end = now_;
  if (observer_) observer_->on_run_end(now_);
  return result_;
}

// ---------------------------------------------------------------------------
// The clock.

std::optional<Instant> Simulation::next_event_time(bool idle_probes) const {
  std::optional<Instant> best;
  auto consider = [&best](std::optional<Instant> t) {
    if (t && (!best || *t < *best)) best = t;
  };
  if (!arrivals_.empty()) consider(arrivals_.top().at);
  for (const auto& h : hosts_) consider(h->next_deadline(idle_probes));
  for (const auto& l : links_) consider(l->next_deadline());
  return best;
}

bool Simulation::step(Instant target) {
  const std::optional<Instant> t = next_event_time();
  if (!t || *t > target) return false;
  if (result_.events >= limits_.max_events || *t - Instant{} > limits_.max_virtual_time) {
    result_.hit_limit = true;
    return false;
  }
  now_ = std::max(now_, *t);
  // Arrivals first, in the order they were put on the wire. A zero-delay link
  // can keep feeding this instant (two hosts answering each other at once), so
  // the event bound is checked per arrival, not only between instants.
  while (!arrivals_.empty() && arrivals_.top().at <= now_) {
    if (result_.events >= limits_.max_events) {
      result_.hit_limit = true;
      return false;
    }
    Arrival a = std::move(const_cast<Arrival&>(arrivals_.top()));
    arrivals_.pop();
    ++result_.events;
    deliver(a.to_host, a.bytes);
  }
  // ...then held frames the links release, then the hosts' timers.
  for (auto& l : links_) l->on_timer(now_);
  for (int h = 0; h < host_count(); ++h) {
    auto d = hosts_[h]->next_deadline();
    if (d && *d <= now_) {
      ++result_.events;
      hosts_[h]->on_timer(now_);
      drain(h);
    }
  }
  return true;
}

void Simulation::advance_to(Instant target) {
  while (step(target)) {
  }
  if (!result_.hit_limit) now_ = std::max(now_, target);
}

void Simulation::settle() {
  // After the last op the network runs fault-free until quiet.
  for (auto& l : links_) l->calm();
  const Instant bound = now_ + quiet_bound();
  for (;;) {
    // Quiet: nothing in flight and no timer armed but keep-alives, which would
    // only go on probing idle connections until the bound.
    if (!next_event_time(/*idle_probes=*/false)) {
      result_.quiet = true;
      break;
    }
    const std::optional<Instant> t = next_event_time();
    if (*t > bound || !step(bound)) break;
  }
}

// ---------------------------------------------------------------------------
// Packets.

void Simulation::deliver(int to_host, const std::vector<uint8_t>& bytes) {
  if (observer_) observer_->on_wire_deliver(to_host, bytes, now_);
  absl::StatusOr<IpPacket> p = decode_packet(bytes);
  if (!p.ok()) {
    if (observer_) observer_->on_decode_error(to_host, p.status(), now_);
    return;
  }
  hosts_[to_host]->receive(now_, *p);
  drain(to_host);
}

void Simulation::drain(int h) {
  std::vector<IpPacket>& out = hosts_[h]->outbox();
  const bool endpoint = scenario_.header.mode == Mode::kEndpoint;
  for (IpPacket& p : out) {
    ++result_.packets;
    if (!endpoint || wire_bytes_wanted()) {
      wire_.clear();
      if (!encode_packet(p, wire_).ok()) continue;  // cannot happen for what the stack emits
      if (observer_) observer_->on_wire_send(h, wire_, now_);
    } else if (observer_) {
      // The same event as when encoded, only without the bytes nobody reads.
      if (!check_packet_encodable(p).ok()) continue;
      observer_->on_wire_send(h, {}, now_);
    }
    if (endpoint) {
      if (strict_) unexpected_.push_back(Sent{now_, std::move(p.tcp)});
    } else {
      links_[h]->transmit(now_, std::vector<uint8_t>(wire_));
    }
  }
  out.clear();
}

// ---------------------------------------------------------------------------
// Ops.

void Simulation::run_op(size_t index) {
  const Op& op = scenario_.ops[index];
  ++result_.events;
  if (strict_ && op.kind != OpKind::kExpect && op.kind != OpKind::kWait && !unexpected_.empty()) {
    fail_expectation(index, absl::StrCat("unexpected outbound packet: ",
                                         segment_to_string(unexpected_.front().seg)));
    return;
  }
  execute(index, op);
}

void Simulation::execute(size_t index, const Op& op) {
  const int h = op.host % host_count();
  switch (op.kind) {
    case OpKind::kWait: {
      const uint64_t cap = static_cast<uint64_t>(limits_.max_virtual_time.us);
      advance_to(now_ + Duration{static_cast<int64_t>(std::min(op.amount, cap))});
      return;
    }
    case OpKind::kListen:
    case OpKind::kConnect:
    case OpKind::kAccept:
    case OpKind::kSend:
    case OpKind::kRecv:
    case OpKind::kShutdown:
    case OpKind::kClose:
    case OpKind::kAbort:
      app_call(h, op);
      return;
    case OpKind::kInject:
      inject(h, op);
      return;
    case OpKind::kExpect:
      expect(index, op);
      return;
    case OpKind::kFault:
      if (!links_.empty()) links_[op.host % 2]->add_scripted_fault(op.fault, op.amount);
      return;
    case OpKind::kPartition:
      if (!links_.empty()) {
        const Instant end = now_ + Duration{static_cast<int64_t>(
                                       std::min<uint64_t>(op.amount, limits_.max_virtual_time.us))};
        if (op.host & 1) links_[0]->partition_until(end);
        if (op.host & 2) links_[1]->partition_until(end);
      }
      return;
    case OpKind::kAwait: {
      const uint64_t cap = static_cast<uint64_t>(limits_.max_virtual_time.us);
      await(h, op.state, now_ + Duration{static_cast<int64_t>(std::min(op.amount, cap))});
      return;
    }
  }
}

void Simulation::await(int h, State state, Instant deadline) {
  // One instant at a time, so that the next op meets the state the moment it is
  // entered; a state that never comes makes this a wait until the deadline.
  while (!hosts_[h]->has_connection_in(state)) {
    if (!step(deadline)) {
      if (!result_.hit_limit) now_ = std::max(now_, deadline);
      return;
    }
  }
}

void Simulation::app_call(int h, const Op& op) {
  Host& host = *hosts_[h];
  std::vector<Socket>& table = sockets_[h];
  AppCall call;
  call.kind = op.kind;
  auto fail = [&call](const absl::Status& s) {
    call.ok = false;
    call.error = std::string(s.message());
  };
  auto pick = [&]() -> Socket* {
    if (table.empty()) {
      call.ok = false;
      call.error = "no socket";
      return nullptr;
    }
    call.socket = static_cast<int>(op.socket % table.size());
    Socket* s = &table[call.socket];
    call.handle = s->handle;
    return s;
  };
  switch (op.kind) {
    case OpKind::kListen: {
      auto r = host.listen(now_, op.port);
      if (!r.ok()) {
        fail(r.status());
        break;
      }
      table.push_back(Socket{*r, true, 0});
      call.handle = *r;
      call.result = table.size() - 1;
      break;
    }
    case OpKind::kConnect: {
      const IpAddr remote = host_address(scenario_.header.family, peer_of(h));
      auto r = host.connect(now_, remote, op.port);
      if (!r.ok()) {
        fail(r.status());
        break;
      }
      table.push_back(Socket{*r, false, 0});
      call.handle = *r;
      call.result = table.size() - 1;
      break;
    }
    case OpKind::kAccept: {
      call.ok = false;
      call.error = "no connection ready";
      for (size_t i = 0; i < table.size(); ++i) {
        if (!table[i].listener) continue;
        auto r = host.accept(table[i].handle);
        if (r.ok() && r->has_value()) {
          table.push_back(Socket{**r, false, 0});
          call.ok = true;
          call.error.clear();
          call.handle = **r;
          call.result = table.size() - 1;
          break;
        }
      }
      break;
    }
    case OpKind::kSend: {
      Socket* s = pick();
      if (!s) break;
      if (s->listener) {
        // RFC 9293 3.10.2: SEND on a LISTEN TCB with the foreign socket given
        // turns it active (SYN-SENT) and queues the data. The harness names the
        // foreign socket: the other host (or the scripted peer) at the
        // listener's own port, as in a simultaneous open.
        const Connection* l = host.connection(s->handle);
        const uint16_t port = l ? l->tuple().local_port : op.port;
        absl::Status st = host.connect_from_listener(
            now_, s->handle, host_address(scenario_.header.family, peer_of(h)), port);
        if (!st.ok()) {
          fail(st);
          break;
        }
        s->listener = false;
      }
      const size_t n = static_cast<size_t>(std::min(op.amount, limits_.max_send_bytes));
      call.requested = n;
      // SEND takes what fits in the send buffer and no more, so only that much of
      // the stream is generated: a fuzz input asking for 64 KiB per call must not
      // pay for 64 KiB of pattern bytes it cannot send. The buffer is reused.
      const Connection* conn = host.connection(s->handle);
      const size_t fill = conn ? std::min(n, conn->send_space()) : 0;  // no TCB: the call fails
      if (app_buf_.size() < fill) app_buf_.resize(fill);
      const std::span<uint8_t> buf(app_buf_.data(), fill);
      fill_stream(s->sent, buf);
      auto r = host.send(now_, s->handle, buf);
      if (!r.ok()) {
        fail(r.status());
        break;
      }
      s->sent += *r;
      call.result = *r;
      break;
    }
    case OpKind::kRecv: {
      Socket* s = pick();
      if (!s) break;
      const size_t n = static_cast<size_t>(std::min(op.amount, limits_.max_send_bytes));
      call.requested = n;
      // RECEIVE returns at most what is readable; the buffer only needs that much
      // (but at least one byte, so an empty read stays a read, not a no-op).
      const Connection* conn = host.connection(s->handle);
      const size_t room = std::min(n, conn ? std::max<size_t>(conn->readable(), 1) : 1);
      if (app_buf_.size() < room) app_buf_.resize(room);
      auto r = host.recv(now_, s->handle, std::span<uint8_t>(app_buf_.data(), room));
      if (!r.ok()) {
        fail(r.status());
        break;
      }
      call.result = *r;
      break;
    }
    case OpKind::kShutdown:
    case OpKind::kClose:
    case OpKind::kAbort: {
      Socket* s = pick();
      if (!s) break;
      absl::Status st = op.kind == OpKind::kShutdown ? host.shutdown(now_, s->handle)
                        : op.kind == OpKind::kClose  ? host.close(now_, s->handle)
                                                     : host.abort(now_, s->handle);
      if (!st.ok()) fail(st);
      break;
    }
    case OpKind::kWait:
    case OpKind::kInject:
    case OpKind::kExpect:
    case OpKind::kFault:
    case OpKind::kPartition:
    case OpKind::kAwait:
      return;
  }
  if (observer_) observer_->on_app_call(h, call, now_);
  drain(h);
}

InjectionTarget Simulation::target_for(int h, int peer) const {
  const Host& host = *hosts_[h];
  const IpFamily fam = scenario_.header.family;
  InjectionTarget t;
  t.tuple = FourTuple{host.address(), host_address(fam, peer), 80, kPeerPort};
  const Connection* found = nullptr;
  // The newest connection socket that still has a TCB...
  const auto& table = sockets_[h];
  for (auto it = table.rbegin(); it != table.rend() && !found; ++it) {
    if (it->listener) continue;
    found = host.connection(it->handle);
  }
  if (found) {
    t.tuple = found->tuple();
    // The 4-tuple's current TCB: a parked TIME-WAIT connection yields to the new
    // incarnation that now owns its 4-tuple.
    if (const Connection* current = host.find(t.tuple)) found = current;
  } else {
    // ...else the newest listener, talking to the scripted peer's port.
    for (auto it = table.rbegin(); it != table.rend(); ++it) {
      if (it->listener && host.connection(it->handle)) {
        t.tuple.local_port = host.connection(it->handle)->tuple().local_port;
        break;
      }
    }
    found = host.find(t.tuple);
  }
  if (found) t.tcb = found->snapshot();
  return t;
}

void Simulation::inject(int h, const Op& op) {
  const int peer = peer_of(h);
  InjectionTarget target = target_for(h, peer);
  IpPacket p = build_injected_packet(op.segment, target, scenario_.header.peer_isn, last_tcb_[h]);
  if (target.tcb) last_tcb_[h] = target.tcb;
  fit_options(p.tcp.options);
  if (observer_) {
    observer_->on_inject(h, p, now_);
    wire_.clear();
    const bool encoded =
        wire_bytes_wanted() ? encode_packet(p, wire_).ok() : check_packet_encodable(p).ok();
    if (encoded) {
      observer_->on_wire_send(peer, wire_, now_);
      observer_->on_wire_deliver(h, wire_, now_);
    }
  }
  ++result_.packets;
  hosts_[h]->receive(now_, p);
  drain(h);
}

void Simulation::fail_expectation(size_t index, const std::string& what) {
  if (!result_.expectations_ok) return;
  result_.expectations_ok = false;
  result_.failed_op = static_cast<int>(index);
  result_.failure = what;
  if (observer_) observer_->on_expectation_failed(static_cast<int>(index), what, now_);
}

void Simulation::expect(size_t index, const Op& op) {
  const ExpectedSegment& e = op.expected;
  auto describe_expected = [&e]() {
    std::string s = absl::StrFormat("%s %u:%u(%u)", flags_to_string(e.flags), e.seq,
                                    e.seq + e.payload_len, e.payload_len);
    if (e.check_ack) absl::StrAppend(&s, " ack ", e.ack);
    if (e.check_window) absl::StrAppend(&s, " win ", e.window);
    if (e.check_options) absl::StrAppend(&s, " <", options_to_string(e.options), ">");
    return s;
  };
  if (unexpected_.empty()) {
    fail_expectation(index, absl::StrCat("expected ", describe_expected(), " at ",
                                         format_instant(now_), ", but nothing was sent"));
    return;
  }
  Sent sent = unexpected_.pop_front();
  const Segment& s = sent.seg;
  // packetdrill numbering: our seq relative to the host's ISS, ack relative to the
  // scripted peer's ISN.
  const FourTuple tuple{host_address(scenario_.header.family, 0),
                        host_address(scenario_.header.family, 1), s.src_port, s.dst_port};
  uint32_t iss = 0;
  if (const Connection* c = hosts_[0]->find(tuple)) {
    iss = c->snapshot().iss.raw;
    last_tcb_[0] = c->snapshot();
  } else if (last_tcb_[0]) {
    iss = last_tcb_[0]->iss.raw;
  }
  const uint32_t rel_seq = s.seq.raw - iss;
  const uint32_t rel_ack = s.ack.raw - scenario_.header.peer_isn;
  std::string actual = absl::StrFormat("%s %u:%u(%u)", flags_to_string(s.flags), rel_seq,
                                       rel_seq + static_cast<uint32_t>(s.payload.size()),
                                       s.payload.size());
  if (s.flags.ack()) absl::StrAppend(&actual, " ack ", rel_ack);
  absl::StrAppend(&actual, " win ", s.window);
  if (!s.options.empty()) absl::StrAppend(&actual, " <", options_to_string(s.options), ">");

  std::string why;
  if (s.flags != e.flags) why = "flags differ";
  else if (rel_seq != e.seq) why = "sequence number differs";
  else if (s.payload.size() != e.payload_len) why = "length differs";
  else if (e.check_ack && rel_ack != e.ack) why = "acknowledgment number differs";
  else if (e.check_window && s.window != e.window) why = "window differs";
  else if (e.check_options && !(s.options == e.options)) why = "options differ";
  else if (sent.at != now_) why = absl::StrCat("sent at ", format_instant(sent.at));
  if (!why.empty()) {
    fail_expectation(index, absl::StrCat(why, ": expected ", describe_expected(), " at ",
                                         format_instant(now_), ", actual ", actual));
  }
}

}  // namespace synfin::harness
