#include "router/store_ops.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../test_util.h"

namespace ipfs_accelerate::router {
namespace {

using store::Cid;
using store::Repo;
using test_util::TempDir;

std::unique_ptr<Repo> OpenRepo(const std::string& path) {
  auto r = Repo::Open(path);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : nullptr;
}

// A model directory: two files and a subdirectory.
std::string MakeModelDir(const TempDir& tmp) {
  std::string dir = tmp / "model";
  std::filesystem::create_directories(dir + "/tokenizer");
  test_util::MustWrite(dir + "/model.onnx", test_util::PatternBytes(5000));
  test_util::MustWrite(dir + "/config.json", "{\"task\": \"embed\"}");
  test_util::MustWrite(dir + "/tokenizer/tokenizer.json", "{}");
  return dir;
}

AddRequest DirRequest(const std::string& dir) {
  AddRequest request;
  request.options = store::ImportOptions::ForProfile("unixfs-v1-2025").value();
  request.paths = {dir};
  request.recursive = true;
  request.alias = "my-model";
  return request;
}

TEST(StoreOpsTest, AddDirectoryPinsRootAndSetsAlias) {
  TempDir tmp;
  std::string dir = MakeModelDir(tmp);
  auto repo = OpenRepo(tmp / "repo");
  ASSERT_TRUE(repo);
  ThreadPool pool(2);
  uint64_t last_progress = 0;
  auto added = AddPaths(
      repo.get(), DirRequest(dir), &pool, [&](uint64_t done) { last_progress = done; }, nullptr);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_EQ(added->roots.size(), 1u);
  const Cid root = added->roots[0];
  // Children before parents, the directory itself last, as `ipfs add` prints them.
  ASSERT_EQ(added->entries.size(), 5u);
  EXPECT_EQ(added->entries.back().path, "model");
  EXPECT_EQ(added->entries.back().cid, root);
  EXPECT_EQ(last_progress, 5000u + 17u + 2u);

  auto pins = repo->Pins();
  ASSERT_TRUE(pins.ok());
  EXPECT_EQ(*pins, std::vector<Cid>{root});
  auto resolved = repo->Resolve("my-model");
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(*resolved, root);

  // The same bytes give the same CID without a repository, and nothing is stored.
  auto hashed = AddPaths(nullptr, DirRequest(dir), &pool, nullptr, nullptr);
  ASSERT_TRUE(hashed.ok()) << hashed.status().ToString();
  EXPECT_EQ(hashed->roots, added->roots);
}

TEST(StoreOpsTest, WrapMakesOneRootOverAllPaths) {
  TempDir tmp;
  std::string dir = MakeModelDir(tmp);
  auto repo = OpenRepo(tmp / "repo");
  ASSERT_TRUE(repo);
  ThreadPool pool(1);
  AddRequest request = DirRequest(dir);
  request.paths = {dir + "/model.onnx", dir + "/config.json"};
  request.recursive = false;
  request.wrap = true;
  auto added = AddPaths(repo.get(), request, &pool, nullptr, nullptr);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_EQ(added->roots.size(), 1u);
  EXPECT_EQ(added->entries.back().path, "");
  EXPECT_EQ(added->entries.back().cid, added->roots[0]);
  EXPECT_EQ(repo->Pins().value(), std::vector<Cid>{added->roots[0]});
}

TEST(StoreOpsTest, CancelledAddLeavesNoPinAndNoAlias) {
  TempDir tmp;
  std::string dir = MakeModelDir(tmp);
  auto repo = OpenRepo(tmp / "repo");
  ASSERT_TRUE(repo);
  ThreadPool pool(1);
  CancelToken cancel;
  cancel.Cancel();
  auto added = AddPaths(repo.get(), DirRequest(dir), &pool, nullptr, &cancel);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.status().code(), StatusCode::kCancelled);
  EXPECT_TRUE(repo->Pins().value().empty());
  EXPECT_TRUE(repo->Aliases().value().empty());
}

TEST(StoreOpsTest, FailedAddLeavesNoPinAndNoAlias) {
  TempDir tmp;
  std::string dir = MakeModelDir(tmp);
  auto repo = OpenRepo(tmp / "repo");
  ASSERT_TRUE(repo);
  ThreadPool pool(1);
  AddRequest request = DirRequest(dir);
  request.paths = {dir, tmp / "missing"};  // the first imports, the second does not exist
  auto added = AddPaths(repo.get(), request, &pool, nullptr, nullptr);
  ASSERT_FALSE(added.ok());
  EXPECT_TRUE(repo->Pins().value().empty());
  EXPECT_TRUE(repo->Aliases().value().empty());
}

TEST(StoreOpsTest, ImportCarFilePinsItsRoots) {
  TempDir tmp;
  std::string dir = MakeModelDir(tmp);
  auto source = OpenRepo(tmp / "source");
  ASSERT_TRUE(source);
  ThreadPool pool(1);
  AddRequest request = DirRequest(dir);
  request.pin = false;
  request.alias.clear();
  auto added = AddPaths(source.get(), request, &pool, nullptr, nullptr);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_TRUE(source->Pins().value().empty());
  ASSERT_TRUE(store::ExportCar(*source, added->roots[0], tmp / "model.car", nullptr).ok());

  for (bool pin : {false, true}) {
    auto repo = OpenRepo(tmp / (pin ? "pinned" : "unpinned"));
    ASSERT_TRUE(repo);
    std::string bytes = test_util::MustRead(tmp / "model.car");
    store::MemoryReader reader(test_util::Span(bytes));
    auto roots = ImportCarFile(reader, *repo, pin, nullptr);
    ASSERT_TRUE(roots.ok()) << roots.status().ToString();
    EXPECT_EQ(*roots, added->roots);
    EXPECT_EQ(repo->Pins().value(), pin ? added->roots : std::vector<Cid>{});
  }
}

}  // namespace
}  // namespace ipfs_accelerate::router
