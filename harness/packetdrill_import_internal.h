// The packetdrill importer's state, shared by its source files:
// packetdrill_import.cc (time, packets, shell commands, the result) and
// packetdrill_import_calls.cc (socket calls). Not for other callers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "harness/packetdrill_import.h"

namespace synfin::harness::pd {

inline absl::string_view av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

inline bool is_symbol(const Expr& e, std::string_view name) {
  return e.kind == Expr::Kind::kSymbol && e.text == name;
}

// An integer argument or result: a number, or `[N]` (packetdrill's int pointer).
inline std::optional<int64_t> int_of(const Expr& e) {
  if (e.kind == Expr::Kind::kInt) return e.value;
  if (e.kind == Expr::Kind::kList && e.items.size() == 1) return int_of(e.items[0]);
  return std::nullopt;
}

// The call failed in the script (`= -1 ERRNO`): it changed nothing.
inline bool failed(const SyscallSpec& sc) { return int_of(sc.result) == -1; }

struct Fd {
  enum class Kind : uint8_t { kFresh, kListener, kConnection };
  Kind kind = Kind::kFresh;
  std::optional<uint8_t> index;  // the model's socket index, once it has one
  bool abort_on_close = false;   // SO_LINGER {onoff=1, linger=0}
};

class Importer {
 public:
  Importer(const Script& script, const Profile& profile) : script_(script), profile_(profile) {}

  absl::StatusOr<Imported> run();

 private:
  // A call that returns at the end of its `start...end` time: emitted there.
  struct Deferred {
    int line = 0;
    int64_t at = 0;
    Op op;
    std::optional<int64_t> bind_fd;  // the descriptor the new socket gets
  };

  std::string where(SourcePos p) const { return absl::StrCat(script_.file, ":", p.line, ":", p.col, ": "); }
  absl::Status bad(SourcePos p, std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(where(p), av(what)));
  }
  absl::Status cannot(SourcePos p, std::string_view what) const {
    return absl::UnimplementedError(absl::StrCat(where(p), av(what)));
  }
  void note(int line, std::string what) { out_.notes.push_back(absl::StrCat("line ", line, ": ", what)); }
  void no_expectations(int line, std::string why) {
    if (out_.expectations) note(line, absl::StrCat("no expectations: ", why));
    out_.expectations = false;
  }

  absl::Status header();

  // The model's clock reaches `at` (microseconds from the start).
  void wait_until(int64_t at);

  // The host starts with the first listen or connect: Config is fixed from then.
  void start_host();
  void emit(int64_t at, Op op, std::optional<int64_t> bind_fd = std::nullopt);
  void flush_pending(std::optional<int64_t> before);
  void defer(int64_t at, Op op, std::optional<int64_t> bind_fd = std::nullopt);
  absl::Status event(const Event& e);
  absl::Status inbound(const Event& e, const PacketSpec& pk, int64_t at);
  absl::Status outbound(const Event& e, const PacketSpec& pk, int64_t at);
  absl::Status syscall(const Event& e, const SyscallSpec& sc, int64_t at, std::optional<int64_t> end);
  absl::Status setsockopt(const Event& e, const SyscallSpec& sc, Fd& f);
  void assert_state(int line, State s);
  void command(const Event& e, const CommandSpec& c);
  void python(const Event& e, const CodeSpec& c);
  Imported finish();

  const Script& script_;
  const Profile& profile_;
  Imported out_;
  IpFamily family_ = IpFamily::kV4;
  uint16_t port_ = 8080;
  KnobState knobs_;
  bool started_ = false;
  Config start_config_;
  std::optional<std::vector<OptionSpec::Kind>> lacking_;
  bool iss_known_ = false;   // the socket under test's first SYN or SYN-ACK was seen
  uint32_t iss_offset_ = 0;  // the script's number for the current connection's ISS
  int iss_lost_line_ = 0;    // a new incarnation's SYN-ACK line with a sequence wildcard
  int line_ = 0;             // the script line being imported
  int64_t clock_ = 0;        // the model's time: the sum of its waits
  int64_t script_time_ = 0;  // the previous event's time
  std::map<int64_t, Fd> fds_;
  uint8_t next_index_ = 0;
  std::vector<Deferred> deferred_;  // by time, then by order of the calls
};

}  // namespace synfin::harness::pd
