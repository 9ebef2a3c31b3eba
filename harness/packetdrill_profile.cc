#include "harness/packetdrill_profile.h"

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace synfin::harness::pd {
namespace {

absl::string_view av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

struct ErrnoEntry {
  const char* name;
  int64_t linux_no;
  int64_t freebsd_no;
};
constexpr ErrnoEntry kErrnos[] = {
    {"EPERM", 1, 1},           {"EBADF", 9, 9},           {"EAGAIN", 11, 35},
    {"EWOULDBLOCK", 11, 35},   {"EINVAL", 22, 22},        {"EPIPE", 32, 32},
    {"ENOTSOCK", 88, 38},      {"ENOPROTOOPT", 92, 42},   {"EOPNOTSUPP", 95, 45},
    {"EADDRINUSE", 98, 48},    {"ECONNABORTED", 103, 53}, {"ECONNRESET", 104, 54},
    {"ENOBUFS", 105, 55},      {"EISCONN", 106, 56},      {"ENOTCONN", 107, 57},
    {"ETIMEDOUT", 110, 60},    {"ECONNREFUSED", 111, 61}, {"EALREADY", 114, 37},
    {"EINPROGRESS", 115, 36},
};

Profile base(std::string name) {
  Profile p;
  p.name = std::move(name);
  return p;
}

}  // namespace

std::vector<std::string> profile_names() { return {"rfc", "freebsd", "linux"}; }

absl::StatusOr<Profile> profile_named(std::string_view name) {
  if (name == "rfc") {
    // The RFCs' own numbers: MSL 2 minutes (RFC 9293 3.4.2), RTO 1 s .. 60 s
    // (RFC 6298 2.1, 2.4, 2.5), RFC 5961 on.
    Profile p = base("rfc");
    p.defines = {"STANDARD"};
    p.config.msl = Duration::seconds(120);
    return p;
  }
  if (name == "freebsd") {
    // FreeBSD defaults: net.inet.tcp.msl 30 s, RTO floor rexmit_min 30 ms +
    // rexmit_slop 200 ms, initial RTO 1 s, ceiling 64 s; recvspace 64 KiB,
    // sendspace 32 KiB; insecure_rst / insecure_syn 0 (RFC 5961 on).
    Profile p = base("freebsd");
    p.defines = {"FreeBSD"};
    p.config.msl = Duration::seconds(30);
    p.config.rto_min = Duration::millis(230);
    p.config.rto_max = Duration::seconds(64);
    p.config.recv_buffer = 65536;
    p.config.send_buffer = 32768;
    p.config.initial_window_segments = 10;  // net.inet.tcp.initcwnd_segments
    // Nagle on (TCP_NODELAY off) and delayed ACK (net.inet.tcp.delayed_ack=1,
    // delacktime 100 ms).
    p.config.nagle = true;
    p.config.delayed_ack = true;
    p.config.delayed_ack_timeout = Duration::millis(100);
    // The SYN's shift is sized for kern.ipc.maxsockbuf (2 MiB: wscale 6).
    p.config.window_scale_buffer = static_cast<uint32_t>(p.max_sock_buf);
    p.config.syn_retries = 6;
    p.config.data_retries = 12;
    // tcp_twcheck: a SYN beyond the old connection's numbers reopens a 4-tuple
    // in TIME-WAIT (RFC 1122 4.2.2.13).
    p.config.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
    p.o_nonblock = 0x4;
    p.rcvbuf_rounds_to_mss = true;
    p.errno_freebsd = true;
    return p;
  }
  if (name == "linux") {
    // Linux defaults: TIME-WAIT 60 s (TCP_TIMEWAIT_LEN, so MSL 30 s), RTO 1 s
    // initial, 200 ms floor (TCP_RTO_MIN), 120 s ceiling; tcp_syn_retries 6,
    // tcp_retries2 15.
    Profile p = base("linux");
    p.defines = {"Linux"};
    p.config.msl = Duration::seconds(30);
    p.config.rto_min = Duration::millis(200);
    p.config.rto_max = Duration::seconds(120);
    p.config.data_retries = 15;
    p.config.time_wait_syn = TimeWaitSynPolicy::kReuseIfSeqGreater;
    p.max_sock_buf = 212992;
    p.config.initial_window_segments = 10;  // TCP_INIT_CWND
    // Nagle on (TCP_NODELAY off) and delayed ACK (TCP_DELACK_MIN 40 ms; Linux
    // adapts the delay, synfin holds it fixed).
    p.config.nagle = true;
    p.config.delayed_ack = true;
    p.config.delayed_ack_timeout = Duration::millis(40);
    // The SYN's shift is sized for tcp_rmem's maximum (6 MiB: wscale 7).
    p.config.window_scale_buffer = 6291456;
    return p;
  }
  return absl::InvalidArgumentError(absl::StrCat("--profile: expected one of ",
                                                 absl::StrJoin(profile_names(), ", "),
                                                 ", found '", av(name), "'"));
}

Config config_for(const Profile& p, IpFamily family) {
  Config c = p.config;
  c.mss = family == IpFamily::kV4 ? p.mss_v4 : p.mss_v6;
  return c;
}

std::optional<int64_t> errno_number(const Profile& p, std::string_view name) {
  for (const ErrnoEntry& e : kErrnos) {
    if (name == e.name) return p.errno_freebsd ? e.freebsd_no : e.linux_no;
  }
  return std::nullopt;
}

bool is_ecn_setup_syn(uint16_t flags) {
  const uint16_t setup = Flags::kSyn | Flags::kEce | Flags::kCwr;
  return (flags & (setup | Flags::kAck)) == setup;
}

KnobEffect apply_sysctl(std::string_view name, std::string_view value, KnobState& st) {
  using K = KnobEffect::Kind;
  int64_t v = 0;
  const bool numeric = absl::SimpleAtoi(av(value), &v);
  auto applied = []() { return KnobEffect{K::kApplied, ""}; };
  auto no_effect = []() { return KnobEffect{K::kNoEffect, ""}; };
  auto missing = [](std::string what) { return KnobEffect{K::kMissingFeature, std::move(what)}; };
  auto unsupported = [&](std::string why) {
    return KnobEffect{K::kUnsupported, absl::StrCat(av(name), "=", av(value), ": ", why)};
  };
  auto flag = [&](bool& field, bool when_one) -> KnobEffect {
    if (!numeric || (v != 0 && v != 1)) return unsupported("expected 0 or 1");
    field = (v == 1) == when_one;
    return applied();
  };
  auto feature = [&](std::string what) -> KnobEffect {
    if (!numeric) return unsupported("expected a number");
    return v == 0 ? no_effect() : missing(std::move(what));
  };
  // ECN: 0 off; 1 asks for it on active opens (a feature the stack lacks);
  // 2 only answers a peer that asks, which matters only if one does.
  auto ecn = [&](std::string_view knob) -> KnobEffect {
    if (!numeric || v < 0 || v > 2) return unsupported("expected 0, 1 or 2");
    st.ecn_passive = v == 2;
    return v == 1 ? missing(absl::StrCat("ECN (RFC 3168, ", av(knob), "=1)")) : applied();
  };
  auto duration_ms = [&](Duration& field) -> KnobEffect {
    if (!numeric || v <= 0) return unsupported("expected a positive number of milliseconds");
    field = Duration::millis(v);
    return applied();
  };
  auto bytes = [&](uint32_t& field) -> KnobEffect {
    if (!numeric || v <= 0 || v > (int64_t{1} << 30)) return unsupported("expected a buffer size");
    field = static_cast<uint32_t>(v);
    return applied();
  };
  auto rto_floor = [&]() {
    const int64_t min = st.rexmit_min_ms < 0 ? 30 : st.rexmit_min_ms;
    const int64_t slop = st.rexmit_slop_ms < 0 ? 200 : st.rexmit_slop_ms;
    st.config.rto_min = Duration::millis(std::max<int64_t>(1, min + slop));
  };

  // FreeBSD.
  if (name == "net.inet.tcp.insecure_rst") return flag(st.config.rfc5961_rst, false);
  if (name == "net.inet.tcp.insecure_syn") return flag(st.config.rfc5961_syn, false);
  if (name == "net.inet.tcp.recvspace") return bytes(st.config.recv_buffer);
  if (name == "net.inet.tcp.sendspace") return bytes(st.config.send_buffer);
  if (name == "kern.ipc.maxsockbuf") {
    if (!numeric || v <= 0) return unsupported("expected a size");
    st.max_sock_buf = static_cast<uint64_t>(v);
    st.config.window_scale_buffer = static_cast<uint32_t>(std::min<int64_t>(v, UINT32_MAX));
    return applied();
  }
  if (name == "net.inet.tcp.msl") return duration_ms(st.config.msl);
  if (name == "net.inet.tcp.rexmit_initial") return duration_ms(st.config.rto_initial);
  if (name == "net.inet.tcp.rexmit_min" || name == "net.inet.tcp.rexmit_slop") {
    if (!numeric || v < 0) return unsupported("expected milliseconds");
    (name == "net.inet.tcp.rexmit_min" ? st.rexmit_min_ms : st.rexmit_slop_ms) = v;
    rto_floor();
    return applied();
  }
  if (name == "net.inet.tcp.mssdflt" || name == "net.inet.tcp.v6mssdflt") {
    if (!numeric || v <= 0 || v > 65535) return unsupported("expected an MSS");
    (name == "net.inet.tcp.mssdflt" ? st.config.default_peer_mss_v4
                                    : st.config.default_peer_mss_v6) = static_cast<uint16_t>(v);
    return applied();
  }
  if (name == "net.inet.tcp.rfc1323") {
    // RFC 7323 as one switch: window scaling and timestamps.
    if (!numeric || (v != 0 && v != 1)) return unsupported("expected 0 or 1");
    st.config.window_scale = st.config.timestamps = v == 1;
    return applied();
  }
  if (name == "net.inet.tcp.sack.enable") return flag(st.config.sack, true);
  if (name == "net.inet.tcp.ecn.enable") return ecn("net.inet.tcp.ecn.enable");
  if (name == "net.inet.tcp.syncookies") return feature("SYN cookies (net.inet.tcp.syncookies=1)");
  if (name == "net.inet.tcp.syncookies_only") return feature("SYN cookies only");
  // 0: drop a segment without TSopt once timestamps are negotiated (RFC 7323 3.2).
  if (name == "net.inet.tcp.tolerate_missing_ts") return flag(st.config.timestamps_required, false);
  if (name == "net.inet.tcp.hostcache.purgenow") return no_effect();  // synfin keeps no host cache
  if (name == "net.inet.tcp.blackhole") {
    return numeric && v == 0 ? no_effect() : unsupported("synfin always answers with a reset");
  }
  if (name == "net.inet.tcp.rexmit_drop_options") {
    return numeric && v == 0 ? no_effect() : unsupported("synfin keeps the SYN's options on retransmission");
  }
  if (name == "net.inet.tcp.initcwnd_segments") {
    if (!numeric || v < 0 || v > 1000) return unsupported("expected a segment count");
    st.config.initial_window_segments = static_cast<uint32_t>(v);
    return applied();
  }
  if (name == "net.inet.tcp.cc.algorithm" || name == "net.ipv4.tcp_congestion_control") {
    return value == "newreno" || value == "reno" ? applied()
                                                 : unsupported("synfin implements NewReno only");
  }
  if (name == "net.inet.tcp.drop_synfin") return flag(st.config.drop_syn_fin, true);

  // Linux.
  if (name == "net.ipv4.tcp_timestamps") {
    // 1 and 2 both turn timestamps on (2: without Linux's random offset; synfin's
    // offset is keyed per connection either way).
    if (!numeric || v < 0 || v > 2) return unsupported("expected 0, 1 or 2");
    st.config.timestamps = v != 0;
    return applied();
  }
  if (name == "net.ipv4.tcp_window_scaling") return flag(st.config.window_scale, true);
  if (name == "net.ipv4.tcp_sack") return flag(st.config.sack, true);
  if (name == "net.ipv4.tcp_ecn") return ecn("tcp_ecn");
  if (name == "net.ipv4.tcp_syn_retries") {
    if (!numeric || v < 0 || v > 50) return unsupported("expected a count");
    st.config.syn_retries = static_cast<int>(v);
    return applied();
  }
  if (name == "net.ipv4.tcp_retries2") {
    if (!numeric || v < 0 || v > 50) return unsupported("expected a count");
    st.config.data_retries = static_cast<int>(v);
    return applied();
  }
  return unsupported("no synfin equivalent");
}

}  // namespace synfin::harness::pd
