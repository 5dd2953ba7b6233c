// What the performance model needs from this machine and its records, gathered for analyze,
// compat, plan and --hardware auto: the devices here and their profiles (measured by
// `hw --calibrate`, else estimated, plus datasheet profiles for accelerators), the calibration
// fitted to this machine's bench runs, and the model's cost at the sizes asked for.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "bench/results_db.h"
#include "core/config.h"
#include "engine/graph.h"
#include "hardware/platform.h"
#include "hardware/profiles.h"
#include "perf/fit.h"
#include "perf/planner.h"

namespace ipfs_accelerate::router {

struct PlanningInputs {
  hardware::HardwareReport report;
  std::string fingerprint;
  // The CPU per thread count: measured (hw --calibrate) where there is a measurement, else
  // estimated from its flags.
  std::vector<hardware::DeviceProfile> cpu;
  // The accelerators found here, each with the datasheet profile its name matched.
  std::vector<hardware::DeviceProfile> accelerators;
  std::vector<std::string> unmatched;            // accelerators no profile matched
  std::vector<hardware::DeviceProfile> known;    // every datasheet profile
  std::optional<perf::Calibration> calibration;  // fitted to this machine's runs
  std::vector<std::string> notes;                // what was estimated, for people
  // Backends a front end adds beside the engine's built-in ones, by platform name (the browser
  // workers' webgpu and webnn): those platforms have a backend too.
  std::vector<std::string> front_end_backends;
};

// The datasheet profiles: `profiles_file` when given, else the file the perf.profiles_file
// setting names, else the built-in ones. Errors name the file and line.
Result<std::vector<hardware::DeviceProfile>> KnownDeviceProfiles(const Config& config,
                                                                 const std::string& profiles_file);

// Gathers the inputs for the machine `view` shows. `db` (may be null) holds hw --calibrate's
// measurements; `profiles_file` the datasheet profiles (see KnownDeviceProfiles);
// `repo_path` the stored calibration (perf_calibration.json).
Result<PlanningInputs> GatherPlanningInputs(const hardware::SystemView& view, const Config& config,
                                            bench::ResultsDb* db, const std::string& profiles_file,
                                            const std::string& repo_path);

// The targets to plan over: the CPU and each platform whose device was matched here; with
// `absent`, also a representative datasheet device for each platform not found here (marked
// unavailable), so compat shows all 8. `platforms` (empty: all) keeps only those named.
std::vector<perf::Target> MakeTargets(const PlanningInputs& in,
                                      const std::vector<std::string>& platforms, bool absent);

// The model's cost at each batch (fp32 analysed once per batch; the other precisions derived).
Result<perf::CostTable> CostTableFor(const engine::Model& model,
                                     const std::vector<int64_t>& batches,
                                     const std::vector<engine::Precision>& precisions, int64_t seq,
                                     const std::map<std::string, int64_t>& dims);

// The measured runs of `models` (refs as run takes them: files, directories, CIDs/aliases) in
// `db` made on this machine (same hardware fingerprint): the cpu single-stream results that ran
// to the end (of any run, also one that failed later), the latest per configuration, each with its
// cost and the CPU profile at its thread count. Results of models not given are skipped and counted
// in `notes`.
Result<std::vector<perf::Observation>> CollectObservations(bench::ResultsDb& db,
                                                           const std::string& repo_flag,
                                                           const std::vector<std::string>& models,
                                                           const PlanningInputs& in,
                                                           std::vector<std::string>* notes);

// What to plan over and for.
struct PlanQuery {
  std::vector<int64_t> batches;  // empty: 1, 2, 4, 8, 16, 32
  std::vector<engine::Precision> precisions = {engine::Precision::kFp32, engine::Precision::kBf16,
                                               engine::Precision::kInt8};
  int64_t seq = 128;
  std::map<std::string, int64_t> dims;
  std::vector<std::string> platforms;  // empty: all
  bool all_platforms = false;          // plan on representative devices not found here too
  perf::PlanRequest request;           // the constraints (require_available follows all_platforms)
};

// The deployment plan of `model` on the targets `in` gives (plan, the Python module's plan()).
Result<perf::Plan> PlanModel(const engine::Model& model, const PlanningInputs& in,
                             const PlanQuery& query);

// Where --hardware sends the runs.
struct HardwareChoice {
  std::string platform = "cpu";
  int threads = 0;  // the plan's threads per run (0: the caller's choice stands)
  std::string why;  // one line for the log
  // The available platforms passed over, each "cuda: no backend in this build yet": every one
  // is a fallback, logged as a warning.
  std::vector<std::string> fallbacks;
};

// Resolves --hardware `requested`: a platform name, when this build has a backend for it (else
// kUnsupported naming the platforms that have one), or "auto": the plan (perf::MakePlan at batch
// 1 and `precision`) among the available platforms with a backend, priorities breaking near
// ties. `model` null (serve, before any model is known): the highest-priority available platform
// with a backend.
Result<HardwareChoice> ChooseHardware(const std::string& requested, const engine::Model* model,
                                      const PlanningInputs& in, engine::Precision precision);

// The calibration stored for `fingerprint` in REPO/perf_calibration.json, if any.
Result<std::optional<perf::Calibration>> LoadCalibration(const std::string& repo_path,
                                                         const std::string& fingerprint);
// Stores `c` (replacing the one for its fingerprint), written atomically.
Status SaveCalibration(const std::string& repo_path, const perf::Calibration& c);

}  // namespace ipfs_accelerate::router
