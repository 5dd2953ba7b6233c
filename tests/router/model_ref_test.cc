#include "router/model_ref.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>
#include <vector>

#include "../test_util.h"
#include "core/thread_pool.h"
#include "engine/session.h"
#include "router/store_ops.h"
#include "store/repo.h"
#include "store/unixfs_reader.h"

namespace ipfs_accelerate::router {
namespace {

using test_util::HasSubstr;
using test_util::TempDir;

// y = (x + a) * b over `n` floats. With `external`, a and b live in weights.bin (a at offset 0,
// b right after it), else inside the model.
onnx::ModelProto AddMulModel(int64_t n, bool external) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("add_mul");
  for (const char* name : {"x", "y"}) {
    auto* v = name[0] == 'x' ? g->add_input() : g->add_output();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    v->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(n);
  }
  for (int k = 0; k < 2; ++k) {
    auto* t = g->add_initializer();
    t->set_name(k == 0 ? "a" : "b");
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(n);
    if (external) {
      t->set_data_location(onnx::TensorProto::EXTERNAL);
      auto* location = t->add_external_data();
      location->set_key("location");
      location->set_value("weights.bin");
      auto* offset = t->add_external_data();
      offset->set_key("offset");
      offset->set_value(std::to_string(k * n * 4));
    } else {
      std::vector<float> v(n);
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(k == 0 ? i : 2);
      t->set_raw_data(v.data(), v.size() * sizeof(float));
    }
  }
  auto* add = g->add_node();
  add->set_op_type("Add");
  add->add_input("x");
  add->add_input("a");
  add->add_output("t");
  auto* mul = g->add_node();
  mul->set_op_type("Mul");
  mul->add_input("t");
  mul->add_input("b");
  mul->add_output("y");
  return m;
}

// The weights AddMulModel(n, true) reads: a = 0, 1, 2, ... and b = 2.
std::string Weights(int64_t n) {
  std::vector<float> v(2 * n);
  for (int64_t i = 0; i < n; ++i) {
    v[i] = static_cast<float>(i);
    v[n + i] = 2;
  }
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// Runs the model on x = 1 and checks y = (1 + i) * 2.
void ExpectComputes(const engine::Model& model, int64_t n) {
  auto session = engine::Session::Create(model, {.threads = 1});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  Tensor x = Tensor::Empty(DType::kFloat32, {n});
  for (int64_t i = 0; i < n; ++i) x.data<float>()[i] = 1;
  auto out = (*session)->Run({{"x", std::move(x)}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const float* y = out->at("y").data<float>();
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], (1.0f + static_cast<float>(i)) * 2) << i;
}

class ModelRefTest : public ::testing::Test {
 protected:
  // Adds `dir` to the repository under `alias`; returns the root CID.
  std::string Add(const std::string& dir, const std::string& alias = "m") {
    auto repo = store::Repo::Open(repo_path_);
    EXPECT_TRUE(repo.ok()) << repo.status().ToString();
    AddRequest request;
    request.options = store::ImportOptions::ForProfile("unixfs-v1-2025").value();
    request.paths = {dir};
    request.recursive = true;
    request.alias = alias;
    ThreadPool pool(1);
    auto added = AddPaths(repo->get(), request, &pool, nullptr, nullptr);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    return added.ok() ? added->roots.at(0).ToString() : "";
  }

  std::string ModelDir(const onnx::ModelProto& m, const std::string& weights) {
    std::string dir = tmp_ / ("model" + std::to_string(dirs_++));
    std::filesystem::create_directories(dir);
    test_util::MustWrite(dir + "/model.onnx", m.SerializeAsString());
    if (!weights.empty()) test_util::MustWrite(dir + "/weights.bin", weights);
    return dir;
  }

  TempDir tmp_;
  std::string repo_path_ = tmp_ / "repo";
  int dirs_ = 0;
};

TEST_F(ModelRefTest, ExternalDataLoadsFromTheStoreAsFromTheDirectory) {
  constexpr int64_t n = 1000;
  std::string dir = ModelDir(AddMulModel(n, /*external=*/true), Weights(n));
  auto local = LoadModelRef(repo_path_, dir);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  ExpectComputes(*local, n);

  std::string root = Add(dir);
  // The directory by alias, by CID, and the model file by its path inside the directory.
  for (std::string ref :
       {std::string("/ipfs/m"), "/ipfs/" + root, "/ipfs/" + root + "/model.onnx"}) {
    std::string cid;
    auto stored = LoadModelRef(repo_path_, ref, &cid);
    ASSERT_TRUE(stored.ok()) << ref << ": " << stored.status().ToString();
    ExpectComputes(*stored, n);
    EXPECT_FALSE(cid.empty());
  }
}

TEST_F(ModelRefTest, AModelOfManyBlocksParsesAsItsBlocksAreRead) {
  // 2 × 400 000 floats: 3.2 MB inside the model, so several pieces and several store blocks.
  constexpr int64_t n = 400000;
  std::string dir = ModelDir(AddMulModel(n, /*external=*/false), "");
  std::string root = Add(dir);
  auto stored = LoadModelRef(repo_path_, "/ipfs/" + root);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  ExpectComputes(*stored, n);
}

TEST_F(ModelRefTest, ExternalDataProblemsInTheStoreAreClearErrors) {
  constexpr int64_t n = 16;
  // The weights file too short for b.
  std::string short_dir = ModelDir(AddMulModel(n, true), Weights(n).substr(0, 6 * n));
  Add(short_dir, "short");
  auto too_short = LoadModelRef(repo_path_, "/ipfs/short");
  ASSERT_FALSE(too_short.ok());
  EXPECT_TRUE(HasSubstr(too_short.status().message(), "tensor 'b'"))
      << too_short.status().message();
  EXPECT_TRUE(HasSubstr(too_short.status().message(), "weights.bin is too short"))
      << too_short.status().message();

  // No weights file at all.
  std::string missing_dir = ModelDir(AddMulModel(n, true), "");
  Add(missing_dir, "missing");
  auto missing = LoadModelRef(repo_path_, "/ipfs/missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_TRUE(HasSubstr(missing.status().message(), "weights.bin is not in the model's directory"))
      << missing.status().message();

  // The model file by its own CID: no directory to find the weights in.
  std::string whole_dir = ModelDir(AddMulModel(n, true), Weights(n));
  Add(whole_dir, "whole");
  auto repo = store::Repo::Open(repo_path_);
  ASSERT_TRUE(repo.ok());
  auto root = (*repo)->Resolve("whole");
  ASSERT_TRUE(root.ok());
  store::UnixFsReader reader(repo->get());
  auto file = reader.Resolve(*root, "model.onnx");
  ASSERT_TRUE(file.ok());
  auto alone = LoadModelRef(repo_path_, "/ipfs/" + file->ToString());
  ASSERT_FALSE(alone.ok());
  EXPECT_EQ(alone.status().code(), StatusCode::kUnsupported) << alone.status().ToString();
  EXPECT_TRUE(HasSubstr(alone.status().message(), "name the directory"))
      << alone.status().message();
}

TEST_F(ModelRefTest, ATruncatedModelInTheStoreIsNotOnnx) {
  std::string model = AddMulModel(64, false).SerializeAsString();
  std::string dir = tmp_ / "cut";
  std::filesystem::create_directories(dir);
  test_util::MustWrite(dir + "/model.onnx", model.substr(0, model.size() / 2));
  Add(dir, "cut");
  auto cut = LoadModelRef(repo_path_, "/ipfs/cut");
  ASSERT_FALSE(cut.ok());
  EXPECT_TRUE(HasSubstr(cut.status().message(), "not a valid ONNX model"))
      << cut.status().message();
}

}  // namespace
}  // namespace ipfs_accelerate::router
