#include "bench/results_db.h"

#include <duckdb.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "../test_util.h"
#include "core/file_util.h"
#include "core/process_identity.h"

namespace ipfs_accelerate::bench {
namespace {

using test_util::HasSubstr;
using test_util::TempDir;

RunRecord SampleRun() {
  RunRecord run;
  run.started_at = "2026-11-27T10:00:00Z";
  run.git_commit = "abc123";
  run.version = "0.1.0";
  run.host = "testhost";
  run.hardware_fingerprint = "0123456789abcdef";
  run.command = "ipfs-accelerate bench m.onnx";
  run.hardware = {{"cpu", true, "", 50, R"({"available":true})"},
                  {"cuda", false, "no NVIDIA driver", 100, R"({"available":false})"}};
  return run;
}

ResultRecord SampleResult(int64_t batch, std::vector<double> samples) {
  ResultRecord r;
  r.model_name = "bert_test";
  r.model_cid = "bafkreiexample";
  r.batch = batch;
  r.seq = 128;
  r.threads = 2;
  r.warmup_runs = 3;
  r.samples_ms = samples;
  r.stats = Summarize(samples);
  r.outlier = FlagOutliers(samples);
  r.throughput = 1000.0 * batch / r.stats.mean;
  r.peak_rss_bytes = 123 << 20;
  r.converged = true;
  return r;
}

// Reads one number from `path` through DuckDB's C API directly, not through our wrapper.
int64_t CountWithCApi(const std::string& path, const std::string& sql) {
  duckdb_database db;
  duckdb_connection conn;
  if (duckdb_open(path.c_str(), &db) != DuckDBSuccess) return -1;
  duckdb_connect(db, &conn);
  duckdb_result result;
  int64_t v = -1;
  if (duckdb_query(conn, sql.c_str(), &result) == DuckDBSuccess) {
    duckdb_data_chunk chunk = duckdb_fetch_chunk(result);
    if (chunk) {
      v = static_cast<int64_t*>(duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, 0)))[0];
      duckdb_destroy_data_chunk(&chunk);
    }
  }
  duckdb_destroy_result(&result);
  duckdb_disconnect(&conn);
  duckdb_close(&db);
  return v;
}

TEST(ResultsDbTest, RoundTripsARunWithItsSamples) {
  TempDir dir;
  std::string path = dir / "sub/results.duckdb";  // parent directories are created
  {
    auto db = ResultsDb::Open(path, ResultsDb::Mode::kCreate);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ(*(*db)->SchemaVersion(), ResultsDb::kSchemaVersion);
    RunRecord run = SampleRun();
    ASSERT_TRUE((*db)->BeginRun(run).ok());
    EXPECT_GT(run.id, 0);
    ResultRecord a = SampleResult(1, {1.0, 1.1, 0.9, 1.05, 0.95, 1.0, 30.0});
    ResultRecord b = SampleResult(8, {7.0, 7.2, 6.9, 7.1, 7.0, 7.05});
    b.precision = "int8";
    b.cosine_vs_fp32 = 0.9994;
    b.top1_vs_fp32 = 0.875;
    b.dims = "height=640,width=640";
    b.node_times = {{"conv1", "NhwcConv", 6.5}, {"add1", "Add", 0.25}};
    ASSERT_TRUE((*db)->AddResult(run.id, a).ok());
    ASSERT_TRUE((*db)->AddResult(run.id, b).ok());
    ASSERT_TRUE((*db)->FinishRun(run.id, "complete", "2026-11-27T10:01:00Z").ok());

    auto loaded = (*db)->LoadRun(run.id);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(loaded->status, "complete");
    EXPECT_EQ(loaded->started_at, "2026-11-27T10:00:00Z");
    EXPECT_EQ(loaded->finished_at, "2026-11-27T10:01:00Z");
    EXPECT_EQ(loaded->command, run.command);
    ASSERT_EQ(loaded->hardware.size(), 2u);
    EXPECT_EQ(loaded->hardware[0].platform, "cuda");  // by priority
    EXPECT_EQ(loaded->hardware[0].reason, "no NVIDIA driver");
    ASSERT_EQ(loaded->results.size(), 2u);
    const ResultRecord& r = loaded->results[0];
    EXPECT_EQ(r.samples_ms, a.samples_ms);
    EXPECT_EQ(r.outlier, a.outlier);
    EXPECT_TRUE(r.outlier.back());  // 30 ms among ~1 ms
    EXPECT_DOUBLE_EQ(r.stats.median, a.stats.median);
    EXPECT_EQ(r.stats.ci_valid, a.stats.ci_valid);
    EXPECT_EQ(r.batch, 1);
    EXPECT_EQ(r.seq, 128);
    EXPECT_EQ(r.model_cid, "bafkreiexample");
    EXPECT_EQ(loaded->results[1].batch, 8);
    // Accuracy against fp32: stored for int8, absent (NaN) at fp32.
    EXPECT_TRUE(std::isnan(r.cosine_vs_fp32));
    EXPECT_TRUE(std::isnan(r.top1_vs_fp32));
    EXPECT_EQ(loaded->results[1].precision, "int8");
    EXPECT_DOUBLE_EQ(loaded->results[1].cosine_vs_fp32, 0.9994);
    EXPECT_DOUBLE_EQ(loaded->results[1].top1_vs_fp32, 0.875);
    EXPECT_EQ(r.dims, "");
    EXPECT_EQ(loaded->results[1].dims, "height=640,width=640");
    EXPECT_TRUE(r.node_times.empty());
    ASSERT_EQ(loaded->results[1].node_times.size(), 2u);  // in graph order
    EXPECT_EQ(loaded->results[1].node_times[0].name, "conv1");
    EXPECT_EQ(loaded->results[1].node_times[0].op_type, "NhwcConv");
    EXPECT_DOUBLE_EQ(loaded->results[1].node_times[0].ms, 6.5);
    EXPECT_EQ(loaded->results[1].node_times[1].name, "add1");
    EXPECT_EQ(loaded->results[1].Key(), b.Key());
    EXPECT_FALSE((*db)->LoadRun(run.id + 7).ok());
  }
  // Another reader, through DuckDB's C API alone, sees the same rows.
  EXPECT_EQ(CountWithCApi(path, "SELECT count(*) FROM results"), 2);
  EXPECT_EQ(CountWithCApi(path, "SELECT count(*) FROM samples"), 13);
  EXPECT_EQ(CountWithCApi(path, "SELECT count(*) FROM samples WHERE outlier"), 1);
  EXPECT_EQ(CountWithCApi(path, "SELECT CAST(max(version) AS BIGINT) FROM schema_version"),
            ResultsDb::kSchemaVersion);
}

TEST(ResultsDbTest, MigratesDownAndUpAndOpensOlderFiles) {
  TempDir dir;
  std::string path = dir / "r.duckdb";
  {
    auto db = ResultsDb::Open(path, ResultsDb::Mode::kCreate);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->MigrateTo(0).ok());
    EXPECT_EQ(*(*db)->SchemaVersion(), 0);
    Status up = (*db)->MigrateTo(1);  // a file as version 1 wrote it
    ASSERT_TRUE(up.ok()) << up.ToString();
    RunRecord run = SampleRun();
    run.hardware.clear();  // version 1 had no hardware table
    ASSERT_TRUE(
        (*db)
            ->db()
            .Query("INSERT INTO runs (id, started_at, git_commit, version, host, "
                   "hardware_fingerprint, command, status) VALUES (1, now(), 'old', '0.0.9', "
                   "'h', 'f', 'c', 'complete')")
            .ok());
  }
  auto db = ResultsDb::Open(path, ResultsDb::Mode::kMustExist);  // migrates up
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(*(*db)->SchemaVersion(), ResultsDb::kSchemaVersion);
  auto ids = (*db)->RunIds();
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 1u);
  auto run = (*db)->LoadRun(ids->at(0));
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->git_commit, "old");  // the old row survived the migration
  EXPECT_TRUE(run->hardware.empty());
  EXPECT_FALSE((*db)->MigrateTo(ResultsDb::kSchemaVersion + 1).ok());
}

TEST(ResultsDbTest, Schema5AddsDimsAndDeviceProfilesAndGoesBackTo4) {
  TempDir dir;
  std::string path = dir / "r.duckdb";
  {
    auto db = ResultsDb::Open(path, ResultsDb::Mode::kCreate);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->MigrateTo(4).ok());  // a file as version 4 wrote it, with one result
    RunRecord run = SampleRun();
    ASSERT_TRUE((*db)->BeginRun(run).ok());
    ASSERT_TRUE((*db)
                    ->db()
                    .Query("INSERT INTO results (id, run_id, model_name, model_cid, hardware, "
                           "precision, scenario, batch, seq, threads, warmup_runs, samples, "
                           "outliers, throughput, peak_rss_bytes, converged, interrupted) VALUES "
                           "(1, ?, 'old', '', 'cpu', 'fp32', 'single-stream', 1, 0, 1, 0, 0, 0, "
                           "1.0, 0, true, false)",
                           {run.id})
                    .ok());
  }
  auto db = ResultsDb::Open(path, ResultsDb::Mode::kMustExist);  // migrates 4 -> 5
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ(*(*db)->SchemaVersion(), 5);
  auto run = (*db)->LoadRun(1);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_EQ(run->results.size(), 1u);
  EXPECT_EQ(run->results[0].model_name, "old");  // the old row survived, with no dims
  EXPECT_EQ(run->results[0].dims, "");

  // Device profiles: the latest measurement of a machine comes back whole.
  hardware::DeviceProfile p;
  p.id = "cpu-t1";
  p.platform = "cpu";
  p.name = "Test CPU";
  p.threads = 1;
  p.fp32_flops = 1.5e11;
  p.fp16_flops = 3e11;
  p.int8_ops = 6e11;
  p.memory_bytes = 64.0 * (1 << 30);
  p.bandwidth_bytes_per_s = 2.5e10;
  p.tdp_w = 65;
  p.node_overhead_s = 1.25e-6;
  p.source = "measured 2026-11-27 by hw --calibrate";
  p.measured = true;
  hardware::DeviceProfile p2 = p;
  p2.id = "cpu-t2";
  p2.threads = 2;
  p2.fp32_flops = 2.9e11;
  auto none = (*db)->LoadDeviceProfiles("0123456789abcdef");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE((*db)->SaveDeviceProfiles("0123456789abcdef", "2026-11-27T10:00:00Z", {p}).ok());
  ASSERT_TRUE((*db)->SaveDeviceProfiles("0123456789abcdef", "2026-11-28T10:00:00Z", {p, p2}).ok());
  ASSERT_TRUE((*db)->SaveDeviceProfiles("fedcba9876543210", "2026-11-29T10:00:00Z", {p2}).ok());
  auto loaded = (*db)->LoadDeviceProfiles("0123456789abcdef");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 2u);  // the latest of this machine, not the other machine's
  const hardware::DeviceProfile& q = (*loaded)[0];
  EXPECT_EQ(q.id, p.id);
  EXPECT_EQ(q.platform, p.platform);
  EXPECT_EQ(q.name, p.name);
  EXPECT_EQ(q.threads, 1);
  EXPECT_DOUBLE_EQ(q.fp32_flops, p.fp32_flops);
  EXPECT_DOUBLE_EQ(q.fp16_flops, p.fp16_flops);
  EXPECT_DOUBLE_EQ(q.int8_ops, p.int8_ops);
  EXPECT_DOUBLE_EQ(q.memory_bytes, p.memory_bytes);
  EXPECT_DOUBLE_EQ(q.bandwidth_bytes_per_s, p.bandwidth_bytes_per_s);
  EXPECT_DOUBLE_EQ(q.tdp_w, p.tdp_w);
  EXPECT_DOUBLE_EQ(q.node_overhead_s, p.node_overhead_s);
  EXPECT_EQ(q.source, p.source);
  EXPECT_TRUE(q.measured);
  EXPECT_EQ((*loaded)[1].threads, 2);
  EXPECT_DOUBLE_EQ((*loaded)[1].fp32_flops, 2.9e11);

  // Down to 4: the table and the column go; the results stay.
  Status down = (*db)->MigrateTo(4);
  ASSERT_TRUE(down.ok()) << down.ToString();
  auto tables = (*db)->db().Query(
      "SELECT count(*) FROM information_schema.tables WHERE table_name = 'device_profiles'");
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(tables->Int(0, 0), 0);
  auto columns = (*db)->db().Query(
      "SELECT count(*) FROM information_schema.columns WHERE table_name = 'results' AND "
      "column_name = 'dims'");
  ASSERT_TRUE(columns.ok());
  EXPECT_EQ(columns->Int(0, 0), 0);
  auto count = (*db)->db().Query("SELECT count(*) FROM results");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->Int(0, 0), 1);
  ASSERT_TRUE((*db)->MigrateTo(5).ok());  // and up again
  auto empty = (*db)->LoadDeviceProfiles("0123456789abcdef");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ResultsDbTest, RefusesANewerSchema) {
  TempDir dir;
  std::string path = dir / "r.duckdb";
  {
    auto db = ResultsDb::Open(path, ResultsDb::Mode::kCreate);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->db().Exec("INSERT INTO schema_version (version) VALUES (99)").ok());
  }
  auto db = ResultsDb::Open(path, ResultsDb::Mode::kMustExist);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kUnsupported);
  EXPECT_TRUE(HasSubstr(db.status().message(), "newer ipfs-accelerate (schema version 99"));
}

TEST(ResultsDbTest, MissingFileWithMustExistCreatesNothing) {
  TempDir dir;
  std::string path = dir / "none.duckdb";
  auto db = ResultsDb::Open(path, ResultsDb::Mode::kMustExist);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(ResultsDbTest, CorruptedFileIsAClearErrorAndStaysUntouched) {
  TempDir dir;
  std::string garbage = dir / "garbage.duckdb";
  std::string bytes(64 * 1024, '\x5a');
  ASSERT_TRUE(WriteFileAtomic(garbage, bytes).ok());
  auto db = ResultsDb::Open(garbage, ResultsDb::Mode::kCreate);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kCorruption) << db.status().ToString();
  EXPECT_TRUE(HasSubstr(db.status().message(), garbage));
  EXPECT_EQ(*ReadFile(garbage), bytes);

  // A real database damaged in the middle: an error, not a crash.
  std::string damaged = dir / "damaged.duckdb";
  {
    auto ok = ResultsDb::Open(damaged, ResultsDb::Mode::kCreate);
    ASSERT_TRUE(ok.ok());
  }
  std::string content = *ReadFile(damaged);
  for (size_t i = 4096; i < content.size(); i += 7) content[i] ^= 0x5a;
  ASSERT_TRUE(WriteFileAtomic(damaged, content).ok());
  auto bad = ResultsDb::Open(damaged, ResultsDb::Mode::kMustExist);
  EXPECT_FALSE(bad.ok());

  // A DuckDB file of someone else's.
  std::string other = dir / "other.duckdb";
  {
    auto raw = duckdb::Database::Open(other, false);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)->Exec("CREATE TABLE t (x INTEGER)").ok());
  }
  auto foreign = ResultsDb::Open(other, ResultsDb::Mode::kMustExist);
  ASSERT_FALSE(foreign.ok());
  EXPECT_TRUE(HasSubstr(foreign.status().message(), "not an ipfs-accelerate results database"));
}

TEST(ResultsDbTest, DatabaseHeldByAnotherProcessIsBusy) {
  TempDir dir;
  std::string path = dir / "r.duckdb";
  ASSERT_TRUE(ResultsDb::Open(path, ResultsDb::Mode::kCreate).ok());
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // holds the database open until killed
    auto db = ResultsDb::Open(path, ResultsDb::Mode::kMustExist);
    char c = db.ok() ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    pause();
    _exit(0);
  }
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto db = ResultsDb::Open(path, ResultsDb::Mode::kMustExist);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  close(ready[0]);
  close(ready[1]);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kBusy) << db.status().ToString();
  EXPECT_TRUE(HasSubstr(db.status().message(), "in use by another process"));
  // Once the holder is gone the file opens, intact.
  EXPECT_TRUE(ResultsDb::Open(path, ResultsDb::Mode::kMustExist).ok());
}

TEST(ResultsDbTest, UnwritablePathLeavesNothingBehind) {
  TempDir dir;
  std::string file = dir / "a_file";
  ASSERT_TRUE(WriteFileAtomic(file, std::string("x")).ok());
  auto db = ResultsDb::Open(file + "/results.duckdb", ResultsDb::Mode::kCreate);
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(HasSubstr(db.status().message(), "cannot create the results database"));
  auto in_proc = ResultsDb::Open("/proc/results.duckdb", ResultsDb::Mode::kCreate);
  ASSERT_FALSE(in_proc.ok());
  EXPECT_FALSE(std::filesystem::exists("/proc/results.duckdb"));
  auto dir_as_db = ResultsDb::Open(dir.path(), ResultsDb::Mode::kCreate);
  ASSERT_FALSE(dir_as_db.ok());
  EXPECT_TRUE(HasSubstr(dir_as_db.status().message(), "is not a file"));
  // Nothing but the file we made.
  size_t entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

// A process that crashes (or is killed) mid-run leaves its run "running"; the next open marks it
// "failed" once it can tell that process is gone, and leaves alone what it cannot judge.
TEST(ResultsDbTest, RunsOfDeadProcessesAreMarkedFailedWhenTheDatabaseIsOpened) {
  TempDir dir;
  std::string path = dir / "r.duckdb";
  pid_t dead = fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) _exit(0);
  ASSERT_EQ(waitpid(dead, nullptr, 0), dead);  // reaped: no process has this pid now

  const ProcessIdentity me = CurrentProcess();
  ASSERT_GT(me.start_ticks, 0);
  auto running = [&](const std::string& host, int64_t pid, const std::string& boot, int64_t start) {
    RunRecord run = SampleRun();
    run.host = host;
    run.pid = pid;
    run.boot_id = boot;
    run.process_start = start;
    return run;
  };
  std::vector<RunRecord> runs = {
      running(me.host, dead, me.boot_id, 12345),                 // 1: the process is gone
      running(me.host, me.pid, me.boot_id, me.start_ticks),      // 2: this process: alive
      running(me.host, me.pid, me.boot_id, me.start_ticks + 1),  // 3: pid reused since
      running(me.host, me.pid, "another-boot", me.start_ticks),  // 4: before a reboot
      running("some-other-host", dead, "another-boot", 1),       // 5: cannot tell
  };
  {
    auto db = ResultsDb::Open(path, ResultsDb::Mode::kCreate);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_TRUE((*db)->failed_on_open().empty());
    for (RunRecord& run : runs) ASSERT_TRUE((*db)->BeginRun(run).ok());
    RunRecord done = running(me.host, dead, me.boot_id, 1);  // 6: finished properly
    ASSERT_TRUE((*db)->BeginRun(done).ok());
    ASSERT_TRUE((*db)->FinishRun(done.id, "complete", "2026-11-27T10:01:00Z").ok());
    // 7: a row from before schema 3, without a process: cannot tell either.
    ASSERT_TRUE((*db)
                    ->db()
                    .Exec("INSERT INTO runs (id, started_at, git_commit, version, host, "
                          "hardware_fingerprint, command, status) VALUES (7, now(), 'c', "
                          "'v', 'h', 'f', 'cmd', 'running')")
                    .ok());
  }
  auto db = ResultsDb::Open(path, ResultsDb::Mode::kMustExist);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->failed_on_open(), (std::vector<int64_t>{1, 3, 4}));
  auto list = (*db)->ListRuns();
  ASSERT_TRUE(list.ok());
  std::vector<std::string> statuses;
  for (const auto& r : *list) statuses.push_back(r.run.status);
  EXPECT_EQ(statuses, (std::vector<std::string>{"failed", "running", "failed", "failed", "running",
                                                "complete", "running"}));
  auto loaded = (*db)->LoadRun(2);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->pid, me.pid);
  EXPECT_EQ(loaded->boot_id, me.boot_id);
  EXPECT_EQ(loaded->process_start, me.start_ticks);
}

TEST(ResultsDbTest, MemoryDatabaseWritesNoFile) {
  TempDir dir;
  std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  auto db = ResultsDb::Open(ResultsDb::kInMemory, ResultsDb::Mode::kCreate);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  RunRecord run = SampleRun();
  EXPECT_TRUE((*db)->BeginRun(run).ok());
  EXPECT_EQ((*db)->RunIds()->size(), 1u);
  db = Status::Internal("closed");
  std::filesystem::current_path(cwd);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace ipfs_accelerate::bench
