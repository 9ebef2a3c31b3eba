// An Observer that writes down what the stack decided, for tests to assert on:
// every state transition as a (from, to, cause) edge of RFC 9293's state diagram,
// the user events, the timer actions and the released connections.
//
// It also checks that each connection's transitions chain: a transition's `from`
// must be the state the previous one left the connection in. A new connection
// starts in CLOSED, a child a listener spawned in LISTEN (it stands for the
// listener's LISTEN TCB of RFC 9293, see Connection::become_listening_child).
//
// One recorder per Host: connection ids are only unique within a host.
#pragma once

#include <compare>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "stack/connection.h"
#include "stack/observer.h"
#include "stack/state.h"

namespace synfin::testing {

// One edge of the state diagram, labelled with the event that took it.
struct Edge {
  State from = State::kClosed;
  State to = State::kClosed;
  Cause cause = Cause::kUserListen;
  friend auto operator<=>(const Edge&, const Edge&) = default;
};

inline std::string describe(const Edge& e) {
  return absl::StrCat(to_string(e.from), " -> ", to_string(e.to), " (", to_string(e.cause), ")");
}

using EdgeSet = std::set<Edge>;

// "CLOSED SYN-SENT ESTABLISHED": a path of states as the RFC spells them, so that
// a failed comparison prints readably (Catch2 would print the enum's number).
inline std::string names(const std::vector<State>& path) {
  std::string out;
  for (State s : path) absl::StrAppend(&out, out.empty() ? "" : " ", to_string(s));
  return out;
}

class RecordingObserver : public Observer {
 public:
  struct Transition {
    ConnId id;
    Edge edge;
    Instant at;
  };
  struct Event {
    ConnId id;
    UserEvent event;
    Instant at;
  };
  struct TimerRecord {
    ConnId id;
    TimerKind kind;
    TimerAction action;
    Instant deadline;
    Instant at;
  };

  void on_created(ConnId id, ConnId parent, const FourTuple&, Instant) override {
    state_[id] = parent == kNoConn ? State::kClosed : State::kListen;
  }
  void on_transition(ConnId id, State from, State to, Cause cause, Instant now) override {
    transitions_.push_back({id, {from, to, cause}, now});
    auto it = state_.find(id);
    if (it == state_.end()) {
      errors_.push_back(absl::StrCat(
          "conn ", id, ": transition before creation: ", describe(Edge{from, to, cause})));
    } else if (it->second != from) {
      errors_.push_back(absl::StrCat("conn ", id, ": was ", to_string(it->second),
                                     " but transition says ", describe(Edge{from, to, cause})));
    }
    state_[id] = to;
  }
  void on_user_event(ConnId id, UserEvent event, Instant now) override {
    events_.push_back({id, event, now});
  }
  void on_timer(ConnId id, TimerKind kind, TimerAction action, Instant deadline,
                Instant now) override {
    timers_.push_back({id, kind, action, deadline, now});
  }
  void on_released(ConnId id, Instant) override { released_.push_back(id); }

  const std::vector<Transition>& transitions() const { return transitions_; }
  const std::vector<Event>& events() const { return events_; }
  const std::vector<TimerRecord>& timers() const { return timers_; }
  const std::vector<ConnId>& released() const { return released_; }
  // Transitions whose `from` was not where the previous one left the connection.
  const std::vector<std::string>& continuity_errors() const { return errors_; }

  EdgeSet edges() const {
    EdgeSet s;
    for (const Transition& t : transitions_) s.insert(t.edge);
    return s;
  }
  bool saw(State from, State to, Cause cause) const {
    return edges().contains(Edge{from, to, cause});
  }
  // The states one connection went through, its starting state first.
  std::vector<State> path(ConnId id) const {
    std::vector<State> p;
    for (const Transition& t : transitions_) {
      if (t.id != id) continue;
      if (p.empty()) p.push_back(t.edge.from);
      p.push_back(t.edge.to);
    }
    return p;
  }
  std::vector<UserEvent> events_of(ConnId id) const {
    std::vector<UserEvent> v;
    for (const Event& e : events_) {
      if (e.id == id) v.push_back(e.event);
    }
    return v;
  }
  bool was_released(ConnId id) const {
    for (ConnId r : released_) {
      if (r == id) return true;
    }
    return false;
  }
  // "ESTABLISHED -> FIN-WAIT-1 (close)\n..." for failure messages.
  std::string transcript() const {
    std::string out;
    for (const Transition& t : transitions_) {
      absl::StrAppend(&out, "\n  conn ", t.id, " at ", format_instant(t.at), ": ",
                      describe(t.edge));
    }
    return out;
  }

 private:
  std::vector<Transition> transitions_;
  std::vector<Event> events_;
  std::vector<TimerRecord> timers_;
  std::vector<ConnId> released_;
  std::vector<std::string> errors_;
  absl::flat_hash_map<ConnId, State> state_;
};

}  // namespace synfin::testing
