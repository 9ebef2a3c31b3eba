#include "harness/scenario_binary.h"

#include <algorithm>

namespace synfin::harness {
namespace {

// ---- Field ids of the header. Never renumber: corpus files depend on them. ----
enum HeaderField : uint8_t {
  kMode = 1,
  kFamily = 2,
  kSeed = 3,
  kDrawMix = 4,
  kMsl = 5,
  kRtoInitial = 6,
  kRtoMin = 7,
  kRtoMax = 8,
  kSynRetries = 9,
  kDataRetries = 10,
  kRecvBuffer = 11,
  kSendBuffer = 12,
  kMss = 13,
  kPeerMssV4 = 14,
  kPeerMssV6 = 15,
  kRfc5961Rst = 16,
  kRfc5961Syn = 17,
  kRfc5961Ack = 18,
  kRfc1337 = 19,
  kDropSynFin = 20,
  kTimeWaitSyn = 21,
  kBacklog = 22,
  kPeerIsn = 23,
  kWindowScale = 24,
  kTimestamps = 25,
  kTimestampsRequired = 26,
  kSack = 27,
  kWindowScaleBuffer = 28,
  kCongestionControl = 29,
  kInitialWindow = 30,
  kDelayedAck = 31,
  kLinkBase = 32,  // 32 + 16 * direction + LinkField
  // Past the link fields (32..63).
  kDelayedAckTimeout = 64,
  kNagle = 65,
  kKeepalive = 66,
  kKeepaliveIdle = 67,
  kKeepaliveInterval = 68,
  kKeepaliveProbes = 69,
};
enum LinkField : uint8_t {
  kDelay = 0,
  kJitter,
  kMtu,
  kBandwidth,
  kQueue,
  kDrop,
  kDuplicate,
  kReorder,
  kCorrupt,
  kTruncate,
};

// ---- Reading: never fails, never reads past the end. ----
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> b) : b_(b) {}
  bool done() const { return pos_ >= b_.size(); }
  size_t pos() const { return pos_; }
  uint8_t u8() { return pos_ < b_.size() ? b_[pos_++] : 0; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const uint8_t byte = u8();
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    return v;
  }
  int64_t zigzag() {
    const uint64_t v = varint();
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  std::span<const uint8_t> take(size_t n) {
    n = std::min(n, b_.size() - std::min(pos_, b_.size()));
    auto s = b_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
};

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<uint8_t>(v));
  }
  void zigzag(int64_t v) {
    varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }

 private:
  std::vector<uint8_t>& out_;
};

Duration dur(uint64_t v) { return Duration{static_cast<int64_t>(v & 0x7fffffffffffffffULL)}; }
uint64_t us(Duration d) { return static_cast<uint64_t>(std::max<int64_t>(d.us, 0)); }
int64_t clamp_int(int64_t v) { return std::clamp<int64_t>(v, INT32_MIN, INT32_MAX); }

// ---- Options: presence bits, then values. ----
void read_options(Reader& r, TcpOptions& o) {
  const uint8_t present = r.u8();
  if (present & 1) o.mss = static_cast<uint16_t>(r.varint());
  if (present & 2) o.window_scale = r.u8();
  o.sack_permitted = present & 4;
  if (present & 8) o.timestamps = Timestamps{static_cast<uint32_t>(r.varint()),
                                              static_cast<uint32_t>(r.varint())};
  if (present & 16) {
    const size_t n = std::min<size_t>(r.u8(), 4);
    for (size_t i = 0; i < n; ++i) {
      SackBlock b;
      b.left = SeqNum(static_cast<uint32_t>(r.varint()));
      b.right = SeqNum(static_cast<uint32_t>(r.varint()));
      o.sack.push_back(b);
    }
  }
  if (present & 32) {
    const size_t n = std::min<size_t>(r.u8(), 8);
    for (size_t i = 0; i < n; ++i) {
      RawOption raw;
      raw.kind = r.u8();
      if (raw.kind < 2) raw.kind = static_cast<uint8_t>(raw.kind + 2);  // EOL/NOP take no data
      auto data = r.take(std::min<size_t>(r.u8(), 38));
      raw.data.assign(data.begin(), data.end());
      o.unknown.push_back(std::move(raw));
    }
  }
}

void write_options(Writer& w, const TcpOptions& o) {
  uint8_t present = 0;
  if (o.mss) present |= 1;
  if (o.window_scale) present |= 2;
  if (o.sack_permitted) present |= 4;
  if (o.timestamps) present |= 8;
  if (!o.sack.empty()) present |= 16;
  if (!o.unknown.empty()) present |= 32;
  w.u8(present);
  if (o.mss) w.varint(*o.mss);
  if (o.window_scale) w.u8(*o.window_scale);
  if (o.timestamps) {
    w.varint(o.timestamps->val);
    w.varint(o.timestamps->ecr);
  }
  if (!o.sack.empty()) {
    w.u8(static_cast<uint8_t>(std::min<size_t>(o.sack.size(), 4)));
    for (size_t i = 0; i < o.sack.size() && i < 4; ++i) {
      w.varint(o.sack[i].left.raw);
      w.varint(o.sack[i].right.raw);
    }
  }
  if (!o.unknown.empty()) {
    w.u8(static_cast<uint8_t>(std::min<size_t>(o.unknown.size(), 8)));
    for (size_t i = 0; i < o.unknown.size() && i < 8; ++i) {
      w.u8(o.unknown[i].kind);
      const size_t n = std::min<size_t>(o.unknown[i].data.size(), 38);
      w.u8(static_cast<uint8_t>(n));
      for (size_t j = 0; j < n; ++j) w.u8(o.unknown[i].data[j]);
    }
  }
}

// ---- Header ----
void read_header(Reader& r, ScenarioHeader& h) {
  while (!r.done()) {
    const uint8_t field = r.u8();
    const uint64_t v = r.varint();
    Config& c = h.config;
    switch (field) {
      case kMode: h.mode = static_cast<Mode>(v % 2); break;
      case kFamily: h.family = static_cast<IpFamily>(v % 2); break;
      case kSeed: h.seed = v; break;
      case kDrawMix: h.draw_mix_from_seed = v & 1; break;
      case kMsl: c.msl = dur(v); break;
      case kRtoInitial: c.rto_initial = dur(v); break;
      case kRtoMin: c.rto_min = dur(v); break;
      case kRtoMax: c.rto_max = dur(v); break;
      case kSynRetries: c.syn_retries = static_cast<int>(clamp_int(static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1))); break;
      case kDataRetries: c.data_retries = static_cast<int>(clamp_int(static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1))); break;
      case kRecvBuffer: c.recv_buffer = static_cast<uint32_t>(v); break;
      case kSendBuffer: c.send_buffer = static_cast<uint32_t>(v); break;
      case kMss: c.mss = static_cast<uint16_t>(v); break;
      case kPeerMssV4: c.default_peer_mss_v4 = static_cast<uint16_t>(v); break;
      case kPeerMssV6: c.default_peer_mss_v6 = static_cast<uint16_t>(v); break;
      case kRfc5961Rst: c.rfc5961_rst = v & 1; break;
      case kRfc5961Syn: c.rfc5961_syn = v & 1; break;
      case kRfc5961Ack: c.rfc5961_ack = v & 1; break;
      case kRfc1337: c.rfc1337 = v & 1; break;
      case kDropSynFin: c.drop_syn_fin = v & 1; break;
      case kTimeWaitSyn: c.time_wait_syn = static_cast<TimeWaitSynPolicy>(v % 2); break;
      case kBacklog: c.default_backlog = static_cast<int>(clamp_int(static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1))); break;
      case kPeerIsn: h.peer_isn = static_cast<uint32_t>(v); break;
      case kWindowScale: c.window_scale = v & 1; break;
      case kTimestamps: c.timestamps = v & 1; break;
      case kTimestampsRequired: c.timestamps_required = v & 1; break;
      case kSack: c.sack = v & 1; break;
      case kWindowScaleBuffer: c.window_scale_buffer = static_cast<uint32_t>(v); break;
      case kCongestionControl: c.congestion_control = v & 1; break;
      case kInitialWindow: c.initial_window_segments = static_cast<uint32_t>(v); break;
      case kDelayedAck: c.delayed_ack = v & 1; break;
      case kDelayedAckTimeout: c.delayed_ack_timeout = dur(v); break;
      case kNagle: c.nagle = v & 1; break;
      case kKeepalive: c.keepalive = v & 1; break;
      case kKeepaliveIdle: c.keepalive_idle = dur(v); break;
      case kKeepaliveInterval: c.keepalive_interval = dur(v); break;
      case kKeepaliveProbes: c.keepalive_probes = static_cast<int>(clamp_int(static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1))); break;
      default: {
        if (field < kLinkBase || field >= kLinkBase + 32) break;  // unknown: skipped
        LinkSettings& l = h.links[(field - kLinkBase) / 16];
        switch ((field - kLinkBase) % 16) {
          case kDelay: l.delay = dur(v); break;
          case kJitter: l.jitter = dur(v); break;
          case kMtu: l.mtu = static_cast<uint32_t>(v); break;
          case kBandwidth: l.bandwidth_kbps = static_cast<uint32_t>(v); break;
          case kQueue: l.queue_packets = static_cast<uint32_t>(v); break;
          case kDrop: l.mix.drop = static_cast<uint16_t>(v); break;
          case kDuplicate: l.mix.duplicate = static_cast<uint16_t>(v); break;
          case kReorder: l.mix.reorder = static_cast<uint16_t>(v); break;
          case kCorrupt: l.mix.corrupt = static_cast<uint16_t>(v); break;
          case kTruncate: l.mix.truncate = static_cast<uint16_t>(v); break;
          default: break;
        }
      }
    }
  }
}

void write_header(Writer& w, const ScenarioHeader& h) {
  const ScenarioHeader d;
  const Config& c = h.config;
  const Config& dc = d.config;
  auto field = [&w](uint8_t id, uint64_t v) {
    w.u8(id);
    w.varint(v);
  };
  auto zz = [](int v) {
    return (static_cast<uint64_t>(static_cast<int64_t>(v)) << 1) ^
           static_cast<uint64_t>(static_cast<int64_t>(v) >> 63);
  };
  if (h.mode != d.mode) field(kMode, static_cast<uint64_t>(h.mode));
  if (h.family != d.family) field(kFamily, static_cast<uint64_t>(h.family));
  if (h.seed != d.seed) field(kSeed, h.seed);
  if (h.draw_mix_from_seed != d.draw_mix_from_seed) field(kDrawMix, h.draw_mix_from_seed);
  if (c.msl != dc.msl) field(kMsl, us(c.msl));
  if (c.rto_initial != dc.rto_initial) field(kRtoInitial, us(c.rto_initial));
  if (c.rto_min != dc.rto_min) field(kRtoMin, us(c.rto_min));
  if (c.rto_max != dc.rto_max) field(kRtoMax, us(c.rto_max));
  if (c.syn_retries != dc.syn_retries) field(kSynRetries, zz(c.syn_retries));
  if (c.data_retries != dc.data_retries) field(kDataRetries, zz(c.data_retries));
  if (c.recv_buffer != dc.recv_buffer) field(kRecvBuffer, c.recv_buffer);
  if (c.send_buffer != dc.send_buffer) field(kSendBuffer, c.send_buffer);
  if (c.mss != dc.mss) field(kMss, c.mss);
  if (c.default_peer_mss_v4 != dc.default_peer_mss_v4) field(kPeerMssV4, c.default_peer_mss_v4);
  if (c.default_peer_mss_v6 != dc.default_peer_mss_v6) field(kPeerMssV6, c.default_peer_mss_v6);
  if (c.rfc5961_rst != dc.rfc5961_rst) field(kRfc5961Rst, c.rfc5961_rst);
  if (c.rfc5961_syn != dc.rfc5961_syn) field(kRfc5961Syn, c.rfc5961_syn);
  if (c.rfc5961_ack != dc.rfc5961_ack) field(kRfc5961Ack, c.rfc5961_ack);
  if (c.rfc1337 != dc.rfc1337) field(kRfc1337, c.rfc1337);
  if (c.drop_syn_fin != dc.drop_syn_fin) field(kDropSynFin, c.drop_syn_fin);
  if (c.time_wait_syn != dc.time_wait_syn) field(kTimeWaitSyn, static_cast<uint64_t>(c.time_wait_syn));
  if (c.default_backlog != dc.default_backlog) field(kBacklog, zz(c.default_backlog));
  if (h.peer_isn != d.peer_isn) field(kPeerIsn, h.peer_isn);
  if (c.window_scale != dc.window_scale) field(kWindowScale, c.window_scale);
  if (c.timestamps != dc.timestamps) field(kTimestamps, c.timestamps);
  if (c.timestamps_required != dc.timestamps_required) field(kTimestampsRequired, c.timestamps_required);
  if (c.sack != dc.sack) field(kSack, c.sack);
  if (c.window_scale_buffer != dc.window_scale_buffer) field(kWindowScaleBuffer, c.window_scale_buffer);
  if (c.congestion_control != dc.congestion_control) field(kCongestionControl, c.congestion_control);
  if (c.initial_window_segments != dc.initial_window_segments) field(kInitialWindow, c.initial_window_segments);
  if (c.delayed_ack != dc.delayed_ack) field(kDelayedAck, c.delayed_ack);
  if (c.delayed_ack_timeout != dc.delayed_ack_timeout) field(kDelayedAckTimeout, us(c.delayed_ack_timeout));
  if (c.nagle != dc.nagle) field(kNagle, c.nagle);
  if (c.keepalive != dc.keepalive) field(kKeepalive, c.keepalive);
  if (c.keepalive_idle != dc.keepalive_idle) field(kKeepaliveIdle, us(c.keepalive_idle));
  if (c.keepalive_interval != dc.keepalive_interval) field(kKeepaliveInterval, us(c.keepalive_interval));
  if (c.keepalive_probes != dc.keepalive_probes) field(kKeepaliveProbes, zz(c.keepalive_probes));
  for (int i = 0; i < 2; ++i) {
    const LinkSettings& l = h.links[i];
    const LinkSettings& dl = d.links[i];
    const uint8_t base = static_cast<uint8_t>(kLinkBase + 16 * i);
    if (l.delay != dl.delay) field(base + kDelay, us(l.delay));
    if (l.jitter != dl.jitter) field(base + kJitter, us(l.jitter));
    if (l.mtu != dl.mtu) field(base + kMtu, l.mtu);
    if (l.bandwidth_kbps != dl.bandwidth_kbps) field(base + kBandwidth, l.bandwidth_kbps);
    if (l.queue_packets != dl.queue_packets) field(base + kQueue, l.queue_packets);
    if (l.mix.drop != dl.mix.drop) field(base + kDrop, l.mix.drop);
    if (l.mix.duplicate != dl.mix.duplicate) field(base + kDuplicate, l.mix.duplicate);
    if (l.mix.reorder != dl.mix.reorder) field(base + kReorder, l.mix.reorder);
    if (l.mix.corrupt != dl.mix.corrupt) field(base + kCorrupt, l.mix.corrupt);
    if (l.mix.truncate != dl.mix.truncate) field(base + kTruncate, l.mix.truncate);
  }
}

// ---- Ops ----
// Reads into a default Op in place (an Op is a few hundred bytes: no copies).
void read_op(uint8_t opcode, Reader& r, Op& op) {
  op.kind = static_cast<OpKind>(opcode);
  switch (op.kind) {
    case OpKind::kWait:
      op.amount = r.varint();
      break;
    case OpKind::kListen:
    case OpKind::kConnect:
      op.host = r.u8() & 1;
      op.port = static_cast<uint16_t>(r.varint());
      break;
    case OpKind::kAccept:
      op.host = r.u8() & 1;
      break;
    case OpKind::kSend:
    case OpKind::kRecv:
      op.host = r.u8() & 1;
      op.socket = r.u8();
      op.amount = r.varint();
      break;
    case OpKind::kShutdown:
    case OpKind::kClose:
    case OpKind::kAbort:
      op.host = r.u8() & 1;
      op.socket = r.u8();
      break;
    case OpKind::kInject: {
      op.host = r.u8() & 1;
      InjectedSegment& s = op.segment;
      s.flags = Flags(static_cast<uint16_t>(r.varint() & 0xfff));
      s.seq_base = static_cast<SeqBase>(r.u8() % kNumSeqBases);
      s.seq = r.zigzag();
      s.ack_base = static_cast<AckBase>(r.u8() % kNumAckBases);
      s.ack = r.zigzag();
      s.window = static_cast<uint16_t>(r.varint());
      s.urgent_pointer = static_cast<uint16_t>(r.varint());
      s.payload_len = static_cast<uint16_t>(r.varint());
      s.spoof = static_cast<Spoof>(r.u8() % kNumSpoofs);
      read_options(r, s.options);
      break;
    }
    case OpKind::kExpect: {
      op.host = r.u8() & 1;
      ExpectedSegment& e = op.expected;
      e.flags = Flags(static_cast<uint16_t>(r.varint() & 0xfff));
      e.seq = static_cast<uint32_t>(r.varint());
      e.payload_len = static_cast<uint16_t>(r.varint());
      const uint8_t checks = r.u8();
      e.check_ack = checks & 1;
      e.check_window = checks & 2;
      e.check_options = checks & 4;
      if (e.check_ack) e.ack = static_cast<uint32_t>(r.varint());
      if (e.check_window) e.window = static_cast<uint16_t>(r.varint());
      if (e.check_options) read_options(r, e.options);
      break;
    }
    case OpKind::kFault:
      op.host = r.u8() & 1;
      op.fault = static_cast<FaultKind>(r.u8() % kNumFaultKinds);
      op.amount = r.varint();
      break;
    case OpKind::kPartition:
      op.host = static_cast<uint8_t>(1 + r.u8() % 3);
      op.amount = r.varint();
      break;
    case OpKind::kAwait:
      op.host = r.u8() & 1;
      op.state = static_cast<State>(r.u8() % kNumStates);
      op.amount = r.varint();
      break;
  }
}

void write_op_payload(Writer& w, const Op& op) {
  switch (op.kind) {
    case OpKind::kWait:
      w.varint(op.amount);
      break;
    case OpKind::kListen:
    case OpKind::kConnect:
      w.u8(op.host);
      w.varint(op.port);
      break;
    case OpKind::kAccept:
      w.u8(op.host);
      break;
    case OpKind::kSend:
    case OpKind::kRecv:
      w.u8(op.host);
      w.u8(op.socket);
      w.varint(op.amount);
      break;
    case OpKind::kShutdown:
    case OpKind::kClose:
    case OpKind::kAbort:
      w.u8(op.host);
      w.u8(op.socket);
      break;
    case OpKind::kInject: {
      const InjectedSegment& s = op.segment;
      w.u8(op.host);
      w.varint(s.flags.bits);
      w.u8(static_cast<uint8_t>(s.seq_base));
      w.zigzag(s.seq);
      w.u8(static_cast<uint8_t>(s.ack_base));
      w.zigzag(s.ack);
      w.varint(s.window);
      w.varint(s.urgent_pointer);
      w.varint(s.payload_len);
      w.u8(static_cast<uint8_t>(s.spoof));
      write_options(w, s.options);
      break;
    }
    case OpKind::kExpect: {
      const ExpectedSegment& e = op.expected;
      w.u8(op.host);
      w.varint(e.flags.bits);
      w.varint(e.seq);
      w.varint(e.payload_len);
      w.u8(static_cast<uint8_t>((e.check_ack ? 1 : 0) | (e.check_window ? 2 : 0) |
                                (e.check_options ? 4 : 0)));
      if (e.check_ack) w.varint(e.ack);
      if (e.check_window) w.varint(e.window);
      if (e.check_options) write_options(w, e.options);
      break;
    }
    case OpKind::kFault:
      w.u8(op.host);
      w.u8(static_cast<uint8_t>(op.fault));
      w.varint(op.amount);
      break;
    case OpKind::kPartition:
      w.u8(static_cast<uint8_t>((op.host + 2) % 3));  // inverse of 1 + b % 3
      w.varint(op.amount);
      break;
    case OpKind::kAwait:
      w.u8(op.host);
      w.u8(static_cast<uint8_t>(op.state));
      w.varint(op.amount);
      break;
  }
}

}  // namespace

namespace {

// A varint at bytes[pos]: its value and the position after it (total).
std::pair<uint64_t, size_t> read_varint_at(std::span<const uint8_t> bytes, size_t pos) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && pos < bytes.size(); shift += 7) {
    const uint8_t byte = bytes[pos++];
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) break;
  }
  return {v, pos};
}

}  // namespace

size_t binary_header_end(std::span<const uint8_t> bytes) {
  if (bytes.size() < 2) return bytes.size();
  auto [len, after] = read_varint_at(bytes, 1);
  return after + static_cast<size_t>(std::min<uint64_t>(len, bytes.size() - after));
}

static size_t header_start(std::span<const uint8_t> bytes) {
  return bytes.size() < 2 ? bytes.size() : read_varint_at(bytes, 1).second;
}

namespace {

// f(OpSpan) for each op record after the header, in order.
template <typename F>
void for_each_op_span(std::span<const uint8_t> bytes, F&& f) {
  size_t pos = binary_header_end(bytes);
  while (pos < bytes.size()) {
    auto [len, payload] = read_varint_at(bytes, pos + 1);
    const size_t end = payload + static_cast<size_t>(std::min<uint64_t>(len, bytes.size() - std::min(payload, bytes.size())));
    f(OpSpan{pos, std::max(end, pos + 1), std::min(payload, bytes.size())});
    pos = std::max(end, pos + 1);
  }
}

}  // namespace

std::vector<OpSpan> split_ops(std::span<const uint8_t> bytes) {
  std::vector<OpSpan> spans;
  for_each_op_span(bytes, [&spans](const OpSpan& s) { spans.push_back(s); });
  return spans;
}

Scenario decode_scenario(std::span<const uint8_t> bytes) {
  Scenario s;
  // bytes[0] is the version; this decoder reads version 1 and, being total,
  // reads anything else as if it were.
  const size_t header_end = binary_header_end(bytes);
  const size_t start = header_start(bytes);
  Reader hr(bytes.subspan(start, header_end - start));
  read_header(hr, s.header);
  // Two walks over the records, one to count and one to read, so the op list is
  // allocated once and nothing else is: this runs once per fuzz input.
  size_t count = 0;
  for_each_op_span(bytes, [&](const OpSpan& span) { count += bytes[span.begin] < kNumOpKinds; });
  s.ops.reserve(count);
  for_each_op_span(bytes, [&](const OpSpan& span) {
    const uint8_t opcode = bytes[span.begin];
    if (opcode >= kNumOpKinds) return;  // unknown: skipped by its length
    const size_t payload = std::min(span.payload, span.end);
    Reader r(bytes.subspan(payload, span.end - payload));
    read_op(opcode, r, s.ops.emplace_back());
  });
  return s;
}

void encode_op(const Op& op, std::vector<uint8_t>& out) {
  std::vector<uint8_t> payload;
  Writer w(payload);
  write_op_payload(w, op);
  out.push_back(static_cast<uint8_t>(op.kind));
  Writer(out).varint(payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
}

std::vector<uint8_t> encode_scenario(const Scenario& s) {
  std::vector<uint8_t> out;
  out.push_back(kBinaryVersion);
  std::vector<uint8_t> header;
  Writer hw(header);
  write_header(hw, s.header);
  Writer(out).varint(header.size());
  out.insert(out.end(), header.begin(), header.end());
  for (const Op& op : s.ops) encode_op(op, out);
  return out;
}

}  // namespace synfin::harness
