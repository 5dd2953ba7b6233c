// Text from outside (file and directory names, model and run names, messages that quote them) made
// safe to print: control characters cannot move the cursor, clear the screen or forge lines, and a
// NUL cannot cut a message short.
#pragma once

#include <string>
#include <string_view>

namespace ipfs_accelerate {

// `text` with C0 controls (NUL, ESC, newline, …), DEL, C1 controls (U+0080–U+009F) and bytes that
// are not UTF-8 written as escapes: "\n", "\t", "\r", "\\" for a backslash, "\xNN" otherwise.
// Printable UTF-8 passes unchanged. With `keep_newlines`, '\n' passes too (multi-line messages).
std::string TerminalSafe(std::string_view text, bool keep_newlines = false);

}  // namespace ipfs_accelerate
