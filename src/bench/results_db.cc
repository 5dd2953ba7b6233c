#include "bench/results_db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <limits>

#include "core/file_util.h"
#include "core/json_util.h"
#include "core/process_identity.h"

namespace ipfs_accelerate::bench {
namespace {

struct Migration {
  int version;
  const char* summary;
  const char* up;
  const char* down;
};

// Append only: a released migration never changes; the next change is a new version.
// No FOREIGN KEY clauses or sequences: DuckDB 1.4 cannot recreate, in the session that dropped
// them, tables that had such dependencies (a down-then-up migration fails to commit). Ids are
// max + 1 (DuckDB lets one process write a file at a time) and related rows are written in one
// transaction.
constexpr Migration kMigrations[] = {
    {1, "runs, results and raw samples",
     R"sql(
CREATE TABLE runs (
  id BIGINT PRIMARY KEY,        -- 1, 2, …: max + 1, under the writer's lock
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP,
  git_commit VARCHAR NOT NULL,
  version VARCHAR NOT NULL,
  host VARCHAR NOT NULL,
  hardware_fingerprint VARCHAR NOT NULL,
  command VARCHAR NOT NULL,
  status VARCHAR NOT NULL
);
CREATE TABLE results (
  id BIGINT PRIMARY KEY,        -- max + 1, like runs.id
  run_id BIGINT NOT NULL,       -- runs.id
  model_name VARCHAR NOT NULL,
  model_cid VARCHAR NOT NULL,
  hardware VARCHAR NOT NULL,
  precision VARCHAR NOT NULL,
  scenario VARCHAR NOT NULL,
  batch BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  threads BIGINT NOT NULL,
  warmup_runs BIGINT NOT NULL,
  samples BIGINT NOT NULL,
  min_ms DOUBLE, max_ms DOUBLE, mean_ms DOUBLE, stddev_ms DOUBLE,
  p50_ms DOUBLE, p90_ms DOUBLE, p99_ms DOUBLE, mad_ms DOUBLE,
  ci_low_ms DOUBLE, ci_high_ms DOUBLE,
  ci_rel DOUBLE,                -- NULL when there were too few samples for a 95% interval
  outliers BIGINT NOT NULL,
  throughput DOUBLE NOT NULL,   -- items per second
  peak_rss_bytes BIGINT NOT NULL,
  converged BOOLEAN NOT NULL,
  interrupted BOOLEAN NOT NULL
);
CREATE TABLE samples (
  result_id BIGINT NOT NULL,    -- results.id
  idx BIGINT NOT NULL,
  ms DOUBLE NOT NULL,
  outlier BOOLEAN NOT NULL,
  PRIMARY KEY (result_id, idx)
);
)sql",
     R"sql(
DROP TABLE samples;
DROP TABLE results;
DROP TABLE runs;
)sql"},
    {2, "hardware snapshots per run",
     R"sql(
CREATE TABLE hardware_snapshots (
  run_id BIGINT NOT NULL,       -- runs.id
  platform VARCHAR NOT NULL,
  available BOOLEAN NOT NULL,
  reason VARCHAR NOT NULL,
  priority BIGINT NOT NULL,
  details VARCHAR NOT NULL,     -- the platform's object of `hw --json`
  PRIMARY KEY (run_id, platform)
);
)sql",
     R"sql(
DROP TABLE hardware_snapshots;
)sql"},
    {3, "the process behind each run, to tell a crashed run from a running one",
     R"sql(
ALTER TABLE runs ADD COLUMN pid BIGINT;            -- NULL for runs recorded before version 3
ALTER TABLE runs ADD COLUMN boot_id VARCHAR;       -- /proc/sys/kernel/random/boot_id
ALTER TABLE runs ADD COLUMN process_start BIGINT;  -- clock ticks after boot (/proc/PID/stat)
)sql",
     R"sql(
ALTER TABLE runs DROP COLUMN process_start;
ALTER TABLE runs DROP COLUMN boot_id;
ALTER TABLE runs DROP COLUMN pid;
)sql"},
    {4, "accuracy of a precision other than fp32 against fp32 on the same inputs",
     R"sql(
ALTER TABLE results ADD COLUMN cosine_vs_fp32 DOUBLE;  -- NULL at fp32 and before version 4
ALTER TABLE results ADD COLUMN top1_vs_fp32 DOUBLE;    -- NULL unless an output is [batch, classes]
)sql",
     R"sql(
ALTER TABLE results DROP COLUMN top1_vs_fp32;
ALTER TABLE results DROP COLUMN cosine_vs_fp32;
)sql"},
    {5,
     "named dimensions of a configuration; time per node; device profiles measured by hw "
     "--calibrate",
     R"sql(
-- "height=640,width=640"; '' for older rows. DuckDB cannot add a NOT NULL column: every insert
-- gives it, and reads coalesce.
ALTER TABLE results ADD COLUMN dims VARCHAR DEFAULT '';
CREATE TABLE node_times (
  result_id BIGINT NOT NULL,  -- results.id
  idx BIGINT NOT NULL,        -- the node's place in the graph the engine ran
  name VARCHAR NOT NULL,
  op_type VARCHAR NOT NULL,
  ms DOUBLE NOT NULL,         -- per timed run
  PRIMARY KEY (result_id, idx)
);
CREATE TABLE device_profiles (
  fingerprint VARCHAR NOT NULL,  -- hardware::HardwareFingerprint of the machine measured
  measured_at VARCHAR NOT NULL,  -- ISO 8601 UTC, "2026-11-27T10:33:03Z"
  idx BIGINT NOT NULL,           -- the profile's place in its measurement
  profile VARCHAR NOT NULL,      -- every field of hardware::DeviceProfile, as a JSON object
  PRIMARY KEY (fingerprint, measured_at, idx)
);
)sql",
     R"sql(
DROP TABLE device_profiles;
DROP TABLE node_times;
ALTER TABLE results DROP COLUMN dims;
)sql"},
};

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// Removes a DuckDB file and its write-ahead log.
void RemoveDatabaseFiles(const std::string& path) {
  unlink(path.c_str());
  unlink((path + ".wal").c_str());
}

}  // namespace

Result<std::unique_ptr<ResultsDb>> ResultsDb::Open(const std::string& path, Mode mode) {
  if (path.empty()) return Status::InvalidArgument("the results database path is empty");
  if (path == kInMemory) {
    IA_ASSIGN_OR_RETURN(auto db, duckdb::Database::Open(path, /*read_only=*/false));
    std::unique_ptr<ResultsDb> results(new ResultsDb(std::move(db)));
    IA_RETURN_IF_ERROR(results->MigrateTo(kSchemaVersion));
    return results;
  }
  if (!Exists(path)) {
    if (mode == Mode::kMustExist) {
      return Status::NotFound("no results database at " + path +
                              "; run `ipfs-accelerate bench` first, or pass --db FILE");
    }
    IA_RETURN_IF_ERROR(CreateNew(path));
  }
  return OpenExisting(path);
}

Status ResultsDb::CreateNew(const std::string& path) {
  std::string dir = DirName(path);
  if (Status s = MakeDirs(dir); !s.ok()) {
    return Status::IoError("cannot create the results database " + path + ": " + s.message());
  }
  if (access(dir.c_str(), W_OK) != 0) {
    return Status::FromErrno("cannot create the results database in", dir, errno);
  }
  // Built under a temporary name and renamed when complete: a crash or an error leaves no
  // half-made database where the next run would find it.
  std::string tmp = path + ".tmp-" + std::to_string(getpid());
  RemoveDatabaseFiles(tmp);
  Status s = [&]() -> Status {
    IA_ASSIGN_OR_RETURN(auto db, duckdb::Database::Open(tmp, /*read_only=*/false));
    ResultsDb results(std::move(db));
    IA_RETURN_IF_ERROR(results.MigrateTo(kSchemaVersion));
    return results.db().Exec("CHECKPOINT");
  }();
  if (s.ok() && Exists(tmp + ".wal")) {
    s = Status::IoError("DuckDB left a write-ahead log for " + tmp + " after CHECKPOINT");
  }
  if (s.ok()) {
    int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      fsync(fd);
      ::close(fd);
    }
    if (rename(tmp.c_str(), path.c_str()) != 0) s = Status::FromErrno("rename", path, errno);
  }
  if (!s.ok()) {
    RemoveDatabaseFiles(tmp);
    return s.WithContext("cannot create the results database " + path);
  }
  return SyncDir(dir);
}

Result<std::unique_ptr<ResultsDb>> ResultsDb::OpenExisting(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(path + " is not a file; --db wants a DuckDB database file");
  }
  IA_ASSIGN_OR_RETURN(auto db, duckdb::Database::Open(path, /*read_only=*/false));
  std::unique_ptr<ResultsDb> results(new ResultsDb(std::move(db)));
  IA_ASSIGN_OR_RETURN(int version, results->SchemaVersion());
  if (version > kSchemaVersion) {
    return Status::Unsupported(path + " was written by a newer ipfs-accelerate (schema version " +
                               std::to_string(version) + "; this build knows up to " +
                               std::to_string(kSchemaVersion) +
                               "). Upgrade ipfs-accelerate, or choose another --db");
  }
  if (version < kSchemaVersion) {
    IA_RETURN_IF_ERROR(results->MigrateTo(kSchemaVersion)
                           .WithContext("cannot migrate " + path + " from schema version " +
                                        std::to_string(version)));
  }
  IA_ASSIGN_OR_RETURN(results->failed_on_open_, results->FailAbandonedRuns());
  return results;
}

Result<std::vector<int64_t>> ResultsDb::FailAbandonedRuns() {
  IA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT id, host, coalesce(pid, 0), "
                                            "coalesce(boot_id, ''), coalesce(process_start, 0) "
                                            "FROM runs WHERE status = 'running' ORDER BY id"));
  std::vector<int64_t> failed;
  for (size_t r = 0; r < rows.rows.size(); ++r) {
    ProcessIdentity who{.host = rows.Text(r, 1),
                        .pid = rows.Int(r, 2),
                        .boot_id = rows.Text(r, 3),
                        .start_ticks = rows.Int(r, 4)};
    if (CheckProcess(who) != Liveness::kGone) continue;
    const int64_t id = rows.Int(r, 0);
    IA_RETURN_IF_ERROR(
        db_->Query("UPDATE runs SET status = 'failed' WHERE id = ? AND status = 'running'", {id})
            .status());
    failed.push_back(id);
  }
  return failed;
}

Result<int> ResultsDb::SchemaVersion() {
  IA_ASSIGN_OR_RETURN(
      auto tables,
      db_->Query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"));
  bool has_version = false;
  for (size_t r = 0; r < tables.rows.size(); ++r) {
    if (tables.Text(r, 0) == "schema_version") has_version = true;
  }
  if (!has_version) {
    if (tables.rows.empty()) return 0;
    return Status::Corruption(db_->path() +
                              " is a DuckDB database but not an ipfs-accelerate results database "
                              "(no schema_version table); choose another --db");
  }
  IA_ASSIGN_OR_RETURN(auto v, db_->Query("SELECT CAST(coalesce(max(version), 0) AS BIGINT) FROM "
                                         "schema_version"));
  return static_cast<int>(v.Int(0, 0));
}

Status ResultsDb::MigrateTo(int target) {
  if (target < 0 || target > kSchemaVersion) {
    return Status::InvalidArgument("schema version " + std::to_string(target) +
                                   " does not exist (0…" + std::to_string(kSchemaVersion) + ")");
  }
  IA_RETURN_IF_ERROR(
      db_->Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at "
                "TIMESTAMP NOT NULL DEFAULT current_timestamp)"));
  IA_ASSIGN_OR_RETURN(int current, SchemaVersion());
  while (current != target) {
    bool up = current < target;
    const Migration& m = kMigrations[up ? current : current - 1];
    Status s = db_->Transaction([&]() -> Status {
      IA_RETURN_IF_ERROR(db_->Exec(up ? m.up : m.down));
      if (up) {
        return db_->Query("INSERT INTO schema_version (version) VALUES (?)", {int64_t{m.version}})
            .status();
      }
      return db_->Query("DELETE FROM schema_version WHERE version = ?", {int64_t{m.version}})
          .status();
    });
    if (!s.ok()) {
      return s.WithContext(std::string("migration ") + std::to_string(m.version) + " (" +
                           m.summary + ") " + (up ? "up" : "down"));
    }
    current = up ? m.version : m.version - 1;
  }
  return Status::Ok();
}

Status ResultsDb::BeginRun(RunRecord& run) {
  return db_->Transaction([&]() -> Status {
    IA_ASSIGN_OR_RETURN(
        auto id,
        db_->Query("INSERT INTO runs (id, started_at, git_commit, version, host, "
                   "hardware_fingerprint, command, status, pid, boot_id, process_start) SELECT "
                   "coalesce(max(id), 0) + 1, strptime(?, '%Y-%m-%dT%H:%M:%SZ'), ?, ?, ?, ?, ?, ?, "
                   "?, ?, ? FROM runs RETURNING id",
                   {run.started_at, run.git_commit, run.version, run.host, run.hardware_fingerprint,
                    run.command, run.status, run.pid, run.boot_id, run.process_start}));
    run.id = id.Int(0, 0);
    for (const HardwarePlatform& h : run.hardware) {
      IA_RETURN_IF_ERROR(
          db_->Query("INSERT INTO hardware_snapshots VALUES (?, ?, ?, ?, ?, ?)",
                     {run.id, h.platform, h.available, h.reason, h.priority, h.details_json})
              .status());
    }
    return Status::Ok();
  });
}

Status ResultsDb::AddResult(int64_t run_id, ResultRecord& r) {
  const SampleStats& s = r.stats;
  return db_->Transaction([&]() -> Status {
    IA_ASSIGN_OR_RETURN(
        auto id,
        db_->Query(
            "INSERT INTO results (id, run_id, model_name, model_cid, hardware, precision, "
            "scenario, "
            "batch, seq, threads, warmup_runs, samples, min_ms, max_ms, mean_ms, stddev_ms, "
            "p50_ms, p90_ms, p99_ms, mad_ms, ci_low_ms, ci_high_ms, ci_rel, outliers, "
            "throughput, peak_rss_bytes, converged, interrupted, cosine_vs_fp32, top1_vs_fp32, "
            "dims) "
            "SELECT coalesce(max(id), 0) + 1, "
            "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "?, ? "
            "FROM results RETURNING id",
            {run_id,
             r.model_name,
             r.model_cid,
             r.hardware,
             r.precision,
             r.scenario,
             r.batch,
             r.seq,
             r.threads,
             r.warmup_runs,
             static_cast<int64_t>(s.count),
             s.min,
             s.max,
             s.mean,
             s.stddev,
             s.median,
             s.p90,
             s.p99,
             s.mad,
             s.ci_low,
             s.ci_high,
             s.ci_valid ? duckdb::Value(s.ci_rel) : duckdb::Value(),
             static_cast<int64_t>(s.outliers),
             r.throughput,
             r.peak_rss_bytes,
             r.converged,
             r.interrupted,
             std::isnan(r.cosine_vs_fp32) ? duckdb::Value() : duckdb::Value(r.cosine_vs_fp32),
             std::isnan(r.top1_vs_fp32) ? duckdb::Value() : duckdb::Value(r.top1_vs_fp32),
             r.dims}));
    r.id = id.Int(0, 0);
    r.run_id = run_id;
    std::vector<std::vector<duckdb::Value>> rows;
    for (size_t i = 0; i < r.samples_ms.size(); ++i) {
      bool outlier = i < r.outlier.size() && r.outlier[i];
      rows.push_back({r.id, static_cast<int64_t>(i), r.samples_ms[i], outlier});
    }
    IA_RETURN_IF_ERROR(db_->Append("samples", rows));
    std::vector<std::vector<duckdb::Value>> nodes;
    for (size_t i = 0; i < r.node_times.size(); ++i) {
      const ResultRecord::NodeTime& t = r.node_times[i];
      nodes.push_back({r.id, static_cast<int64_t>(i), t.name, t.op_type, t.ms});
    }
    return nodes.empty() ? Status::Ok() : db_->Append("node_times", nodes);
  });
}

Status ResultsDb::FinishRun(int64_t run_id, const std::string& status,
                            const std::string& finished_at) {
  return db_
      ->Query(
          "UPDATE runs SET status = ?, finished_at = strptime(?, '%Y-%m-%dT%H:%M:%SZ') WHERE id = "
          "?",
          {status, finished_at, run_id})
      .status();
}

Result<std::vector<int64_t>> ResultsDb::RunIds() {
  IA_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT id FROM runs ORDER BY id"));
  std::vector<int64_t> ids;
  for (size_t r = 0; r < rows.rows.size(); ++r) ids.push_back(rows.Int(r, 0));
  return ids;
}

namespace {

constexpr char kRunColumns[] =
    "id, strftime(started_at, '%Y-%m-%dT%H:%M:%SZ'), coalesce(strftime(finished_at, "
    "'%Y-%m-%dT%H:%M:%SZ'), ''), git_commit, version, host, hardware_fingerprint, command, status, "
    "coalesce(pid, 0), coalesce(boot_id, ''), coalesce(process_start, 0)";

RunRecord RunFromRow(const duckdb::Rows& rows, size_t r) {
  RunRecord run;
  run.id = rows.Int(r, 0);
  run.started_at = rows.Text(r, 1);
  run.finished_at = rows.Text(r, 2);
  run.git_commit = rows.Text(r, 3);
  run.version = rows.Text(r, 4);
  run.host = rows.Text(r, 5);
  run.hardware_fingerprint = rows.Text(r, 6);
  run.command = rows.Text(r, 7);
  run.status = rows.Text(r, 8);
  run.pid = rows.Int(r, 9);
  run.boot_id = rows.Text(r, 10);
  run.process_start = rows.Int(r, 11);
  return run;
}

}  // namespace

Result<std::vector<ResultsDb::RunSummary>> ResultsDb::ListRuns() {
  IA_ASSIGN_OR_RETURN(auto rows,
                      db_->Query(std::string("SELECT ") + kRunColumns +
                                 ", (SELECT count(*) FROM results WHERE run_id = runs.id) FROM "
                                 "runs ORDER BY id"));
  std::vector<RunSummary> out;
  for (size_t r = 0; r < rows.rows.size(); ++r)
    out.push_back({RunFromRow(rows, r), rows.Int(r, 12)});
  return out;
}

Result<RunRecord> ResultsDb::LoadRun(int64_t id) {
  IA_ASSIGN_OR_RETURN(
      auto runs,
      db_->Query(std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?", {id}));
  if (runs.rows.empty()) {
    return Status::NotFound("no run " + std::to_string(id) + " in " + db_->path() +
                            " (`ipfs-accelerate runs` lists them)");
  }
  RunRecord run = RunFromRow(runs, 0);

  IA_ASSIGN_OR_RETURN(auto hw, db_->Query("SELECT platform, available, reason, priority, details "
                                          "FROM hardware_snapshots WHERE run_id = ? ORDER BY "
                                          "priority DESC, platform",
                                          {id}));
  for (size_t r = 0; r < hw.rows.size(); ++r) {
    run.hardware.push_back(
        {hw.Text(r, 0), hw.Bool(r, 1), hw.Text(r, 2), hw.Int(r, 3), hw.Text(r, 4)});
  }

  IA_ASSIGN_OR_RETURN(
      auto res,
      db_->Query("SELECT id, model_name, model_cid, hardware, precision, scenario, batch, seq, "
                 "threads, warmup_runs, samples, min_ms, max_ms, mean_ms, stddev_ms, p50_ms, "
                 "p90_ms, p99_ms, mad_ms, ci_low_ms, ci_high_ms, ci_rel, outliers, throughput, "
                 "peak_rss_bytes, converged, interrupted, cosine_vs_fp32, top1_vs_fp32, "
                 "coalesce(dims, '') FROM results "
                 "WHERE run_id = ? ORDER BY id",
                 {id}));
  for (size_t r = 0; r < res.rows.size(); ++r) {
    ResultRecord x;
    x.id = res.Int(r, 0);
    x.run_id = id;
    x.model_name = res.Text(r, 1);
    x.model_cid = res.Text(r, 2);
    x.hardware = res.Text(r, 3);
    x.precision = res.Text(r, 4);
    x.scenario = res.Text(r, 5);
    x.batch = res.Int(r, 6);
    x.seq = res.Int(r, 7);
    x.threads = res.Int(r, 8);
    x.warmup_runs = res.Int(r, 9);
    SampleStats& s = x.stats;
    s.count = static_cast<size_t>(res.Int(r, 10));
    s.min = res.Double(r, 11);
    s.max = res.Double(r, 12);
    s.mean = res.Double(r, 13);
    s.stddev = res.Double(r, 14);
    s.median = res.Double(r, 15);
    s.p90 = res.Double(r, 16);
    s.p99 = res.Double(r, 17);
    s.mad = res.Double(r, 18);
    s.ci_low = res.Double(r, 19);
    s.ci_high = res.Double(r, 20);
    s.ci_valid = !res.IsNull(r, 21);
    s.ci_rel = s.ci_valid ? res.Double(r, 21) : std::numeric_limits<double>::infinity();
    s.outliers = static_cast<size_t>(res.Int(r, 22));
    x.throughput = res.Double(r, 23);
    x.peak_rss_bytes = res.Int(r, 24);
    x.converged = res.Bool(r, 25);
    x.interrupted = res.Bool(r, 26);
    if (!res.IsNull(r, 27)) x.cosine_vs_fp32 = res.Double(r, 27);
    if (!res.IsNull(r, 28)) x.top1_vs_fp32 = res.Double(r, 28);
    x.dims = res.Text(r, 29);
    IA_ASSIGN_OR_RETURN(
        auto samples,
        db_->Query("SELECT ms, outlier FROM samples WHERE result_id = ? ORDER BY idx", {x.id}));
    for (size_t i = 0; i < samples.rows.size(); ++i) {
      x.samples_ms.push_back(samples.Double(i, 0));
      x.outlier.push_back(samples.Bool(i, 1));
    }
    IA_ASSIGN_OR_RETURN(
        auto nodes,
        db_->Query("SELECT name, op_type, ms FROM node_times WHERE result_id = ? ORDER BY idx",
                   {x.id}));
    for (size_t i = 0; i < nodes.rows.size(); ++i) {
      x.node_times.push_back({nodes.Text(i, 0), nodes.Text(i, 1), nodes.Double(i, 2)});
    }
    run.results.push_back(std::move(x));
  }
  return run;
}

Status ResultsDb::SaveDeviceProfiles(const std::string& fingerprint, const std::string& measured_at,
                                     const std::vector<hardware::DeviceProfile>& profiles) {
  if (fingerprint.empty()) {
    return Status::InvalidArgument("SaveDeviceProfiles: the hardware fingerprint is empty");
  }
  return db_->Transaction([&]() -> Status {
    IA_RETURN_IF_ERROR(
        db_->Query("DELETE FROM device_profiles WHERE fingerprint = ? AND measured_at = ?",
                   {fingerprint, measured_at})
            .status());
    for (size_t i = 0; i < profiles.size(); ++i) {
      IA_RETURN_IF_ERROR(db_->Query("INSERT INTO device_profiles VALUES (?, ?, ?, ?)",
                                    {fingerprint, measured_at, static_cast<int64_t>(i),
                                     DumpJson(hardware::ToJson(profiles[i]))})
                             .status());
    }
    return Status::Ok();
  });
}

Result<std::vector<hardware::DeviceProfile>> ResultsDb::LoadDeviceProfiles(
    const std::string& fingerprint) {
  IA_ASSIGN_OR_RETURN(
      auto rows, db_->Query("SELECT profile FROM device_profiles WHERE fingerprint = ? AND "
                            "measured_at = (SELECT max(measured_at) FROM device_profiles WHERE "
                            "fingerprint = ?) ORDER BY idx",
                            {fingerprint, fingerprint}));
  std::vector<hardware::DeviceProfile> out;
  for (size_t r = 0; r < rows.rows.size(); ++r) {
    auto j = nlohmann::json::parse(rows.Text(r, 0), nullptr, /*allow_exceptions=*/false);
    auto p = hardware::DeviceProfileFromJson(j);
    if (!p.ok()) {
      return Status::Corruption(db_->path() + ": device profile " + std::to_string(r) + " of " +
                                fingerprint + ": " + p.status().message() +
                                "; measure again with `ipfs-accelerate hw --calibrate`");
    }
    out.push_back(std::move(*p));
  }
  return out;
}

}  // namespace ipfs_accelerate::bench
