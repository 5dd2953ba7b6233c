// The worker page's files (web/*.html, web/*.js), embedded in the binary at build time
// (cmake/embed_files.cmake): the page a node serves is always the one its hub speaks to.
#pragma once

#include <cstddef>

namespace ipfs_accelerate::browser {

struct EmbeddedFile {
  const char* name;  // "worker.js"; null ends the table
  const char* text;
  size_t size;
};

extern const EmbeddedFile kWebFiles[];

}  // namespace ipfs_accelerate::browser
