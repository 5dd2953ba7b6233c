#include "engine/backends/reference/reference_backend.h"

namespace ipfs_accelerate::engine::reference {

ReferenceBackend::ReferenceBackend() {
  RegisterReferenceElementwise(ops_);
  RegisterReferenceLinalg(ops_);
  RegisterReferencePoolNorm(ops_);
}

bool ReferenceBackend::SupportsOp(const Node& node, const std::vector<DType>& input_dtypes,
                                  std::string* why) const {
  auto it = ops_.find({node.domain, node.op_type});
  if (it == ops_.end() || node.opset < it->second.min_opset || node.opset > it->second.max_opset) {
    if (why) *why = "no kernel for " + node.op_type + " at opset " + std::to_string(node.opset);
    return false;
  }
  const OpEntry& e = it->second;
  const size_t i = static_cast<size_t>(e.type_input);
  // Unknown types are refused too: a reference kernel meeting a dtype it lacks would fail the
  // run, while the next backend would have run it.
  DType t = i < input_dtypes.size() ? input_dtypes[i] : DType::kUndefined;
  if (!e.types.Has(t)) {
    if (why) {
      *why = node.op_type + " runs " + e.types.ToString() + ", not " +
             (t == DType::kUndefined ? std::string("an input of unknown type") : DTypeName(t));
    }
    return false;
  }
  return true;
}

KernelFn ReferenceBackend::Resolve(const Node& node) const {
  auto it = ops_.find({node.domain, node.op_type});
  return it == ops_.end() ? nullptr : it->second.fn;
}

Status ReferenceBackend::Run(KernelContext& ctx) const {
  auto it = ops_.find({ctx.node().domain, ctx.node().op_type});
  if (it == ops_.end()) {
    return Status::Unsupported("the reference backend has no kernel for " + ctx.node().Describe());
  }
  return it->second.fn(ctx);
}

}  // namespace ipfs_accelerate::engine::reference
