// What build this is, for results that must say where they came from.
#pragma once

namespace ipfs_accelerate {

// The git commit the binary was built from ("1a2b3c4d5e6f", "…-dirty" with local changes,
// "unknown" outside a git checkout).
const char* GitCommit();
// The project version ("0.1.0").
const char* Version();

}  // namespace ipfs_accelerate
