#include "router/bench_run.h"

#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/build_info.h"
#include "core/json_util.h"
#include "core/process_identity.h"
#include "models/tensor_file.h"
#include "router/model_ref.h"

namespace ipfs_accelerate::router {

std::string UtcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bench::RunRecord NewRunRecord(const std::string& command) {
  bench::RunRecord run;
  run.started_at = UtcNow();
  run.git_commit = GitCommit();
  run.version = Version();
  const ProcessIdentity me = CurrentProcess();
  run.host = me.host;
  run.pid = me.pid;
  run.boot_id = me.boot_id;
  run.process_start = me.start_ticks;
  run.command = command;
  return run;
}

std::string BenchModelName(const std::string& ref) {
  std::filesystem::path p(ref);
  std::error_code ec;
  if (std::filesystem::exists(p, ec)) {
    if (std::filesystem::is_directory(p, ec)) p = p.lexically_normal().parent_path() / p.filename();
    std::string stem = p.stem().string();
    if (stem == "model") stem = p.parent_path().filename().string();
    if (!stem.empty()) return stem;
  }
  return ref;
}

Result<BenchPlan> PlanBench(const BenchRequest& request, const Config& config) {
  BenchPlan plan;
  plan.options = request.options;
  plan.command = request.command;
  plan.hardware = hardware::DetectHardware(*hardware::RealSystemView(), config);
  for (const std::string& h : plan.options.hardware) {
    // A backend the front end added (a browser worker's EP) was checked by attaching the browser.
    if (h != "cpu" && plan.options.registry && plan.options.registry->Find(h).ok()) continue;
    const hardware::PlatformInfo* p = plan.hardware.Find(h);
    if (!p) {
      return Status::InvalidArgument(
          "unknown hardware '" + h +
          "': choose from cpu, cuda, rocm, mps, openvino, qualcomm, webnn, webgpu");
    }
    if (!p->available) return Status::Unsupported(h + " is not available here: " + p->reason);
  }
  IA_ASSIGN_OR_RETURN(plan.options.inputs, models::LoadInputSpecs(request.input_specs));
  for (const std::string& ref : request.model_refs) {
    bench::BenchModel m;
    m.name = BenchModelName(ref);
    std::string repo = request.repo;
    m.load = [repo, ref]() -> Result<engine::Model> { return LoadModelRef(repo, ref); };
    // The file's CID names the model in the results (ValidatePlan parses it).
    auto file = ReadFileRef(request.repo, ref, "model.onnx", /*compute_cid=*/true);
    if (!file.ok()) return file.status().WithContext("model " + ref);
    m.cid = file->cid;
    plan.models.push_back(std::move(m));
  }
  IA_ASSIGN_OR_RETURN(plan.configurations, bench::ValidatePlan(plan.models, plan.options));
  return plan;
}

Result<bench::RunRecord> RunBenchPlan(bench::ResultsDb& db, const BenchPlan& plan,
                                      const BenchRunCallbacks& callbacks) {
  bench::RunRecord run = NewRunRecord(plan.command);
  run.hardware_fingerprint = hardware::HardwareFingerprint(plan.hardware);
  nlohmann::json hw_json = hardware::ToJson(plan.hardware);
  for (const auto& p : plan.hardware.platforms) {
    run.hardware.push_back({p.name, p.available, p.reason, p.priority, DumpJson(hw_json[p.name])});
  }
  IA_RETURN_IF_ERROR(db.BeginRun(run));
  if (callbacks.on_begin) callbacks.on_begin(run);

  bench::BenchCallbacks cb;
  cb.stop = callbacks.stop;
  cb.progress = [&](const bench::ResultRecord& r, double fraction) {
    if (callbacks.progress) callbacks.progress(run, r, fraction);
  };
  cb.on_result = [&](bench::ResultRecord& r) -> Status {
    IA_RETURN_IF_ERROR(db.AddResult(run.id, r));
    run.results.push_back(r);
    if (callbacks.on_result) callbacks.on_result(run);
    return Status::Ok();
  };
  Result<bool> interrupted = bench::RunBenchmarks(plan.models, plan.options, cb);
  run.status = interrupted.ok() && *interrupted ? "interrupted"
               : interrupted.ok()               ? "complete"
                                                : "failed";
  run.finished_at = UtcNow();
  Status finish = db.FinishRun(run.id, run.status, run.finished_at);
  if (!interrupted.ok()) return interrupted.status();
  IA_RETURN_IF_ERROR(finish);
  return run;
}

}  // namespace ipfs_accelerate::router
