// Conformance cases run in processes of their own: a case that dies of a signal fails alone, its
// reason naming the signal, and the results of ordinary cases come back through the pipe intact.
#include <dirent.h>
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>

#include "../test_util.h"
#include "engine/conformance.h"

namespace ipfs_accelerate::engine {
namespace {

void AddTensorType(onnx::ValueInfoProto* v, const std::string& name, int elem_type) {
  v->set_name(name);
  v->mutable_type()->mutable_tensor_type()->set_elem_type(elem_type);
}

// A case whose model loops 2^62 times: it runs until something stops its process.
void WriteEndlessCase(const std::string& dir) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("endless");
  auto* loop = g->add_node();
  loop->set_op_type("Loop");
  for (const char* in : {"M", "c", "v"}) loop->add_input(in);
  loop->add_output("y");
  auto* body_attr = loop->add_attribute();
  body_attr->set_name("body");
  body_attr->set_type(onnx::AttributeProto::GRAPH);
  auto* body = body_attr->mutable_g();
  body->set_name("body");
  AddTensorType(body->add_input(), "i", onnx::TensorProto::INT64);
  AddTensorType(body->add_input(), "cond", onnx::TensorProto::BOOL);
  AddTensorType(body->add_input(), "v_in", onnx::TensorProto::FLOAT);
  for (auto [in, out] : {std::pair{"cond", "cond_out"}, std::pair{"v_in", "v_out"}}) {
    auto* n = body->add_node();
    n->set_op_type("Identity");
    n->add_input(in);
    n->add_output(out);
  }
  AddTensorType(body->add_output(), "cond_out", onnx::TensorProto::BOOL);
  AddTensorType(body->add_output(), "v_out", onnx::TensorProto::FLOAT);
  auto* trips = g->add_initializer();
  trips->set_name("M");
  trips->set_data_type(onnx::TensorProto::INT64);
  trips->add_int64_data(int64_t{1} << 62);
  auto* cond = g->add_initializer();
  cond->set_name("c");
  cond->set_data_type(onnx::TensorProto::BOOL);
  cond->add_int32_data(1);
  auto* v = g->add_initializer();
  v->set_name("v");
  v->set_data_type(onnx::TensorProto::FLOAT);
  v->add_dims(1);
  v->add_float_data(1);
  AddTensorType(g->add_output(), "y", onnx::TensorProto::FLOAT);
  std::ofstream(dir + "/model.onnx", std::ios::binary) << m.SerializeAsString();
  std::filesystem::create_directories(dir + "/test_data_set_0");
}

// y = Relu(x) with one test data set: x = [-1, 2], y = [0, 2].
void WriteReluCase(const std::string& dir) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->add_input("x");
  n->add_output("y");
  AddTensorType(g->add_input(), "x", onnx::TensorProto::FLOAT);
  AddTensorType(g->add_output(), "y", onnx::TensorProto::FLOAT);
  std::ofstream(dir + "/model.onnx", std::ios::binary) << m.SerializeAsString();
  std::filesystem::create_directories(dir + "/test_data_set_0");
  for (auto [file, a, b] : {std::tuple{"input_0.pb", -1.f, 2.f}, {"output_0.pb", 0.f, 2.f}}) {
    onnx::TensorProto t;
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_dims(2);
    t.add_float_data(a);
    t.add_float_data(b);
    std::ofstream(dir + "/test_data_set_0/" + file, std::ios::binary) << t.SerializeAsString();
  }
}

// A child process of this one, or 0.
pid_t FindChild() {
  DIR* proc = opendir("/proc");
  if (!proc) return 0;
  pid_t found = 0;
  while (dirent* e = readdir(proc)) {
    pid_t pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream stat("/proc/" + std::string(e->d_name) + "/stat");
    std::string line;
    std::getline(stat, line);
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    char state;
    pid_t ppid = 0;
    if (std::sscanf(line.c_str() + close + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid()) {
      found = pid;
      break;
    }
  }
  closedir(proc);
  return found;
}

// The signal a crashing kernel would die of. AddressSanitizer catches SIGSEGV itself (it reports
// and exits 1), so under it (make test-asan) the case's process is sent SIGILL, which it leaves be.
#if defined(__SANITIZE_ADDRESS__)
constexpr int kCrashSignal = SIGILL;
constexpr const char* kCrashSignalName = "SIGILL";
#else
constexpr int kCrashSignal = SIGSEGV;
constexpr const char* kCrashSignalName = "SIGSEGV";
#endif

TEST(ConformanceIsolationTest, ACaseThatDiesOfASignalFailsAloneNamingIt) {
  test_util::TempDir dir;
  WriteEndlessCase(dir.path());
  ConformanceResult result;
  std::thread runner([&] { result = RunConformanceCase(dir.path(), 1); });
  // Kill the case's process as a crash in a kernel would; this process goes on.
  pid_t child = 0;
  for (int i = 0; i < 6000 && child == 0; ++i) {
    child = FindChild();
    if (child == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(child, 0) << "no child process ran the case";
  kill(child, kCrashSignal);
  runner.join();
  EXPECT_EQ(result.outcome, ConformanceResult::Outcome::kFailed);
  EXPECT_EQ(result.reason, std::string("crashed: ") + kCrashSignalName);
}

TEST(ConformanceIsolationTest, OrdinaryResultsComeBackFromTheCasesProcess) {
  test_util::TempDir dir;
  WriteReluCase(dir.path());
  ConformanceResult r = RunConformanceCase(dir.path(), 1);
  EXPECT_EQ(r.outcome, ConformanceResult::Outcome::kPassed) << r.reason;
  std::filesystem::remove(dir / "test_data_set_0/output_0.pb");
  std::ofstream(dir / "test_data_set_0/output_0.pb", std::ios::binary) << [] {
    onnx::TensorProto t;
    t.set_data_type(onnx::TensorProto::FLOAT);
    t.add_dims(2);
    t.add_float_data(5);
    t.add_float_data(2);
    return t.SerializeAsString();
  }();
  r = RunConformanceCase(dir.path(), 1);
  EXPECT_EQ(r.outcome, ConformanceResult::Outcome::kFailed);
  EXPECT_TRUE(test_util::HasSubstr(r.reason, "1 of 2 values differ"));
}

}  // namespace
}  // namespace ipfs_accelerate::engine
