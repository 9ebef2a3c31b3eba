// The script runner: virtual time, packets in and out, and the event loop.
#include "harness/packetdrill_runner.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "harness/packetdrill_compare.h"
#include "harness/packetdrill_parse.h"
#include "harness/packetdrill_runner_internal.h"
#include "harness/packetdrill_setup.h"
#include "harness/pattern.h"
#include "stack/codec.h"

namespace synfin::harness::pd {
namespace {

// The scripted peer's initial sequence number: the script's "0" on inbound lines.
constexpr uint32_t kScriptIsn = 1000000;
constexpr uint64_t kMaxTimerEvents = 1000000;

Rfc6528IsnGenerator::Key fixed_key() {
  Rfc6528IsnGenerator::Key k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(0x5d + 7 * i);
  return k;
}

std::string seconds(Instant t) { return absl::StrFormat("%.6f", static_cast<double>(t.us) / 1e6); }

}  // namespace

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::kPassed: return "passed";
    case Verdict::kFailed: return "failed";
    case Verdict::kSkipped: return "skipped";
  }
  return "?";
}

Runner::Runner(const Script& script, const RunOptions& options) : script_(script), opt_(options) {
  result_.file = script.file;
  peer_isn_ = kScriptIsn;
}

bool Runner::fail(int line, std::string message) {
  if (stopped_) return false;
  stopped_ = true;
  result_.verdict = Verdict::kFailed;
  result_.line = line;
  result_.message = std::move(message);
  return false;
}

bool Runner::skip(int line, std::string why) {
  if (opt_.strict) return fail(line, absl::StrCat("unsupported (--strict): ", why));
  if (stopped_) return false;
  stopped_ = true;
  result_.verdict = Verdict::kSkipped;
  result_.line = line;
  result_.message = std::move(why);
  return false;
}

bool Runner::missing(int line, const std::string& feature) {
  if (opt_.lax) {
    if (std::find(result_.lax_notes.begin(), result_.lax_notes.end(), feature) == result_.lax_notes.end()) {
      result_.lax_notes.push_back(feature);
    }
    return true;
  }
  return skip(line, absl::StrCat("needs ", feature, ", which the stack lacks"));
}

// ---------------------------------------------------------------------------
// Setup.

bool Runner::setup() {
  const SetupResult r = read_setup(script_, opt_.profile);
  if (r.problem) {
    return r.problem->kind == SetupProblem::Kind::kMalformed ? fail(r.problem->pos.line, r.problem->what)
                                                             : skip(r.problem->pos.line, r.problem->what);
  }
  // An option the run cannot honour makes it a different test: skipped.
  if (!r.no_equivalent.empty()) return skip(r.no_equivalent.front().pos.line, r.no_equivalent.front().what);
  family_ = r.setup.family;
  port_ = r.setup.port;
  knobs_.config = r.setup.knobs.config;
  knobs_.max_sock_buf = r.setup.knobs.max_sock_buf;
  tuple_.local_addr = host_address(family_, 0);
  tuple_.remote_addr = host_address(family_, 1);
  tuple_.local_port = port_;
  tuple_.remote_port = next_remote_port_;
  return true;
}

bool Runner::ensure_host(int line) {
  if (host_) {
    if (config_changed_line_) {
      return skip(*config_changed_line_,
                  "changes a stack setting after the first connection (synfin's Config is fixed per host)");
    }
    return true;
  }
  isn_ = std::make_unique<Rfc6528IsnGenerator>(fixed_key());
  observers_.add(&tcbs_);
  if (opt_.oracles) {
    ScenarioHeader h;
    h.mode = Mode::kEndpoint;
    h.family = family_;
    h.config = knobs_.config;
    h.peer_isn = peer_isn_;
    oracles_ = std::make_unique<OracleSet>(h, &sink_);
    observers_.add(oracles_.get());
  }
  adapter_ = std::make_unique<HostObserverAdapter>(0, &observers_);
  Host::Options o{host_address(family_, 0), knobs_.config, 1};
  host_ = std::make_unique<Host>(o, *isn_, adapter_.get());
  return true;
}

// ---------------------------------------------------------------------------
// Time and packets.

void Runner::collect() {
  if (!host_) return;
  std::vector<IpPacket>& out = host_->outbox();
  for (IpPacket& p : out) {
    ++result_.packets;
    std::vector<uint8_t> wire;
    if (encode_packet(p, wire).ok()) observers_.on_wire_send(0, wire, now_);
    const Segment& s = p.tcp;
    if (s.flags.syn() && !iss_known_ && s.src_port == tuple_.local_port &&
        s.dst_port == tuple_.remote_port) {
      local_iss_ = s.seq.raw;
      iss_known_ = true;
    }
    sent_.push_back(Sent{now_, std::move(p)});
  }
  out.clear();
}

void Runner::advance_to(Instant t) {
  while (host_ && !stopped_) {
    const std::optional<Instant> d = host_->next_deadline();
    if (!d || *d > t) break;
    if (++timer_events_ > kMaxTimerEvents) {
      fail(line_, "the host's timers fired more than a million times");
      return;
    }
    now_ = std::max(now_, *d);
    host_->on_timer(now_);
    collect();
    poll_pending();
  }
  now_ = std::max(now_, t);
}

void Runner::deliver(IpPacket& p) {
  std::vector<uint8_t> wire;
  if (encode_packet(p, wire).ok()) {
    observers_.on_inject(0, p, now_);
    observers_.on_wire_send(1, wire, now_);
    observers_.on_wire_deliver(0, wire, now_);
  }
  ++result_.packets;
  host_->receive(now_, p);
  collect();
  poll_pending();
}

void Runner::notify_app_call(OpKind kind, SocketId handle, bool ok, uint64_t value) {
  AppCall c;
  c.kind = kind;
  c.handle = handle;
  c.ok = ok;
  c.result = value;
  observers_.on_app_call(0, c, now_);
}

std::optional<State> Runner::under_test_state() const {
  if (!host_) return std::nullopt;
  if (tuple_is_listener_) {
    for (const auto& [n, f] : fds_) {
      if (f.kind == FdEntry::Kind::kListener) {
        if (const Connection* c = host_->connection(f.handle)) return c->state();
      }
    }
    return State::kClosed;
  }
  if (const Connection* c = host_->find(tuple_)) return c->state();
  return State::kClosed;
}

bool Runner::check_unexpected(int line, Instant before) {
  if (sent_.empty() || sent_.front().at >= before) return true;
  const Sent& s = sent_.front();
  return fail(line, absl::StrCat("unexpected outbound packet at ", seconds(s.at), ": ",
                                 describe_actual(s.packet.tcp, local_iss_, peer_isn_),
                                 " (no script line expects it before this one at ",
                                 seconds(before), ")"));
}

bool Runner::inbound(const Event& e, const PacketSpec& pk) {
  if (!ensure_host(e.pos.line)) return false;
  const bool syn_only = (pk.flags & Flags::kSyn) && !(pk.flags & Flags::kAck);
  if (tuple_is_listener_ && syn_only) {
    tuple_.remote_port = next_remote_port_++;
    tuple_is_listener_ = false;
    iss_known_ = false;
    local_iss_ = 0;
  }
  if (pk.seq_any) return fail(e.pos.line, "an inbound packet needs a sequence number, not ...");
  if (pk.options_mode == PacketSpec::Options::kAny) {
    return fail(e.pos.line, "an inbound packet needs its options spelled out, not <...>");
  }
  IpPacket p;
  p.src = tuple_.remote_addr;
  p.dst = tuple_.local_addr;
  Segment& s = p.tcp;
  s.src_port = tuple_.remote_port;
  s.dst_port = tuple_.local_port;
  s.flags = Flags(pk.flags);
  if (knobs_.ecn_passive && is_ecn_setup_syn(pk.flags) && !missing(e.pos.line, kEcnPassiveFeature)) return false;
  s.seq = SeqNum(peer_isn_ + pk.seq);
  s.ack = SeqNum((iss_known_ ? local_iss_ : 0) + pk.ack.value_or(0));
  if (pk.win && *pk.win > 65535) return fail(e.pos.line, "a window of at most 65535");
  if (pk.urg && *pk.urg > 65535) return fail(e.pos.line, "an urgent pointer of at most 65535");
  s.window = static_cast<uint16_t>(pk.win.value_or(65535));
  s.urgent_pointer = static_cast<uint16_t>(pk.urg.value_or(0));
  absl::StatusOr<TcpOptions> opts = options_from_spec(pk.options, iss_known_ ? local_iss_ : 0);
  if (!opts.ok()) return skip(e.pos.line, std::string(opts.status().message()));
  s.options = *opts;
  if (s.options.timestamps && s.flags.ack()) s.options.timestamps->ecr = live_ts_ecr(s.options.timestamps->ecr);
  if (s.flags.syn()) peer_mss_ = s.options.mss.value_or(0);
  absl::StatusOr<uint8_t> tos = ecn_bits(pk.ip_annotation);
  if (!tos.ok()) return skip(e.pos.line, std::string(tos.status().message()));
  p.tos = *tos;
  if (pk.len > 0) {
    // The peer's bytes follow the harness stream pattern at their offset, so the
    // stream oracle can check what the app reads.
    const SeqNum first = s.seq + SeqLen(s.flags.syn() ? 1 : 0);
    s.payload.resize(pk.len);
    fill_stream(distance(SeqNum(peer_isn_ + 1), first).raw, s.payload);
  }
  if (encoded_options_size(s.options) > 40) return fail(e.pos.line, "options longer than 40 bytes");
  deliver(p);
  return true;
}

// packetdrill's timestamp mapping: the TS val a '>' line writes stands for the
// one the stack sent, so a '<' line that echoes it (TS ecr) gets the live value;
// an ecr no line wrote counts from the first pair seen.
void Runner::note_ts_val(const PacketSpec& want, const Segment& got) {
  if (!got.options.timestamps || want.options_mode != PacketSpec::Options::kList) return;
  for (const OptionSpec& o : want.options) {
    if (o.kind != OptionSpec::Kind::kTimestamp) continue;
    ts_val_map_[o.a] = got.options.timestamps->val;
    if (!first_ts_) first_ts_ = std::make_pair(o.a, got.options.timestamps->val);
  }
}

uint32_t Runner::live_ts_ecr(uint32_t script_ecr) const {
  if (auto it = ts_val_map_.find(script_ecr); it != ts_val_map_.end()) return it->second;
  if (first_ts_) return script_ecr - first_ts_->first + first_ts_->second;
  return script_ecr;
}

const std::vector<OptionSpec::Kind>& Runner::lacking_options() {
  if (!lacking_) lacking_ = probe_lacking_options(knobs_.config, family_);
  return *lacking_;
}

bool Runner::outbound(const Event& e, const PacketSpec& pk, Instant at, std::optional<Instant> until) {
  const int line = e.pos.line;
  if (!ensure_host(line)) return false;
  // Options the stack never sends: the script needs a feature the stack lacks.
  PacketSpec want = pk;
  if (pk.options_mode == PacketSpec::Options::kList) {
    const std::vector<OptionSpec::Kind>& lacking = lacking_options();
    std::vector<OptionSpec> kept;
    for (const OptionSpec& o : pk.options) {
      if (std::find(lacking.begin(), lacking.end(), o.kind) != lacking.end()) {
        if (!missing(line, absl::StrCat("the ", option_name(o.kind), " option"))) return false;
      } else {
        kept.push_back(o);
      }
    }
    want.options = std::move(kept);
  }
  const bool any_time = e.time.kind == EventTime::Kind::kAny;
  const Instant deadline = any_time ? now_ + Duration::seconds(3600) : until.value_or(at);
  while (sent_.empty() && !stopped_) {
    const std::optional<Instant> d = host_->next_deadline();
    if (!d || *d > deadline) break;
    advance_to(*d);
  }
  if (stopped_) return false;
  if (sent_.empty()) {
    advance_to(deadline);
    if (stopped_) return false;
  }
  if (sent_.empty()) {
    // Look ahead, only to say what came instead.
    std::string next = "nothing was sent";
    for (int i = 0; i < 64 && sent_.empty() && !stopped_; ++i) {
      const std::optional<Instant> d = host_->next_deadline();
      if (!d || *d > deadline + Duration::seconds(600)) break;
      advance_to(*d);
    }
    if (!sent_.empty()) {
      next = absl::StrCat("the next packet came at ", seconds(sent_.front().at), ": ",
                          describe_actual(sent_.front().packet.tcp, local_iss_, peer_isn_));
    }
    return fail(line, absl::StrCat("expected ", describe_expected(pk), " at ", seconds(at),
                                   "; ", next));
  }
  const Sent got = std::move(sent_.front());
  sent_.pop_front();
  if (pk.flags & Flags::kSyn && !(pk.flags & Flags::kAck) && !iss_known_) {
    local_iss_ = got.packet.tcp.seq.raw;
    iss_known_ = true;
  }
  note_ts_val(want, got.packet.tcp);
  const std::string why = compare_outbound(want, got.packet.tcp, local_iss_, peer_isn_);
  if (!why.empty()) {
    return fail(line, absl::StrCat(why, ": expected ", describe_expected(pk), ", actual ",
                                   describe_actual(got.packet.tcp, local_iss_, peer_isn_)));
  }
  if (!any_time && (got.at < at || got.at > deadline)) {
    return fail(line, absl::StrCat("sent at ", seconds(got.at), ", expected at ", seconds(at),
                                   until ? absl::StrCat("~", seconds(*until)) : "", ": ",
                                   describe_actual(got.packet.tcp, local_iss_, peer_isn_)));
  }
  return true;
}

// ---------------------------------------------------------------------------
// The event loop.

bool Runner::run_event(size_t index) {
  const Event& e = script_.events[index];
  line_ = e.pos.line;
  sink_.line = line_;
  Instant start, end;
  std::optional<Instant> until;
  switch (e.time.kind) {
    case EventTime::Kind::kAbsolute:
      start = Instant{e.time.us};
      if (e.time.end_us) until = Instant{*e.time.end_us};
      break;
    case EventTime::Kind::kRelative:
      start = script_time_ + Duration{e.time.us};
      if (e.time.end_us) until = script_time_ + Duration{*e.time.end_us};
      break;
    case EventTime::Kind::kAny:
      start = now_;
      break;
  }
  if (start < script_time_) {
    return fail(line_, absl::StrCat("time ", seconds(start), " is before the previous event's ",
                                    seconds(script_time_)));
  }
  const PacketSpec* pk = std::get_if<PacketSpec>(&e.body);
  const bool expecting = pk && !pk->inbound;
  if (!expecting) {
    if (!check_unexpected(line_, start)) return false;
    advance_to(start);
    if (stopped_) return false;
    if (!check_unexpected(line_, start)) return false;
  }
  bool ok = true;
  if (pk) {
    ok = pk->inbound ? inbound(e, *pk) : outbound(e, *pk, start, until);
  } else if (const auto* sc = std::get_if<SyscallSpec>(&e.body)) {
    ok = syscall(e, *sc, start);
  } else if (const auto* cmd = std::get_if<CommandSpec>(&e.body)) {
    ok = command(e, *cmd);
  } else if (const auto* py = std::get_if<CodeSpec>(&e.body)) {
    ok = code(e, *py);
  }
  if (!ok || stopped_) return false;
  // A blocking call's later lines happen while it blocks: they count from its start.
  end = start;
  script_time_ = e.time.kind == EventTime::Kind::kAny ? now_ : end;
  if (sink_.first) {
    return fail(sink_.first->line, absl::StrCat("oracle violation: ", sink_.first->violation.to_string()));
  }
  return true;
}

ScriptResult Runner::run() {
  if (setup()) {
    for (size_t i = 0; i < script_.events.size(); ++i) {
      if (!run_event(i)) break;
    }
  }
  if (!stopped_ && pending_) {
    fail(pending_->line,
         absl::StrCat(pending_->call.name, "() blocked and never returned before the script ended"));
  }
  if (!stopped_ && !sent_.empty() && sent_.front().at < script_time_) {
    check_unexpected(line_, script_time_);
  }
  if (!stopped_ && host_ && oracles_) {
    // After the script the host runs on (the peer says nothing more) until it
    // is quiet, so the oracles can judge how its connections end.
    const Config& c = knobs_.config;
    const Instant bound = now_ + c.rto_max * (std::max(c.syn_retries, c.data_retries) + 2) +
                          c.msl * 2 + Duration::seconds(1);
    sent_.clear();
    bool quiet = false;
    for (;;) {
      const std::optional<Instant> d = host_->next_deadline();
      if (!d) {
        quiet = true;
        break;
      }
      if (*d > bound || stopped_) break;
      advance_to(*d);
      sent_.clear();
    }
    oracles_->finish(quiet, now_);
    observers_.on_run_end(now_);
    if (sink_.first) {
      fail(sink_.first->line, absl::StrCat("oracle violation: ", sink_.first->violation.to_string()));
    }
  }
  result_.end = now_;
  return result_;
}

ScriptResult run_script(const Script& script, const RunOptions& options) {
  Runner r(script, options);
  return r.run();
}

ScriptResult run_script_file(const std::string& path, const RunOptions& options) {
  ScriptResult bad;
  bad.file = path;
  bad.verdict = Verdict::kFailed;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    bad.message = absl::StrCat(path, ": cannot open");
    return bad;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  absl::StatusOr<Script> s = parse_script(text, path, options.profile.defines);
  if (!s.ok()) {
    bad.message = std::string(s.status().message());
    return bad;
  }
  return run_script(*s, options);
}

}  // namespace synfin::harness::pd
