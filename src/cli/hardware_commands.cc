// hw: what hardware is here, in the order the router will try it; its device profiles
// (--profiles) and a measurement of this CPU (--calibrate).
#include <unistd.h>

#include <cstdio>

#include "browser/launcher.h"
#include "browser/local_worker.h"
#include "browser/routes.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/json_util.h"
#include "core/progress.h"
#include "core/terminal_text.h"
#include "hardware/platform.h"
#include "hardware/profiles.h"
#include "perf/calibrate.h"
#include "router/bench_run.h"
#include "router/planning.h"

namespace ipfs_accelerate::cli {
namespace {

using json = nlohmann::json;

struct HwFlags {
  bool json = false;
  bool calibrate = false;
  bool profiles = false;
  std::vector<int> threads;
  double seconds = 0.5;
  std::string db;
  bool db_given = false;
  std::string profiles_file;
  bool profiles_file_given = false;
  bool no_browser_probe = false;
};

// WebGPU and WebNN as a headless browser here reports them (browser.path, else Debian's chromium).
void ProbeBrowser(const Config& config, bool quiet, hardware::HardwareReport& report) {
  std::string path = browser::FindBrowser(config.String("browser.path"));
  // No browser, or none at the configured path: the static probe's reason stands.
  if (path.empty() || ::access(path.c_str(), X_OK) != 0) return;
  if (!quiet) std::fprintf(stderr, "probing WebGPU and WebNN in %s…\n", path.c_str());
  auto caps = browser::ProbeBrowserCapabilities(
      path, browser::OrtWebDir(config.String("browser.ort_dir")), 60);
  hardware::ApplyBrowserProbe(report, path, caps.ok() ? &*caps : nullptr,
                              caps.ok() ? "" : caps.status().message());
}

int RunCalibrate(const Context& ctx, const HwFlags& f, const Config& config,
                 const hardware::HardwareReport& report) {
  auto db_path = DbPath(f.db, f.db_given, config);
  if (!db_path.ok()) return Fail(db_path.status());
  auto db = OpenDb(*db_path, bench::ResultsDb::Mode::kCreate);
  if (!db.ok()) return Fail(db.status());
  ProgressBar bar = ProgressBar::WithDetail(!f.json);
  perf::CalibrateOptions options{.threads = f.threads, .seconds_per_test = f.seconds};
  options.progress = [&](const std::string& what, double fraction) {
    if (what.find(" skipped: ") != std::string::npos) {
      bar.Clear();
      std::fprintf(stderr, "note: %s\n", TerminalSafe(what).c_str());
      return;
    }
    bar.Update(fraction, "calibrating", what);
  };
  auto profiles = perf::CalibrateCpu(report, options);
  bar.Finish();
  if (!profiles.ok()) return Fail(profiles.status());
  const std::string fingerprint = hardware::HardwareFingerprint(report);
  const std::string measured_at = router::UtcNow();
  if (Status s = (*db)->SaveDeviceProfiles(fingerprint, measured_at, *profiles); !s.ok()) {
    return Fail(s);
  }
  if (f.json) {
    json list = json::array();
    for (const auto& p : *profiles) list.push_back(hardware::ToJson(p));
    json out = {{"fingerprint", fingerprint},
                {"measured_at", measured_at},
                {"db", *db_path},
                {"profiles", list}};
    std::printf("%s\n", DumpJson(out, 2).c_str());
    return 0;
  }
  std::printf("%7s %12s %12s %12s %14s %12s\n", "THREADS", "FP32 GFLOP/s", "BF16 GFLOP/s",
              "INT8 GOP/s", "BANDWIDTH GB/s", "OVERHEAD us");
  auto rate = [](double v) {
    return v > 0 ? std::to_string(static_cast<long long>(v / 1e9)) : "-";
  };
  for (const auto& p : *profiles) {
    std::printf("%7d %12s %12s %12s %14.1f %12.2f\n", p.threads, rate(p.fp32_flops).c_str(),
                rate(p.fp16_flops).c_str(), rate(p.int8_ops).c_str(), p.bandwidth_bytes_per_s / 1e9,
                p.node_overhead_s * 1e6);
  }
  std::printf("stored in %s for fingerprint %s (%s)\n", db_path->c_str(), fingerprint.c_str(),
              measured_at.c_str());
  return 0;
}

int RunProfiles(const HwFlags& f, const Config& config, const hardware::HardwareReport& report) {
  std::string file = f.profiles_file_given ? f.profiles_file : "";
  auto loaded = router::KnownDeviceProfiles(config, file);
  if (!loaded.ok()) return Fail(loaded.status());
  const std::vector<hardware::DeviceProfile>& known = *loaded;
  if (file.empty()) file = config.String("perf.profiles_file");
  std::vector<std::string> unmatched;
  std::vector<hardware::DeviceProfile> matched =
      hardware::MatchDeviceProfiles(report, known, &unmatched);
  hardware::DeviceProfile cpu = hardware::EstimateCpuProfile(report, 0);
  if (f.json) {
    json list = json::array(), here = json::array();
    for (const auto& p : known) list.push_back(hardware::ToJson(p));
    for (const auto& p : matched) here.push_back(hardware::ToJson(p));
    json out = {{"file", file.empty() ? json("built in") : json(file)},
                {"profiles", list},
                {"matched", here},
                {"unmatched", unmatched},
                {"cpu_estimate", hardware::ToJson(cpu)}};
    std::printf("%s\n", DumpJson(out, 2).c_str());
    return 0;
  }
  std::printf("%-32s %-9s %10s %10s %10s %8s %9s  %s\n", "ID", "PLATFORM", "FP32 TFLOP",
              "FP16 TFLOP", "INT8 TOPS", "MEM GiB", "BW GB/s", "NAME");
  for (const auto& p : known) {
    std::printf("%-32s %-9s %10.2f %10.2f %10.2f %8.0f %9.1f  %s\n", TerminalSafe(p.id).c_str(),
                p.platform.c_str(), p.fp32_flops / 1e12, p.fp16_flops / 1e12, p.int8_ops / 1e12,
                p.memory_bytes / (1 << 30), p.bandwidth_bytes_per_s / 1e9,
                TerminalSafe(p.name).c_str());
  }
  std::printf("\nthis machine:\n");
  for (const auto& p : matched) {
    std::printf("  %s device -> %s (%s)\n", p.platform.c_str(), TerminalSafe(p.id).c_str(),
                TerminalSafe(p.name).c_str());
  }
  for (const auto& u : unmatched) {
    std::printf("  %s -> no profile (add one with --profiles-file)\n", TerminalSafe(u).c_str());
  }
  std::printf("  cpu -> %s (%.0f GFLOP/s fp32 estimated; `hw --calibrate` measures it)\n",
              TerminalSafe(cpu.name).c_str(), cpu.fp32_flops / 1e9);
  return 0;
}

}  // namespace

void RegisterHardwareCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<HwFlags>();
  auto* hw = app.add_subcommand(
      "hw",
      "Detect the hardware platforms (cpu cuda rocm mps openvino qualcomm webnn webgpu), "
      "with their priorities");
  hw->add_flag("--json", f->json, "Print every platform with its capabilities as JSON");
  hw->add_flag("--calibrate", f->calibrate,
               "Measure this CPU (GEMM rate at fp32/bf16/int8, memory bandwidth, cost per node) "
               "per thread count and store it in the results database under the hardware "
               "fingerprint");
  hw->add_option("--threads", f->threads,
                 "--calibrate: thread counts, comma-separated (default 1, 2, 4, ... and all "
                 "cores)")
      ->delimiter(',')
      ->check(CLI::Range(1, 4096));
  hw->add_option("--seconds", f->seconds, "--calibrate: seconds per figure (default 0.5)")
      ->check(CLI::Range(0.01, 600.0));
  auto* db =
      hw->add_option("--db", f->db, "--calibrate: results database file (default as for bench)");
  hw->add_flag("--no-browser-probe", f->no_browser_probe,
               "Do not launch the browser (browser.path, else chromium) to probe WebGPU and WebNN");
  hw->add_flag("--profiles", f->profiles,
               "List the datasheet device profiles and which detected device maps to which");
  auto* profiles_file = hw->add_option(
      "--profiles-file", f->profiles_file,
      "--profiles: a CSV of device profiles instead of the built-in ones (perf.profiles_file)");
  hw->footer(Config::HelpText());
  hw->callback([&ctx, f, db, profiles_file] {
    f->db_given = db->count() > 0;
    f->profiles_file_given = profiles_file->count() > 0;
    ctx.run = [&ctx, f]() -> int {
      auto config = LoadConfig(ctx);
      if (!config.ok()) return Fail(config.status());
      auto view = hardware::RealSystemView();
      hardware::HardwareReport report = hardware::DetectHardware(*view, *config);
      if (f->calibrate) return RunCalibrate(ctx, *f, *config, report);
      if (f->profiles) return RunProfiles(*f, *config, report);
      if (!f->no_browser_probe) ProbeBrowser(*config, f->json, report);
      if (f->json) {
        std::printf("%s\n", DumpJson(hardware::ToJson(report), 2).c_str());
        return 0;
      }
      std::printf("%-9s %-9s %-8s %s\n", "PLATFORM", "AVAILABLE", "PRIORITY", "DETAILS");
      for (const hardware::PlatformInfo& p : hardware::ByPriority(report)) {
        std::printf("%-9s %-9s %-8lld %s\n", p.name.c_str(), p.available ? "yes" : "no",
                    static_cast<long long>(p.priority),
                    TerminalSafe(hardware::Summary(p)).c_str());  // device names, driver text
      }
      std::printf("fingerprint %s\n", hardware::HardwareFingerprint(report).c_str());
      return 0;
    };
  });
}

}  // namespace ipfs_accelerate::cli
