// Backquoted shell commands and %{ Python }% blocks. Nothing is executed: the
// few forms whose meaning synfin can model are interpreted (sysctl knobs,
// sockstat state counts, tcpi_state / tcpi_options assertions); anything else
// makes the script skipped (failed under --strict) with the command named.
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "harness/packetdrill_compare.h"
#include "harness/packetdrill_runner_internal.h"
#include "harness/packetdrill_shell.h"

namespace synfin::harness::pd {

bool Runner::command(const Event& e, const CommandSpec& c) {
  const int line = e.pos.line;
  const absl::string_view text = absl::StripAsciiWhitespace(c.text);
  auto unsupported = [&]() {
    return skip(line, absl::StrCat("shell command `", text, "` (synfin runs no shell commands and has "
                                                            "no equivalent for this one)"));
  };
  const ShellCommand cmd = read_command(c.text);
  if (cmd.kind == ShellCommand::Kind::kSysctl) {
    const KnobEffect effect = apply_sysctl(cmd.name, cmd.value, knobs_);
    if (host_ && !(knobs_.config == host_->config()) && !config_changed_line_) config_changed_line_ = line;
    switch (effect.kind) {
      case KnobEffect::Kind::kApplied:
      case KnobEffect::Kind::kNoEffect:
        return true;
      case KnobEffect::Kind::kMissingFeature:
        return missing(line, effect.what);
      case KnobEffect::Kind::kUnsupported:
        return skip(line, absl::StrCat("`", text, "`: ", effect.what));
    }
    return unsupported();
  }
  if (cmd.kind == ShellCommand::Kind::kSockstat) {
    int64_t have = 0;
    for (const auto& [id, s] : tcbs_.states()) have += s == cmd.state;
    if (cmd.state == State::kClosed) {
      // Sockets without a TCB (never connected, or whose connection ended).
      for (const auto& [n, f] : fds_) {
        if (f.kind == FdEntry::Kind::kFresh || !host_ || !host_->connection(f.handle)) ++have;
      }
    }
    if (have != cmd.count) {
      return fail(line, absl::StrCat("`", text, "`: ", have, " sockets in ", to_string(cmd.state),
                                     ", expected ", cmd.count));
    }
    return true;
  }
  return unsupported();
}

bool Runner::code(const Event& e, const CodeSpec& c) {
  const int line = e.pos.line;
  const CodeAssertion a = read_code(c.text);
  switch (a.kind) {
    case CodeAssertion::Kind::kState: {
      const State have = under_test_state().value_or(State::kClosed);
      if (have != a.state) {
        return fail(line, absl::StrCat("tcpi_state is ", to_string(have), ", expected ", to_string(a.state)));
      }
      return true;
    }
    case CodeAssertion::Kind::kUnknownState:
      return skip(line, absl::StrCat("Python block: unknown state ", a.token));
    case CodeAssertion::Kind::kOptions:
      // The options the connection negotiated: none while the stack sends none.
      if (lacking_options().size() < 4) {
        return skip(line, "Python block: tcpi_options of a stack that negotiates options");
      }
      if (a.count != 0) return fail(line, absl::StrCat("tcpi_options is 0 (none negotiated), expected ", a.count));
      return true;
    case CodeAssertion::Kind::kOther:
      break;
  }
  return skip(line, absl::StrCat("Python block %{", c.text, "}% (synfin runs no Python; it reads only "
                                 "`assert tcpi_state == TCPI_X` and `assert tcpi_options == N`)"));
}

}  // namespace synfin::harness::pd
