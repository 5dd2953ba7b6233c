#include "browser/backend.h"

namespace ipfs_accelerate::browser {
namespace {

class BrowserRunner : public engine::ModelRunner {
 public:
  BrowserRunner(Hub* hub, std::string cid, std::string ep)
      : hub_(hub), cid_(std::move(cid)), ep_(std::move(ep)) {}
  Result<std::map<std::string, Tensor>> Run(const std::map<std::string, Tensor>& inputs,
                                            const CancelToken* cancel) const override {
    return hub_->Run(cid_, ep_, inputs, cancel);
  }

 private:
  Hub* hub_;
  std::string cid_, ep_;
};

class BrowserBackend : public engine::Backend {
 public:
  BrowserBackend(Hub* hub, std::string ep) : hub_(hub), ep_(std::move(ep)) {}
  const std::string& name() const override { return ep_; }
  engine::DeviceKind device() const override { return engine::DeviceKind::kBrowser; }
  bool SupportsOp(const engine::Node& node, const std::vector<DType>&,
                  std::string* why) const override {
    if (why) *why = ep_ + " runs whole models in a browser, not single nodes";
    return false;
  }
  Status Run(engine::KernelContext&) const override {
    return Status::Internal(ep_ + " runs whole models; no node is placed on it");
  }
  Result<std::unique_ptr<engine::ModelRunner>> PrepareModel(
      const engine::Model& model) const override {
    if (model.source_cid.empty()) {
      return Status::Unsupported(
          "the browser loads models by CID from this node's gateway, and this model has none: "
          "add it to the store (ipfs-accelerate add FILE) and name it by its CID");
    }
    return std::unique_ptr<engine::ModelRunner>(
        std::make_unique<BrowserRunner>(hub_, model.source_cid, ep_));
  }

 private:
  Hub* hub_;
  std::string ep_;
};

}  // namespace

void AddBrowserBackends(engine::BackendRegistry& registry, Hub* hub) {
  const char* what[] = {"WebGPU", "WebNN", "WebAssembly (SIMD, threads)"};
  int i = 0;
  for (const std::string& ep : WebExecutionProviders()) {
    registry.Add(
        {ep, engine::DeviceKind::kBrowser,
         std::string("onnxruntime-web on ") + what[i++] +
             " in an attached browser worker (whole models; the CPU answers what it fails)",
         [hub, ep](const engine::BackendConfig&) {
           return std::make_unique<BrowserBackend>(hub, ep);
         }});
  }
}

}  // namespace ipfs_accelerate::browser
