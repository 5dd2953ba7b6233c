// The results database of bench, report, compare, runs and hw --calibrate: where it is and
// opening it.
#include <cstdio>

#include "cli/cli.h"

namespace ipfs_accelerate::cli {

Result<std::string> DbPath(const std::string& flag, bool given, const Config& config) {
  if (given && flag.empty()) {
    return Status::InvalidArgument(
        "--db is empty; give the results database file (or :memory: for one that is not kept), "
        "or leave --db out for " +
        config.BenchDbPath());
  }
  if (given) return flag;
  std::string path = config.BenchDbPath();
  if (path.empty()) return Status::InvalidArgument("no results database: pass --db FILE");
  return path;
}

Result<std::unique_ptr<bench::ResultsDb>> OpenDb(const std::string& path,
                                                 bench::ResultsDb::Mode mode) {
  IA_ASSIGN_OR_RETURN(auto db, bench::ResultsDb::Open(path, mode));
  for (int64_t id : db->failed_on_open()) {
    std::fprintf(stderr,
                 "note: run %lld was left \"running\" by a process that no longer exists (it "
                 "crashed or was killed); marked \"failed\"\n",
                 static_cast<long long>(id));
  }
  return db;
}

}  // namespace ipfs_accelerate::cli
