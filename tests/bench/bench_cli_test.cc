// The benchmark suite end to end: `ipfs-accelerate bench` on two generated models, the rows it
// writes read back through DuckDB's C API, the HTML report rendered in headless Chromium,
// `compare`, Ctrl-C, and the errors for bad models, databases, paths and configurations.
#include <duckdb.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <thread>

#include "../test_util.h"
#include "bench/results_db.h"
#include "bench_random.h"
#include "core/file_util.h"
#include "core/npy.h"
#include "core/tensor.h"

extern char** environ;

namespace ipfs_accelerate {
namespace {

using test_util::HasSubstr;

struct Output {
  int code = -1;
  std::string text;  // stdout and stderr
};

Output Shell(const std::string& command) {
  Output out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.text.append(buf, n);
  int status = pclose(p);
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return out;
}

// Rows of a query through DuckDB's C API, each cell as text (NULL as "NULL").
std::vector<std::vector<std::string>> Query(const std::string& path, const std::string& sql) {
  std::vector<std::vector<std::string>> rows;
  duckdb_database db;
  duckdb_connection conn;
  duckdb_config config;
  duckdb_create_config(&config);
  duckdb_set_config(config, "access_mode", "READ_ONLY");
  char* error = nullptr;
  if (duckdb_open_ext(path.c_str(), &db, config, &error) != DuckDBSuccess) {
    ADD_FAILURE() << "cannot open " << path << ": " << (error ? error : "");
    duckdb_destroy_config(&config);
    return rows;
  }
  duckdb_destroy_config(&config);
  duckdb_connect(db, &conn);
  duckdb_result result;
  if (duckdb_query(conn, ("SELECT * FROM (" + sql + ")").c_str(), &result) != DuckDBSuccess) {
    ADD_FAILURE() << sql << ": " << duckdb_result_error(&result);
  } else {
    idx_t cols = duckdb_column_count(&result);
    idx_t n = duckdb_row_count(&result);
    for (idx_t r = 0; r < n; ++r) {
      std::vector<std::string> row;
      for (idx_t c = 0; c < cols; ++c) {
        char* v = duckdb_value_varchar(&result, c, r);  // VARCHAR cast of the cell
        row.push_back(v ? v : "NULL");
        if (v) duckdb_free(v);
      }
      rows.push_back(row);
    }
  }
  duckdb_destroy_result(&result);
  duckdb_disconnect(&conn);
  duckdb_close(&db);
  return rows;
}

class BenchCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test_util::TempDir();
    Output gen = Shell("/usr/bin/python3 " + std::string(test_util::SourceDir()) +
                       "/tools/gen_models/gen_models.py --out " + dir_->path() +
                       "/models --size test --only mlp,bert");
    ASSERT_EQ(gen.code, 0) << gen.text;
    ASSERT_TRUE(MakeDirs(Home()).ok());
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Home() { return dir_->path() + "/home"; }
  static std::string Model(const std::string& name) {
    return dir_->path() + "/models/" + name + "_test/model.onnx";
  }
  // The command with a private HOME (and so the default repository ~/.ipfs_accelerate under it),
  // so no user configuration or default database is touched.
  static std::string Bin(const std::string& args) {
    return "cd " + dir_->path() + " && HOME=" + Home() + " env -u IPFS_ACCELERATE_PATH " +
           test_util::BinPath() + " " + args;
  }
  // Starts `ipfs-accelerate bench ARGS` in the background as Bin() runs it, stderr into `log`, and
  // returns once it has started measuring.
  static pid_t SpawnBench(std::vector<std::string> args, const std::string& log) {
    pid_t pid = 0;
    std::string home = "HOME=" + Home();
    args.insert(args.begin(), {test_util::BinPath(), "bench"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    std::vector<char*> envp;
    for (char** e = environ; *e; ++e) {
      std::string_view v(*e);
      if (!v.starts_with("HOME=") && !v.starts_with("IPFS_ACCELERATE_PATH=")) envp.push_back(*e);
    }
    envp.push_back(home.data());
    envp.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid, test_util::BinPath(), &actions, nullptr, argv.data(), envp.data()),
              0);
    posix_spawn_file_actions_destroy(&actions);
    for (int i = 0; i < 600; ++i) {
      auto text = ReadFile(log);
      if (text.ok() && text->find("bench: run") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return pid;
  }
  static std::string Path(const std::string& name) { return dir_->path() + "/" + name; }

  static test_util::TempDir* dir_;
};
test_util::TempDir* BenchCliTest::dir_ = nullptr;

TEST_F(BenchCliTest, TwoModelsBatchesAndThreadsLandInDuckDbAndTheReportRenders) {
  std::string db = Path("results.duckdb");
  Output bench = Shell(Bin("bench " + Model("mlp") + " " + Model("bert") +
                           " --batch 1,8 --threads 1,2 --seq 16 --max-time 0.3 --db " + db));
  ASSERT_EQ(bench.code, 0) << bench.text;
  EXPECT_TRUE(HasSubstr(bench.text, "p50 ms"));  // the summary table
  EXPECT_TRUE(HasSubstr(bench.text, "run 1 complete: 8 results"));

  auto runs = Query(db,
                    "SELECT id, status, git_commit, host, length(hardware_fingerprint), "
                    "command, finished_at IS NOT NULL FROM runs");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0][1], "complete");
  EXPECT_FALSE(runs[0][2].empty());
  EXPECT_EQ(runs[0][4], "16");
  EXPECT_TRUE(HasSubstr(runs[0][5], "bench"));
  EXPECT_EQ(runs[0][6], "true");

  auto results = Query(db,
                       "SELECT model_name, batch, threads, seq, samples, p50_ms > 0, "
                       "p50_ms BETWEEN ci_low_ms AND ci_high_ms, throughput > 0, "
                       "peak_rss_bytes > 0, model_cid LIKE 'baf%', interrupted FROM results "
                       "ORDER BY model_name, batch, threads");
  ASSERT_EQ(results.size(), 8u);
  std::vector<std::string> expect_models = {"bert_test", "bert_test", "bert_test", "bert_test",
                                            "mlp_test",  "mlp_test",  "mlp_test",  "mlp_test"};
  for (size_t i = 0; i < 8; ++i) {
    const auto& r = results[i];
    EXPECT_EQ(r[0], expect_models[i]);
    EXPECT_EQ(r[1], i % 4 < 2 ? "1" : "8");
    EXPECT_EQ(r[2], i % 2 == 0 ? "1" : "2");
    EXPECT_EQ(r[3], i < 4 ? "16" : "0");  // the MLP has no sequence dimension
    EXPECT_GE(std::stoi(r[4]), 10) << "at least --min-samples";
    for (size_t c = 5; c <= 9; ++c) EXPECT_EQ(r[c], "true") << "column " << c << " row " << i;
    EXPECT_EQ(r[10], "false");
  }
  // Every statistic's raw samples are there.
  auto samples = Query(db,
                       "SELECT count(*) FROM results r WHERE samples <> (SELECT count(*) FROM "
                       "samples s WHERE s.result_id = r.id)");
  EXPECT_EQ(samples[0][0], "0");
  auto median = Query(db,
                      "SELECT count(*) FROM results r WHERE abs(p50_ms - (SELECT median(ms) FROM "
                      "samples s WHERE s.result_id = r.id)) > 1e-9");
  EXPECT_EQ(median[0][0], "0") << "p50 is the median of the stored samples";
  auto hw = Query(db, "SELECT platform, available FROM hardware_snapshots ORDER BY platform");
  ASSERT_EQ(hw.size(), 8u);
  EXPECT_EQ(hw[0][0], "cpu");
  EXPECT_EQ(hw[0][1], "true");

  // A second, smaller run gives the report some history and compare something to compare.
  Output again = Shell(Bin("bench " + Model("mlp") + " --batch 1,8 --max-time 0.2 --db " + db));
  ASSERT_EQ(again.code, 0) << again.text;

  std::string html = Path("report.html");
  Output report = Shell(Bin("report --db " + db + " -o " + html));
  ASSERT_EQ(report.code, 0) << report.text;
  Output browser =
      Shell("NODE_PATH=" + std::string(test_util::SourceDir()) + "/.deps/npm/node_modules node " +
            test_util::SourceDir() + "/tests/bench/check_report.js " + html);
  EXPECT_EQ(browser.code, 0) << browser.text;
  Output first = Shell(Bin("report --db " + db + " --run 1 -o " + Path("run1.html")));
  ASSERT_EQ(first.code, 0) << first.text;
  browser =
      Shell("NODE_PATH=" + std::string(test_util::SourceDir()) + "/.deps/npm/node_modules node " +
            test_util::SourceDir() + "/tests/bench/check_report.js " + Path("run1.html"));
  EXPECT_EQ(browser.code, 0) << browser.text;

  Output md = Shell(Bin("report --db " + db + " --format md"));
  ASSERT_EQ(md.code, 0) << md.text;
  EXPECT_TRUE(HasSubstr(md.text, "mlp_test"));
  Output json = Shell(Bin("report --db " + db + " --run 1 --format json"));
  ASSERT_EQ(json.code, 0) << json.text;
  EXPECT_TRUE(HasSubstr(json.text, "\"bert_test\""));

  Output list = Shell(Bin("runs --db " + db));
  ASSERT_EQ(list.code, 0) << list.text;
  EXPECT_TRUE(HasSubstr(list.text, "complete"));
  Output list_json = Shell(Bin("runs --json --db " + db));
  EXPECT_TRUE(HasSubstr(list_json.text, "\"results\": 8"));
  EXPECT_TRUE(HasSubstr(list_json.text, "\"results\": 2"));

  Output same = Shell(Bin("compare 1 1 --db " + db));
  EXPECT_EQ(same.code, 0) << same.text;  // a run against itself never regresses
  Output two = Shell(Bin("compare 1 2 --db " + db));
  EXPECT_TRUE(two.code == 0 || two.code == 1) << two.text;  // timing: either verdict is fair
  EXPECT_TRUE(HasSubstr(two.text, "Mann"));
  Output missing_run = Shell(Bin("compare 1 99 --db " + db));
  EXPECT_EQ(missing_run.code, 2);
  EXPECT_TRUE(HasSubstr(missing_run.text, "no run 99"));
}

// compare's exit code is what CI reads: runs with known distributions (a planted 10% slowdown in
// one configuration; a fresh draw of the same distributions) stored as bench stores them.
TEST_F(BenchCliTest, CompareExitsOneOnAPlantedSlowdownOnly) {
  std::string db = Path("planted.duckdb");
  {
    auto results = bench::ResultsDb::Open(db, bench::ResultsDb::Mode::kCreate);
    ASSERT_TRUE(results.ok()) << results.status().ToString();
    test_random::Rng rng(42);
    auto add_run = [&](double slowdown) {
      bench::RunRecord run;
      run.started_at = "2026-11-27T12:00:00Z";
      run.git_commit = "planted";
      run.command = "planted";
      ASSERT_TRUE((*results)->BeginRun(run).ok());
      for (int batch : {1, 8}) {
        bench::ResultRecord r;
        r.model_name = "m";
        r.model_cid = "bafkreiplanted";
        r.batch = batch;
        double median = batch * (batch == 8 ? slowdown : 1.0);
        r.samples_ms = rng.LogNormals(100, median, 0.03);
        r.stats = bench::Summarize(r.samples_ms);
        r.outlier = bench::FlagOutliers(r.samples_ms);
        ASSERT_TRUE((*results)->AddResult(run.id, r).ok());
      }
      ASSERT_TRUE((*results)->FinishRun(run.id, "complete", "2026-11-27T12:01:00Z").ok());
    };
    add_run(1.0);
    add_run(1.10);  // run 2: batch 8 is 10% slower
    add_run(1.0);   // run 3: the same distributions as run 1
  }
  Output slower = Shell(Bin("compare 1 2 --db " + db));
  EXPECT_EQ(slower.code, 1) << slower.text;
  EXPECT_TRUE(HasSubstr(slower.text, "regression"));
  EXPECT_TRUE(HasSubstr(slower.text, "1 regression"));
  Output same = Shell(Bin("compare 1 3 --db " + db));
  EXPECT_EQ(same.code, 0) << same.text;
  EXPECT_TRUE(HasSubstr(same.text, "Note: both runs are the same build (planted)"));
  Output faster = Shell(Bin("compare 2 3 --db " + db + " --json"));
  EXPECT_EQ(faster.code, 0) << faster.text;  // an improvement is no failure
  EXPECT_TRUE(HasSubstr(faster.text, "improvement"));
}

TEST_F(BenchCliTest, CtrlCKeepsWhatWasMeasuredMarkedInterrupted) {
  std::string db = Path("interrupt.duckdb");
  std::string log = Path("interrupt.log");
  pid_t pid = SpawnBench(
      {Model("bert"), "--max-time", "60", "--target-ci", "0.0001", "--db", db, "--seq", "16"}, log);
  // Let it sample a while.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal instead of stopping cleanly";
  EXPECT_EQ(WEXITSTATUS(status), 130) << *ReadFile(log);
  auto run = Query(db, "SELECT status FROM runs");
  ASSERT_EQ(run.size(), 1u);
  EXPECT_EQ(run[0][0], "interrupted");
  auto results = Query(db, "SELECT interrupted, samples FROM results");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0][0], "true");
  EXPECT_GT(std::stoi(results[0][1]), 0);
}

TEST_F(BenchCliTest, BadInputGivesClearErrorsAndNoDatabase) {
  std::string db = Path("never.duckdb");
  auto no_db = [&] {
    return !std::filesystem::exists(db) && !std::filesystem::exists(db + ".wal");
  };

  Output missing = Shell(Bin("bench " + Path("nope.onnx") + " --db " + db));
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(HasSubstr(missing.text, "nope.onnx"));
  EXPECT_TRUE(no_db());

  ASSERT_TRUE(WriteFileAtomic(Path("junk.onnx"), std::string("not a model")).ok());
  Output junk = Shell(Bin("bench " + Path("junk.onnx") + " --db " + db));
  EXPECT_EQ(junk.code, 1);
  EXPECT_TRUE(HasSubstr(junk.text, "junk.onnx"));
  EXPECT_TRUE(no_db());

  Output unknown_cid =
      Shell(Bin("--repo " + Path("repo") +
                " bench bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku --db " + db));
  EXPECT_EQ(unknown_cid.code, 1);
  EXPECT_TRUE(no_db());

  Output bad_scenario = Shell(Bin("bench " + Model("mlp") + " --scenario server --db " + db));
  EXPECT_EQ(bad_scenario.code, 1);
  EXPECT_TRUE(HasSubstr(bad_scenario.text, "unknown scenario 'server'"));
  EXPECT_TRUE(no_db());

  ASSERT_TRUE(
      WriteFileAtomic(Path("x.npy"), EncodeNpy(Tensor::Zeros(DType::kFloat32, {1, 16}))).ok());
  Output bad_input =
      Shell(Bin("bench " + Model("mlp") + " --input nosuch=" + Path("x.npy") + " --db " + db));
  EXPECT_EQ(bad_input.code, 1);
  EXPECT_TRUE(HasSubstr(bad_input.text, "no model given has an input of that name"));
  EXPECT_TRUE(no_db());

  Output bad_hw = Shell(Bin("bench " + Model("mlp") + " --hardware cuda --db " + db));
  EXPECT_EQ(bad_hw.code, 1);
  EXPECT_TRUE(HasSubstr(bad_hw.text, "cuda is not available here"));
  EXPECT_TRUE(no_db());

  ASSERT_TRUE(WriteFileAtomic(Path("a_file"), std::string("x")).ok());
  Output unwritable =
      Shell(Bin("bench " + Model("mlp") + " --max-time 0.1 --db " + Path("a_file/results.duckdb")));
  EXPECT_EQ(unwritable.code, 1);
  EXPECT_TRUE(HasSubstr(unwritable.text, "cannot create the results database"));

  std::string garbage = Path("garbage.duckdb");
  ASSERT_TRUE(WriteFileAtomic(garbage, std::string(20000, 'g')).ok());
  Output corrupt = Shell(Bin("bench " + Model("mlp") + " --max-time 0.1 --db " + garbage));
  EXPECT_EQ(corrupt.code, 1);
  EXPECT_TRUE(HasSubstr(corrupt.text, "not a DuckDB database"));
  EXPECT_EQ(*ReadFile(garbage), std::string(20000, 'g'));
  Output corrupt_report = Shell(Bin("report --db " + garbage));
  EXPECT_EQ(corrupt_report.code, 1);

  // A database another process holds (this one, through the C API).
  std::string held = Path("held.duckdb");
  Output make = Shell(Bin("bench " + Model("mlp") + " --max-time 0.1 --db " + held));
  ASSERT_EQ(make.code, 0) << make.text;
  duckdb_database holder;
  ASSERT_EQ(duckdb_open(held.c_str(), &holder), DuckDBSuccess);
  Output locked = Shell(Bin("bench " + Model("mlp") + " --max-time 0.1 --db " + held));
  duckdb_close(&holder);
  EXPECT_EQ(locked.code, 1);
  EXPECT_TRUE(HasSubstr(locked.text, "in use by another process"));

  // A configuration file with a syntax error: named with its line and column, nothing written.
  std::string config_dir = Home() + "/.ipfs_accelerate";
  ASSERT_TRUE(MakeDirs(config_dir).ok());
  ASSERT_TRUE(
      WriteFileAtomic(config_dir + "/config.json", std::string("{\n  \"bench\": {\"db\": }\n}\n"))
          .ok());
  Output config = Shell(Bin("bench " + Model("mlp") + " --db " + db));
  ASSERT_TRUE(RemoveTree(config_dir).ok());
  EXPECT_EQ(config.code, 1);
  EXPECT_TRUE(HasSubstr(config.text, "config.json:2:"));
  EXPECT_TRUE(no_db());

  Output no_results = Shell(Bin("report --db " + db));
  EXPECT_EQ(no_results.code, 1);
  EXPECT_TRUE(HasSubstr(no_results.text, "no results database"));
  EXPECT_TRUE(no_db());
}

// A bench killed outright (SIGKILL, an out-of-memory kill, a crash) cannot mark its own run; the
// next command that opens the database sees that its process is gone and marks it "failed".
TEST_F(BenchCliTest, AKilledBenchIsMarkedFailedOnTheNextOpen) {
  std::string db = Path("killed.duckdb");
  std::string log = Path("killed.log");
  // --min-time holds off the convergence check, so even a fast quiet machine is still measuring
  // when the kill comes.
  pid_t pid = SpawnBench({Model("mlp"), "--min-time", "60", "--max-time", "60", "--target-ci",
                          "0.0001", "--max-samples", "10000000", "--db", db},
                         log);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  EXPECT_EQ(Query(db, "SELECT status FROM runs")[0][0], "running");
  Output runs = Shell(Bin("runs --db " + db));
  ASSERT_EQ(runs.code, 0) << runs.text;
  EXPECT_TRUE(HasSubstr(runs.text,
                        "note: run 1 was left \"running\" by a process that no longer "
                        "exists"));
  EXPECT_TRUE(HasSubstr(runs.text, "failed"));
  EXPECT_EQ(Query(db, "SELECT status FROM runs")[0][0], "failed");
  Output again = Shell(Bin("runs --db " + db));  // said once: the run is no longer "running"
  EXPECT_FALSE(HasSubstr(again.text, "note:"));
}

// `--min-time` says "at least": it holds even for a model fast enough to give 1000 samples in a
// fraction of a second (only --max-time and --max-samples end sampling sooner).
TEST_F(BenchCliTest, MinTimeIsHonoured) {
  std::string db = Path("min_time.duckdb");
  Output bench = Shell(Bin("bench " + Model("mlp") +
                           " --min-time 2 --max-time 10 --max-samples 10000000 --db " + db));
  ASSERT_EQ(bench.code, 0) << bench.text;
  auto rows = Query(db, "SELECT sum(ms), count(*) FROM samples");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_GE(std::stod(rows[0][0]), 1500) << rows[0][1] << " samples";
  Output help = Shell(Bin("bench --help"));
  EXPECT_TRUE(HasSubstr(help.text, "--max-samples stop sooner"));
}

// Thread counts mean the same in run and bench: 0 is one thread per core.
TEST_F(BenchCliTest, ThreadsZeroIsOnePerCore) {
  std::string db = Path("threads0.duckdb");
  Output bench = Shell(Bin("bench " + Model("mlp") + " --threads 0 --max-time 0.1 --db " + db));
  ASSERT_EQ(bench.code, 0) << bench.text;
  auto rows = Query(db, "SELECT threads FROM results");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_GE(std::stoi(rows[0][0]), 1);
  Output bad = Shell(Bin("bench " + Model("mlp") + " --threads -1 --db " + db));
  EXPECT_EQ(bad.code, 1);
  EXPECT_TRUE(HasSubstr(bad.text, "0: one per core"));
}

TEST_F(BenchCliTest, EmptyDbIsAnErrorAndMemoryKeepsNothing) {
  for (const std::string& cmd : {"bench " + Model("mlp") + " --max-time 0.1", std::string("runs"),
                                 std::string("report"), std::string("compare 1 2")}) {
    Output empty = Shell(Bin(cmd + " --db ''"));
    EXPECT_NE(empty.code, 0) << cmd;
    EXPECT_TRUE(HasSubstr(empty.text, "--db is empty")) << cmd << ": " << empty.text;
  }
  Output memory = Shell(Bin("bench " + Model("mlp") + " --max-time 0.1 --db :memory:"));
  ASSERT_EQ(memory.code, 0) << memory.text;
  EXPECT_TRUE(HasSubstr(memory.text, "into memory (not kept)"));
  EXPECT_TRUE(HasSubstr(memory.text, "1 result in memory"));
  EXPECT_FALSE(std::filesystem::exists(Path(":memory:")));
  EXPECT_FALSE(std::filesystem::exists(Home() + "/:memory:"));
}

// A model name is whatever the file is called: escapes and newlines from it must reach neither
// the terminal (bench table, runs) nor the Markdown report raw.
TEST_F(BenchCliTest, ModelNamesFromOutsideAreEscapedInTablesAndReports) {
  std::string evil = Path("evil\x1b[2J\nname|x.onnx");
  std::filesystem::copy_file(Model("mlp"), evil);
  std::string db = Path("evil.duckdb");
  Output bench = Shell(Bin("bench '" + evil + "' --max-time 0.1 --db " + db));
  ASSERT_EQ(bench.code, 0) << bench.text;
  EXPECT_EQ(bench.text.find('\x1b'), std::string::npos) << bench.text;
  EXPECT_TRUE(HasSubstr(bench.text, "evil\\x1b[2J\\nname|x"));

  Output runs = Shell(Bin("runs --db " + db));
  ASSERT_EQ(runs.code, 0) << runs.text;
  EXPECT_EQ(runs.text.find('\x1b'), std::string::npos) << runs.text;
  EXPECT_TRUE(HasSubstr(runs.text, "evil\\x1b[2J\\nname|x.onnx"));  // the command line
  EXPECT_EQ(std::count(runs.text.begin(), runs.text.end(), '\n'), 2) << runs.text;

  Output md = Shell(Bin("report --format md --db " + db));
  ASSERT_EQ(md.code, 0) << md.text;
  EXPECT_EQ(md.text.find('\x1b'), std::string::npos);
  size_t row = md.text.find("| evil");
  ASSERT_NE(row, std::string::npos) << md.text;
  std::string line = md.text.substr(row, md.text.find('\n', row) - row);
  EXPECT_TRUE(HasSubstr(line, "name\\|x")) << line;        // the pipe cannot end the cell
  EXPECT_TRUE(HasSubstr(line, "| cpu | fp32 |")) << line;  // the row goes on in the same line
}

}  // namespace
}  // namespace ipfs_accelerate
