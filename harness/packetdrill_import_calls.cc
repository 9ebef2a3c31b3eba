// The packetdrill importer: socket calls as the model's app ops, and the
// socket options that set Config or change what close() does.
#include <algorithm>
#include <iterator>

#include "harness/packetdrill_import_internal.h"

namespace synfin::harness::pd {

absl::Status Importer::syscall(const Event& e, const SyscallSpec& sc, int64_t at, std::optional<int64_t> end) {
  const std::vector<Expr>& a = sc.args;
  const std::string& name = sc.name;
  if (name == "socket") {
    if (a.size() < 3) return bad(e.pos, "socket() takes 3 arguments");
    if (!is_symbol(a[1], "SOCK_STREAM")) return cannot(e.pos, "socket() of a type other than SOCK_STREAM");
    const std::optional<int64_t> fd = int_of(sc.result);
    if (!fd) return cannot(e.pos, "socket() without a descriptor number as its result");
    if (*fd >= 0) fds_[*fd] = Fd{};
    return absl::OkStatus();
  }
  static constexpr std::string_view kKnown[] = {
      "bind", "listen", "accept", "connect", "read", "recv", "write", "send", "shutdown",
      "close", "fcntl", "getsockopt", "setsockopt"};
  if (std::find(std::begin(kKnown), std::end(kKnown), name) == std::end(kKnown)) {
    note(e.pos.line, absl::StrCat("system call ", name, "() left out"));
    return absl::OkStatus();
  }
  if (a.empty()) return bad(e.pos, absl::StrCat(name, "() takes a descriptor"));
  const std::optional<int64_t> n = int_of(a[0]);
  if (!n) return cannot(e.pos, absl::StrCat(name, "() on a descriptor that is not a number"));
  auto it = fds_.find(*n);
  if (it == fds_.end()) {
    // EBADF in the script too: nothing happens.
    if (!failed(sc)) return bad(e.pos, absl::StrCat(name, "() on descriptor ", *n, ", which is not open"));
    return absl::OkStatus();
  }
  Fd& f = it->second;
  auto socket_op = [&](OpKind kind) {
    Op op;
    op.kind = kind;
    op.socket = *f.index;
    return op;
  };
  if (name == "listen") {
    if (f.kind != Fd::Kind::kFresh || failed(sc)) return absl::OkStatus();
    const std::optional<int64_t> backlog = a.size() > 1 ? int_of(a[1]) : std::nullopt;
    if (backlog && *backlog > 0) {
      if (!started_) {
        knobs_.config.default_backlog = static_cast<int>(std::min<int64_t>(*backlog, 1 << 16));
      } else if (*backlog != knobs_.config.default_backlog) {
        note(e.pos.line, "this listener's backlog left out (the model's is one per host)");
      }
    }
    Op op;
    op.kind = OpKind::kListen;
    op.port = port_;
    emit(at, op, *n);
    return absl::OkStatus();
  }
  if (name == "connect") {
    if (f.kind != Fd::Kind::kFresh) return absl::OkStatus();  // polls a connect in progress
    if (failed(sc) && sc.errno_name != "EINPROGRESS" && sc.errno_name != "ECONNREFUSED" &&
        sc.errno_name != "ECONNRESET" && sc.errno_name != "ETIMEDOUT") {
      return absl::OkStatus();  // refused at once: no SYN
    }
    Op op;
    op.kind = OpKind::kConnect;
    op.port = port_;
    emit(at, op, *n);
    return absl::OkStatus();
  }
  if (name == "accept") {
    const std::optional<int64_t> fd = int_of(sc.result);
    if (f.kind != Fd::Kind::kListener || !fd || *fd < 0) return absl::OkStatus();
    Op op;
    op.kind = OpKind::kAccept;
    if (end) {
      defer(*end, op, *fd);
    } else {
      emit(at, op, *fd);
    }
    return absl::OkStatus();
  }
  if (name == "write" || name == "send" || name == "read" || name == "recv") {
    const bool out = name == "write" || name == "send";
    if (a.size() < 3) return bad(e.pos, absl::StrCat(name, "() takes 3 arguments"));
    const std::optional<int64_t> len = int_of(a[2]);
    if (!len || *len < 0) return cannot(e.pos, absl::StrCat(name, "() with a length synfin cannot evaluate"));
    if (a.size() > 3 && int_of(a[3]) != 0) note(e.pos.line, absl::StrCat(name, "() flags left out"));
    if (!f.index || f.kind != Fd::Kind::kConnection || failed(sc)) return absl::OkStatus();
    Op op = socket_op(out ? OpKind::kSend : OpKind::kRecv);
    op.amount = static_cast<uint64_t>(*len);
    if (end && !out) {
      defer(*end, op);
    } else {
      if (end) note(e.pos.line, "a blocking write() issued at its start (the model's send takes what fits)");
      emit(at, op);
    }
    return absl::OkStatus();
  }
  if (name == "shutdown") {
    if (a.size() < 2) return bad(e.pos, "shutdown() takes 2 arguments");
    if (!f.index || f.kind != Fd::Kind::kConnection || failed(sc)) return absl::OkStatus();
    if (is_symbol(a[1], "SHUT_RD")) {
      note(e.pos.line, "shutdown(SHUT_RD) left out (the model closes only the sending side)");
      return absl::OkStatus();
    }
    if (!is_symbol(a[1], "SHUT_WR")) note(e.pos.line, "shutdown() taken as SHUT_WR");
    emit(at, socket_op(OpKind::kShutdown));
    return absl::OkStatus();
  }
  if (name == "close") {
    if (f.index) emit(at, socket_op(f.abort_on_close ? OpKind::kAbort : OpKind::kClose));
    fds_.erase(it);
    return absl::OkStatus();
  }
  if (name == "setsockopt") return setsockopt(e, sc, f);
  return absl::OkStatus();  // bind, fcntl, getsockopt: nothing the model does
}

absl::Status Importer::setsockopt(const Event& e, const SyscallSpec& sc, Fd& f) {
  const std::vector<Expr>& a = sc.args;
  if (a.size() < 4) return bad(e.pos, "setsockopt() takes 5 arguments");
  if (failed(sc)) return absl::OkStatus();
  const std::string opt = a[2].kind == Expr::Kind::kSymbol ? a[2].text : "";
  if (opt == "SO_LINGER") {
    const Expr& s = a[3];
    if ((s.kind == Expr::Kind::kStruct || s.kind == Expr::Kind::kList) && s.items.size() == 2) {
      const std::optional<int64_t> on = int_of(s.items[0]), secs = int_of(s.items[1]);
      f.abort_on_close = on && secs && *on != 0 && *secs == 0;
      if (on && *on != 0 && secs && *secs != 0) note(e.pos.line, "SO_LINGER with a timeout left out");
      return absl::OkStatus();
    }
    note(e.pos.line, "SO_LINGER with a value synfin cannot read left out");
    return absl::OkStatus();
  }
  const std::optional<int64_t> v = int_of(a[3]);
  uint32_t* size = opt == "SO_RCVBUF" ? &knobs_.config.recv_buffer
                   : opt == "SO_SNDBUF" ? &knobs_.config.send_buffer
                                        : nullptr;
  if (size || opt == "TCP_MAXSEG") {
    if (!v || *v <= 0 || (size && static_cast<uint64_t>(*v) > knobs_.max_sock_buf) || (!size && *v > 65535)) {
      note(e.pos.line, absl::StrCat(opt, " with a value synfin cannot use left out"));
    } else if (started_) {
      note(e.pos.line, absl::StrCat(opt, " after the first connection left out (the model's Config is per run)"));
    } else if (size) {
      *size = static_cast<uint32_t>(*v);
    } else {
      knobs_.config.mss = static_cast<uint16_t>(*v);
    }
    return absl::OkStatus();
  }
  if ((opt == "SO_KEEPALIVE" && v != 0) || (opt == "TCP_NODELAY" && v == 0) || opt == "TCP_NOOPT") {
    note(e.pos.line, absl::StrCat(opt, " left out (the stack lacks the feature)"));
  } else if (opt != "SO_REUSEADDR" && opt != "SO_REUSEPORT" && opt != "SO_KEEPALIVE" && opt != "TCP_NODELAY") {
    note(e.pos.line, absl::StrCat("setsockopt(", opt.empty() ? "..." : opt, ") left out"));
  }
  return absl::OkStatus();
}

}  // namespace synfin::harness::pd
