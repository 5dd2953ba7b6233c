// The allocation gate: every tensor's size is checked, with overflow-checked arithmetic, before
// anything is allocated.
#include "core/tensor.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "core/buffer_pool.h"

namespace ipfs_accelerate {
namespace {

TEST(TensorTest, TensorBytesCountsOrdinaryShapes) {
  EXPECT_EQ(*TensorBytes(DType::kFloat32, {2, 3}), 24u);
  EXPECT_EQ(*TensorBytes(DType::kInt64, {}), 8u);
  EXPECT_EQ(*TensorBytes(DType::kFloat16, {0, INT64_MAX}), 0u);  // empty, whatever else
}

TEST(TensorTest, TensorBytesRefusesNegativeOverflowingAndHugeShapes) {
  auto negative = TensorBytes(DType::kFloat32, {2, -3});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(negative.status().message().find("negative"), std::string::npos);

  // 2^41 * 2^41 elements: the element count wraps (it used to become INT64_MAX, whose byte size
  // wrapped to a few bytes, and the kernels wrote past them).
  int64_t big = int64_t{1} << 41;
  auto count = TensorBytes(DType::kFloat32, {1, 1, big, big});
  ASSERT_FALSE(count.ok());
  EXPECT_EQ(count.status().code(), StatusCode::kInvalidArgument);

  // INT64_MAX elements fit the count, but not as bytes.
  auto bytes = TensorBytes(DType::kFloat32, {INT64_MAX});
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), StatusCode::kInvalidArgument);

  auto huge = TensorBytes(DType::kUInt8, {int64_t{1} << 37});
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(huge.status().message().find("too large"), std::string::npos);
}

TEST(TensorTest, EmptyThrowsAllocationErrorInsteadOfAllocating) {
  try {
    Tensor t = Tensor::Empty(DType::kFloat32, {INT64_MAX, 4});
    FAIL() << "allocated " << t.nbytes() << " bytes";
  } catch (const AllocationError& e) {
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(TensorTest, EmptyRefusesWhatThePoolsBudgetDoesNotHold) {
  BufferPool pool(0, 1 << 20);
  ScopedBufferPool scope(&pool);
  Tensor fits = Tensor::Empty(DType::kFloat32, {1 << 17});  // 512 KiB
  try {
    Tensor t = Tensor::Empty(DType::kFloat32, {1 << 18});  // 1 MiB more
    FAIL() << "allocated past the budget";
  } catch (const AllocationError& e) {
    EXPECT_EQ(e.status().code(), StatusCode::kResourceExhausted);
    EXPECT_NE(e.status().message().find("float32 tensor [262144]"), std::string::npos)
        << e.status().message();
  }
  EXPECT_EQ(pool.live_bytes(), 512u << 10);
}

}  // namespace
}  // namespace ipfs_accelerate
