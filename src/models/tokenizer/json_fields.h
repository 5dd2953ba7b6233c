// Reading the objects of tokenizer.json: every error names the field's path in the file
// ("model.merges[3]") and what was expected, so a malformed file says where it is wrong.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"
#include "models/tokenizer/pattern.h"

namespace ipfs_accelerate::models::tokenizers {

// "a string", "a number", "null", ... for messages.
std::string JsonTypeName(const nlohmann::json& j);

// kInvalidArgument "PATH: expected WHAT, got TYPE".
Status JsonTypeError(const std::string& path, std::string_view what, const nlohmann::json& got);

// {"String": "..."} (a literal) or {"Regex": "..."} (Oniguruma syntax), as Split, Replace and
// the Replace decoder take them. An empty String is an empty regex, as the reference makes it.
Result<Pattern> ParseStringOrRegex(const nlohmann::json& j, const std::string& path);

// One JSON object of the file and its path there.
class JsonObject {
 public:
  // Fails unless `j` is an object.
  static Result<JsonObject> From(const nlohmann::json& j, std::string path);

  const std::string& path() const { return path_; }
  std::string PathOf(std::string_view key) const { return path_ + "." + std::string(key); }
  // The value of `key`, or null when it is absent or JSON null.
  const nlohmann::json* Get(std::string_view key) const;
  // The "type" field, required.
  Result<std::string> Type() const { return String("type"); }

  Result<std::string> String(std::string_view key) const;
  Result<std::string> StringOr(std::string_view key, std::string fallback) const;
  Result<bool> BoolOr(std::string_view key, bool fallback) const;
  // A non-negative integer no larger than `max`.
  Result<uint64_t> Uint(std::string_view key, uint64_t max = UINT32_MAX) const;
  Result<uint64_t> UintOr(std::string_view key, uint64_t fallback, uint64_t max = UINT32_MAX) const;
  // A string of exactly one character (Metaspace's replacement, Strip's content).
  Result<char32_t> Char(std::string_view key) const;

 private:
  JsonObject(const nlohmann::json& j, std::string path) : json_(&j), path_(std::move(path)) {}
  const nlohmann::json* json_;
  std::string path_;
};

}  // namespace ipfs_accelerate::models::tokenizers
