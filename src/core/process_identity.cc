#include "core/process_identity.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "core/parse_number.h"

namespace ipfs_accelerate {
namespace {

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string BootId() {
  std::ifstream f("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(f, id);
  return id;
}

// Field 22 of /proc/PID/stat (starttime), 0 when unreadable. The command name (field 2) may hold
// spaces and parentheses, so the fields are counted from the last ')'.
int64_t StartTicks(int64_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) {
      auto v = ParseInt(field, "starttime", 0);
      return v.ok() ? *v : 0;
    }
  }
  return 0;
}

}  // namespace

ProcessIdentity CurrentProcess() {
  ProcessIdentity id;
  id.host = HostName();
  id.pid = getpid();
  id.boot_id = BootId();
  id.start_ticks = StartTicks(id.pid);
  return id;
}

Liveness CheckProcess(const ProcessIdentity& id) {
  if (id.pid <= 0 || id.host != HostName()) return Liveness::kUnknown;
  const std::string boot = BootId();
  if (!id.boot_id.empty() && !boot.empty() && id.boot_id != boot) return Liveness::kGone;
  if (kill(static_cast<pid_t>(id.pid), 0) != 0 && errno == ESRCH) return Liveness::kGone;
  const int64_t start = StartTicks(id.pid);
  if (id.start_ticks > 0 && start > 0 && start != id.start_ticks) return Liveness::kGone;
  return Liveness::kAlive;
}

}  // namespace ipfs_accelerate
