// Random samples for the benchmark statistics tests, drawn with our own transforms (Box–Muller,
// inverse CDF) over std::mt19937_64, whose output the standard fixes: the same numbers on every
// standard library, unlike std::normal_distribution and friends.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace ipfs_accelerate::test_random {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // Standard normal (Box–Muller; the second value of each pair is kept for the next call).
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1 - Uniform();  // (0, 1]: log is finite
    const double u2 = Uniform();
    const double r = std::sqrt(-2 * std::log(u1));
    spare_ = r * std::sin(2 * M_PI * u2);
    has_spare_ = true;
    return r * std::cos(2 * M_PI * u2);
  }

  // Exponential with the given mean (inverse CDF).
  double Exponential(double mean) { return -mean * std::log(1 - Uniform()); }

  // Lognormal with the given median and log-space standard deviation `sigma`.
  double LogNormal(double median, double sigma) { return median * std::exp(sigma * Normal()); }

  // `n` lognormal latencies.
  std::vector<double> LogNormals(size_t n, double median, double sigma) {
    std::vector<double> out(n);
    for (double& v : out) v = LogNormal(median, sigma);
    return out;
  }

  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

}  // namespace ipfs_accelerate::test_random
