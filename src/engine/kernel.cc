#include "engine/kernel.h"

namespace ipfs_accelerate::engine {

bool KernelContext::is_constant(size_t i) const {
  return graph_ && i < node_.inputs.size() && !node_.inputs[i].empty() &&
         graph_->initializers.count(node_.inputs[i]) > 0;
}

Result<const Tensor*> KernelContext::Required(size_t i) const {
  const Tensor* t = input(i);
  if (t) return t;
  const Value* v = value(i);
  if (v && v->is_sequence())
    return Error("input " + std::to_string(i) + " is a sequence, not a tensor");
  return Error("input " + std::to_string(i) + " is required");
}

Status KernelContext::CheckCancelled() const {
  return cancel_ ? cancel_->Check("running " + node_.Describe()) : Status::Ok();
}

Tensor& KernelContext::Allocate(size_t i, DType dtype, Shape shape) {
  (*outputs_)[i] = Tensor::Empty(dtype, std::move(shape));
  return (*outputs_)[i].tensor();
}

int64_t KernelContext::GetInt(const std::string& name, int64_t fallback) const {
  const Attribute* a = node_.attr(name);
  return a ? a->i : fallback;
}

float KernelContext::GetFloat(const std::string& name, float fallback) const {
  const Attribute* a = node_.attr(name);
  return a ? a->f : fallback;
}

std::string KernelContext::GetString(const std::string& name, const std::string& fallback) const {
  const Attribute* a = node_.attr(name);
  return a ? a->s : fallback;
}

std::vector<int64_t> KernelContext::GetInts(const std::string& name,
                                            std::vector<int64_t> fallback) const {
  const Attribute* a = node_.attr(name);
  return a ? a->ints : fallback;
}

std::vector<float> KernelContext::GetFloats(const std::string& name,
                                            std::vector<float> fallback) const {
  const Attribute* a = node_.attr(name);
  return a ? a->floats : fallback;
}

}  // namespace ipfs_accelerate::engine
