// Fuzzes the model loader and the kernels: any bytes give a model or an error, never a crash; a
// model that loads either gets a session or an error that names what is wrong, and a session
// runs, optimized and as written, on small synthesized inputs (unknown dimensions of 1 to 4) under
// a 256 MiB memory budget and a deadline, so that ASan and UBSan see every kernel it reaches.
// An internal error ("please report this") is a finding too: it aborts.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/cancel.h"
#include "core/half.h"
#include "core/tensor.h"
#include "engine/onnx_loader.h"
#include "engine/session.h"

namespace {

using namespace ipfs_accelerate;          // NOLINT: a fuzz target's own file
using namespace ipfs_accelerate::engine;  // NOLINT

constexpr uint64_t kMemoryLimit = uint64_t{256} << 20;
constexpr int64_t kMaxInputElements = 1 << 16;
constexpr auto kDeadline = std::chrono::seconds(1);

// A small, deterministic pseudo-random stream (xorshift), seeded from the input bytes.
struct Stream {
  uint64_t state;
  uint32_t Next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return static_cast<uint32_t>(state >> 11);
  }
};

// Values that keep kernels on their ordinary paths: floats in [-2, 2], integers in [0, 3]
// (valid indices, axes and counts for most small inputs), booleans both ways.
void Fill(Tensor& t, Stream& s) {
  int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    uint32_t r = s.Next();
    float f = static_cast<float>(r % 4001) / 1000.0f - 2.0f;
    int64_t k = r % 4;
    switch (t.dtype()) {
      case DType::kFloat32:
        t.data<float>()[i] = f;
        break;
      case DType::kFloat64:
        t.data<double>()[i] = f;
        break;
      case DType::kFloat16:
        t.data<uint16_t>()[i] = FloatToHalf(f);
        break;
      case DType::kBFloat16:
        t.data<uint16_t>()[i] = FloatToBFloat16(f);
        break;
      case DType::kInt8:
        t.data<int8_t>()[i] = static_cast<int8_t>(k);
        break;
      case DType::kUInt8:
        t.data<uint8_t>()[i] = static_cast<uint8_t>(k);
        break;
      case DType::kBool:
        t.data<uint8_t>()[i] = static_cast<uint8_t>(r & 1);
        break;
      case DType::kInt16:
        t.data<int16_t>()[i] = static_cast<int16_t>(k);
        break;
      case DType::kUInt16:
        t.data<uint16_t>()[i] = static_cast<uint16_t>(k);
        break;
      case DType::kInt32:
        t.data<int32_t>()[i] = static_cast<int32_t>(k);
        break;
      case DType::kUInt32:
        t.data<uint32_t>()[i] = static_cast<uint32_t>(k);
        break;
      case DType::kInt64:
        t.data<int64_t>()[i] = k;
        break;
      case DType::kUInt64:
        t.data<uint64_t>()[i] = static_cast<uint64_t>(k);
        break;
      case DType::kString:
      case DType::kUndefined:
        break;
    }
  }
}

// A tensor for graph input `in`, or nothing when it cannot be small (a declared dimension too
// large, strings, sequences).
std::optional<Tensor> Synthesize(const ValueInfo& in, Stream& s) {
  if (in.kind != engine::ValueInfo::Kind::kTensor) return std::nullopt;
  DType dtype = in.dtype == DType::kUndefined ? DType::kFloat32 : in.dtype;
  if (DTypeSize(dtype) == 0) return std::nullopt;
  Shape shape;
  if (in.shape) {
    for (const Dim& d : *in.shape) shape.push_back(d.value >= 0 ? d.value : 1 + s.Next() % 4);
  } else {
    shape.push_back(1 + s.Next() % 4);
  }
  if (!TensorBytes(dtype, shape).ok() || NumElements(shape) > kMaxInputElements)
    return std::nullopt;
  Tensor t = Tensor::Empty(dtype, shape);
  Fill(t, s);
  return t;
}

void AbortOnInternal(const Status& status, const char* where) {
  if (status.code() != StatusCode::kInternal) return;
  std::fprintf(stderr, "internal error from %s: %s\n", where, status.ToString().c_str());
  std::abort();
}

void CreateAndRun(const Model& model, bool optimize, uint64_t seed) {
  auto session =
      Session::Create(model, {.threads = 1, .optimize = optimize, .memory_limit = kMemoryLimit});
  if (!session.ok()) {
    AbortOnInternal(session.status(), "Session::Create");
    return;
  }
  Stream s{seed | 1};
  std::map<std::string, Tensor> inputs;
  for (const ValueInfo& in : model.graph.inputs) {
    std::optional<Tensor> t = Synthesize(in, s);
    if (!t) return;
    inputs[in.name] = std::move(*t);
  }
  CancelToken deadline;
  deadline.SetTimeout(kDeadline);
  auto outputs = (*session)->Run(inputs, {.cancel = &deadline});
  if (!outputs.ok()) AbortOnInternal(outputs.status(), "Session::Run");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto model = ParseModel(std::string_view(reinterpret_cast<const char*>(data), size), "");
  if (!model.ok()) return 0;
  uint64_t seed = 1469598103934665603ull;  // FNV-1a of the bytes: the same inputs every replay
  for (size_t i = 0; i < size; ++i) seed = (seed ^ data[i]) * 1099511628211ull;
  CreateAndRun(*model, /*optimize=*/true, seed);
  CreateAndRun(*model, /*optimize=*/false, seed);
  return 0;
}
