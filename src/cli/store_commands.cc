// add, cat, get, ls, stat, verify, car, pin, gc, alias: the content-addressed store's commands.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/cli.h"
#include "core/cancel.h"
#include "core/file_util.h"
#include "core/json_util.h"
#include "core/progress.h"
#include "core/terminal_text.h"
#include "core/thread_pool.h"
#include "router/fetch_config.h"
#include "router/fetch_on_miss.h"
#include "router/store_ops.h"
#include "store/car.h"
#include "store/importer.h"
#include "store/repo.h"
#include "store/unixfs_reader.h"

namespace ipfs_accelerate::cli {
namespace {

using Json = nlohmann::json;
using store::Cid;
using store::Repo;

Result<std::unique_ptr<Repo>> OpenRepo(const Context& ctx,
                                       Repo::Access access = Repo::Access::kShared) {
  return Repo::Open(Repo::DefaultPath(ctx.repo_flag), access);
}

// Resolves "CID[/path]", "/ipfs/CID/path" or "alias[/path]" to a CID.
Result<Cid> ResolveRef(Repo& repo, const std::string& ref) {
  std::string root, path;
  store::SplitIpfsPath(ref, &root, &path);
  IA_ASSIGN_OR_RETURN(Cid cid, repo.Resolve(root));
  if (path.empty()) return cid;
  store::UnixFsReader reader(&repo);
  return reader.Resolve(cid, path);
}

uint64_t TotalSize(const std::vector<std::string>& paths) {
  namespace fs = std::filesystem;
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& p : paths) {
    if (fs::is_regular_file(p, ec)) {
      total += fs::file_size(p, ec);
    } else if (fs::is_directory(p, ec)) {
      for (fs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec)) total += it->file_size(ec);
      }
    }
  }
  return total;
}

void PrintJson(const Json& j) { std::printf("%s\n", DumpJson(j, 2).c_str()); }

void RegisterAdd(CLI::App& app, Context& ctx) {
  struct Opts {
    std::vector<std::string> paths;
    bool recursive = false, quiet = false, quieter = false, only_hash = false, wrap = false,
         hidden = false, pin = true, dereference = false;
    std::string profile = "unixfs-v1-2025", chunker, alias, stdin_name;
    int cid_version = -1;
    bool raw_leaves = false;
    int threads = ThreadPool::DefaultThreads();
  };
  auto o = std::make_shared<Opts>();
  auto* cmd =
      app.add_subcommand("add", "Add files or directories to the store and print their CIDs");
  cmd->add_option("paths", o->paths,
                  "Files or directories to add ('-' or none: read standard input)");
  cmd->add_flag("-r,--recursive", o->recursive, "Add directories recursively");
  cmd->add_flag("-q,--quiet", o->quiet, "Print only the CIDs, one per entry");
  cmd->add_flag("-Q,--quieter", o->quieter, "Print only the final root CID");
  cmd->add_flag("-L,--dereference-symlinks", o->dereference,
                "Follow symbolic links and add what they point to (e.g. a Hugging Face cache "
                "snapshot)");
  cmd->add_option("--stdin-name", o->stdin_name,
                  "Name of the data read from standard input (default: its CID)");
  cmd->add_flag("-n,--only-hash", o->only_hash, "Compute CIDs without storing anything");
  cmd->add_flag("-w,--wrap-with-directory", o->wrap, "Wrap the added paths in a directory");
  cmd->add_flag("-H,--hidden", o->hidden, "Include files whose names start with '.'");
  cmd->add_option("--profile", o->profile,
                  "Import profile: unixfs-v1-2025 (default) or unixfs-v0-2015");
  cmd->add_option(
      "--cid-version", o->cid_version,
      "CID version, 0 or 1; as in Kubo, 1 implies --raw-leaves and 0 implies "
      "--raw-leaves=false unless --raw-leaves is given (a raw block's CID is always v1)");
  auto* raw = cmd->add_flag("--raw-leaves", o->raw_leaves,
                            "Store file chunks as raw blocks (--raw-leaves=false: dag-pb)");
  cmd->add_option("--chunker", o->chunker, "Chunker: size-N, N bytes per chunk (at most 1048576)");
  cmd->add_option("--threads", o->threads, "Hashing threads (default: the number of cores)")
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--pin,!--no-pin", o->pin,
                "Pin the added roots (default true; --pin=false to skip)");
  cmd->add_option("--alias", o->alias, "Also point this alias name at the final root");
  cmd->callback([&ctx, o, raw] {
    ctx.run = [&ctx, o, raw]() -> int {
      auto options = store::ImportOptions::ForProfile(o->profile);
      if (!options.ok()) return Fail(options.status());
      options->hidden = o->hidden;
      options->dereference_symlinks = o->dereference;
      // `--pin false` reads "false" as a path (flags take no separate value): say so.
      for (const std::string& p : o->paths) {
        if ((p == "false" || p == "true") && !std::filesystem::exists(p)) {
          return Fail(Status::InvalidArgument("no file named \"" + p +
                                              "\"; to set the flag, write --pin=" + p));
        }
      }
      bool from_stdin = o->paths.empty() || (o->paths.size() == 1 && o->paths[0] == "-");
      if (from_stdin && isatty(STDIN_FILENO)) {
        return Fail(
            Status::InvalidArgument("nothing to add: name files or directories, or pipe data in "
                                    "(echo hi | ipfs-accelerate add)"));
      }
      bool raw_given = raw->count() > 0;
      if (raw_given) options->raw_leaves = o->raw_leaves;
      if (o->cid_version >= 0) {
        if (Status s = options->SetCidVersion(o->cid_version, raw_given); !s.ok()) return Fail(s);
      }
      if (!o->chunker.empty()) {
        if (Status s = options->SetChunker(o->chunker); !s.ok()) return Fail(s);
      }
      router::AddRequest request;
      request.options = std::move(options).value();
      if (from_stdin) {
        request.fd = STDIN_FILENO;
        request.fd_name = o->stdin_name;
      } else {
        request.paths = o->paths;
      }
      request.recursive = o->recursive;
      request.wrap = o->wrap;
      request.pin = o->pin;
      request.alias = o->alias;
      std::unique_ptr<Repo> repo;
      if (!o->only_hash) {
        auto r = OpenRepo(ctx);
        if (!r.ok()) return Fail(r.status());
        repo = std::move(r).value();
      }
      ThreadPool pool(o->threads);
      bool quiet = o->quiet || o->quieter;
      ProgressBar bar("adding", from_stdin ? 0 : TotalSize(o->paths), !quiet);
      auto added = router::AddPaths(
          repo.get(), request, &pool, [&bar](uint64_t done) { bar.Update(done); },
          /*cancel=*/nullptr);
      bar.Finish();
      if (!added.ok()) return Fail(added.status());
      // Every file and directory as it was added, as `ipfs add` prints them.
      if (o->quieter) {
        std::printf("%s\n", added->roots.back().ToString().c_str());
      } else {
        for (const auto& [path, cid] : added->entries) {
          if (o->quiet) {
            std::printf("%s\n", cid.ToString().c_str());
          } else {
            std::printf("added %s %s\n", cid.ToString().c_str(), TerminalSafe(path).c_str());
          }
        }
      }
      return 0;
    };
  });
}

void RegisterReadCommands(CLI::App& app, Context& ctx) {
  auto ref = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);

  auto* cat = app.add_subcommand(
      "cat", "Write files' bytes to stdout, one after the other (every block is verified first)");
  auto refs = std::make_shared<std::vector<std::string>>();
  auto offset = std::make_shared<uint64_t>(0);
  auto length = std::make_shared<int64_t>(-1);
  auto offline = std::make_shared<bool>(false);
  cat->add_option("refs", *refs, "CID[/path] or alias[/path] of each file")->required();
  cat->add_option("-o,--offset", *offset, "Byte offset to begin reading from");
  cat->add_option("-l,--length", *length, "Maximum number of bytes to read");
  AddOfflineFlag(cat, *offline);
  cat->callback([&ctx, refs, offset, length, offline] {
    ctx.run = [&ctx, refs, offset, length, offline]() -> int {
      auto config = LoadConfig(ctx);
      if (!config.ok()) return Fail(config.status());
      for (const std::string& ref : *refs) {
        if (Status s = FetchIfMissing(ctx, *config, ref, *offline, false); !s.ok()) return Fail(s);
      }
      auto repo = OpenRepo(ctx);
      if (!repo.ok()) return Fail(repo.status());
      // As Kubo does: the offset and length apply to the files' concatenation.
      uint64_t skip = *offset;
      uint64_t remaining = *length < 0 ? UINT64_MAX : static_cast<uint64_t>(*length);
      store::UnixFsReader reader(repo->get());
      for (const std::string& ref : *refs) {
        auto cid = ResolveRef(**repo, ref);
        if (!cid.ok()) return Fail(cid.status());
        auto st = reader.Stat(*cid);
        if (!st.ok()) return Fail(st.status());
        if (st->type == "directory") {
          return Fail(Status::InvalidArgument(ref + " is a directory; use `get` or `ls`"));
        }
        if (skip >= st->size) {
          skip -= st->size;
          continue;
        }
        uint64_t n = std::min(remaining, st->size - skip);
        Status s = reader.ReadFileRange(*cid, skip, n, [](std::span<const uint8_t> bytes) {
          return WriteAll(STDOUT_FILENO, bytes.data(), bytes.size(), "stdout");
        });
        if (!s.ok()) return Fail(s);
        skip = 0;
        remaining -= n;
        if (remaining == 0) break;
      }
      return 0;
    };
  });

  auto* get = app.add_subcommand("get", "Write a file or directory from the store to disk");
  get->add_option("ref", *ref, "CID[/path] or alias[/path]")->required();
  get->add_option("-o,--output", *out, "Where to write it (must not exist; default: the CID)");
  AddOfflineFlag(get, *offline);
  get->callback([&ctx, ref, out, offline] {
    ctx.run = [&ctx, ref, out, offline]() -> int {
      auto config = LoadConfig(ctx);
      if (!config.ok()) return Fail(config.status());
      if (Status s = FetchIfMissing(ctx, *config, *ref, *offline, false); !s.ok()) return Fail(s);
      auto repo = OpenRepo(ctx);
      if (!repo.ok()) return Fail(repo.status());
      auto cid = ResolveRef(**repo, *ref);
      if (!cid.ok()) return Fail(cid.status());
      std::string dest = out->empty() ? cid->ToString() : *out;
      store::UnixFsReader reader(repo->get());
      auto st = reader.Stat(*cid);
      if (!st.ok()) return Fail(st.status());
      ProgressBar bar("getting", st->type == "directory" ? 0 : st->size);
      CancelToken cancel;
      ScopedSignalCancel on_signal(&cancel);  // Ctrl-C removes the partial output
      Status s = reader.Get(
          *cid, dest, [&bar](uint64_t done) { bar.Update(done); }, &cancel);
      bar.Finish();
      if (!s.ok()) return Fail(s);
      std::fprintf(stderr, "saved %s to %s\n", cid->ToString().c_str(), TerminalSafe(dest).c_str());
      return 0;
    };
  });

  auto* ls = app.add_subcommand("ls", "List a directory's entries");
  ls->add_option("ref", *ref, "CID[/path] or alias[/path] of a directory (or a file)")->required();
  ls->add_flag("--json", *json, "Print JSON");
  ls->callback([&ctx, ref, json] {
    ctx.run = [&ctx, ref, json]() -> int {
      auto repo = OpenRepo(ctx);
      if (!repo.ok()) return Fail(repo.status());
      auto cid = ResolveRef(**repo, *ref);
      if (!cid.ok()) return Fail(cid.status());
      store::UnixFsReader reader(repo->get());
      auto st = reader.Stat(*cid);
      if (!st.ok()) return Fail(st.status());
      std::vector<store::DirEntry> file;  // `ls` of a file lists the file itself, as ls(1) does
      if (st->type != "directory") {
        std::string name = *ref;
        if (auto slash = name.find_last_of('/'); slash != std::string::npos)
          name = name.substr(slash + 1);
        file.push_back({name, *cid, st->type, st->size});
      }
      auto entries = file.empty() ? reader.List(*cid) : Result<std::vector<store::DirEntry>>(file);
      if (!entries.ok()) return Fail(entries.status());
      if (*json) {
        Json arr = Json::array();
        for (const auto& e : *entries) {
          arr.push_back(
              {{"name", e.name}, {"cid", e.cid.ToString()}, {"type", e.type}, {"size", e.size}});
        }
        PrintJson(arr);
      } else {
        for (const auto& e : *entries) {
          std::printf("%s %llu %s%s\n", e.cid.ToString().c_str(),
                      static_cast<unsigned long long>(e.size), TerminalSafe(e.name).c_str(),
                      e.type == "directory" ? "/" : "");
        }
      }
      return 0;
    };
  });

  auto* stat = app.add_subcommand("stat", "Show a DAG node's type and sizes");
  stat->add_option("ref", *ref, "CID[/path] or alias[/path]")->required();
  stat->add_flag("--json", *json, "Print JSON");
  stat->callback([&ctx, ref, json] {
    ctx.run = [&ctx, ref, json]() -> int {
      auto repo = OpenRepo(ctx);
      if (!repo.ok()) return Fail(repo.status());
      auto cid = ResolveRef(**repo, *ref);
      if (!cid.ok()) return Fail(cid.status());
      store::UnixFsReader reader(repo->get());
      auto st = reader.Stat(*cid);
      if (!st.ok()) return Fail(st.status());
      Json j = {{"cid", st->cid.ToString()},
                {"codec", store::CodecName(st->cid.codec())},
                {"version", st->cid.version()},
                {"type", st->type},
                {"size", st->size},
                {"cumulative_size", st->cumulative_size},
                {"block_size", st->block_size},
                {"links", st->links}};
      if (*json) {
        PrintJson(j);
      } else {
        for (auto& [k, v] : j.items())
          std::printf("%-16s %s\n", (k + ":").c_str(),
                      v.is_string() ? v.get<std::string>().c_str() : DumpJson(v).c_str());
      }
      return 0;
    };
  });

  auto* verify = app.add_subcommand(
      "verify", "Re-hash every block (or every block of one DAG); exit 1 if any is bad");
  auto vref = std::make_shared<std::string>();
  verify->add_option("ref", *vref,
                     "CID or alias of a DAG (default: every block in the repository)");
  verify->add_flag("--json", *json, "Print JSON");
  verify->callback([&ctx, vref, json] {
    ctx.run = [&ctx, vref, json]() -> int {
      auto repo = OpenRepo(ctx);
      if (!repo.ok()) return Fail(repo.status());
      std::optional<Cid> root;
      if (!vref->empty()) {
        auto cid = ResolveRef(**repo, *vref);
        if (!cid.ok()) return Fail(cid.status());
        root = *cid;
      }
      uint64_t checked = 0;
      auto problems = (*repo)->Verify(root, &checked);
      if (!problems.ok()) return Fail(problems.status());
      // Not damage (no block is half written), but space a stopped import left behind.
      std::vector<std::string> stale = (*repo)->StaleTempFiles();
      if (*json) {
        Json bad = Json::array();
        for (const auto& p : *problems)
          bad.push_back({{"cid", p.cid}, {"path", p.path}, {"problem", p.reason}});
        PrintJson({{"blocks_checked", checked},
                   {"ok", problems->empty()},
                   {"problems", bad},
                   {"stale_temp_files", stale}});
      } else {
        for (const auto& p : *problems)
          std::printf("%s %s (%s)\n", TerminalSafe(p.reason).c_str(), p.cid.c_str(),
                      TerminalSafe(p.path).c_str());
        if (!stale.empty()) {
          std::printf("%s left by stopped imports (not blocks; `gc` removes them)\n",
                      Plural(stale.size(), "stale temporary file").c_str());
        }
        std::printf(
            "verified %s: %s\n", Plural(checked, "block").c_str(),
            problems->empty() ? "all intact" : (std::to_string(problems->size()) + " bad").c_str());
      }
      return problems->empty() ? 0 : 1;
    };
  });
}

void RegisterCarCommands(CLI::App& app, Context& ctx) {
  auto* car = app.add_subcommand("car", "Export and import CAR v1 archives");
  car->require_subcommand(1);
  auto ref = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto pin = std::make_shared<bool>(true);

  auto* exp = car->add_subcommand("export", "Write the DAG below a CID to a CAR file");
  exp->add_option("ref", *ref, "CID[/path] or alias")->required();
  exp->add_option("-o,--output", *out, "CAR file to write, which must not exist ('-' for stdout)")
      ->required();
  exp->callback([&ctx, ref, out] {
    ctx.run = [&ctx, ref, out]() -> int {
      auto repo = OpenRepo(ctx);
      if (!repo.ok()) return Fail(repo.status());
      auto cid = ResolveRef(**repo, *ref);
      if (!cid.ok()) return Fail(cid.status());
      store::UnixFsReader reader(repo->get());
      auto st = reader.Stat(*cid);
      ProgressBar bar("exporting", st.ok() ? st->cumulative_size : 0, *out != "-");
      CancelToken cancel;
      ScopedSignalCancel on_signal(&cancel);  // Ctrl-C removes the partial file
      Status s = store::ExportCar(
          **repo, *cid, *out, [&bar](uint64_t done) { bar.Update(done); }, &cancel);
      bar.Finish();
      return s.ok() ? 0 : Fail(s);
    };
  });

  auto* imp = car->add_subcommand(
      "import", "Import a CAR file (all blocks verified; all or nothing); print its roots");
  imp->add_option("file", *file, "CAR v1 file ('-' for stdin)")->required();
  imp->add_flag("--pin,!--no-pin", *pin, "Pin the roots (default true)");
  imp->callback([&ctx, file, pin] {
    ctx.run = [&ctx, file, pin]() -> int {
      auto repo = OpenRepo(ctx);
      if (!repo.ok()) return Fail(repo.status());
      if ((*file == "false" || *file == "true") && !std::filesystem::exists(*file)) {
        return Fail(Status::InvalidArgument("no file named \"" + *file +
                                            "\"; to set the flag, write --pin=" + *file));
      }
      UniqueFd fd(*file == "-" ? dup(STDIN_FILENO) : open(file->c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd.valid()) return Fail(Status::FromErrno("cannot open", *file, errno));
      std::error_code ec;
      uint64_t total = *file == "-" ? 0 : std::filesystem::file_size(*file, ec);
      ProgressBar bar("importing", total);
      store::FdReader reader(fd.get(), *file);
      auto roots =
          router::ImportCarFile(reader, **repo, *pin, [&bar](uint64_t done) { bar.Update(done); });
      bar.Finish();
      if (!roots.ok()) return Fail(roots.status());
      for (const Cid& root : *roots) std::printf("%s\n", root.ToString().c_str());
      return 0;
    };
  });
}

void RegisterPinAndAliasCommands(CLI::App& app, Context& ctx) {
  auto refs = std::make_shared<std::vector<std::string>>();
  auto json = std::make_shared<bool>(false);
  auto* pin = app.add_subcommand("pin", "Keep DAGs from garbage collection");
  pin->require_subcommand(1);
  for (bool add : {true, false}) {
    auto* c = pin->add_subcommand(
        add ? "add" : "rm",
        add ? "Pin DAGs (recursively; the DAG must be complete)" : "Unpin DAGs");
    c->add_option("refs", *refs, "CIDs or aliases")->required();
    c->callback([&ctx, refs, add] {
      ctx.run = [&ctx, refs, add]() -> int {
        auto repo = OpenRepo(ctx);
        if (!repo.ok()) return Fail(repo.status());
        for (const auto& r : *refs) {
          auto cid = ResolveRef(**repo, r);
          if (!cid.ok()) return Fail(cid.status());
          Status s = add ? (*repo)->Pin(*cid) : (*repo)->Unpin(*cid);
          if (!s.ok()) return Fail(s);
          std::printf("%s %s\n", add ? "pinned" : "unpinned", cid->ToString().c_str());
        }
        return 0;
      };
    });
  }
  auto* ls = pin->add_subcommand("ls", "List pinned roots");
  ls->add_flag("--json", *json, "Print JSON");
  ls->callback([&ctx, json] {
    ctx.run = [&ctx, json]() -> int {
      auto repo = OpenRepo(ctx);
      if (!repo.ok()) return Fail(repo.status());
      auto pins = (*repo)->Pins();
      if (!pins.ok()) return Fail(pins.status());
      Json arr = Json::array();
      for (const Cid& c : *pins) {
        if (*json)
          arr.push_back({{"cid", c.ToString()}, {"type", "recursive"}});
        else
          std::printf("%s recursive\n", c.ToString().c_str());
      }
      if (*json) PrintJson(arr);
      return 0;
    };
  });

  auto* gc = app.add_subcommand("gc", "Delete blocks that no pin or alias reaches");
  gc->callback([&ctx] {
    ctx.run = [&ctx]() -> int {
      std::string path = Repo::DefaultPath(ctx.repo_flag);
      {
        auto probe =
            FileLock::Acquire(path + "/repo.lock", FileLock::Mode::kExclusive, /*wait=*/false);
        if (!probe.ok() && probe.status().code() == StatusCode::kBusy) {
          std::fprintf(stderr,
                       "waiting for other ipfs-accelerate processes using %s to finish...\n",
                       path.c_str());
        }
      }
      auto repo = OpenRepo(ctx, Repo::Access::kExclusive);
      if (!repo.ok()) return Fail(repo.status());
      auto stats = (*repo)->CollectGarbage();
      if (!stats.ok()) return Fail(stats.status());
      std::printf("removed %s (%s), %s; kept %s\n", Plural(stats->blocks_removed, "block").c_str(),
                  HumanBytes(stats->bytes_freed).c_str(),
                  Plural(stats->temp_files_removed, "stale temporary file").c_str(),
                  Plural(stats->blocks_kept, "block").c_str());
      return 0;
    };
  });

  auto* alias = app.add_subcommand("alias", "Mutable names for CIDs (e.g. ppocr-v4)");
  alias->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  auto* set = alias->add_subcommand("set", "Point NAME at a CID");
  set->add_option("name", *name, "Alias name: letters, digits, '.', '_', '-'")->required();
  set->add_option("ref", *target, "CID[/path] or another alias")->required();
  set->callback([&ctx, name, target] {
    ctx.run = [&ctx, name, target]() -> int {
      auto repo = OpenRepo(ctx);
      if (!repo.ok()) return Fail(repo.status());
      auto cid = ResolveRef(**repo, *target);
      if (!cid.ok()) return Fail(cid.status());
      Status s = (*repo)->SetAlias(*name, *cid);
      if (!s.ok()) return Fail(s);
      std::printf("%s -> %s\n", name->c_str(), cid->ToString().c_str());
      return 0;
    };
  });
  auto* rm = alias->add_subcommand("rm", "Remove an alias");
  rm->add_option("name", *name, "Alias name")->required();
  rm->callback([&ctx, name] {
    ctx.run = [&ctx, name]() -> int {
      auto repo = OpenRepo(ctx);
      if (!repo.ok()) return Fail(repo.status());
      Status s = (*repo)->RemoveAlias(*name);
      return s.ok() ? 0 : Fail(s);
    };
  });
  auto* als = alias->add_subcommand("ls", "List aliases");
  als->add_flag("--json", *json, "Print JSON");
  als->callback([&ctx, json] {
    ctx.run = [&ctx, json]() -> int {
      auto repo = OpenRepo(ctx);
      if (!repo.ok()) return Fail(repo.status());
      auto aliases = (*repo)->Aliases();
      if (!aliases.ok()) return Fail(aliases.status());
      Json obj = Json::object();
      for (const auto& [n, c] : *aliases) {
        if (*json)
          obj[n] = c.ToString();
        else
          std::printf("%s %s\n", n.c_str(), c.ToString().c_str());
      }
      if (*json) PrintJson(obj);
      return 0;
    };
  });
}

}  // namespace

void RegisterFetch(CLI::App& app, Context& ctx) {
  auto root = std::make_shared<std::string>();
  auto request = std::make_shared<router::FetchRequest>();
  auto timeout_s = std::make_shared<double>(30);
  auto json = std::make_shared<bool>(false);
  auto* fetch = app.add_subcommand(
      "fetch",
      "Store the whole DAG below a CID, fetching the blocks the repository lacks from a local "
      "IPFS node or trustless gateways (every block verified against its CID; a stopped fetch "
      "resumes where it stopped)");
  fetch->add_option("cid", *root, "CID of the DAG's root")->required();
  fetch
      ->add_option("--from", request->gateways,
                   "Trustless gateway URL (e.g. http://127.0.0.1:8080), asked in the order given; "
                   "repeat for more (default: ipfs.gateway, and ipfs.local_node before it)")
      ->allow_extra_args(false);
  fetch->add_option("--local-node", request->local_node,
                    "A local IPFS node's RPC API (Kubo), asked before the gateways, "
                    "e.g. http://127.0.0.1:5001 (default: ipfs.local_node unless --from is given)");
  fetch
      ->add_option("--router", request->routers,
                   "Delegated routing URL (HTTP Routing V1) asked for providers of the CID; their "
                   "gateways are tried after the --from ones; repeat for more")
      ->allow_extra_args(false);
  auto* timeout_option =
      fetch
          ->add_option("--timeout", *timeout_s,
                       "Seconds each block request may take, and a CAR stream may go without "
                       "bytes (default ipfs.timeout, 30)")
          ->check(CLI::PositiveNumber);
  fetch
      ->add_option("--window", request->window,
                   "Block requests in flight at once, across sources, for what is fetched "
                   "block by block rather than as CARs (default 8)")
      ->check(CLI::Range(1, 256));
  auto* retries_option =
      fetch
          ->add_option("--retries", request->retries,
                       "More tries of a block after a transient failure, with backoff (default "
                       "ipfs.retry_count, 3)")
          ->check(CLI::Range(0, 100));
  fetch->add_flag("--pin,!--no-pin", request->pin, "Pin the root once stored (default true)");
  fetch->add_flag("--json", *json, "Print the result as JSON");
  fetch->callback([&ctx, root, request, timeout_s, timeout_option, retries_option, json] {
    ctx.run = [&ctx, root, request, timeout_s, timeout_option, retries_option, json]() -> int {
      auto cid = Cid::Parse(*root);
      if (!cid.ok()) return Fail(cid.status());
      auto config = LoadConfig(ctx);
      if (!config.ok()) return Fail(config.status());
      // The sources on the command line, else the configured ones.
      router::FetchRequest sources = router::FetchRequestFromConfig(*config);
      if (!request->gateways.empty() || !request->local_node.empty() || !request->routers.empty()) {
        sources.local_node = request->local_node;
        sources.gateways.clear();
        for (const std::string& url : request->gateways) {
          sources.gateways.push_back(router::GatewayBaseUrl(url));
        }
        sources.routers = request->routers;
      }
      if (timeout_option->count() > 0) {
        sources.timeout = std::chrono::milliseconds(static_cast<int64_t>(*timeout_s * 1000));
      }
      if (retries_option->count() > 0) sources.retries = request->retries;
      sources.window = request->window;
      sources.pin = request->pin;
      auto repo = OpenRepo(ctx);
      if (!repo.ok()) return Fail(repo.status());
      ProgressBar bar("fetching", 0, !*json);
      CancelToken cancel;
      ScopedSignalCancel on_signal(&cancel);  // Ctrl-C: what is stored stays for the next fetch
      auto done = router::FetchFromSources(
          **repo, *cid, sources,
          [&bar](const router::FetchProgress& p) {
            std::string detail = std::to_string(p.blocks) + " blocks";
            if (!p.source.empty())
              detail += ", " + std::to_string(p.fetched_blocks) + " from " + p.source;
            bar.Update(p.bytes, detail);
          },
          &cancel);
      bar.Finish();
      if (!done.ok()) return Fail(done.status());
      if (*json) {
        Json out = {{"cid", cid->ToString()},
                    {"blocks", done->blocks},
                    {"bytes", done->bytes},
                    {"fetched_blocks", done->fetched_blocks},
                    {"fetched_bytes", done->fetched_bytes},
                    {"pinned", request->pin}};
        std::printf("%s\n", out.dump().c_str());
      } else {
        std::printf(
            "fetched %s: %llu blocks, %llu bytes (%llu blocks, %llu bytes from the "
            "network; the rest were stored already)%s\n",
            cid->ToString().c_str(), static_cast<unsigned long long>(done->blocks),
            static_cast<unsigned long long>(done->bytes),
            static_cast<unsigned long long>(done->fetched_blocks),
            static_cast<unsigned long long>(done->fetched_bytes), request->pin ? ", pinned" : "");
      }
      return 0;
    };
  });
}

void RegisterStoreCommands(CLI::App& app, Context& ctx) {
  RegisterAdd(app, ctx);
  RegisterFetch(app, ctx);
  RegisterReadCommands(app, ctx);
  RegisterCarCommands(app, ctx);
  RegisterPinAndAliasCommands(app, ctx);
}

}  // namespace ipfs_accelerate::cli
