// RFC 7323 sections 3 to 5, the Timestamps option: its clock, the serial order of
// its values, and the validity of TS.Recent, as pure functions.
#pragma once

#include <cstdint>

#include "stack/time.h"

namespace synfin {

// A TSval or TSecr. Like sequence numbers they live on a 32-bit circle and are
// compared in serial order (RFC 7323 5.2: "using 32-bit modular arithmetic"); a
// distinct type keeps them from mixing with sequence numbers.
struct TsVal {
  uint32_t raw = 0;
  friend constexpr bool operator==(TsVal, TsVal) = default;
};

// a < b on the timestamp circle (FreeBSD's TSTMP_LT).
constexpr bool ts_lt(TsVal a, TsVal b) { return static_cast<int32_t>(a.raw - b.raw) < 0; }

// The timestamp clock ticks once a millisecond (RFC 7323 5.4: "between 1 ms and
// 1 sec per tick"), from virtual time, plus a per-connection offset so the
// values do not reveal the host's clock (RFC 7323 5.4, 7.1).
constexpr TsVal ts_clock(Instant now, uint32_t offset) {
  return TsVal{offset + static_cast<uint32_t>(static_cast<uint64_t>(now.us) / 1000)};
}

// RFC 7323 5.5: "If the connection has been idle more than 24 days, ... TS.Recent
// [is] invalid" and the PAWS test is skipped.
inline constexpr Duration kTsRecentLifetime = Duration::seconds(24 * 24 * 3600);

// The TCP header bytes a TSopt takes, with the two NOPs that align it.
inline constexpr uint32_t kTimestampsOptionBytes = 12;

}  // namespace synfin
