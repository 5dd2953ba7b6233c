// The tensor frames between the server and browser workers (web/PROTOCOL.md): every dtype a page
// holds survives a round trip, the layout is the documented one (the page's web/frames.js decodes
// it: tests/browser/web_unit_test.mjs and the browser tests), and each way a page can get a frame
// wrong is refused with a message naming it.
#include "browser/frames.h"

#include <gtest/gtest.h>

#include <cstring>

#include "../test_util.h"

namespace ipfs_accelerate::browser {
namespace {

using test_util::HasSubstr;

std::string Raw(const std::string& header_json, const std::string& payload) {
  std::string f = "IAT1";
  uint32_t n = static_cast<uint32_t>(header_json.size());
  for (int i = 0; i < 4; ++i) f += static_cast<char>((n >> (8 * i)) & 0xff);
  f += header_json;
  while (f.size() % 8) f += '\0';
  return f + payload;
}

TEST(FramesTest, EveryDtypeRoundTripsInTheDocumentedLayout) {
  Frame in;
  in.header = {{"type", "run"}, {"id", 7}};
  int k = 0;
  for (DType t : {DType::kFloat32, DType::kFloat16, DType::kFloat64, DType::kInt8, DType::kUInt8,
                  DType::kInt16, DType::kUInt16, DType::kInt32, DType::kUInt32, DType::kInt64,
                  DType::kUInt64, DType::kBool}) {
    Tensor x = Tensor::Empty(t, {1, 3});
    auto* b = static_cast<uint8_t*>(x.raw());
    for (size_t i = 0; i < x.nbytes(); ++i) b[i] = static_cast<uint8_t>(i * 31 + k);
    in.tensors.emplace_back("t" + std::to_string(k++), x);
  }
  auto bytes = EncodeFrame(in);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(bytes->substr(0, 4), "IAT1");
  auto out = DecodeFrame(*bytes);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->header["id"], 7);
  ASSERT_EQ(out->tensors.size(), in.tensors.size());
  for (size_t i = 0; i < in.tensors.size(); ++i) {
    const Tensor& a = in.tensors[i].second;
    const Tensor& b = out->tensors[i].second;
    EXPECT_EQ(out->tensors[i].first, in.tensors[i].first);
    EXPECT_EQ(b.dtype(), a.dtype());
    EXPECT_EQ(b.shape(), a.shape());
    EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0) << DTypeName(a.dtype());
    // Each tensor at an 8-aligned offset of the payload, as the header says.
    EXPECT_EQ(out->header["tensors"][i]["offset"].get<int64_t>() % 8, 0);
  }
  // A hand-made frame decodes as the page would make it.
  auto hand = DecodeFrame(Raw(
      R"({"type":"result","id":1,"tensors":[{"name":"y","dtype":"int32","shape":[2],"offset":0,"bytes":8}]})",
      std::string("\x01\0\0\0\x02\0\0\0", 8)));
  ASSERT_TRUE(hand.ok()) << hand.status().ToString();
  EXPECT_EQ(hand->tensors[0].second.data<int32_t>()[1], 2);
}

TEST(FramesTest, EveryMalformationIsRefusedWithItsReason) {
  auto why = [](const std::string& bytes) {
    auto f = DecodeFrame(bytes);
    EXPECT_FALSE(f.ok());
    return f.ok() ? std::string() : f.status().message();
  };
  auto one = [](const std::string& entry, size_t payload = 16) {
    return Raw(R"({"type":"result","id":1,"tensors":[)" + entry + "]}", std::string(payload, '\0'));
  };
  EXPECT_TRUE(HasSubstr(why("XXXX\2\0\0\0{}"), "does not start with \"IAT1\""));
  EXPECT_TRUE(HasSubstr(why(std::string("IAT1\xe8\x03\0\0{}", 10)), "runs past the frame"));
  EXPECT_TRUE(HasSubstr(why(Raw("[1,2]", "")), "not a JSON object"));
  EXPECT_TRUE(
      HasSubstr(why(one(R"({"name":"a","dtype":"string","shape":[1],"offset":0,"bytes":1})")),
                "has dtype \"string\""));
  EXPECT_TRUE(
      HasSubstr(why(one(R"({"name":"a","dtype":"float32","shape":[-1],"offset":0,"bytes":0})")),
                "no non-negative integer"));
  EXPECT_TRUE(HasSubstr(
      why(one(R"({"name":"a","dtype":"float32","shape":[1,1000],"offset":0,"bytes":16})")),
      "needs 4000 bytes, its entry says 16"));
  EXPECT_TRUE(
      HasSubstr(why(one(R"({"name":"a","dtype":"float32","shape":[4],"offset":8,"bytes":16})")),
                "outside the payload of 16 bytes"));
  EXPECT_TRUE(
      HasSubstr(why(one(R"({"name":"a","dtype":"uint8","shape":[1],"offset":3,"bytes":1})")),
                "not a multiple of 8"));
  EXPECT_TRUE(HasSubstr(
      why(one(
          R"({"name":"a","dtype":"uint8","shape":[1],"offset":0,"bytes":1},{"name":"a","dtype":"uint8","shape":[1],"offset":8,"bytes":1})")),
      "appears twice"));
  // Sizes past what the machine could hold are refused before anything is allocated.
  auto huge = DecodeFrame(one(
      R"({"name":"a","dtype":"float32","shape":[4294967296,4294967296],"offset":0,"bytes":16})"));
  ASSERT_FALSE(huge.ok());
  // bfloat16 has no onnxruntime-web name: refused when encoding, not sent.
  Frame bf;
  bf.tensors.emplace_back("x", Tensor::Zeros(DType::kBFloat16, {2}));
  EXPECT_EQ(EncodeFrame(bf).status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace ipfs_accelerate::browser
