#include "bench/inputs.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "core/half.h"

namespace ipfs_accelerate::bench {
namespace {

enum class DimRole { kBatch, kSeq, kPast, kNamed, kFixed, kUnknown };

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

DimRole RoleOf(const engine::Dim& d, size_t axis, const InputShape& shape) {
  if (d.value >= 0) return DimRole::kFixed;
  if (d.param.empty()) return axis == 0 ? DimRole::kBatch : DimRole::kUnknown;
  if (shape.dims.count(d.param)) return DimRole::kNamed;
  std::string p = Lower(d.param);
  if (p.find("past") != std::string::npos) return DimRole::kPast;
  if (p.find("batch") != std::string::npos || p == "n" || p == "b" || p == "bs") {
    return DimRole::kBatch;
  }
  for (const char* s : {"seq", "token", "length", "len"}) {
    if (p.find(s) != std::string::npos) return DimRole::kSeq;
  }
  return DimRole::kUnknown;
}

// Nodes that pass indices through unchanged in value.
bool PassesIndices(const std::string& op) {
  static const std::set<std::string> kOps = {"Cast",    "Reshape",  "Unsqueeze", "Squeeze",
                                             "Flatten", "Identity", "Expand"};
  return kOps.count(op) > 0;
}

bool IsMask(const std::string& name) { return Lower(name).find("mask") != std::string::npos; }

}  // namespace

ModelDims InspectDims(const engine::Model& model) {
  ModelDims out;
  InputShape none;
  for (const auto& in : model.graph.inputs) {
    if (model.graph.initializers.count(in.name) || !in.shape) continue;
    for (size_t a = 0; a < in.shape->size(); ++a) {
      DimRole role = RoleOf((*in.shape)[a], a, none);
      out.has_batch |= role == DimRole::kBatch;
      out.has_seq |= role == DimRole::kSeq;
    }
  }
  return out;
}

std::vector<std::string> InputNames(const engine::Model& model) {
  std::vector<std::string> names;
  for (const auto& in : model.graph.inputs) names.push_back(in.name);
  return names;
}

Status CheckInputNames(const engine::Model& model, const std::map<std::string, Tensor>& given) {
  const std::vector<std::string> names = InputNames(model);
  for (const auto& [name, tensor] : given) {
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    return Status::InvalidArgument("the model has no input named '" + name +
                                   "' (its inputs: " + (list.empty() ? "none" : list) + ")");
  }
  return Status::Ok();
}

int64_t EmbeddingRows(const engine::Graph& graph, const std::string& name) {
  std::set<std::string> reach = {name};
  int64_t rows = 0;
  for (const engine::Node& n : graph.nodes) {  // topological order: one pass follows the chain
    bool reads = false;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      if (!reach.count(n.inputs[i])) continue;
      if (n.op_type == "Gather" && i == 1 && n.inputs.size() == 2) {
        auto table = graph.initializers.find(n.inputs[0]);
        int64_t axis = n.attr("axis") ? n.attr("axis")->i : 0;
        if (table != graph.initializers.end() && axis == 0 && table->second.rank() >= 1) {
          int64_t r = table->second.dim(0);
          rows = rows == 0 ? r : std::min(rows, r);
        }
      }
      if (PassesIndices(n.op_type) && i == 0) reads = true;
    }
    if (reads) reach.insert(n.outputs.begin(), n.outputs.end());
  }
  return rows;
}

Result<std::map<std::string, Tensor>> SynthesizeInputs(const engine::Model& model,
                                                       const InputShape& shape,
                                                       const std::map<std::string, Tensor>& given,
                                                       uint64_t seed) {
  std::map<std::string, Tensor> out;
  std::mt19937_64 rng(seed);
  for (const auto& in : model.graph.inputs) {
    if (model.graph.initializers.count(in.name)) continue;  // an initializer with a default
    if (auto g = given.find(in.name); g != given.end()) {
      out[in.name] = g->second;
      continue;
    }
    if (in.kind != engine::ValueInfo::Kind::kTensor) {
      return Status::Unsupported("input " + in.name +
                                 " is not a tensor (sequence/map); give it with --input");
    }
    if (!in.shape) {
      return Status::InvalidArgument("input " + in.name +
                                     " declares no shape; give it with --input NAME=FILE");
    }
    Shape dims;
    for (size_t a = 0; a < in.shape->size(); ++a) {
      const engine::Dim& d = (*in.shape)[a];
      switch (RoleOf(d, a, shape)) {
        case DimRole::kFixed:
          dims.push_back(d.value);
          break;
        case DimRole::kBatch:
          dims.push_back(shape.batch);
          break;
        case DimRole::kSeq:
          dims.push_back(shape.seq);
          break;
        case DimRole::kPast:
          dims.push_back(0);
          break;
        case DimRole::kNamed:
          dims.push_back(shape.dims.at(d.param));
          break;
        case DimRole::kUnknown:
          return Status::InvalidArgument(
              "input " + in.name + " has a dynamic dimension " +
              (d.param.empty() ? "(unnamed) at axis " + std::to_string(a) : "'" + d.param + "'") +
              " that is neither a batch nor a sequence length: give its size with " +
              (d.param.empty() ? "--input " + in.name + "=FILE" : "--dim " + d.param + "=N"));
      }
    }
    Tensor t = Tensor::Empty(in.dtype, dims);
    int64_t n = t.numel();
    std::normal_distribution<float> normal(0.f, 1.f);
    switch (in.dtype) {
      case DType::kFloat32:
        for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = normal(rng);
        break;
      case DType::kFloat64:
        for (int64_t i = 0; i < n; ++i) t.data<double>()[i] = normal(rng);
        break;
      case DType::kFloat16:
        for (int64_t i = 0; i < n; ++i) t.data<uint16_t>()[i] = FloatToHalf(normal(rng));
        break;
      case DType::kInt64:
      case DType::kInt32: {
        int64_t rows = IsMask(in.name) ? 0 : EmbeddingRows(model.graph, in.name);
        std::uniform_int_distribution<int64_t> id(0, std::max<int64_t>(rows - 1, 0));
        for (int64_t i = 0; i < n; ++i) {
          int64_t v = IsMask(in.name) ? 1 : rows > 0 ? id(rng) : 0;
          if (in.dtype == DType::kInt64) {
            t.data<int64_t>()[i] = v;
          } else {
            t.data<int32_t>()[i] = static_cast<int32_t>(v);
          }
        }
        break;
      }
      case DType::kBool:
        for (int64_t i = 0; i < n; ++i) t.data<bool>()[i] = true;
        break;
      default:
        return Status::Unsupported("input " + in.name + " has dtype " + DTypeName(in.dtype) +
                                   ", which the benchmark cannot synthesize; give it with --input");
    }
    out[in.name] = std::move(t);
  }
  return out;
}

}  // namespace ipfs_accelerate::bench
