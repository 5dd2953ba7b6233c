// Programs built with the engine run oneDNN's OpenMP team with passive waiting unless the user
// chose otherwise (engine/backends/cpu/openmp_passive.cc): libgomp itself reports the spin count
// it took when the program started.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/backends/cpu/onednn_util.h"

namespace ipfs_accelerate::engine {
namespace {

// Whether the process was started with `name` set (read from environ, not through getenv).
bool StartedWith(const char* name) {
  const size_t n = std::strlen(name);
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, name, n) == 0 && (*e)[n] == '=') return true;
  }
  return false;
}

TEST(OpenMpPassiveTest, LibgompSleepsAtOnceAfterAParallelRegion) {
  if (StartedWith("OMP_WAIT_POLICY") || StartedWith("GOMP_SPINCOUNT")) {
    GTEST_SKIP() << "the environment sets OpenMP's waiting itself";
  }
  EXPECT_STREQ(std::getenv("OMP_WAIT_POLICY"), "PASSIVE");
  // A product large enough for a team of two, so that libgomp is in use.
  std::vector<float> a(256 * 256, 1.f), c(256 * 256);
  ASSERT_TRUE(cpu::onednn::Sgemm(false, false, 256, 256, 256, 1.f, a.data(), 256, a.data(), 256,
                                 0.f, c.data(), 256, 2));
  EXPECT_EQ(c[0], 256.f);
  using DisplayFn = void (*)(int);
  auto display = reinterpret_cast<DisplayFn>(dlsym(RTLD_DEFAULT, "omp_display_env"));
  if (!display) GTEST_SKIP() << "this libgomp has no omp_display_env";
  testing::internal::CaptureStderr();
  display(1);
  const std::string env = testing::internal::GetCapturedStderr();
  // 300000 is libgomp's default (about 3 ms of spinning); 0 is passive.
  EXPECT_NE(env.find("GOMP_SPINCOUNT = '0'"), std::string::npos) << env;
}

}  // namespace
}  // namespace ipfs_accelerate::engine
