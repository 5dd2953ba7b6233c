// JSON text from nlohmann::json values that may hold bytes from outside (file names, model
// names, configuration values): invalid UTF-8 becomes U+FFFD instead of an exception.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace ipfs_accelerate {

// DumpJson(j, indent) that never throws on invalid UTF-8 (it is replaced by U+FFFD).
inline std::string DumpJson(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ipfs_accelerate
#include "core/json_util.h"
