// RNN, GRU and LSTM (their rules: engine/ops/recurrent.h). One GEMM projects the input of every
// time step for every direction (X x W^T); then each step runs one GEMM of the hidden state with
// R^T (GRU without linear_before_reset two: its reset gate scales the state first) and the gate
// math row by row, split over the pool when the batch is large enough to pay.
#include "engine/ops/recurrent.h"

#include <algorithm>
#include <type_traits>

#include "core/parallel_for.h"
#include "engine/backends/cpu/cpu_backend.h"
#include "engine/backends/cpu/dtype_dispatch.h"
#include "engine/backends/cpu/onednn_util.h"
#include "engine/backends/cpu/vec_math.h"

namespace ipfs_accelerate::engine::cpu {
namespace {

using ops::RecurrentAttrs;
using ops::RecurrentOp;
using ops::RecurrentShapes;
using ops::RnnActivation;
using ops::RnnActivationKind;

// Input `i`, or null when the node leaves it out.
const Tensor* OptionalInput(const KernelContext& ctx, size_t i) {
  const Tensor* t = ctx.input(i);
  return t && t->defined() ? t : nullptr;
}

// C[m, n] = A[m, k] x B[n, k]^T, row-major with leading dimensions lda, ldb and ldc: oneDNN's
// sgemm on the pool's threads for float32, a plain loop for float64 or where oneDNN refuses.
template <typename T>
void GemmTransB(int64_t m, int64_t n, int64_t k, const T* a, int64_t lda, const T* b, int64_t ldb,
                T* c, int64_t ldc, ThreadPool* pool) {
  if constexpr (std::is_same_v<T, float>) {
    if (k > 0 && onednn::Sgemm(false, true, m, n, k, 1.f, a, lda, b, ldb, 0.f, c, ldc, pool))
      return;
  }
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p) acc += double(a[i * lda + p]) * b[j * ldb + p];
      c[i * ldc + j] = static_cast<T>(acc);
    }
  }
}

// x[i] = act(x[i]) for i < n, each input first bounded to [-clip, clip] when clip > 0.
template <typename T>
void Activate(const RnnActivation& act, T clip, T* x, int64_t n) {
  if (clip > 0) {
    for (int64_t i = 0; i < n; ++i) x[i] = std::clamp(x[i], -clip, clip);
  }
  if constexpr (std::is_same_v<T, float>) {
    if (act.kind == RnnActivationKind::kSigmoid) return vec::Map(x, x, n, vec::SigmoidOp{});
    if (act.kind == RnnActivationKind::kTanh) return vec::Map(x, x, n, vec::TanhOp{});
  }
  for (int64_t i = 0; i < n; ++i) x[i] = ops::ApplyRnnActivation(act, x[i]);
}

// One run of a recurrent node with element type T: its inputs, outputs and scratch, and the
// steps of each direction.
template <typename T>
class RecurrentRun {
 public:
  RecurrentRun(KernelContext& ctx, const RecurrentAttrs& a, const RecurrentShapes& s)
      : ctx_(ctx), a_(a), s_(s), gh_(a.gates * s.hidden_size), pool_(ctx.pool()) {}

  // Allocates the outputs the node names and computes them.
  Status Run() {
    const int64_t seq = s_.seq_length, batch = s_.batch, hidden = s_.hidden_size;
    const int64_t dirs = a_.num_directions;
    const Tensor* lens = OptionalInput(ctx_, 4);
    lens_ = lens ? lens->data<int32_t>() : nullptr;
    const DType dtype = ctx_.input(0)->dtype();
    if (ctx_.wants_output(0)) y_ = ctx_.Allocate(0, dtype, s_.y).data<T>();
    if (ctx_.wants_output(1)) y_h_ = ctx_.Allocate(1, dtype, s_.state).data<T>();
    if (a_.op == RecurrentOp::kLstm && ctx_.wants_output(2)) {
      y_c_ = ctx_.Allocate(2, dtype, s_.state).data<T>();
    }
    // Scratch, allocated here, outside the parallel loops.
    Tensor xp = Tensor::Empty(dtype, {seq * batch, dirs * gh_});
    Tensor gates = Tensor::Empty(dtype, {batch, gh_});
    Tensor h = Tensor::Empty(dtype, {batch, hidden}), c = Tensor::Empty(dtype, {batch, hidden});
    // Zeros: the rows of sequences that have ended go through the GEMM too (their results unused).
    Tensor rh = Tensor::Zeros(dtype, {batch, hidden});
    Tensor bias = Tensor::Empty(dtype, {gh_ + hidden});
    xp_ = xp.data<T>();
    gates_ = gates.data<T>();
    h_ = h.data<T>();
    c_ = c.data<T>();
    rh_ = rh.data<T>();
    bias_ = bias.data<T>();
    // X's rows (time and batch in the layout's order) times W of both directions at once.
    const Tensor& x = *ctx_.input(0);
    const Tensor& w = *ctx_.input(1);
    GemmTransB(seq * batch, dirs * gh_, s_.input_size, x.data<T>(), s_.input_size, w.data<T>(),
               s_.input_size, xp_, dirs * gh_, pool_);
    if (y_ && lens_ && std::any_of(lens_, lens_ + batch, [&](int32_t l) { return l < seq; })) {
      std::fill(y_, y_ + NumElements(s_.y), T(0));
    }
    for (int64_t d = 0; d < dirs; ++d) RunDirection(d);
    return Status::Ok();
  }

 private:
  // Sequence b's length.
  int64_t Length(int64_t b) const { return lens_ ? lens_[b] : s_.seq_length; }
  // The row of X (and of the projection) for time t of batch entry b.
  int64_t XRow(int64_t t, int64_t b) const {
    return a_.layout == 0 ? t * s_.batch + b : b * s_.seq_length + t;
  }
  // Where Y holds time t of direction d for batch entry b.
  int64_t YOffset(int64_t t, int64_t d, int64_t b) const {
    const int64_t dirs = a_.num_directions;
    return (a_.layout == 0 ? (t * dirs + d) * s_.batch + b : (b * s_.seq_length + t) * dirs + d) *
           s_.hidden_size;
  }
  // Where initial_h, initial_c, Y_h and Y_c hold direction d of batch entry b.
  int64_t StateOffset(int64_t d, int64_t b) const {
    return (a_.layout == 0 ? d * s_.batch + b : b * a_.num_directions + d) * s_.hidden_size;
  }

  // Sets the state and the bias of direction d, runs its steps and writes its Y_h and Y_c.
  void RunDirection(int64_t d) {
    const int64_t batch = s_.batch, hidden = s_.hidden_size;
    const bool lstm = a_.op == RecurrentOp::kLstm;
    const Tensor* h0 = OptionalInput(ctx_, 5);
    const Tensor* c0 = lstm ? OptionalInput(ctx_, 6) : nullptr;
    for (int64_t b = 0; b < batch; ++b) {
      T* h = h_ + b * hidden;
      T* c = c_ + b * hidden;
      if (h0) {
        std::copy_n(h0->data<T>() + StateOffset(d, b), hidden, h);
      } else {
        std::fill_n(h, hidden, T(0));
      }
      if (c0) {
        std::copy_n(c0->data<T>() + StateOffset(d, b), hidden, c);
      } else {
        std::fill_n(c, hidden, T(0));
      }
    }
    // Wb + Rb per gate, except GRU with linear_before_reset: Rbh goes inside the reset gate.
    rbh_ = bias_ + gh_;
    std::fill_n(bias_, gh_ + hidden, T(0));
    if (const Tensor* bt = OptionalInput(ctx_, 3)) {
      const T* wb = bt->data<T>() + d * 2 * gh_;
      const T* rb = wb + gh_;
      for (int64_t j = 0; j < gh_; ++j) bias_[j] = wb[j] + rb[j];
      if (a_.op == RecurrentOp::kGru && a_.linear_before_reset) {
        for (int64_t j = 0; j < hidden; ++j) {
          bias_[2 * hidden + j] = wb[2 * hidden + j];
          rbh_[j] = rb[2 * hidden + j];
        }
      }
    }
    const Tensor* p = lstm ? OptionalInput(ctx_, 7) : nullptr;
    p_ = p ? p->data<T>() + d * 3 * hidden : nullptr;
    r_ = ctx_.input(2)->data<T>() + d * gh_ * hidden;
    act_ = a_.activations[d].data();
    int64_t steps = 0;
    for (int64_t b = 0; b < batch; ++b) steps = std::max(steps, Length(b));
    for (int64_t step = 0; step < steps; ++step) Step(d, step);
    for (int64_t b = 0; b < batch; ++b) {
      if (y_h_) std::copy_n(h_ + b * hidden, hidden, y_h_ + StateOffset(d, b));
      if (y_c_) std::copy_n(c_ + b * hidden, hidden, y_c_ + StateOffset(d, b));
    }
  }

  // Step `step` of direction d for every batch entry whose sequence is that long: the state
  // times R^T, then the gates row by row; writes the new state's rows of Y.
  void Step(int64_t d, int64_t step) {
    const int64_t hidden = s_.hidden_size;
    const bool gru_split = a_.op == RecurrentOp::kGru && !a_.linear_before_reset;
    // (r (.) h) x Rh^T needs r first: then this GEMM covers z and r only.
    GemmTransB(s_.batch, gru_split ? 2 * hidden : gh_, hidden, h_, hidden, r_, hidden, gates_, gh_,
               pool_);
    // Calls row(b, t, projection row) for each batch entry still running.
    auto for_rows = [&](const auto& row) {
      ParallelFor(ctx_.pool(), s_.batch, gh_ * cost::kTranscendental, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const int64_t len = Length(b);
          if (step >= len) continue;
          const int64_t t = a_.reverse(d) ? len - 1 - step : step;
          row(b, t, xp_ + XRow(t, b) * a_.num_directions * gh_ + d * gh_);
        }
      });
    };
    // Writes batch entry b's new hidden state to Y at time t.
    auto output = [&](int64_t b, int64_t t) {
      if (y_) std::copy_n(h_ + b * hidden, hidden, y_ + YOffset(t, d, b));
    };
    switch (a_.op) {
      case RecurrentOp::kRnn:
        for_rows([&](int64_t b, int64_t t, const T* xr) {
          RnnRow(xr, gates_ + b * gh_, h_ + b * hidden);
          output(b, t);
        });
        return;
      case RecurrentOp::kLstm:
        for_rows([&](int64_t b, int64_t t, const T* xr) {
          LstmRow(xr, gates_ + b * gh_, h_ + b * hidden, c_ + b * hidden);
          output(b, t);
        });
        return;
      case RecurrentOp::kGru:
        if (!gru_split) {
          for_rows([&](int64_t b, int64_t t, const T* xr) {
            GruGates(xr, gates_ + b * gh_, h_ + b * hidden, nullptr);
            GruHidden(xr, gates_ + b * gh_, h_ + b * hidden);
            output(b, t);
          });
          return;
        }
        for_rows([&](int64_t b, int64_t, const T* xr) {
          GruGates(xr, gates_ + b * gh_, h_ + b * hidden, rh_ + b * hidden);
        });
        GemmTransB(s_.batch, hidden, hidden, rh_, hidden, r_ + 2 * hidden * hidden, hidden,
                   gates_ + 2 * hidden, gh_, pool_);
        for_rows([&](int64_t b, int64_t t, const T* xr) {
          GruHidden(xr, gates_ + b * gh_, h_ + b * hidden);
          output(b, t);
        });
        return;
    }
  }

  // RNN: h = f(x W^T + h R^T + Wb + Rb), `g` holding h R^T on entry.
  void RnnRow(const T* xr, T* g, T* h) const {
    const int64_t hidden = s_.hidden_size;
    for (int64_t j = 0; j < hidden; ++j) g[j] += xr[j] + bias_[j];
    Activate(act_[0], static_cast<T>(a_.clip), g, hidden);
    std::copy_n(g, hidden, h);
  }

  // LSTM: the gates i, o, f, c from `g` (h R^T on entry) with peepholes, then the new cell
  // state c and hidden state h.
  void LstmRow(const T* xr, T* g, T* h, T* c) const {
    const int64_t hidden = s_.hidden_size;
    const T clip = static_cast<T>(a_.clip);
    for (int64_t j = 0; j < 4 * hidden; ++j) g[j] += xr[j] + bias_[j];
    T *gi = g, *go = g + hidden, *gf = g + 2 * hidden, *gc = g + 3 * hidden;
    if (p_) {
      for (int64_t j = 0; j < hidden; ++j) {
        gi[j] += p_[j] * c[j];
        gf[j] += p_[2 * hidden + j] * c[j];
      }
    }
    Activate(act_[0], clip, gi, hidden);
    if (a_.input_forget) {
      for (int64_t j = 0; j < hidden; ++j) gf[j] = T(1) - gi[j];
    } else {
      Activate(act_[0], clip, gf, hidden);
    }
    Activate(act_[1], clip, gc, hidden);
    for (int64_t j = 0; j < hidden; ++j) c[j] = gf[j] * c[j] + gi[j] * gc[j];
    if (p_) {
      for (int64_t j = 0; j < hidden; ++j) go[j] += p_[hidden + j] * c[j];
    }
    Activate(act_[0], clip, go, hidden);
    // h(c) goes where the input gate was: it is no longer needed.
    std::copy_n(c, hidden, gi);
    Activate(act_[2], T(0), gi, hidden);
    for (int64_t j = 0; j < hidden; ++j) h[j] = go[j] * gi[j];
  }

  // GRU: the update and reset gates z and r in place in `g` (h Rz^T and h Rr^T on entry); `rh`,
  // when not null, gets r (.) h for the hidden gate's GEMM.
  void GruGates(const T* xr, T* g, const T* h, T* rh) const {
    const int64_t hidden = s_.hidden_size;
    for (int64_t j = 0; j < 2 * hidden; ++j) g[j] += xr[j] + bias_[j];
    Activate(act_[0], static_cast<T>(a_.clip), g, 2 * hidden);
    if (rh) {
      for (int64_t j = 0; j < hidden; ++j) rh[j] = g[hidden + j] * h[j];
    }
  }

  // GRU: the hidden gate from g's third block ((r (.) h) Rh^T, or h Rh^T with
  // linear_before_reset), then h = (1 - z) (.) hidden gate + z (.) h.
  void GruHidden(const T* xr, T* g, T* h) const {
    const int64_t hidden = s_.hidden_size;
    const T *z = g, *r = g + hidden;
    T* gh = g + 2 * hidden;
    const T* xh = xr + 2 * hidden;
    const T* bh = bias_ + 2 * hidden;
    if (a_.linear_before_reset) {
      for (int64_t j = 0; j < hidden; ++j) gh[j] = xh[j] + bh[j] + r[j] * (gh[j] + rbh_[j]);
    } else {
      for (int64_t j = 0; j < hidden; ++j) gh[j] += xh[j] + bh[j];
    }
    Activate(act_[1], static_cast<T>(a_.clip), gh, hidden);
    for (int64_t j = 0; j < hidden; ++j) h[j] = (T(1) - z[j]) * gh[j] + z[j] * h[j];
  }

  KernelContext& ctx_;
  const RecurrentAttrs& a_;
  const RecurrentShapes& s_;
  const int64_t gh_;  // gates * hidden_size: the columns of W^T and R^T per direction
  ThreadPool* const pool_;
  const int32_t* lens_ = nullptr;
  T *y_ = nullptr, *y_h_ = nullptr, *y_c_ = nullptr;
  // Scratch: the input projection [seq * batch, directions * gh_], the step's gates [batch,
  // gh_], the state h and c and r (.) h [batch, hidden], the bias [gh_] and Rbh [hidden].
  T *xp_ = nullptr, *gates_ = nullptr, *h_ = nullptr, *c_ = nullptr, *rh_ = nullptr;
  T *bias_ = nullptr, *rbh_ = nullptr;
  // The current direction's R [gh_, hidden], peepholes [3 * hidden] (or null) and activations.
  const T *r_ = nullptr, *p_ = nullptr;
  const RnnActivation* act_ = nullptr;
};

// RNN, GRU and LSTM: checks the attributes, dtypes, shapes and sequence lengths, then runs.
Status Recurrent(KernelContext& ctx) {
  IA_ASSIGN_OR_RETURN(RecurrentAttrs a, ops::ReadRecurrent(ctx.node()));
  IA_ASSIGN_OR_RETURN(const Tensor* x, ctx.Required(0));
  IA_RETURN_IF_ERROR(ctx.Required(1).status());
  IA_RETURN_IF_ERROR(ctx.Required(2).status());
  constexpr const char* kNames[] = {"X",         "W",         "R", "B", "sequence_lens",
                                    "initial_h", "initial_c", "P"};
  const size_t count = std::min<size_t>(ctx.num_inputs(), a.op == RecurrentOp::kLstm ? 8 : 6);
  std::vector<const Shape*> shapes;
  for (size_t i = 0; i < count; ++i) {
    const Tensor* t = OptionalInput(ctx, i);
    shapes.push_back(t ? &t->shape() : nullptr);
    if (!t) continue;
    const DType want = i == 4 ? DType::kInt32 : x->dtype();
    if (t->dtype() != want) {
      return ctx.Error(std::string(kNames[i]) + " is " + DTypeName(t->dtype()) + "; expected " +
                       DTypeName(want) + (i == 4 ? "" : " (X's dtype)"));
    }
  }
  IA_ASSIGN_OR_RETURN(RecurrentShapes s, ops::RecurrentShape(ctx.node(), a, shapes));
  if (const Tensor* lens = OptionalInput(ctx, 4)) {
    IA_RETURN_IF_ERROR(
        ops::CheckSequenceLengths(ctx.node(), lens->data<int32_t>(), s.batch, s.seq_length));
  }
  return Visit<kFloats>(ctx, x->dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    return RecurrentRun<T>(ctx, a, s).Run();
  });
}

}  // namespace

void RegisterRecurrentKernels(KernelRegistry& r) {
  constexpr DTypeSet kTypes = {DType::kFloat32, DType::kFloat64};
  r.Add("RNN", Recurrent, 7).Types(kTypes);
  r.Add("GRU", Recurrent, 7).Types(kTypes);
  r.Add("LSTM", Recurrent, 7).Types(kTypes);
}

}  // namespace ipfs_accelerate::engine::cpu
