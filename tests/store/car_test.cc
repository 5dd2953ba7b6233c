// CAR v1: header and section framing, and imports that are all or nothing.
#include "store/car.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <set>
#include <string>

#include "../test_util.h"
#include "core/thread_pool.h"
#include "store/dag_cbor.h"
#include "store/dag_pb.h"
#include "store/dag_walk.h"
#include "store/importer.h"
#include "store/protobuf.h"
#include "store/repo.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

using test_util::HasSubstr;
using test_util::MemBlockStore;
using test_util::Span;
using test_util::TempDir;
using test_util::Unhex;

constexpr char kHelloV0[] = "Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD";

std::string Section(const Cid& cid, const std::string& block) {
  std::string out;
  std::string c = cid.Bytes();
  AppendVarint(out, c.size() + block.size());
  return out + c + block;
}

Cid RawCid(const std::string& content) {
  return Cid::V1(kCodecRaw, Sha256Multihash(Span(content)));
}

struct Block {
  Cid cid;
  std::string bytes;
};

// A small DAG: a dag-pb file node over two raw leaves.
struct SmallDag {
  Block leaf1{RawCid("first leaf"), "first leaf"};
  Block leaf2{RawCid("second leaf!"), "second leaf!"};
  Block root;
  SmallDag() {
    // UnixFS {Type: File, filesize: 22, blocksizes: [10, 12]}
    PbNode node;
    node.links = {{leaf1.cid, std::string(), 10}, {leaf2.cid, std::string(), 12}};
    node.data = Unhex("0802 1816 200a 200c");
    root.bytes = EncodeDagPb(node);
    root.cid = Cid::V1(kCodecDagPb, Sha256Multihash(Span(root.bytes)));
  }
  std::string Car() const {
    return EncodeCarHeader({root.cid}) + Section(root.cid, root.bytes) +
           Section(leaf1.cid, leaf1.bytes) + Section(leaf2.cid, leaf2.bytes);
  }
};

// Reads a whole CAR; returns the blocks or the first error.
Result<std::vector<Block>> ReadAll(const std::string& car, std::vector<Cid>* roots = nullptr) {
  MemoryReader in(Span(car));
  IA_ASSIGN_OR_RETURN(CarReader reader, CarReader::Open(&in));
  if (roots) *roots = reader.roots();
  std::vector<Block> out;
  for (;;) {
    Block b;
    IA_ASSIGN_OR_RETURN(bool more, reader.Next(&b.cid, &b.bytes));
    if (!more) break;
    out.push_back(std::move(b));
  }
  EXPECT_EQ(reader.offset(), car.size());
  return out;
}

Status Import(Repo& repo, const std::string& car, std::vector<Cid>* roots = nullptr) {
  MemoryReader in(Span(car));
  auto r = ImportCar(in, repo, nullptr);
  if (r.ok() && roots) *roots = *r;
  return r.status();
}

std::unique_ptr<Repo> OpenRepo(const std::string& path) {
  auto r = Repo::Open(path);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

TEST(CarHeaderTest, EncodesKnownBytes) {
  Cid root = Cid::Parse(kHelloV0).value();
  // varint(56) {"roots": [tag42(bytes(00 ‖ cid))], "version": 1} in DAG-CBOR key order.
  std::string want =
      "38"
      "a2"
      "65726f6f7473"
      "81"
      "d82a"
      "5823"
      "00" +
      test_util::Hex(root.Bytes()) +
      "6776657273696f6e"
      "01";
  EXPECT_EQ(test_util::Hex(EncodeCarHeader({root})), want);
}

TEST(CarHeaderTest, RoundTrip) {
  std::vector<Cid> roots = {Cid::Parse(kHelloV0).value(), RawCid("a"),
                            Cid::V1(kCodecDagCbor, RawCid("b").multihash())};
  std::vector<Cid> got;
  auto blocks = ReadAll(EncodeCarHeader(roots), &got);
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  EXPECT_TRUE(blocks->empty());
  EXPECT_EQ(got, roots);
}

TEST(CarReaderTest, ReadsVerifiedBlocksInOrder) {
  SmallDag dag;
  std::vector<Cid> roots;
  auto blocks = ReadAll(dag.Car(), &roots);
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  EXPECT_EQ(roots, std::vector<Cid>{dag.root.cid});
  ASSERT_EQ(blocks->size(), 3u);
  EXPECT_EQ((*blocks)[0].cid, dag.root.cid);
  EXPECT_EQ((*blocks)[0].bytes, dag.root.bytes);
  EXPECT_EQ((*blocks)[1].bytes, "first leaf");
  EXPECT_EQ((*blocks)[2].cid, dag.leaf2.cid);
}

TEST(CarReaderTest, EmptyInput) {
  auto r = ReadAll("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(HasSubstr(r.status().message(), "empty"));
}

TEST(CarReaderTest, TruncatedAnywhereIsCorruptionSayingTruncated) {
  SmallDag dag;
  std::string car = dag.Car();
  std::string header = EncodeCarHeader({dag.root.cid});
  std::set<size_t> boundaries = {header.size(),
                                 header.size() + Section(dag.root.cid, dag.root.bytes).size(),
                                 car.size() - Section(dag.leaf2.cid, dag.leaf2.bytes).size()};
  for (size_t n = 1; n < car.size(); ++n) {
    auto r = ReadAll(car.substr(0, n));
    if (boundaries.count(n)) {
      EXPECT_TRUE(r.ok()) << "a CAR cut between sections is a shorter valid CAR (" << n
                          << " bytes)";
      continue;
    }
    ASSERT_FALSE(r.ok()) << "accepted the first " << n << " of " << car.size() << " bytes";
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << n;
    EXPECT_TRUE(HasSubstr(r.status().message(), "truncated")) << n;
  }
}

TEST(CarReaderTest, TamperedBlockIsCorruptionNamingTheBlock) {
  SmallDag dag;
  std::string car = dag.Car();
  car[car.size() - 3] ^= 0x01;  // inside the last block's bytes
  auto r = ReadAll(car);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(HasSubstr(r.status().message(), "does not match its hash"));
  EXPECT_TRUE(HasSubstr(r.status().message(), dag.leaf2.cid.ToString()));
}

TEST(CarReaderTest, CarV2IsUnsupportedWithAClearMessage) {
  // The CARv2 pragma: varint(10) {"version": 2}, then the 40-byte CARv2 header.
  std::string car = Unhex("0a a1 67 76657273696f6e 02") + std::string(40, '\0');
  auto r = ReadAll(car);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(HasSubstr(r.status().message(), "CARv2"));
  EXPECT_TRUE(HasSubstr(r.status().message(), "CARv1"));
}

TEST(CarReaderTest, MalformedHeaders) {
  struct Case {
    std::string bytes;
    const char* why;
  };
  SmallDag dag;
  std::string root_bytes = std::string(1, '\0') + dag.root.cid.Bytes();
  std::string tagged =
      "\xd8\x2a\x58" + std::string(1, static_cast<char>(root_bytes.size())) + root_bytes;
  auto with_len = [](const std::string& cbor) {
    std::string out;
    AppendVarint(out, cbor.size());
    return out + cbor;
  };
  const Case cases[] = {
      {"hello world, this is not a CAR file at all", ""},
      {Unhex("00"), "out of range"},
      {with_len(Unhex("a1 67 76657273696f6e 01")), "no roots"},                  // {version: 1}
      {with_len(Unhex("a1 65 726f6f7473 80")), "version"},                       // {roots: []}
      {with_len(Unhex("a2 65 726f6f7473 80 67 76657273696f6e 03")), "version"},  // version 3
      {with_len(Unhex("82 01 02")), "not a CBOR map"},                           // [1, 2]
      {with_len(Unhex("a3 65 726f6f7473 80 67 76657273696f6e 01 63 666f6f 01")),
       "unknown key \"foo\""},
      {with_len(Unhex("a2 65 726f6f7473 81") + root_bytes + Unhex("67 76657273696f6e 01")),
       "not a CID"},
      {with_len(Unhex("a2 65 726f6f7473 81") + tagged.substr(0, 3) +
                std::string(1, root_bytes.size() - 1) + root_bytes.substr(1) +
                Unhex("67 76657273696f6e 01")),
       "0x00"},
      {with_len(Unhex("a2 65 726f6f7473 81") + tagged + Unhex("67 76657273696f6e 01 00")),
       "trailing"},
  };
  for (const Case& c : cases) {
    auto r = ReadAll(c.bytes);
    ASSERT_FALSE(r.ok()) << test_util::Hex(c.bytes);
    EXPECT_TRUE(HasSubstr(r.status().message(), c.why)) << test_util::Hex(c.bytes);
  }
}

TEST(CarReaderTest, BadSectionLengths) {
  SmallDag dag;
  std::string header = EncodeCarHeader({dag.root.cid});
  auto zero = ReadAll(header + Unhex("00"));
  ASSERT_FALSE(zero.ok());
  EXPECT_TRUE(HasSubstr(zero.status().message(), "length 0"));
  std::string huge_len;
  AppendVarint(huge_len, 1ull << 40);
  auto huge = ReadAll(header + huge_len + "x");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), StatusCode::kCorruption);
  auto overlong = ReadAll(header + Unhex("ffffffffffffffffffff01"));
  ASSERT_FALSE(overlong.ok());
  EXPECT_EQ(overlong.status().code(), StatusCode::kCorruption);
}

TEST(CarReaderTest, SectionWithBadCid) {
  SmallDag dag;
  std::string section;
  AppendVarint(section, 5);
  section += Unhex("0270122000");  // CID version 2
  auto r = ReadAll(EncodeCarHeader({dag.root.cid}) + section);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(HasSubstr(r.status().message(), "version 2"));
}

TEST(ImportCarTest, ImportsEveryBlockAndReturnsTheRoots) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  SmallDag dag;
  std::vector<Cid> roots;
  Status s = Import(*repo, dag.Car(), &roots);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(roots, std::vector<Cid>{dag.root.cid});
  for (const Block* b : {&dag.root, &dag.leaf1, &dag.leaf2}) {
    auto got = repo->GetBlock(b->cid);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, b->bytes);
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp / "repo/blocks/.tmp"));
}

TEST(ImportCarTest, MissingChildMayAlreadyBeInTheRepository) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  SmallDag dag;
  ASSERT_TRUE(
      Import(*repo, EncodeCarHeader({dag.leaf2.cid}) + Section(dag.leaf2.cid, dag.leaf2.bytes))
          .ok());
  std::string without_leaf2 = EncodeCarHeader({dag.root.cid}) +
                              Section(dag.root.cid, dag.root.bytes) +
                              Section(dag.leaf1.cid, dag.leaf1.bytes);
  Status s = Import(*repo, without_leaf2);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(repo->HasBlock(dag.root.cid));
}

TEST(ImportCarTest, ImportingAgainRepairsACorruptBlock) {
  TempDir tmp;
  SmallDag dag;
  {
    auto repo = OpenRepo(tmp / "repo");
    ASSERT_TRUE(Import(*repo, dag.Car()).ok());
    std::string path = repo->blocks().PathFor(dag.leaf1.cid.multihash());
    ASSERT_EQ(chmod(path.c_str(), 0644), 0);
    test_util::MustWrite(path, "first leaF");  // same size, one byte different
  }
  auto repo = OpenRepo(tmp / "repo");
  ASSERT_EQ(repo->GetBlock(dag.leaf1.cid).status().code(), StatusCode::kCorruption);
  Status s = Import(*repo, dag.Car());
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto fresh = OpenRepo(tmp / "repo");
  auto b = fresh->GetBlock(dag.leaf1.cid);
  EXPECT_TRUE(b.ok()) << "the import succeeded but left the corrupt copy: "
                      << b.status().ToString();
}

// The repository before and after must be identical for every bad CAR.
class BadCarTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_ = OpenRepo(tmp_ / "repo");
    ThreadPool pool(2);
    auto writer = repo_->NewWriter(BlockWriter::Publish::kAfterEachSync);
    ImportOptions o = ImportOptions::ForProfile("unixfs-v1-2025").value();
    Importer importer(o, writer.get(), &pool);
    Cid existing = importer.AddBytes(Span(std::string("already here"))).value().cid;
    ASSERT_TRUE(writer->Commit().ok());
    ASSERT_TRUE(repo_->Pin(existing).ok());
    ASSERT_TRUE(repo_->SetAlias("existing", existing).ok());

    // A 300-block file: enough blocks that the import spans several write batches.
    MemBlockStore mem;
    o.chunk_size = 1000;
    Importer big(o, &mem, &pool);
    big_root_ = big.AddBytes(Span(test_util::PatternBytes(300 * 1000))).value().cid;
    big_car_ = EncodeCarHeader({big_root_});
    ASSERT_TRUE(WalkDag(mem, big_root_, [&](const Cid& c, const std::string& b) {
                  big_car_ += Section(c, b);
                  last_block_size_ = b.size();
                  return Status::Ok();
                }).ok());
    before_ = test_util::Snapshot(tmp_ / "repo");
  }

  // Imports `car`, expects `code` and `why`, and checks that nothing changed.
  void ExpectRejected(const std::string& car, StatusCode code, const std::string& why) {
    Status s = Import(*repo_, car);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), code) << s.ToString();
    EXPECT_TRUE(HasSubstr(s.message(), why));
    EXPECT_EQ(test_util::Snapshot(tmp_ / "repo"), before_)
        << "a rejected CAR changed the repository";
    auto fresh = OpenRepo(tmp_ / "repo");
    EXPECT_FALSE(fresh->HasBlock(big_root_));
  }

  TempDir tmp_;
  std::unique_ptr<Repo> repo_;
  Cid big_root_;
  std::string big_car_;
  size_t last_block_size_ = 0;
  std::map<std::string, std::string> before_;
};

TEST_F(BadCarTest, GoodCarIsAccepted) {
  ASSERT_TRUE(Import(*repo_, big_car_).ok());
  EXPECT_TRUE(repo_->HasBlock(big_root_));
}

TEST_F(BadCarTest, Truncated) {
  ExpectRejected(big_car_.substr(0, big_car_.size() - last_block_size_ / 2),
                 StatusCode::kCorruption, "truncated");
}

TEST_F(BadCarTest, TamperedLastBlock) {
  std::string car = big_car_;
  car[car.size() - 10] ^= 0x40;
  ExpectRejected(car, StatusCode::kCorruption, "does not match its hash");
}

TEST_F(BadCarTest, MissingRoot) {
  SmallDag dag;
  std::string car =
      EncodeCarHeader({dag.root.cid}) + big_car_.substr(EncodeCarHeader({big_root_}).size());
  ExpectRejected(car, StatusCode::kNotFound, "root " + dag.root.cid.ToString());
}

TEST_F(BadCarTest, MissingLeaf) {
  SmallDag dag;
  std::string car = EncodeCarHeader({dag.root.cid}) + Section(dag.root.cid, dag.root.bytes) +
                    Section(dag.leaf1.cid, dag.leaf1.bytes);
  ExpectRejected(car, StatusCode::kNotFound, dag.leaf2.cid.ToString());
}

TEST_F(BadCarTest, CarV2) {
  ExpectRejected(Unhex("0a a1 67 76657273696f6e 02") + std::string(40, '\0') + big_car_,
                 StatusCode::kUnsupported, "CARv2");
}

TEST_F(BadCarTest, DagPbWithLinkFieldsOutOfOrder) {
  // A block whose hash is right but whose dag-pb is not: Name before Hash inside the link.
  SmallDag dag;
  std::string link, hash, name;
  AppendPbBytes(name, 2, "a");
  AppendPbBytes(hash, 1, dag.leaf1.cid.Bytes());
  AppendPbBytes(link, 2, name + hash);
  std::string block = link + Unhex("0a020801");
  Cid bad = Cid::V1(kCodecDagPb, Sha256Multihash(Span(block)));
  std::string car = EncodeCarHeader({bad}) + big_car_.substr(EncodeCarHeader({big_root_}).size()) +
                    Section(bad, block) + Section(dag.leaf1.cid, dag.leaf1.bytes);
  ExpectRejected(car, StatusCode::kCorruption, "out of order");
}

TEST_F(BadCarTest, NoRoots) {
  ExpectRejected(EncodeCarHeader({}) + big_car_.substr(EncodeCarHeader({big_root_}).size()),
                 StatusCode::kCorruption, "no roots");
}

TEST(ExportCarTest, RoundTripsThroughAFileIntoAnotherRepository) {
  TempDir tmp;
  MemBlockStore mem;
  ThreadPool pool(2);
  ImportOptions o = ImportOptions::ForProfile("unixfs-v0-2015").value();
  o.chunk_size = 256;
  Importer importer(o, &mem, &pool);
  std::string content = test_util::PatternBytes(50000);
  Cid root = importer.AddBytes(Span(content)).value().cid;

  std::vector<uint64_t> progress;
  Status s = ExportCar(mem, root, tmp / "out.car", [&](uint64_t n) { progress.push_back(n); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::string car = test_util::MustRead(tmp / "out.car");
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back(), car.size());
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path()))
    names.push_back(e.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"out.car"}) << "no partial file is left beside the CAR";

  std::vector<Cid> roots;
  auto blocks = ReadAll(car, &roots);
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  EXPECT_EQ(roots, std::vector<Cid>{root});
  EXPECT_EQ(blocks->size(), mem.size());  // every block once
  EXPECT_EQ((*blocks)[0].cid, root);      // parents first

  auto repo = OpenRepo(tmp / "repo");
  ASSERT_TRUE(Import(*repo, car, &roots).ok());
  for (const Block& b : *blocks) EXPECT_TRUE(repo->GetBlock(b.cid).ok()) << b.cid.ToString();
}

// A dag-pb node whose bytes also arrive as a raw block: its links must still be checked, so a CAR
// that lacks a block below it is refused (a walk keyed by multihash alone accepted it).
TEST(ImportCarTest, SameBytesAsRawAndDagPbStillChecksTheDagPbLinks) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  SmallDag dag;
  Cid raw_twin = Cid::V1(kCodecRaw, dag.root.cid.multihash());
  PbNode dir;
  dir.links = {{raw_twin, std::string("a"), dag.root.bytes.size()},
               {dag.root.cid, std::string("b"), dag.root.bytes.size()}};
  dir.data = Unhex("0801");  // UnixFS directory
  std::string dir_bytes = EncodeDagPb(dir);
  Cid dir_cid = Cid::V1(kCodecDagPb, Sha256Multihash(Span(dir_bytes)));
  std::string car = EncodeCarHeader({dir_cid}) + Section(dir_cid, dir_bytes) +
                    Section(raw_twin, dag.root.bytes) + Section(dag.root.cid, dag.root.bytes) +
                    Section(dag.leaf1.cid, dag.leaf1.bytes);  // leaf2 is missing
  Status s = Import(*repo, car);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasSubstr(s.message(), dag.leaf2.cid.ToString())) << s.message();
  EXPECT_FALSE(repo->HasBlock(dag.leaf1.cid)) << "nothing imported";

  ASSERT_TRUE(Import(*repo, car + Section(dag.leaf2.cid, dag.leaf2.bytes)).ok());
}

// DAG-CBOR: links are tag 42. A CAR of dag-cbor nodes imports, pins, survives gc and exports.
std::string CborLink(const Cid& cid) {
  std::string out;
  AppendCborHead(out, 6, 42);
  std::string bytes = cid.Bytes();
  AppendCborHead(out, 2, bytes.size() + 1);
  return out + '\0' + bytes;
}

TEST(ImportCarTest, DagCborDagsArePinnedCollectedAndExportedWhole) {
  TempDir tmp;
  SmallDag dag;  // dag-pb file below a dag-cbor map
  // {"name": "x", "file": <link>, "list": [1, -2, 1.5, null, <link to leaf1>]}
  std::string node;
  AppendCborHead(node, 5, 3);
  AppendCborHead(node, 3, 4);
  node += "name";
  AppendCborHead(node, 3, 1);
  node += "x";
  AppendCborHead(node, 3, 4);
  node += "file";
  node += CborLink(dag.root.cid);
  AppendCborHead(node, 3, 4);
  node += "list";
  AppendCborHead(node, 4, 5);
  AppendCborHead(node, 0, 1);
  AppendCborHead(node, 1, 1);
  node += Unhex("fb3ff8000000000000");  // 1.5 as a double
  node += Unhex("f6");                  // null
  node += CborLink(dag.leaf1.cid);
  Cid root = Cid::V1(kCodecDagCbor, Sha256Multihash(Span(node)));
  auto links = DagCborLinks(root, Span(node));
  ASSERT_TRUE(links.ok()) << links.status().ToString();
  EXPECT_EQ(*links, (std::vector<Cid>{dag.root.cid, dag.leaf1.cid}));

  std::string car = EncodeCarHeader({root}) + Section(root, node) +
                    Section(dag.root.cid, dag.root.bytes) + Section(dag.leaf1.cid, dag.leaf1.bytes);
  {
    auto repo = OpenRepo(tmp / "repo");
    Status s = Import(*repo, car);
    EXPECT_EQ(s.code(), StatusCode::kNotFound) << "leaf2 is missing: " << s.ToString();
    ASSERT_TRUE(Import(*repo, car + Section(dag.leaf2.cid, dag.leaf2.bytes)).ok());
    ASSERT_TRUE(repo->Pin(root).ok());
  }
  auto repo = Repo::Open(tmp / "repo", Repo::Access::kExclusive).value();
  auto stats = repo->CollectGarbage();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->blocks_kept, 4u);
  uint64_t checked = 0;
  auto problems = repo->Verify(root, &checked);
  ASSERT_TRUE(problems.ok());
  EXPECT_TRUE(problems->empty());
  EXPECT_EQ(checked, 4u);
  ASSERT_TRUE(ExportCar(*repo, root, tmp / "out.car", nullptr).ok());
  auto blocks = ReadAll(test_util::MustRead(tmp / "out.car"));
  ASSERT_TRUE(blocks.ok());
  EXPECT_EQ(blocks->size(), 4u);
}

TEST(DagCborTest, MalformedBlocksAreCorruptionNotCrashes) {
  Cid cid = Cid::V1(kCodecDagCbor, Sha256Multihash(Span(std::string("x"))));
  for (const char* hex :
       {"", "a1", "9f", "c1 00", "d8 2a 41 01", "d8 2a 45 00 01 02 03 04", "5a ffffffff",
        "9b ffffffffffffffff", "01 02", "f7", "f8 20", "bb 8000000000000000"}) {
    auto links = DagCborLinks(cid, Span(Unhex(hex)));
    EXPECT_FALSE(links.ok()) << hex;
    EXPECT_EQ(links.status().code(), StatusCode::kCorruption) << hex;
  }
  std::string deep(100000, '\x81');  // [[[[…
  deep += '\x01';
  auto links = DagCborLinks(cid, Span(deep));
  ASSERT_FALSE(links.ok());
  EXPECT_TRUE(HasSubstr(links.status().message(), "nested"));
}

// Codecs whose links we cannot read are refused when a root reaches them: pinning such a DAG would
// leave a repository where gc cannot run.
TEST(ImportCarTest, RootOfAnUnreadableCodecIsRefused) {
  TempDir tmp;
  auto repo = OpenRepo(tmp / "repo");
  std::string json = "{\"a\": 1}";
  Cid root = Cid::V1(0x0129, Sha256Multihash(Span(json)));  // dag-json
  Status s = Import(*repo, EncodeCarHeader({root}) + Section(root, json));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_TRUE(HasSubstr(s.message(), "nothing imported"));
  EXPECT_FALSE(repo->HasBlock(root));
}

TEST(ExportCarTest, MissingBlockLeavesNoFile) {
  TempDir tmp;
  MemBlockStore mem;
  SmallDag dag;
  mem.PutBlock(dag.root.bytes);
  mem.PutBlock(dag.leaf1.bytes, kCodecRaw);
  Status s = ExportCar(mem, dag.root.cid, tmp / "out.car", nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path())) << "no CAR and no partial file";
}

}  // namespace
}  // namespace ipfs_accelerate::store
