// Einsum: any equation (explicit or implicit output, ellipsis, repeated labels for diagonals),
// evaluated as one loop over every label, output labels outside, summed labels inside.
#include <algorithm>
#include <map>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

// Labels are letters; ellipsis dimensions get labels 256 + i (i counted from the left of the
// broadcast ellipsis shape).
constexpr int kEllipsisBase = 256;

struct Term {
  std::vector<int> labels;
  bool has_ellipsis = false;
};

// Splits "ab,bc" into terms; fills error on bad characters.
bool ParseTerms(const std::string& s, std::vector<std::string>* terms, std::string* error) {
  std::string cur;
  for (char ch : s) {
    if (ch == ' ') continue;
    if (ch == ',') {
      terms->push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  terms->push_back(cur);
  return true;
}

// The labels of `text` for an operand of rank `rank` (ellipsis expanded to `ell_rank` labels,
// right-aligned against the full ellipsis rank `max_ell`).
bool ExpandTerm(const std::string& text, int64_t rank, int* ell_rank, Term* term,
                std::string* error) {
  int letters = 0;
  size_t dots = text.find("...");
  for (size_t i = 0; i < text.size(); ++i) {
    if (dots != std::string::npos && i >= dots && i < dots + 3) continue;
    char c = text[i];
    if (!std::isalpha(static_cast<unsigned char>(c))) {
      *error = "bad character '" + std::string(1, c) + "' in term '" + text + "'";
      return false;
    }
    ++letters;
  }
  term->has_ellipsis = dots != std::string::npos;
  if (term->has_ellipsis && text.find("...", dots + 3) != std::string::npos) {
    *error = "term '" + text + "' has two ellipses";
    return false;
  }
  *ell_rank = term->has_ellipsis ? static_cast<int>(rank) - letters : 0;
  if (*ell_rank < 0 || (!term->has_ellipsis && letters != rank)) {
    *error = "term '" + text + "' does not match an input of rank " + std::to_string(rank);
    return false;
  }
  return true;
}

template <typename T>
void EinsumLoop(KernelContext& ctx, const std::vector<const Tensor*>& ins,
                const std::vector<std::vector<int64_t>>& strides,
                const std::vector<int64_t>& out_sizes, const std::vector<int64_t>& sum_sizes,
                T* y) {
  int64_t out_count = NumElements(out_sizes), sum_count = NumElements(sum_sizes);
  size_t nin = ins.size(), nout = out_sizes.size(), nsum = sum_sizes.size();
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  ParallelFor(ctx.pool(), out_count, std::max<int64_t>(sum_count, 1) * cost::kScalarMac,
              [&](int64_t begin, int64_t end) {
                std::vector<int64_t> idx(nout + nsum);
                for (int64_t o = begin; o < end; ++o) {
                  int64_t rem = o;
                  for (int d = static_cast<int>(nout) - 1; d >= 0; --d) {
                    idx[d] = rem % out_sizes[d];
                    rem /= out_sizes[d];
                  }
                  std::vector<int64_t> base(nin, 0);
                  for (size_t t = 0; t < nin; ++t) {
                    for (size_t d = 0; d < nout; ++d) base[t] += idx[d] * strides[t][d];
                  }
                  Acc acc = 0;
                  std::vector<int64_t> sidx(nsum, 0);
                  for (int64_t s = 0; s < sum_count; ++s) {
                    Acc prod = 1;
                    for (size_t t = 0; t < nin; ++t) {
                      int64_t off = base[t];
                      for (size_t d = 0; d < nsum; ++d) off += sidx[d] * strides[t][nout + d];
                      prod *= static_cast<Acc>(ins[t]->data<T>()[off]);
                    }
                    acc += prod;
                    for (int d = static_cast<int>(nsum) - 1; d >= 0; --d) {
                      if (++sidx[d] < sum_sizes[d]) break;
                      sidx[d] = 0;
                    }
                  }
                  y[o] = static_cast<T>(acc);
                }
              });
}

Status Einsum(KernelContext& ctx) {
  std::string eq = ctx.GetString("equation", "");
  std::vector<const Tensor*> ins;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    IA_ASSIGN_OR_RETURN(const Tensor* t, ctx.Required(i));
    if (!ins.empty() && t->dtype() != ins[0]->dtype())
      return ctx.Error("inputs have different dtypes");
    ins.push_back(t);
  }
  if (ins.empty()) return ctx.Error("needs at least one input");
  size_t arrow = eq.find("->");
  std::string lhs = arrow == std::string::npos ? eq : eq.substr(0, arrow);
  std::vector<std::string> texts;
  std::string error;
  ParseTerms(lhs, &texts, &error);
  if (texts.size() != ins.size()) {
    return ctx.Error("equation '" + eq + "' has " + std::to_string(texts.size()) + " terms for " +
                     std::to_string(ins.size()) + " inputs");
  }
  // Sizes of every label; ellipsis shapes broadcast together (right-aligned).
  std::map<int, int64_t> size;
  std::vector<Term> terms(ins.size());
  std::vector<int> ell_ranks(ins.size());
  int max_ell = 0;
  for (size_t t = 0; t < ins.size(); ++t) {
    if (!ExpandTerm(texts[t], ins[t]->rank(), &ell_ranks[t], &terms[t], &error))
      return ctx.Error(error);
    max_ell = std::max(max_ell, ell_ranks[t]);
  }
  std::vector<int64_t> ell_shape(max_ell, 1);
  std::map<int, int> count;  // occurrences of each letter across inputs
  for (size_t t = 0; t < ins.size(); ++t) {
    const std::string& text = texts[t];
    size_t dots = text.find("...");
    int dim = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      if (dots != std::string::npos && i == dots) {
        for (int e = 0; e < ell_ranks[t]; ++e) {
          int label = kEllipsisBase + max_ell - ell_ranks[t] + e;
          int64_t d = ins[t]->dim(dim++);
          int64_t& s = ell_shape[label - kEllipsisBase];
          if (s != d && s != 1 && d != 1)
            return ctx.Error("ellipsis dimensions do not broadcast in '" + eq + "'");
          if (d != 1) s = d;
          terms[t].labels.push_back(label);
        }
        i += 2;
        continue;
      }
      int label = static_cast<unsigned char>(text[i]);
      int64_t d = ins[t]->dim(dim++);
      auto it = size.find(label);
      if (it != size.end() && it->second != d) {
        return ctx.Error("label '" + std::string(1, text[i]) + "' has sizes " +
                         std::to_string(it->second) + " and " + std::to_string(d));
      }
      size[label] = d;
      terms[t].labels.push_back(label);
      ++count[label];
    }
  }
  for (int e = 0; e < max_ell; ++e) size[kEllipsisBase + e] = ell_shape[e];
  // Output labels.
  std::vector<int> out_labels;
  if (arrow != std::string::npos) {
    std::string rhs = eq.substr(arrow + 2);
    size_t dots = rhs.find("...");
    for (size_t i = 0; i < rhs.size(); ++i) {
      if (rhs[i] == ' ') continue;
      if (dots != std::string::npos && i == dots) {
        for (int e = 0; e < max_ell; ++e) out_labels.push_back(kEllipsisBase + e);
        i += 2;
        continue;
      }
      int label = static_cast<unsigned char>(rhs[i]);
      if (!size.count(label))
        return ctx.Error("output label '" + std::string(1, rhs[i]) + "' is not in any input");
      out_labels.push_back(label);
    }
  } else {
    for (int e = 0; e < max_ell; ++e) out_labels.push_back(kEllipsisBase + e);
    for (auto& [label, n] : count) {
      if (n == 1) out_labels.push_back(label);  // std::map: alphabetical
    }
  }
  std::vector<int> sum_labels;
  for (auto& [label, s] : size) {
    if (std::find(out_labels.begin(), out_labels.end(), label) == out_labels.end())
      sum_labels.push_back(label);
  }
  std::vector<int> all = out_labels;
  all.insert(all.end(), sum_labels.begin(), sum_labels.end());
  // Per input, the stride of each label (summed when a label repeats: a diagonal; 0 when absent
  // or broadcast).
  std::vector<std::vector<int64_t>> strides(ins.size(), std::vector<int64_t>(all.size(), 0));
  for (size_t t = 0; t < ins.size(); ++t) {
    int64_t stride = 1;
    for (int d = ins[t]->rank() - 1; d >= 0; --d) {
      int label = terms[t].labels[d];
      if (ins[t]->dim(d) != 1) {
        size_t pos = std::find(all.begin(), all.end(), label) - all.begin();
        strides[t][pos] += stride;
      }
      stride *= ins[t]->dim(d);
    }
  }
  Shape out_shape;
  for (int l : out_labels) out_shape.push_back(size[l]);
  std::vector<int64_t> sum_sizes;
  for (int l : sum_labels) sum_sizes.push_back(size[l]);
  Tensor& out = ctx.Allocate(0, ins[0]->dtype(), out_shape);
  switch (ins[0]->dtype()) {
    case DType::kFloat32:
      EinsumLoop(ctx, ins, strides, out_shape, sum_sizes, out.data<float>());
      break;
    case DType::kFloat64:
      EinsumLoop(ctx, ins, strides, out_shape, sum_sizes, out.data<double>());
      break;
    case DType::kInt32:
      EinsumLoop(ctx, ins, strides, out_shape, sum_sizes, out.data<int32_t>());
      break;
    case DType::kInt64:
      EinsumLoop(ctx, ins, strides, out_shape, sum_sizes, out.data<int64_t>());
      break;
    case DType::kUInt32:
      EinsumLoop(ctx, ins, strides, out_shape, sum_sizes, out.data<uint32_t>());
      break;
    case DType::kUInt64:
      EinsumLoop(ctx, ins, strides, out_shape, sum_sizes, out.data<uint64_t>());
      break;
    default:
      return ctx.Unsupported("Einsum of dtype " + DTypeName(ins[0]->dtype()));
  }
  return Status::Ok();
}

}  // namespace

void RegisterEinsumKernels(KernelRegistry& r) { r.Add("Einsum", Einsum, 12); }

}  // namespace ipfs_accelerate::engine::cpu
