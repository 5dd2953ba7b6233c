#include "models/tensor_file.h"

#include "core/file_util.h"
#include "core/npy.h"
#include "engine/onnx_loader.h"

namespace ipfs_accelerate::models {

Result<Tensor> LoadTensorFile(const std::string& path) {
  IA_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  auto t = path.ends_with(".pb") ? engine::ParseTensorProto(bytes) : ParseNpy(bytes);
  if (!t.ok()) return t.status().WithContext(path);
  return t;
}

Result<std::map<std::string, Tensor>> LoadInputSpecs(const std::vector<std::string>& specs) {
  std::map<std::string, Tensor> feeds;
  for (const std::string& spec : specs) {
    auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--input wants NAME=FILE, got \"" + spec + "\"");
    }
    IA_ASSIGN_OR_RETURN(feeds[spec.substr(0, eq)], LoadTensorFile(spec.substr(eq + 1)));
  }
  return feeds;
}

}  // namespace ipfs_accelerate::models
