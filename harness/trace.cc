#include "harness/trace.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace synfin::harness {
namespace {

// Free text (error messages, reasons) must not break the one-line-per-event rule:
// control characters become \xNN.
void append_sanitized(std::string& out, absl::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", u);
    } else {
      out += c;
    }
  }
}

void append_endpoint(std::string& out, const IpAddr& addr, uint16_t port) {
  if (addr.family == IpFamily::kV6) {
    absl::StrAppend(&out, "[", addr.to_string(), "]:", port);
  } else {
    absl::StrAppend(&out, addr.to_string(), ":", port);
  }
}

// "10.0.0.1:49152 > 10.0.0.2:80 S 1000:1000(0) win 65535 <mss 1460>": the
// addresses, then segment_to_string without its leading "sport > dport ".
void append_segment(std::string& out, const IpAddr& src, const IpAddr& dst, const Segment& seg) {
  append_endpoint(out, src, seg.src_port);
  out += " > ";
  append_endpoint(out, dst, seg.dst_port);
  out += ' ';
  const std::string text = segment_to_string(seg);
  const std::string ports = absl::StrCat(seg.src_port, " > ", seg.dst_port, " ");
  if (absl::StartsWith(text, ports)) {
    out.append(text, ports.size(), std::string::npos);
  } else {
    out += text;
  }
}

int other_host(int host) { return host == 0 ? 1 : 0; }

}  // namespace

TraceWriter::TraceWriter(Options options) : options_(options) {
  if (options_.line_limit > 0) ring_.resize(options_.line_limit);
}

std::string TraceWriter::format_time(Instant t) {
  const bool negative = t.us < 0;
  const uint64_t mag =
      negative ? static_cast<uint64_t>(-(t.us + 1)) + 1 : static_cast<uint64_t>(t.us);
  const std::string body =
      absl::StrFormat("%s%d.%06d", negative ? "-" : "", mag / 1000000, mag % 1000000);
  return absl::StrFormat("%11s", body);
}

std::string& TraceWriter::begin(Instant now) {
  line_ = format_time(now);
  line_ += ' ';
  return line_;
}

void TraceWriter::commit() {
  line_ += '\n';
  ++lines_written_;
  if (options_.line_limit == 0) {
    text_ += line_;
    return;
  }
  assembled_valid_ = false;
  const size_t limit = options_.line_limit;
  if (kept_ < limit) {
    ring_[(first_ + kept_) % limit].assign(line_);
    ++kept_;
  } else {
    ring_[first_].assign(line_);
    first_ = (first_ + 1) % limit;
  }
}

const std::string& TraceWriter::text() const {
  if (options_.line_limit == 0) return text_;
  if (!assembled_valid_) {
    assembled_.clear();
    for (size_t i = 0; i < kept_; ++i) assembled_ += ring_[(first_ + i) % options_.line_limit];
    assembled_valid_ = true;
  }
  return assembled_;
}

size_t TraceWriter::lines_kept() const {
  if (options_.line_limit > 0) return kept_;
  return static_cast<size_t>(std::count(text_.begin(), text_.end(), '\n'));
}

std::string TraceWriter::tail(size_t n) const {
  if (options_.line_limit > 0) {
    const size_t take = std::min(n, kept_);
    std::string out;
    for (size_t i = kept_ - take; i < kept_; ++i) out += ring_[(first_ + i) % options_.line_limit];
    return out;
  }
  if (n == 0 || text_.empty()) return "";
  // text_ ends in '\n'; find the start of the n-th line from the end.
  size_t pos = text_.size() - 1;  // the final '\n'
  size_t seen = 0;
  while (pos > 0) {
    if (text_[pos - 1] == '\n' && ++seen == n) return text_.substr(pos);
    --pos;
  }
  return text_;
}

void TraceWriter::clear() {
  text_.clear();
  for (std::string& s : ring_) s.clear();
  first_ = 0;
  kept_ = 0;
  assembled_.clear();
  assembled_valid_ = false;
  lines_written_ = 0;
}

// ---- Stack events ----

void TraceWriter::on_created(int host, ConnId id, ConnId parent, const FourTuple& tuple,
                             Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", host, " conn ", id, " created ");
  if (parent != kNoConn) absl::StrAppend(&l, "(child of ", parent, ") ");
  l += tuple.to_string();
  commit();
}

void TraceWriter::on_transition(int host, ConnId id, State from, State to, Cause cause,
                                Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", host, " conn ", id, " ", to_string(from), " -> ", to_string(to), " (",
                  to_string(cause), ")");
  commit();
}

void TraceWriter::on_segment_in(int host, ConnId id, const FourTuple& tuple, const Segment& seg,
                                const TcbSnapshot& before, Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", host, " < ");
  append_segment(l, tuple.remote_addr, tuple.local_addr, seg);
  commit();
}

void TraceWriter::on_segment_out(int host, ConnId id, const FourTuple& tuple, const Segment& seg,
                                 const TcbSnapshot& tcb, Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", host, " > ");
  append_segment(l, tuple.local_addr, tuple.remote_addr, seg);
  commit();
}

void TraceWriter::on_timer(int host, ConnId id, TimerKind kind, TimerAction action,
                           Instant deadline, Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", host, " conn ", id, " timer ", to_string(kind), " ",
                  to_string(action));
  if (action == TimerAction::kSet) {
    l += ' ';
    const std::string t = format_time(deadline);
    l.append(t, t.find_first_not_of(' '), std::string::npos);
  }
  commit();
}

void TraceWriter::on_deliver(int host, ConnId id, std::span<const uint8_t> bytes, Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", host, " deliver conn ", id, " ", bytes.size(), " bytes");
  commit();
}

void TraceWriter::on_send_accepted(int host, ConnId id, std::span<const uint8_t> bytes,
                                   Instant now) {
  if (!options_.verbose) return;
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", host, " accepted conn ", id, " ", bytes.size(), " bytes");
  commit();
}

void TraceWriter::on_user_event(int host, ConnId id, UserEvent event, Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", host, " event conn ", id, " ", to_string(event));
  commit();
}

void TraceWriter::on_step_end(int host, ConnId id, const TcbSnapshot& tcb, Instant now) {
  if (!options_.verbose) return;
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", host, " conn ", id, " step ", to_string(tcb.state), " una ",
                  tcb.snd_una.raw, " nxt ", tcb.snd_nxt.raw, " max ", tcb.snd_max.raw, " wnd ",
                  tcb.snd_wnd, " rcv.nxt ", tcb.rcv_nxt.raw, " rcv.wnd ", tcb.rcv_wnd, " sq ",
                  tcb.send_queued, " rq ", tcb.recv_queued, tcb.fin_queued ? " fin-queued" : "",
                  " rto ", tcb.rto.us, "us retries ", tcb.retries);
  commit();
}

void TraceWriter::on_released(int host, ConnId id, Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", host, " conn ", id, " released");
  commit();
}

// ---- Harness events ----

void TraceWriter::on_wire_send(int from_host, std::span<const uint8_t> bytes, Instant now) {
  if (!options_.verbose) return;
  std::string& l = begin(now);
  absl::StrAppend(&l, "wire h", from_host, "->h", other_host(from_host), " sent ", bytes.size(),
                  " bytes");
  commit();
}

void TraceWriter::on_wire_deliver(int to_host, std::span<const uint8_t> bytes, Instant now) {
  if (!options_.verbose) return;
  std::string& l = begin(now);
  absl::StrAppend(&l, "wire h", other_host(to_host), "->h", to_host, " delivered ", bytes.size(),
                  " bytes");
  commit();
}

void TraceWriter::on_fault(int from_host, FaultKind kind, uint64_t param, Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "link h", from_host, "->h", other_host(from_host), " fault ",
                  to_string(kind));
  switch (kind) {
    case FaultKind::kDrop: break;
    case FaultKind::kDuplicate: absl::StrAppend(&l, " +", param, "us"); break;
    case FaultKind::kDelay: absl::StrAppend(&l, " +", param, "us"); break;
    case FaultKind::kReorder: absl::StrAppend(&l, " after ", param); break;
    case FaultKind::kCorrupt: absl::StrAppend(&l, " bit ", param); break;
    case FaultKind::kTruncate: absl::StrAppend(&l, " to ", param); break;
  }
  commit();
}

void TraceWriter::on_link_drop(int from_host, const char* reason, Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "link h", from_host, "->h", other_host(from_host), " drop (");
  append_sanitized(l, reason ? reason : "");
  l += ')';
  commit();
}

void TraceWriter::on_decode_error(int to_host, const absl::Status& error, Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", to_host, " decode error: ");
  append_sanitized(l, error.message());
  commit();
}

void TraceWriter::on_app_call(int host, const AppCall& call, Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", host, " app ", to_string(call.kind), "(");
  const bool has_socket = call.socket >= 0;
  if (has_socket) absl::StrAppend(&l, "sock ", call.socket);
  const bool sized = call.kind == OpKind::kSend || call.kind == OpKind::kRecv;
  if (sized) absl::StrAppend(&l, has_socket ? ", " : "", call.requested);
  l += ") = ";
  if (!call.ok) {
    l += "error: ";
    append_sanitized(l, call.error);
  } else if (sized) {
    absl::StrAppend(&l, call.result);
  } else if (call.kind == OpKind::kListen || call.kind == OpKind::kConnect ||
             call.kind == OpKind::kAccept) {
    absl::StrAppend(&l, "sock ", call.result);
  } else {
    l += "ok";
  }
  commit();
}

void TraceWriter::on_inject(int host, const IpPacket& packet, Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "h", host, " inject ");
  append_segment(l, packet.src, packet.dst, packet.tcp);
  commit();
}

void TraceWriter::on_expectation_failed(int op_index, const std::string& what, Instant now) {
  std::string& l = begin(now);
  absl::StrAppend(&l, "expectation failed at op ", op_index, ": ");
  append_sanitized(l, what);
  commit();
}

void TraceWriter::on_run_end(Instant now) {
  begin(now) += "run end";
  commit();
}

}  // namespace synfin::harness
