// The backquoted shell commands and %{ Python }% blocks of packetdrill scripts
// that synfin understands (it runs none of them): `sysctl -w NAME=VALUE`,
// `sockstat ... | grep -c STATE | grep N` and `assert tcpi_state == TCPI_X` /
// `assert tcpi_options == N`. Shared by the runner and the importer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stack/state.h"

namespace synfin::harness::pd {

// FreeBSD's sockstat and Linux's TCPI_* spellings of the states (SYN_RCVD,
// SYN_RECV, TIME_WAIT...).
std::optional<State> state_named(std::string_view name);

struct ShellCommand {
  enum class Kind : uint8_t {
    kSysctl,     // name, value
    kSockstat,   // state, count: exactly `count` of the script's sockets are in `state`
    kMalformed,  // a sysctl or sockstat line synfin cannot read
    kOther,      // any other command
  };
  Kind kind = Kind::kOther;
  std::string name, value;
  State state = State::kClosed;
  int64_t count = 0;
};
ShellCommand read_command(std::string_view text);

struct CodeAssertion {
  enum class Kind : uint8_t {
    kState,         // state
    kUnknownState,  // `assert tcpi_state == TCPI_X` with an X synfin does not know
    kOptions,       // count: tcpi_options == count
    kOther,
  };
  Kind kind = Kind::kOther;
  State state = State::kClosed;
  int64_t count = 0;
  std::string token;  // kUnknownState: the TCPI_X as written
};
CodeAssertion read_code(std::string_view text);

}  // namespace synfin::harness::pd
