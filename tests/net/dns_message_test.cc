// DNS messages for mDNS service discovery: what a node announces reads back the same, compressed
// names (as other responders write them) are followed, and malformed packets are errors.
#include "net/dns_message.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "../test_util.h"

namespace ipfs_accelerate::net {
namespace {

using test_util::HasSubstr;

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string Corpus(const std::string& name) {
  std::ifstream in(std::string(test_util::SourceDir()) + "/tools/fuzz/corpus/mdns_fuzz/" + name,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST(DnsMessageTest, AnAnnouncementReadsBackTheSame) {
  DnsMessage m{.flags = 0x8400};
  m.answers = {
      {.name = "_ipfs-accelerate._tcp.local",
       .type = 12,
       .ttl = 120,
       .target = "P._ipfs-accelerate._tcp.local"},
      {.name = "P._ipfs-accelerate._tcp.local",
       .type = 33,
       .cache_flush = true,
       .ttl = 120,
       .target = "ia-p.local",
       .port = 8000},
      {.name = "P._ipfs-accelerate._tcp.local",
       .type = 16,
       .cache_flush = true,
       .ttl = 120,
       .txt = {"id=P", "scheme=http"}},
      {.name = "ia-p.local", .type = 1, .cache_flush = true, .ttl = 120, .address = "10.77.0.1"},
      {.name = "ia-p.local", .type = 28, .ttl = 0, .address = "fe80::1"}};
  auto packet = EncodeDnsMessage(m);
  ASSERT_TRUE(packet.ok()) << packet.status().message();
  auto back = ParseDnsMessage(Bytes(*packet));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->is_response());
  ASSERT_EQ(back->answers.size(), 5u);
  EXPECT_EQ(back->answers[0].target, "P._ipfs-accelerate._tcp.local");
  EXPECT_EQ(back->answers[1].port, 8000);
  EXPECT_EQ(back->answers[1].target, "ia-p.local");
  EXPECT_TRUE(back->answers[1].cache_flush);
  EXPECT_EQ(back->answers[2].txt, (std::vector<std::string>{"id=P", "scheme=http"}));
  EXPECT_EQ(back->answers[3].address, "10.77.0.1");
  EXPECT_EQ(back->answers[4].address, "fe80::1");
  EXPECT_EQ(back->answers[4].ttl, 0u);
}

TEST(DnsMessageTest, CompressedNamesAreFollowed) {
  auto m = ParseDnsMessage(Bytes(Corpus("compressed.bin")));
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->questions.size(), 1u);
  EXPECT_TRUE(m->questions[0].unicast_response);
  ASSERT_EQ(m->answers.size(), 2u);
  EXPECT_EQ(m->answers[0].name, "_ipfs-accelerate._tcp.local");
  EXPECT_EQ(m->answers[0].target, "12D3KooWExample._ipfs-accelerate._tcp.local");
  EXPECT_EQ(m->answers[1].name, "12D3KooWExample._ipfs-accelerate._tcp.local");
  EXPECT_EQ(m->answers[1].txt, (std::vector<std::string>{"id=12D3KooWExample", "scheme=http"}));
  EXPECT_TRUE(DnsNameEquals(m->answers[0].name, "_IPFS-Accelerate._TCP.Local"));
  EXPECT_FALSE(DnsNameEquals(m->answers[0].name, "_ipfs-accelerate._udp.local"));
}

TEST(DnsMessageTest, MalformedPacketsAreErrorsThatSayWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {"pointer_loop.bin", "does not point back"},
      {"pointer_forward.bin", "does not point back"},
      {"truncated_header.bin", "12-byte header"},
      {"truncated_record.bin", "the packet has fewer"},
      {"a_wrong_length.bin", "A record"},
      {"long_name.bin", "over 255 bytes"},
      {"txt_overrun.bin", "TXT record"}};
  for (const auto& [file, why] : cases) {
    auto m = ParseDnsMessage(Bytes(Corpus(file)));
    ASSERT_FALSE(m.ok()) << file;
    EXPECT_TRUE(HasSubstr(m.status().message(), why)) << file;
  }
  EXPECT_FALSE(ParseDnsMessage(Bytes(std::string(9001, '\0'))).ok());
}

TEST(DnsMessageTest, UnwritableNamesAndAddressesAreRefused) {
  DnsMessage m{.flags = 0x8400};
  m.answers = {{.name = std::string(64, 'a') + ".local", .type = 1, .address = "10.0.0.1"}};
  EXPECT_TRUE(HasSubstr(EncodeDnsMessage(m).status().message(), "over 63 bytes"));
  m.answers = {{.name = "a.local", .type = 1, .address = "not-an-address"}};
  EXPECT_TRUE(HasSubstr(EncodeDnsMessage(m).status().message(), "no IPv4 address"));
  m.answers = {{.name = "a..local", .type = 16}};
  EXPECT_FALSE(EncodeDnsMessage(m).ok());
}

}  // namespace
}  // namespace ipfs_accelerate::net
