// The browser as engine backends: "webgpu", "webnn" and "wasm", one per onnxruntime-web execution
// provider, each running whole models on the workers of a Hub. A session created with one of them
// first hands it the model (by its file's CID: the page fetches and verifies the file itself) and
// places the nodes on the CPU, which answers any request the browser fails (engine::ModelRunner).
#pragma once

#include "browser/hub.h"
#include "engine/backend_registry.h"

namespace ipfs_accelerate::browser {

// Adds the three backends to `registry`, running on `hub`'s workers; `hub` must outlive every
// session made with them.
void AddBrowserBackends(engine::BackendRegistry& registry, Hub* hub);

}  // namespace ipfs_accelerate::browser
