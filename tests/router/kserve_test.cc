// The protocol's bytes both ways: datatype names, a client's request bodies (exact JSON and binary
// layout, and what the server's decoder reads back from them), and model metadata written by the
// server and read by a client.
#include "router/kserve.h"

#include <gtest/gtest.h>

#include <cstring>
#include <optional>

#include "../test_util.h"
#include "core/half.h"
#include "core/json_util.h"

namespace ipfs_accelerate::router {
namespace {

using test_util::HasSubstr;
using json = nlohmann::json;

TEST(KServeTest, DatatypeNamesRoundTripAndBytesIsStrings) {
  for (DType d : {DType::kBool, DType::kUInt8, DType::kUInt16, DType::kUInt32, DType::kUInt64,
                  DType::kInt8, DType::kInt16, DType::kInt32, DType::kInt64, DType::kFloat16,
                  DType::kFloat32, DType::kFloat64, DType::kBFloat16}) {
    std::string name = DatatypeName(d);
    ASSERT_FALSE(name.empty()) << DTypeName(d);
    auto back = ParseDatatype(name);
    ASSERT_TRUE(back.ok()) << name;
    EXPECT_EQ(*back, d) << name;
  }
  EXPECT_EQ(DatatypeName(DType::kFloat32), "FP32");
  EXPECT_EQ(DatatypeName(DType::kUndefined), "");
  ASSERT_TRUE(ParseDatatype("BYTES").ok());
  EXPECT_EQ(*ParseDatatype("BYTES"), DType::kString);
  auto unknown = ParseDatatype("FP33");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(unknown.status().message(), "FP32"));  // lists the names
}

NamedTensors SmallInputs() {
  Tensor x = Tensor::Empty(DType::kFloat32, {1, 2});
  x.data<float>()[0] = 1.5f;
  x.data<float>()[1] = -2.0f;
  Tensor ids = Tensor::Empty(DType::kInt64, {1, 3});
  ids.data<int64_t>()[0] = 7;
  ids.data<int64_t>()[1] = 0;
  ids.data<int64_t>()[2] = 258;
  return {{"x", x}, {"ids", ids}};
}

TEST(KServeTest, JsonRequestCarriesFlatDataInInputOrder) {
  auto body = EncodeInferRequest({.inputs = SmallInputs()});
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_FALSE(body->header_length.has_value());
  EXPECT_EQ(body->body,
            R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,2],"data":[1.5,-2]},)"
            R"({"name":"ids","datatype":"INT64","shape":[1,3],"data":[7,0,258]}]})");
}

TEST(KServeTest, BinaryRequestIsTheJsonHeaderThenLittleEndianTensorsInOrder) {
  auto body =
      EncodeInferRequest({.inputs = SmallInputs(), .binary_inputs = true, .binary_outputs = true});
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  std::string header =
      R"({"parameters":{"binary_data_output":true},"inputs":[)"
      R"({"name":"x","datatype":"FP32","shape":[1,2],"parameters":{"binary_data_size":8}},)"
      R"({"name":"ids","datatype":"INT64","shape":[1,3],"parameters":{"binary_data_size":24}}]})";
  std::string expected = header;
  const unsigned char tensors[] = {0x00, 0x00, 0xc0, 0x3f,               // 1.5f
                                   0x00, 0x00, 0x00, 0xc0,               // -2.0f
                                   7,    0,    0,    0,    0, 0, 0, 0,   // 7
                                   0,    0,    0,    0,    0, 0, 0, 0,   // 0
                                   0x02, 0x01, 0,    0,    0, 0, 0, 0};  // 258
  expected.append(reinterpret_cast<const char*>(tensors), sizeof tensors);
  ASSERT_TRUE(body->header_length.has_value());
  EXPECT_EQ(*body->header_length, header.size());
  EXPECT_EQ(test_util::Hex(body->body), test_util::Hex(expected));
}

// What a client encodes, the server decodes to the same tensors, id, outputs and binary wish.
TEST(KServeTest, TheServersDecoderReadsWhatTheClientEncodes) {
  Tensor h = Tensor::Empty(DType::kFloat16, {3});
  h.data<uint16_t>()[0] = FloatToHalf(0.5f);
  h.data<uint16_t>()[1] = FloatToHalf(-3.0f);
  h.data<uint16_t>()[2] = FloatToHalf(1024.0f);
  Tensor b = Tensor::Empty(DType::kBool, {2});
  b.data<bool>()[0] = true;
  b.data<bool>()[1] = false;
  NamedTensors inputs = SmallInputs();
  inputs.emplace_back("h", h);
  inputs.emplace_back("b", b);
  inputs.emplace_back("empty", Tensor::Zeros(DType::kInt32, {0, 4}));
  for (bool binary : {false, true}) {
    SCOPED_TRACE(binary ? "binary" : "json");
    auto body = EncodeInferRequest({.id = "r1",
                                    .inputs = inputs,
                                    .outputs = {"y"},
                                    .binary_inputs = binary,
                                    .binary_outputs = binary});
    ASSERT_TRUE(body.ok()) << body.status().ToString();
    auto call = DecodeInferRequest(body->body, body->header_length);
    ASSERT_TRUE(call.ok()) << call.status().ToString();
    EXPECT_EQ(call->request.id, "r1");
    EXPECT_EQ(call->request.outputs, std::vector<std::string>{"y"});
    EXPECT_EQ(call->all_binary, binary);
    ASSERT_EQ(call->request.inputs.size(), inputs.size());
    for (const auto& [name, t] : inputs) {
      const Tensor& got = call->request.inputs.at(name);
      EXPECT_EQ(got.dtype(), t.dtype()) << name;
      EXPECT_EQ(got.shape(), t.shape()) << name;
      ASSERT_EQ(got.nbytes(), t.nbytes()) << name;
      std::string_view a(static_cast<const char*>(got.raw()), got.nbytes());
      std::string_view e(static_cast<const char*>(t.raw()), t.nbytes());
      EXPECT_EQ(test_util::Hex(a), test_util::Hex(e)) << name;
    }
  }
}

TEST(KServeTest, AClientReadsBackTheResponsesTheServerWrites) {
  InferResponse response{.model = "m", .cid = "bafkqaaa", .id = "r1"};
  Tensor y = Tensor::Empty(DType::kFloat32, {2, 3});
  for (int i = 0; i < 6; ++i) y.data<float>()[i] = 0.25f * i - 1;
  Tensor n = Tensor::Empty(DType::kInt64, {2});
  n.data<int64_t>()[0] = -7, n.data<int64_t>()[1] = int64_t{1} << 40;
  response.outputs = {{"y", y}, {"n", n}};
  for (bool binary : {false, true}) {
    InferCall call;
    call.request.id = "r1";
    call.all_binary = binary;
    EncodedBody body = EncodeInferResponse(response, call);
    EXPECT_EQ(body.header_length.has_value(), binary);
    auto back = DecodeInferResponse(body.body, body.header_length);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->model, "m");
    EXPECT_EQ(back->cid, "bafkqaaa");
    EXPECT_EQ(back->id, "r1");
    ASSERT_EQ(back->outputs.size(), 2u);
    EXPECT_EQ(back->outputs["y"].shape(), (Shape{2, 3}));
    EXPECT_EQ(std::memcmp(back->outputs["y"].raw(), y.raw(), y.nbytes()), 0);
    EXPECT_EQ(back->outputs["n"].data<int64_t>()[1], int64_t{1} << 40);
  }
  // Malformed answers are named, never trusted.
  struct Bad {
    std::string body;
    std::optional<uint64_t> header_length;  // 0: the body's size
    const char* says;
  };
  for (const Bad& b : std::vector<Bad>{
           {"[]", std::nullopt, "JSON object"},
           {R"({"model_name": "m"})", std::nullopt, "\"outputs\""},
           {R"({"outputs": [{"name": "y", "datatype": "FP32", "shape": [2], "data": [1]}]})",
            std::nullopt, "holds 2"},
           {R"({"outputs": [{"name": "y", "datatype": "FP32", "shape": [4],)"
            R"( "parameters": {"binary_data_size": 16}}]})",
            std::nullopt, "Inference-Header-Content-Length"},
           {R"({"outputs": [{"name": "y", "datatype": "FP32", "shape": [4],)"
            R"( "parameters": {"binary_data_size": 12}}]})",
            0, "needs 16"},
           {R"({"outputs": [{"name": "y", "datatype": "FP32", "shape": [1],)"
            R"( "parameters": {"binary_data_size": 4}}]})",
            0, "only 0 remain"},
           {R"({"outputs": [{"name": "y", "datatype": "FP32", "shape": [-1], "data": []}]})",
            std::nullopt, "sizes"},
           {R"({"outputs": [{"name": "y", "datatype": "STRING", "shape": [1], "data": [1]}]})",
            std::nullopt, "unknown datatype"},
       }) {
    std::optional<uint64_t> header_length = b.header_length;
    if (header_length == 0u) header_length = b.body.size();  // 0: the JSON is the whole body
    auto r = DecodeInferResponse(b.body, header_length);
    ASSERT_FALSE(r.ok()) << b.body;
    EXPECT_TRUE(HasSubstr(r.status().message(), b.says)) << b.body;
  }
}

TEST(KServeTest, BytesTensorsTravelAsJsonStringsAndLengthPrefixedBinary) {
  Tensor s = Tensor::Empty(DType::kString, {2, 2});
  const std::vector<std::string> words = {"monday", "", std::string("a\0b", 3), "tschüss"};
  std::copy(words.begin(), words.end(), s.data<std::string>());
  for (bool binary : {false, true}) {
    SCOPED_TRACE(binary ? "binary" : "json");
    auto body = EncodeInferRequest({.inputs = {{"s", s}}, .binary_inputs = binary});
    ASSERT_TRUE(body.ok()) << body.status().ToString();
    auto call = DecodeInferRequest(body->body, body->header_length);
    ASSERT_TRUE(call.ok()) << call.status().ToString();
    const Tensor& got = call->request.inputs.at("s");
    ASSERT_EQ(got.dtype(), DType::kString);
    EXPECT_EQ(got.shape(), (Shape{2, 2}));
    for (int i = 0; i < 4; ++i) EXPECT_EQ(got.data<std::string>()[i], words[i]) << i;
    // And back out as a response.
    InferResponse response{.model = "m", .cid = "bafkqaaa"};
    response.outputs = {{"s", got}};
    InferCall out_call;
    out_call.all_binary = binary;
    EncodedBody answer = EncodeInferResponse(response, out_call);
    auto back = DecodeInferResponse(answer.body, answer.header_length);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    for (int i = 0; i < 4; ++i) EXPECT_EQ(back->outputs["s"].data<std::string>()[i], words[i]);
  }
  // Binary BYTES that lie about their lengths, and JSON that is not strings.
  auto with_binary = [](const std::string& binary, int elements) {
    std::string json = R"({"inputs": [{"name": "s", "datatype": "BYTES", "shape": [)" +
                       std::to_string(elements) + R"(], "parameters": {"binary_data_size": )" +
                       std::to_string(binary.size()) + "}}]}";
    return DecodeInferRequest(json + binary, json.size());
  };
  EXPECT_TRUE(HasSubstr(with_binary(std::string("\5\0\0\0abc", 7), 1).status().message(),
                        "is 5 bytes but only 3 remain"));
  EXPECT_TRUE(HasSubstr(with_binary(std::string("\1\0\0\0ab", 6), 1).status().message(),
                        "1 bytes left after the last BYTES element"));
  EXPECT_TRUE(HasSubstr(with_binary(std::string("\0\0\0\0", 4), 1000000).status().message(),
                        "cannot hold 1000000 BYTES elements"));
  auto numbers = DecodeInferRequest(
      R"({"inputs": [{"name": "s", "datatype": "BYTES", "shape": [1], "data": [1]}]})",
      std::nullopt);
  EXPECT_TRUE(HasSubstr(numbers.status().message(), "is not a string (datatype BYTES)"));
}

TEST(KServeTest, ARequestRefusesTensorsTheProtocolCannotCarry) {
  auto undefined = EncodeInferRequest({.inputs = {{"u", Tensor()}}, .binary_inputs = true});
  ASSERT_FALSE(undefined.ok());
  EXPECT_EQ(undefined.status().code(), StatusCode::kUnsupported);
}

router::ModelInfo Mlp() {
  router::ModelInfo info;
  info.name = "mlp";
  info.cid = "bafkfake";
  info.inputs = {{"x", DType::kFloat32, {-1, 16}}, {"mask", DType::kInt64, {-1, -1}}};
  info.outputs = {{"y", DType::kFloat32, {-1, 8}}};
  info.settings.max_batch_size = 8;
  return info;
}

void ExpectSameTensors(const std::vector<router::TensorInfo>& got,
                       const std::vector<router::TensorInfo>& expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].name, expected[i].name);
    EXPECT_EQ(got[i].dtype, expected[i].dtype) << got[i].name;
    EXPECT_EQ(got[i].shape, expected[i].shape) << got[i].name;
  }
}

TEST(KServeTest, AClientReadsBackTheMetadataTheServerWrites) {
  router::ModelInfo info = Mlp();
  auto back = ParseModelMetadata(json::parse(DumpJson(ModelMetadata(info))));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->name, "mlp");
  EXPECT_EQ(back->cid, "bafkfake");
  ExpectSameTensors(back->inputs, info.inputs);
  ExpectSameTensors(back->outputs, info.outputs);
}

TEST(KServeTest, OtherServersMetadataIsReadAndMalformedMetadataIsNamed) {
  // Triton's: a version number, no properties, outputs left out.
  auto triton = ParseModelMetadata(json::parse(R"({"name": "bert", "versions": ["1"],
      "platform": "onnxruntime_onnx",
      "inputs": [{"name": "input_ids", "datatype": "INT64", "shape": [-1, -1]}]})"));
  ASSERT_TRUE(triton.ok()) << triton.status().ToString();
  EXPECT_EQ(triton->cid, "1");
  EXPECT_TRUE(triton->outputs.empty());
  ExpectSameTensors(triton->inputs, {{"input_ids", DType::kInt64, {-1, -1}}});

  auto no_inputs = ParseModelMetadata(json::parse(R"({"name": "m"})"));
  ASSERT_FALSE(no_inputs.ok());
  EXPECT_TRUE(HasSubstr(no_inputs.status().message(), "no \"inputs\" array"));
  EXPECT_FALSE(ParseModelMetadata(json::parse(R"({"inputs": []})")).ok());
  EXPECT_FALSE(ParseModelMetadata(json::parse("[1]")).ok());
  auto bad_type = ParseModelMetadata(
      json::parse(R"({"inputs": [{"name": "a", "datatype": "FP33", "shape": [1]}]})"));
  ASSERT_FALSE(bad_type.ok());
  EXPECT_TRUE(HasSubstr(bad_type.status().message(), "FP33"));
  auto bad_shape = ParseModelMetadata(
      json::parse(R"({"inputs": [{"name": "a", "datatype": "FP32", "shape": [-2]}]})"));
  ASSERT_FALSE(bad_shape.ok());
  EXPECT_TRUE(HasSubstr(bad_shape.status().message(), "a: shape [-2]"));
  EXPECT_FALSE(
      ParseModelMetadata(json::parse(R"({"inputs": [{"name": "a", "shape": [1]}]})")).ok());
  auto bytes = ParseModelMetadata(
      json::parse(R"({"inputs": [{"name": "a", "datatype": "BYTES", "shape": [1]}]})"));
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(bytes->inputs[0].dtype, DType::kString);
}

}  // namespace
}  // namespace ipfs_accelerate::router
