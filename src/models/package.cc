#include "models/package.h"

#include <map>
#include <set>

#include "core/json_util.h"

namespace ipfs_accelerate::models {
namespace {

using json = nlohmann::json;

constexpr const char* kManifest = "accelerate.json";

// Architectures whose ONNX exports generate text; the rest of config.json's model types embed.
const std::set<std::string> kDecoders = {"gpt2",   "gpt_neo", "gptj",  "llama",  "mistral",
                                         "qwen2",  "qwen3",   "phi",   "phi3",   "gemma",
                                         "gemma2", "opt",     "bloom", "falcon", "codegen"};

Status Bad(const std::string& field, const std::string& why) {
  return Status::InvalidArgument(std::string(kManifest) + ": \"" + field + "\" " + why);
}

// Reads the optional number `key` of `obj` into `out`, within [lo, hi].
template <typename T>
Status Number(const json& obj, const std::string& prefix, const char* key, double lo, double hi,
              T* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_number()) return Bad(prefix + key, "must be a number");
  double v = it->get<double>();
  if (!(v >= lo && v <= hi)) {
    return Bad(prefix + key, "is " + it->dump() + "; it must be from " + std::to_string(lo) +
                                 " to " + std::to_string(hi));
  }
  *out = static_cast<T>(v);
  return Status::Ok();
}

Status ReadGeneration(const json& g, PackageManifest* m) {
  if (!g.is_object()) return Bad("generation", "must be an object");
  SamplingOptions& s = m->generation;
  IA_RETURN_IF_ERROR(Number(g, "generation.", "max_new_tokens", 0, 1 << 20, &s.max_new_tokens));
  IA_RETURN_IF_ERROR(Number(g, "generation.", "temperature", 0, 100, &s.temperature));
  IA_RETURN_IF_ERROR(Number(g, "generation.", "top_k", 0, 1 << 30, &s.top_k));
  IA_RETURN_IF_ERROR(Number(g, "generation.", "top_p", 1e-9, 1, &s.top_p));
  IA_RETURN_IF_ERROR(
      Number(g, "generation.", "repetition_penalty", 1e-9, 100, &s.repetition_penalty));
  IA_RETURN_IF_ERROR(Number(g, "generation.", "seed", 0, 9007199254740992.0, &s.seed));
  if (auto it = g.find("eos_token_id"); it != g.end()) {
    s.eos_token_ids.clear();
    json ids = it->is_array() ? *it : json::array({*it});
    for (const json& id : ids) {
      if (!id.is_number_unsigned()) return Bad("generation.eos_token_id", "must be token ids");
      s.eos_token_ids.push_back(id.get<uint32_t>());
    }
  }
  if (auto it = g.find("stop"); it != g.end()) {
    if (!it->is_array()) return Bad("generation.stop", "must be a list of strings");
    for (const json& t : *it) {
      if (!t.is_string() || t.get<std::string>().empty()) {
        return Bad("generation.stop", "must be a list of non-empty strings");
      }
      m->stop.push_back(t.get<std::string>());
    }
  }
  return Status::Ok();
}

Status ReadImage(const json& image, PackageManifest* m) {
  if (!image.is_object()) return Bad("image", "must be an object");
  IA_RETURN_IF_ERROR(Number(image, "image.", "resize", 1, 8192, &m->resize));
  IA_RETURN_IF_ERROR(Number(image, "image.", "crop", 1, 8192, &m->crop));
  for (auto [key, out] : {std::pair{"mean", m->mean}, std::pair{"std", m->std}}) {
    auto it = image.find(key);
    if (it == image.end()) continue;
    if (!it->is_array() || it->size() != 3) {
      return Bad(std::string("image.") + key, "must be 3 numbers (R, G, B)");
    }
    for (size_t c = 0; c < 3; ++c) {
      if (!(*it)[c].is_number()) return Bad(std::string("image.") + key, "must be 3 numbers");
      out[c] = (*it)[c].get<float>();
      if (std::string(key) == "std" && !(out[c] > 0)) {
        return Bad("image.std", "must be above 0");
      }
    }
  }
  if (m->crop > m->resize) return Bad("image.crop", "must be at most image.resize");
  return Status::Ok();
}

}  // namespace

const char* TaskName(Task task) {
  switch (task) {
    case Task::kTextGeneration:
      return "text-generation";
    case Task::kFeatureExtraction:
      return "feature-extraction";
    case Task::kImageClassification:
      return "image-classification";
  }
  return "?";
}

const char* PoolingName(Pooling pooling) {
  switch (pooling) {
    case Pooling::kMean:
      return "mean";
    case Pooling::kCls:
      return "cls";
    case Pooling::kLast:
      return "last";
  }
  return "?";
}

Result<PackageManifest> ParsePackage(const PackageFiles& files) {
  PackageManifest m;
  bool task_known = false;
  // config.json first: the architecture, its context length and end-of-sequence token.
  if (!files.config_json.empty()) {
    IA_ASSIGN_OR_RETURN(json config, ParseJson(files.config_json, "config.json"));
    if (!config.is_object()) return Status::InvalidArgument("config.json is not a JSON object");
    if (auto it = config.find("model_type"); it != config.end() && it->is_string()) {
      m.task = kDecoders.count(it->get<std::string>()) ? Task::kTextGeneration
                                                       : Task::kFeatureExtraction;
      task_known = true;
    }
    for (const char* key : {"n_positions", "max_position_embeddings"}) {
      if (auto it = config.find(key); it != config.end() && it->is_number_unsigned()) {
        m.max_positions = it->get<int64_t>();
        break;
      }
    }
    if (auto it = config.find("id2label"); it != config.end() && it->is_object()) {
      // {"0": "cat", "1": "dog"}: names by index, as transformers writes them.
      std::map<int64_t, std::string> by_index;
      for (auto& [k, v] : it->items()) {
        if (!v.is_string() || k.empty() || k.size() > 9 ||
            k.find_first_not_of("0123456789") != std::string::npos) {
          return Status::InvalidArgument("config.json: id2label wants {\"0\": \"name\", ...}");
        }
        by_index[std::stoll(k)] = v.get<std::string>();
      }
      if (!by_index.empty() && by_index.rbegin()->first < (1 << 20)) {
        m.labels.assign(static_cast<size_t>(by_index.rbegin()->first + 1), "");
        for (auto& [i, name] : by_index) m.labels[static_cast<size_t>(i)] = name;
      }
    }
    if (auto it = config.find("eos_token_id"); it != config.end()) {
      json ids = it->is_array() ? *it : json::array({*it});
      for (const json& id : ids) {
        if (id.is_number_unsigned()) m.generation.eos_token_ids.push_back(id.get<uint32_t>());
      }
    }
  }
  if (!files.pooling_json.empty()) {
    IA_ASSIGN_OR_RETURN(json pooling, ParseJson(files.pooling_json, "1_Pooling/config.json"));
    if (pooling.value("pooling_mode_cls_token", false)) m.pooling = Pooling::kCls;
    if (pooling.value("pooling_mode_lasttoken", false)) m.pooling = Pooling::kLast;
    if (pooling.value("pooling_mode_mean_tokens", false)) m.pooling = Pooling::kMean;
  }
  if (!files.accelerate_json.empty()) {
    IA_ASSIGN_OR_RETURN(json a, ParseJson(files.accelerate_json, kManifest));
    if (!a.is_object()) return Status::InvalidArgument(std::string(kManifest) + " is no object");
    if (auto it = a.find("task"); it != a.end()) {
      const std::string task = it->is_string() ? it->get<std::string>() : "";
      if (task == "text-generation") {
        m.task = Task::kTextGeneration;
      } else if (task == "feature-extraction" || task == "embeddings") {
        m.task = Task::kFeatureExtraction;
      } else if (task == "image-classification") {
        m.task = Task::kImageClassification;
      } else {
        return Bad("task", "is " + it->dump() +
                               "; known: text-generation, feature-extraction, "
                               "image-classification");
      }
      task_known = true;
    }
    for (auto [key, field] : {std::pair{"model", &m.model}, std::pair{"tokenizer", &m.tokenizer}}) {
      if (auto it = a.find(key); it != a.end()) {
        if (!it->is_string() || it->get<std::string>().empty() ||
            it->get<std::string>().find("..") != std::string::npos) {
          return Bad(key, "must name a file inside the package");
        }
        *field = it->get<std::string>();
      }
    }
    if (auto it = a.find("embedding"); it != a.end()) {
      if (!it->is_object()) return Bad("embedding", "must be an object");
      if (auto p = it->find("pooling"); p != it->end()) {
        const std::string name = p->is_string() ? p->get<std::string>() : "";
        if (name == "mean") {
          m.pooling = Pooling::kMean;
        } else if (name == "cls") {
          m.pooling = Pooling::kCls;
        } else if (name == "last") {
          m.pooling = Pooling::kLast;
        } else {
          return Bad("embedding.pooling", "is " + p->dump() + "; known: mean, cls, last");
        }
      }
      if (auto n = it->find("normalize"); n != it->end()) {
        if (!n->is_boolean()) return Bad("embedding.normalize", "must be true or false");
        m.normalize = n->get<bool>();
      }
    }
    if (auto it = a.find("generation"); it != a.end()) IA_RETURN_IF_ERROR(ReadGeneration(*it, &m));
    if (auto it = a.find("image"); it != a.end()) IA_RETURN_IF_ERROR(ReadImage(*it, &m));
    if (auto it = a.find("labels"); it != a.end()) {
      if (!it->is_array()) return Bad("labels", "must be a list of class names");
      m.labels.clear();
      for (const json& l : *it) {
        if (!l.is_string()) return Bad("labels", "must be a list of class names");
        m.labels.push_back(l.get<std::string>());
      }
    }
    IA_RETURN_IF_ERROR(Number(a, "", "max_batch", 1, 1024, &m.max_batch));
    if (auto it = a.find("chat_format"); it != a.end()) {
      const std::string f = it->is_string() ? it->get<std::string>() : "";
      if (f != "chatml" && f != "llama3" && f != "plain") {
        return Bad("chat_format", "is " + it->dump() + "; known: chatml, llama3, plain");
      }
      m.chat_format = f;
    }
    IA_RETURN_IF_ERROR(Number(a, "", "max_positions", 1, 1 << 24, &m.max_positions));
  }
  if (!task_known) {
    return Status::NotFound(
        "the package says nothing of its task: add accelerate.json ({\"task\": "
        "\"text-generation\"} or \"feature-extraction\") or a config.json with model_type");
  }
  return m;
}

}  // namespace ipfs_accelerate::models
