// Backquoted shell commands and %{ Python }% blocks. Nothing is executed: the
// few forms whose meaning synfin can model are interpreted (sysctl knobs,
// sockstat state counts, tcpi_state / tcpi_options assertions); anything else
// makes the script skipped (failed under --strict) with the command named.
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "harness/packetdrill_compare.h"
#include "harness/packetdrill_runner_internal.h"

namespace synfin::harness::pd {
namespace {

// FreeBSD's sockstat / Linux's TCPI_* spellings of the states.
std::optional<State> state_named(absl::string_view s) {
  struct Name {
    const char* name;
    State state;
  };
  static constexpr Name kNames[] = {
      {"CLOSED", State::kClosed},          {"LISTEN", State::kListen},
      {"SYN_SENT", State::kSynSent},       {"SYN_RCVD", State::kSynReceived},
      {"SYN_RECEIVED", State::kSynReceived}, {"SYN_RECV", State::kSynReceived},
      {"ESTABLISHED", State::kEstablished}, {"FIN_WAIT_1", State::kFinWait1},
      {"FIN_WAIT_2", State::kFinWait2},    {"CLOSE_WAIT", State::kCloseWait},
      {"CLOSING", State::kClosing},        {"LAST_ACK", State::kLastAck},
      {"TIME_WAIT", State::kTimeWait},
  };
  for (const Name& n : kNames) {
    if (s == n.name) return n.state;
  }
  return std::nullopt;
}

std::vector<absl::string_view> words(absl::string_view s) {
  return absl::StrSplit(s, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
}

}  // namespace

bool Runner::command(const Event& e, const CommandSpec& c) {
  const int line = e.pos.line;
  const absl::string_view text = absl::StripAsciiWhitespace(c.text);
  const std::vector<absl::string_view> w = words(text);
  auto unsupported = [&]() {
    return skip(line, absl::StrCat("shell command `", text, "` (synfin runs no shell commands and has "
                                                            "no equivalent for this one)"));
  };
  if (!w.empty() && w[0] == "sysctl") {
    // sysctl [-q] [-w] NAME=VALUE
    absl::string_view assignment;
    for (size_t i = 1; i < w.size(); ++i) {
      if (w[i] == "-w" || w[i] == "-q") continue;
      if (!assignment.empty()) return unsupported();
      assignment = w[i];
    }
    const size_t eq = assignment.find('=');
    if (eq == absl::string_view::npos) return unsupported();
    const std::string name(assignment.substr(0, eq)), value(assignment.substr(eq + 1));
    const KnobEffect effect = apply_sysctl(name, value, knobs_);
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
  if (!w.empty() && w[0] == "sockstat") {
    // sockstat ... | grep packetdril | grep -c STATE | grep N: exactly N of the
    // script's sockets are in STATE.
    const std::vector<absl::string_view> stages = absl::StrSplit(text, '|');
    std::optional<State> state;
    std::optional<int64_t> count;
    for (size_t i = 1; i < stages.size(); ++i) {
      const std::vector<absl::string_view> g = words(stages[i]);
      if (g.size() == 3 && g[0] == "grep" && g[1] == "-c") {
        state = state_named(g[2]);
      } else if (g.size() == 2 && g[0] == "grep" && g[1] == "packetdril") {
      } else if (g.size() == 2 && g[0] == "grep" && state) {
        int64_t n = 0;
        if (absl::SimpleAtoi(g[1], &n)) count = n;
      } else {
        return unsupported();
      }
    }
    if (!state || !count) return unsupported();
    int64_t have = 0;
    for (const auto& [id, s] : tcbs_.states()) have += s == *state;
    if (*state == State::kClosed) {
      // Sockets without a TCB (never connected, or whose connection ended).
      for (const auto& [n, f] : fds_) {
        if (f.kind == FdEntry::Kind::kFresh || !host_ || !host_->connection(f.handle)) ++have;
      }
    }
    if (have != *count) {
      return fail(line, absl::StrCat("`", text, "`: ", have, " sockets in ", to_string(*state),
                                     ", expected ", *count));
    }
    return true;
  }
  return unsupported();
}

bool Runner::code(const Event& e, const CodeSpec& c) {
  const int line = e.pos.line;
  const std::vector<absl::string_view> w = words(c.text);
  // assert tcpi_state == TCPI_X   |   assert tcpi_options == N
  if (w.size() == 4 && w[0] == "assert" && w[2] == "==") {
    if (w[1] == "tcpi_state" && absl::StartsWith(w[3], "TCPI_")) {
      const std::optional<State> want = state_named(w[3].substr(5));
      if (!want) return skip(line, absl::StrCat("Python block: unknown state ", w[3]));
      const State have = under_test_state().value_or(State::kClosed);
      if (have != *want) {
        return fail(line, absl::StrCat("tcpi_state is ", to_string(have), ", expected ", to_string(*want)));
      }
      return true;
    }
    int64_t n = 0;
    if (w[1] == "tcpi_options" && absl::SimpleAtoi(w[3], &n)) {
      // The options the connection negotiated: none while the stack sends none.
      if (lacking_options().size() < 4) {
        return skip(line, "Python block: tcpi_options of a stack that negotiates options");
      }
      if (n != 0) return fail(line, absl::StrCat("tcpi_options is 0 (none negotiated), expected ", n));
      return true;
    }
  }
  return skip(line, absl::StrCat("Python block %{", c.text, "}% (synfin runs no Python; it reads only "
                                 "`assert tcpi_state == TCPI_X` and `assert tcpi_options == N`)"));
}

}  // namespace synfin::harness::pd
