#include "models/tokenizer/json_fields.h"

#include "models/tokenizer/unicode.h"

namespace ipfs_accelerate::models::tokenizers {

std::string JsonTypeName(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return "a number";
    default:
      return "a value of another kind";
  }
}

Status JsonTypeError(const std::string& path, std::string_view what, const nlohmann::json& got) {
  return Status::InvalidArgument(path + ": expected " + std::string(what) + ", got " +
                                 JsonTypeName(got));
}

Result<JsonObject> JsonObject::From(const nlohmann::json& j, std::string path) {
  if (!j.is_object()) return JsonTypeError(path, "an object", j);
  return JsonObject(j, std::move(path));
}

const nlohmann::json* JsonObject::Get(std::string_view key) const {
  auto it = json_->find(key);
  if (it == json_->end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::string> JsonObject::String(std::string_view key) const {
  const nlohmann::json* v = Get(key);
  if (!v) return Status::InvalidArgument(PathOf(key) + ": missing (a string is required)");
  if (!v->is_string()) return JsonTypeError(PathOf(key), "a string", *v);
  const std::string& s = v->get_ref<const std::string&>();
  if (FindInvalidUtf8(s) != std::string::npos) {
    return Status::InvalidArgument(PathOf(key) + ": not valid UTF-8");
  }
  return s;
}

Result<std::string> JsonObject::StringOr(std::string_view key, std::string fallback) const {
  if (!Get(key)) return fallback;
  return String(key);
}

Result<bool> JsonObject::BoolOr(std::string_view key, bool fallback) const {
  const nlohmann::json* v = Get(key);
  if (!v) return fallback;
  if (!v->is_boolean()) return JsonTypeError(PathOf(key), "true or false", *v);
  return v->get<bool>();
}

Result<uint64_t> JsonObject::Uint(std::string_view key, uint64_t max) const {
  const nlohmann::json* v = Get(key);
  if (!v) return Status::InvalidArgument(PathOf(key) + ": missing (a number is required)");
  if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0)) {
    return JsonTypeError(PathOf(key), "a non-negative integer", *v);
  }
  uint64_t n = v->get<uint64_t>();
  if (n > max) {
    return Status::InvalidArgument(PathOf(key) + ": " + std::to_string(n) +
                                   " is out of range (at most " + std::to_string(max) + ")");
  }
  return n;
}

Result<uint64_t> JsonObject::UintOr(std::string_view key, uint64_t fallback, uint64_t max) const {
  if (!Get(key)) return fallback;
  return Uint(key, max);
}

Result<char32_t> JsonObject::Char(std::string_view key) const {
  IA_ASSIGN_OR_RETURN(std::string s, String(key));
  if (s.empty() || CountChars(s) != 1) {
    return Status::InvalidArgument(PathOf(key) + ": expected one character, got \"" + s + "\"");
  }
  size_t i = 0;
  return DecodeUtf8(s, &i);
}

Result<Pattern> ParseStringOrRegex(const nlohmann::json& j, const std::string& path) {
  IA_ASSIGN_OR_RETURN(JsonObject o, JsonObject::From(j, path));
  const nlohmann::json* literal = o.Get("String");
  const nlohmann::json* regex = o.Get("Regex");
  if (literal && !literal->is_string())
    return JsonTypeError(o.PathOf("String"), "a string", *literal);
  if (regex && !regex->is_string()) return JsonTypeError(o.PathOf("Regex"), "a string", *regex);
  if (literal && !literal->get_ref<const std::string&>().empty()) {
    return Pattern::Literal(literal->get<std::string>());
  }
  if (literal || regex) {
    auto pattern = Pattern::Regex(regex ? regex->get_ref<const std::string&>() : "");
    if (!pattern.ok()) return pattern.status().WithContext(o.PathOf(regex ? "Regex" : "String"));
    return pattern;
  }
  return Status::InvalidArgument(path + ": expected {\"String\": ...} or {\"Regex\": ...}");
}

}  // namespace ipfs_accelerate::models::tokenizers
