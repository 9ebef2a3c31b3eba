// The eleven connection states of RFC 9293 section 3.3.2, and sets of them.
#pragma once

#include <cstdint>


namespace synfin {

enum class State : uint8_t {
  kClosed,
  kListen,
  kSynSent,
  kSynReceived,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kCloseWait,
  kClosing,
  kLastAck,
  kTimeWait,
};
inline constexpr int kNumStates = 11;

// RFC spelling: "SYN-RECEIVED", "FIN-WAIT-1", ...
const char* to_string(State s);

// A set of states as a bitmask value: `kSynchronizedStates.contains(s)`.
class StateSet {
 public:
  constexpr StateSet() = default;
  constexpr StateSet(State s) : mask_(bit(s)) {}  // NOLINT: a state is a one-element set

  constexpr bool contains(State s) const { return mask_ & bit(s); }
  friend constexpr StateSet operator|(StateSet a, StateSet b) { return StateSet(a.mask_ | b.mask_); }
  friend constexpr bool operator==(StateSet, StateSet) = default;

 private:
  constexpr explicit StateSet(uint16_t m) : mask_(m) {}
  static constexpr uint16_t bit(State s) { return static_cast<uint16_t>(1u << static_cast<int>(s)); }
  uint16_t mask_ = 0;
};
constexpr StateSet operator|(State a, State b) { return StateSet(a) | StateSet(b); }

// RFC 9293 3.3.2: states after the SYNs have been exchanged both ways.
inline constexpr StateSet kSynchronizedStates =
    State::kEstablished | State::kFinWait1 | State::kFinWait2 | State::kCloseWait |
    State::kClosing | State::kLastAck | State::kTimeWait;

// States in which our FIN has been queued or sent: the app may no longer send.
inline constexpr StateSet kLocalFinStates =
    State::kFinWait1 | State::kFinWait2 | State::kClosing | State::kLastAck | State::kTimeWait;

// States in which the peer's FIN has been received: no more data will arrive.
inline constexpr StateSet kRemoteFinStates =
    State::kCloseWait | State::kClosing | State::kLastAck | State::kTimeWait;

}  // namespace synfin
