#include "net/peer_id.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>

#include "core/file_util.h"
#include "store/cid.h"
#include "store/multibase.h"
#include "store/multihash.h"
#include "store/protobuf.h"
#include "store/varint.h"

namespace ipfs_accelerate::net {
namespace {

constexpr uint64_t kKeyTypeEd25519 = 1;  // libp2p's crypto.proto KeyType
constexpr uint64_t kIdentityHashCode = 0x00;
constexpr uint64_t kCodecLibp2pKey = 0x72;
constexpr size_t kEd25519Size = 32;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

std::string_view AsView(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

Result<std::string> RawKey(EVP_PKEY* key, bool is_private) {
  std::string out(kEd25519Size, '\0');
  size_t size = out.size();
  auto* data = reinterpret_cast<unsigned char*>(out.data());
  int ok = is_private ? EVP_PKEY_get_raw_private_key(key, data, &size)
                      : EVP_PKEY_get_raw_public_key(key, data, &size);
  if (ok != 1 || size != kEd25519Size) {
    return Status::Internal("OpenSSL could not export an Ed25519 key");
  }
  return out;
}

Result<Pkey> PrivateKey(const std::string& seed) {
  Pkey key(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed.data()), seed.size()));
  if (!key) return Status::Internal("OpenSSL refused an Ed25519 private key");
  return key;
}

// The protobuf PublicKey {Type = Ed25519, Data = key}.
std::string PublicKeyProtobuf(std::string_view public_key) {
  std::string out;
  store::AppendPbVarint(out, 1, kKeyTypeEd25519);
  store::AppendPbBytes(out, 2, public_key);
  return out;
}

}  // namespace

std::string PeerIdFromEd25519PublicKey(std::span<const uint8_t> public_key) {
  // Keys of at most 42 bytes encoded are named by an identity multihash (no hashing).
  std::string key = PublicKeyProtobuf(AsView(public_key));
  std::string multihash;
  store::AppendVarint(multihash, kIdentityHashCode);
  store::AppendVarint(multihash, key.size());
  multihash += key;
  return store::Base58Btc(store::AsBytes(multihash));
}

Result<NodeIdentity> NodeIdentity::FromSeed(std::span<const uint8_t> seed) {
  if (seed.size() != kEd25519Size) {
    return Status::InvalidArgument("an Ed25519 private key has 32 bytes, not " +
                                   std::to_string(seed.size()));
  }
  NodeIdentity id;
  id.seed_ = std::string(AsView(seed));
  IA_ASSIGN_OR_RETURN(Pkey key, PrivateKey(id.seed_));
  IA_ASSIGN_OR_RETURN(id.public_key_, RawKey(key.get(), /*is_private=*/false));
  id.peer_id_ = PeerIdFromEd25519PublicKey(store::AsBytes(id.public_key_));
  return id;
}

Result<NodeIdentity> NodeIdentity::Generate() {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr), EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    return Status::Internal("OpenSSL could not generate an Ed25519 key pair");
  }
  Pkey key(raw);
  IA_ASSIGN_OR_RETURN(std::string seed, RawKey(key.get(), /*is_private=*/true));
  return FromSeed(store::AsBytes(seed));
}

Result<NodeIdentity> NodeIdentity::FromProtobuf(std::string_view bytes, const std::string& source) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption(source + " is not a libp2p Ed25519 private key (" + why +
                              "); move it aside to make a new identity (the PeerID will change)");
  };
  std::span<const uint8_t> in(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  uint64_t type = ~uint64_t{0};
  std::span<const uint8_t> data;
  size_t pos = 0;
  while (pos < in.size()) {
    auto field = store::ReadPbField(in, &pos, source);
    if (!field.ok()) return bad(field.status().message());
    if (field->number == 1 && field->wire_type == store::kWireVarint) type = field->value;
    if (field->number == 2 && field->wire_type == store::kWireBytes) data = field->bytes;
  }
  if (type != kKeyTypeEd25519) return bad("key type " + std::to_string(type) + ", not Ed25519 (1)");
  // libp2p writes seed ‖ public key; a bare seed is accepted too.
  if (data.size() != 2 * kEd25519Size && data.size() != kEd25519Size) {
    return bad("its key has " + std::to_string(data.size()) + " bytes, not 64");
  }
  IA_ASSIGN_OR_RETURN(NodeIdentity id, FromSeed(data.first(kEd25519Size)));
  if (data.size() == 2 * kEd25519Size && AsView(data.subspan(kEd25519Size)) != id.public_key_) {
    return bad("its public half does not belong to its private half");
  }
  return id;
}

std::string NodeIdentity::PrivateKeyProtobuf() const {
  std::string out;
  store::AppendPbVarint(out, 1, kKeyTypeEd25519);
  store::AppendPbBytes(out, 2, seed_ + public_key_);
  return out;
}

Result<NodeIdentity> NodeIdentity::LoadOrCreate(const std::string& repo_path) {
  const std::string path = repo_path + "/" + kIdentityFile;
  const std::string dir = DirName(path);
  IA_RETURN_IF_ERROR(MakeDirs(dir));
  if (chmod(dir.c_str(), 0700) != 0) return Status::FromErrno("cannot make private", dir, errno);
  IA_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(path + ".lock", FileLock::Mode::kExclusive));
  auto bytes = ReadFile(path);
  if (bytes.ok()) return FromProtobuf(*bytes, path);
  if (bytes.status().code() != StatusCode::kNotFound) return bytes.status();
  IA_ASSIGN_OR_RETURN(NodeIdentity id, Generate());
  IA_RETURN_IF_ERROR(WriteFileAtomic(path, id.PrivateKeyProtobuf()));
  if (chmod(path.c_str(), 0600) != 0) return Status::FromErrno("cannot make private", path, errno);
  return id;
}

Result<std::string> NodeIdentity::Sign(std::string_view message) const {
  IA_ASSIGN_OR_RETURN(Pkey key, PrivateKey(seed_));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::string signature(64, '\0');
  size_t size = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return Status::Internal("OpenSSL could not sign with the node's Ed25519 key");
  }
  signature.resize(size);
  return signature;
}

bool VerifyEd25519(std::span<const uint8_t> public_key, std::string_view message,
                   std::string_view signature) {
  if (public_key.size() != kEd25519Size) return false;
  Pkey key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

Result<std::string> ParsePeerId(std::string_view text) {
  auto bad = [&](const std::string& why) {
    std::string shown(text.substr(0, 80));
    return Status::InvalidArgument("invalid PeerID \"" + shown + "\": " + why +
                                   " (a PeerID is base58btc, \"12D3KooW…\" or \"Qm…\", or a "
                                   "libp2p-key CID, \"bafz…\")");
  };
  if (text.empty() || text.size() > 200) return bad("empty or too long");
  std::string multihash;
  if (text[0] == '1' || text.substr(0, 2) == "Qm") {
    auto decoded = store::DecodeBase58Btc(text);
    if (!decoded.ok()) return bad(decoded.status().message());
    multihash = std::move(decoded).value();
  } else {
    auto cid = store::Cid::Parse(text);
    if (!cid.ok()) return bad(cid.status().message());
    if (cid->version() != 1 || cid->codec() != kCodecLibp2pKey) {
      return bad("a CID of codec " + store::CodecName(cid->codec()) + ", not libp2p-key");
    }
    multihash = cid->multihash();
  }
  size_t pos = 0;
  auto read = store::ReadMultihash(store::AsBytes(multihash), &pos);
  if (!read.ok()) return bad(read.status().message());
  if (pos != multihash.size()) return bad("bytes after the multihash");
  return multihash;
}

}  // namespace ipfs_accelerate::net
