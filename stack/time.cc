#include "stack/time.h"

#include "absl/strings/str_format.h"

namespace synfin {

static std::string format_micros(int64_t us) {
  const char* sign = us < 0 ? "-" : "";
  uint64_t mag = us < 0 ? static_cast<uint64_t>(-(us + 1)) + 1 : static_cast<uint64_t>(us);
  return absl::StrFormat("%s%d.%06ds", sign, mag / 1000000, mag % 1000000);
}

std::string format_instant(Instant t) { return format_micros(t.us); }
std::string format_duration(Duration d) { return format_micros(d.us); }

}  // namespace synfin
