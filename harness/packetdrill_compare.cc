#include "harness/packetdrill_compare.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "harness/scenario.h"
#include "stack/host.h"
#include "stack/isn.h"

namespace synfin::harness::pd {
namespace {

std::string option_text(const OptionSpec& o) {
  using K = OptionSpec::Kind;
  switch (o.kind) {
    case K::kNop: return "nop";
    case K::kEol: return "eol";
    case K::kMss: return absl::StrCat("mss ", o.a);
    case K::kWscale: return absl::StrCat("wscale ", o.a);
    case K::kSackOk: return "sackOK";
    case K::kSack: {
      std::string s = "sack";
      for (const auto& [l, r] : o.blocks) absl::StrAppend(&s, " ", l, ":", r);
      return s;
    }
    case K::kTimestamp: return absl::StrCat("TS val ", o.a, " ecr ", o.b);
    case K::kRaw: return absl::StrCat("opt ", o.a);
  }
  return "?";
}

}  // namespace

const char* option_name(OptionSpec::Kind k) {
  using K = OptionSpec::Kind;
  switch (k) {
    case K::kNop: return "nop";
    case K::kEol: return "eol";
    case K::kMss: return "mss";
    case K::kWscale: return "wscale (RFC 7323 window scale)";
    case K::kSackOk: return "sackOK (RFC 2018 SACK-permitted)";
    case K::kSack: return "sack (RFC 2018 SACK blocks)";
    case K::kTimestamp: return "TS (RFC 7323 timestamps)";
    case K::kRaw: return "raw";
  }
  return "?";
}

absl::StatusOr<TcpOptions> options_from_spec(const std::vector<OptionSpec>& list, uint32_t sack_base) {
  TcpOptions o;
  using K = OptionSpec::Kind;
  auto twice = [](const OptionSpec& s) {
    return absl::InvalidArgumentError(absl::StrCat("the ", option_name(s.kind), " option twice in one "
                                                   "packet (synfin's segment model holds each once)"));
  };
  for (const OptionSpec& s : list) {
    switch (s.kind) {
      case K::kNop:
      case K::kEol:
        break;
      case K::kMss:
        if (o.mss) return twice(s);
        o.mss = static_cast<uint16_t>(s.a);
        break;
      case K::kWscale:
        if (o.window_scale) return twice(s);
        o.window_scale = static_cast<uint8_t>(s.a);
        break;
      case K::kSackOk:
        if (o.sack_permitted) return twice(s);
        o.sack_permitted = true;
        break;
      case K::kSack:
        if (!o.sack.empty()) return twice(s);
        for (const auto& [l, r] : s.blocks) {
          o.sack.push_back(SackBlock{SeqNum(sack_base + l), SeqNum(sack_base + r)});
        }
        break;
      case K::kTimestamp:
        if (o.timestamps) return twice(s);
        o.timestamps = Timestamps{s.a, s.b};
        break;
      case K::kRaw:
        o.unknown.push_back(RawOption{static_cast<uint8_t>(s.a), s.data});
        break;
    }
  }
  return o;
}

absl::StatusOr<uint8_t> ecn_bits(std::string_view a) {
  if (a.empty() || a == "[noecn]") return 0;
  if (a == "[ect1]") return 1;
  if (a == "[ect0]") return 2;
  if (a == "[ce]") return 3;
  return absl::InvalidArgumentError(
      absl::StrCat("IP annotation ", absl::string_view(a.data(), a.size()),
                   " (synfin reads [noecn], [ect0], [ect1], [ce])"));
}

std::string compare_outbound(const PacketSpec& want, const Segment& s, uint32_t local_iss,
                             uint32_t peer_isn) {
  if (s.flags.bits != want.flags) return "flags differ";
  if (!want.seq_any && s.seq.raw - local_iss != want.seq) return "sequence number differs";
  if (s.payload.size() != want.len) return "payload length differs";
  if (want.ack && (want.flags & Flags::kAck) && s.ack.raw - peer_isn != *want.ack) {
    return "acknowledgment number differs";
  }
  if (want.win && s.window != *want.win) return "window differs";
  if (want.urg && s.urgent_pointer != *want.urg) return "urgent pointer differs";
  switch (want.options_mode) {
    case PacketSpec::Options::kAny:
      break;
    case PacketSpec::Options::kNone:
      if (!s.options.empty()) return "options differ (the script expects none)";
      break;
    case PacketSpec::Options::kList: {
      absl::StatusOr<TcpOptions> w = options_from_spec(want.options, peer_isn);
      if (!w.ok()) return std::string(w.status().message());
      TcpOptions actual = s.options;
      if (actual.timestamps && w->timestamps) actual.timestamps->val = w->timestamps->val;
      if (!(actual == *w)) return "options differ";
      break;
    }
  }
  return "";
}

std::string describe_expected(const PacketSpec& p) {
  std::string s = flags_to_string(Flags(p.flags));
  if (p.seq_any) {
    absl::StrAppend(&s, " ...(", p.len, ")");
  } else {
    absl::StrAppend(&s, " ", p.seq, ":", p.seq + p.len, "(", p.len, ")");
  }
  if (p.ack) absl::StrAppend(&s, " ack ", *p.ack);
  if (p.win) absl::StrAppend(&s, " win ", *p.win);
  if (p.urg) absl::StrAppend(&s, " urg ", *p.urg);
  switch (p.options_mode) {
    case PacketSpec::Options::kNone: break;
    case PacketSpec::Options::kAny: s += " <...>"; break;
    case PacketSpec::Options::kList: {
      std::vector<std::string> parts;
      for (const OptionSpec& o : p.options) parts.push_back(option_text(o));
      absl::StrAppend(&s, " <", absl::StrJoin(parts, ","), ">");
      break;
    }
  }
  return s;
}

std::string describe_actual(const Segment& s, uint32_t local_iss, uint32_t peer_isn) {
  const uint32_t seq = s.seq.raw - local_iss;
  const uint32_t len = static_cast<uint32_t>(s.payload.size());
  std::string out = absl::StrCat(flags_to_string(s.flags), " ", seq, ":", seq + len, "(", len, ")");
  if (s.flags.ack()) absl::StrAppend(&out, " ack ", s.ack.raw - peer_isn);
  absl::StrAppend(&out, " win ", s.window);
  if (s.urgent_pointer) absl::StrAppend(&out, " urg ", s.urgent_pointer);
  if (!s.options.empty()) absl::StrAppend(&out, " <", options_to_string(s.options), ">");
  return out;
}

std::vector<OptionSpec::Kind> probe_lacking_options(const Config& config, IpFamily family) {
  // What the stack can send at all, not what this script's knobs switched off.
  Config all = config;
  all.window_scale = all.timestamps = all.sack = true;
  Rfc6528IsnGenerator isn(Rfc6528IsnGenerator::Key{});
  Host h(Host::Options{host_address(family, 0), all, 1}, isn);
  TcpOptions seen;
  auto merge = [&seen](const TcpOptions& o) {
    if (o.window_scale) seen.window_scale = o.window_scale;
    if (o.timestamps) seen.timestamps = o.timestamps;
    seen.sack_permitted |= o.sack_permitted;
  };
  const Instant t0{};
  (void)h.connect(t0, host_address(family, 1), 8080);
  for (const IpPacket& p : h.outbox()) merge(p.tcp.options);
  h.outbox().clear();
  if (h.listen(t0, 9).ok()) {
    IpPacket syn;
    syn.src = host_address(family, 1);
    syn.dst = host_address(family, 0);
    syn.tcp.src_port = 40000;
    syn.tcp.dst_port = 9;
    syn.tcp.seq = SeqNum(1);
    syn.tcp.flags = kSyn;
    syn.tcp.window = 65535;
    syn.tcp.options.mss = 1460;
    syn.tcp.options.window_scale = 7;
    syn.tcp.options.sack_permitted = true;
    syn.tcp.options.timestamps = Timestamps{1, 0};
    h.receive(t0, syn);
    for (const IpPacket& p : h.outbox()) merge(p.tcp.options);
  }
  std::vector<OptionSpec::Kind> lacking;
  using K = OptionSpec::Kind;
  if (!seen.window_scale) lacking.push_back(K::kWscale);
  if (!seen.sack_permitted) {
    lacking.push_back(K::kSackOk);
    lacking.push_back(K::kSack);
  }
  if (!seen.timestamps) lacking.push_back(K::kTimestamp);
  return lacking;
}

}  // namespace synfin::harness::pd
