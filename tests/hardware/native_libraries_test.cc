// The dlopen shims against real NVIDIA libraries where this machine has them: the CUDA toolkit
// ships a stub libcuda.so (every driver symbol, no driver behind it) and the CUDA runtime. This
// checks the symbol names and that the calls go through; the fixtures test what the answers mean.
#include "hardware/native_libraries.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace ipfs_accelerate::hardware {
namespace {

constexpr char kToolkit[] = "/usr/local/cuda/lib64";

TEST(NativeLibrariesTest, CudaDriverShimBindsEverySymbolOfTheToolkitStub) {
  std::string stub = std::string(kToolkit) + "/stubs/libcuda.so";
  if (!std::filesystem::exists(stub)) GTEST_SKIP() << "no CUDA toolkit stub at " << stub;
  auto api = native::OpenCudaDriver(stub);
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  int rc = (*api)->Init();
  EXPECT_EQ(rc, 34) << "a stub is not a driver: CUDA_ERROR_STUB_LIBRARY";
  int count = -1;
  EXPECT_NE((*api)->DeviceGetCount(&count), 0);  // not initialized: an error code, no crash
}

TEST(NativeLibrariesTest, CudaRuntimeVersionFromTheToolkit) {
  std::string cudart = std::string(kToolkit) + "/libcudart.so";
  if (!std::filesystem::exists(cudart)) GTEST_SKIP() << "no CUDA runtime at " << cudart;
  auto version = native::CudaRuntimeVersion({cudart});
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_GE(*version, 11000);  // 13000 for CUDA 13.0: major * 1000 + minor * 10
  EXPECT_EQ(*version % 10, 0);
}

TEST(NativeLibrariesTest, MissingLibraryIsAnErrorNamingIt) {
  auto api = native::OpenCudaDriver("/nonexistent/libcuda.so.1");
  ASSERT_FALSE(api.ok());
  EXPECT_NE(api.status().message().find("libcuda.so.1"), std::string::npos);
}

}  // namespace
}  // namespace ipfs_accelerate::hardware
