// The .npy reader: what NumPy writes round-trips; anything else is refused with a reason.
#include "core/npy.h"

#include <gtest/gtest.h>

#include <cstring>

#include "../test_util.h"

namespace ipfs_accelerate {
namespace {

using test_util::HasSubstr;

// A version 1.0 file with `header` (padded and ended with '\n' unless `raw`) and `data`.
std::string Npy(const std::string& header, const std::string& data, bool raw = false) {
  std::string h = header;
  if (!raw) {
    size_t total = 10 + h.size() + 1;
    h.append((64 - total % 64) % 64, ' ');
    h += '\n';
  }
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  return out + h + data;
}

std::string Floats(size_t n) { return std::string(n * 4, '\0'); }

Status Error(const std::string& bytes) {
  auto t = ParseNpy(bytes);
  return t.ok() ? Status::Ok() : t.status();
}

TEST(NpyTest, RoundTripsWhatItWrites) {
  Tensor t = Tensor::Empty(DType::kFloat32, {2, 3});
  for (int i = 0; i < 6; ++i) t.data<float>()[i] = static_cast<float>(i) * 0.5f;
  auto back = ParseNpy(EncodeNpy(t));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->shape(), (Shape{2, 3}));
  EXPECT_EQ(std::memcmp(back->raw(), t.raw(), t.nbytes()), 0);
  for (Shape shape : {Shape{}, Shape{4}, Shape{0, 5}, Shape{1, 1, 1}}) {
    auto r = ParseNpy(EncodeNpy(Tensor::Zeros(DType::kInt64, shape)));
    ASSERT_TRUE(r.ok()) << ShapeToString(shape) << ": " << r.status().ToString();
    EXPECT_EQ(r->shape(), shape);
  }
}

TEST(NpyTest, StringsAreWrittenAsFixedWidthBytes) {
  Tensor t = Tensor::Empty(DType::kString, {3});
  t.data<std::string>()[0] = "monday";
  t.data<std::string>()[1] = "";
  t.data<std::string>()[2] = "tue";
  std::string npy = EncodeNpy(t);
  EXPECT_TRUE(HasSubstr(npy, "{'descr': '|S6', 'fortran_order': False, 'shape': (3,), }"));
  EXPECT_EQ(npy.size() % 64, 18u);  // a 64-aligned header, then 3 x 6 bytes
  EXPECT_EQ(npy.substr(npy.size() - 18), std::string("monday\0\0\0\0\0\0tue\0\0\0", 18));
}

TEST(NpyTest, AcceptsNumPysSpellings) {
  // Double quotes, no trailing comma, (N,) with a space, keys in another order, '=' and '|'.
  EXPECT_TRUE(
      ParseNpy(Npy(R"({"shape": (3, ), "fortran_order": False, "descr": "<f4"})", Floats(3))).ok());
  EXPECT_TRUE(
      ParseNpy(Npy("{'descr': '=f4', 'fortran_order': False, 'shape': (2,3,), }", Floats(6))).ok());
  EXPECT_TRUE(ParseNpy(Npy("{'descr': '<u1', 'fortran_order': False, 'shape': (2,), }",
                           std::string(2, '\0')))
                  .ok());
}

TEST(NpyTest, NegativeDimensionIsRefused) {
  Status s = Error(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", Floats(6)));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(s.message(), "negative dimension -2")) << s.message();
}

TEST(NpyTest, UnterminatedHeaderIsRefused) {
  // The dict is never closed, and the header does not end with a newline.
  Status s = Error(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", Floats(6),
                       /*raw=*/true));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(HasSubstr(s.message(), "newline")) << s.message();
  s = Error(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", Floats(6)));
  EXPECT_TRUE(HasSubstr(s.message(), "not closed")) << s.message();
  s = Error(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3", Floats(6)));
  EXPECT_FALSE(s.ok());
  s = Error(Npy("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}", Floats(6)));
  EXPECT_FALSE(s.ok());
}

TEST(NpyTest, DuplicateUnknownAndMissingKeysAreRefused) {
  Status s = Error(
      Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (3,), }", Floats(3)));
  EXPECT_TRUE(HasSubstr(s.message(), "'shape' appears twice")) << s.message();
  s = Error(
      Npy("{'descr': '<f4', 'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", Floats(2)));
  EXPECT_TRUE(HasSubstr(s.message(), "'descr' appears twice")) << s.message();
  s = Error(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1, }", Floats(2)));
  EXPECT_TRUE(HasSubstr(s.message(), "unknown key 'x'")) << s.message();
  s = Error(Npy("{'descr': '<f4', 'shape': (2,), }", Floats(2)));
  EXPECT_TRUE(HasSubstr(s.message(), "lacks 'fortran_order'")) << s.message();
}

TEST(NpyTest, BadShapesAreRefusedWithoutExceptions) {
  for (std::string shape : {"(2, x)", "(2 3)", "(,)", "3", "(3)", "(99999999999999999999,)",
                            "(2.5,)", "[2, 3]", "(2,,3)"}) {
    Status s =
        Error(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }", Floats(6)));
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << shape << ": " << s.ToString();
    EXPECT_TRUE(HasSubstr(s.message(), "bad .npy header")) << shape << ": " << s.message();
  }
  // Dimensions whose product overflows 64 bits do not match any data.
  Status s =
      Error(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, "
                "4294967296, 16), }",
                Floats(6)));
  EXPECT_TRUE(HasSubstr(s.message(), "does not match its shape")) << s.message();
}

TEST(NpyTest, DataOfTheWrongSizeAndTrailingTextAreRefused) {
  EXPECT_FALSE(
      ParseNpy(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", Floats(3))).ok());
  EXPECT_FALSE(
      ParseNpy(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", Floats(2))).ok());
  EXPECT_EQ(
      Error(Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", Floats(2))).code(),
      StatusCode::kUnsupported);
  EXPECT_EQ(
      Error(Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", Floats(2))).code(),
      StatusCode::kUnsupported);
  std::string truncated = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "");
  EXPECT_FALSE(ParseNpy(truncated.substr(0, 30)).ok());
}

}  // namespace
}  // namespace ipfs_accelerate
