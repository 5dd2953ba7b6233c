// bench/gemm_rate: oneDNN's sgemm on given shapes, the yardstick of issue 14's "the MatMuls at
// >= 80% of oneDNN's sgemm rate": the same M x K x N, threads and library as the engine's
// FusedMatMul, timed alone (B and C reused, so its operands stay as warm as they can).
//
//   build/gemm_rate [--threads T] [--runs R] M,K,N [M,K,N ...]
//
// Prints one line per shape: M K N, the median milliseconds of R runs (default 50, after 5) and
// GFLOP/s. bench/engine_vs_ort --gemm compares it with the engine's per-node times.
#include <dlfcn.h>
#include <dnnl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  int threads = 1, runs = 50;
  std::vector<std::array<long, 3>> shapes;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--threads" || a == "--runs") && i + 1 < argc) {
      (a == "--threads" ? threads : runs) = std::max(1, std::atoi(argv[++i]));
    } else if (a == "-h" || a == "--help") {
      std::puts("gemm_rate [--threads T] [--runs R] M,K,N [M,K,N ...]: oneDNN sgemm timings");
      return 0;
    } else {
      long m = 0, k = 0, n = 0;
      if (std::sscanf(argv[i], "%ld,%ld,%ld", &m, &k, &n) != 3 || m <= 0 || k <= 0 || n <= 0) {
        std::fprintf(stderr, "gemm_rate: '%s' is not M,K,N (positive integers)\n", argv[i]);
        return 2;
      }
      shapes.push_back({m, k, n});
    }
  }
  // libgomp comes in through libdnnl (as in the engine: onednn_util.cc); OpenMP waits passively,
  // as in every program built with the engine (openmp_passive.cc is linked in).
  using SetFn = void (*)(int);
  if (auto set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"))) set(threads);
  for (const auto& [m, k, n] : shapes) {
    std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), c(m * n);
    std::vector<double> ms;
    for (int r = 0; r < runs + 5; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      dnnl_sgemm('N', 'N', m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, c.data(), n);
      double dt =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (r >= 5) ms.push_back(dt);
    }
    std::sort(ms.begin(), ms.end());
    const double med = ms[ms.size() / 2];
    std::printf("%ld %ld %ld %.4f ms %.1f GFLOP/s\n", m, k, n, med, 2.0 * m * k * n / med / 1e6);
  }
  return 0;
}
