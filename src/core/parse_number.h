// Numbers typed by people (flags, KEY=VALUE settings, list items, headers of files they give):
// parsed whole and range-checked, with an error that names the input instead of an exception.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ipfs_accelerate {

// All of `text` (surrounding spaces allowed) as a base-10 integer in [min, max]. `what` names the
// input ("--dim seq", ".npy shape of x.npy") for the kInvalidArgument error: "invalid input: <what>
// wants an integer from <min> to <max>, got "<text>"".
Result<int64_t> ParseInt(std::string_view text, std::string_view what,
                         int64_t min = std::numeric_limits<int64_t>::min(),
                         int64_t max = std::numeric_limits<int64_t>::max());

// All of `text` (surrounding spaces allowed) as a finite decimal number in [min, max]; the error
// names `what` and the text as ParseInt does.
Result<double> ParseNumber(std::string_view text, std::string_view what,
                           double min = -std::numeric_limits<double>::max(),
                           double max = std::numeric_limits<double>::max());

}  // namespace ipfs_accelerate
