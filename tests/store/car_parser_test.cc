#include "store/car_parser.h"

#include <gtest/gtest.h>

#include "../test_util.h"
#include "store/car_stream.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

using test_util::HasSubstr;

struct Parsed {
  Status fed, finished;
  std::vector<Cid> roots;
  std::vector<CarSection> sections;
};

// Feeds `car` in pieces of `piece` bytes.
Parsed Parse(const std::string& car, size_t piece, uint64_t max_section = kMaxCarSectionBytes) {
  Parsed out;
  CarParser parser(
      [&](CarSection&& s) {
        out.sections.push_back(std::move(s));
        return Status::Ok();
      },
      max_section);
  for (size_t pos = 0; pos < car.size() && out.fed.ok(); pos += piece) {
    out.fed = parser.Feed(AsBytes(car).subspan(pos, std::min(piece, car.size() - pos)));
  }
  out.finished = parser.Finish();
  out.roots = parser.roots();
  return out;
}

std::string SmallCar(std::vector<Cid>* cids, std::vector<std::string>* blocks) {
  test_util::MemBlockStore store;
  *blocks = {"first block", "", std::string(5000, 'x')};
  for (const std::string& b : *blocks) cids->push_back(store.PutBlock(b, kCodecRaw));
  std::string car = EncodeCarHeader({cids->front()});
  for (size_t i = 0; i < blocks->size(); ++i) AppendCarSection(car, (*cids)[i], (*blocks)[i]);
  return car;
}

TEST(CarParserTest, GivesTheSameSectionsHoweverTheBytesAreCut) {
  std::vector<Cid> cids;
  std::vector<std::string> blocks;
  const std::string car = SmallCar(&cids, &blocks);
  for (size_t piece : {size_t{1}, size_t{3}, size_t{64}, car.size()}) {
    Parsed p = Parse(car, piece);
    ASSERT_TRUE(p.fed.ok()) << p.fed.ToString();
    ASSERT_TRUE(p.finished.ok()) << p.finished.ToString();
    EXPECT_EQ(p.roots, std::vector<Cid>{cids[0]});
    ASSERT_EQ(p.sections.size(), blocks.size()) << "pieces of " << piece;
    for (size_t i = 0; i < blocks.size(); ++i) {
      EXPECT_EQ(p.sections[i].cid, cids[i]);
      EXPECT_EQ(p.sections[i].block, blocks[i]);
    }
    EXPECT_EQ(p.sections[1].offset, p.sections[0].offset + 1 + 36 + blocks[0].size());
  }
}

TEST(CarParserTest, AStreamThatStopsInsideAnythingIsTruncated) {
  std::vector<Cid> cids;
  std::vector<std::string> blocks;
  const std::string car = SmallCar(&cids, &blocks);
  Parsed empty = Parse("", 1);
  EXPECT_TRUE(HasSubstr(empty.finished.message(), "empty")) << empty.finished.ToString();
  for (size_t cut : {size_t{1}, size_t{10}, car.size() - 1, car.size() - 4000}) {
    Parsed p = Parse(car.substr(0, cut), 7);
    EXPECT_TRUE(p.fed.ok());
    EXPECT_EQ(p.finished.code(), StatusCode::kCorruption) << cut;
    EXPECT_TRUE(HasSubstr(p.finished.message(), "truncated")) << p.finished.ToString();
  }
}

TEST(CarParserTest, BadLengthsAndHeadersAreRefusedBeforeAnythingIsAllocated) {
  std::vector<Cid> cids;
  std::vector<std::string> blocks;
  const std::string car = SmallCar(&cids, &blocks);
  // A varint of more than 64 bits, a header length of 2^62, garbage where the header goes.
  for (const std::string& bad :
       {std::string(10, '\xff') + "\x01", std::string("\x80\x80\x80\x80\x80\x80\x80\x80\x40"),
        std::string("\x05hello")}) {
    Parsed p = Parse(bad, 1);
    EXPECT_EQ(p.fed.code(), StatusCode::kCorruption) << p.fed.ToString();
    EXPECT_EQ(p.finished.code(), StatusCode::kCorruption);
  }
  // A section longer than the limit.
  Parsed limited = Parse(car, 100, 1000);
  EXPECT_EQ(limited.fed.code(), StatusCode::kCorruption);
  EXPECT_TRUE(HasSubstr(limited.fed.message(), "must be 1 to 1000")) << limited.fed.ToString();
  EXPECT_EQ(limited.sections.size(), 2u);  // those before it were given
  // A section that does not start with a CID.
  std::string no_cid = EncodeCarHeader({cids[0]});
  AppendVarint(no_cid, 4);
  no_cid += "\x07\x07\x07\x07";
  Parsed p = Parse(no_cid, 2);
  EXPECT_EQ(p.fed.code(), StatusCode::kCorruption);
  EXPECT_TRUE(HasSubstr(p.fed.message(), "CID")) << p.fed.ToString();
}

TEST(CarParserTest, AnErrorFromTheCallerStopsIt) {
  std::vector<Cid> cids;
  std::vector<std::string> blocks;
  const std::string car = SmallCar(&cids, &blocks);
  int calls = 0;
  CarParser parser([&](CarSection&&) {
    ++calls;
    return Status::Cancelled("enough");
  });
  EXPECT_EQ(parser.Feed(AsBytes(car)).code(), StatusCode::kCancelled);
  EXPECT_EQ(parser.Feed(AsBytes(car)).code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace ipfs_accelerate::store
