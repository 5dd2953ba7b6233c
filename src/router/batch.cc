#include "router/batch.h"

#include <algorithm>
#include <cstring>

namespace ipfs_accelerate::router {
namespace {

std::string Names(const std::vector<TensorInfo>& list) {
  std::string out;
  for (const TensorInfo& t : list) out += (out.empty() ? "" : ", ") + t.name;
  return out.empty() ? "none" : out;
}

}  // namespace

bool IsBatchable(const ModelInfo& info) {
  if (info.inputs.empty()) return false;
  for (const auto* list : {&info.inputs, &info.outputs}) {
    for (const TensorInfo& t : *list) {
      if (t.shape.empty() || t.shape[0] != -1 || t.dtype == DType::kString) return false;
    }
  }
  return true;
}

Result<BatchKey> ClassifyRequest(const ModelInfo& info, bool batchable,
                                 const InferRequest& request) {
  BatchKey key;
  key.mergeable = batchable;
  int64_t items = -1;
  for (const auto& [name, t] : request.inputs) {
    auto it = std::find_if(info.inputs.begin(), info.inputs.end(),
                           [&name = name](const TensorInfo& i) { return i.name == name; });
    if (it == info.inputs.end()) {
      return Status::InvalidArgument("model '" + info.name + "' has no input '" + name +
                                     "' (its inputs: " + Names(info.inputs) + ")");
    }
  }
  for (const TensorInfo& in : info.inputs) {
    auto it = request.inputs.find(in.name);
    if (it == request.inputs.end()) {
      return Status::InvalidArgument("input '" + in.name + "' of model '" + info.name +
                                     "' is missing (its inputs: " + Names(info.inputs) + ")");
    }
    const Tensor& t = it->second;
    if (t.dtype() != in.dtype) {
      return Status::InvalidArgument("input '" + in.name + "' must be " + DTypeName(in.dtype) +
                                     ", got " + DTypeName(t.dtype()));
    }
    if (!in.shape.empty() || t.rank() == 0) {
      bool fits = static_cast<size_t>(t.rank()) == in.shape.size();
      for (size_t d = 0; fits && d < in.shape.size(); ++d) {
        fits = in.shape[d] < 0 || in.shape[d] == t.shape()[d];
      }
      if (!fits) {
        std::string want = "[";
        for (size_t d = 0; d < in.shape.size(); ++d) {
          want +=
              (d ? ", " : "") + (in.shape[d] < 0 ? std::string("-1") : std::to_string(in.shape[d]));
        }
        return Status::InvalidArgument("input '" + in.name + "' must have shape " + want +
                                       "] (-1: any size), got " + ShapeToString(t.shape()));
      }
    }
    if (t.rank() == 0 || (items >= 0 && t.dim(0) != items)) key.mergeable = false;
    if (t.rank() > 0 && items < 0) items = t.dim(0);
    key.shape += in.name + ":" + std::to_string(static_cast<int>(t.dtype()));
    for (int d = 1; d < t.rank(); ++d) key.shape += "," + std::to_string(t.shape()[d]);
    key.shape += ";";
  }
  for (const std::string& name : request.outputs) {
    auto it = std::find_if(info.outputs.begin(), info.outputs.end(),
                           [&](const TensorInfo& o) { return o.name == name; });
    if (it == info.outputs.end()) {
      return Status::InvalidArgument("model '" + info.name + "' has no output '" + name +
                                     "' (its outputs: " + Names(info.outputs) + ")");
    }
    key.shape += ">" + name;
  }
  key.items = items > 0 ? items : 1;
  if (items <= 0) key.mergeable = false;
  return key;
}

Result<std::map<std::string, Tensor>> Concat(
    const std::vector<const std::map<std::string, Tensor>*>& parts) {
  std::map<std::string, Tensor> out;
  if (parts.empty()) return out;
  for (const auto& [name, first] : *parts.front()) {
    if (parts.size() == 1) {
      out[name] = first;
      continue;
    }
    Shape shape = first.shape();
    if (shape.empty()) return Status::InvalidArgument("cannot batch the scalar '" + name + "'");
    int64_t rows = 0;
    for (const auto* p : parts) {
      auto it = p->find(name);
      if (it == p->end() || it->second.dtype() != first.dtype() ||
          it->second.rank() != first.rank()) {
        return Status::InvalidArgument("tensors named '" + name + "' differ between batch parts");
      }
      rows += it->second.dim(0);
    }
    shape[0] = rows;
    Tensor merged = Tensor::Empty(first.dtype(), shape);
    auto* dst = static_cast<uint8_t*>(merged.raw());
    for (const auto* p : parts) {
      const Tensor& t = p->at(name);
      if (t.nbytes()) std::memcpy(dst, t.raw(), t.nbytes());
      dst += t.nbytes();
    }
    out[name] = std::move(merged);
  }
  return out;
}

Tensor SliceRows(const Tensor& t, int64_t begin, int64_t end) {
  Shape shape = t.shape();
  size_t row = shape[0] ? t.nbytes() / static_cast<size_t>(shape[0]) : 0;
  shape[0] = end - begin;
  Tensor out = Tensor::Empty(t.dtype(), shape);
  if (out.nbytes()) {
    std::memcpy(out.raw(), static_cast<const uint8_t*>(t.raw()) + row * begin, out.nbytes());
  }
  return out;
}

Result<std::vector<std::map<std::string, Tensor>>> Split(
    const std::map<std::string, Tensor>& outputs, const std::vector<int64_t>& items) {
  int64_t total = 0;
  for (int64_t n : items) total += n;
  std::vector<std::map<std::string, Tensor>> out(items.size());
  for (const auto& [name, t] : outputs) {
    if (t.rank() == 0 || t.dim(0) != total || t.dtype() == DType::kString) {
      return Status::InvalidArgument("output '" + name + "' has shape " + ShapeToString(t.shape()) +
                                     ", which does not follow the batch dimension (" +
                                     std::to_string(total) + " items)");
    }
    int64_t at = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      out[i][name] = items.size() == 1 ? t : SliceRows(t, at, at + items[i]);
      at += items[i];
    }
  }
  return out;
}

}  // namespace ipfs_accelerate::router
