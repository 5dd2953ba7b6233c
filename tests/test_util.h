// Helpers shared by the unit tests: temporary directories, byte strings, an in-memory block store.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <string_view>

#include "core/file_util.h"
#include "core/status.h"
#include "store/block_store.h"
#include "store/cid.h"
#include "store/multihash.h"
#include "store/varint.h"

namespace ipfs_accelerate::test_util {

// The source tree (tests read tests/<room>/data/ from it) and the ipfs-accelerate binary, written
// by CMake into the build directory's generated/test_paths.cc. Kept out of the compile flags so
// the test objects are the same in every clone and ccache shares them.
const char* SourceDir();
const char* BinPath();

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/ia_unit_XXXXXX";
    char* made = mkdtemp(templ.data());
    EXPECT_NE(made, nullptr) << "mkdtemp failed for " << templ;
    path_ = templ;
  }
  ~TempDir() { RemoveTree(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Passes when `text` contains `needle`, and prints both when it does not.
inline ::testing::AssertionResult HasSubstr(const std::string& text, const std::string& needle) {
  if (text.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << text << "\" does not contain \"" << needle << "\"";
}

inline std::string Hex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// "0a 02 08 01" or "0a020801" -> bytes.
inline std::string Unhex(std::string_view hex) {
  std::string out;
  int hi = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<char>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

// Deterministic, non-repeating-looking content of `n` bytes (the same generator the CID vectors
// in these tests were computed from with the reference importer).
inline std::string PatternBytes(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 31 + (i >> 8) * 7) & 0xff);
  return out;
}

// `n` pseudo-random bytes (xorshift64 from `seed`): no two chunks of a file alike, so a DAG
// imported from them has one block per chunk.
inline std::string DistinctBytes(size_t n, uint64_t seed = 1) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<char>(x >> 56);
  }
  return out;
}

inline std::span<const uint8_t> Span(const std::string& s) { return store::AsBytes(s); }

inline std::string MustRead(const std::string& path) {
  auto r = ReadFile(path);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r.value() : std::string();
}

inline void MustWrite(const std::string& path, const std::string& data) {
  Status s = WriteFileAtomic(path, data);
  ASSERT_TRUE(s.ok()) << s.ToString();
}

// Every regular file below `root` (relative path -> content), to compare a tree before and after.
inline std::map<std::string, std::string> Snapshot(const std::string& root) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> out;
  std::error_code ec;
  if (!fs::exists(root, ec)) return out;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::string rel = fs::relative(it->path(), root).string();
    if (it->is_directory()) {
      out[rel + "/"] = "";
    } else {
      auto r = ReadFile(it->path().string());
      out[rel] = r.ok() ? r.value() : "<unreadable>";
    }
  }
  return out;
}

// Blocks in memory, verified on the way out like the disk store. Tests may tamper with them.
class MemBlockStore : public store::BlockSource, public store::BlockSink {
 public:
  Result<std::string> GetBlock(const store::Cid& cid) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = blocks_.find(cid.multihash());
    if (it == blocks_.end())
      return Status::NotFound("block " + cid.ToString() + " is not in memory");
    Status s = store::VerifyMultihash(cid.multihash(), Span(it->second));
    if (!s.ok()) return s;
    return it->second;
  }

  Status Put(const store::Cid& cid, std::span<const std::span<const uint8_t>> parts) override {
    std::string bytes;
    for (auto p : parts) bytes.append(reinterpret_cast<const char*>(p.data()), p.size());
    std::lock_guard<std::mutex> lock(mu_);
    ++puts_;
    blocks_[cid.multihash()] = std::move(bytes);
    return Status::Ok();
  }

  // Stores `block` under its sha2-256 CID with `codec`, v1 unless `v0`.
  store::Cid PutBlock(const std::string& block, uint64_t codec = store::kCodecDagPb,
                      bool v0 = false) {
    std::string mh = store::Sha256Multihash(Span(block));
    store::Cid cid = v0 ? store::Cid::V0(mh) : store::Cid::V1(codec, mh);
    std::span<const uint8_t> parts[] = {Span(block)};
    EXPECT_TRUE(Put(cid, parts).ok());
    return cid;
  }

  void Corrupt(const store::Cid& cid, size_t offset = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    std::string& b = blocks_.at(cid.multihash());
    b[offset % b.size()] ^= 0x01;
  }
  void Erase(const store::Cid& cid) {
    std::lock_guard<std::mutex> lock(mu_);
    blocks_.erase(cid.multihash());
  }
  bool Has(const store::Cid& cid) const {
    std::lock_guard<std::mutex> lock(mu_);
    return blocks_.count(cid.multihash()) > 0;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return blocks_.size();
  }
  std::set<std::string> multihashes() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::set<std::string> out;
    for (auto& [mh, b] : blocks_) out.insert(mh);
    return out;
  }
  size_t puts() const {
    std::lock_guard<std::mutex> lock(mu_);
    return puts_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> blocks_;
  size_t puts_ = 0;
};

}  // namespace ipfs_accelerate::test_util
