// The recurrent operators RNN, GRU and LSTM (opsets 7 and 14; 14 added `layout`): their
// attributes, activation functions and shape rules, written once for every backend.
//
//   inputs:  X, W, R, B, sequence_lens (int32), initial_h; LSTM also initial_c and P
//   outputs: Y, Y_h; LSTM also Y_c
//   W [dirs, gates*H, input], R [dirs, gates*H, H], B [dirs, 2*gates*H] (Wb then Rb),
//   P [dirs, 3*H]; gates in order: LSTM i, o, f, c; GRU z, r, h; RNN one; peepholes i, o, f.
//   layout 0: X [seq, batch, input], Y [seq, dirs, batch, H], states [dirs, batch, H];
//   layout 1: X [batch, seq, input], Y [batch, seq, dirs, H], states [batch, dirs, H].
//
// Choices where the spec is silent, as onnxruntime makes them: activation names match without
// regard to case; activation_alpha and activation_beta are consumed in order by the activations
// that take a parameter; clip bounds the inputs of f and g, not the cell state LSTM passes to h;
// input_forget sets the forget gate to 1 - i. A batch entry of sequence_lens length L runs steps
// 0..L-1 (reverse: L-1 down to 0); its rows of Y past L are 0 and its Y_h and Y_c are the state
// it reached, the initial state when L is 0.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "engine/graph.h"

namespace ipfs_accelerate::engine::ops {

enum class RecurrentOp { kRnn, kGru, kLstm };
enum class RnnDirection { kForward, kReverse, kBidirectional };

// The activation functions the recurrent ops may name in `activations`.
enum class RnnActivationKind {
  kRelu,
  kTanh,
  kSigmoid,
  kAffine,
  kLeakyRelu,
  kThresholdedRelu,
  kScaledTanh,
  kHardSigmoid,
  kElu,
  kSoftsign,
  kSoftplus
};

struct RnnActivation {
  RnnActivationKind kind = RnnActivationKind::kTanh;
  float alpha = 0, beta = 0;  // the parameters of those that take them (see the spec's table)
};

// The spec's definition of `a` at x.
template <typename T>
T ApplyRnnActivation(const RnnActivation& a, T x) {
  const T alpha = static_cast<T>(a.alpha), beta = static_cast<T>(a.beta);
  switch (a.kind) {
    case RnnActivationKind::kRelu:
      return x > T(0) ? x : T(0);
    case RnnActivationKind::kTanh:
      return std::tanh(x);
    case RnnActivationKind::kSigmoid:
      return T(1) / (T(1) + std::exp(-x));
    case RnnActivationKind::kAffine:
      return alpha * x + beta;
    case RnnActivationKind::kLeakyRelu:
      return x >= T(0) ? x : alpha * x;
    case RnnActivationKind::kThresholdedRelu:
      return x > alpha ? x : T(0);
    case RnnActivationKind::kScaledTanh:
      return alpha * std::tanh(beta * x);
    case RnnActivationKind::kHardSigmoid:
      return std::fmin(std::fmax(alpha * x + beta, T(0)), T(1));
    case RnnActivationKind::kElu:
      return x >= T(0) ? x : alpha * (std::exp(x) - T(1));
    case RnnActivationKind::kSoftsign:
      return x / (T(1) + std::fabs(x));
    case RnnActivationKind::kSoftplus:  // log(1 + e^x), without overflow for large x
      return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  }
  return x;
}

struct RecurrentAttrs {
  RecurrentOp op = RecurrentOp::kLstm;
  int64_t gates = 4;        // blocks in W and R: RNN 1, GRU 3, LSTM 4
  int64_t hidden_size = 0;  // 0 when the node leaves it out: R's last dimension then
  RnnDirection direction = RnnDirection::kForward;
  int64_t num_directions = 1;
  int64_t layout = 0;
  // Per direction (forward first), the functions in the spec's order: RNN f; GRU f, g; LSTM f,
  // g, h.
  std::vector<std::vector<RnnActivation>> activations;
  float clip = 0;  // the bound of the activations' inputs; 0 for none
  bool input_forget = false;
  bool linear_before_reset = false;

  // Whether direction `d` (0 or 1) runs from the end of each sequence.
  bool reverse(int64_t d) const {
    return direction == RnnDirection::kReverse ||
           (direction == RnnDirection::kBidirectional && d == 1);
  }
};

// The attributes of RNN, GRU or LSTM node `n`, with the spec's defaults, or an error naming the
// node and the attribute (unknown direction or activation, a wrong count of activations, a
// hidden_size or clip that is not positive, a layout other than 0 or 1).
Result<RecurrentAttrs> ReadRecurrent(const Node& n);

struct RecurrentShapes {
  int64_t seq_length = 0, batch = 0, input_size = 0, hidden_size = 0;
  Shape y;      // Y
  Shape state;  // Y_h, Y_c, initial_h and initial_c
};

// Checks the shapes of the inputs of `n` (null for an omitted one; `inputs` in the op's input
// order) against X and hidden_size (when given) and returns the sizes and the output shapes, or
// an error naming the input, its shape and the expected one.
Result<RecurrentShapes> RecurrentShape(const Node& n, const RecurrentAttrs& a,
                                       const std::vector<const Shape*>& inputs);

// Checks that each of the `batch` values of sequence_lens lies in [0, seq_length].
Status CheckSequenceLengths(const Node& n, const int32_t* lens, int64_t batch, int64_t seq_length);

}  // namespace ipfs_accelerate::engine::ops
