// The node identity: libp2p's PeerID of a known key (the peer-ids spec's Ed25519 vector, whose
// PeerID @libp2p/peer-id prints), the identity file kept across starts, and PeerID parsing.
#include "net/peer_id.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "../test_util.h"
#include "core/file_util.h"

namespace ipfs_accelerate::net {
namespace {

using test_util::HasSubstr;
using test_util::Unhex;

// libp2p/specs peer-ids.md, "Test vectors": an Ed25519 private key as protobuf, and its public key.
constexpr char kSpecPrivateKey[] =
    "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8f"
    "d4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
constexpr char kSpecPublicKey[] =
    "1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
// What @libp2p/peer-id's peerIdFromPrivateKey prints for it (and its CID form).
constexpr char kSpecPeerId[] = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
constexpr char kSpecPeerCid[] = "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";

TEST(PeerIdTest, TheSpecsEd25519KeyGivesTheLibp2pPeerId) {
  auto id = NodeIdentity::FromProtobuf(Unhex(kSpecPrivateKey), "vector");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(test_util::Hex(id->public_key()), kSpecPublicKey);
  EXPECT_EQ(id->peer_id(), kSpecPeerId);
  EXPECT_EQ(id->PrivateKeyProtobuf(), Unhex(kSpecPrivateKey));
  EXPECT_EQ(PeerIdFromEd25519PublicKey(test_util::Span(Unhex(kSpecPublicKey))), kSpecPeerId);
}

TEST(PeerIdTest, SignaturesVerifyWithThePublicKeyOnly) {
  auto id = NodeIdentity::Generate();
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->peer_id().rfind("12D3KooW", 0), 0u) << id->peer_id();
  auto sig = id->Sign("hello");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(VerifyEd25519(test_util::Span(id->public_key()), "hello", *sig));
  EXPECT_FALSE(VerifyEd25519(test_util::Span(id->public_key()), "hellO", *sig));
}

TEST(PeerIdTest, TheIdentityIsMadeOnceKeptPrivateAndLoadedOnLaterStarts) {
  test_util::TempDir dir;
  auto first = NodeIdentity::LoadOrCreate(dir.path());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto again = NodeIdentity::LoadOrCreate(dir.path());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(first->peer_id(), again->peer_id());
  struct stat st {};
  ASSERT_EQ(stat((dir / kIdentityFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir / "keystore").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(test_util::MustRead(dir / kIdentityFile), first->PrivateKeyProtobuf());
}

TEST(PeerIdTest, ADamagedIdentityFileIsAnErrorNamingItNeverReplaced) {
  test_util::TempDir dir;
  ASSERT_TRUE(NodeIdentity::LoadOrCreate(dir.path()).ok());
  std::string bytes = test_util::MustRead(dir / kIdentityFile);
  bytes.back() ^= 1;  // the public half no longer matches
  test_util::MustWrite(dir / kIdentityFile, bytes);
  auto loaded = NodeIdentity::LoadOrCreate(dir.path());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(HasSubstr(loaded.status().message(), kIdentityFile));
  EXPECT_TRUE(HasSubstr(loaded.status().message(), "move it aside"));
  EXPECT_EQ(test_util::MustRead(dir / kIdentityFile), bytes);
  test_util::MustWrite(dir / kIdentityFile, "garbage");
  EXPECT_FALSE(NodeIdentity::LoadOrCreate(dir.path()).ok());
}

TEST(PeerIdTest, ParsesBothTextFormsAndRefusesOthers) {
  auto a = ParsePeerId(kSpecPeerId);
  auto b = ParsePeerId(kSpecPeerCid);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*a, *b);
  EXPECT_TRUE(ParsePeerId("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N").ok());
  for (const char* bad : {"", "12D3KooW", "not-a-peer-id",
                          "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"}) {
    auto r = ParsePeerId(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace ipfs_accelerate::net
