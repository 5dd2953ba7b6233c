// Models and their side files named the way users name them: a file path, or a CID or alias
// (with an optional path below it) in the content-addressed store. Here in the router, not in
// models, because a reference reads the store, which models may not include (ARCHITECTURE.md).
#pragma once

#include <string>

#include "core/status.h"
#include "engine/graph.h"

namespace ipfs_accelerate::router {

// A file's bytes and where they came from.
struct FileRef {
  std::string bytes;
  std::string cid;  // its CID: from the store, or as `add` (unixfs-v1-2025) would give it
  bool from_store = false;
  std::string base_dir;  // the directory of a local file ("" for the store)
};

// Where a reference points. Spellings, as Kubo's: "/ipfs/CID[/path]" (or "/ipfs/ALIAS[/path]") is
// always the store; "./x", "../x" and other absolute paths are always local. A bare "x[/path]" is
// whichever exists, local path or CID/alias; when both do, it is an error asking for one of the
// explicit spellings (so a directory ./ppocr-v4 cannot silently replace the stored model).
enum class RefKind { kLocal, kStore };
Result<RefKind> ClassifyRef(const std::string& repo_flag, const std::string& ref);

// The file named by `ref` (see ClassifyRef): a local file, or CID/alias[/path] in the repository
// chosen by `repo_flag` (see store::Repo::DefaultPath). A directory (local or stored) stands for
// the file `default_name` inside it. With `compute_cid`, a local file's CID is computed too.
// Files are read whole, so one over 2 GiB or over the memory available (DefaultMemoryLimit) is
// refused (kResourceExhausted) before it is read: for a stored file, from the size its UnixFS
// metadata declares.
Result<FileRef> ReadFileRef(const std::string& repo_flag, const std::string& ref,
                            const std::string& default_name, bool compute_cid = false);

// An ONNX model from a file, a directory holding model.onnx, or a CID/alias[/path] of either in
// the store. External data files are read from the model's directory, local or stored (so a
// model over 2 GiB loads from the store when its weights are beside it). From the store the
// model is parsed as its blocks are read and weights go straight into their tensors: about one
// copy of the weights at peak, as from a file. `cid`, when given, receives the model file's CID
// (computed for a local file).
Result<engine::Model> LoadModelRef(const std::string& repo_flag, const std::string& ref,
                                   std::string* cid = nullptr);

}  // namespace ipfs_accelerate::router
