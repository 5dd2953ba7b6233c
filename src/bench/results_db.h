// The benchmark results database: one DuckDB file holding runs, their results with every raw
// sample, and the hardware each run saw. The schema is versioned; migrations go up and down.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/duckdb.h"
#include "bench/results.h"
#include "core/status.h"
#include "hardware/profiles.h"

namespace ipfs_accelerate::bench {

class ResultsDb {
 public:
  // The schema version this build writes; Open migrates older files up to it.
  static constexpr int kSchemaVersion = 5;
  // The path that opens a database in memory: nothing is written, nothing kept after Close.
  static constexpr char kInMemory[] = ":memory:";

  enum class Mode {
    kCreate,     // create the file (with its parent directories) when it does not exist
    kMustExist,  // a missing file is kNotFound
  };

  // Opens the results database at `path` (kInMemory: a fresh one in memory), migrating an older
  // schema up, and marks runs whose process died while they were "running" as "failed" (see
  // FailAbandonedRuns and failed_on_open). A new file is built beside `path` and
  // renamed into place once complete, so a failure leaves nothing behind.
  // Errors: kNotFound (kMustExist, no file), kBusy (another process has it open), kCorruption
  // (not a DuckDB file, or not a results database), kUnsupported (a newer schema than this
  // build knows), kIoError (an unwritable path).
  static Result<std::unique_ptr<ResultsDb>> Open(const std::string& path, Mode mode);

  // The schema version of the file (0 for an empty database).
  Result<int> SchemaVersion();
  // Applies the migrations up or down to `version` (0…kSchemaVersion), each in a transaction.
  Status MigrateTo(int version);

  // Inserts `run` (its fields, status and hardware rows; not its results) and sets run.id.
  Status BeginRun(RunRecord& run);
  // Inserts one result with its samples for run `run_id` in one transaction; sets result.id.
  Status AddResult(int64_t run_id, ResultRecord& result);
  // Marks "failed" every "running" run whose process is gone (recorded on this host, and this
  // machine rebooted since, or its pid is free or reused; see CheckProcess). Runs of other hosts
  // and runs recorded before schema 3 (no pid) are left as they are. Returns the ids it marked.
  Result<std::vector<int64_t>> FailAbandonedRuns();
  // Records how the run ended: "complete", "interrupted" or "failed", and when.
  Status FinishRun(int64_t run_id, const std::string& status, const std::string& finished_at);

  // Run ids, oldest first.
  Result<std::vector<int64_t>> RunIds();

  // Every run without its results, oldest first, with how many results each holds.
  struct RunSummary {
    RunRecord run;  // fields only: results and hardware empty
    int64_t results = 0;
  };
  Result<std::vector<RunSummary>> ListRuns();
  // A whole run: fields, hardware rows, results in the order they were added, with samples.
  // kNotFound naming the id when there is no such run.
  Result<RunRecord> LoadRun(int64_t id);

  // Stores `profiles` (hw --calibrate's, one per thread count) as the measurement of the machine
  // `fingerprint` (hardware::HardwareFingerprint) taken at `measured_at` (ISO 8601 UTC),
  // replacing a measurement of the same machine and time; in one transaction.
  Status SaveDeviceProfiles(const std::string& fingerprint, const std::string& measured_at,
                            const std::vector<hardware::DeviceProfile>& profiles);
  // The latest measurement of the machine `fingerprint`, in the order it was saved; empty when
  // the machine was never measured.
  Result<std::vector<hardware::DeviceProfile>> LoadDeviceProfiles(const std::string& fingerprint);

  duckdb::Database& db() { return *db_; }
  // The runs Open marked "failed" because their process had died (for the caller to report).
  const std::vector<int64_t>& failed_on_open() const { return failed_on_open_; }

 private:
  explicit ResultsDb(std::unique_ptr<duckdb::Database> db) : db_(std::move(db)) {}
  static Result<std::unique_ptr<ResultsDb>> OpenExisting(const std::string& path);
  static Status CreateNew(const std::string& path);
  std::unique_ptr<duckdb::Database> db_;
  std::vector<int64_t> failed_on_open_;
};

}  // namespace ipfs_accelerate::bench
