#include "stack/observer.h"

namespace synfin {

const char* to_string(Cause c) {
  switch (c) {
    case Cause::kUserListen: return "listen";
    case Cause::kUserConnect: return "connect";
    case Cause::kUserSend: return "send";
    case Cause::kUserClose: return "close";
    case Cause::kUserAbort: return "abort";
    case Cause::kRecvSyn: return "rcv-syn";
    case Cause::kRecvSynAck: return "rcv-syn-ack";
    case Cause::kRecvAck: return "rcv-ack";
    case Cause::kRecvFin: return "rcv-fin";
    case Cause::kRecvFinAck: return "rcv-fin-ack";
    case Cause::kRecvRst: return "rcv-rst";
    case Cause::kRecvSynInWindow: return "rcv-syn-in-window";
    case Cause::kTimeWaitExpired: return "2msl-timeout";
    case Cause::kRetransmitGiveUp: return "retransmit-give-up";
    case Cause::kNewIncarnation: return "new-incarnation";
    case Cause::kKeepaliveTimeout: return "keepalive-timeout";
  }
  return "invalid";
}

const char* to_string(TimerKind k) {
  switch (k) {
    case TimerKind::kRetransmit: return "retransmit";
    case TimerKind::kPersist: return "persist";
    case TimerKind::kTimeWait: return "time-wait";
    case TimerKind::kDelayedAck: return "delayed-ack";
    case TimerKind::kKeepalive: return "keepalive";
  }
  return "invalid";
}

const char* to_string(TimerAction a) {
  switch (a) {
    case TimerAction::kSet: return "set";
    case TimerAction::kFire: return "fire";
    case TimerAction::kCancel: return "cancel";
  }
  return "invalid";
}

const char* to_string(UserEvent e) {
  switch (e) {
    case UserEvent::kConnected: return "connected";
    case UserEvent::kEndOfStream: return "end-of-stream";
    case UserEvent::kRefused: return "refused";
    case UserEvent::kReset: return "reset";
    case UserEvent::kTimedOut: return "timed-out";
    case UserEvent::kSendFailed: return "send-failed";
  }
  return "invalid";
}

}  // namespace synfin
