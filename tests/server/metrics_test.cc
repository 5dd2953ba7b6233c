#include "server/metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "../test_util.h"

namespace ipfs_accelerate::server {
namespace {

using test_util::HasSubstr;

// One sample line of the text format: name, labels (unescaped) and value.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

bool IsNameChar(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

// Parses `line` as `name{label="value",...} value`, undoing the format's escapes (\\, \", \n);
// false when it is not one.
bool ParseSample(const std::string& line, Sample* out) {
  size_t i = 0;
  while (i < line.size() && IsNameChar(line[i], i == 0)) ++i;
  if (i == 0) return false;
  out->name = line.substr(0, i);
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t start = i;
      while (i < line.size() && IsNameChar(line[i], i == start)) ++i;
      std::string label = line.substr(start, i - start);
      if (label.empty() || line.compare(i, 2, "=\"") != 0) return false;
      i += 2;
      std::string value;
      for (; i < line.size() && line[i] != '"'; ++i) {
        if (line[i] == '\n') return false;  // a raw newline would end the line
        if (line[i] != '\\') {
          value.push_back(line[i]);
          continue;
        }
        if (++i == line.size()) return false;
        if (line[i] == 'n') {
          value.push_back('\n');
        } else if (line[i] == '\\' || line[i] == '"') {
          value.push_back(line[i]);
        } else {
          return false;
        }
      }
      if (i == line.size()) return false;
      ++i;  // closing quote
      out->labels[label] = value;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i == line.size()) return false;
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') return false;
  out->value = line.substr(i + 1);
  return !out->value.empty() && out->value.find(' ') == std::string::npos;
}

router::StatsSnapshot TwoModels() {
  router::ModelStats bert;
  bert.name = "bert";
  bert.cid = "bafybeibert";
  bert.success = {3, 4'500'000};
  bert.fail = {1, 1000};
  bert.queue = {4, 2'000'000};
  bert.compute_infer = {2, 3'000'000};
  bert.inference_count = 7;
  bert.execution_count = 2;
  bert.rejected = 5;
  bert.batches[1] = {1, 1000};
  bert.batches[4] = {1, 2000};
  bert.loaded = true;
  bert.memory_bytes = 1 << 20;
  bert.loads = 1;
  bert.load = {1, 1'500'000'000};
  router::ModelStats odd;
  odd.name = "we\"ird\\na\nme";
  odd.cid = "bafyodd";
  odd.evictions = 2;
  return {bert, odd};
}

TEST(MetricsTest, ExpositionParsesAndCarriesEveryModel) {
  Metrics metrics([] { return TwoModels(); }, [] { return 3; });
  metrics.CountResponse(200);
  metrics.CountResponse(200);
  metrics.CountResponse(404);
  metrics.CountResponse(1234);  // out of range: counted as "other"
  std::string text = metrics.Text();

  std::map<std::string, std::string> types;
  std::vector<Sample> samples;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) {
      EXPECT_GT(line.find(' ', 7), 7u) << line;  // a name, then text
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      size_t space = rest.find(' ');
      ASSERT_NE(space, std::string::npos) << line;
      std::string type = rest.substr(space + 1);
      EXPECT_TRUE(type == "counter" || type == "gauge") << line;
      types[rest.substr(0, space)] = type;
      continue;
    }
    Sample sample;
    ASSERT_TRUE(ParseSample(line, &sample)) << "not a sample line: " << line;
    EXPECT_TRUE(types.count(sample.name)) << "sample before its TYPE: " << line;
    samples.push_back(sample);
  }

  auto value = [&](const std::string& name, std::map<std::string, std::string> labels) {
    for (const Sample& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return std::string("<absent>");
  };
  std::map<std::string, std::string> bert = {{"model", "bert"}, {"version", "bafybeibert"}};
  std::map<std::string, std::string> odd = {{"model", "we\"ird\\na\nme"}, {"version", "bafyodd"}};
  EXPECT_EQ(types["nv_inference_request_success"], "counter");
  EXPECT_EQ(value("nv_inference_request_success", bert), "3");
  EXPECT_EQ(value("nv_inference_request_failure", bert), "1");
  EXPECT_EQ(value("nv_inference_count", bert), "7");
  EXPECT_EQ(value("nv_inference_exec_count", bert), "2");
  EXPECT_EQ(value("nv_inference_request_duration_us", bert), "4500");
  EXPECT_EQ(value("nv_inference_queue_duration_us", bert), "2000");
  EXPECT_EQ(value("nv_inference_compute_infer_duration_us", bert), "3000");
  EXPECT_EQ(value("ia_inference_rejected_total", bert), "5");
  EXPECT_EQ(value("ia_model_loaded", bert), "1");
  EXPECT_EQ(types["ia_model_loaded"], "gauge");
  EXPECT_EQ(value("ia_model_memory_bytes", bert), "1048576");
  EXPECT_EQ(value("ia_model_load_duration_seconds_total", bert), "1.5");
  auto bert_batch4 = bert;
  bert_batch4["batch_size"] = "4";
  EXPECT_EQ(value("ia_batch_executions_total", bert_batch4), "1");
  EXPECT_EQ(value("ia_model_loaded", odd), "0");
  EXPECT_EQ(value("ia_model_evictions_total", odd), "2");
  EXPECT_EQ(value("ia_models_loaded", {}), "1");
  EXPECT_EQ(value("ia_http_open_connections", {}), "3");
  EXPECT_EQ(value("ia_http_responses_total", {{"code", "200"}}), "2");
  EXPECT_EQ(value("ia_http_responses_total", {{"code", "404"}}), "1");
  EXPECT_EQ(value("ia_http_responses_total", {{"code", "other"}}), "1");
  EXPECT_NE(value("process_resident_memory_bytes", {}), "0");
  // The escaped spelling on the wire.
  EXPECT_TRUE(HasSubstr(text, "model=\"we\\\"ird\\\\na\\nme\""));
}

TEST(MetricsTest, EmptySourcesGiveAValidExposition) {
  Metrics metrics(nullptr, nullptr);
  std::string text = metrics.Text();
  EXPECT_TRUE(HasSubstr(text, "# TYPE nv_inference_request_success counter"));
  EXPECT_TRUE(HasSubstr(text, "ia_models_loaded 0"));
  EXPECT_TRUE(HasSubstr(text, "ia_hardware_fallbacks_total 0"));
  metrics.set_hardware_fallbacks(2);  // serve --hardware auto on a machine with two GPUs' platforms
  EXPECT_TRUE(HasSubstr(metrics.Text(), "ia_hardware_fallbacks_total 2"));
  EXPECT_GT(ResidentMemoryBytes(), 0);
}

}  // namespace
}  // namespace ipfs_accelerate::server
