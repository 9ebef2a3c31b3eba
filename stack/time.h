// Virtual time. The stack never reads a clock: every entry point receives `now`.
#pragma once

#include <cstdint>
#include <string>

namespace synfin {

// A span of time in microseconds.
struct Duration {
  int64_t us = 0;

  static constexpr Duration micros(int64_t n) { return Duration{n}; }
  static constexpr Duration millis(int64_t n) { return Duration{n * 1000}; }
  static constexpr Duration seconds(int64_t n) { return Duration{n * 1000 * 1000}; }

  friend constexpr auto operator<=>(Duration, Duration) = default;
  friend constexpr Duration operator+(Duration a, Duration b) { return {a.us + b.us}; }
  friend constexpr Duration operator-(Duration a, Duration b) { return {a.us - b.us}; }
  friend constexpr Duration operator*(Duration a, int64_t k) { return {a.us * k}; }
};

// A point in virtual time, microseconds since the run began.
struct Instant {
  int64_t us = 0;

  static constexpr Instant from_micros(int64_t n) { return Instant{n}; }
  static constexpr Instant from_millis(int64_t n) { return Instant{n * 1000}; }

  friend constexpr auto operator<=>(Instant, Instant) = default;
  friend constexpr Instant operator+(Instant t, Duration d) { return {t.us + d.us}; }
  friend constexpr Duration operator-(Instant a, Instant b) { return {a.us - b.us}; }
};

// "12.345678s": fixed-point, so traces print identically everywhere.
std::string format_instant(Instant t);
std::string format_duration(Duration d);

}  // namespace synfin
