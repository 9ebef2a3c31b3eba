// Profiles: what a real OS chooses where the RFCs leave the choice open, so a
// script written against FreeBSD or Linux can run against synfin unmodified;
// and the mapping of the OS knobs scripts set (`sysctl -w ...`) onto Config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "stack/config.h"
#include "stack/ip.h"
#include "stack/segment.h"

namespace synfin::harness::pd {

struct Profile {
  std::string name;                  // rfc, freebsd, linux
  std::vector<std::string> defines;  // #ifdef names that hold
  Config config;                     // MSS set per address family by config_for
  uint16_t mss_v4 = 1460;            // our MSS on a 1500-byte link
  uint16_t mss_v6 = 1440;
  int64_t o_rdwr = 0x2;              // fcntl F_GETFL bits
  int64_t o_nonblock = 0x800;
  // FreeBSD's socket layer rounds SO_RCVBUF up to a multiple of the MSS once
  // the connection is synchronized (tcp_mss_update); getsockopt shows it.
  bool rcvbuf_rounds_to_mss = false;
  bool errno_freebsd = false;        // errno numbering (names are compared as names)
  uint64_t max_sock_buf = 2097152;   // kern.ipc.maxsockbuf / net.core.rmem_max
};

absl::StatusOr<Profile> profile_named(std::string_view name);
std::vector<std::string> profile_names();

// The profile's Config for a script of this address family.
Config config_for(const Profile& p, IpFamily family);

// The errno number of `name` under the profile's numbering; nullopt if unknown.
std::optional<int64_t> errno_number(const Profile& p, std::string_view name);

// What a script's knob (sysctl) means for the run.
struct KnobEffect {
  enum class Kind : uint8_t {
    kApplied,         // set a Config value (or a socket-layer value)
    kNoEffect,        // the value is what synfin does anyway (e.g. blackhole=0)
    kMissingFeature,  // asks for a feature the stack lacks (`what` names it)
    kUnsupported,     // synfin cannot model it
  };
  Kind kind = Kind::kUnsupported;
  std::string what;  // for kMissingFeature / kUnsupported: why, in words
};

// Socket-layer values a script may set besides Config.
struct KnobState {
  Config config;
  uint64_t max_sock_buf = 2097152;
  int64_t rexmit_min_ms = -1;   // FreeBSD: the RTO floor is rexmit_min + rexmit_slop
  int64_t rexmit_slop_ms = -1;
  // ECN (RFC 3168) answered when a peer's SYN asks for it, never asked for
  // (FreeBSD ecn.enable=2, Linux tcp_ecn=2): the stack lacks ECN, but this only
  // shows when such a SYN arrives, so the runner checks inbound SYNs.
  bool ecn_passive = false;
};

// An inbound SYN that asks for ECN (RFC 3168 6.1.1: ECE and CWR set, ACK clear).
bool is_ecn_setup_syn(uint16_t flags);
inline constexpr const char* kEcnPassiveFeature =
    "ECN (RFC 3168): the peer's SYN asks for it and the profile's knob answers";

// Applies `sysctl -w NAME=VALUE` (FreeBSD net.inet.tcp.* and Linux
// net.ipv4.tcp_* names) to `state`.
KnobEffect apply_sysctl(std::string_view name, std::string_view value, KnobState& state);

}  // namespace synfin::harness::pd
