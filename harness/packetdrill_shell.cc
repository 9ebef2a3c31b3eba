#include "harness/packetdrill_shell.h"

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace synfin::harness::pd {
namespace {

std::vector<absl::string_view> words(absl::string_view s) {
  return absl::StrSplit(s, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
}

std::string_view sv(absl::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace

std::optional<State> state_named(std::string_view s) {
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

ShellCommand read_command(std::string_view command) {
  using K = ShellCommand::Kind;
  const absl::string_view text = absl::StripAsciiWhitespace(absl::string_view(command.data(), command.size()));
  const std::vector<absl::string_view> w = words(text);
  ShellCommand out;
  if (w.empty()) return out;
  if (w[0] == "sysctl") {
    // sysctl [-q] [-w] NAME=VALUE
    out.kind = K::kMalformed;
    absl::string_view assignment;
    for (size_t i = 1; i < w.size(); ++i) {
      if (w[i] == "-w" || w[i] == "-q") continue;
      if (!assignment.empty()) return out;
      assignment = w[i];
    }
    const size_t eq = assignment.find('=');
    if (eq == absl::string_view::npos) return out;
    out.kind = K::kSysctl;
    out.name = std::string(assignment.substr(0, eq));
    out.value = std::string(assignment.substr(eq + 1));
    return out;
  }
  if (w[0] == "sockstat") {
    // sockstat ... | grep packetdril | grep -c STATE | grep N
    out.kind = K::kMalformed;
    const std::vector<absl::string_view> stages = absl::StrSplit(text, '|');
    std::optional<State> state;
    std::optional<int64_t> count;
    for (size_t i = 1; i < stages.size(); ++i) {
      const std::vector<absl::string_view> g = words(stages[i]);
      if (g.size() == 3 && g[0] == "grep" && g[1] == "-c") {
        state = state_named(sv(g[2]));
      } else if (g.size() == 2 && g[0] == "grep" && g[1] == "packetdril") {
      } else if (g.size() == 2 && g[0] == "grep" && state) {
        int64_t n = 0;
        if (absl::SimpleAtoi(g[1], &n)) count = n;
      } else {
        return out;
      }
    }
    if (!state || !count) return out;
    out.kind = K::kSockstat;
    out.state = *state;
    out.count = *count;
    return out;
  }
  return out;
}

CodeAssertion read_code(std::string_view code) {
  using K = CodeAssertion::Kind;
  const std::vector<absl::string_view> w = words(absl::string_view(code.data(), code.size()));
  CodeAssertion out;
  // assert tcpi_state == TCPI_X   |   assert tcpi_options == N
  if (w.size() != 4 || w[0] != "assert" || w[2] != "==") return out;
  if (w[1] == "tcpi_state" && absl::StartsWith(w[3], "TCPI_")) {
    if (const std::optional<State> s = state_named(sv(w[3].substr(5)))) {
      out.kind = K::kState;
      out.state = *s;
    } else {
      out.kind = K::kUnknownState;
      out.token = std::string(w[3]);
    }
    return out;
  }
  int64_t n = 0;
  if (w[1] == "tcpi_options" && absl::SimpleAtoi(w[3], &n)) {
    out.kind = K::kOptions;
    out.count = n;
  }
  return out;
}

}  // namespace synfin::harness::pd
