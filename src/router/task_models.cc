#include "router/task_models.h"

#include <chrono>

#include "router/model_ref.h"

namespace ipfs_accelerate::router {

bool IsTaskPackage(const std::string& repo_flag, const std::string& ref) {
  std::string base = ref;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return ReadFileRef(repo_flag, base + "/tokenizer.json", "").ok();
}

Status TaskModels::Add(const std::string& name, const std::string& repo_flag,
                       const std::string& ref, engine::SessionOptions options) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (models_.count(name)) {
      return Status::InvalidArgument("two task models are named \"" + name + "\"");
    }
  }
  IA_ASSIGN_OR_RETURN(TaskPackage package, LoadTaskPackage(repo_flag, ref));
  auto m = std::make_unique<TaskModel>();
  m->name = name;
  m->cid = package.model_cid;
  m->task = package.manifest.task;
  m->created = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  if (m->task == models::Task::kTextGeneration) {
    IA_ASSIGN_OR_RETURN(m->generation, MakeTextGeneration(std::move(package), std::move(options)));
  } else {
    IA_ASSIGN_OR_RETURN(m->embedding, MakeEmbedding(std::move(package), std::move(options)));
  }
  std::lock_guard<std::mutex> lock(mu_);
  models_[name] = std::move(m);
  return Status::Ok();
}

const TaskModel* TaskModels::Find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = models_.find(name); it != models_.end()) return it->second.get();
  for (const auto& [n, m] : models_) {
    if (!m->cid.empty() && m->cid == name) return m.get();
  }
  return nullptr;
}

std::vector<const TaskModel*> TaskModels::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<const TaskModel*> out;
  for (const auto& [n, m] : models_) out.push_back(m.get());
  return out;
}

}  // namespace ipfs_accelerate::router
