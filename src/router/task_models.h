// The task models a server runs (text generation, embeddings), by name: each a model package
// loaded once, with its pipeline. The OpenAI-compatible and TEI routes find them here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/thread_pool.h"
#include "router/task_package.h"

namespace ipfs_accelerate::router {

struct TaskModel {
  std::string name;
  std::string cid;  // the ONNX file's
  models::Task task = models::Task::kFeatureExtraction;
  int64_t created = 0;  // Unix seconds, when it was loaded
  std::unique_ptr<models::TextGenerationPipeline> generation;
  std::unique_ptr<models::EmbeddingPipeline> embedding;
};

// Whether `ref` is a model package with a tokenizer (a task model rather than a bare ONNX model).
bool IsTaskPackage(const std::string& repo_flag, const std::string& ref);

class TaskModels {
 public:
  // `threads`: for the synchronous pipelines (embeddings), off the server's I/O threads.
  explicit TaskModels(int threads = 2) : pool_(threads) {}

  // Loads the package `ref` as `name` (the session with `options`). kInvalidArgument for a name
  // taken, the package's errors otherwise.
  Status Add(const std::string& name, const std::string& repo_flag, const std::string& ref,
             engine::SessionOptions options = {});
  // The model named `name` (or whose CID is `name`), or null. Models are never removed while the
  // server runs, so the pointer stays valid.
  const TaskModel* Find(const std::string& name) const;
  std::vector<const TaskModel*> All() const;
  ThreadPool& pool() { return pool_; }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<TaskModel>> models_;
  ThreadPool pool_;
};

}  // namespace ipfs_accelerate::router
