// --offline and the fetch on a miss of run, cat, get and serve: the flag, a progress bar, and
// router::EnsureRefLocal, which decides. And --remote/--peer of run and serve.
#include "router/fetch_on_miss.h"

#include <cstdio>

#include "cli/cli.h"
#include "core/cancel.h"
#include "core/progress.h"
#include "core/terminal_text.h"

namespace ipfs_accelerate::cli {

void AddOfflineFlag(CLI::App* cmd, bool& offline) {
  cmd->add_flag("--offline", offline,
                "Never fetch: a CID the repository lacks is an error (default: fetched from "
                "ipfs.local_node and ipfs.gateway; also ipfs.offline)");
}

void AddRemoteFlags(CLI::App* cmd, std::string& remote, std::vector<std::string>& peers) {
  cmd->add_option("--remote", remote,
                  "Where inference runs: never (here), auto (here or the peer expected to answer "
                  "soonest, from what each node measured and publishes), or a peer's URL; a "
                  "failed peer falls back to the next choice and finally to here (default "
                  "remote.mode: never)");
  cmd->add_option("--peer", peers,
                  "A node --remote may use: http[s]://[KEY@]HOST:PORT, once per peer (also the "
                  "configuration's peers)")
      ->allow_extra_args(false);
}

Status FetchIfMissing(const Context& ctx, const Config& config, const std::string& ref,
                      bool offline, bool quiet) {
  router::MissPolicy policy = router::MissPolicyFromConfig(config, offline);
  ProgressBar bar("fetching", 0, !quiet);
  CancelToken cancel;
  ScopedSignalCancel on_signal(&cancel);  // Ctrl-C: what is stored stays for the next fetch
  auto done = router::EnsureRefLocal(
      ctx.repo_flag, ref, policy, [&bar](const router::FetchProgress& p) { bar.Update(p.bytes); },
      &cancel);
  bar.Finish();
  if (!done.ok()) return done.status();
  if (!quiet && done->blocks > 0) {
    std::fprintf(stderr, "fetched %s: %s, %s from the network\n", TerminalSafe(ref).c_str(),
                 Plural(done->fetched_blocks, "block").c_str(),
                 HumanBytes(static_cast<double>(done->fetched_bytes)).c_str());
  }
  return Status::Ok();
}

}  // namespace ipfs_accelerate::cli
