#include "engine/ops/recurrent.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "engine/ops/attributes.h"

namespace ipfs_accelerate::engine::ops {
namespace {

// An activation the spec lists: whether it takes alpha and beta, and their defaults (those of
// the ONNX operator of the same name; ScaledTanh's operator had none: 1 and 1 make it Tanh).
struct ActivationInfo {
  const char* name;
  RnnActivationKind kind;
  bool takes_alpha, takes_beta;
  float alpha, beta;
};

constexpr ActivationInfo kActivations[] = {
    {"Relu", RnnActivationKind::kRelu, false, false, 0.f, 0.f},
    {"Tanh", RnnActivationKind::kTanh, false, false, 0.f, 0.f},
    {"Sigmoid", RnnActivationKind::kSigmoid, false, false, 0.f, 0.f},
    {"Affine", RnnActivationKind::kAffine, true, true, 1.f, 0.f},
    {"LeakyRelu", RnnActivationKind::kLeakyRelu, true, false, 0.01f, 0.f},
    {"ThresholdedRelu", RnnActivationKind::kThresholdedRelu, true, false, 1.f, 0.f},
    {"ScaledTanh", RnnActivationKind::kScaledTanh, true, true, 1.f, 1.f},
    {"HardSigmoid", RnnActivationKind::kHardSigmoid, true, true, 0.2f, 0.5f},
    {"Elu", RnnActivationKind::kElu, true, false, 1.f, 0.f},
    {"Softsign", RnnActivationKind::kSoftsign, false, false, 0.f, 0.f},
    {"Softplus", RnnActivationKind::kSoftplus, false, false, 0.f, 0.f}};

// The entry of kActivations named `word`, compared without regard to case; null if none.
const ActivationInfo* FindActivation(const std::string& word) {
  auto lower = [](std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  };
  for (const ActivationInfo& info : kActivations) {
    if (lower(info.name) == lower(word)) return &info;
  }
  return nullptr;
}

// The activation names the node runs, one list per direction: its `activations`, or the op's
// defaults.
Result<std::vector<std::vector<std::string>>> ActivationNames(const Node& n,
                                                              const RecurrentAttrs& a) {
  const std::vector<std::string> defaults =
      a.op == RecurrentOp::kRnn   ? std::vector<std::string>{"Tanh"}
      : a.op == RecurrentOp::kGru ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                  : std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"};
  const size_t per = defaults.size(), dirs = static_cast<size_t>(a.num_directions);
  IA_ASSIGN_OR_RETURN(const Attribute* attr,
                      TypedAttr(n, "activations", Attribute::Kind::kStrings));
  std::vector<std::string> names = attr ? attr->strings : std::vector<std::string>{};
  if (names.empty()) {
    for (size_t d = 0; d < dirs; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
  }
  // The schema's default for RNN lists Tanh twice whatever the direction: one direction takes
  // the first.
  if (a.op == RecurrentOp::kRnn && dirs == 1 && names.size() == 2) names.resize(1);
  if (names.size() != per * dirs) {
    return NodeError(n, "activations lists " + std::to_string(names.size()) + " functions; " +
                            n.op_type + " takes " + std::to_string(per) + " per direction (" +
                            std::to_string(per * dirs) + " for " + std::to_string(dirs) +
                            " direction" + (dirs > 1 ? "s)" : ")"));
  }
  std::vector<std::vector<std::string>> out(dirs);
  for (size_t d = 0; d < dirs; ++d)
    out[d].assign(names.begin() + d * per, names.begin() + (d + 1) * per);
  return out;
}

// The activations of each direction, with the alphas and betas of activation_alpha and
// activation_beta taken in order by the functions that have such a parameter.
Status ReadActivations(const Node& n, RecurrentAttrs& a) {
  IA_ASSIGN_OR_RETURN(auto names, ActivationNames(n, a));
  IA_ASSIGN_OR_RETURN(const Attribute* alpha_attr,
                      TypedAttr(n, "activation_alpha", Attribute::Kind::kFloats));
  IA_ASSIGN_OR_RETURN(const Attribute* beta_attr,
                      TypedAttr(n, "activation_beta", Attribute::Kind::kFloats));
  const std::vector<float> alphas = alpha_attr ? alpha_attr->floats : std::vector<float>{};
  const std::vector<float> betas = beta_attr ? beta_attr->floats : std::vector<float>{};
  size_t next_alpha = 0, next_beta = 0;
  for (const auto& direction : names) {
    std::vector<RnnActivation> acts;
    for (const std::string& name : direction) {
      const ActivationInfo* info = FindActivation(name);
      if (!info) {
        return NodeError(n, "unknown activation '" + name +
                                "' (expected Relu, Tanh, Sigmoid, Affine, LeakyRelu, "
                                "ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign or "
                                "Softplus)");
      }
      RnnActivation act{info->kind, info->alpha, info->beta};
      if (info->takes_alpha && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
      if (info->takes_beta && next_beta < betas.size()) act.beta = betas[next_beta++];
      acts.push_back(act);
    }
    a.activations.push_back(std::move(acts));
  }
  return Status::Ok();
}

std::string S(const Shape& s) { return ShapeToString(s); }

}  // namespace

Result<RecurrentAttrs> ReadRecurrent(const Node& n) {
  RecurrentAttrs a;
  if (n.op_type == "RNN") {
    a.op = RecurrentOp::kRnn;
    a.gates = 1;
  } else if (n.op_type == "GRU") {
    a.op = RecurrentOp::kGru;
    a.gates = 3;
  } else if (n.op_type == "LSTM") {
    a.op = RecurrentOp::kLstm;
    a.gates = 4;
  } else {
    return NodeError(n, "is not RNN, GRU or LSTM");
  }
  IA_ASSIGN_OR_RETURN(const Attribute* hidden, TypedAttr(n, "hidden_size", Attribute::Kind::kInt));
  if (hidden) {
    if (hidden->i <= 0) {
      return NodeError(n, "hidden_size must be positive, got " + std::to_string(hidden->i));
    }
    a.hidden_size = hidden->i;
  }
  IA_ASSIGN_OR_RETURN(const Attribute* direction,
                      TypedAttr(n, "direction", Attribute::Kind::kString));
  const std::string dir = direction ? direction->s : "forward";
  if (dir == "forward") {
    a.direction = RnnDirection::kForward;
  } else if (dir == "reverse") {
    a.direction = RnnDirection::kReverse;
  } else if (dir == "bidirectional") {
    a.direction = RnnDirection::kBidirectional;
    a.num_directions = 2;
  } else {
    return NodeError(n, "direction '" + dir + "' is not forward, reverse or bidirectional");
  }
  // Opsets before 14 have no layout attribute.
  IA_ASSIGN_OR_RETURN(const Attribute* layout, TypedAttr(n, "layout", Attribute::Kind::kInt));
  if (layout && n.opset >= 14) {
    if (layout->i != 0 && layout->i != 1) {
      return NodeError(n, "layout must be 0 or 1, got " + std::to_string(layout->i));
    }
    a.layout = layout->i;
  }
  IA_ASSIGN_OR_RETURN(const Attribute* clip, TypedAttr(n, "clip", Attribute::Kind::kFloat));
  if (clip) {
    if (!(clip->f > 0.f))
      return NodeError(n, "clip must be positive, got " + std::to_string(clip->f));
    a.clip = clip->f;
  }
  if (a.op == RecurrentOp::kLstm) {
    IA_ASSIGN_OR_RETURN(const Attribute* f, TypedAttr(n, "input_forget", Attribute::Kind::kInt));
    a.input_forget = f && f->i != 0;
  }
  if (a.op == RecurrentOp::kGru) {
    IA_ASSIGN_OR_RETURN(const Attribute* l,
                        TypedAttr(n, "linear_before_reset", Attribute::Kind::kInt));
    a.linear_before_reset = l && l->i != 0;
  }
  IA_RETURN_IF_ERROR(ReadActivations(n, a));
  return a;
}

Result<RecurrentShapes> RecurrentShape(const Node& n, const RecurrentAttrs& a,
                                       const std::vector<const Shape*>& inputs) {
  auto in = [&](size_t i) { return i < inputs.size() ? inputs[i] : nullptr; };
  const Shape *x = in(0), *w = in(1), *r = in(2);
  if (!x || !w || !r) return NodeError(n, "needs inputs X, W and R");
  const char* x_dims = a.layout == 0 ? "[seq_length, batch_size, input_size]"
                                     : "[batch_size, seq_length, input_size] (layout 1)";
  if (x->size() != 3)
    return NodeError(n, "X must have rank 3 " + std::string(x_dims) + ", got " + S(*x));
  if (r->size() != 3) {
    return NodeError(n, "R must have rank 3 [num_directions, " + std::to_string(a.gates) +
                            "*hidden_size, hidden_size], got " + S(*r));
  }
  RecurrentShapes s;
  s.seq_length = (*x)[a.layout == 0 ? 0 : 1];
  s.batch = (*x)[a.layout == 0 ? 1 : 0];
  s.input_size = (*x)[2];
  s.hidden_size = a.hidden_size > 0 ? a.hidden_size : (*r)[2];
  const int64_t dirs = a.num_directions, h = s.hidden_size, g = a.gates;
  if (h <= 0 || h > std::numeric_limits<int32_t>::max()) {
    return NodeError(n, "hidden_size " + std::to_string(h) + " (from " +
                            (a.hidden_size > 0 ? "the attribute" : "R's shape " + S(*r)) +
                            ") is out of range");
  }
  s.y =
      a.layout == 0 ? Shape{s.seq_length, dirs, s.batch, h} : Shape{s.batch, s.seq_length, dirs, h};
  s.state = a.layout == 0 ? Shape{dirs, s.batch, h} : Shape{s.batch, dirs, h};
  if (std::find(s.y.begin(), s.y.end(), 0) == s.y.end()) {
    int64_t count = 1;
    for (int64_t v : s.y) {
      if (__builtin_mul_overflow(count, v, &count)) {
        return NodeError(n,
                         "Y of shape " + S(s.y) + " has more elements than a 64-bit count holds");
      }
    }
  }
  const std::string gh = std::to_string(g) + "*hidden_size";
  const std::string with_h = " with hidden_size " + std::to_string(h) + ", " +
                             std::to_string(dirs) + " direction" + (dirs > 1 ? "s" : "");
  // Checks input `i` named `name`, when present, against `want`, described by `dims`.
  auto check = [&](size_t i, const char* name, const Shape& want, const std::string& dims) {
    const Shape* got = in(i);
    if (!got || *got == want) return Status::Ok();
    return NodeError(n, std::string(name) + " has shape " + S(*got) + "; expected " + S(want) +
                            " (" + dims + with_h + ")");
  };
  IA_RETURN_IF_ERROR(
      check(1, "W", {dirs, g * h, s.input_size}, "[num_directions, " + gh + ", input_size]"));
  IA_RETURN_IF_ERROR(check(2, "R", {dirs, g * h, h}, "[num_directions, " + gh + ", hidden_size]"));
  IA_RETURN_IF_ERROR(check(3, "B", {dirs, 2 * g * h}, "[num_directions, 2*" + gh + "]"));
  IA_RETURN_IF_ERROR(check(4, "sequence_lens", {s.batch}, "[batch_size]"));
  const std::string state_dims = a.layout == 0 ? "[num_directions, batch_size, hidden_size]"
                                               : "[batch_size, num_directions, hidden_size]";
  IA_RETURN_IF_ERROR(check(5, "initial_h", s.state, state_dims));
  if (a.op == RecurrentOp::kLstm) {
    IA_RETURN_IF_ERROR(check(6, "initial_c", s.state, state_dims));
    IA_RETURN_IF_ERROR(check(7, "P", {dirs, 3 * h}, "[num_directions, 3*hidden_size]"));
  }
  return s;
}

Status CheckSequenceLengths(const Node& n, const int32_t* lens, int64_t batch, int64_t seq_length) {
  for (int64_t b = 0; b < batch; ++b) {
    if (lens[b] < 0 || lens[b] > seq_length) {
      return NodeError(n, "sequence_lens[" + std::to_string(b) + "] is " + std::to_string(lens[b]) +
                              "; each length must lie in [0, " + std::to_string(seq_length) +
                              "] (seq_length)");
    }
  }
  return Status::Ok();
}

}  // namespace ipfs_accelerate::engine::ops
