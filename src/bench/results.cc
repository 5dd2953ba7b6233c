#include "bench/results.h"

namespace ipfs_accelerate::bench {

std::string ToString(Scenario scenario) {
  switch (scenario) {
    case Scenario::kSingleStream:
      return "single-stream";
    case Scenario::kOffline:
      return "offline";
    case Scenario::kServer:
      return "server";
  }
  return "?";
}

Result<Scenario> ParseScenario(const std::string& name) {
  for (Scenario s : {Scenario::kSingleStream, Scenario::kOffline, Scenario::kServer}) {
    if (ToString(s) == name) return s;
  }
  return Status::InvalidArgument("unknown scenario '" + name +
                                 "': choose single-stream, offline or server");
}

std::string ResultRecord::Label() const {
  std::string out = model_name.empty() ? model_cid : model_name;
  out += " b" + std::to_string(batch);
  if (seq > 0) out += " s" + std::to_string(seq);
  if (!dims.empty()) out += " " + dims;
  out += " t" + std::to_string(threads);
  out += " " + scenario + " " + hardware;
  if (precision != "fp32") out += " " + precision;
  return out;
}

std::string ResultRecord::Key() const {
  // '|' occurs in none of the fields after the model, so two keys are equal only when every field
  // is, even for a model name that holds '|'.
  std::string model = model_cid.empty() ? "name:" + model_name : "cid:" + model_cid;
  return model + "|" + hardware + "|" + precision + "|" + scenario + "|b" + std::to_string(batch) +
         "|s" + std::to_string(seq) + "|t" + std::to_string(threads) +
         (dims.empty() ? "" : "|d" + dims);
}

}  // namespace ipfs_accelerate::bench
