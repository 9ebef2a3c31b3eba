// The canonical printer of the scenario text format (harness/SCENARIOS.md).
//
// Canonical means: one spelling per value (relative bases always signed, the
// fewest digits that parse back to the same probability, the largest exact
// duration unit), header lines only for non-default fields in a fixed order, and
// a fixed rule for folding waits into the next line's time. The parser inverts it
// exactly; tests/scenario_text_test.cc checks parse(print(s)) == s.
#include <cstdint>
#include <string>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/scenario_text.h"

namespace synfin::harness {
namespace {

using text_internal::header_fields;
using text_internal::HeaderField;
using text_internal::Probability;

std::string seconds(uint64_t us) {
  return absl::StrFormat("%d.%06d", us / 1000000, us % 1000000);
}

// The time column: "+0" for no gap, else the gap in seconds to the microsecond.
std::string gap(uint64_t us) { return us == 0 ? "+0" : absl::StrCat("+", seconds(us)); }

// The largest unit that divides exactly: "30s", "200ms", "7us", "0s".
std::string duration_magnitude(bool negative, uint64_t mag) {
  const char* sign = negative ? "-" : "";
  if (mag % 1000000 == 0) return absl::StrCat(sign, mag / 1000000, "s");
  if (mag % 1000 == 0) return absl::StrCat(sign, mag / 1000, "ms");
  return absl::StrCat(sign, mag, "us");
}

std::string duration(Duration d) {
  const bool neg = d.us < 0;
  const uint64_t mag = neg ? static_cast<uint64_t>(-(d.us + 1)) + 1 : static_cast<uint64_t>(d.us);
  return duration_magnitude(neg, mag);
}

std::string micros(uint64_t us) { return duration_magnitude(false, us); }

// The shortest decimal fraction that the parser maps back to exactly `n`
// (6 decimals always suffice: they are finer than half of 1/65536).
std::string probability(uint16_t n) {
  uint64_t scale = 1;
  for (int k = 0; k <= 6; ++k, scale *= 10) {
    const uint64_t nearest = (2 * uint64_t{n} * scale + 65536) / 131072;
    for (uint64_t m : {nearest, nearest + 1, nearest - 1}) {
      if (m > scale) continue;  // above 1 (also catches nearest - 1 wrapping)
      if (text_internal::probability_units(m, k) != n) continue;
      if (k == 0) return absl::StrCat(m);
      return absl::StrFormat("%d.%0*d", m / scale, k, m % scale);
    }
  }
  return absl::StrCat(n, "/65536");  // unreachable; parses as an error, not silently
}

std::string signed_offset(int64_t v) { return v >= 0 ? absl::StrCat("+", v) : absl::StrCat(v); }

// int64 addition modulo 2^64: an end offset that overflows still agrees with the
// start modulo 2^32, which is all the parser checks.
int64_t wrapping_add(int64_t a, uint64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + b);
}

// The stack's own spellings (stack/segment.h) are packetdrill's.
std::string flags(Flags f) { return flags_to_string(f); }
std::string options(const TcpOptions& o) { return absl::StrCat("<", options_to_string(o), ">"); }

// "start:end(len)" in the form of the sequence number's base.
std::string seq_range(SeqBase base, int64_t seq, uint16_t len) {
  const int64_t end = wrapping_add(seq, len);
  switch (base) {
    case SeqBase::kPeerIsn:
      if (seq >= 0 && seq <= int64_t{UINT32_MAX}) return absl::StrCat(seq, ":", end, "(", len, ")");
      return absl::StrCat("isn", signed_offset(seq), ":isn", signed_offset(end), "(", len, ")");
    case SeqBase::kAbsolute: return absl::StrCat("abs ", seq, ":", end, "(", len, ")");
    case SeqBase::kRcvNxt:
      return absl::StrCat("rcv.nxt", signed_offset(seq), ":rcv.nxt", signed_offset(end), "(", len,
                          ")");
    case SeqBase::kRcvWndEdge:
      return absl::StrCat("rcv.wnd", signed_offset(seq), ":rcv.wnd", signed_offset(end), "(", len,
                          ")");
  }
  return absl::StrCat("base", static_cast<int>(base), signed_offset(seq), ":", end, "(", len, ")");
}

std::string ack_spec(AckBase base, int64_t ack) {
  switch (base) {
    case AckBase::kHostIss:
      if (ack >= 0 && ack <= int64_t{UINT32_MAX}) return absl::StrCat(ack);
      return absl::StrCat("iss", signed_offset(ack));
    case AckBase::kAbsolute: return absl::StrCat("abs ", ack);
    case AckBase::kSndUna: return absl::StrCat("snd.una", signed_offset(ack));
    case AckBase::kSndNxt: return absl::StrCat("snd.nxt", signed_offset(ack));
    case AckBase::kSndMax: return absl::StrCat("snd.max", signed_offset(ack));
  }
  return absl::StrCat("base", static_cast<int>(base), signed_offset(ack));
}

const char* spoof_name(Spoof s) {
  switch (s) {
    case Spoof::kNone: return "none";
    case Spoof::kOtherSrcPort: return "src-port";
    case Spoof::kOtherDstPort: return "dst-port";
    case Spoof::kOtherSrcAddr: return "src-addr";
  }
  return "?";
}

std::string injected(const InjectedSegment& g) {
  std::string s = absl::StrCat(flags(g.flags), " ", seq_range(g.seq_base, g.seq, g.payload_len));
  if (g.flags.ack() || g.ack_base != AckBase::kHostIss || g.ack != 0) {
    absl::StrAppend(&s, " ack ", ack_spec(g.ack_base, g.ack));
  }
  absl::StrAppend(&s, " win ", g.window);
  if (g.urgent_pointer != 0) absl::StrAppend(&s, " urg ", g.urgent_pointer);
  if (!g.options.empty()) absl::StrAppend(&s, " ", options(g.options));
  if (g.spoof != Spoof::kNone) absl::StrAppend(&s, " spoof ", spoof_name(g.spoof));
  return s;
}

std::string expected(const ExpectedSegment& e) {
  const uint32_t end = e.seq + e.payload_len;  // modulo 2^32, as packetdrill counts
  std::string s = absl::StrCat(flags(e.flags), " ", e.seq, ":", end, "(", e.payload_len, ")");
  if (e.check_ack) absl::StrAppend(&s, " ack ", e.ack);
  if (e.check_window) absl::StrAppend(&s, " win ", e.window);
  if (e.check_options) absl::StrAppend(&s, " ", options(e.options));
  return s;
}

const char* host_name(uint8_t host) { return host == 0 ? "c" : host == 1 ? "s" : "?"; }

std::string direction(uint8_t host) {
  return host == 0 ? "c>s" : host == 1 ? "s>c" : absl::StrCat("host", host);
}

std::string fault(const Op& op) {
  std::string s = absl::StrCat("fault ", direction(op.host), " ");
  switch (op.fault) {
    case FaultKind::kDrop:
      s += "drop";
      if (op.amount != 0) absl::StrAppend(&s, " ", op.amount);
      return s;
    case FaultKind::kDuplicate: return absl::StrCat(s, "duplicate ", micros(op.amount));
    case FaultKind::kDelay: return absl::StrCat(s, "delay ", micros(op.amount));
    case FaultKind::kReorder: return absl::StrCat(s, "reorder ", op.amount);
    case FaultKind::kCorrupt: return absl::StrCat(s, "corrupt ", op.amount);
    case FaultKind::kTruncate: return absl::StrCat(s, "truncate ", op.amount);
  }
  return absl::StrCat(s, "kind", static_cast<int>(op.fault), " ", op.amount);
}

std::string partition(const Op& op) {
  const char* dir = op.host == 1 ? "c>s" : op.host == 2 ? "s>c" : op.host == 3 ? "both" : "none";
  return absl::StrCat("partition ", dir, " ", micros(op.amount));
}

// "await CLOSING 500ms", with the host in front in connection mode.
std::string await(const Op& op) {
  return absl::StrCat("await ", to_string(op.state), " ", micros(op.amount));
}

std::string header_value(const text_internal::HeaderFieldRef& ref) {
  struct Visitor {
    std::string operator()(Mode* m) const {
      return *m == Mode::kEndpoint ? "endpoint" : *m == Mode::kConnection ? "connection" : "?";
    }
    std::string operator()(IpFamily* f) const {
      return *f == IpFamily::kV4 ? "ipv4" : *f == IpFamily::kV6 ? "ipv6" : "?";
    }
    std::string operator()(uint64_t* v) const { return absl::StrCat(*v); }
    std::string operator()(uint32_t* v) const { return absl::StrCat(*v); }
    std::string operator()(uint16_t* v) const { return absl::StrCat(*v); }
    std::string operator()(int* v) const { return absl::StrCat(*v); }
    std::string operator()(bool* v) const { return *v ? "on" : "off"; }
    std::string operator()(Duration* d) const { return duration(*d); }
    std::string operator()(TimeWaitSynPolicy* p) const {
      return *p == TimeWaitSynPolicy::kStrict              ? "strict"
             : *p == TimeWaitSynPolicy::kReuseIfSeqGreater ? "reuse"
                                                           : "?";
    }
    std::string operator()(Probability p) const { return probability(*p.value); }
  };
  return std::visit(Visitor{}, ref);
}

bool same_value(const text_internal::HeaderFieldRef& a, const text_internal::HeaderFieldRef& b) {
  return std::visit(
      [&b](auto pa) {
        auto pb = std::get<decltype(pa)>(b);
        if constexpr (std::is_same_v<decltype(pa), Probability>) {
          return *pa.value == *pb.value;
        } else {
          return *pa == *pb;
        }
      },
      a);
}

// Prints the ops of an endpoint scenario as a packetdrill script. Socket index i
// is file descriptor i + 3; each listen or connect gets its socket() line first.
class EndpointPrinter {
 public:
  EndpointPrinter(std::string& out, uint16_t port) : out_(out), port_(port) {}

  void op(const Op& op, uint64_t wait) {
    const std::string t = gap(wait);
    switch (op.kind) {
      case OpKind::kListen: {
        const int64_t fd = new_fd();
        line(t, absl::StrCat("socket(..., SOCK_STREAM, IPPROTO_TCP) = ", fd));
        line("+0", absl::StrCat("listen(", fd, ", 0) = 0", port_suffix(op.port)));
        listen_fd_ = fd;
        return;
      }
      case OpKind::kConnect: {
        const int64_t fd = new_fd();
        line(t, absl::StrCat("socket(..., SOCK_STREAM, IPPROTO_TCP) = ", fd));
        line("+0", absl::StrCat("connect(", fd,
                                ", ..., ...) = -1 EINPROGRESS (Operation now in progress)",
                                port_suffix(op.port)));
        return;
      }
      case OpKind::kAccept:
        line(t, absl::StrCat("accept(", listen_fd_, ", ..., ...) = ", new_fd()));
        return;
      case OpKind::kSend:
        line(t, absl::StrCat("write(", fd(op), ", ..., ", op.amount, ") = ", op.amount));
        return;
      case OpKind::kRecv:
        line(t, absl::StrCat("read(", fd(op), ", ..., ", op.amount, ") = ", op.amount));
        return;
      case OpKind::kShutdown: line(t, absl::StrCat("shutdown(", fd(op), ", SHUT_WR) = 0")); return;
      case OpKind::kClose: line(t, absl::StrCat("close(", fd(op), ") = 0")); return;
      case OpKind::kAbort: line(t, absl::StrCat("abort(", fd(op), ")")); return;
      case OpKind::kInject: line(t, absl::StrCat("< ", injected(op.segment))); return;
      case OpKind::kExpect: line(t, absl::StrCat("> ", expected(op.expected))); return;
      // Not representable in endpoint mode: printed so that the parser says why.
      case OpKind::kFault: line(t, fault(op)); return;
      case OpKind::kPartition: line(t, partition(op)); return;
      case OpKind::kAwait: line(t, await(op)); return;
      case OpKind::kWait: line(t, "wait"); return;
    }
  }

 private:
  int64_t new_fd() { return 3 + next_socket_++; }
  static int64_t fd(const Op& op) { return int64_t{op.socket} + 3; }
  std::string port_suffix(uint16_t p) const {
    return p == port_ ? std::string() : absl::StrCat(" port ", p);
  }
  void line(const std::string& t, const std::string& text) { absl::StrAppend(&out_, t, " ", text, "\n"); }

  std::string& out_;
  uint16_t port_;
  int64_t next_socket_ = 0;
  int64_t listen_fd_ = 3;
};

std::string connection_op(const Op& op) {
  const char* h = host_name(op.host);
  switch (op.kind) {
    case OpKind::kWait: return "wait";
    case OpKind::kListen: return absl::StrCat(h, " listen ", op.port);
    case OpKind::kConnect: return absl::StrCat(h, " connect ", op.port);
    case OpKind::kAccept: return absl::StrCat(h, " accept");
    case OpKind::kSend: return absl::StrCat(h, " send ", op.socket, " ", op.amount);
    case OpKind::kRecv: return absl::StrCat(h, " recv ", op.socket, " ", op.amount);
    case OpKind::kShutdown: return absl::StrCat(h, " shutdown ", op.socket);
    case OpKind::kClose: return absl::StrCat(h, " close ", op.socket);
    case OpKind::kAbort: return absl::StrCat(h, " abort ", op.socket);
    case OpKind::kInject: return absl::StrCat(h, " inject ", injected(op.segment));
    case OpKind::kFault: return fault(op);
    case OpKind::kPartition: return partition(op);
    case OpKind::kAwait: return absl::StrCat(h, " ", await(op));
    // Not representable in connection mode: printed so that the parser says why.
    case OpKind::kExpect: return absl::StrCat("> ", expected(op.expected));
  }
  return absl::StrCat("kind", static_cast<int>(op.kind));
}

// The endpoint script's --port: the port of its first listen or connect.
uint16_t script_port(const Scenario& s) {
  for (const Op& op : s.ops) {
    if (op.kind == OpKind::kListen || op.kind == OpKind::kConnect) return op.port;
  }
  return kDefaultScriptPort;
}

}  // namespace

std::string print_scenario_text(const Scenario& s) {
  std::string out;
  const bool endpoint = s.header.mode == Mode::kEndpoint;
  const uint16_t port = endpoint ? script_port(s) : kDefaultScriptPort;

  ScenarioHeader h = s.header;
  ScenarioHeader d;
  const std::vector<HeaderField> fields = header_fields(h);
  const std::vector<HeaderField> defaults = header_fields(d);
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!same_value(fields[i].ref, defaults[i].ref)) {
      absl::StrAppend(&out, "--", absl::string_view(fields[i].name.data(), fields[i].name.size()), "=", header_value(fields[i].ref), "\n");
    }
    if (fields[i].name == "peer_isn" && port != kDefaultScriptPort) {
      absl::StrAppend(&out, "--port=", port, "\n");
    }
  }
  if (!out.empty() && !s.ops.empty()) out += "\n";

  // A wait folds into the next line's time when that line is an op other than a
  // wait and the wait is not zero (a "+0" would read back as no wait at all);
  // otherwise it is a "+T wait" line of its own.
  EndpointPrinter ep(out, port);
  const std::vector<Op>& ops = s.ops;
  for (size_t i = 0; i < ops.size(); ++i) {
    uint64_t wait = 0;
    if (ops[i].kind == OpKind::kWait) {
      const bool fold =
          ops[i].amount > 0 && i + 1 < ops.size() && ops[i + 1].kind != OpKind::kWait;
      if (!fold) {
        absl::StrAppend(&out, gap(ops[i].amount), " wait\n");
        continue;
      }
      wait = ops[i].amount;
      ++i;
    }
    if (endpoint) {
      ep.op(ops[i], wait);
    } else {
      absl::StrAppend(&out, gap(wait), " ", connection_op(ops[i]), "\n");
    }
  }
  return out;
}

}  // namespace synfin::harness
