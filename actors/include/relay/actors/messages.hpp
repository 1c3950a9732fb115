// The messages the relay's actors exchange. Extension actors (services,
// policies, observers) speak these too, so they are part of the public API.
#pragma once

#include <memory>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include "relay/actors/frame.hpp"
#include "relay/actors/transport.hpp"
#include "relay/protocol/types.hpp"

namespace relay {

/// The identity bytes (COSE_Key) exactly as the client sent them, shared.
using identity_bytes = std::shared_ptr<const protocol::byte_vector>;

/// session -> connection: one WebSocket message as read from the socket.
struct inbound_frame {
  std::string data;
  bool binary = false;
};

/// rendezvous -> connection: the answer to a claim (the code is spent when
/// `found`). Whether the owner is connected is asked separately (presence).
struct claim_result {
  bool found = false;
  protocol::fingerprint owner{};
};

// session -> connection
using frame_atom = caf::atom_constant<caf::atom("frame")>;        // (frame_atom, inbound_frame)
using activity_atom = caf::atom_constant<caf::atom("activity")>;  // ping/pong seen
using closed_atom = caf::atom_constant<caf::atom("closed")>;      // socket gone
// connection -> registry
// (join, fp, identity_bytes, actor, transport_ptr) -> ok | error. The
// transport (null for a service) lets the registry write frames for this
// member straight to its socket queue, one actor hop less per delivery.
using join_atom = caf::atom_constant<caf::atom("join")>;
// (forward, fp, shared_frame): a Send's frame, in the binary codec, for the
// other nodes that hold fp. Local devices got it from the sender directly.
using forward_atom = caf::atom_constant<caf::atom("forward")>;
// sender -> service gateway (members without a transport): a JSON frame
using deliver_atom = caf::atom_constant<caf::atom("deliver")>;  // (deliver, shared_frame)
// connection -> rendezvous
using issue_atom = caf::atom_constant<caf::atom("issue")>;  // (issue, fp) -> std::string code
using claim_atom = caf::atom_constant<caf::atom("claim")>;  // (claim, code) -> claim_result
// connection -> registry: (presence, fp) -> identity_bytes of one live local
// connection of fp, null when fp has none on this node
using presence_atom = caf::atom_constant<caf::atom("presence")>;
// cluster: cluster actor <-> registry, registry <-> registry, nodes' rendezvous
using cluster_init_atom = caf::atom_constant<caf::atom("cinit")>;     // (cinit, node name)
using peer_up_atom = caf::atom_constant<caf::atom("peerup")>;         // (peerup, name, remote registry)
using peer_down_atom = caf::atom_constant<caf::atom("peerdown")>;     // (peerdown, name)
using fp_snapshot_atom = caf::atom_constant<caf::atom("fpsnap")>;     // (fpsnap, name, vector<fingerprint>)
using fp_up_atom = caf::atom_constant<caf::atom("fpup")>;             // (fpup, name, fingerprint)
using fp_down_atom = caf::atom_constant<caf::atom("fpdown")>;         // (fpdown, name, fingerprint)
using cluster_deliver_atom = caf::atom_constant<caf::atom("cdeliver")>;  // (cdeliver, name, wire_envelope)
using cluster_ack_atom = caf::atom_constant<caf::atom("cack")>;       // (cack, name, uint64 bytes)
using hello_atom = caf::atom_constant<caf::atom("hello")>;
using remote_claim_atom = caf::atom_constant<caf::atom("rclaim")>;    // (rclaim, code) -> (bool, fingerprint owner)
using cluster_claim_atom = caf::atom_constant<caf::atom("cclaim")>;   // (cclaim, code) -> claim_result
// (rpresence, fingerprint) -> (bool, string identity): a peer's registry says
// whether fp has a live connection there, and with which identity bytes
using remote_presence_atom = caf::atom_constant<caf::atom("rpresence")>;
// connection -> cluster actor: (cpresence, fp) -> identity_bytes (null: no
// peer answered yes within the claim timeout)
using cluster_presence_atom = caf::atom_constant<caf::atom("cpresence")>;
// graceful leave: front end -> cluster actor (leave) -> ok once every peer
// acknowledged (bounded); cluster actor -> peer cluster actors (pleave) -> ok
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using peer_leaving_atom = caf::atom_constant<caf::atom("pleave")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;

/// A frame crossing the middleman: the destination fingerprint and the
/// message in the binary codec (protocol/binary_codec.hpp), so payloads
/// travel as raw bytes, not as decimal JSON.
struct wire_envelope {
  protocol::fingerprint destination{};
  std::string message;  ///< encode_binary(...)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_envelope& x) {
  return f(caf::meta::type_name("relay::wire_envelope"), x.destination, x.message);
}

// timers
// A connection's one pending deadline: authentication before it has
// authenticated, the idle check after (one timer entry per connection).
using deadline_atom = caf::atom_constant<caf::atom("deadline")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;  // (expire, code, serial)
using release_atom = caf::atom_constant<caf::atom("release")>;  // (release, bytes): delayed read credit

}  // namespace relay

// Local-only message types: they never cross the middleman (cluster links
// carry their own serialised envelopes).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::shared_frame)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::protocol::wire_format)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::transport_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::identity_bytes)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::inbound_frame)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::claim_result)
// protocol::fingerprint crosses the middleman as itself, in every cluster
// message that names an identity (registered by add_cluster_message_types).
// CAF 0.17 writes a std::array as its elements with no length before them
// and reads back exactly as many, so a fingerprint of another length cannot
// arrive (a message cut short is read as an empty one, which no handler
// takes). It must never be declared an unsafe message type: CAF's
// inspectors skip such values when they (de)serialise, so fingerprints
// would cross as zeros, a wire_envelope without its destination.
