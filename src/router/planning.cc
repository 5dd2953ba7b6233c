#include "router/planning.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/file_util.h"
#include "core/json_util.h"
#include "core/log.h"
#include "engine/backend_registry.h"
#include "router/bench_run.h"
#include "router/model_ref.h"

namespace ipfs_accelerate::router {
namespace {

// 1, 2, 4, ... up to `cores`, and `cores` itself.
std::vector<int> ThreadCounts(int cores) {
  std::vector<int> v;
  for (int t = 1; t < cores; t *= 2) v.push_back(t);
  v.push_back(std::max(1, cores));
  return v;
}

int UsableCores(const hardware::HardwareReport& report) {
  const hardware::PlatformInfo* cpu = report.Find("cpu");
  if (!cpu) return 1;
  const nlohmann::json& c = cpu->capabilities;
  for (const char* key : {"usable_cores", "logical_cores"}) {
    if (c.contains(key) && c[key].is_number_integer()) return std::max(1, c[key].get<int>());
  }
  return 1;
}

// "height=640,width=640" -> {height: 640, width: 640}.
std::map<std::string, int64_t> ParseDims(const std::string& text) {
  std::map<std::string, int64_t> dims;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string::npos) continue;
    dims[item.substr(0, eq)] = std::strtoll(item.c_str() + eq + 1, nullptr, 10);
  }
  return dims;
}

// Whether this build can run models on `platform`: the CPU, a backend registered by its name, or
// one the front end adds.
bool HasBackend(const std::string& platform, const PlanningInputs& in) {
  const auto& extra = in.front_end_backends;
  return platform == "cpu" || engine::BuiltinBackends().Find(platform).ok() ||
         std::find(extra.begin(), extra.end(), platform) != extra.end();
}

std::string CalibrationPath(const std::string& repo_path) {
  return repo_path + "/perf_calibration.json";
}

}  // namespace

Result<std::vector<hardware::DeviceProfile>> KnownDeviceProfiles(const Config& config,
                                                                 const std::string& profiles_file) {
  std::string file = profiles_file.empty() ? config.String("perf.profiles_file") : profiles_file;
  if (file.empty()) return hardware::BuiltinDeviceProfiles();
  return hardware::LoadDeviceProfiles(file);
}

Result<PlanningInputs> GatherPlanningInputs(const hardware::SystemView& view, const Config& config,
                                            bench::ResultsDb* db, const std::string& profiles_file,
                                            const std::string& repo_path) {
  PlanningInputs in;
  in.report = hardware::DetectHardware(view, config);
  in.fingerprint = hardware::HardwareFingerprint(in.report);
  IA_ASSIGN_OR_RETURN(in.known, KnownDeviceProfiles(config, profiles_file));
  in.accelerators = hardware::MatchDeviceProfiles(in.report, in.known, &in.unmatched);
  for (const std::string& u : in.unmatched) {
    in.notes.push_back(u + ": no device profile matches its name (add one with --profiles-file)");
  }
  std::vector<hardware::DeviceProfile> measured;
  if (db) {
    IA_ASSIGN_OR_RETURN(measured, db->LoadDeviceProfiles(in.fingerprint));
  }
  bool estimated = false;
  for (int t : ThreadCounts(UsableCores(in.report))) {
    auto m = std::find_if(measured.begin(), measured.end(),
                          [t](const hardware::DeviceProfile& p) { return p.threads == t; });
    if (m != measured.end()) {
      in.cpu.push_back(*m);
    } else {
      in.cpu.push_back(hardware::EstimateCpuProfile(in.report, t));
      estimated = true;
    }
  }
  if (estimated) {
    in.notes.push_back(
        "cpu: peaks estimated from its flags for some thread counts; `ipfs-accelerate hw "
        "--calibrate` measures them");
  }
  if (!repo_path.empty()) {
    // A calibration that cannot be read (an older format, an edited file) must not block the
    // command that replaces it: it is set aside with a note.
    auto stored = LoadCalibration(repo_path, in.fingerprint);
    if (stored.ok()) {
      in.calibration = std::move(stored).value();
    } else {
      in.notes.push_back(stored.status().message() + "; ignored");
    }
  }
  if (!in.calibration) {
    in.notes.push_back(
        "no calibration for this machine: predictions use typical efficiencies (bench some "
        "models, then `ipfs-accelerate plan --fit MODELS`)");
  }
  return in;
}

std::vector<perf::Target> MakeTargets(const PlanningInputs& in,
                                      const std::vector<std::string>& platforms, bool absent) {
  auto wanted = [&](const std::string& p) {
    return platforms.empty() || std::find(platforms.begin(), platforms.end(), p) != platforms.end();
  };
  auto priority = [&](const std::string& p) -> int64_t {
    const hardware::PlatformInfo* info = in.report.Find(p);
    return info ? info->priority : 0;
  };
  std::vector<perf::Target> targets;
  for (const std::string& p : hardware::PlatformNames()) {
    if (!wanted(p)) continue;
    perf::Target t;
    t.platform = p;
    t.priority = priority(p);
    t.has_backend = HasBackend(p, in);
    if (p == "cpu") {
      t.available = true;
      t.profiles = in.cpu;
      if (in.calibration) t.calibration = &*in.calibration;
    } else {
      for (const hardware::DeviceProfile& d : in.accelerators) {
        if (d.platform == p && t.profiles.empty()) t.profiles.push_back(d);  // one per platform
      }
      const hardware::PlatformInfo* info = in.report.Find(p);
      t.available = !t.profiles.empty() && info && info->available;
      if (t.profiles.empty() && absent) {
        for (const hardware::DeviceProfile& d : in.known) {
          if (d.platform == p) {
            t.profiles.push_back(d);
            break;
          }
        }
      }
    }
    if (!t.profiles.empty()) targets.push_back(std::move(t));
  }
  return targets;
}

Result<perf::CostTable> CostTableFor(const engine::Model& model,
                                     const std::vector<int64_t>& batches,
                                     const std::vector<engine::Precision>& precisions, int64_t seq,
                                     const std::map<std::string, int64_t>& dims) {
  perf::CostTable table;
  for (int64_t b : batches) {
    perf::AnalyzeOptions o;
    o.batch = b;
    o.seq = seq;
    o.dims = dims;
    IA_ASSIGN_OR_RETURN(perf::GraphCost fp32, perf::AnalyzeModel(model, o));
    for (engine::Precision p : precisions) table[{b, p}] = perf::AtPrecision(fp32, p);
  }
  return table;
}

Result<std::vector<perf::Observation>> CollectObservations(bench::ResultsDb& db,
                                                           const std::string& repo_flag,
                                                           const std::vector<std::string>& models,
                                                           const PlanningInputs& in,
                                                           std::vector<std::string>* notes) {
  struct Loaded {
    std::string name;
    engine::Model model;
  };
  std::map<std::string, Loaded> by_cid;
  for (const std::string& ref : models) {
    std::string cid;
    IA_ASSIGN_OR_RETURN(engine::Model m, LoadModelRef(repo_flag, ref, &cid));
    std::string name = ref;
    while (!name.empty() && name.back() == '/') name.pop_back();
    name = name.substr(name.find_last_of('/') + 1);
    if (name.size() > 5 && name.ends_with(".onnx")) name.resize(name.size() - 5);
    by_cid[cid] = {name, std::move(m)};
  }
  // The latest result per configuration, of this machine's complete runs.
  std::map<std::string, bench::ResultRecord> latest;
  std::set<std::string> skipped;
  IA_ASSIGN_OR_RETURN(std::vector<int64_t> ids, db.RunIds());
  for (int64_t id : ids) {
    IA_ASSIGN_OR_RETURN(bench::RunRecord run, db.LoadRun(id));
    // Every finished configuration counts, also of a run that failed or was killed later on.
    if (run.hardware_fingerprint != in.fingerprint) continue;
    for (bench::ResultRecord& r : run.results) {
      if (r.hardware != "cpu" || r.scenario != "single-stream" || r.interrupted ||
          r.stats.count == 0) {
        continue;
      }
      if (!by_cid.count(r.model_cid)) {
        skipped.insert(r.model_name);
        continue;
      }
      latest[r.Key()] = std::move(r);
    }
  }
  if (notes && !skipped.empty()) {
    std::string s = "results of models not given were left out:";
    for (const std::string& m : skipped) s += " " + m;
    notes->push_back(s);
  }
  std::map<std::string, perf::GraphCost> analysed;  // fp32, per model and sizes
  std::vector<perf::Observation> obs;
  for (const auto& [key, r] : latest) {
    const Loaded& m = by_cid.at(r.model_cid);
    auto precision = engine::ParsePrecision(r.precision);
    if (!precision.ok()) continue;
    std::string sizes =
        r.model_cid + " " + std::to_string(r.batch) + " " + std::to_string(r.seq) + " " + r.dims;
    auto it = analysed.find(sizes);
    if (it == analysed.end()) {
      perf::AnalyzeOptions o;
      o.batch = r.batch;
      o.seq = r.seq > 0 ? r.seq : 128;
      o.dims = ParseDims(r.dims);
      auto c = perf::AnalyzeModel(m.model, o);
      if (!c.ok()) return c.status().WithContext("analysing " + r.Label());
      it = analysed.emplace(sizes, std::move(c).value()).first;
    }
    perf::Observation o;
    o.model = m.name;
    o.label = r.Label();
    o.batch = r.batch;
    o.threads = static_cast<int>(r.threads);
    o.cost = perf::AtPrecision(it->second, *precision);
    auto d = std::find_if(in.cpu.begin(), in.cpu.end(),
                          [&](const hardware::DeviceProfile& p) { return p.threads == o.threads; });
    o.device = d != in.cpu.end() ? *d : hardware::EstimateCpuProfile(in.report, o.threads);
    o.latency_s = r.stats.median / 1000;
    for (const bench::ResultRecord::NodeTime& t : r.node_times) o.node_s[t.name] = t.ms / 1000;
    o.peak_rss_bytes = static_cast<double>(r.peak_rss_bytes);
    obs.push_back(std::move(o));
  }
  return obs;
}

Result<perf::Plan> PlanModel(const engine::Model& model, const PlanningInputs& in,
                             const PlanQuery& q) {
  std::vector<int64_t> batches =
      q.batches.empty() ? std::vector<int64_t>{1, 2, 4, 8, 16, 32} : q.batches;
  IA_ASSIGN_OR_RETURN(perf::CostTable costs,
                      CostTableFor(model, batches, q.precisions, q.seq, q.dims));
  perf::PlanRequest req = q.request;
  req.require_available = !q.all_platforms;
  return perf::MakePlan(costs, MakeTargets(in, q.platforms, q.all_platforms), req);
}

Result<HardwareChoice> ChooseHardware(const std::string& requested, const engine::Model* model,
                                      const PlanningInputs& in, engine::Precision precision) {
  std::vector<perf::Target> targets = MakeTargets(in, {}, false);
  HardwareChoice choice;
  if (requested != "auto") {
    // Asked for by name: it need not be detected here (a browser worker may attach from another
    // machine), only runnable by this build.
    std::string with_backend;
    if (HasBackend(requested, in)) {
      choice.platform = requested;
      choice.why = "--hardware " + requested;
      return choice;
    }
    for (const std::string& p : hardware::PlatformNames()) {
      if (HasBackend(p, in)) with_backend += " " + p;
    }
    return Status::Unsupported("the engine has no " + requested +
                               " backend yet; this build runs models on:" + with_backend +
                               " (or --hardware auto)");
  }
  std::vector<perf::Target> runnable;
  for (const perf::Target& t : targets) {
    if (!t.available) continue;
    if (t.has_backend) {
      runnable.push_back(t);
    } else {
      choice.fallbacks.push_back(t.platform + ": no backend in this build yet");
    }
  }
  if (runnable.empty())
    return Status::NotFound("--hardware auto: no available platform has a backend");
  if (!model) {
    std::stable_sort(
        runnable.begin(), runnable.end(),
        [](const perf::Target& a, const perf::Target& b) { return a.priority > b.priority; });
    choice.platform = runnable.front().platform;
    choice.why = "--hardware auto: " + choice.platform +
                 ", the available platform with a backend of the highest priority";
  } else {
    IA_ASSIGN_OR_RETURN(perf::CostTable costs, CostTableFor(*model, {1}, {precision}, 128, {}));
    perf::PlanRequest req;
    req.require_backend = true;
    IA_ASSIGN_OR_RETURN(perf::Plan plan, perf::MakePlan(costs, runnable, req));
    choice.platform = plan.chosen.platform;
    choice.threads = plan.chosen.threads;
    char buf[160];
    std::snprintf(buf, sizeof buf, " (predicted %.1f ms at %d threads; %s)",
                  plan.chosen.prediction.latency_s * 1000, plan.chosen.threads,
                  plan.chosen.prediction.calibrated ? "calibrated" : "not calibrated");
    choice.why = "--hardware auto: planned " + choice.platform + buf;
  }
  for (const std::string& f : choice.fallbacks) {
    Log(LogLevel::kWarning, "--hardware auto: passed over " + f);
  }
  Log(LogLevel::kInfo, choice.why);
  return choice;
}

Result<std::optional<perf::Calibration>> LoadCalibration(const std::string& repo_path,
                                                         const std::string& fingerprint) {
  auto text = ReadFile(CalibrationPath(repo_path));
  if (!text.ok()) return std::optional<perf::Calibration>();  // none stored yet
  IA_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson(*text, CalibrationPath(repo_path)));
  if (!j.is_object() || !j.contains(fingerprint)) return std::optional<perf::Calibration>();
  auto c = perf::CalibrationFromJson(j[fingerprint]);
  if (!c.ok()) return c.status().WithContext(CalibrationPath(repo_path));
  return std::optional<perf::Calibration>(std::move(c).value());
}

Status SaveCalibration(const std::string& repo_path, const perf::Calibration& c) {
  nlohmann::json all = nlohmann::json::object();
  if (auto text = ReadFile(CalibrationPath(repo_path)); text.ok()) {
    auto j = ParseJson(*text, CalibrationPath(repo_path));
    if (j.ok() && j->is_object()) all = *j;
  }
  all[c.fingerprint] = perf::ToJson(c);
  std::error_code ec;
  std::filesystem::create_directories(repo_path, ec);  // a repository not used before
  return WriteFileAtomic(CalibrationPath(repo_path), DumpJson(all, 2) + "\n");
}

}  // namespace ipfs_accelerate::router
