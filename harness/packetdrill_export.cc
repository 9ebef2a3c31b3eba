#include "harness/packetdrill_export.h"

#include <map>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "harness/packetdrill_directive.h"
#include "harness/run_observer.h"
#include "harness/simulation.h"
#include "stack/codec.h"

namespace synfin::harness::pd {
namespace {

constexpr uint16_t kPeerPort = 40000;  // the simulator's scripted peer

struct Item {
  Instant at;
  enum class Kind : uint8_t { kIn, kOut, kCall } kind = Kind::kIn;
  IpPacket packet;
  std::vector<uint8_t> wire;
  AppCall call;
  std::optional<SocketStatus> after;  // recv: the socket once the call returned
};

class Recorder final : public RunObserver {
 public:
  void on_inject(int, const IpPacket& p, Instant now) override {
    Item i{now, Item::Kind::kIn, p, {}, {}, {}};
    (void)encode_packet(p, i.wire);
    items.push_back(std::move(i));
  }
  void on_wire_send(int from, std::span<const uint8_t> bytes, Instant now) override {
    if (from != 0) return;
    absl::StatusOr<IpPacket> p = decode_packet(bytes);
    if (!p.ok()) return;
    items.push_back(Item{now, Item::Kind::kOut, *p, std::vector<uint8_t>(bytes.begin(), bytes.end()), {}, {}});
  }
  void on_app_call(int, const AppCall& c, Instant now) override {
    items.push_back(Item{now, Item::Kind::kCall, {}, {}, c, {}});
  }
  std::vector<Item> items;
};

// The options as the wire carries them, in order, nop and eol included.
std::string wire_options(const std::vector<uint8_t>& wire) {
  if (wire.empty()) return "";
  const size_t ip = (wire[0] >> 4) == 4 ? static_cast<size_t>(wire[0] & 0xf) * 4 : 40;
  if (wire.size() < ip + 20) return "";
  const size_t hdr = static_cast<size_t>(wire[ip + 12] >> 4) * 4;
  std::vector<std::string> out;
  auto u16 = [&](size_t at) { return (wire[at] << 8) | wire[at + 1]; };
  auto u32 = [&](size_t at) { return (uint32_t{wire[at]} << 24) | (uint32_t{wire[at + 1]} << 16) | (uint32_t{wire[at + 2]} << 8) | wire[at + 3]; };
  for (size_t i = ip + 20; i < ip + hdr && i < wire.size();) {
    const uint8_t kind = wire[i];
    if (kind == 0) {
      out.push_back("eol");
      ++i;
      continue;
    }
    if (kind == 1) {
      out.push_back("nop");
      ++i;
      continue;
    }
    if (i + 1 >= wire.size()) break;
    const size_t len = wire[i + 1];
    if (len < 2 || i + len > ip + hdr) break;
    if (kind == 2 && len == 4) out.push_back(absl::StrCat("mss ", u16(i + 2)));
    else if (kind == 3 && len == 3) out.push_back(absl::StrCat("wscale ", wire[i + 2]));
    else if (kind == 4 && len == 2) out.push_back("sackOK");
    else if (kind == 8 && len == 10) out.push_back(absl::StrCat("TS val ", u32(i + 2), " ecr ", u32(i + 6)));
    else if (kind == 5) {
      std::string s = "sack";
      for (size_t b = i + 2; b + 8 <= i + len; b += 8) absl::StrAppend(&s, " ", u32(b), ":", u32(b + 4));
      out.push_back(s);
    } else {
      return absl::StrCat("? /* option kind ", kind, " has no packetdrill spelling */");
    }
    i += len;
  }
  // Trailing eols are padding the kernel's own packetdrill would not list.
  while (!out.empty() && out.back() == "eol") out.pop_back();
  return absl::StrJoin(out, ",");
}

std::string packet_line(const Item& it, uint32_t seq_base, uint32_t ack_base) {
  const Segment& s = it.packet.tcp;
  const uint32_t seq = s.seq.raw - seq_base;
  const uint32_t len = static_cast<uint32_t>(s.payload.size());
  std::string line = absl::StrCat(it.kind == Item::Kind::kIn ? "< " : "> ", flags_to_string(s.flags), " ",
                                  seq, ":", seq + len, "(", len, ")");
  if (s.flags.ack() || s.ack.raw != 0) absl::StrAppend(&line, " ack ", s.ack.raw - ack_base);
  absl::StrAppend(&line, " win ", s.window);
  if (s.urgent_pointer) absl::StrAppend(&line, " urg ", s.urgent_pointer);
  const std::string opts = wire_options(it.wire);
  if (!opts.empty()) absl::StrAppend(&line, " <", opts, ">");
  return line;
}

}  // namespace

absl::StatusOr<std::string> export_script(const Scenario& input, const std::string& source) {
  if (input.header.mode != Mode::kEndpoint) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": a connection-mode scenario has two synfin hosts and no scripted peer; "
                "packetdrill scripts are endpoint scenarios"));
  }
  Scenario s = input;
  std::erase_if(s.ops, [](const Op& op) { return op.kind == OpKind::kExpect; });
  Recorder rec;
  Simulation sim(s, &rec);
  for (size_t i = 0; i < s.ops.size(); ++i) {
    const size_t before = rec.items.size();
    sim.run_op(i);
    for (size_t k = before; k < rec.items.size(); ++k) {
      Item& it = rec.items[k];
      if (it.kind == Item::Kind::kCall && it.call.kind == OpKind::kRecv && it.call.ok) {
        if (auto st = sim.host(0).status(it.call.handle); st.ok()) it.after = *st;
      }
    }
  }
  sim.settle();
  const ScenarioHeader h = sanitized(s.header);
  const Config& c = h.config;

  uint16_t port = 8080;
  for (const Op& op : s.ops) {
    if (op.kind == OpKind::kListen || op.kind == OpKind::kConnect) {
      port = op.port;
      break;
    }
  }
  std::string out = absl::StrCat(
      "// ", source, " as a packetdrill script (synfin pd export): '<' lines are the segments\n"
      "// synfin injected, '>' lines what synfin's stack sent, at synfin's virtual times.\n"
      "// The sysctl lines are FreeBSD's names for synfin's Config values; the synfin-config\n"
      "// line is all of synfin's Config (synfin pd run uses it instead of its profile's).\n",
      "--ip_version=", h.family == IpFamily::kV4 ? "ipv4" : "ipv6", "\n");
  if (port != 8080) absl::StrAppend(&out, "--bind_port=", port, "\n--connect_port=", port, "\n");
  std::vector<std::string> lines;
  auto sysctl = [&lines](const std::string& kv) { lines.push_back(absl::StrCat("`sysctl -w ", kv, "`")); };
  sysctl(absl::StrCat("net.inet.tcp.insecure_rst=", c.rfc5961_rst ? 0 : 1));
  sysctl(absl::StrCat("net.inet.tcp.insecure_syn=", c.rfc5961_syn ? 0 : 1));
  sysctl(absl::StrCat("net.inet.tcp.msl=", c.msl.us / 1000));
  sysctl(absl::StrCat("net.inet.tcp.rexmit_initial=", c.rto_initial.us / 1000));
  sysctl(absl::StrCat("net.inet.tcp.rexmit_min=", c.rto_min.us / 1000));
  sysctl("net.inet.tcp.rexmit_slop=0");
  sysctl(absl::StrCat("net.inet.tcp.recvspace=", c.recv_buffer));
  sysctl(absl::StrCat("net.inet.tcp.sendspace=", c.send_buffer));
  // FreeBSD turns window scaling and timestamps on and off together.
  if (c.window_scale == c.timestamps) {
    sysctl(absl::StrCat("net.inet.tcp.rfc1323=", c.window_scale ? 1 : 0));
  } else {
    lines.push_back(absl::StrCat("// synfin: window scaling ", c.window_scale ? "on" : "off", ", timestamps ",
                                 c.timestamps ? "on" : "off", " (FreeBSD's net.inet.tcp.rfc1323 sets both)"));
  }
  sysctl(absl::StrCat("net.inet.tcp.tolerate_missing_ts=", c.timestamps_required ? 0 : 1));
  // What the sysctls cannot say, for `synfin pd run` (a comment to packetdrill).
  absl::StrAppend(&out, config_directive(c), "\n");

  std::map<int, int> fd_of;  // socket table index -> descriptor
  auto new_fd = [&fd_of]() {
    int fd = 3;
    for (bool taken = true; taken;) {
      taken = false;
      for (const auto& [i, f] : fd_of) taken |= f == fd;
      if (taken) ++fd;
    }
    return fd;
  };
  int listener_fd = 3;
  // packetdrill's socket under test: a listen() or connect() makes it anew; its
  // first SYN (active) or SYN-ACK (passive) sets the local ISN that every later
  // '>' sequence number is relative to, a new incarnation's SYN-ACK included.
  uint16_t local_port = 0;
  uint16_t peer_port = kPeerPort;
  uint32_t iss = 0;
  bool iss_known = false;
  Instant last;
  std::vector<std::pair<Instant, std::string>> timed;
  for (const std::string& l : lines) timed.emplace_back(Instant{}, l);
  for (const Item& it : rec.items) {
    auto add = [&](std::string l) { timed.emplace_back(it.at, std::move(l)); };
    if (it.kind == Item::Kind::kOut) {
      const Segment& seg = it.packet.tcp;
      if (seg.flags.syn() && !iss_known) {
        iss = seg.seq.raw;
        iss_known = true;
        local_port = seg.src_port;
        peer_port = seg.dst_port;
      }
      add(packet_line(it, iss, h.peer_isn));
      continue;
    }
    if (it.kind == Item::Kind::kIn) {
      const Segment& seg = it.packet.tcp;
      const bool ours = it.packet.src == host_address(h.family, 1) && seg.src_port == peer_port &&
                        (local_port == 0 || seg.dst_port == local_port);
      const std::string l = packet_line(it, h.peer_isn, iss);
      add(ours ? l : absl::StrCat("// spoofed 4-tuple, not expressible in packetdrill: ", l));
      if (ours && seg.flags.syn() && !seg.flags.ack()) local_port = seg.dst_port;
      continue;
    }
    const AppCall& call = it.call;
    const char* name = to_string(call.kind);
    if (!call.ok) {
      add(absl::StrCat("// synfin: ", name, " on socket ", call.socket, " failed: ", call.error));
      continue;
    }
    const auto fd = [&](int index) { return fd_of.contains(index) ? fd_of[index] : index + 3; };
    switch (call.kind) {
      case OpKind::kListen: {
        const int f = new_fd();
        fd_of[static_cast<int>(call.result)] = f;
        listener_fd = f;
        local_port = 0;
        peer_port = kPeerPort;
        iss_known = false;
        add(absl::StrCat("socket(..., SOCK_STREAM, IPPROTO_TCP) = ", f));
        add(absl::StrCat("setsockopt(", f, ", SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0"));
        add(absl::StrCat("bind(", f, ", ..., ...) = 0"));
        add(absl::StrCat("listen(", f, ", ", c.default_backlog, ") = 0"));
        break;
      }
      case OpKind::kConnect: {
        const int f = new_fd();
        fd_of[static_cast<int>(call.result)] = f;
        local_port = 0;  // the SYN, next, names both ports
        iss_known = false;
        add(absl::StrCat("socket(..., SOCK_STREAM, IPPROTO_TCP) = ", f));
        add(absl::StrCat("fcntl(", f, ", F_SETFL, O_RDWR | O_NONBLOCK) = 0"));
        add(absl::StrCat("connect(", f, ", ..., ...) = -1 EINPROGRESS (Operation now in progress)"));
        break;
      }
      case OpKind::kAccept: {
        const int f = new_fd();
        fd_of[static_cast<int>(call.result)] = f;
        add(absl::StrCat("accept(", listener_fd, ", ..., ...) = ", f));
        add(absl::StrCat("fcntl(", f, ", F_SETFL, O_RDWR | O_NONBLOCK) = 0"));
        break;
      }
      case OpKind::kSend:
        add(absl::StrCat("write(", fd(call.socket), ", ..., ", call.requested, ") = ", call.result));
        break;
      case OpKind::kRecv: {
        const bool eof = it.after && it.after->end_of_stream;
        add(absl::StrCat("read(", fd(call.socket), ", ..., ", call.requested, ") = ",
                         call.result > 0 || eof ? absl::StrCat(call.result)
                                                : std::string("-1 EAGAIN (Resource temporarily unavailable)")));
        break;
      }
      case OpKind::kShutdown:
        add(absl::StrCat("shutdown(", fd(call.socket), ", SHUT_WR) = 0"));
        break;
      case OpKind::kClose:
      case OpKind::kAbort: {
        const int f = fd(call.socket);
        if (call.kind == OpKind::kAbort) {
          add(absl::StrCat("setsockopt(", f, ", SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0"));
        }
        add(absl::StrCat("close(", f, ") = 0"));
        fd_of.erase(call.socket);
        break;
      }
      case OpKind::kWait:
      case OpKind::kInject:
      case OpKind::kExpect:
      case OpKind::kFault:
      case OpKind::kPartition:
      case OpKind::kAwait:  // the time it took is in the calls' timestamps
        break;
    }
  }
  for (const auto& [at, l] : timed) {
    const bool comment = l.rfind("//", 0) == 0;
    if (comment) {
      absl::StrAppend(&out, l, "\n");
      continue;
    }
    const Duration d = at - last;
    absl::StrAppendFormat(&out, "%s%d.%06d %s\n", &l == &timed.front().second ? "" : "+",
                          d.us / 1000000, d.us % 1000000, l);
    last = at;
  }
  return out;
}

}  // namespace synfin::harness::pd
