// Fuzzes the model loader: any bytes give a model or an error, never a crash; a model that
// loads either gets a session or an error that names what is wrong.
#include <cstdint>
#include <string_view>

#include "engine/onnx_loader.h"
#include "engine/session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ipfs_accelerate::engine;
  auto model = ParseModel(std::string_view(reinterpret_cast<const char*>(data), size), "");
  if (!model.ok()) return 0;
  auto session = Session::Create(std::move(model).value(), {.threads = 1});
  (void)session;
  return 0;
}
