// StringNormalizer (opset 10): drops stop words from a [C] or [1, C] string tensor and changes
// the case of what is left. Case is folded byte by byte in ASCII ("locale" is read but only the
// C locale's ASCII mapping is applied; other UTF-8 bytes pass unchanged). An output left empty is
// one empty string ([1] or [1, 1]), as ONNX Runtime writes it.
#include <set>
#include <string>
#include <vector>

#include "engine/backends/cpu/cpu_backend.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

std::string ChangeCase(std::string s, bool upper) {
  for (char& c : s) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

Status StringNormalizer(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  if (x->dtype() != DType::kString) return ctx.Error("X must be a string tensor");
  const bool two_dims = x->rank() == 2;
  if (!(x->rank() == 1 || (two_dims && x->dim(0) == 1))) {
    return ctx.Error("X must be [C] or [1, C], got " + ShapeToString(x->shape()));
  }
  const std::string action = ctx.GetString("case_change_action", "NONE");
  if (action != "NONE" && action != "LOWER" && action != "UPPER")
    return ctx.Error("case_change_action must be NONE, LOWER or UPPER, got '" + action + "'");
  const bool case_sensitive = ctx.GetInt("is_case_sensitive", 0) != 0;
  std::set<std::string> stopwords;
  if (const Attribute* a = ctx.node().attr("stopwords")) {
    for (const std::string& w : a->strings)
      stopwords.insert(case_sensitive ? w : ChangeCase(w, false));
  }
  std::vector<std::string> kept;
  const std::string* in = x->data<std::string>();
  for (int64_t i = 0, n = x->numel(); i < n; ++i) {
    if (stopwords.count(case_sensitive ? in[i] : ChangeCase(in[i], false))) continue;
    kept.push_back(action == "NONE" ? in[i] : ChangeCase(in[i], action == "UPPER"));
  }
  if (kept.empty()) kept.emplace_back();
  const int64_t c = static_cast<int64_t>(kept.size());
  Tensor& y = ctx.Allocate(0, DType::kString, two_dims ? Shape{1, c} : Shape{c});
  std::move(kept.begin(), kept.end(), y.data<std::string>());
  return Status::Ok();
}

}  // namespace

void RegisterStringKernels(KernelRegistry& r) {
  r.Add("StringNormalizer", StringNormalizer, 10).Types({DType::kString});
}

}  // namespace ipfs_accelerate::engine::cpu
