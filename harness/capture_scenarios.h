// Scenarios from a captured TCP flow (harness/capture_flows.h), in the two forms
// the fuzz targets read.
//
// Endpoint form: synfin's host 0 plays one side and the other side's captured
// segments become injected segments, in capture order and with the capture's
// relative timing. The host plays the server, unless the capture holds segments
// from the server only. Numbers are made relative so that they stay meaningful
// against synfin's own ISN:
//   - seq: to the scripted peer's ISN, which the header sets to the captured one;
//   - ack: to the host's ISS, except that an ACK covering everything the capture
//     has seen the host's side send is written against SND.MAX ("all you sent";
//     SND.MAX - 1 when synfin's FIN is already out but the ACK does not cover
//     the captured FIN), so that it stays right when synfin segments or paces its
//     data differently.
// Windows are in bytes (RFC 7323 scaling the capture negotiated is applied, the
// window-scale option left out, so synfin does not scale them again; SACK
// blocks, whose absolute numbers mean nothing against another ISS, are left out
// too) and capped at 65535. Peer segments longer than the host's MSS (offloaded
// captures) are split. The host side's segments become application calls: new
// data is a send of that many bytes, its first FIN a shutdown, its first RST an
// abort; the host reads after every peer segment carrying data. The calls move
// to the host's clock: the peer's segments reach the host at once, while the
// capture saw the host's segments two legs (capture point to host and back,
// capture_analysis.h) after it sent them. A capture that starts mid-flow gets a
// handshake made up at its start.
//
// Connection form: two synfin hosts (0 = client, 1 = server) with the application
// calls both sides made (as above, each a leg before the capture saw its effect,
// and the server accepts after the handshake), links whose one-way delay is half
// the round trip, and the faults the capture shows, each scripted just before
// the call that sends the packet it hits:
//   - a retransmission: the first transmission was dropped;
//   - bytes the capture skipped and saw later: reordered if they came within a
//     round trip, else dropped (lost before the capture point);
//   - an acknowledgment later than a round trip plus 500 ms (RFC 1122's bound on
//     delayed ACKs) after the data: the acknowledging side's packet was delayed.
#pragma once

#include "harness/capture_analysis.h"
#include "harness/capture_flows.h"
#include "harness/scenario.h"

namespace synfin::harness {

// Faults scripted into one connection scenario at most: a capture full of
// retransmissions would otherwise script one per packet.
inline constexpr int kMaxCaptureFaults = 64;

Scenario endpoint_scenario(const Flow& flow, const FlowAnalysis& analysis);
Scenario connection_scenario(const Flow& flow, const FlowAnalysis& analysis);

}  // namespace synfin::harness
