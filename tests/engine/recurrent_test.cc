// RNN, GRU and LSTM through a Session, held to a plain reference written here (one batch entry
// and one time step at a time, in double) across directions, layouts, optional inputs, sequence
// lengths, peepholes, input_forget, clip, linear_before_reset and activations with parameters;
// and the errors a malformed node gets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "engine/session.h"
#include "model_builder.h"

namespace ipfs_accelerate::engine {
namespace {

using test::FloatAttr;
using test::IntAttr;
using test::Random;
using test::RunModel;
using test::StringAttr;

// An activation as the reference applies it.
struct Act {
  std::string name;
  double alpha = 0, beta = 0;
};

double Apply(const Act& a, double x) {
  if (a.name == "Sigmoid") return 1 / (1 + std::exp(-x));
  if (a.name == "Tanh") return std::tanh(x);
  if (a.name == "Relu") return std::max(x, 0.0);
  if (a.name == "Affine") return a.alpha * x + a.beta;
  if (a.name == "LeakyRelu") return x >= 0 ? x : a.alpha * x;
  if (a.name == "ThresholdedRelu") return x > a.alpha ? x : 0;
  if (a.name == "ScaledTanh") return a.alpha * std::tanh(a.beta * x);
  if (a.name == "HardSigmoid") return std::clamp(a.alpha * x + a.beta, 0.0, 1.0);
  if (a.name == "Elu") return x >= 0 ? x : a.alpha * (std::exp(x) - 1);
  if (a.name == "Softsign") return x / (1 + std::fabs(x));
  if (a.name == "Softplus") return std::log(1 + std::exp(x));
  ADD_FAILURE() << "the reference has no activation " << a.name;
  return 0;
}

// A recurrent node and its inputs, as the test builds them and the reference reads them.
struct Config {
  std::string op = "LSTM";  // RNN, GRU or LSTM
  std::string direction = "forward";
  int64_t layout = 0, opset = 14;
  int64_t seq = 5, batch = 3, input = 4, hidden = 3;
  bool bias = false, initial_h = false, initial_c = false, peepholes = false;
  std::vector<int32_t> lens;  // empty: no sequence_lens
  bool input_forget = false, linear_before_reset = false;
  float clip = 0;  // 0: none
  // The node's activation attributes (left out when empty) and the functions the reference
  // applies per direction (the op's defaults when empty).
  std::vector<std::string> activations;
  std::vector<float> alphas, betas;
  std::vector<std::vector<Act>> acts;
  DType dtype = DType::kFloat32;
  int threads = 1;

  int64_t dirs() const { return direction == "bidirectional" ? 2 : 1; }
  int64_t gates() const { return op == "LSTM" ? 4 : op == "GRU" ? 3 : 1; }
};

// The inputs in layout 0, float32; omitted ones undefined.
struct Inputs {
  Tensor x, w, r, b, h0, c0, p;
};

Inputs MakeInputs(const Config& c) {
  const int64_t d = c.dirs(), gh = c.gates() * c.hidden;
  Inputs in;
  in.x = Random({c.seq, c.batch, c.input}, 1, -1.f, 1.f);
  in.w = Random({d, gh, c.input}, 2, -0.6f, 0.6f);
  in.r = Random({d, gh, c.hidden}, 3, -0.6f, 0.6f);
  if (c.bias) in.b = Random({d, 2 * gh}, 4, -0.5f, 0.5f);
  if (c.initial_h) in.h0 = Random({d, c.batch, c.hidden}, 5, -1.f, 1.f);
  if (c.initial_c) in.c0 = Random({d, c.batch, c.hidden}, 6, -1.f, 1.f);
  if (c.peepholes) in.p = Random({d, 3 * c.hidden}, 7, -0.5f, 0.5f);
  return in;
}

// Element i of float32 `t`, 0 when `t` is undefined.
double Get(const Tensor& t, int64_t i) { return t.defined() ? t.data<float>()[i] : 0.0; }

struct Outputs {
  std::vector<double> y, y_h, y_c;  // layout 0: [seq, dirs, batch, H] and [dirs, batch, H]
};

// The ONNX equations, one batch entry and one time step at a time.
Outputs Reference(const Config& c, const Inputs& in) {
  const int64_t H = c.hidden, I = c.input, B = c.batch, D = c.dirs(), G = c.gates();
  std::vector<std::vector<Act>> acts = c.acts;
  if (acts.empty()) {
    std::vector<Act> defaults = c.op == "LSTM"  ? std::vector<Act>{{"Sigmoid"}, {"Tanh"}, {"Tanh"}}
                                : c.op == "GRU" ? std::vector<Act>{{"Sigmoid"}, {"Tanh"}}
                                                : std::vector<Act>{{"Tanh"}};
    acts.assign(D, defaults);
  }
  auto clip = [&](double v) { return c.clip > 0 ? std::clamp<double>(v, -c.clip, c.clip) : v; };
  Outputs out;
  out.y.assign(c.seq * D * B * H, 0.0);
  out.y_h.assign(D * B * H, 0.0);
  out.y_c.assign(D * B * H, 0.0);
  for (int64_t d = 0; d < D; ++d) {
    const bool reverse = c.direction == "reverse" || d == 1;
    const Act &f = acts[d][0], &g = acts[d].size() > 1 ? acts[d][1] : f,
              &hact = acts[d].size() > 2 ? acts[d][2] : f;
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = c.lens.empty() ? c.seq : c.lens[b];
      std::vector<double> h(H), cell(H);
      for (int64_t j = 0; j < H; ++j) {
        h[j] = Get(in.h0, (d * B + b) * H + j);
        cell[j] = Get(in.c0, (d * B + b) * H + j);
      }
      for (int64_t k = 0; k < len; ++k) {
        const int64_t t = reverse ? len - 1 - k : k;
        // Row `row` of W (this direction) times x_t, plus Wb.
        auto wx = [&](int64_t row) {
          double s = Get(in.b, d * 2 * G * H + row);
          for (int64_t i = 0; i < I; ++i)
            s += Get(in.w, (d * G * H + row) * I + i) * Get(in.x, (t * B + b) * I + i);
          return s;
        };
        // Row `row` of R (this direction) times v, plus Rb.
        auto rv = [&](int64_t row, const std::vector<double>& v) {
          double s = Get(in.b, d * 2 * G * H + G * H + row);
          for (int64_t j = 0; j < H; ++j) s += Get(in.r, (d * G * H + row) * H + j) * v[j];
          return s;
        };
        auto peep = [&](int64_t gate, int64_t j, const std::vector<double>& cv) {
          return Get(in.p, d * 3 * H + gate * H + j) * cv[j];
        };
        std::vector<double> next(H);
        if (c.op == "RNN") {
          for (int64_t j = 0; j < H; ++j) next[j] = Apply(f, clip(wx(j) + rv(j, h)));
        } else if (c.op == "GRU") {
          std::vector<double> z(H), r(H), rh(H);
          for (int64_t j = 0; j < H; ++j) {
            z[j] = Apply(f, clip(wx(j) + rv(j, h)));
            r[j] = Apply(f, clip(wx(H + j) + rv(H + j, h)));
            rh[j] = r[j] * h[j];
          }
          for (int64_t j = 0; j < H; ++j) {
            const double pre = c.linear_before_reset ? wx(2 * H + j) + r[j] * rv(2 * H + j, h)
                                                     : wx(2 * H + j) + rv(2 * H + j, rh);
            next[j] = (1 - z[j]) * Apply(g, clip(pre)) + z[j] * h[j];
          }
        } else {  // LSTM: gates i, o, f, c; peepholes i, o, f
          std::vector<double> ig(H), fg(H), cnew(H);
          for (int64_t j = 0; j < H; ++j) {
            ig[j] = Apply(f, clip(wx(j) + rv(j, h) + peep(0, j, cell)));
            fg[j] = c.input_forget
                        ? 1 - ig[j]
                        : Apply(f, clip(wx(2 * H + j) + rv(2 * H + j, h) + peep(2, j, cell)));
            const double cg = Apply(g, clip(wx(3 * H + j) + rv(3 * H + j, h)));
            cnew[j] = fg[j] * cell[j] + ig[j] * cg;
          }
          for (int64_t j = 0; j < H; ++j) {
            const double og = Apply(f, clip(wx(H + j) + rv(H + j, h) + peep(1, j, cnew)));
            next[j] = og * Apply(hact, cnew[j]);
          }
          cell = cnew;
        }
        h = next;
        for (int64_t j = 0; j < H; ++j) out.y[((t * D + d) * B + b) * H + j] = h[j];
      }
      for (int64_t j = 0; j < H; ++j) {
        out.y_h[(d * B + b) * H + j] = h[j];
        out.y_c[(d * B + b) * H + j] = cell[j];
      }
    }
  }
  return out;
}

// [a, b, c] -> [b, a, c]: layout 0 <-> layout 1 for X and the states.
Tensor Swap01(const Tensor& t) {
  const int64_t a = t.dim(0), b = t.dim(1), c = t.dim(2);
  Tensor out = Tensor::Empty(t.dtype(), {b, a, c});
  const size_t size = DTypeSize(t.dtype());
  for (int64_t i = 0; i < a; ++i) {
    for (int64_t j = 0; j < b; ++j) {
      std::memcpy(static_cast<char*>(out.raw()) + (j * a + i) * c * size,
                  static_cast<const char*>(t.raw()) + (i * b + j) * c * size, c * size);
    }
  }
  return out;
}

// float32 `t` as float64.
Tensor ToDouble(const Tensor& t) {
  Tensor out = Tensor::Empty(DType::kFloat64, t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) out.data<double>()[i] = t.data<float>()[i];
  return out;
}

// Y of layout 1 [batch, seq, dirs, H] as layout 0 [seq, dirs, batch, H].
Tensor YToLayout0(const Tensor& y) {
  const int64_t B = y.dim(0), S = y.dim(1), D = y.dim(2), H = y.dim(3);
  Tensor out = Tensor::Empty(y.dtype(), {S, D, B, H});
  const size_t size = DTypeSize(y.dtype());
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t s = 0; s < S; ++s) {
      for (int64_t d = 0; d < D; ++d) {
        std::memcpy(static_cast<char*>(out.raw()) + ((s * D + d) * B + b) * H * size,
                    static_cast<const char*>(y.raw()) + ((b * S + s) * D + d) * H * size, H * size);
      }
    }
  }
  return out;
}

// The node of `c` with outputs `outputs`.
Node MakeNode(const Config& c, std::vector<std::string> outputs) {
  std::map<std::string, Attribute> attrs = {{"hidden_size", IntAttr(c.hidden)},
                                            {"direction", StringAttr(c.direction)}};
  if (c.layout != 0) attrs["layout"] = IntAttr(c.layout);
  if (c.clip > 0) attrs["clip"] = FloatAttr(c.clip);
  if (c.input_forget) attrs["input_forget"] = IntAttr(1);
  if (c.op == "GRU") attrs["linear_before_reset"] = IntAttr(c.linear_before_reset);
  if (!c.activations.empty()) attrs["activations"] = Attribute::Strings(c.activations);
  if (!c.alphas.empty()) attrs["activation_alpha"] = Attribute::Floats(c.alphas);
  if (!c.betas.empty()) attrs["activation_beta"] = Attribute::Floats(c.betas);
  std::vector<std::string> inputs = {"X",
                                     "W",
                                     "R",
                                     c.bias ? "B" : "",
                                     c.lens.empty() ? "" : "sequence_lens",
                                     c.initial_h ? "initial_h" : ""};
  if (c.op == "LSTM") {
    inputs.push_back(c.initial_c ? "initial_c" : "");
    inputs.push_back(c.peepholes ? "P" : "");
  }
  while (inputs.back().empty()) inputs.pop_back();
  return test::MakeNode(c.op, inputs, std::move(outputs), attrs, c.opset);
}

// Runs `c` through a session with outputs `outputs` (Y, Y_h, Y_c by default): its outputs by
// name, in layout 0.
Result<std::map<std::string, Tensor>> RunConfig(const Config& c, const Inputs& in,
                                                std::vector<std::string> outputs = {}) {
  if (outputs.empty()) {
    outputs = {"Y", "Y_h"};
    if (c.op == "LSTM") outputs.push_back("Y_c");
  }
  // Feeds in the node's layout and dtype.
  auto feed = [&](const Tensor& t, bool swap) {
    Tensor v = swap && c.layout == 1 ? Swap01(t) : t;
    return c.dtype == DType::kFloat64 ? ToDouble(v) : v;
  };
  std::map<std::string, Tensor> feeds = {
      {"X", feed(in.x, true)}, {"W", feed(in.w, false)}, {"R", feed(in.r, false)}};
  if (in.b.defined()) feeds["B"] = feed(in.b, false);
  if (in.h0.defined()) feeds["initial_h"] = feed(in.h0, true);
  if (in.c0.defined()) feeds["initial_c"] = feed(in.c0, true);
  if (in.p.defined()) feeds["P"] = feed(in.p, false);
  if (!c.lens.empty()) {
    Tensor lens = Tensor::Empty(DType::kInt32, {c.batch});
    std::copy(c.lens.begin(), c.lens.end(), lens.data<int32_t>());
    feeds["sequence_lens"] = lens;
  }
  std::vector<ValueInfo> graph_inputs, graph_outputs;
  for (const auto& [name, t] : feeds) graph_inputs.push_back(test::Info(name, t.dtype()));
  for (const auto& name : outputs) {
    if (!name.empty()) graph_outputs.push_back(test::Info(name, c.dtype));
  }
  IA_ASSIGN_OR_RETURN(
      auto got,
      RunModel(test::OneNode(MakeNode(c, outputs), graph_inputs, graph_outputs), feeds, c.threads));
  if (c.layout == 1) {
    for (auto& [name, t] : got) t = name == "Y" ? YToLayout0(t) : Swap01(t);
  }
  return got;
}

void ExpectNear(const std::vector<double>& want, const Tensor& got, DType dtype,
                const std::string& what) {
  ASSERT_EQ(got.dtype(), dtype) << what;
  ASSERT_EQ(static_cast<int64_t>(want.size()), got.numel()) << what;
  const double tol = dtype == DType::kFloat64 ? 1e-9 : 2e-5;
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = dtype == DType::kFloat64 ? got.data<double>()[i] : got.data<float>()[i];
    ASSERT_NEAR(want[i], g, tol * (1 + std::fabs(want[i]))) << what << " element " << i;
  }
}

// Runs `c` and compares every output with the reference.
void Check(const Config& c) {
  SCOPED_TRACE(c.op + " " + c.direction + " layout " + std::to_string(c.layout));
  Inputs in = MakeInputs(c);
  auto got = RunConfig(c, in);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  Outputs want = Reference(c, in);
  ExpectNear(want.y, got->at("Y"), c.dtype, "Y");
  ExpectNear(want.y_h, got->at("Y_h"), c.dtype, "Y_h");
  if (c.op == "LSTM") ExpectNear(want.y_c, got->at("Y_c"), c.dtype, "Y_c");
}

// `c` with everything optional given: bias, initial states, peepholes and sequence lengths one
// shorter than seq, the full length and 0.
Config Full(Config c) {
  c.bias = c.initial_h = true;
  if (c.op == "LSTM") c.initial_c = c.peepholes = true;
  c.lens = {static_cast<int32_t>(c.seq - 2), static_cast<int32_t>(c.seq), 0};
  return c;
}

TEST(RecurrentTest, LstmMatchesReference) {
  for (const char* direction : {"forward", "reverse", "bidirectional"}) {
    for (int64_t layout : {0, 1}) {
      Config c;
      c.direction = direction;
      c.layout = layout;
      Check(c);
      Check(Full(c));
    }
  }
}

TEST(RecurrentTest, LstmInputForgetClipAndPeepholes) {
  Config c = Full(Config{});
  c.direction = "bidirectional";
  c.input_forget = true;
  c.clip = 0.4f;
  Check(c);
}

TEST(RecurrentTest, LstmActivationsWithParameters) {
  // Alphas and betas go in order to the functions that take them: HardSigmoid (0.3, 0.4),
  // LeakyRelu (0.05), then ScaledTanh (0.9, 1.5), Affine (1.2, -0.1); Elu keeps its default.
  Config c = Full(Config{});
  c.direction = "bidirectional";
  c.activations = {"HardSigmoid", "Tanh", "LeakyRelu", "ScaledTanh", "Affine", "Elu"};
  c.alphas = {0.3f, 0.05f, 0.9f, 1.2f};
  c.betas = {0.4f, 1.5f, -0.1f};
  c.acts = {{{"HardSigmoid", 0.3f, 0.4f}, {"Tanh"}, {"LeakyRelu", 0.05f}},
            {{"ScaledTanh", 0.9f, 1.5f}, {"Affine", 1.2f, -0.1f}, {"Elu", 1.0}}};
  Check(c);
}

TEST(RecurrentTest, LstmOpset7AndFloat64) {
  Config c = Full(Config{});
  c.opset = 7;
  Check(c);
  c.opset = 14;
  c.direction = "bidirectional";
  c.layout = 1;
  c.dtype = DType::kFloat64;
  Check(c);
}

TEST(RecurrentTest, GruMatchesReference) {
  for (const char* direction : {"forward", "reverse", "bidirectional"}) {
    for (int64_t layout : {0, 1}) {
      for (bool linear_before_reset : {false, true}) {
        Config c;
        c.op = "GRU";
        c.direction = direction;
        c.layout = layout;
        c.linear_before_reset = linear_before_reset;
        Check(c);
        Check(Full(c));
      }
    }
  }
}

TEST(RecurrentTest, GruClipActivationsAndFloat64) {
  for (bool linear_before_reset : {false, true}) {
    Config c = Full(Config{});
    c.op = "GRU";
    c.direction = "bidirectional";
    c.linear_before_reset = linear_before_reset;
    c.clip = 0.5f;
    c.activations = {"HardSigmoid", "Softsign", "Sigmoid", "ThresholdedRelu"};
    c.alphas = {0.25f, 0.1f};
    c.betas = {0.45f};
    c.acts = {{{"HardSigmoid", 0.25f, 0.45f}, {"Softsign"}},
              {{"Sigmoid"}, {"ThresholdedRelu", 0.1f}}};
    Check(c);
    c.dtype = DType::kFloat64;
    Check(c);
  }
}

TEST(RecurrentTest, RnnMatchesReference) {
  for (const char* direction : {"forward", "reverse", "bidirectional"}) {
    for (int64_t layout : {0, 1}) {
      Config c;
      c.op = "RNN";
      c.direction = direction;
      c.layout = layout;
      Check(c);
      Check(Full(c));
    }
  }
}

TEST(RecurrentTest, RnnActivationsAndClip) {
  Config c = Full(Config{});
  c.op = "RNN";
  c.direction = "bidirectional";
  c.clip = 0.6f;
  c.activations = {"Relu", "LeakyRelu"};
  c.alphas = {0.2f};
  c.acts = {{{"Relu"}}, {{"LeakyRelu", 0.2f}}};
  Check(c);
  // The schema's default lists Tanh twice; a forward node uses the first.
  c.direction = "forward";
  c.activations = {"Softplus", "Tanh"};
  c.alphas.clear();
  c.acts = {{{"Softplus"}}};
  Check(c);
}

TEST(RecurrentTest, LargeBatchOnFourThreads) {
  for (const char* op : {"LSTM", "GRU", "RNN"}) {
    Config c;
    c.op = op;
    c.direction = "bidirectional";
    c.seq = 4;
    c.batch = 48;
    c.input = 40;
    c.hidden = 96;
    c.bias = c.initial_h = true;
    c.threads = 4;
    Check(c);
  }
}

TEST(RecurrentTest, WritesOnlyTheOutputsTheNodeNames) {
  Config c = Full(Config{});
  Inputs in = MakeInputs(c);
  Outputs want = Reference(c, in);
  auto got = RunConfig(c, in, {"", "Y_h"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->count("Y"), 0u);
  ExpectNear(want.y_h, got->at("Y_h"), c.dtype, "Y_h");
  got = RunConfig(c, in, {"", "", "Y_c"});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectNear(want.y_c, got->at("Y_c"), c.dtype, "Y_c");
}

// The error of running `c` after `edit` changes its node or inputs.
std::string ErrorOf(Config c, const std::function<void(Config&, Inputs&)>& edit) {
  Inputs in = MakeInputs(c);
  edit(c, in);
  auto got = RunConfig(c, in);
  return got.ok() ? "(no error)" : got.status().ToString();
}

TEST(RecurrentTest, RejectsMalformedNodes) {
  auto expect = [](const std::string& error, const std::string& part) {
    EXPECT_NE(error.find(part), std::string::npos) << error;
  };
  expect(ErrorOf(Config{},
                 [](Config&, Inputs& in) {
                   in.w = Random({1, 12, 5}, 9);
                 }),
         "W has shape [1, 12, 5]; expected [1, 12, 4]");
  expect(ErrorOf(Config{}, [](Config& c, Inputs&) { c.direction = "sideways"; }),
         "direction 'sideways' is not forward, reverse or bidirectional");
  expect(ErrorOf(Config{},
                 [](Config& c, Inputs&) {
                   c.activations = {"Sigmoid", "Swish", "Tanh"};
                 }),
         "unknown activation 'Swish'");
  expect(ErrorOf(Config{},
                 [](Config& c, Inputs&) {
                   c.activations = {"Sigmoid", "Tanh"};
                 }),
         "activations lists 2 functions; LSTM takes 3 per direction");
  expect(ErrorOf(Config{}, [](Config& c, Inputs&) { c.hidden = 5; }),
         "expected [1, 20, 4] ([num_directions, 4*hidden_size, input_size] with hidden_size 5");
  expect(ErrorOf(Config{},
                 [](Config& c, Inputs&) {
                   c.lens = {5, 6, 1};
                 }),
         "sequence_lens[1] is 6; each length must lie in [0, 5]");
  expect(ErrorOf(Config{},
                 [](Config& c, Inputs& in) {
                   c.bias = true;
                   in.b = Random({1, 12}, 9);
                 }),
         "B has shape [1, 12]; expected [1, 24]");
}

}  // namespace
}  // namespace ipfs_accelerate::engine
