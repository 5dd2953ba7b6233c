// OpenAI-compatible routes over the task models (router/task_models.h), as the official clients
// call them — GET /v1/models, POST /v1/embeddings (float or base64 vectors), /v1/completions and
// /v1/chat/completions (whole answers, or server-sent events with `stream`, ending in
// `data: [DONE]`, with a usage chunk when stream_options.include_usage) — and Hugging Face TEI's
// POST /embed and /tokenize. Errors have OpenAI's shape: {"error": {"message", "type", "param",
// "code"}}.
//
// Chat messages become a prompt through the package's chat format (accelerate.json
// "chat_format": chatml, llama3 or plain; see ChatPrompt): Jinja chat templates from
// tokenizer_config.json are not run (no Jinja engine is available to us).
#pragma once

#include <string>
#include <vector>

#include "router/task_models.h"
#include "server/http_server.h"

namespace ipfs_accelerate::server {

// Answers a request whose path is /v1/… or /embed, /tokenize (`segments`: the path split at '/'),
// through `respond` (now, or when generation ends). False when the path is none of these.
bool ServeOpenAi(const HttpRequest& request, const std::vector<std::string>& segments,
                 router::TaskModels& models, const Responder& respond);

// The prompt for chat `messages` ({"role", "content"} objects) in `format` ("chatml",
// "llama3", "plain"), ending where the assistant's answer starts. kInvalidArgument for a
// message without a string role and content, or an unknown format.
Result<std::string> ChatPrompt(const nlohmann::json& messages, const std::string& format);

}  // namespace ipfs_accelerate::server
