#include "core/json_util.h"

#include <algorithm>
#include <utility>

namespace ipfs_accelerate {
namespace {

// Line and column (1-based) of the character at 0-based `offset` of `text`.
std::pair<size_t, size_t> LineColumn(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, offset - line_start + 1};
}

std::string Where(const std::string& source, std::string_view text, size_t offset) {
  auto [line, column] = LineColumn(text, offset);
  return source + ":" + std::to_string(line) + ":" + std::to_string(column);
}

// nlohmann's message without its "[json.exception…] parse error at line L, column C: " prefix.
std::string ParseErrorDetail(const std::string& what) {
  std::string rest = what;
  size_t column = rest.find("column ");
  size_t colon = rest.find(": ", column == std::string::npos ? 0 : column);
  if (colon != std::string::npos) rest = rest.substr(colon + 2);
  if (rest.starts_with("syntax error ")) rest = rest.substr(13);
  return rest;
}

// The offset of the first '[' or '{' that opens level max_depth + 1, or npos. Brackets inside
// strings are text, not nesting. On a valid prefix this agrees with any JSON parser, and a parser
// stops at the first error, so no parser nests deeper than this scan allows.
size_t TooDeepAt(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) return i;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return std::string_view::npos;
}

}  // namespace

Result<nlohmann::json> ParseJson(std::string_view text, const std::string& source, int max_depth) {
  using json = nlohmann::json;
  if (size_t at = TooDeepAt(text, max_depth); at != std::string_view::npos) {
    return Status::InvalidArgument(Where(source, text, at) + ": JSON nested deeper than " +
                                   std::to_string(max_depth) +
                                   " levels of arrays/objects; such input is refused (fix or "
                                   "remove the file)");
  }
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // e.byte counts the characters read, so the offending one is at e.byte - 1.
    return Status::InvalidArgument(Where(source, text, e.byte > 0 ? e.byte - 1 : 0) +
                                   ": syntax error: " + ParseErrorDetail(e.what()));
  } catch (const json::exception& e) {  // a number too large for a double, say
    std::string what = e.what();
    size_t end = what.find("] ");
    return Status::InvalidArgument(source + ": " +
                                   (end == std::string::npos ? what : what.substr(end + 2)));
  } catch (const std::exception& e) {  // std::bad_alloc on a huge input
    return Status::ResourceExhausted(source + ": cannot parse the JSON: " + e.what());
  }
}

}  // namespace ipfs_accelerate
