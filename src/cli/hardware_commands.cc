// hw: what hardware is here, in the order the router will try it.
#include <cstdio>

#include "cli/cli.h"
#include "core/config.h"
#include "hardware/platform.h"

namespace ipfs_accelerate::cli {

void RegisterHardwareCommands(CLI::App& app, Context& ctx) {
  auto json = std::make_shared<bool>(false);
  auto sets = std::make_shared<std::vector<std::string>>();
  auto* hw = app.add_subcommand(
      "hw",
      "Detect the hardware platforms (cpu cuda rocm mps openvino qualcomm webnn webgpu), "
      "with their priorities");
  hw->add_flag("--json", *json, "Print every platform with its capabilities as JSON");
  // Also accepted after `hw`, so `hw --set priorities.cpu=7` means what it says. A vector of its
  // own: CLI11 assigns an option's vector whole, which would drop the global --set values.
  hw->add_option("--set", *sets, "KEY=VALUE configuration setting (repeatable)");
  hw->footer(Config::HelpText());
  hw->callback([&ctx, json, sets] {
    ctx.run = [&ctx, json, sets]() -> int {
      std::vector<std::string> overrides = ctx.config_overrides;
      overrides.insert(overrides.end(), sets->begin(), sets->end());
      auto config = Config::LoadFromProcess(std::move(overrides));
      if (!config.ok()) return Fail(config.status());
      auto view = hardware::RealSystemView();
      hardware::HardwareReport report = hardware::DetectHardware(*view, *config);
      if (*json) {
        std::printf("%s\n", hardware::ToJson(report).dump(2).c_str());
        return 0;
      }
      std::printf("%-9s %-9s %-8s %s\n", "PLATFORM", "AVAILABLE", "PRIORITY", "DETAILS");
      for (const hardware::PlatformInfo& p : hardware::ByPriority(report)) {
        std::printf("%-9s %-9s %-8lld %s\n", p.name.c_str(), p.available ? "yes" : "no",
                    static_cast<long long>(p.priority), hardware::Summary(p).c_str());
      }
      std::printf("fingerprint %s\n", hardware::HardwareFingerprint(report).c_str());
      return 0;
    };
  });
}

}  // namespace ipfs_accelerate::cli
