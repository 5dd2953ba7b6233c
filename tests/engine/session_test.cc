// Loading and running models: results, and clear errors for the bad inputs users hit.
#include "engine/session.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <utility>

#include "engine/onnx_loader.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::Floats;

// y = x + b with x a float32 [2, 3] input and b a [3] initializer (or missing when `with_b` is
// false).
std::string AddModel(bool with_b = true, const std::string& op = "Add",
                     const std::string& domain = "") {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(17);
  auto* g = m.mutable_graph();
  g->set_name("add");
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_domain(domain);
  n->set_name("the_add");
  n->add_input("x");
  n->add_input("b");
  n->add_output("y");
  auto* x = g->add_input();
  x->set_name("x");
  x->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = x->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->add_dim()->set_dim_param("batch");
  shape->add_dim()->set_dim_value(3);
  auto* y = g->add_output();
  y->set_name("y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  if (with_b) {
    auto* b = g->add_initializer();
    b->set_name("b");
    b->set_data_type(onnx::TensorProto::FLOAT);
    b->add_dims(3);
    for (float v : {10.f, 20.f, 30.f}) b->add_float_data(v);
  }
  return m.SerializeAsString();
}

TEST(SessionTest, RunsAModel) {
  auto model = ParseModel(AddModel(), "");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto session = Session::Create(std::move(model).value(), {.threads = 1});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto out = (*session)->Run({{"x", Floats({2, 3}, {1, 2, 3, 4, 5, 6})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const Tensor& y = out->at("y");
  ASSERT_EQ(y.shape(), (Shape{2, 3}));
  std::vector<float> got(y.data<float>(), y.data<float>() + 6);
  EXPECT_EQ(got, (std::vector<float>{11, 22, 33, 14, 25, 36}));
}

TEST(SessionTest, MalformedProtobufIsAClearError) {
  std::string bytes = AddModel();
  auto model = ParseModel(bytes.substr(0, bytes.size() / 2) + "\xff\xff\xff", "");
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("not a valid ONNX model"), std::string::npos)
      << model.status().message();
  EXPECT_FALSE(ParseModel("definitely not protobuf \x08\x96", "").ok());
}

TEST(SessionTest, MissingInitializerNamesTheNodeAndTheValue) {
  auto model = ParseModel(AddModel(/*with_b=*/false), "");
  ASSERT_TRUE(model.ok());
  auto session = Session::Create(std::move(model).value());
  ASSERT_FALSE(session.ok());
  const std::string& msg = session.status().message();
  EXPECT_NE(msg.find("'b'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("the_add"), std::string::npos) << msg;
}

TEST(SessionTest, UnsupportedOpNamesOpDomainOpsetAndNode) {
  auto model = ParseModel(AddModel(true, "FancyOp", "com.example"), "");
  ASSERT_TRUE(model.ok());
  auto session = Session::Create(std::move(model).value());
  ASSERT_FALSE(session.ok());
  EXPECT_EQ(session.status().code(), StatusCode::kUnsupported);
  const std::string& msg = session.status().message();
  for (const char* part : {"FancyOp", "com.example", "the_add", "opset"}) {
    EXPECT_NE(msg.find(part), std::string::npos) << part << " missing from: " << msg;
  }
}

TEST(SessionTest, WrongInputShapeOrDtypeNamesTheInputAndExpectedShape) {
  auto session = Session::Create(ParseModel(AddModel(), "").value());
  ASSERT_TRUE(session.ok());
  auto bad_shape = (*session)->Run({{"x", Floats({2, 4}, std::vector<float>(8, 1))}});
  ASSERT_FALSE(bad_shape.ok());
  EXPECT_NE(bad_shape.status().message().find("'x'"), std::string::npos);
  EXPECT_NE(bad_shape.status().message().find("[batch, 3]"), std::string::npos)
      << bad_shape.status().message();
  Tensor ints = Tensor::Zeros(DType::kInt64, {2, 3});
  auto bad_dtype = (*session)->Run({{"x", ints}});
  ASSERT_FALSE(bad_dtype.ok());
  EXPECT_NE(bad_dtype.status().message().find("float32"), std::string::npos)
      << bad_dtype.status().message();
  auto missing = (*session)->Run({});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing input 'x'"), std::string::npos);
  auto unknown = (*session)->Run({{"x", Floats({1, 3}, {1, 2, 3})}, {"z", ints}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("'z'"), std::string::npos);
}

TEST(SessionTest, ExternalDataIsReadRelativeToTheModel) {
  auto dir =
      std::filesystem::temp_directory_path() / ("ia_session_test_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(AddModel()));
  auto* b = m.mutable_graph()->mutable_initializer(0);
  b->clear_float_data();
  b->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* kv = b->add_external_data();
  kv->set_key("location");
  kv->set_value("weights.bin");
  float w[3] = {1, 2, 3};
  std::ofstream(dir / "weights.bin", std::ios::binary)
      .write(reinterpret_cast<const char*>(w), sizeof w);
  std::ofstream(dir / "model.onnx", std::ios::binary) << m.SerializeAsString();
  auto model = LoadModel((dir / "model.onnx").string());
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const Tensor& t = model->graph.initializers.at("b");
  EXPECT_EQ(t.data<float>()[2], 3.0f);
  // Escaping the model's directory is refused.
  kv->set_value("../weights.bin");
  std::ofstream(dir / "evil.onnx", std::ios::binary) << m.SerializeAsString();
  EXPECT_FALSE(LoadModel((dir / "evil.onnx").string()).ok());
  std::filesystem::remove_all(dir);
}

TEST(SessionTest, ExternalDataWithABadOffsetOrLengthIsAnError) {
  // These used to throw out of std::stoull ("internal: stoull (please report this)").
  for (auto [key, value] : {std::pair{"offset", "12x"}, std::pair{"length", "-3"},
                            std::pair{"offset", "99999999999999999999999"}}) {
    onnx::ModelProto m;
    ASSERT_TRUE(m.ParseFromString(AddModel()));
    auto* b = m.mutable_graph()->mutable_initializer(0);
    b->clear_float_data();
    b->set_data_location(onnx::TensorProto::EXTERNAL);
    auto* location = b->add_external_data();
    location->set_key("location");
    location->set_value("weights.bin");
    auto* kv = b->add_external_data();
    kv->set_key(key);
    kv->set_value(value);
    auto model = ParseModel(m.SerializeAsString(), "/nonexistent");
    ASSERT_FALSE(model.ok()) << key << "=" << value;
    EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument) << model.status().ToString();
    EXPECT_NE(model.status().message().find(std::string("external data ") + key), std::string::npos)
        << model.status().message();
  }
}

TEST(SessionTest, ANodeNamingMoreOutputsThanItsOperatorHasIsAnError) {
  // Found by onnx_model_fuzz: an Elu with a second output was an internal error.
  test::ModelBuilder b;
  b.Input("x", {2, 3}).Op("Elu", {"x"}, {"y", "extra"}).Output("y");
  auto session = Session::Create(b.model(), {.threads = 1});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto out = (*session)->Run(b.Inputs());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument) << out.status().ToString();
  EXPECT_NE(out.status().message().find("names output 1 ('extra')"), std::string::npos)
      << out.status().message();
}

TEST(SessionTest, ANodeNamingNoOutputsIsAnErrorEvenInASubgraph) {
  // Found by onnx_model_fuzz: an Identity without outputs in a Loop body wrote past the end of
  // its node's output list.
  test::ModelBuilder body;
  body.Input("i", {}, DType::kInt64).Input("cond", {}, DType::kBool).Input("v", {1});
  body.Op("Identity", {"cond"}, {"cond_out"}).Op("Identity", {"v"}, {"v_out"});
  body.Op("Identity", {"cond"}, {});
  body.Output("cond_out", DType::kBool).Output("v_out");
  test::ModelBuilder b;
  b.Input("x", {1})
      .Init("M", Tensor::Scalar<int64_t>(DType::kInt64, 3))
      .Op("Loop", {"M", "", "x"}, {"y"}, {{"body", test::GraphAttr(body.graph())}})
      .Output("y");
  for (bool optimize : {false, true}) {
    auto session = Session::Create(b.model(), {.threads = 1, .optimize = optimize});
    ASSERT_FALSE(session.ok());
    EXPECT_EQ(session.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(session.status().message().find("names no outputs"), std::string::npos)
        << session.status().message();
  }
}

TEST(SessionTest, AKernelsFixedOutputsFitWhenTheNodeNamesFewer) {
  // TopK always computes its indices; a node naming only the values must not lose them past
  // the end of its output list.
  test::ModelBuilder b;
  b.Input("x", {2, 5}).Init("k", test::Ints({2})).Op("TopK", {"x", "k"}, {"values"});
  b.Output("values");
  auto session = Session::Create(b.model(), {.threads = 1});
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto out = (*session)->Run(b.Inputs());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->at("values").shape(), (Shape{2, 2}));
}

TEST(SessionTest, ConstantNodesBecomeInitializers) {
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(AddModel(false)));
  auto* c = m.mutable_graph()->add_node();
  c->set_op_type("Constant");
  c->add_output("b");
  auto* a = c->add_attribute();
  a->set_name("value_floats");
  a->set_type(onnx::AttributeProto::FLOATS);
  for (float v : {1.f, 1.f, 1.f}) a->add_floats(v);
  auto model =
      ParseModel(m.SerializeAsString(), "");  // the Constant comes after its reader: sorted on load
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ(model->graph.initializers.count("b"), 1u);
  auto session = Session::Create(std::move(model).value());
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  auto out = (*session)->Run({{"x", Floats({1, 3}, {1, 2, 3})}});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->at("y").data<float>()[2], 4.0f);
}

}  // namespace
}  // namespace ipfs_accelerate::engine
