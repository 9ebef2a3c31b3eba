#include "harness/packetdrill_import.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "harness/packetdrill_compare.h"
#include "harness/packetdrill_directive.h"
#include "harness/packetdrill_parse.h"
#include "harness/packetdrill_shell.h"

namespace synfin::harness::pd {
namespace {

absl::string_view av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool is_symbol(const Expr& e, std::string_view name) {
  return e.kind == Expr::Kind::kSymbol && e.text == name;
}

// An integer argument or result: a number, or `[N]` (packetdrill's int pointer).
std::optional<int64_t> int_of(const Expr& e) {
  if (e.kind == Expr::Kind::kInt) return e.value;
  if (e.kind == Expr::Kind::kList && e.items.size() == 1) return int_of(e.items[0]);
  return std::nullopt;
}

// The call failed in the script (`= -1 ERRNO`): it changed nothing.
bool failed(const SyscallSpec& sc) { return int_of(sc.result) == -1; }

struct Fd {
  enum class Kind : uint8_t { kFresh, kListener, kConnection };
  Kind kind = Kind::kFresh;
  std::optional<uint8_t> index;  // the model's socket index, once it has one
  bool abort_on_close = false;   // SO_LINGER {onoff=1, linger=0}
};

class Importer {
 public:
  Importer(const Script& script, const Profile& profile) : script_(script), profile_(profile) {}

  absl::StatusOr<Imported> run() {
    if (absl::Status st = header(); !st.ok()) return st;
    for (const Event& e : script_.events) {
      if (absl::Status st = event(e); !st.ok()) return st;
    }
    flush_pending(std::nullopt);
    return finish();
  }

 private:
  // A call that returns at the end of its `start...end` time: emitted there.
  struct Deferred {
    int line = 0;
    int64_t at = 0;
    Op op;
    std::optional<int64_t> bind_fd;  // the descriptor the new socket gets
  };

  std::string where(SourcePos p) const { return absl::StrCat(script_.file, ":", p.line, ":", p.col, ": "); }
  absl::Status bad(SourcePos p, std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(where(p), av(what)));
  }
  absl::Status cannot(SourcePos p, std::string_view what) const {
    return absl::UnimplementedError(absl::StrCat(where(p), av(what)));
  }
  void note(int line, std::string what) { out_.notes.push_back(absl::StrCat("line ", line, ": ", what)); }
  void no_expectations(int line, std::string why) {
    if (out_.expectations) note(line, absl::StrCat("no expectations: ", why));
    out_.expectations = false;
  }

  absl::Status header() {
    for (const ScriptOption& o : script_.options) {
      if (o.name == "ip_version") {
        if (o.value == "ipv4") {
          family_ = IpFamily::kV4;
        } else if (o.value == "ipv6") {
          family_ = IpFamily::kV6;
        } else {
          return cannot(o.pos, absl::StrCat("--ip_version=", o.value, " (synfin runs ipv4 or ipv6)"));
        }
      } else if (o.name == "bind_port" || o.name == "connect_port") {
        int port = 0;
        if (!absl::SimpleAtoi(o.value, &port) || port <= 0 || port > 65535) {
          return bad(o.pos, absl::StrCat("expected a port after --", o.name, "=, found '", o.value, "'"));
        }
        if (port_set_ && port_ != port) {
          return cannot(o.pos, "--bind_port and --connect_port differ (the model's peer uses one port)");
        }
        port_ = static_cast<uint16_t>(port);
        port_set_ = true;
      } else if (o.name != "tolerance_usecs" && o.name != "tolerance_percent") {
        note(o.pos.line, absl::StrCat("option --", o.name, " left out (no synfin equivalent)"));
      }
    }
    knobs_.config = config_for(profile_, family_);
    knobs_.max_sock_buf = profile_.max_sock_buf;
    if (script_.synfin_config) {
      absl::StatusOr<Config> c = parse_config_directive(script_.synfin_config->fields);
      if (!c.ok()) return bad(script_.synfin_config->pos, absl::StrCat("synfin-config: ", c.status().message()));
      knobs_.config = *c;
    }
    return absl::OkStatus();
  }

  // The model's clock reaches `at` (microseconds from the start).
  void wait_until(int64_t at) {
    if (at <= clock_) return;
    Op w;
    w.kind = OpKind::kWait;
    w.amount = static_cast<uint64_t>(at - clock_);
    out_.scenario.ops.push_back(w);
    out_.lines.push_back(line_);
    clock_ = at;
  }

  // The host starts with the first listen or connect: Config is fixed from then.
  void start_host() {
    if (started_) return;
    started_ = true;
    start_config_ = knobs_.config;
  }

  void emit(int64_t at, Op op, std::optional<int64_t> bind_fd = std::nullopt) {
    wait_until(at);
    const bool creates = op.kind == OpKind::kListen || op.kind == OpKind::kConnect || op.kind == OpKind::kAccept;
    if (op.kind == OpKind::kListen || op.kind == OpKind::kConnect) {
      start_host();
      iss_known_ = false;  // a new socket under test
      iss_offset_ = 0;
      iss_lost_line_ = 0;
    }
    out_.scenario.ops.push_back(op);
    out_.lines.push_back(line_);
    if (creates && bind_fd) {
      Fd& f = fds_[*bind_fd];
      f.kind = op.kind == OpKind::kListen ? Fd::Kind::kListener : Fd::Kind::kConnection;
      f.index = next_index_++;
    }
  }

  void flush_pending(std::optional<int64_t> before) {
    while (!deferred_.empty() && (!before || deferred_.front().at < *before)) {
      Deferred d = std::move(deferred_.front());
      deferred_.erase(deferred_.begin());
      line_ = d.line;
      emit(d.at, d.op, d.bind_fd);
    }
  }

  void defer(int64_t at, Op op, std::optional<int64_t> bind_fd = std::nullopt) {
    Deferred d{line_, at, std::move(op), bind_fd};
    auto it = std::upper_bound(deferred_.begin(), deferred_.end(), d.at,
                               [](int64_t t, const Deferred& x) { return t < x.at; });
    deferred_.insert(it, std::move(d));
  }

  absl::Status event(const Event& e) {
    int64_t start = 0;
    std::optional<int64_t> end;
    switch (e.time.kind) {
      case EventTime::Kind::kAbsolute:
        start = e.time.us;
        if (e.time.end_us) end = *e.time.end_us;
        break;
      case EventTime::Kind::kRelative:
        start = script_time_ + e.time.us;
        if (e.time.end_us) end = script_time_ + *e.time.end_us;
        break;
      case EventTime::Kind::kAny:
        start = script_time_;
        break;
    }
    if (start < script_time_) return bad(e.pos, "a time no earlier than the previous event's");
    flush_pending(start);
    line_ = e.pos.line;
    absl::Status st = absl::OkStatus();
    if (const auto* pk = std::get_if<PacketSpec>(&e.body)) {
      if (pk->inbound) {
        st = inbound(e, *pk, start);
      } else {
        if (e.time.kind == EventTime::Kind::kAny) no_expectations(e.pos.line, "an outbound packet at any time (*)");
        if (end) no_expectations(e.pos.line, "an outbound packet in a time range");
        st = outbound(e, *pk, start);
      }
    } else if (const auto* sc = std::get_if<SyscallSpec>(&e.body)) {
      st = syscall(e, *sc, start, e.time.blocking ? end : std::nullopt);
    } else if (const auto* cmd = std::get_if<CommandSpec>(&e.body)) {
      command(e, *cmd);
    } else if (const auto* code = std::get_if<CodeSpec>(&e.body)) {
      python(e, *code);
    }
    script_time_ = start;
    return st;
  }

  absl::Status inbound(const Event& e, const PacketSpec& pk, int64_t at) {
    if (pk.seq_any) return bad(e.pos, "an inbound packet needs a sequence number, not ...");
    if (pk.options_mode == PacketSpec::Options::kAny) {
      return bad(e.pos, "an inbound packet needs its options spelled out, not <...>");
    }
    if (pk.win && *pk.win > 65535) return bad(e.pos, "a window of at most 65535");
    if (pk.urg && *pk.urg > 65535) return bad(e.pos, "an urgent pointer of at most 65535");
    if (pk.len > 65535) return bad(e.pos, "a payload of at most 65535 bytes");
    if (iss_lost_line_ && (pk.flags & Flags::kAck)) {
      return cannot(e.pos, absl::StrCat("an acknowledgment of the incarnation whose SYN-ACK on line ",
                                        iss_lost_line_, " has a sequence wildcard (its ISS is unknown)"));
    }
    Op op;
    op.kind = OpKind::kInject;
    InjectedSegment& s = op.segment;
    s.flags = Flags(pk.flags);
    s.seq_base = SeqBase::kPeerIsn;
    s.seq = pk.seq;
    s.ack_base = AckBase::kHostIss;
    s.ack = static_cast<int32_t>(pk.ack.value_or(0) - iss_offset_);
    s.window = static_cast<uint16_t>(pk.win.value_or(65535));
    s.urgent_pointer = static_cast<uint16_t>(pk.urg.value_or(0));
    s.payload_len = static_cast<uint16_t>(pk.len);
    absl::StatusOr<TcpOptions> opts = options_from_spec(pk.options, 0);
    if (!opts.ok()) return cannot(e.pos, std::string(opts.status().message()));
    s.options = *std::move(opts);
    if (!s.options.sack.empty()) {
      note(e.pos.line, "SACK blocks kept as written (the model does not number them from the host's ISS)");
    }
    if (absl::StatusOr<uint8_t> ecn = ecn_bits(pk.ip_annotation); !ecn.ok() || *ecn != 0) {
      note(e.pos.line, absl::StrCat("IP annotation ", pk.ip_annotation, " left out (the model sets no IP fields)"));
    }
    emit(at, op);
    return absl::OkStatus();
  }

  absl::Status outbound(const Event& e, const PacketSpec& pk, int64_t at) {
    if (pk.seq_any) no_expectations(e.pos.line, "an outbound sequence wildcard (the model compares seq)");
    if (pk.len > 65535) return bad(e.pos, "a payload of at most 65535 bytes");
    if (pk.flags & Flags::kSyn) {
      // packetdrill numbers the socket under test from its first SYN or SYN-ACK,
      // a later incarnation's included; the model from each connection's own ISS.
      if (!iss_known_) {
        iss_known_ = true;
        iss_offset_ = pk.seq_any ? 0 : pk.seq;
      } else if (pk.seq_any) {
        iss_lost_line_ = e.pos.line;  // only an error if something later needs the number
      } else if (pk.seq != iss_offset_) {
        iss_lost_line_ = 0;
        iss_offset_ = pk.seq;
        note(e.pos.line, absl::StrCat("a new incarnation: numbers from here are relative to its ISS (", pk.seq, ")"));
      }
    }
    if (pk.win && *pk.win > 65535) return bad(e.pos, "a window of at most 65535");
    Op op;
    op.kind = OpKind::kExpect;
    ExpectedSegment& x = op.expected;
    x.flags = Flags(pk.flags);
    x.seq = pk.seq - iss_offset_;
    x.payload_len = static_cast<uint16_t>(pk.len);
    if (pk.ack && (pk.flags & Flags::kAck)) {
      x.check_ack = true;
      x.ack = *pk.ack;
    }
    if (pk.win) {
      x.check_window = true;
      x.window = static_cast<uint16_t>(*pk.win);
    }
    if (pk.options_mode == PacketSpec::Options::kNone) {
      x.check_options = true;  // packetdrill: a line without a list expects none
    } else if (pk.options_mode == PacketSpec::Options::kList) {
      // As `pd run --lax` does, options the stack never sends are left out; TS
      // val is the stack's own clock, which a kExpect cannot leave open.
      if (!lacking_) lacking_ = probe_lacking_options(knobs_.config, family_);
      std::vector<OptionSpec> kept;
      bool comparable = true;
      for (const OptionSpec& o : pk.options) {
        if (std::find(lacking_->begin(), lacking_->end(), o.kind) != lacking_->end()) {
          note(e.pos.line, absl::StrCat("expected ", option_name(o.kind), " option left out (the stack lacks it)"));
          continue;
        }
        comparable &= o.kind != OptionSpec::Kind::kTimestamp && o.kind != OptionSpec::Kind::kRaw;
        kept.push_back(o);
      }
      absl::StatusOr<TcpOptions> want = options_from_spec(kept, 0);
      if (!want.ok()) return cannot(e.pos, std::string(want.status().message()));
      if (comparable) {
        x.check_options = true;
        x.options = *std::move(want);
      }
    }
    emit(at, op);
    return absl::OkStatus();
  }

  absl::Status syscall(const Event& e, const SyscallSpec& sc, int64_t at, std::optional<int64_t> end) {
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

  absl::Status setsockopt(const Event& e, const SyscallSpec& sc, Fd& f) {
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

  void assert_state(int line, State s) {
    if (s == State::kClosed && next_index_ == 0) return;  // a socket that never had a TCB
    out_.states.push_back(StateAssertion{line, out_.scenario.ops.size(), s});
  }

  void command(const Event& e, const CommandSpec& c) {
    const ShellCommand cmd = read_command(c.text);
    switch (cmd.kind) {
      case ShellCommand::Kind::kSysctl: {
        const Config before = knobs_.config;
        const KnobEffect effect = apply_sysctl(cmd.name, cmd.value, knobs_);
        if (effect.kind == KnobEffect::Kind::kMissingFeature) {
          note(e.pos.line, absl::StrCat(cmd.name, "=", cmd.value, " left out: ", effect.what, " (the stack lacks it)"));
        } else if (effect.kind == KnobEffect::Kind::kUnsupported) {
          note(e.pos.line, absl::StrCat("sysctl ", effect.what));
        } else if (started_ && !(before == knobs_.config)) {
          note(e.pos.line, absl::StrCat(cmd.name, "=", cmd.value,
                                        " after the first connection left out (the model's Config is per run)"));
        }
        return;
      }
      case ShellCommand::Kind::kSockstat:
        if (cmd.count > 0 && cmd.state != State::kClosed) assert_state(e.pos.line, cmd.state);
        return;
      case ShellCommand::Kind::kMalformed:
      case ShellCommand::Kind::kOther:
        note(e.pos.line, "shell command left out");
        return;
    }
  }

  void python(const Event& e, const CodeSpec& c) {
    const CodeAssertion a = read_code(c.text);
    if (a.kind == CodeAssertion::Kind::kState) {
      assert_state(e.pos.line, a.state);
    } else if (a.kind != CodeAssertion::Kind::kOptions) {
      note(e.pos.line, "Python block left out");
    }
  }

  Imported finish() {
    Scenario& s = out_.scenario;
    s.header.mode = Mode::kEndpoint;
    s.header.family = family_;
    s.header.config = started_ ? start_config_ : knobs_.config;
    if (!out_.expectations) drop_expectations(out_);
    return std::move(out_);
  }

  const Script& script_;
  const Profile& profile_;
  Imported out_;
  IpFamily family_ = IpFamily::kV4;
  uint16_t port_ = 8080;
  bool port_set_ = false;
  KnobState knobs_;
  bool started_ = false;
  Config start_config_;
  std::optional<std::vector<OptionSpec::Kind>> lacking_;
  bool iss_known_ = false;   // the socket under test's first SYN or SYN-ACK was seen
  uint32_t iss_offset_ = 0;  // the script's number for the current connection's ISS
  int iss_lost_line_ = 0;    // a new incarnation's SYN-ACK line with a sequence wildcard
  int line_ = 0;             // the script line being imported
  int64_t clock_ = 0;        // the model's time: the sum of its waits
  int64_t script_time_ = 0;  // the previous event's time
  std::map<int64_t, Fd> fds_;
  uint8_t next_index_ = 0;
  std::vector<Deferred> deferred_;  // by time, then by order of the calls
};

}  // namespace

void drop_expectations(Imported& im) {
  std::vector<Op>& ops = im.scenario.ops;
  std::vector<size_t> kept_before(ops.size() + 1, 0);
  for (size_t i = 0; i < ops.size(); ++i) kept_before[i + 1] = kept_before[i] + (ops[i].kind != OpKind::kExpect);
  for (StateAssertion& a : im.states) a.ops_before = kept_before[a.ops_before];
  size_t kept = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind == OpKind::kExpect) continue;
    if (i < im.lines.size() && kept < im.lines.size()) im.lines[kept] = im.lines[i];
    ops[kept++] = ops[i];
  }
  ops.resize(kept);
  if (im.lines.size() > kept) im.lines.resize(kept);
  im.expectations = false;
}

absl::StatusOr<Imported> import_script(const Script& script, const Profile& profile) {
  return Importer(script, profile).run();
}

absl::StatusOr<Imported> import_script_file(const std::string& path, const Profile& profile) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  absl::StatusOr<Script> s = parse_script(text, path, profile.defines);
  if (!s.ok()) return s.status();
  return import_script(*s, profile);
}

}  // namespace synfin::harness::pd
