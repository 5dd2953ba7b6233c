#include "store/repo.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/config.h"
#include "core/json_util.h"
#include "store/dag_walk.h"
#include "store/multihash.h"
#include "store/varint.h"

namespace ipfs_accelerate::store {
namespace {

constexpr char kVersion[] = "ipfs-accelerate-repo 1\n";
using Json = nlohmann::json;

Result<Json> LoadJson(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return Json::object();
    return text.status();
  }
  auto j = ParseJson(*text, path);  // bounded nesting, no exceptions
  if (!j.ok() || !j->is_object()) {
    return Status::Corruption(path + " is not a JSON object" +
                              (j.ok() ? "" : " (" + j.status().message() + ")") +
                              "; restore it or delete it");
  }
  return std::move(j).value();
}

}  // namespace

std::string Repo::DefaultPath(const std::string& flag) {
  if (!flag.empty()) return flag;
  // The rule (and its refusal of an empty IPFS_ACCELERATE_PATH) lives in core, shared with the
  // configuration; the CLI resolves and checks the path first and always passes it as `flag`.
  auto path = ResolveRepoPathFromProcess(std::nullopt);
  return path.ok() ? *path : std::string();
}

Repo::Repo(std::string path, FileLock lock, uint64_t cache_bytes)
    : path_(std::move(path)),
      lock_(std::move(lock)),
      blocks_(path_ + "/blocks"),
      cache_(cache_bytes) {}

Result<std::unique_ptr<Repo>> Repo::Open(const std::string& path, Access access,
                                         uint64_t cache_bytes) {
  if (path.empty()) {
    return Status::InvalidArgument(
        "no repository directory given (an empty --repo or IPFS_ACCELERATE_PATH, or no $HOME)");
  }
  IA_RETURN_IF_ERROR(MakeDirs(path + "/blocks/.tmp"));
  std::string version_path = path + "/version";
  auto version = ReadFile(version_path);
  if (version.ok()) {
    if (*version != kVersion) {
      return Status::Unsupported("repository " + path + " has format \"" + version->substr(0, 40) +
                                 "\"; this build reads \"ipfs-accelerate-repo 1\"");
    }
  } else if (version.status().code() == StatusCode::kNotFound) {
    IA_RETURN_IF_ERROR(WriteFileAtomic(version_path, std::string(kVersion)));
  } else {
    return version.status();
  }
  auto mode = access == Access::kShared ? FileLock::Mode::kShared : FileLock::Mode::kExclusive;
  IA_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(path + "/repo.lock", mode));
  auto repo = std::unique_ptr<Repo>(new Repo(path, std::move(lock), cache_bytes));
  repo->access_ = access;
  return repo;
}

Result<std::string> Repo::GetBlock(const Cid& cid) {
  if (auto bytes = IdentityDigest(cid.multihash())) return std::move(*bytes);
  if (auto hit = cache_.Get(cid.multihash())) return *hit;
  IA_ASSIGN_OR_RETURN(std::string bytes, blocks_.GetBlock(cid));
  auto shared = std::make_shared<std::string>(std::move(bytes));
  cache_.Put(cid.multihash(), shared);
  // Not kept by the cache (too large for its budget): ours alone, so no copy.
  if (shared.use_count() == 1) return std::move(*shared);
  return *shared;
}

std::unique_ptr<BlockWriter> Repo::NewWriter(BlockWriter::Publish publish) {
  return std::make_unique<BlockWriter>(&blocks_, publish);
}

Status ValidateAliasName(const std::string& name) {
  if (name.empty() || name.size() > 128)
    return Status::InvalidArgument("alias names are 1 to 128 characters");
  if (name[0] == '.')
    return Status::InvalidArgument("alias \"" + name + "\" must not start with '.'");
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return Status::InvalidArgument("alias \"" + name + "\" has character '" + std::string(1, c) +
                                     "'; use letters, digits, '.', '_' and '-'");
    }
  }
  if (Cid::Parse(name).ok())
    return Status::InvalidArgument("alias \"" + name + "\" would read as a CID");
  return Status::Ok();
}

Result<Cid> Repo::Resolve(const std::string& ref) {
  auto cid = Cid::Parse(ref);
  if (cid.ok()) return cid;
  if (ValidateAliasName(ref).ok()) {
    IA_ASSIGN_OR_RETURN(auto aliases, Aliases());
    auto it = aliases.find(ref);
    if (it != aliases.end()) return it->second;
    return Status::NotFound(
        "\"" + ref +
        "\" is neither a CID nor an alias (see `ipfs-accelerate alias ls`); as a CID: " +
        cid.status().message());
  }
  return cid.status();
}

Status Repo::UpdateJson(const std::string& file,
                        const std::function<Status(std::string&)>& update) {
  IA_ASSIGN_OR_RETURN(FileLock meta,
                      FileLock::Acquire(path_ + "/meta.lock", FileLock::Mode::kExclusive));
  std::string path = path_ + "/" + file;
  IA_ASSIGN_OR_RETURN(Json j, LoadJson(path));
  std::string text = DumpJson(j);
  IA_RETURN_IF_ERROR(update(text));
  return WriteFileAtomic(path, text);
}

Status Repo::Pin(const Cid& root, bool check_dag) {
  if (check_dag) {
    Status walk = WalkDag(*this, root, [](const Cid&, const std::string&) { return Status::Ok(); });
    if (!walk.ok())
      return walk.WithContext("cannot pin " + root.ToString() +
                              ": the DAG is not complete and intact");
  }
  return UpdateJson("pins.json", [&](std::string& text) {
    Json j = Json::parse(text);
    j["recursive"][root.ToString()] = Json::object();
    text = DumpJson(j, 1) + "\n";
    return Status::Ok();
  });
}

Status Repo::Unpin(const Cid& root) {
  return UpdateJson("pins.json", [&](std::string& text) {
    Json j = Json::parse(text);
    if (!j.contains("recursive") || !j["recursive"].contains(root.ToString())) {
      return Status::NotFound(root.ToString() + " is not pinned");
    }
    j["recursive"].erase(root.ToString());
    text = DumpJson(j, 1) + "\n";
    return Status::Ok();
  });
}

Result<std::vector<Cid>> Repo::Pins() {
  IA_ASSIGN_OR_RETURN(Json j, LoadJson(path_ + "/pins.json"));
  std::vector<Cid> out;
  if (!j.contains("recursive")) return out;
  if (!j["recursive"].is_object())
    return Status::Corruption(path_ + "/pins.json: \"recursive\" is not an object");
  for (auto& [key, value] : j["recursive"].items()) {
    auto cid = Cid::Parse(key);
    if (!cid.ok()) return Status::Corruption(path_ + "/pins.json: " + cid.status().message());
    out.push_back(*cid);
  }
  return out;
}

Status Repo::SetAlias(const std::string& name, const Cid& cid) {
  IA_RETURN_IF_ERROR(ValidateAliasName(name));
  return UpdateJson("aliases.json", [&](std::string& text) {
    Json j = Json::parse(text);
    j[name] = cid.ToString();
    text = DumpJson(j, 1) + "\n";
    return Status::Ok();
  });
}

Status Repo::RemoveAlias(const std::string& name) {
  return UpdateJson("aliases.json", [&](std::string& text) {
    Json j = Json::parse(text);
    if (!j.contains(name)) return Status::NotFound("no alias named \"" + name + "\"");
    j.erase(name);
    text = DumpJson(j, 1) + "\n";
    return Status::Ok();
  });
}

Result<std::map<std::string, Cid>> Repo::Aliases() {
  IA_ASSIGN_OR_RETURN(Json j, LoadJson(path_ + "/aliases.json"));
  std::map<std::string, Cid> out;
  for (auto& [key, value] : j.items()) {
    auto cid = value.is_string() ? Cid::Parse(value.get<std::string>())
                                 : Result<Cid>(Status::InvalidArgument("not a string"));
    if (!cid.ok())
      return Status::Corruption(path_ + "/aliases.json: alias \"" + key +
                                "\": " + cid.status().message());
    out[key] = *cid;
  }
  return out;
}

Result<std::vector<Cid>> Repo::Roots() {
  IA_ASSIGN_OR_RETURN(std::vector<Cid> roots, Pins());
  IA_ASSIGN_OR_RETURN(auto aliases, Aliases());
  for (auto& [name, cid] : aliases) roots.push_back(cid);
  return roots;
}

Result<GcStats> Repo::CollectGarbage() {
  if (access_ != Access::kExclusive)
    return Status::Internal("gc needs the repository opened exclusively");
  IA_ASSIGN_OR_RETURN(std::vector<Cid> roots, Roots());
  std::set<std::string> live;  // multihashes: what names a block file (storage, not DAG nodes)
  for (const Cid& root : roots) {
    // A pinned DAG must be intact: deleting around a corrupt or missing block would hide the
    // problem.
    Status s = WalkDag(*this, root, [&](const Cid& cid, const std::string&) {
      live.insert(cid.multihash());
      return Status::Ok();
    });
    if (!s.ok()) {
      return s.WithContext("gc stopped, nothing removed: pinned DAG " + root.ToString() +
                           " (import its missing blocks again with `car import`, or unpin it with "
                           "`pin rm " +
                           root.ToString() + "`)");
    }
  }
  GcStats stats;
  std::vector<std::pair<std::string, std::string>> dead;  // multihash, path
  IA_RETURN_IF_ERROR(blocks_.ForEach([&](const std::string& mh, const std::string& path) {
    if (!mh.empty() && live.count(mh)) {
      stats.blocks_kept++;
    } else if (!mh.empty()) {
      dead.emplace_back(mh, path);
    }
  }));
  for (auto& [mh, path] : dead) {
    struct stat st;
    if (stat(path.c_str(), &st) == 0) stats.bytes_freed += static_cast<uint64_t>(st.st_size);
    IA_RETURN_IF_ERROR(blocks_.Remove(mh));
    cache_.Erase(mh);
    stats.blocks_removed++;
  }
  // With the exclusive lock no writer is running: every temporary file is left from a crash.
  std::error_code ec;
  for (std::filesystem::directory_iterator it(blocks_.TempDir(), ec), end; !ec && it != end;
       it.increment(ec)) {
    std::filesystem::remove(it->path(), ec);
    stats.temp_files_removed++;
  }
  return stats;
}

std::vector<std::string> Repo::StaleTempFiles() {
  std::vector<std::string> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(blocks_.TempDir(), ec), end; !ec && it != end;
       it.increment(ec)) {
    // BlockWriter names them "PID-NONCE-N".
    std::string name = it->path().filename().string();
    int pid = std::atoi(name.c_str());
    if (!ProcessAlive(pid)) out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<VerifyProblem>> Repo::Verify(const std::optional<Cid>& root,
                                                uint64_t* blocks_checked) {
  std::vector<VerifyProblem> problems;
  *blocks_checked = 0;
  // Names blocks as the DAGs that link to them do; reads raw bytes so corrupt blocks do not stop
  // it.
  std::map<std::string, Cid> names;
  // `full`: count and re-hash every block of the DAG. Otherwise (the whole-repository pass, which
  // re-hashes every file anyway) only report what the files cannot show: blocks pinned DAGs miss.
  CidSet seen;
  auto walk = [&](const Cid& start, bool full) {
    std::vector<Cid> stack{start};
    while (!stack.empty()) {
      Cid cid = stack.back();
      stack.pop_back();
      if (!seen.Insert(cid)) continue;
      names.emplace(cid.multihash(), cid);
      std::string path = blocks_.PathFor(cid.multihash());
      auto bytes = blocks_.ReadRaw(cid.multihash());
      if (!bytes.ok()) {
        bool missing = bytes.status().code() == StatusCode::kNotFound;
        if (full || missing) {
          problems.push_back({cid.ToString(), path,
                              missing ? "missing" : "unreadable: " + bytes.status().message()});
        }
        continue;
      }
      if (full) ++*blocks_checked;
      Status ok = VerifyMultihash(cid.multihash(), AsBytes(*bytes));
      if (!ok.ok()) {
        if (full)
          problems.push_back({cid.ToString(), path,
                              ok.code() == StatusCode::kCorruption ? "corrupt" : ok.message()});
        continue;
      }
      auto links = BlockLinks(cid, *bytes);
      if (!links.ok()) {
        // Either way the blocks below it cannot be checked, and gc could not keep them.
        bool unsupported = links.status().code() == StatusCode::kUnsupported;
        problems.push_back(
            {cid.ToString(), path,
             (unsupported ? "links unreadable: " : "undecodable: ") + links.status().message()});
        continue;
      }
      for (auto it = links->rbegin(); it != links->rend(); ++it) stack.push_back(*it);
    }
  };
  if (root) {
    walk(*root, /*full=*/true);
    return problems;
  }
  auto roots = Roots();
  if (!roots.ok()) {
    problems.push_back({"", path_, "pins or aliases unreadable: " + roots.status().message()});
  } else {
    for (const Cid& r : *roots) walk(r, /*full=*/false);
  }
  IA_RETURN_IF_ERROR(blocks_.ForEach([&](const std::string& mh, const std::string& path) {
    if (mh.empty()) {
      problems.push_back({"", path, "stray file (not named by a multihash)"});
      return;
    }
    ++*blocks_checked;
    auto it = names.find(mh);
    std::string name =
        it != names.end() ? it->second.ToString() : Cid::V1(kCodecRaw, mh).ToString();
    auto bytes = ReadFile(path);
    if (!bytes.ok()) {
      problems.push_back({name, path, "unreadable: " + bytes.status().message()});
      return;
    }
    Status ok = VerifyMultihash(mh, AsBytes(*bytes));
    if (!ok.ok())
      problems.push_back(
          {name, path, ok.code() == StatusCode::kCorruption ? "corrupt" : ok.message()});
  }));
  return problems;
}

}  // namespace ipfs_accelerate::store
