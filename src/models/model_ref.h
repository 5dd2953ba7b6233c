// Models and their side files named the way users name them: a file path, or a CID or alias
// (with an optional path below it) in the content-addressed store.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::models {

// A file's bytes and where they came from.
struct FileRef {
  std::string bytes;
  std::string cid;  // its CID: from the store, or as `add` (unixfs-v1-2025) would give it
  bool from_store = false;
  std::string base_dir;  // the directory of a local file ("" for the store)
};

// The file named by `ref`: a local file path, or CID/alias[/path] in the repository chosen by
// `repo_flag` (see store::Repo::DefaultPath). A directory (local or stored) stands for the file
// `default_name` inside it. With `compute_cid`, a local file's CID is computed too.
Result<FileRef> ReadFileRef(const std::string& repo_flag, const std::string& ref,
                            const std::string& default_name, bool compute_cid = false);

// An ONNX model from a file, a directory holding model.onnx, or a CID/alias[/path] of either in
// the store. Models from the store keep their weights inside (no external data). `cid`, when
// given, receives the model file's CID (computed for a local file).
// A tensor from a .npy file or an ONNX TensorProto (.pb) file.
Result<Tensor> LoadTensorFile(const std::string& path);

// Model inputs given as "NAME=FILE" strings (--input), each file read by LoadTensorFile.
Result<std::map<std::string, Tensor>> LoadInputSpecs(const std::vector<std::string>& specs);

Result<engine::Model> LoadModelRef(const std::string& repo_flag, const std::string& ref,
                                   std::string* cid = nullptr);

}  // namespace ipfs_accelerate::models
