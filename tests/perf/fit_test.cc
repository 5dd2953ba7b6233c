// perf/fit and perf/model: the fit recovers coefficients that generated the measurements, and
// leaving a model out predicts it from the others.
#include "perf/fit.h"

#include <gtest/gtest.h>

#include <cmath>

#include "perf_builder.h"

namespace ipfs_accelerate::perf {
namespace {

using test::Cost;
using test::Device;
using test::Node;

// Coefficients unlike the priors: what the "machine" really does.
Coefficients Truth(const hardware::DeviceProfile& d) {
  Coefficients c = PriorCoefficients(d);
  c.compute[OpClass::kMatMul] = 1.25;
  c.compute[OpClass::kConv] = 2.2;
  c.memory[OpClass::kElementwise] = 3.0;
  c.memory[OpClass::kDataMovement] = 4.5;
  c.per_node_s = 6e-6;
  c.per_run_s = 40e-6;
  c.memory_base_bytes = 90e6;
  c.weight_factor = 1.6;
  c.activation_factor = 1.3;
  return c;
}

// Three "models" of different mixes at three batch sizes and two thread counts, measured
// (predicted) under Truth.
std::vector<Observation> Measured() {
  std::vector<Observation> obs;
  for (const char* model : {"transformer", "cnn", "mixed", "small"}) {
    for (int64_t batch : {1, 4, 16}) {
      for (int threads : {1, 2}) {
        double b = static_cast<double>(batch);
        std::vector<NodeCost> nodes;
        std::string m = model;
        for (int i = 0; i < 12; ++i) {
          if (m != "cnn") nodes.push_back(Node(OpClass::kMatMul, 4e8 * b, 3e6 + 4e5 * b));
          if (m != "transformer") nodes.push_back(Node(OpClass::kConv, 2e8 * b, 1e6 * b));
          if (m == "small") nodes.push_back(Node(OpClass::kMatMul, 2e3 * b, 4e3 * b));
          nodes.push_back(Node(OpClass::kElementwise, 1e5 * b, 8e5 * b));
          nodes.push_back(Node(OpClass::kDataMovement, 0, 4e5 * b));
        }
        Observation o;
        o.model = model;
        o.label = m + " b" + std::to_string(batch) + " t" + std::to_string(threads);
        o.batch = batch;
        o.threads = threads;
        o.cost = Cost(nodes, m == "small" ? 1e6 : 2e8, 5e6 * b);
        o.device = Device("cpu", 100.0 * threads, 15.0 + 5 * threads, 16, threads);
        Calibration truth;
        truth.coefficients = Truth(o.device);
        Prediction p = Predict(o.cost, batch, o.device, &truth);
        o.latency_s = p.latency_s;
        o.peak_rss_bytes = p.memory_bytes;
        obs.push_back(std::move(o));
      }
    }
  }
  return obs;
}

TEST(FitTest, RecoversTheCoefficientsThatMadeTheMeasurements) {
  std::vector<Observation> obs = Measured();
  Coefficients prior = PriorCoefficients(obs[0].device);
  Validation before = Compare(obs, prior);
  auto fitted = FitCoefficients(obs, prior);
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  Validation after = Compare(obs, *fitted);
  EXPECT_GT(before.latency_mape, 0.05);  // the priors are off the truth here
  EXPECT_GT(before.latency_mape, 5 * after.latency_mape);
  EXPECT_LT(after.latency_mape, 0.02);
  // Memory has three figures, pulled firmly toward their priors: better, not exact.
  EXPECT_LT(after.memory_mape, before.memory_mape);
  EXPECT_NEAR(fitted->compute.at(OpClass::kMatMul), 1.25, 0.05);
  EXPECT_NEAR(fitted->compute.at(OpClass::kConv), 2.2, 0.1);
}

TEST(FitTest, LeavingAModelOutPredictsItFromTheOthers) {
  auto v = LeaveOneModelOut(Measured(), PriorCoefficients(Measured()[0].device));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->rows.size(), 24u);
  EXPECT_LT(v->latency_mape, 0.1);
  EXPECT_LT(v->memory_mape, 0.2);
}

TEST(FitTest, TimesPerNodeTellClassesApartThatWholeRunsCannot) {
  // Two models whose products and element-wise work grow in step: from whole runs, any split of
  // the time between the two classes fits. The profile's time per node pins each.
  std::vector<Observation> obs;
  hardware::DeviceProfile d = Device("cpu", 100, 20, 16, 1);
  Coefficients truth = Truth(d);
  Calibration cal;
  cal.coefficients = truth;
  for (const char* model : {"a", "b"}) {
    for (int64_t batch : {1, 4, 16}) {
      double b = static_cast<double>(batch) * (std::string(model) == "a" ? 1 : 3);
      Observation o;
      o.model = model;
      o.label = std::string(model) + " b" + std::to_string(batch);
      o.batch = batch;
      o.threads = 1;
      o.device = d;
      o.cost = Cost(
          {Node(OpClass::kMatMul, 4e8 * b, 1e5 * b), Node(OpClass::kElementwise, 1e5 * b, 8e6 * b)},
          1e6, 1e6);
      o.latency_s = Predict(o.cost, batch, d, &cal).latency_s;
      for (const NodeCost& n : o.cost.nodes) {
        Prediction alone = Predict(Cost({n}, 0, 0), batch, d, &cal);
        o.node_s[n.name] = alone.latency_s - truth.per_run_s;
      }
      obs.push_back(std::move(o));
    }
  }
  auto fitted = FitCoefficients(obs, PriorCoefficients(d));
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  EXPECT_NEAR(fitted->compute.at(OpClass::kMatMul), truth.compute.at(OpClass::kMatMul), 0.05);
  EXPECT_NEAR(fitted->memory.at(OpClass::kElementwise), truth.memory.at(OpClass::kElementwise),
              0.15);
}

TEST(FitTest, OneModelCannotBeLeftOut) {
  std::vector<Observation> obs = Measured();
  obs.resize(6);  // the transformer's runs only
  auto v = LeaveOneModelOut(obs, PriorCoefficients(obs[0].device));
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("two models"), std::string::npos);
  EXPECT_FALSE(FitCoefficients({}, PriorCoefficients(obs[0].device)).ok());
}

TEST(ModelTest, RooflineTakesTheSlowerBoundAndLowPrecisionTheFasterPeak) {
  hardware::DeviceProfile d = Device("cuda", 1000, 100, 16);
  Coefficients unit = PriorCoefficients(d);
  for (auto& [k, v] : unit.compute) v = 1;
  for (auto& [k, v] : unit.memory) v = 1;
  unit.per_node_s = unit.per_run_s = 0;
  Calibration cal;
  cal.coefficients = unit;
  // 1e9 FLOPs on 1 TFLOP/s: 1 ms of compute; 1e6 bytes at 100 GB/s: 10 us. Compute-bound.
  GraphCost c = Cost({Node(OpClass::kMatMul, 1e9, 1e6, /*lowerable=*/true)}, 0, 0);
  Prediction fp32 = Predict(c, 1, d, &cal);
  EXPECT_NEAR(fp32.latency_s, 1e-3, 1e-9);
  EXPECT_EQ(fp32.compute_bound_share, 1);
  // int8 runs at 4x the fp32 peak: 0.25 ms.
  GraphCost int8 = AtPrecision(c, engine::Precision::kInt8);
  EXPECT_NEAR(Predict(int8, 1, d, &cal).latency_s, 0.25e-3, 1e-9);
  // A memory-bound node: 1e9 bytes at 100 GB/s: 10 ms.
  GraphCost copy = Cost({Node(OpClass::kDataMovement, 0, 1e9)}, 0, 0);
  Prediction p = Predict(copy, 1, d, &cal);
  EXPECT_NEAR(p.latency_s, 10e-3, 1e-9);
  EXPECT_EQ(p.compute_bound_share, 0);
}

TEST(ModelTest, UncalibratedPredictionsSaySoAndCarryAWideInterval) {
  hardware::DeviceProfile d = Device("cuda", 1000, 100, 16);
  GraphCost c = Cost({Node(OpClass::kMatMul, 1e9, 1e6)}, 1e6, 1e6);
  Prediction p = Predict(c, 1, d, nullptr);
  EXPECT_FALSE(p.calibrated);
  EXPECT_NE(p.basis.find("datasheet"), std::string::npos) << p.basis;
  EXPECT_LE(p.latency_low_s, p.latency_s / 1.9);
  EXPECT_GE(p.latency_high_s, p.latency_s * 1.9);
}

TEST(ModelTest, CalibrationRoundTripsThroughJson) {
  Calibration c;
  c.fingerprint = "0123456789abcdef";
  c.fitted_at = "2026-12-07T10:00:00Z";
  c.coefficients = Truth(Device("cpu", 100, 20, 16, 1));
  c.models = {"bert", "resnet"};
  c.observations = 12;
  c.latency_mape = 0.08;
  auto back = CalibrationFromJson(ToJson(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->coefficients.compute, c.coefficients.compute);
  EXPECT_EQ(back->coefficients.memory, c.coefficients.memory);
  EXPECT_EQ(back->models, c.models);
  EXPECT_EQ(back->latency_mape, 0.08);
  nlohmann::json broken = ToJson(c);
  broken.erase("coefficients");
  auto bad = CalibrationFromJson(broken);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("coefficients"), std::string::npos);
}

}  // namespace
}  // namespace ipfs_accelerate::perf
