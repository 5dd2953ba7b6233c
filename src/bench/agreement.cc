#include "bench/agreement.h"

#include <cmath>
#include <limits>

namespace ipfs_accelerate::bench {

Agreement CompareOutputs(const std::map<std::string, Tensor>& reference,
                         const std::map<std::string, Tensor>& other) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double ab = 0, aa = 0, bb = 0;
  int64_t rows = 0, agree = 0;
  for (const auto& [name, a] : reference) {
    auto it = other.find(name);
    if (it == other.end()) continue;
    const Tensor& b = it->second;
    if (a.dtype() != DType::kFloat32 || b.dtype() != DType::kFloat32 || a.shape() != b.shape()) {
      continue;
    }
    const float* pa = a.data<float>();
    const float* pb = b.data<float>();
    for (int64_t i = 0; i < a.numel(); ++i) {
      ab += double(pa[i]) * pb[i];
      aa += double(pa[i]) * pa[i];
      bb += double(pb[i]) * pb[i];
    }
    if (a.rank() != 2 || a.dim(1) == 0) continue;
    const int64_t classes = a.dim(1);
    for (int64_t r = 0; r < a.dim(0); ++r) {
      int64_t ia = 0, ib = 0;
      for (int64_t c = 1; c < classes; ++c) {
        if (pa[r * classes + c] > pa[r * classes + ia]) ia = c;
        if (pb[r * classes + c] > pb[r * classes + ib]) ib = c;
      }
      ++rows;
      agree += ia == ib;
    }
  }
  Agreement g;
  g.cosine = aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : kNaN;
  g.top1 = rows > 0 ? static_cast<double>(agree) / rows : kNaN;
  return g;
}

}  // namespace ipfs_accelerate::bench
