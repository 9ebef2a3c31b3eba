// Socket calls of packetdrill scripts, mapped onto the host's socket API, with
// POSIX file descriptors, blocking and non-blocking behaviour, errno values and
// the socket options the stack has.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/packetdrill_runner_internal.h"
#include "harness/pattern.h"

namespace synfin::harness::pd {
namespace {

bool is_symbol(const Expr& e, std::string_view name) {
  return e.kind == Expr::Kind::kSymbol && e.text == name;
}

const char* close_errno(CloseReason r) {
  switch (r) {
    case CloseReason::kRefused: return "ECONNREFUSED";
    case CloseReason::kReset: return "ECONNRESET";
    case CloseReason::kTimedOut: return "ETIMEDOUT";
    case CloseReason::kNone:
    case CloseReason::kNormal:
    case CloseReason::kAborted:
      return "";
  }
  return "";
}

std::string expr_text(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::kEllipsis: return "...";
    case Expr::Kind::kInt: return absl::StrCat(e.value);
    case Expr::Kind::kSymbol: return e.text;
    case Expr::Kind::kString: return absl::StrCat("\"", e.text, "\"");
    case Expr::Kind::kOr: {
      std::vector<std::string> parts;
      for (const Expr& i : e.items) parts.push_back(expr_text(i));
      return absl::StrJoin(parts, " | ");
    }
    case Expr::Kind::kList:
    case Expr::Kind::kStruct: {
      std::vector<std::string> parts;
      for (size_t i = 0; i < e.items.size(); ++i) {
        parts.push_back(e.fields[i].empty() ? expr_text(e.items[i])
                                            : absl::StrCat(e.fields[i], "=", expr_text(e.items[i])));
      }
      const bool list = e.kind == Expr::Kind::kList;
      return absl::StrCat(list ? "[" : "{", absl::StrJoin(parts, ", "), list ? "]" : "}");
    }
  }
  return "?";
}

bool same_errno(std::string_view a, std::string_view b) {
  auto norm = [](std::string_view s) { return s == "EWOULDBLOCK" ? std::string_view("EAGAIN") : s; };
  return norm(a) == norm(b);
}

}  // namespace

absl::StatusOr<std::optional<int64_t>> Runner::value_of(const Expr& e) const {
  switch (e.kind) {
    case Expr::Kind::kEllipsis: return std::optional<int64_t>();
    case Expr::Kind::kInt: return std::optional<int64_t>(e.value);
    case Expr::Kind::kSymbol: {
      if (e.text == "O_RDWR") return std::optional<int64_t>(opt_.profile.o_rdwr);
      if (e.text == "O_NONBLOCK") return std::optional<int64_t>(opt_.profile.o_nonblock);
      if (auto n = errno_number(opt_.profile, e.text)) return std::optional<int64_t>(*n);
      return absl::InvalidArgumentError(absl::StrCat("the value ", e.text));
    }
    case Expr::Kind::kOr: {
      int64_t v = 0;
      for (const Expr& i : e.items) {
        auto x = value_of(i);
        if (!x.ok()) return x.status();
        if (!*x) return std::optional<int64_t>();
        v |= **x;
      }
      return std::optional<int64_t>(v);
    }
    case Expr::Kind::kList:
      if (e.items.size() == 1) return value_of(e.items[0]);
      return absl::InvalidArgumentError(absl::StrCat("the value ", expr_text(e)));
    case Expr::Kind::kString:
    case Expr::Kind::kStruct:
      return absl::InvalidArgumentError(absl::StrCat("the value ", expr_text(e)));
  }
  return absl::InvalidArgumentError("an expression");
}

FdEntry* Runner::fd(int64_t n) {
  auto it = fds_.find(n);
  return it == fds_.end() ? nullptr : &it->second;
}

int64_t Runner::new_fd() {
  int64_t n = 3;  // 0, 1 and 2 are the standard streams
  while (fds_.contains(n)) ++n;
  fds_[n] = FdEntry{};
  return n;
}

int64_t Runner::so_error(FdEntry& f) {
  if (f.error_reported || !host_ || f.kind != FdEntry::Kind::kConnection) return 0;
  auto st = host_->status(f.handle);
  if (!st.ok()) return 0;
  const char* e = close_errno(st->close_reason);
  if (!*e) return 0;
  f.error_reported = true;
  return errno_number(opt_.profile, e).value_or(0);
}

bool Runner::syscall(const Event& e, const SyscallSpec& sc, Instant start) {
  const int line = e.pos.line;
  if (pending_) {
    return fail(line, absl::StrCat(sc.name, "() while ", pending_->call.name, "() of line ",
                                   pending_->line, " is still blocked"));
  }
  std::optional<Outcome> o = attempt(line, sc);
  if (!o) return false;
  if (!o->done) {
    std::optional<Instant> end;
    if (e.time.blocking && e.time.end_us) {
      end = e.time.kind == EventTime::Kind::kAbsolute ? Instant{*e.time.end_us}
                                                     : script_time_ + Duration{*e.time.end_us};
    }
    pending_ = Pending{line, sc, start, end};
    return true;
  }
  if (e.time.blocking && e.time.end_us) {
    return fail(line, absl::StrCat(sc.name, "() returned at once; the script expects it to block"));
  }
  return check_outcome(line, sc, *o);
}

bool Runner::poll_pending() {
  if (!pending_ || stopped_) return true;
  std::optional<Outcome> o = attempt(pending_->line, pending_->call);
  if (!o) return false;
  if (!o->done) return true;
  Pending p = std::move(*pending_);
  pending_.reset();
  const Instant want = p.end.value_or(p.start);
  if (now_ != want) {
    return fail(p.line, absl::StrCat(p.call.name, "() returned at ", format_instant(now_),
                                     ", expected at ", format_instant(want)));
  }
  return check_outcome(p.line, p.call, *o);
}

bool Runner::check_outcome(int line, const SyscallSpec& sc, const Outcome& o) {
  const int64_t got = o.err.empty() ? o.value : -1;
  std::string got_text = absl::StrCat(got, o.err.empty() ? "" : " ", o.err);
  auto want = value_of(sc.result);
  if (!want.ok()) return skip(line, absl::StrCat(sc.name, "(): cannot evaluate ", want.status().message()));
  std::string want_text = absl::StrCat(expr_text(sc.result), sc.errno_name.empty() ? "" : " ", sc.errno_name);
  if ((*want && **want != got) || !same_errno(sc.errno_name, o.err)) {
    return fail(line, absl::StrCat(sc.name, "() returned ", got_text, ", expected ", want_text));
  }
  for (const auto& [index, value] : o.out_args) {
    if (index >= sc.args.size()) continue;
    auto w = value_of(sc.args[index]);
    if (!w.ok()) return skip(line, absl::StrCat(sc.name, "(): cannot evaluate ", w.status().message()));
    if (*w && **w != value) {
      return fail(line, absl::StrCat(sc.name, "() wrote ", value, " to argument ", index + 1,
                                     ", expected ", expr_text(sc.args[index])));
    }
  }
  return true;
}

std::optional<Runner::Outcome> Runner::attempt(int line, const SyscallSpec& sc) {
  const std::vector<Expr>& a = sc.args;
  Outcome out;
  auto err = [&out](const char* e) {
    out.err = e;
    out.value = -1;
    return out;
  };
  auto need_args = [&](size_t n) {
    if (a.size() >= n) return true;
    fail(line, absl::StrCat(sc.name, "() takes ", n, " arguments"));
    return false;
  };
  auto int_arg = [&](size_t i) -> std::optional<int64_t> {
    if (i >= a.size()) return std::nullopt;
    auto v = value_of(a[i]);
    if (!v.ok() || !*v) return std::nullopt;
    return **v;
  };
  auto unsupported = [&](std::string why) -> std::optional<Outcome> {
    skip(line, std::move(why));
    return std::nullopt;
  };
  const std::string& name = sc.name;

  if (name == "socket") {
    if (!need_args(3)) return std::nullopt;
    if (!is_symbol(a[1], "SOCK_STREAM")) return unsupported("socket() of a type other than SOCK_STREAM");
    if (!(a[2].kind == Expr::Kind::kEllipsis || is_symbol(a[2], "IPPROTO_TCP") || int_arg(2) == 0)) {
      return unsupported("socket() of a protocol other than TCP");
    }
    out.value = new_fd();
    // TCP_NODELAY starts as the profile's Nagle setting says (off on a real OS).
    fds_[out.value].nodelay = (host_ ? host_->config() : knobs_.config).nagle ? 0 : 1;
    return out;
  }
  // Every other call names a descriptor first.
  if (!need_args(1)) return std::nullopt;
  const std::optional<int64_t> n = int_arg(0);
  if (!n) return unsupported(absl::StrCat(name, "() on descriptor ", expr_text(a[0])));
  FdEntry* f = fd(*n);
  if (name == "close" || name == "bind" || name == "listen" || name == "accept" || name == "connect" ||
      name == "read" || name == "recv" || name == "write" || name == "send" || name == "shutdown" ||
      name == "fcntl" || name == "getsockopt" || name == "setsockopt") {
    if (!f) return err("EBADF");
  } else {
    return unsupported(absl::StrCat("system call ", name, "()"));
  }

  if (name == "bind") {
    f->bound_port = port_;
    out.value = 0;
    return out;
  }
  if (name == "fcntl") {
    if (!need_args(2)) return std::nullopt;
    const int64_t access = opt_.profile.o_rdwr;
    if (is_symbol(a[1], "F_GETFL")) {
      out.value = access | (f->nonblocking ? opt_.profile.o_nonblock : 0);
      return out;
    }
    if (is_symbol(a[1], "F_SETFL")) {
      const std::optional<int64_t> v = int_arg(2);
      if (!v) return unsupported("fcntl(F_SETFL) with flags synfin cannot evaluate");
      if (*v & ~(access | opt_.profile.o_nonblock)) return unsupported("fcntl flags other than O_RDWR|O_NONBLOCK");
      f->nonblocking = (*v & opt_.profile.o_nonblock) != 0;
      out.value = 0;
      return out;
    }
    return unsupported(absl::StrCat("fcntl(", expr_text(a[1]), ")"));
  }
  if (name == "getsockopt" || name == "setsockopt") {
    if (!need_args(4)) return std::nullopt;
    if (a[1].kind != Expr::Kind::kSymbol || a[2].kind != Expr::Kind::kSymbol) {
      return unsupported(absl::StrCat(name, "() with a numeric level or option"));
    }
    const std::string& opt = a[2].text;
    const Config& cfg = host_ ? host_->config() : knobs_.config;
    const bool set = name == "setsockopt";
    std::optional<int64_t> v;
    if (set && opt != "SO_LINGER") {
      v = int_arg(3);
      if (!v) return unsupported(absl::StrCat("setsockopt(", opt, ") with a value synfin cannot evaluate"));
    }
    auto synchronized = [&]() {
      if (!host_ || f->kind != FdEntry::Kind::kConnection) return false;
      const Connection* c = host_->connection(f->handle);
      return c && kSynchronizedStates.contains(c->state());
    };
    const uint16_t eff_mss =
        peer_mss_ ? std::min<uint16_t>(cfg.mss, peer_mss_)
                  : std::min<uint16_t>(cfg.mss, family_ == IpFamily::kV4 ? cfg.default_peer_mss_v4
                                                                        : cfg.default_peer_mss_v6);
    int64_t* flag = opt == "SO_REUSEADDR" ? &f->reuseaddr
                    : opt == "TCP_NODELAY" ? &f->nodelay
                    : opt == "SO_KEEPALIVE" ? &f->keepalive
                                            : nullptr;
    if (flag) {
      if (set) {
        *flag = *v != 0;
        // A connected socket takes the option at once; others when they connect.
        if (host_ && f->kind == FdEntry::Kind::kConnection) apply_socket_options(*f);
      } else {
        out.out_args.emplace_back(3, *flag);
      }
      out.value = 0;
      return out;
    }
    if (opt == "SO_RCVBUF" || opt == "SO_SNDBUF") {
      const bool rcv = opt == "SO_RCVBUF";
      std::optional<int64_t>& mine = rcv ? f->rcvbuf : f->sndbuf;
      if (set) {
        if (*v <= 0 || static_cast<uint64_t>(*v) > knobs_.max_sock_buf) return err("ENOBUFS");
        if (host_ && *v != (rcv ? cfg.recv_buffer : cfg.send_buffer)) {
          return unsupported(absl::StrCat(opt, " on one socket once the host runs (synfin's buffers are per host)"));
        }
        (rcv ? knobs_.config.recv_buffer : knobs_.config.send_buffer) = static_cast<uint32_t>(*v);
        mine = *v;
        out.value = 0;
        return out;
      }
      int64_t size = mine.value_or(rcv ? cfg.recv_buffer : cfg.send_buffer);
      if (rcv && opt_.profile.rcvbuf_rounds_to_mss && synchronized() && eff_mss > 0) {
        size = (size + eff_mss - 1) / eff_mss * eff_mss;
      }
      out.out_args.emplace_back(3, size);
      out.value = 0;
      return out;
    }
    if (opt == "SO_ERROR") {
      if (set) return err("ENOPROTOOPT");
      out.out_args.emplace_back(3, so_error(*f));
      out.value = 0;
      return out;
    }
    if (opt == "TCP_MAXSEG") {
      if (set) {
        if (host_ && *v != cfg.mss) return unsupported("TCP_MAXSEG on one socket once the host runs");
        if (*v <= 0 || *v > 65535) return err("EINVAL");
        knobs_.config.mss = static_cast<uint16_t>(*v);
        f->maxseg = *v;
      } else {
        out.out_args.emplace_back(3, synchronized() ? eff_mss : f->maxseg.value_or(cfg.mss));
      }
      out.value = 0;
      return out;
    }
    if (opt == "SO_LINGER") {
      if (set) {
        const Expr& s = a[3];
        if ((s.kind != Expr::Kind::kStruct && s.kind != Expr::Kind::kList) || s.items.size() != 2) {
          return unsupported("SO_LINGER with a value other than {onoff, linger}");
        }
        auto on = value_of(s.items[0]);
        auto secs = value_of(s.items[1]);
        if (!on.ok() || !secs.ok() || !*on || !*secs) return unsupported("SO_LINGER values synfin cannot evaluate");
        f->linger_on = **on != 0;
        f->linger_secs = **secs;
      } else {
        return unsupported("getsockopt(SO_LINGER) (a struct result)");
      }
      out.value = 0;
      return out;
    }
    return unsupported(absl::StrCat(name, "(", opt, ")"));
  }

  if (name == "close") {
    if (host_ && f->kind != FdEntry::Kind::kFresh) {
      const SocketId h = f->handle;
      if (f->kind == FdEntry::Kind::kConnection && f->linger_on && f->linger_secs > 0) {
        return unsupported("close() with SO_LINGER and a timeout (it would block)");
      }
      const bool abort = f->kind == FdEntry::Kind::kConnection && f->linger_on;
      absl::Status st = abort ? host_->abort(now_, h) : host_->close(now_, h);
      if (abort) (void)host_->close(now_, h);  // release the handle too
      notify_app_call(abort ? OpKind::kAbort : OpKind::kClose, h, st.ok(), 0);
      collect();
    }
    fds_.erase(*n);
    out.value = 0;
    return out;
  }
  if (name == "listen") {
    if (!ensure_host(line)) return std::nullopt;
    if (f->kind == FdEntry::Kind::kConnection) return err("EINVAL");
    if (f->kind == FdEntry::Kind::kListener) {
      out.value = 0;
      return out;
    }
    const uint16_t port = f->bound_port ? f->bound_port : port_;
    const int backlog = static_cast<int>(std::clamp<int64_t>(int_arg(1).value_or(0), 0, 1 << 16));
    auto r = host_->listen(now_, port, backlog);
    notify_app_call(OpKind::kListen, r.ok() ? *r : 0, r.ok(), 0);
    if (!r.ok()) return err(absl::IsAlreadyExists(r.status()) ? "EADDRINUSE" : "EINVAL");
    f->kind = FdEntry::Kind::kListener;
    f->handle = *r;
    tuple_.local_port = port;
    tuple_is_listener_ = true;
    out.value = 0;
    return out;
  }
  if (name == "accept") {
    if (f->kind != FdEntry::Kind::kListener || !host_) return err("EINVAL");
    auto r = host_->accept(f->handle);
    if (!r.ok()) return err("EINVAL");
    if (!r->has_value()) {
      if (f->nonblocking) return err("EAGAIN");
      out.done = false;
      return out;
    }
    notify_app_call(OpKind::kAccept, **r, true, 0);
    const int64_t nfd = new_fd();
    // The accepted socket inherits the listener's options, as on BSD and Linux.
    const int64_t nodelay = f->nodelay, keepalive = f->keepalive;
    fds_[nfd].kind = FdEntry::Kind::kConnection;
    fds_[nfd].handle = **r;
    fds_[nfd].nodelay = nodelay;
    fds_[nfd].keepalive = keepalive;
    apply_socket_options(fds_[nfd]);
    out.value = nfd;
    return out;
  }
  if (name == "connect") {
    if (!ensure_host(line)) return std::nullopt;
    if (f->kind == FdEntry::Kind::kListener) return unsupported("connect() on a listening socket");
    if (f->kind == FdEntry::Kind::kFresh) {
      auto r = host_->connect(now_, host_address(family_, 1), port_, f->bound_port);
      notify_app_call(OpKind::kConnect, r.ok() ? *r : 0, r.ok(), 0);
      if (!r.ok()) return err(absl::IsAlreadyExists(r.status()) ? "EADDRINUSE" : "EINVAL");
      f->kind = FdEntry::Kind::kConnection;
      f->handle = *r;
      apply_socket_options(*f);
      if (const Connection* c = host_->connection(*r)) tuple_ = c->tuple();
      tuple_is_listener_ = false;
      iss_known_ = false;
      local_iss_ = 0;
      collect();
      if (f->nonblocking) return err("EINPROGRESS");
    } else if (f->nonblocking && !pending_) {
      // A second connect() on a non-blocking socket reports where it stands.
      auto st = host_->status(f->handle);
      if (!st.ok()) return err("EBADF");
      if (kSynchronizedStates.contains(st->state)) return err("EISCONN");
      if (st->state == State::kSynSent || st->state == State::kSynReceived) return err("EALREADY");
      if (const char* e = close_errno(st->close_reason); *e) {
        f->error_reported = true;
        return err(e);
      }
      return err("EINVAL");
    }
    auto st = host_->status(f->handle);
    if (!st.ok()) return err("EBADF");
    if (st->state == State::kSynSent || st->state == State::kSynReceived) {
      out.done = false;
      return out;
    }
    if (const char* e = close_errno(st->close_reason); *e) {
      f->error_reported = true;
      return err(e);
    }
    out.value = 0;
    return out;
  }
  if (name == "write" || name == "send") {
    if (!need_args(3)) return std::nullopt;
    if (name == "send" && a.size() > 3 && int_arg(3) != 0) return unsupported("send() flags");
    const std::optional<int64_t> len = int_arg(2);
    if (!len || *len < 0 || *len > (1 << 24)) return unsupported(absl::StrCat(name, "() length synfin cannot evaluate"));
    if (f->kind != FdEntry::Kind::kConnection || !host_) return err("ENOTCONN");
    auto st = host_->status(f->handle);
    if (!st.ok()) return err("EBADF");
    if (const char* e = close_errno(st->close_reason); *e && !f->error_reported) {
      f->error_reported = true;
      return err(e);
    }
    if (st->state == State::kClosed || kLocalFinStates.contains(st->state)) return err("EPIPE");
    if (st->state == State::kSynSent || st->state == State::kSynReceived || st->send_space == 0) {
      if (f->nonblocking) return err("EAGAIN");
      out.done = false;
      return out;
    }
    std::vector<uint8_t> bytes(static_cast<size_t>(*len));
    fill_stream(f->written, bytes);
    auto r = host_->send(now_, f->handle, bytes);
    notify_app_call(OpKind::kSend, f->handle, r.ok(), r.ok() ? *r : 0);
    collect();
    if (!r.ok()) return err("EPIPE");
    f->written += *r;
    out.value = static_cast<int64_t>(*r);
    return out;
  }
  if (name == "read" || name == "recv") {
    if (!need_args(3)) return std::nullopt;
    if (name == "recv" && a.size() > 3 && int_arg(3) != 0) return unsupported("recv() flags");
    const std::optional<int64_t> len = int_arg(2);
    if (!len || *len < 0 || *len > (1 << 24)) return unsupported(absl::StrCat(name, "() length synfin cannot evaluate"));
    if (f->kind != FdEntry::Kind::kConnection || !host_) return err("ENOTCONN");
    auto st = host_->status(f->handle);
    if (!st.ok()) return err("EBADF");
    if (st->readable > 0) {
      std::vector<uint8_t> buf(static_cast<size_t>(*len));
      auto r = host_->recv(now_, f->handle, buf);
      notify_app_call(OpKind::kRecv, f->handle, r.ok(), r.ok() ? *r : 0);
      collect();
      out.value = r.ok() ? static_cast<int64_t>(*r) : 0;
      return out;
    }
    if (st->end_of_stream) {
      out.value = 0;
      return out;
    }
    if (const char* e = close_errno(st->close_reason); *e) {
      if (!f->error_reported) {
        f->error_reported = true;
        return err(e);
      }
      out.value = 0;
      return out;
    }
    if (st->state == State::kClosed) {
      out.value = 0;
      return out;
    }
    if (f->nonblocking) return err("EAGAIN");
    out.done = false;
    return out;
  }
  if (name == "shutdown") {
    if (!need_args(2)) return std::nullopt;
    if (!is_symbol(a[1], "SHUT_WR")) return unsupported(absl::StrCat("shutdown(", expr_text(a[1]), ")"));
    if (f->kind != FdEntry::Kind::kConnection || !host_) return err("ENOTCONN");
    absl::Status st = host_->shutdown(now_, f->handle);
    notify_app_call(OpKind::kShutdown, f->handle, st.ok(), 0);
    collect();
    if (!st.ok()) return err("ENOTCONN");
    out.value = 0;
    return out;
  }
  return unsupported(absl::StrCat("system call ", name, "()"));
}

// TCP_NODELAY and SO_KEEPALIVE onto the stack's socket (the TCB may be gone:
// then there is nothing to apply them to).
void Runner::apply_socket_options(const FdEntry& f) {
  (void)host_->set_nodelay(f.handle, f.nodelay != 0);
  (void)host_->set_keepalive(now_, f.handle, f.keepalive != 0);
  collect();
}

}  // namespace synfin::harness::pd
