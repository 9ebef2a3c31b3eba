// The packetdrill importer: the script's header and events as the model's
// header and ops (socket calls: packetdrill_import_calls.cc).
#include "harness/packetdrill_import.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <utility>

#include "harness/packetdrill_compare.h"
#include "harness/packetdrill_import_internal.h"
#include "harness/packetdrill_parse.h"
#include "harness/packetdrill_setup.h"
#include "harness/packetdrill_shell.h"

namespace synfin::harness::pd {

absl::StatusOr<Imported> Importer::run() {
  if (absl::Status st = header(); !st.ok()) return st;
  for (const Event& e : script_.events) {
    if (absl::Status st = event(e); !st.ok()) return st;
  }
  flush_pending(std::nullopt);
  return finish();
}

absl::Status Importer::header() {
  const SetupResult r = read_setup(script_, profile_);
  if (r.problem) {
    return r.problem->kind == SetupProblem::Kind::kMalformed ? bad(r.problem->pos, r.problem->what)
                                                             : cannot(r.problem->pos, r.problem->what);
  }
  // A scenario can do without an option synfin has nothing for: noted, left out.
  for (const SetupProblem& p : r.no_equivalent) note(p.pos.line, absl::StrCat(p.what, "; left out"));
  family_ = r.setup.family;
  port_ = r.setup.port;
  knobs_.config = r.setup.knobs.config;
  knobs_.max_sock_buf = r.setup.knobs.max_sock_buf;
  return absl::OkStatus();
}

void Importer::wait_until(int64_t at) {
  if (at <= clock_) return;
  Op w;
  w.kind = OpKind::kWait;
  w.amount = static_cast<uint64_t>(at - clock_);
  out_.scenario.ops.push_back(w);
  out_.lines.push_back(line_);
  clock_ = at;
}

void Importer::start_host() {
  if (started_) return;
  started_ = true;
  start_config_ = knobs_.config;
}

void Importer::emit(int64_t at, Op op, std::optional<int64_t> bind_fd) {
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

void Importer::flush_pending(std::optional<int64_t> before) {
  while (!deferred_.empty() && (!before || deferred_.front().at < *before)) {
    Deferred d = std::move(deferred_.front());
    deferred_.erase(deferred_.begin());
    line_ = d.line;
    emit(d.at, d.op, d.bind_fd);
  }
}

void Importer::defer(int64_t at, Op op, std::optional<int64_t> bind_fd) {
  Deferred d{line_, at, std::move(op), bind_fd};
  auto it = std::upper_bound(deferred_.begin(), deferred_.end(), d.at,
                             [](int64_t t, const Deferred& x) { return t < x.at; });
  deferred_.insert(it, std::move(d));
}

absl::Status Importer::event(const Event& e) {
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

absl::Status Importer::inbound(const Event& e, const PacketSpec& pk, int64_t at) {
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
  if (knobs_.ecn_passive && is_ecn_setup_syn(pk.flags)) {
    note(e.pos.line, absl::StrCat(kEcnPassiveFeature, ": left out (the stack lacks it)"));
  }
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
  if (s.options.timestamps && s.flags.ack() && s.options.timestamps->ecr != 0) {
    note(e.pos.line, "TS ecr kept as written (the model does not map it to the stack's TS val)");
  }
  if (!s.options.sack.empty()) {
    note(e.pos.line, "SACK blocks kept as written (the model does not number them from the host's ISS)");
  }
  if (absl::StatusOr<uint8_t> ecn = ecn_bits(pk.ip_annotation); !ecn.ok() || *ecn != 0) {
    note(e.pos.line, absl::StrCat("IP annotation ", pk.ip_annotation, " left out (the model sets no IP fields)"));
  }
  emit(at, op);
  return absl::OkStatus();
}

absl::Status Importer::outbound(const Event& e, const PacketSpec& pk, int64_t at) {
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

void Importer::assert_state(int line, State s) {
  if (s == State::kClosed && next_index_ == 0) return;  // a socket that never had a TCB
  out_.states.push_back(StateAssertion{line, out_.scenario.ops.size(), s});
}

void Importer::command(const Event& e, const CommandSpec& c) {
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

void Importer::python(const Event& e, const CodeSpec& c) {
  const CodeAssertion a = read_code(c.text);
  if (a.kind == CodeAssertion::Kind::kState) {
    assert_state(e.pos.line, a.state);
  } else if (a.kind != CodeAssertion::Kind::kOptions) {
    note(e.pos.line, "Python block left out");
  }
}

Imported Importer::finish() {
  Scenario& s = out_.scenario;
  s.header.mode = Mode::kEndpoint;
  s.header.family = family_;
  s.header.config = started_ ? start_config_ : knobs_.config;
  if (!out_.expectations) drop_expectations(out_);
  return std::move(out_);
}

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
