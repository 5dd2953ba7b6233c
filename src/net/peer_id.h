// This node's libp2p identity: an Ed25519 key pair and the PeerID derived from it, the name other
// IPFS software knows the node by (delegated routing records, later peers). The PeerID is what
// libp2p prints, "12D3KooW…": base58btc of the identity multihash of the protobuf PublicKey
// {Type = Ed25519, Data = the 32-byte key} (libp2p's peer-ids spec).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ipfs_accelerate::net {

// The file under the repository that holds the node's private key: libp2p's protobuf PrivateKey
// {Type = Ed25519, Data = seed ‖ public key} (68 bytes, what libp2p's marshalPrivateKey writes and
// Kubo base64s into its config), mode 0600 in a directory of mode 0700 (so that not even its
// temporary name is ever readable by others).
inline constexpr char kIdentityFile[] = "keystore/identity";

class NodeIdentity {
 public:
  // A new random key pair (OpenSSL's generator).
  static Result<NodeIdentity> Generate();
  // The key pair of a 32-byte Ed25519 seed (private key); kInvalidArgument for another size.
  static Result<NodeIdentity> FromSeed(std::span<const uint8_t> seed);
  // Parses libp2p's protobuf PrivateKey (the identity file's bytes). kCorruption when it is not an
  // Ed25519 key of the right size or its public half does not belong to its seed; `source` names
  // the file in the message.
  static Result<NodeIdentity> FromProtobuf(std::string_view bytes, const std::string& source);
  // REPO/keystore/identity: loaded when it exists, else made and written atomically so that
  // later starts have the same PeerID. Two processes starting at once get the same identity (the
  // check and the creation happen under a lock). A damaged file is an error naming it, never
  // silently replaced: replacing it would change the node's PeerID.
  static Result<NodeIdentity> LoadOrCreate(const std::string& repo_path);

  const std::string& peer_id() const { return peer_id_; }  // "12D3KooW…"
  // The 32-byte public key.
  const std::string& public_key() const { return public_key_; }
  // libp2p's protobuf PrivateKey: what LoadOrCreate stores.
  std::string PrivateKeyProtobuf() const;
  // The Ed25519 signature (64 bytes) of `message`.
  Result<std::string> Sign(std::string_view message) const;

 private:
  NodeIdentity() = default;
  std::string seed_;        // 32 bytes
  std::string public_key_;  // 32 bytes
  std::string peer_id_;
};

// The PeerID text of a 32-byte Ed25519 public key.
std::string PeerIdFromEd25519PublicKey(std::span<const uint8_t> public_key);

// The multihash a PeerID names, from either text form the spec allows: base58btc of the multihash
// ("12D3KooW…", "Qm…") or a CIDv1 with the libp2p-key codec (0x72) in base32 ("bafz…") or
// base58btc. kInvalidArgument naming the text for anything else.
Result<std::string> ParsePeerId(std::string_view text);

// Whether the Ed25519 `signature` of `message` was made by `public_key` (32 bytes).
bool VerifyEd25519(std::span<const uint8_t> public_key, std::string_view message,
                   std::string_view signature);

}  // namespace ipfs_accelerate::net
