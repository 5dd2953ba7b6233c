// Fuzzes the repository's promise: whatever CAR comes in, an import is all or nothing, and after
// import, pin, gc and verify every pinned DAG is still complete and intact, and exports whole.
// Also feeds the bytes to the DAG-CBOR link reader. Repositories live under /dev/shm when it
// exists (fsync is free there), one fresh pair per input.
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "store/car.h"
#include "store/dag_cbor.h"
#include "store/dag_walk.h"
#include "store/multihash.h"
#include "store/repo.h"
#include "store/varint.h"

namespace {

using namespace ipfs_accelerate;
using namespace ipfs_accelerate::store;

void Require(bool ok, const char* what, const Status& status = Status::Ok()) {
  if (ok) return;
  std::fprintf(stderr, "repository check failed: %s %s\n", what, status.ToString().c_str());
  std::abort();
}

class ScratchDir {
 public:
  ScratchDir() {
    std::error_code ec;
    std::string base = std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : "/tmp";
    std::string templ = base + "/ia_repo_fuzz_XXXXXX";
    Require(mkdtemp(templ.data()) != nullptr, "mkdtemp");
    path_ = templ;
  }
  ~ScratchDir() { RemoveTree(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every block of the DAG below `root` is present, decodes and matches its CID.
Status Complete(Repo& repo, const Cid& root) {
  return WalkDag(repo, root, [](const Cid&, const std::string&) { return Status::Ok(); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> input(data, size);
  Cid cbor = Cid::V1(kCodecDagCbor, Sha256Multihash(input));
  auto links = DagCborLinks(cbor, input);
  Require(links.ok() || links.status().code() == StatusCode::kCorruption,
          "DagCborLinks gave an error other than kCorruption", links.status());

  ScratchDir dir;
  std::vector<Cid> roots;
  {
    auto repo = Repo::Open(dir.path() + "/repo");
    Require(repo.ok(), "open", repo.status());
    MemoryReader in(input);
    auto imported = ImportCar(in, **repo, nullptr);
    if (!imported.ok()) {
      // All or nothing: a rejected CAR leaves no block behind.
      size_t files = 0;
      Require(
          (*repo)->blocks().ForEach([&](const std::string&, const std::string&) { ++files; }).ok(),
          "list blocks");
      Require(files == 0, "a rejected CAR left blocks in the repository");
      return 0;
    }
    roots = *imported;
    for (const Cid& root : roots) {
      Require((*repo)->Pin(root, /*check_dag=*/false).ok(), "pin");
      // What the import accepted must be what a checking pin accepts.
      Status whole = Complete(**repo, root);
      Require(whole.ok(), "an imported root's DAG is incomplete", whole);
    }
  }
  auto repo = Repo::Open(dir.path() + "/repo", Repo::Access::kExclusive);
  Require(repo.ok(), "reopen", repo.status());
  auto gc = (*repo)->CollectGarbage();
  Require(gc.ok(), "gc failed on a repository of imported, pinned DAGs", gc.status());
  for (const Cid& root : roots) {
    Status whole = Complete(**repo, root);
    Require(whole.ok(), "gc removed a block a pin reaches", whole);
    uint64_t checked = 0;
    auto problems = (*repo)->Verify(root, &checked);
    Require(problems.ok() && problems->empty(), "verify found problems in a pinned DAG");
    std::string car = dir.path() + "/export.car";
    Status exported = ExportCar(**repo, root, car, nullptr);
    Require(exported.ok(), "export", exported);
    auto other = Repo::Open(dir.path() + "/other");
    Require(other.ok(), "open other", other.status());
    auto bytes = ReadFile(car);
    Require(bytes.ok(), "read export");
    MemoryReader in(AsBytes(*bytes));
    auto again = ImportCar(in, **other, nullptr);
    Require(again.ok(), "an exported CAR does not import", again.status());
    Require(Complete(**other, root).ok(), "an exported CAR is incomplete");
    std::filesystem::remove(car);
  }
  return 0;
}
