// hw: what hardware is here, in the order the router will try it.
#include <cstdio>

#include "cli/cli.h"
#include "core/config.h"
#include "core/json_util.h"
#include "core/terminal_text.h"
#include "hardware/platform.h"

namespace ipfs_accelerate::cli {

void RegisterHardwareCommands(CLI::App& app, Context& ctx) {
  auto json = std::make_shared<bool>(false);
  auto* hw = app.add_subcommand(
      "hw",
      "Detect the hardware platforms (cpu cuda rocm mps openvino qualcomm webnn webgpu), "
      "with their priorities");
  hw->add_flag("--json", *json, "Print every platform with its capabilities as JSON");
  hw->footer(Config::HelpText());
  hw->callback([&ctx, json] {
    ctx.run = [&ctx, json]() -> int {
      auto config = LoadConfig(ctx);
      if (!config.ok()) return Fail(config.status());
      auto view = hardware::RealSystemView();
      hardware::HardwareReport report = hardware::DetectHardware(*view, *config);
      if (*json) {
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
