// JSON in and out for bytes from outside: ParseJson is the one way to parse JSON that a user, a
// file or another program wrote (configuration, recorded machines, repository files, databases);
// DumpJson prints values that may hold such bytes.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ipfs_accelerate {

// How deeply arrays and objects may nest in JSON we parse from outside. Nothing we read needs more
// than a handful of levels; the limit keeps crafted input ("[[[[…", a cloned repository's
// ./ipfs_accelerate.json) from exhausting the stack of code that walks the value recursively.
inline constexpr int kMaxJsonDepth = 64;

// Parses `text` as one JSON value. `source` names where it came from (a file path, "--set x",
// "the results database") and starts every error message. Errors (kInvalidArgument, never an
// exception): nesting deeper than `max_depth` arrays/objects ("source:L:C: JSON nested deeper
// than 64 levels"; checked before parsing, brackets inside strings do not count), a syntax error
// ("source:L:C: syntax error: …"), or a number nlohmann cannot hold.
Result<nlohmann::json> ParseJson(std::string_view text, const std::string& source,
                                 int max_depth = kMaxJsonDepth);

// DumpJson(j, indent) that never throws on invalid UTF-8 (it is replaced by U+FFFD).
inline std::string DumpJson(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ipfs_accelerate
