#include "stack/host.h"

#include "absl/strings/str_cat.h"
#include "stack/rfc9293.h"

namespace synfin {
namespace {

constexpr uint16_t kEphemeralFirst = 49152;  // RFC 6335 6: the dynamic port range
constexpr uint32_t kEphemeralCount = 65536 - kEphemeralFirst;

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

Host::Host(const Options& options, IsnGenerator& isn, Observer* observer)
    : address_(options.address),
      config_(options.config),
      isn_(isn),
      observer_(observer),
      next_ephemeral_(static_cast<uint16_t>(kEphemeralFirst +
                                            splitmix64(options.seed) % kEphemeralCount)) {}

Host::~Host() = default;

ConnId Host::create(const FourTuple& tuple, ConnId parent, Instant now) {
  const ConnId id = next_id_++;
  Entry& e = entries_[id];
  e.conn = std::make_unique<Connection>(env(), id, tuple);
  e.parent = parent;
  if (observer_) observer_->on_created(id, parent, tuple, now);
  return id;
}

void Host::flush(const Connection& c) {
  for (Segment& seg : scratch_) {
    IpPacket p;
    p.src = c.tuple().local_addr;
    p.dst = c.tuple().remote_addr;
    p.ipv4_id = next_ip_id_++;
    p.tcp = std::move(seg);
    outbox_.push_back(std::move(p));
    ++stats_.packets_out;
  }
  scratch_.clear();
}

void Host::free_tcb(Entry& e, Instant now) {
  Connection& c = *e.conn;
  const ConnId id = c.id();
  auto t = by_tuple_.find(c.tuple());
  if (t != by_tuple_.end() && t->second == id) by_tuple_.erase(t);
  if (e.parent != kNoConn) {
    auto l = listeners_.find(c.tuple().local_port);
    if (l != listeners_.end() && l->second.id == e.parent) {
      l->second.embryos.erase(id);
      auto& q = l->second.accept_queue;
      for (auto it = q.begin(); it != q.end(); ++it) {
        if (*it == id) {
          q.erase(it);
          break;
        }
      }
    }
  }
  e.final_reason = c.close_reason();
  const FourTuple tuple = c.tuple();
  e.conn.reset();
  if (observer_) observer_->on_released(id, now);
  if (auto p = parked_.find(tuple); p != parked_.end()) {
    if (p->second == id) {
      parked_.erase(p);  // the parked TIME-WAIT connection expired on its own
    } else if (!by_tuple_.contains(tuple)) {
      // The new incarnation died before it was established: the SYN was an old
      // duplicate, and the parked connection resumes its TIME-WAIT.
      by_tuple_[tuple] = p->second;
      parked_.erase(p);
    }
  }
}

void Host::settle(ConnId id, Instant now) {
  auto it = entries_.find(id);
  if (it == entries_.end() || !it->second.conn) return;
  Entry& e = it->second;
  const Connection& c = *e.conn;
  const bool child = e.parent != kNoConn && !e.app_owned;
  if (c.state() == State::kClosed || (child && c.state() == State::kListen)) {
    // A listener that reaches CLOSED, by whatever call, takes its unaccepted
    // children with it.
    std::vector<ConnId> orphans;
    if (e.listener) orphans = detach_listener(c.tuple().local_port, id);
    free_tcb(e, now);
    // The app keeps a closed handle until it collects it; nobody holds a child's.
    if (!e.app_owned || e.released) entries_.erase(it);
    reset_children(orphans, now);
    return;
  }
  const FourTuple tuple = c.tuple();
  const State state = c.state();
  if (child) {
    auto l = listeners_.find(tuple.local_port);
    if (l != listeners_.end() && l->second.id == e.parent) {
      if (state == State::kSynReceived) {
        l->second.embryos.insert(id);
      } else if (!e.queued && kSynchronizedStates.contains(state)) {
        l->second.embryos.erase(id);
        l->second.accept_queue.push_back(id);
        e.queued = true;
      }
    }
  }
  // A new incarnation is established: the parked TIME-WAIT one ends now, whether
  // or not its listener is still there.
  if (kSynchronizedStates.contains(state)) {
    if (auto p = parked_.find(tuple); p != parked_.end() && p->second != id) {
      const ConnId old = p->second;
      parked_.erase(p);
      auto o = entries_.find(old);
      if (o != entries_.end() && o->second.conn) {
        o->second.conn->end_time_wait_for_new_incarnation(now);
        settle(old, now);
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Network side.

void Host::receive(Instant now, const IpPacket& packet) {
  forget_next_deadline();
  ++stats_.packets_in;
  if (packet.dst != address_ || packet.src.family != address_.family) {
    ++stats_.not_for_us;
    return;
  }
  const Segment& seg = packet.tcp;
  const FourTuple tuple{packet.dst, packet.src, seg.dst_port, seg.src_port};

  std::optional<SeqNum> iss_floor;
  if (auto found = by_tuple_.find(tuple); found != by_tuple_.end()) {
    const ConnId id = found->second;
    Connection& c = *entries_.at(id).conn;
    // RFC 1122 4.2.2.13: "When a connection is [in TIME-WAIT], a new SYN may be
    // accepted if its sequence number is larger than the largest sequence number
    // used on the previous connection incarnation" (when Config allows it).
    // The listener is looked up only for such a SYN: every other segment of a
    // known 4-tuple goes straight to its connection.
    const bool reopening_syn = c.state() == State::kTimeWait &&
                               config_.time_wait_syn == TimeWaitSynPolicy::kReuseIfSeqGreater &&
                               seg.flags.syn() && !seg.flags.ack() && !seg.flags.rst() &&
                               seq_gt(seg.seq, c.rcv_nxt());
    const auto l = reopening_syn ? listeners_.find(seg.dst_port) : listeners_.end();
    const bool reuse = l != listeners_.end();
    if (reuse && backlog_full(l->second)) {
      // The listener could not take the new incarnation, so the SYN is dropped as
      // at any full listener, before the TIME-WAIT connection is set aside: it
      // keeps answering for the 4-tuple.
      ++stats_.backlog_drops;
      return;
    }
    if (!reuse) {
      c.on_segment(now, seg, scratch_);
      flush(c);
      settle(id, now);
      return;
    }
    // "(1) assigns its initial sequence number for the new connection to be larger
    // than the largest sequence number it used on the previous connection
    // incarnation, and (2) returns to TIME-WAIT state if the SYN turns out to be an
    // old duplicate." The old TCB is parked (its 2*MSL timer still runs) until the
    // new incarnation is established.
    ++stats_.new_incarnations;
    parked_[tuple] = id;
    by_tuple_.erase(tuple);
    iss_floor = c.snapshot().snd_max;
  }

  if (auto l = listeners_.find(seg.dst_port); l != listeners_.end()) {
    Listener& listener = l->second;
    const bool opening = seg.flags.syn() && !seg.flags.ack() && !seg.flags.rst();
    if (opening && backlog_full(listener)) {
      ++stats_.backlog_drops;
      return;
    }
    // The segment meets the listener's LISTEN TCB (RFC 9293 3.10.7.2) in the form
    // of a child bound to the full 4-tuple, so that a SYN can take it to
    // SYN-RECEIVED while the application's listener goes on listening. A child
    // still in LISTEN afterwards (RST, stray ACK) is freed at once.
    const ConnId id = create(tuple, listener.id, now);
    Connection& c = *entries_.at(id).conn;
    c.become_listening_child(now);
    if (iss_floor) c.set_iss_floor(*iss_floor);
    by_tuple_[tuple] = id;
    c.on_segment(now, seg, scratch_);
    flush(c);
    settle(id, now);
    return;
  }
  reply_no_tcb(now, tuple, seg);
}

bool Host::backlog_full(const Listener& l) const {
  return static_cast<int>(l.embryos.size() + l.accept_queue.size()) >= l.backlog;
}

void Host::reply_no_tcb(Instant now, const FourTuple& tuple, const Segment& seg) {
  // RFC 9293 3.10.7.1: "If the state is CLOSED (i.e., TCB does not exist) then all
  // data in the incoming segment is discarded. An incoming segment containing a
  // RST is discarded. An incoming segment not containing a RST causes a RST to be
  // sent in response."
  if (observer_) observer_->on_segment_in(kNoConn, tuple, seg, TcbSnapshot{}, now);
  std::optional<Segment> rst = reset_for(seg);
  if (!rst) return;
  ++stats_.resets_no_tcb;
  if (observer_) observer_->on_segment_out(kNoConn, tuple, *rst, TcbSnapshot{}, now);
  IpPacket p;
  p.src = tuple.local_addr;
  p.dst = tuple.remote_addr;
  p.ipv4_id = next_ip_id_++;
  p.tcp = std::move(*rst);
  outbox_.push_back(std::move(p));
  ++stats_.packets_out;
}

void Host::on_timer(Instant now) {
  forget_next_deadline();
  due_.clear();
  for (const auto& [id, e] : entries_) {
    if (!e.conn) continue;
    auto d = e.conn->next_deadline();
    if (d && *d <= now) due_.push_back(id);
  }
  for (ConnId id : due_) {
    auto it = entries_.find(id);
    if (it == entries_.end() || !it->second.conn) continue;
    Connection& c = *it->second.conn;
    c.on_timer(now, scratch_);
    flush(c);
    settle(id, now);
  }
}

std::optional<Instant> Host::next_deadline(bool idle_probes) const {
  // The simulator asks several times per event; the answer only changes when a
  // connection does, and every change goes through one of the non-const calls,
  // each of which forgets the cached answer first.
  const int k = idle_probes ? 1 : 0;
  if (deadline_known_[k]) return deadline_[k];
  deadline_[k] = earliest_deadline(idle_probes);
  deadline_known_[k] = true;
  return deadline_[k];
}

std::optional<Instant> Host::earliest_deadline(bool idle_probes) const {
  std::optional<Instant> best;
  for (const auto& [id, e] : entries_) {
    if (!e.conn) continue;
    auto d = e.conn->next_deadline(idle_probes);
    if (d && (!best || *d < *best)) best = d;
  }
  return best;
}

// ---------------------------------------------------------------------------
// Application side.

absl::StatusOr<Host::Entry*> Host::entry(SocketId s) {
  auto it = entries_.find(s);
  if (it == entries_.end() || !it->second.app_owned || it->second.released) {
    return absl::NotFoundError(absl::StrCat("no socket ", s));
  }
  return &it->second;
}

absl::StatusOr<Connection*> Host::live(SocketId s) {
  auto e = entry(s);
  if (!e.ok()) return e.status();
  if (!(*e)->conn) {
    return absl::FailedPreconditionError(absl::StrCat(
        "socket ", s, ": connection closed (", to_string((*e)->final_reason), ")"));
  }
  return (*e)->conn.get();
}

absl::StatusOr<SocketId> Host::listen(Instant now, uint16_t port, int backlog) {
  forget_next_deadline();
  if (port == 0) return absl::InvalidArgumentError("listen: port 0");
  if (listeners_.contains(port)) {
    return absl::AlreadyExistsError(absl::StrCat("listen: port ", port, " already has a listener"));
  }
  FourTuple tuple;
  tuple.local_addr = address_;
  tuple.local_port = port;
  tuple.remote_addr.family = address_.family;
  const ConnId id = create(tuple, kNoConn, now);
  Entry& e = entries_.at(id);
  e.app_owned = true;
  e.listener = true;
  Listener& l = listeners_[port];
  l.id = id;
  l.backlog = backlog > 0 ? backlog : config_.default_backlog;
  absl::Status st = e.conn->open_passive(now);
  return st.ok() ? absl::StatusOr<SocketId>(id) : st;
}

absl::StatusOr<uint16_t> Host::pick_ephemeral_port(const IpAddr& remote, uint16_t remote_port) {
  FourTuple t{address_, remote, 0, remote_port};
  for (uint32_t i = 0; i < kEphemeralCount; ++i) {
    const uint16_t port = next_ephemeral_;
    next_ephemeral_ = next_ephemeral_ == 65535 ? kEphemeralFirst : next_ephemeral_ + 1;
    t.local_port = port;
    if (!listeners_.contains(port) && !by_tuple_.contains(t)) return port;
  }
  return absl::ResourceExhaustedError("connect: no free ephemeral port");
}

absl::StatusOr<SocketId> Host::connect(Instant now, const IpAddr& remote, uint16_t remote_port,
                                       uint16_t local_port) {
  forget_next_deadline();
  if (remote.family != address_.family) {
    return absl::InvalidArgumentError("connect: address family differs from the host's");
  }
  if (remote_port == 0) return absl::InvalidArgumentError("connect: remote port 0");
  if (local_port == 0) {
    auto p = pick_ephemeral_port(remote, remote_port);
    if (!p.ok()) return p.status();
    local_port = *p;
  }
  const FourTuple tuple{address_, remote, local_port, remote_port};
  if (auto it = by_tuple_.find(tuple); it != by_tuple_.end()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "connect: ", tuple.to_string(), " is in use (",
        to_string(entries_.at(it->second).conn->state()), ")"));
  }
  const ConnId id = create(tuple, kNoConn, now);
  Entry& e = entries_.at(id);
  e.app_owned = true;
  by_tuple_[tuple] = id;
  absl::Status st = e.conn->open_active(now, remote, remote_port, scratch_);
  flush(*e.conn);
  settle(id, now);
  return st.ok() ? absl::StatusOr<SocketId>(id) : st;
}

absl::Status Host::connect_from_listener(Instant now, SocketId s, const IpAddr& remote,
                                         uint16_t remote_port) {
  forget_next_deadline();
  auto e = entry(s);
  if (!e.ok()) return e.status();
  Entry& en = **e;
  if (!en.listener || !en.conn) return absl::FailedPreconditionError("not a listening socket");
  const FourTuple tuple{address_, remote, en.conn->tuple().local_port, remote_port};
  if (by_tuple_.contains(tuple)) {
    return absl::AlreadyExistsError(absl::StrCat("connect: ", tuple.to_string(), " is in use"));
  }
  en.listener = false;
  // Its children go; the TCB itself becomes the connection. (Resetting them may
  // erase entries, so the listener's entry is looked up again afterwards.)
  reset_children(detach_listener(tuple.local_port, s), now);
  Connection& c = *entries_.at(s).conn;
  by_tuple_[tuple] = s;
  absl::Status st = c.open_active(now, remote, remote_port, scratch_);
  flush(c);
  settle(s, now);
  return st;
}

std::vector<ConnId> Host::detach_listener(uint16_t port, ConnId listener) {
  std::vector<ConnId> children;
  auto l = listeners_.find(port);
  if (l == listeners_.end() || l->second.id != listener) return children;
  children.assign(l->second.embryos.begin(), l->second.embryos.end());
  children.insert(children.end(), l->second.accept_queue.begin(), l->second.accept_queue.end());
  listeners_.erase(l);
  return children;
}

void Host::reset_children(const std::vector<ConnId>& children, Instant now) {
  // Children nobody will accept are reset, as a closing listener's are in every
  // sockets implementation.
  for (ConnId child : children) {
    auto it = entries_.find(child);
    if (it == entries_.end() || !it->second.conn) continue;
    it->second.conn->abort(now, scratch_);
    flush(*it->second.conn);
    settle(child, now);
  }
}

absl::StatusOr<std::optional<SocketId>> Host::accept(SocketId s) {
  forget_next_deadline();
  auto e = entry(s);
  if (!e.ok()) return e.status();
  if (!(*e)->listener || !(*e)->conn) return absl::FailedPreconditionError("not a listening socket");
  Listener& l = listeners_.at((*e)->conn->tuple().local_port);
  if (l.accept_queue.empty()) return std::optional<SocketId>();
  const ConnId child = l.accept_queue.front();
  l.accept_queue.pop_front();
  Entry& ce = entries_.at(child);
  ce.app_owned = true;
  ce.queued = false;
  return std::optional<SocketId>(child);
}

absl::StatusOr<size_t> Host::send(Instant now, SocketId s, std::span<const uint8_t> data) {
  forget_next_deadline();
  auto c = live(s);
  if (!c.ok()) return c.status();
  auto n = (*c)->send(now, data, scratch_);
  flush(**c);
  settle(s, now);
  return n;
}

absl::StatusOr<size_t> Host::recv(Instant now, SocketId s, std::span<uint8_t> buf) {
  forget_next_deadline();
  auto e = entry(s);
  if (!e.ok()) return e.status();
  if (!(*e)->conn) {
    if ((*e)->final_reason == CloseReason::kNormal) return 0;  // end of stream
    return absl::FailedPreconditionError(
        absl::StrCat("socket ", s, ": connection ", to_string((*e)->final_reason)));
  }
  Connection& c = *(*e)->conn;
  const size_t n = c.receive(now, buf, scratch_);
  flush(c);
  settle(s, now);
  return n;
}

absl::Status Host::shutdown(Instant now, SocketId s) {
  forget_next_deadline();
  auto c = live(s);
  if (!c.ok()) return c.status();
  absl::Status st = (*c)->close(now, scratch_);
  flush(**c);
  settle(s, now);
  return st;
}

absl::Status Host::close(Instant now, SocketId s) {
  forget_next_deadline();
  auto e = entry(s);
  if (!e.ok()) return e.status();
  Entry& en = **e;
  if (!en.conn) {  // already closed: collect the handle
    entries_.erase(s);
    return absl::OkStatus();
  }
  Connection& c = *en.conn;
  if (en.listener) {
    // LISTEN -> CLOSED; settle() then resets the children nobody accepted.
    absl::Status st = c.close(now, scratch_);
    en.released = true;
    settle(s, now);
    return st;
  }
  en.released = true;
  if (c.readable() > 0) {
    c.abort(now, scratch_);
  } else {
    switch (c.state()) {
      case State::kSynSent:
      case State::kSynReceived:
      case State::kEstablished:
      case State::kCloseWait:
        (void)c.close(now, scratch_);  // cannot fail in these states
        break;
      case State::kClosed:
      case State::kListen:
      case State::kFinWait1:
      case State::kFinWait2:
      case State::kClosing:
      case State::kLastAck:
      case State::kTimeWait:
        break;  // already closing (after a shutdown) or gone
    }
    c.discard_input();
  }
  flush(c);
  settle(s, now);
  return absl::OkStatus();
}

absl::Status Host::set_nodelay(SocketId s, bool on) {
  forget_next_deadline();
  auto c = live(s);
  if (!c.ok()) return c.status();
  (*c)->set_nodelay(on);
  return absl::OkStatus();
}

absl::Status Host::set_keepalive(Instant now, SocketId s, bool on) {
  forget_next_deadline();
  auto c = live(s);
  if (!c.ok()) return c.status();
  (*c)->set_keepalive(now, on);
  flush(**c);
  settle(s, now);
  return absl::OkStatus();
}

absl::Status Host::abort(Instant now, SocketId s) {
  forget_next_deadline();
  auto e = entry(s);
  if (!e.ok()) return e.status();
  Entry& en = **e;
  en.released = true;
  if (!en.conn) {
    entries_.erase(s);
    return absl::OkStatus();
  }
  en.conn->abort(now, scratch_);  // a listener's children go in settle()
  flush(*en.conn);
  settle(s, now);
  return absl::OkStatus();
}

absl::StatusOr<SocketStatus> Host::status(SocketId s) const {
  auto it = entries_.find(s);
  if (it == entries_.end() || !it->second.app_owned || it->second.released) {
    return absl::NotFoundError(absl::StrCat("no socket ", s));
  }
  const Entry& e = it->second;
  SocketStatus st;
  st.listener = e.listener;
  if (!e.conn) {
    st.close_reason = e.final_reason;
    st.end_of_stream = e.final_reason == CloseReason::kNormal;
    return st;
  }
  const Connection& c = *e.conn;
  st.state = c.state();
  st.close_reason = c.close_reason();
  st.readable = c.readable();
  st.end_of_stream = c.peer_fin_received() && c.readable() == 0;
  st.send_space = c.send_space();
  return st;
}

// ---------------------------------------------------------------------------
// Introspection.

size_t Host::connection_count() const {
  size_t n = 0;
  for (const auto& [id, e] : entries_) n += e.conn != nullptr;
  return n;
}

bool Host::has_connection_in(State s) const {
  bool any = false;
  for (const auto& [id, e] : entries_) {
    if (!e.conn) continue;
    if (e.conn->state() == s) return true;
    any |= e.conn->state() != State::kListen;
  }
  return s == State::kClosed && !any;
}

size_t Host::armed_timer_count() const {
  size_t n = 0;
  for (const auto& [id, e] : entries_) {
    if (!e.conn) continue;
    for (int k = 0; k < kNumTimerKinds; ++k) n += e.conn->timer(static_cast<TimerKind>(k)).has_value();
  }
  return n;
}

size_t Host::buffered_bytes() const {
  size_t n = 0;
  for (const auto& [id, e] : entries_) {
    if (e.conn) n += e.conn->readable() + e.conn->send_queued();
  }
  return n;
}

absl::Status Host::check_invariants() const {
  for (const auto& [id, e] : entries_) {
    if (!e.conn) continue;
    if (absl::Status st = e.conn->check_invariants(); !st.ok()) {
      return absl::Status(st.code(), absl::StrCat("connection ", id, " (",
                                                  e.conn->tuple().to_string(), ", ",
                                                  to_string(e.conn->state()), "): ", st.message()));
    }
  }
  for (int k = 0; k < 2; ++k) {
    if (deadline_known_[k] && deadline_[k] != earliest_deadline(k == 1)) {
      return absl::InternalError(absl::StrCat(
          "the cached next deadline", k == 1 ? "" : " (keep-alives aside)",
          " is stale: a connection's timers changed without the host hearing of it"));
    }
  }
  return absl::OkStatus();
}

const Connection* Host::connection(SocketId s) const {
  auto it = entries_.find(s);
  return it == entries_.end() ? nullptr : it->second.conn.get();
}

const Connection* Host::find(const FourTuple& tuple) const {
  auto it = by_tuple_.find(tuple);
  return it == by_tuple_.end() ? nullptr : entries_.at(it->second).conn.get();
}

}  // namespace synfin
