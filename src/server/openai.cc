#include "server/openai.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>

#include "core/json_util.h"

namespace ipfs_accelerate::server {
namespace {

using json = nlohmann::json;

// {"error": {"message", "type", "param", "code"}}, as OpenAI answers errors.
HttpResponse OpenAiError(int status, const std::string& message, const char* param = nullptr,
                         const char* code = nullptr) {
  HttpResponse r;
  r.status = status;
  const char* type = status == 404   ? "invalid_request_error"
                     : status >= 500 ? "server_error"
                                     : "invalid_request_error";
  r.body = DumpJson(json{{"error",
                          {{"message", message},
                           {"type", type},
                           {"param", param ? json(param) : json(nullptr)},
                           {"code", code ? json(code) : json(nullptr)}}}});
  return r;
}

HttpResponse FromStatus(const Status& s) {
  int status = s.code() == StatusCode::kInvalidArgument     ? 400
               : s.code() == StatusCode::kNotFound          ? 404
               : s.code() == StatusCode::kResourceExhausted ? 413
               : s.code() == StatusCode::kCancelled         ? 503
                                                            : 500;
  return OpenAiError(status, s.message());
}

HttpResponse JsonResponse(const json& j) {
  HttpResponse r;
  r.body = DumpJson(j);
  return r;
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string NewId(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s-%llx%06llx", prefix, static_cast<unsigned long long>(Now()),
                static_cast<unsigned long long>(++counter & 0xffffff));
  return buf;
}

std::string Base64(const void* data, size_t n) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = static_cast<const uint8_t*>(data);
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t{p[i]} << 16 | (i + 1 < n ? uint32_t{p[i + 1]} << 8 : 0) |
                 (i + 2 < n ? p[i + 2] : 0);
    out += k[v >> 18 & 63];
    out += k[v >> 12 & 63];
    out += i + 1 < n ? k[v >> 6 & 63] : '=';
    out += i + 2 < n ? k[v & 63] : '=';
  }
  return out;
}

// Server-sent events made on the generator's thread, written as they come.
class EventStream : public BodyStream {
 public:
  void Push(const json& event) { Append("data: " + DumpJson(event) + "\n\n"); }
  void Done() {
    Append("data: [DONE]\n\n");
    std::function<void()> wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      wake = std::move(wake_);
    }
    if (wake) wake();
  }
  bool live() const override { return true; }
  Result<bool> Next(std::string* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    *out += pending_;
    const bool had = !pending_.empty();
    pending_.clear();
    return had || !closed_;
  }
  void WhenReady(std::function<void()> wake) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_.empty() && !closed_) {
        wake_ = std::move(wake);
        return;
      }
    }
    wake();
  }

 private:
  void Append(const std::string& text) {
    std::function<void()> wake;
    {
      std::lock_guard<std::mutex> lock(mu_);
      pending_ += text;
      wake = std::move(wake_);
    }
    if (wake) wake();
  }
  std::mutex mu_;
  std::string pending_;
  bool closed_ = false;
  std::function<void()> wake_;
};

const char* FinishName(models::FinishReason r) {
  return r == models::FinishReason::kLength ? "length" : "stop";
}

// The request's sampling, from the package's defaults and OpenAI's fields (and ours: top_k,
// repetition_penalty). kInvalidArgument naming the field.
Result<models::SamplingOptions> Sampling(const json& body, const models::TextGenerationPipeline& p,
                                         std::vector<std::string>* stop) {
  models::SamplingOptions s = p.defaults();
  auto number = [&](const char* key, double lo, double hi, auto* out) -> Status {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return Status::Ok();
    if (!it->is_number() || !(it->get<double>() >= lo && it->get<double>() <= hi)) {
      return Status::InvalidArgument(std::string(key) + " must be a number from " +
                                     std::to_string(lo) + " to " + std::to_string(hi));
    }
    *out = static_cast<std::remove_pointer_t<decltype(out)>>(it->get<double>());
    return Status::Ok();
  };
  IA_RETURN_IF_ERROR(number("max_tokens", 0, 1 << 20, &s.max_new_tokens));
  IA_RETURN_IF_ERROR(number("max_completion_tokens", 0, 1 << 20, &s.max_new_tokens));
  IA_RETURN_IF_ERROR(number("temperature", 0, 2, &s.temperature));
  IA_RETURN_IF_ERROR(number("top_p", 1e-9, 1, &s.top_p));
  IA_RETURN_IF_ERROR(number("top_k", 0, 1 << 30, &s.top_k));
  IA_RETURN_IF_ERROR(number("repetition_penalty", 1e-9, 100, &s.repetition_penalty));
  IA_RETURN_IF_ERROR(number("seed", 0, 9007199254740992.0, &s.seed));
  for (const char* key : {"frequency_penalty", "presence_penalty"}) {
    if (auto it = body.find(key); it != body.end() && it->is_number() && it->get<double>() != 0) {
      return Status::InvalidArgument(std::string(key) +
                                     " is not supported: use repetition_penalty");
    }
  }
  if (auto it = body.find("n"); it != body.end() && !(it->is_number() && it->get<double>() == 1)) {
    return Status::InvalidArgument("n must be 1: one choice per prompt");
  }
  if (auto it = body.find("stop"); it != body.end() && !it->is_null()) {
    json list = it->is_array() ? *it : json::array({*it});
    if (list.size() > 4) return Status::InvalidArgument("stop takes at most 4 strings");
    for (const json& t : list) {
      if (!t.is_string()) return Status::InvalidArgument("stop must be a string or strings");
      stop->push_back(t.get<std::string>());
    }
  }
  return s;
}

// Generation for /v1/completions (chat == false) and /v1/chat/completions.
void Complete(const json& body, const router::TaskModel& m, bool chat, const Responder& respond) {
  models::TextGenerationPipeline& p = *m.generation;
  std::vector<std::string> stop;
  auto sampling = Sampling(body, p, &stop);
  if (!sampling.ok()) return respond(FromStatus(sampling.status()));
  std::string prompt;
  if (chat) {
    auto messages = body.find("messages");
    if (messages == body.end() || !messages->is_array() || messages->empty()) {
      return respond(OpenAiError(400, "messages must be a non-empty list", "messages"));
    }
    std::string format = p.manifest().chat_format;
    if (format.empty()) {
      format = p.tokenizer().TokenToId("<|im_start|>")          ? "chatml"
               : p.tokenizer().TokenToId("<|start_header_id|>") ? "llama3"
                                                                : "plain";
    }
    auto text = ChatPrompt(*messages, format);
    if (!text.ok()) return respond(FromStatus(text.status()));
    prompt = std::move(*text);
    // A chat turn ends where the next would start.
    if (format == "chatml") stop.push_back("<|im_end|>");
    if (format == "plain") stop.push_back("\nuser:");
  } else {
    auto it = body.find("prompt");
    if (it != body.end() && it->is_array() && it->size() == 1) it = it->begin();
    if (it == body.end() || !it->is_string()) {
      return respond(
          OpenAiError(400, "prompt must be a string (one prompt per request)", "prompt"));
    }
    prompt = it->get<std::string>();
  }
  const bool stream = body.value("stream", false);
  bool include_usage = false;
  if (auto so = body.find("stream_options"); so != body.end() && so->is_object()) {
    include_usage = so->value("include_usage", false);
  }
  const std::string id = NewId(chat ? "chatcmpl" : "cmpl");
  const int64_t created = Now();
  const char* object =
      chat ? (stream ? "chat.completion.chunk" : "chat.completion") : "text_completion";
  auto usage = [](const models::TextResult& r) {
    return json{{"prompt_tokens", r.prompt_ids.size()},
                {"completion_tokens", r.tokens.size()},
                {"total_tokens", r.prompt_ids.size() + r.tokens.size()}};
  };
  models::TextRequest request{.prompt = prompt, .sampling = *sampling, .stop = stop};
  if (!stream) {
    p.Submit(std::move(request), [=, name = m.name](Result<models::TextResult> r) {
      if (!r.ok()) return respond(FromStatus(r.status()));
      json choice = chat ? json{{"index", 0},
                                {"message", {{"role", "assistant"}, {"content", r->text}}},
                                {"logprobs", nullptr},
                                {"finish_reason", FinishName(r->finish)}}
                         : json{{"index", 0},
                                {"text", r->text},
                                {"logprobs", nullptr},
                                {"finish_reason", FinishName(r->finish)}};
      respond(JsonResponse({{"id", id},
                            {"object", object},
                            {"created", created},
                            {"model", name},
                            {"choices", json::array({choice})},
                            {"usage", usage(*r)}}));
    });
    return;
  }
  auto events = std::make_shared<EventStream>();
  auto chunk = [=, name = m.name](json choice) {
    return json{{"id", id},
                {"object", object},
                {"created", created},
                {"model", name},
                {"choices", json::array({std::move(choice)})}};
  };
  if (chat) {
    events->Push(chunk({{"index", 0},
                        {"delta", {{"role", "assistant"}, {"content", ""}}},
                        {"logprobs", nullptr},
                        {"finish_reason", nullptr}}));
  }
  request.on_text = [events, chunk, chat](std::string_view piece) {
    json choice = chat ? json{{"index", 0},
                              {"delta", {{"content", std::string(piece)}}},
                              {"logprobs", nullptr},
                              {"finish_reason", nullptr}}
                       : json{{"index", 0},
                              {"text", std::string(piece)},
                              {"logprobs", nullptr},
                              {"finish_reason", nullptr}};
    events->Push(chunk(std::move(choice)));
    return true;
  };
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers = {{"Cache-Control", "no-cache"}};
  r.stream = events;
  respond(std::move(r));
  p.Submit(std::move(request), [=, name = m.name](Result<models::TextResult> res) {
    if (!res.ok()) {
      events->Push(
          json{{"error", {{"message", res.status().message()}, {"type", "server_error"}}}});
      return events->Done();
    }
    json last = chat ? json{{"index", 0},
                            {"delta", json::object()},
                            {"logprobs", nullptr},
                            {"finish_reason", FinishName(res->finish)}}
                     : json{{"index", 0},
                            {"text", ""},
                            {"logprobs", nullptr},
                            {"finish_reason", FinishName(res->finish)}};
    events->Push(chunk(std::move(last)));
    if (include_usage) {
      events->Push(json{{"id", id},
                        {"object", object},
                        {"created", created},
                        {"model", name},
                        {"choices", json::array()},
                        {"usage", usage(*res)}});
    }
    events->Done();
  });
}

// The texts of an embeddings or TEI request's `key`: a string or a list of strings.
Result<std::vector<std::string>> Texts(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end()) return Status::InvalidArgument(std::string(key) + " is missing");
  std::vector<std::string> texts;
  if (it->is_string()) {
    texts.push_back(it->get<std::string>());
  } else if (it->is_array() && !it->empty()) {
    for (const json& t : *it) {
      if (!t.is_string()) {
        return Status::InvalidArgument(std::string(key) +
                                       " must be a string or a list of strings (token arrays are "
                                       "not supported: send text)");
      }
      texts.push_back(t.get<std::string>());
    }
  } else {
    return Status::InvalidArgument(std::string(key) + " must be a string or a non-empty list");
  }
  return texts;
}

void Embeddings(const json& body, router::TaskModels& models, const router::TaskModel& m, bool tei,
                const Responder& respond) {
  auto texts = Texts(body, tei ? "inputs" : "input");
  if (!texts.ok())
    return respond(OpenAiError(400, texts.status().message(), tei ? "inputs" : "input"));
  std::string format = body.value("encoding_format", std::string("float"));
  if (format != "float" && format != "base64") {
    return respond(OpenAiError(400, "encoding_format must be float or base64", "encoding_format"));
  }
  if (body.contains("dimensions") && !body["dimensions"].is_null()) {
    return respond(OpenAiError(400, "dimensions is not supported: the model's vectors are whole",
                               "dimensions"));
  }
  if (tei && body.contains("normalize") && body["normalize"] == false &&
      m.embedding->manifest().normalize) {
    return respond(OpenAiError(400, "normalize=false is not supported: this package normalizes"));
  }
  const bool truncate = body.value("truncate", false);
  models.pool().Submit([&m, texts = std::move(*texts), format, truncate, tei, respond] {
    auto r = m.embedding->Embed(texts, {.truncate = truncate});
    if (!r.ok()) return respond(FromStatus(r.status()));
    if (tei) return respond(JsonResponse(r->vectors));
    json data = json::array();
    for (size_t i = 0; i < r->vectors.size(); ++i) {
      const std::vector<float>& v = r->vectors[i];
      json embedding =
          format == "base64" ? json(Base64(v.data(), v.size() * sizeof(float))) : json(v);
      data.push_back({{"object", "embedding"}, {"index", i}, {"embedding", std::move(embedding)}});
    }
    respond(JsonResponse({{"object", "list"},
                          {"data", std::move(data)},
                          {"model", m.name},
                          {"usage", {{"prompt_tokens", r->tokens}, {"total_tokens", r->tokens}}}}));
  });
}

void Tokenize(const json& body, const models::Tokenizer& tokenizer, const Responder& respond) {
  auto texts = Texts(body, "inputs");
  if (!texts.ok()) return respond(OpenAiError(400, texts.status().message(), "inputs"));
  const bool special = body.value("add_special_tokens", true);
  json out = json::array();
  for (const std::string& text : *texts) {
    auto e = tokenizer.Encode(text, {.add_special_tokens = special,
                                     .offsets = models::OffsetUnit::kByte,
                                     .truncate = false,
                                     .pad = false});
    if (!e.ok()) return respond(FromStatus(e.status()));
    json tokens = json::array();
    for (size_t i = 0; i < e->ids.size(); ++i) {
      auto [start, stop] = e->offsets[i];
      tokens.push_back(
          {{"id", e->ids[i]},
           {"text", e->tokens[i]},
           {"special", e->special_tokens_mask[i] != 0},
           {"start", special && e->special_tokens_mask[i] ? json(nullptr) : json(start)},
           {"stop", special && e->special_tokens_mask[i] ? json(nullptr) : json(stop)}});
    }
    out.push_back(std::move(tokens));
  }
  respond(JsonResponse(out));
}

// The model a request names, or (TEI, which serves one) the first that can answer it.
const router::TaskModel* Pick(const json& body, const router::TaskModels& models, models::Task task,
                              bool named, const Responder& respond) {
  if (named || body.contains("model")) {
    if (!body.contains("model") || !body["model"].is_string()) {
      respond(OpenAiError(400, "model is missing: name one of GET /v1/models", "model"));
      return nullptr;
    }
    const std::string name = body["model"].get<std::string>();
    const router::TaskModel* m = models.Find(name);
    if (!m) {
      respond(OpenAiError(404,
                          "The model '" + name + "' does not exist (GET /v1/models lists them)",
                          "model", "model_not_found"));
      return nullptr;
    }
    if (m->task != task) {
      respond(OpenAiError(400,
                          "The model '" + name + "' is for " + models::TaskName(m->task) +
                              ", not " + models::TaskName(task),
                          "model"));
      return nullptr;
    }
    return m;
  }
  for (const router::TaskModel* m : models.All()) {
    if (m->task == task) return m;
  }
  respond(OpenAiError(404, std::string("no ") + models::TaskName(task) + " model is served"));
  return nullptr;
}

}  // namespace

Result<std::string> ChatPrompt(const json& messages, const std::string& format) {
  if (format != "chatml" && format != "llama3" && format != "plain") {
    return Status::InvalidArgument("chat format '" + format + "' is none of chatml, llama3, plain");
  }
  std::string out = format == "llama3" ? "<|begin_of_text|>" : "";
  for (size_t i = 0; i < messages.size(); ++i) {
    const json& m = messages[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
        !m["content"].is_string()) {
      return Status::InvalidArgument("messages[" + std::to_string(i) +
                                     "] needs a string role and a string content");
    }
    const std::string role = m["role"].get<std::string>(),
                      content = m["content"].get<std::string>();
    if (format == "chatml") {
      out += "<|im_start|>" + role + "\n" + content + "<|im_end|>\n";
    } else if (format == "llama3") {
      out += "<|start_header_id|>" + role + "<|end_header_id|>\n\n" + content + "<|eot_id|>";
    } else {
      out += role + ": " + content + "\n";
    }
  }
  if (format == "chatml") out += "<|im_start|>assistant\n";
  if (format == "llama3") out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  if (format == "plain") out += "assistant:";
  return out;
}

bool ServeOpenAi(const HttpRequest& request, const std::vector<std::string>& s,
                 router::TaskModels& models, const Responder& respond) {
  const size_t n = s.size();
  const bool v1 = n >= 2 && s[0] == "v1";
  const bool tei = n == 1 && (s[0] == "embed" || s[0] == "tokenize");
  if (!v1 && !tei) return false;
  if (v1 && n == 2 && s[1] == "models") {
    if (request.method != "GET") return respond(OpenAiError(405, "GET /v1/models")), true;
    json data = json::array();
    for (const router::TaskModel* m : models.All()) {
      data.push_back({{"id", m->name},
                      {"object", "model"},
                      {"created", m->created},
                      {"owned_by", "ipfs-accelerate"}});
    }
    respond(JsonResponse({{"object", "list"}, {"data", data}}));
    return true;
  }
  if (v1 && n == 3 && s[1] == "models") {
    const router::TaskModel* m = models.Find(s[2]);
    if (!m) {
      respond(
          OpenAiError(404, "The model '" + s[2] + "' does not exist", "model", "model_not_found"));
    } else {
      respond(JsonResponse({{"id", m->name},
                            {"object", "model"},
                            {"created", m->created},
                            {"owned_by", "ipfs-accelerate"}}));
    }
    return true;
  }
  const bool completions = v1 && n == 2 && s[1] == "completions";
  const bool chat = v1 && n == 3 && s[1] == "chat" && s[2] == "completions";
  const bool embeddings = v1 && n == 2 && s[1] == "embeddings";
  if (!completions && !chat && !embeddings && !tei) {
    respond(OpenAiError(404, request.path + " is no route here: /v1/models, /v1/completions, "
                                            "/v1/chat/completions, /v1/embeddings, /embed, "
                                            "/tokenize"));
    return true;
  }
  if (request.method != "POST") {
    respond(OpenAiError(405, request.path + " takes POST, not " + request.method));
    return true;
  }
  auto body = ParseJson(request.body, "the request body");
  if (!body.ok() || !body->is_object()) {
    respond(OpenAiError(
        400, body.ok() ? "the request body is no JSON object" : body.status().message()));
    return true;
  }
  if (completions || chat) {
    if (const auto* m = Pick(*body, models, models::Task::kTextGeneration, true, respond)) {
      Complete(*body, *m, chat, respond);
    }
  } else if (embeddings || s[0] == "embed") {
    if (const auto* m = Pick(*body, models, models::Task::kFeatureExtraction, v1, respond)) {
      Embeddings(*body, models, *m, !v1, respond);
    }
  } else {  // /tokenize: the named model's tokenizer, else the first model's
    const router::TaskModel* m = nullptr;
    if (body->contains("model")) {
      m = (*body)["model"].is_string() ? models.Find((*body)["model"].get<std::string>()) : nullptr;
    } else if (!models.All().empty()) {
      m = models.All().front();
    }
    if (!m) {
      respond(OpenAiError(404, "no such model to tokenize with", "model", "model_not_found"));
    } else {
      Tokenize(*body, m->generation ? m->generation->tokenizer() : m->embedding->tokenizer(),
               respond);
    }
  }
  return true;
}

}  // namespace ipfs_accelerate::server
