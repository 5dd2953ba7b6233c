// Layered configuration: each layer over the one before, and errors that say where and what.
#include "core/config.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../test_util.h"
#include "core/json_util.h"

namespace ipfs_accelerate {
namespace {

using test_util::HasSubstr;
using test_util::MustWrite;
using test_util::TempDir;

// A repository and a work directory with optional config files.
struct Dirs {
  TempDir tmp;
  std::string repo = tmp / "repo", work = tmp / "work";
  Dirs() {
    EXPECT_TRUE(MakeDirs(repo).ok());
    EXPECT_TRUE(MakeDirs(work).ok());
  }
  std::string home_file() const { return repo + "/config.json"; }
  std::string work_file() const { return work + "/ipfs_accelerate.json"; }
  ConfigSources sources() const { return {.repo_dir = repo, .work_dir = work}; }
};

TEST(ConfigTest, DefaultsWhenNoFileExists) {
  Dirs d;
  auto c = Config::Load(d.sources());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->Int("priorities.cuda"), 100);
  EXPECT_EQ(c->Int("priorities.openvino"), 90);
  EXPECT_EQ(c->Int("priorities.mps"), 85);
  EXPECT_EQ(c->Int("priorities.rocm"), 80);
  EXPECT_EQ(c->Int("priorities.webgpu"), 70);
  EXPECT_EQ(c->Int("priorities.webnn"), 65);
  EXPECT_EQ(c->Int("priorities.qualcomm"), 60);
  EXPECT_EQ(c->Int("priorities.cpu"), 50);
  EXPECT_EQ(c->String("browser.path"), "");
  EXPECT_EQ(c->String("bench.db"), "");
  EXPECT_EQ(c->Number("bench.max_time_s"), 10);
  EXPECT_EQ(c->SourceOf("priorities.cuda"), "default");
  EXPECT_EQ(c->BenchDbPath(), d.repo + "/results.duckdb");  // the database follows the repo
  // No directories at all is fine too.
  EXPECT_TRUE(Config::Load({}).ok());
}

// The seed's order: --set > environment > REPO/config.json (user) > ./ipfs_accelerate.json
// (project) > defaults.
TEST(ConfigTest, EachLayerOverridesThePreviousOne) {
  Dirs d;
  MustWrite(
      d.work_file(),
      R"({"priorities": {"cpu": 1, "cuda": 11, "rocm": 21, "mps": 31}, "bench": {"db": "/w.db"}})");
  MustWrite(d.home_file(), R"({"priorities": {"cpu": 2, "cuda": 12, "rocm": 22}})");
  ConfigSources s = d.sources();
  s.env = {{"IPFS_ACCELERATE_PRIORITIES_CPU", "3"}, {"IPFS_ACCELERATE_PRIORITIES_CUDA", "13"}};
  s.overrides = {"priorities.cpu=4"};
  auto c = Config::Load(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->Int("priorities.cpu"), 4);
  EXPECT_EQ(c->SourceOf("priorities.cpu"), "--set");
  EXPECT_EQ(c->Int("priorities.cuda"), 13);
  EXPECT_EQ(c->SourceOf("priorities.cuda"), "IPFS_ACCELERATE_PRIORITIES_CUDA");
  EXPECT_EQ(c->Int("priorities.rocm"), 22);
  EXPECT_EQ(c->SourceOf("priorities.rocm"), d.home_file());
  EXPECT_EQ(c->Int("priorities.mps"), 31);
  EXPECT_EQ(c->SourceOf("priorities.mps"), d.work_file());
  EXPECT_EQ(c->Int("priorities.webnn"), 65);
  EXPECT_EQ(c->SourceOf("priorities.webnn"), "default");
  EXPECT_EQ(c->BenchDbPath(), "/w.db");
  EXPECT_EQ(c->ToJson()["priorities.rocm"]["value"], 22);
}

TEST(ConfigTest, UserFileWinsOverProjectFile) {
  Dirs d;
  MustWrite(d.work_file(), R"({"logging": {"level": "debug"}, "performance": {"cache_size": 10}})");
  MustWrite(d.home_file(), R"({"logging": {"level": "error"}})");
  auto c = Config::Load(d.sources());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->String("logging.level"), "error");
  EXPECT_EQ(c->SourceOf("logging.level"), d.home_file());
  EXPECT_EQ(c->Bytes("performance.cache_size"), 10u << 20);
  EXPECT_EQ(c->SourceOf("performance.cache_size"), d.work_file());
}

// The upstream project's example config.json, as its README prints it.
constexpr char kSeedExample[] = R"({
  "hardware": {"prefer_cuda": true, "allow_openvino": true, "allow_mps": true,
               "precision": "fp16", "mixed_precision": true, "max_memory": "8GB"},
  "ipfs": {"gateway": "http://localhost:8080/ipfs/", "local_node": "http://localhost:5001",
           "timeout": 30, "retry_count": 3},
  "performance": {"cache_size": "2GB", "parallel_requests": 4, "enable_prefetch": true,
                  "enable_profiling": false},
  "logging": {"level": "INFO", "file": "~/.ipfs_accelerate/ipfs_accelerate.log"}
})";

TEST(ConfigTest, SeedExampleConfigLoadsAsWritten) {
  Dirs d;
  MustWrite(d.home_file(), kSeedExample);
  ConfigSources s = d.sources();
  s.home = "/home/ada";
  auto c = Config::Load(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->Bool("hardware.prefer_cuda"));
  EXPECT_TRUE(c->Bool("hardware.mixed_precision"));
  EXPECT_EQ(c->String("hardware.precision"), "fp16");
  EXPECT_EQ(c->Bytes("hardware.max_memory"), 8'000'000'000u);  // GB: powers of 1000
  // The seed's one gateway is a list of one.
  EXPECT_EQ(c->List("ipfs.gateway"), std::vector<std::string>{"http://localhost:8080/ipfs/"});
  EXPECT_EQ(c->String("ipfs.local_node"), "http://localhost:5001");
  EXPECT_EQ(c->Number("ipfs.timeout"), 30);
  EXPECT_EQ(c->Int("ipfs.retry_count"), 3);
  EXPECT_TRUE(c->Bool("performance.enable_prefetch"));
  ServerSettings server = c->Server();
  EXPECT_EQ(server.cache_size, 2'000'000'000u);
  EXPECT_EQ(server.parallel_requests, 4);
  EXPECT_FALSE(server.enable_profiling);
  EXPECT_EQ(server.log_level, "info");  // "INFO", matched in any case
  EXPECT_EQ(server.log_file, "/home/ada/.ipfs_accelerate/ipfs_accelerate.log");
  EXPECT_EQ(server.listen, "127.0.0.1:8000");
  EXPECT_EQ(server.api_key_file, "");

  // cache_size as a number is MiB.
  std::string numeric = kSeedExample;
  numeric.replace(numeric.find("\"2GB\""), 5, "1000");
  MustWrite(d.home_file(), numeric);
  c = Config::Load(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->Bytes("performance.cache_size"), 1000ull << 20);
}

TEST(ConfigTest, ServerDefaults) {
  ServerSettings s = Config::Defaults().Server();
  EXPECT_EQ(s.cache_size, 0u);  // automatic
  EXPECT_EQ(s.parallel_requests, 1);
  EXPECT_FALSE(s.enable_profiling);
  EXPECT_EQ(s.log_level, "info");
  EXPECT_EQ(s.log_file, "");  // stderr
  EXPECT_EQ(s.listen, "127.0.0.1:8000");
  EXPECT_EQ(s.admin_key_file, "");
  EXPECT_EQ(s.tls_cert, "");
  EXPECT_EQ(s.tls_key, "");
}

TEST(ConfigTest, BooleansInEveryLayer) {
  Dirs d;
  ConfigSources s = d.sources();
  s.env = {{"IPFS_ACCELERATE_PERFORMANCE_ENABLE_PROFILING", "TRUE"},
           {"IPFS_ACCELERATE_HARDWARE_PREFER_CUDA", "0"}};
  s.overrides = {"hardware.allow_mps=false", "performance.enable_prefetch= 1 "};
  auto c = Config::Load(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->Bool("performance.enable_profiling"));
  EXPECT_FALSE(c->Bool("hardware.prefer_cuda"));
  EXPECT_FALSE(c->Bool("hardware.allow_mps"));
  EXPECT_TRUE(c->Bool("performance.enable_prefetch"));

  s.env = {};
  s.overrides = {"hardware.allow_mps=yes"};
  EXPECT_EQ(Config::Load(s).status().message(),
            "--set hardware.allow_mps=yes: hardware.allow_mps must be true or false, got \"yes\"");
  s.overrides = {};
  MustWrite(d.home_file(), R"({"hardware": {"allow_mps": "true"}})");
  EXPECT_TRUE(HasSubstr(Config::Load(s).status().message(),
                        "hardware.allow_mps must be true or false, got \"true\""));
  MustWrite(d.home_file(), R"({"hardware": {"allow_mps": 1}})");
  EXPECT_FALSE(Config::Load(s).ok());
}

TEST(ConfigTest, SizesAreMiBNumbersOrStringsWithUnits) {
  Dirs d;
  struct Case {
    const char* text;
    uint64_t bytes;
  } cases[] = {{"2GB", 2'000'000'000},
               {"512MiB", 512ull << 20},
               {"1000", 1000ull << 20},
               {" 1.5 ", 3ull << 19},
               {"0", 0},
               {"", 0},
               {"64k", 64 << 10},
               {"4GiB", 4ull << 30}};
  for (const Case& t : cases) {
    ConfigSources s = d.sources();
    s.overrides = {std::string("performance.cache_size=") + t.text};
    auto c = Config::Load(s);
    ASSERT_TRUE(c.ok()) << t.text << ": " << c.status().ToString();
    EXPECT_EQ(c->Bytes("performance.cache_size"), t.bytes) << t.text;
  }
  for (const char* bad : {"lots", "-1", "2 parsecs", "1e30", "nan"}) {
    ConfigSources s = d.sources();
    s.overrides = {std::string("performance.cache_size=") + bad};
    auto c = Config::Load(s);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_TRUE(HasSubstr(c.status().message(), "performance.cache_size must be a size")) << bad;
  }
  MustWrite(d.home_file(), R"({"performance": {"cache_size": 0.5}})");
  auto c = Config::Load(d.sources());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->Bytes("performance.cache_size"), 1u << 19);
  for (const char* bad :
       {R"({"performance": {"cache_size": -5}})", R"({"performance": {"cache_size": true}})",
        R"({"performance": {"cache_size": 1e300}})"}) {
    MustWrite(d.home_file(), bad);
    EXPECT_FALSE(Config::Load(d.sources()).ok()) << bad;
  }
}

TEST(ConfigTest, ChoicesMatchInAnyCaseAndAreStoredLowerCase) {
  Dirs d;
  ConfigSources s = d.sources();
  s.overrides = {"logging.level=Warning", "hardware.precision=BF16"};
  auto c = Config::Load(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->String("logging.level"), "warning");
  EXPECT_EQ(c->String("hardware.precision"), "bf16");
  s.overrides = {"logging.level=verbose"};
  EXPECT_EQ(Config::Load(s).status().message(),
            "--set logging.level=verbose: logging.level must be one of debug, info, warning, "
            "error, got \"verbose\"");
}

TEST(ConfigTest, LeadingTildeIsTheHomeDirectory) {
  Dirs d;
  ConfigSources s = d.sources();
  s.home = "/home/ada";
  s.env = {{"IPFS_ACCELERATE_SERVE_TLS_CERT", "~/certs/c.pem"}};
  s.overrides = {"serve.api_key_file=~", "serve.tls_key=~other/k.pem", "bench.db=/x/~/r.db"};
  auto c = Config::Load(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->String("serve.tls_cert"), "/home/ada/certs/c.pem");
  EXPECT_EQ(c->String("serve.api_key_file"), "/home/ada");
  EXPECT_EQ(c->String("serve.tls_key"), "~other/k.pem");  // ~user is not expanded
  EXPECT_EQ(c->String("bench.db"), "/x/~/r.db");
  EXPECT_EQ(c->BenchDbPath(), "/x/~/r.db");
  // A plain string key keeps its "~".
  s.overrides = {"ipfs.local_node=~/gw"};
  EXPECT_EQ(Config::Load(s)->String("ipfs.local_node"), "~/gw");

  s.home = "";
  s.env = {};
  s.overrides = {"logging.file=~/log"};
  auto no_home = Config::Load(s);
  ASSERT_FALSE(no_home.ok());
  EXPECT_TRUE(HasSubstr(no_home.status().message(), "the home directory is unknown"));
}

TEST(ConfigTest, UnknownKeysInSeedSectionsStayErrors) {
  Dirs d;
  MustWrite(d.home_file(), R"({"performance": {"cache_sise": "2GB"}})");
  auto c = Config::Load(d.sources());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(
      HasSubstr(c.status().message(), "unknown configuration key \"performance.cache_sise\""));
  ConfigSources s = d.sources();
  MustWrite(d.home_file(), "{}");
  s.overrides = {"logging.colour=true"};
  EXPECT_FALSE(Config::Load(s).ok());
}

TEST(ConfigTest, DottedKeysAtTopLevelAndAllTypes) {
  Dirs d;
  MustWrite(d.work_file(),
            R"({"priorities.cuda": 0, "browser": {"path": "/usr/bin/chromium"},
                "bench": {"max_time_s": 2.5}})");
  auto c = Config::Load(d.sources());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->Int("priorities.cuda"), 0);
  EXPECT_EQ(c->String("browser.path"), "/usr/bin/chromium");
  EXPECT_EQ(c->Number("bench.max_time_s"), 2.5);
}

TEST(ConfigTest, SyntaxErrorNamesFileLineAndColumn) {
  Dirs d;
  // Line 3, column 14 is the stray 'x'.
  MustWrite(d.home_file(), "{\n  \"priorities\": {\n    \"cuda\": 1x\n  }\n}\n");
  auto c = Config::Load(d.sources());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(c.status().message(), d.home_file() + ":3:14: syntax error: "));

  MustWrite(d.home_file(), "{\"a\": 1,");  // ends too soon: the position just past the end
  c = Config::Load(d.sources());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(HasSubstr(c.status().message(), d.home_file() + ":1:9: syntax error: "));

  MustWrite(d.home_file(), "");
  c = Config::Load(d.sources());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(HasSubstr(c.status().message(), d.home_file() + ":1:1: syntax error: "));
}

TEST(ConfigTest, UnknownKeyNamesFileKeyAndKnownKeys) {
  Dirs d;
  MustWrite(d.work_file(), R"({"priorities": {"cdua": 5}})");
  auto c = Config::Load(d.sources());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(HasSubstr(c.status().message(), d.work_file()));
  EXPECT_TRUE(HasSubstr(c.status().message(), "unknown configuration key \"priorities.cdua\""));
  EXPECT_TRUE(HasSubstr(c.status().message(), "known keys: priorities.cuda, "));
  EXPECT_TRUE(HasSubstr(c.status().message(), "bench.max_time_s"));

  MustWrite(d.work_file(), R"({"priorities": 5})");
  c = Config::Load(d.sources());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(HasSubstr(c.status().message(), "\"priorities\" is a group of keys"));

  MustWrite(d.work_file(), R"([1, 2])");
  c = Config::Load(d.sources());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(HasSubstr(c.status().message(), d.work_file() + ": expected a JSON object"));
}

TEST(ConfigTest, WrongTypeNamesFileKeyExpectedTypeAndValue) {
  Dirs d;
  MustWrite(d.home_file(), R"({"priorities": {"cuda": "high"}})");
  auto c = Config::Load(d.sources());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), d.home_file() +
                                      ": priorities.cuda must be an integer from 0 to 1000, "
                                      "got \"high\"");
  const char* bad[] = {R"({"priorities": {"cuda": 1001}})", R"({"priorities": {"cuda": -1}})",
                       R"({"priorities": {"cuda": 1.5}})",  R"({"browser": {"path": 3}})",
                       R"({"bench": {"max_time_s": 0}})",   R"({"bench": {"max_time_s": "5"}})"};
  for (const char* text : bad) {
    MustWrite(d.home_file(), text);
    c = Config::Load(d.sources());
    EXPECT_FALSE(c.ok()) << text;
    EXPECT_TRUE(HasSubstr(c.status().message(), " must be ")) << text;
  }
  MustWrite(d.home_file(), R"({"browser": {"path": 3}})");
  EXPECT_TRUE(HasSubstr(Config::Load(d.sources()).status().message(),
                        "browser.path must be a string, got 3"));
}

TEST(ConfigTest, EnvironmentVariables) {
  Dirs d;
  ConfigSources s = d.sources();
  s.env = {{"IPFS_ACCELERATE_PATH", "/somewhere/repo"},  // not a configuration key: ignored
           {"IPFS_ACCELERATE_SOMETHING_ELSE", "x"},
           {"IPFS_ACCELERATE_BROWSER_PATH", "/opt/chrome"},
           {"IPFS_ACCELERATE_BENCH_MAX_TIME_S", " 0.25 "},
           {"IPFS_ACCELERATE_BENCH_DB", "/tmp/r.duckdb"}};
  auto c = Config::Load(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->String("browser.path"), "/opt/chrome");
  EXPECT_EQ(c->SourceOf("browser.path"), "IPFS_ACCELERATE_BROWSER_PATH");
  EXPECT_EQ(c->Number("bench.max_time_s"), 0.25);
  EXPECT_EQ(c->String("bench.db"), "/tmp/r.duckdb");
  EXPECT_EQ(Config::EnvName("bench.max_time_s"), "IPFS_ACCELERATE_BENCH_MAX_TIME_S");

  s.env = {{"IPFS_ACCELERATE_PRIORITIES_CUDA", "lots"}};
  c = Config::Load(s);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(),
            "environment variable IPFS_ACCELERATE_PRIORITIES_CUDA: priorities.cuda must be an "
            "integer from 0 to 1000, got \"lots\"");
}

TEST(ConfigTest, SetOverrides) {
  Dirs d;
  ConfigSources s = d.sources();
  s.overrides = {"priorities.cpu=7", "browser.path=", "bench.max_time_s=3", "priorities.cpu=8"};
  auto c = Config::Load(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->Int("priorities.cpu"), 8);  // the last one wins
  EXPECT_EQ(c->String("browser.path"), "");
  EXPECT_EQ(c->SourceOf("browser.path"), "--set");
  EXPECT_EQ(c->Number("bench.max_time_s"), 3);

  s.overrides = {"priorities.cpu=7x"};
  EXPECT_EQ(
      Config::Load(s).status().message(),
      "--set priorities.cpu=7x: priorities.cpu must be an integer from 0 to 1000, got \"7x\"");
  s.overrides = {"priorities.gpu=7"};
  EXPECT_TRUE(HasSubstr(Config::Load(s).status().message(),
                        "--set priorities.gpu=7: unknown configuration key \"priorities.gpu\""));
  s.overrides = {"priorities.cpu"};
  EXPECT_TRUE(
      HasSubstr(Config::Load(s).status().message(), "--set priorities.cpu: expected KEY=VALUE"));
  s.overrides = {"bench.max_time_s=-1"};
  EXPECT_TRUE(HasSubstr(Config::Load(s).status().message(), "a number greater than 0"));
}

// Bytes that are not UTF-8 (a path in a legacy encoding, a typo) are values or errors, never a
// crash: nlohmann throws when it prints them unless told to replace them.
TEST(ConfigTest, InvalidUtf8InValuesIsNoCrash) {
  Dirs d;
  ConfigSources s = d.sources();
  s.overrides = {"browser.path=/opt/\xff/chromium"};
  auto path = Config::Load(s);
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(path->String("browser.path"), "/opt/\xff/chromium");
  EXPECT_FALSE(DumpJson(path->ToJson()).empty());
  s.overrides = {"priorities.cpu=\xfe"};
  EXPECT_FALSE(Config::Load(s).ok());
  s.overrides = {};
  s.env = {{"IPFS_ACCELERATE_PRIORITIES_CUDA", "\xfe\xff"}};
  EXPECT_FALSE(Config::Load(s).ok());
  s.env = {};
  s.overrides = {"\xff=1"};
  EXPECT_FALSE(Config::Load(s).ok());
}

TEST(ConfigTest, UnreadableFileIsAnError) {
  Dirs d;
  // A directory where the file should be cannot be read, whoever runs the test.
  ASSERT_TRUE(MakeDirs(d.home_file()).ok());
  auto c = Config::Load(d.sources());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kIoError);
  EXPECT_TRUE(HasSubstr(c.status().message(), "configuration file: cannot read " + d.home_file()));
}

TEST(ConfigTest, PermissionDeniedIsAnError) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads files regardless of their mode";
  Dirs d;
  MustWrite(d.work_file(), R"({"priorities": {"cpu": 9}})");
  ASSERT_EQ(chmod(d.work_file().c_str(), 0), 0);
  auto c = Config::Load(d.sources());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kIoError);
  EXPECT_TRUE(HasSubstr(c.status().message(), d.work_file()));
  EXPECT_TRUE(HasSubstr(c.status().message(), "Permission denied"));
}

TEST(ConfigTest, HelpListsLayersAndKeys) {
  std::string help = Config::HelpText();
  EXPECT_TRUE(HasSubstr(help, "REPO/config.json"));
  EXPECT_TRUE(HasSubstr(help, "--repo DIR, else $IPFS_ACCELERATE_PATH, else ~/.ipfs_accelerate"));
  EXPECT_TRUE(HasSubstr(help, "./ipfs_accelerate.json"));
  EXPECT_TRUE(HasSubstr(help, "IPFS_ACCELERATE_PRIORITIES_CUDA"));
  EXPECT_TRUE(HasSubstr(help, "--set KEY=VALUE"));
  for (const ConfigKey& k : Config::Keys()) EXPECT_TRUE(HasSubstr(help, k.name));
  // The project file comes before (under) the user's.
  EXPECT_LT(help.find("./ipfs_accelerate.json"), help.find("REPO/config.json"));
  EXPECT_TRUE(HasSubstr(help, "a number is MiB"));
  EXPECT_TRUE(HasSubstr(help, "hardware.prefer_cuda"));
  for (const ConfigKey& k : Config::Keys()) {
    bool not_yet = k.name.starts_with("hardware.") || k.name == "performance.enable_prefetch";
    EXPECT_EQ(HasSubstr(k.help, "not used yet"), not_yet) << k.name;
  }
}

TEST(ConfigTest, ListsAreArraysInFilesAndCommaSeparatedElsewhere) {
  Dirs d;
  using List = std::vector<std::string>;
  auto c = Config::Load(d.sources());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->List("ipfs.gateway"), List{"http://localhost:8080/ipfs/"});
  EXPECT_EQ(c->List("ipfs.routers"), List{});
  EXPECT_FALSE(c->Bool("ipfs.offline"));

  MustWrite(d.home_file(), R"({"ipfs": {"gateway": ["http://a:1", " http://b:2 "],
                                        "routers": "http://r:3"}})");
  c = Config::Load(d.sources());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->List("ipfs.gateway"), (List{"http://a:1", "http://b:2"}));
  EXPECT_EQ(c->List("ipfs.routers"), List{"http://r:3"});
  EXPECT_EQ(c->ToJson()["ipfs.gateway"]["value"],
            nlohmann::json::array({"http://a:1", "http://b:2"}));

  ConfigSources s = d.sources();
  s.env = {{"IPFS_ACCELERATE_IPFS_GATEWAY", "http://e:1, http://e:2,,"}};
  c = Config::Load(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->List("ipfs.gateway"), (List{"http://e:1", "http://e:2"}));
  EXPECT_EQ(c->SourceOf("ipfs.gateway"), "IPFS_ACCELERATE_IPFS_GATEWAY");
  s.overrides = {"ipfs.gateway=", "ipfs.offline=true"};
  c = Config::Load(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->List("ipfs.gateway"), List{});  // "" turns the gateways off
  EXPECT_TRUE(c->Bool("ipfs.offline"));

  for (const char* bad : {R"({"ipfs": {"gateway": 8080}})", R"({"ipfs": {"gateway": ["a", 1]}})",
                          R"({"ipfs": {"routers": {"x": "y"}}})"}) {
    MustWrite(d.home_file(), bad);
    auto b = Config::Load(d.sources());
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_TRUE(HasSubstr(b.status().message(), "must be a list of strings"))
        << b.status().ToString();
    EXPECT_TRUE(HasSubstr(b.status().message(), d.home_file())) << b.status().ToString();
  }
  EXPECT_TRUE(HasSubstr(Config::HelpText(), "comma-separated"));
}

// A cloned repository can ship ./ipfs_accelerate.json: nesting deep enough to exhaust the stack
// is refused with the file and the limit named, not a crash.
TEST(ConfigTest, DeeplyNestedProjectFileIsAnErrorNotACrash) {
  Dirs d;
  MustWrite(d.work_file(), std::string(300000, '[') + std::string(300000, ']'));
  auto c = Config::Load(d.sources());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(c.status().message(), d.work_file() + ":1:65: JSON nested deeper than 64"));
  MustWrite(d.work_file(), "{\"priorities\": " + std::string(100000, '{'));
  c = Config::Load(d.sources());
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(HasSubstr(c.status().message(), "nested deeper than 64"));
}

TEST(ConfigTest, UserLayerIsTheRepositorysConfigJson) {
  Dirs d;
  MustWrite(d.repo + "/config.json", R"({"priorities": {"cpu": 7}})");
  // The old place is not read any more: the configuration follows the repository.
  ASSERT_TRUE(MakeDirs(d.tmp / "home/.ipfs_accelerate").ok());
  MustWrite(d.tmp / "home/.ipfs_accelerate/config.json", R"({"priorities": {"cpu": 8}})");
  auto c = Config::Load(d.sources());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->Int("priorities.cpu"), 7);
  EXPECT_EQ(c->SourceOf("priorities.cpu"), d.repo + "/config.json");
}

TEST(ConfigTest, RepoPathComesFromFlagThenVariableThenHomeAndNeverFromAnEmptyValue) {
  EXPECT_EQ(*ResolveRepoPath(std::string("/r"), std::string("/e"), "/h"), "/r");
  EXPECT_EQ(*ResolveRepoPath(std::nullopt, std::string("/e"), "/h"), "/e");
  EXPECT_EQ(*ResolveRepoPath(std::nullopt, std::nullopt, "/h"), "/h/.ipfs_accelerate");

  auto empty_flag = ResolveRepoPath(std::string(""), std::string("/e"), "/h");
  ASSERT_FALSE(empty_flag.ok());
  EXPECT_EQ(empty_flag.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(empty_flag.status().message(), "--repo is empty"));

  auto empty_env = ResolveRepoPath(std::nullopt, std::string(""), "/h");
  ASSERT_FALSE(empty_env.ok());
  EXPECT_EQ(empty_env.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(empty_env.status().message(), "IPFS_ACCELERATE_PATH is set but empty"));

  auto no_home = ResolveRepoPath(std::nullopt, std::nullopt, "");
  ASSERT_FALSE(no_home.ok());
  EXPECT_TRUE(HasSubstr(no_home.status().message(), "--repo DIR"));
}

// Numbers in --set and the environment are parsed whole: no hex, no trailing text, no overflow.
TEST(ConfigTest, NumbersAreParsedWhole) {
  Dirs d;
  for (const char* bad : {"0x10", "10abc", "99999999999999999999999", "1e3", "inf"}) {
    ConfigSources s = d.sources();
    s.overrides = {std::string("priorities.cpu=") + bad};
    auto c = Config::Load(s);
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_TRUE(HasSubstr(c.status().message(), "must be an integer from 0 to 1000")) << bad;
  }
  for (const char* bad : {"0x10", "nan", "inf", "1.5s"}) {
    ConfigSources s = d.sources();
    s.overrides = {std::string("bench.max_time_s=") + bad};
    EXPECT_FALSE(Config::Load(s).ok()) << bad;
  }
  ConfigSources s = d.sources();
  s.overrides = {"bench.max_time_s= 2.5 ", "priorities.cpu=+7"};
  auto c = Config::Load(s);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->Number("bench.max_time_s"), 2.5);
  EXPECT_EQ(c->Int("priorities.cpu"), 7);
}

}  // namespace
}  // namespace ipfs_accelerate
