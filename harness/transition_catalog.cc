#include "harness/transition_catalog.h"

namespace synfin::harness {
namespace {

using S = State;
using C = Cause;

constexpr TransitionKey kCatalogue[] = {
    // Figure 5, opening.
    {S::kClosed, S::kListen, C::kUserListen},
    {S::kClosed, S::kSynSent, C::kUserConnect},
    {S::kListen, S::kSynReceived, C::kRecvSyn},
    {S::kListen, S::kSynSent, C::kUserSend},
    {S::kListen, S::kClosed, C::kUserClose},
    {S::kSynSent, S::kSynReceived, C::kRecvSyn},
    {S::kSynSent, S::kEstablished, C::kRecvSynAck},
    {S::kSynSent, S::kClosed, C::kUserClose},
    {S::kSynReceived, S::kEstablished, C::kRecvAck},
    {S::kSynReceived, S::kFinWait1, C::kUserClose},
    {S::kSynReceived, S::kListen, C::kRecvRst},
    // Figure 5, closing.
    {S::kEstablished, S::kFinWait1, C::kUserClose},
    {S::kEstablished, S::kCloseWait, C::kRecvFin},
    {S::kFinWait1, S::kFinWait2, C::kRecvAck},
    {S::kFinWait1, S::kClosing, C::kRecvFin},
    {S::kFinWait1, S::kTimeWait, C::kRecvFinAck},
    {S::kFinWait2, S::kTimeWait, C::kRecvFin},
    {S::kCloseWait, S::kLastAck, C::kUserClose},
    {S::kClosing, S::kTimeWait, C::kRecvAck},
    {S::kLastAck, S::kClosed, C::kRecvAck},
    {S::kTimeWait, S::kClosed, C::kTimeWaitExpired},
    // 3.10.7: resets.
    {S::kSynSent, S::kClosed, C::kRecvRst},
    {S::kSynReceived, S::kClosed, C::kRecvRst},
    {S::kEstablished, S::kClosed, C::kRecvRst},
    {S::kFinWait1, S::kClosed, C::kRecvRst},
    {S::kFinWait2, S::kClosed, C::kRecvRst},
    {S::kCloseWait, S::kClosed, C::kRecvRst},
    {S::kClosing, S::kClosed, C::kRecvRst},
    {S::kLastAck, S::kClosed, C::kRecvRst},
    {S::kTimeWait, S::kClosed, C::kRecvRst},
    // 3.10.7.4 fourth check: SYN in SYN-RECEIVED (back to LISTEN after a passive
    // open; reset after a simultaneous open, RFC 5961 off) and, without RFC 5961,
    // in the synchronized states.
    {S::kSynReceived, S::kListen, C::kRecvSynInWindow},
    {S::kSynReceived, S::kClosed, C::kRecvSynInWindow},
    {S::kEstablished, S::kClosed, C::kRecvSynInWindow},
    {S::kFinWait1, S::kClosed, C::kRecvSynInWindow},
    {S::kFinWait2, S::kClosed, C::kRecvSynInWindow},
    {S::kCloseWait, S::kClosed, C::kRecvSynInWindow},
    {S::kClosing, S::kClosed, C::kRecvSynInWindow},
    {S::kLastAck, S::kClosed, C::kRecvSynInWindow},
    {S::kTimeWait, S::kClosed, C::kRecvSynInWindow},
    // 3.10.5 ABORT.
    {S::kListen, S::kClosed, C::kUserAbort},
    {S::kSynSent, S::kClosed, C::kUserAbort},
    {S::kSynReceived, S::kClosed, C::kUserAbort},
    {S::kEstablished, S::kClosed, C::kUserAbort},
    {S::kFinWait1, S::kClosed, C::kUserAbort},
    {S::kFinWait2, S::kClosed, C::kUserAbort},
    {S::kCloseWait, S::kClosed, C::kUserAbort},
    {S::kClosing, S::kClosed, C::kUserAbort},
    {S::kLastAck, S::kClosed, C::kUserAbort},
    {S::kTimeWait, S::kClosed, C::kUserAbort},
    // 3.8.1 / RFC 1122 4.2.3.5: retransmissions exhausted.
    {S::kSynSent, S::kClosed, C::kRetransmitGiveUp},
    {S::kSynReceived, S::kClosed, C::kRetransmitGiveUp},
    {S::kEstablished, S::kClosed, C::kRetransmitGiveUp},
    {S::kFinWait1, S::kClosed, C::kRetransmitGiveUp},
    {S::kCloseWait, S::kClosed, C::kRetransmitGiveUp},
    {S::kClosing, S::kClosed, C::kRetransmitGiveUp},
    {S::kLastAck, S::kClosed, C::kRetransmitGiveUp},
    {S::kEstablished, S::kClosed, C::kKeepaliveTimeout},
    {S::kCloseWait, S::kClosed, C::kKeepaliveTimeout},
    // RFC 1122 4.2.2.13: a new SYN ends TIME-WAIT early (when configured).
    {S::kTimeWait, S::kClosed, C::kNewIncarnation},
};

}  // namespace

std::span<const TransitionKey> rfc_transitions() { return kCatalogue; }

}  // namespace synfin::harness
