// The net room's test builder: a real HTTP server on 127.0.0.1 (port 0) that answers as a
// trustless gateway (raw blocks and CARs) or as Kubo's RPC API would, from blocks in memory, and
// can be told to misbehave; and the DAGs the tests fetch from it.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "../test_util.h"
#include "core/thread_pool.h"
#include "server/http_server.h"
#include "store/car_stream.h"
#include "store/importer.h"
#include "store/unixfs_reader.h"

namespace ipfs_accelerate::net {

// How the server answers raw block requests.
enum class Mode { kGood, kCorrupt, kWrongType, kHuge, kStall, kServerError };

// How it answers CAR requests (?format=car).
enum class CarMode {
  kGood,        // every block below the root, depth first, each once
  kCorrupt,     // the last block's bytes changed (they no longer hash to its CID)
  kUnexpected,  // a valid block that nothing links to, sent after the root
  kTruncated,   // half the CAR, then the connection breaks
  kGarbage,     // bytes that are no CAR header
  kRefuse,      // 406 Not Acceptable
};

class Remote {
 public:
  explicit Remote(bool kubo) : kubo_(kubo) {
    server::HttpServerOptions options;
    options.port = 0;
    options.io_threads = 2;
    auto started = server::HttpServer::Start(
        options, [this](server::HttpRequest r, server::Responder respond) {
          Answer(std::move(r), respond);
        });
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    if (started.ok()) server_ = std::move(started).value();
  }
  ~Remote() {
    if (server_) server_->Stop(0);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  store::Cid Add(const std::string& block) { return blocks_.PutBlock(block, store::kCodecRaw); }
  // Where the server's blocks live (import a DAG straight into it).
  test_util::MemBlockStore& blocks() { return blocks_; }
  void set_mode(Mode m) { mode_ = m; }
  void set_car_mode(CarMode m) { car_mode_ = m; }
  int requests() const { return requests_; }
  int car_requests() const { return car_requests_; }
  // The CIDs asked for as raw blocks, in order.
  std::vector<std::string> raw_asked() {
    std::lock_guard lock(mu_);
    return raw_asked_;
  }
  const server::HttpRequest& last() {
    std::lock_guard lock(mu_);
    return last_;
  }

 private:
  // Pieces of a CAR body, then (kTruncated) an error that breaks the connection.
  class Pieces : public server::BodyStream {
   public:
    Pieces(std::string body, bool break_after) : body_(std::move(body)), break_(break_after) {}
    Result<bool> Next(std::string* out) override {
      if (pos_ >= body_.size()) {
        if (break_) return Status::Unavailable("the test server breaks the CAR here");
        return false;
      }
      const size_t n = std::min<size_t>(4096, body_.size() - pos_);
      out->append(body_, pos_, n);
      pos_ += n;
      return true;
    }

   private:
    std::string body_;
    bool break_;
    size_t pos_ = 0;
  };

  void AnswerCar(const store::Cid& root, const server::Responder& respond) {
    ++car_requests_;
    const CarMode mode = car_mode_;
    if (mode == CarMode::kRefuse) {
      return respond(server::HttpResponse::Error(406, "no CARs here"));
    }
    auto car = store::CarStream::Start(blocks_, root, {});
    if (!car.ok()) return respond(server::HttpResponse::Error(404, car.status().message()));
    std::string body;
    std::vector<size_t> section_ends;
    for (;;) {
      auto more = (*car)->Next(&body);
      if (!more.ok()) return respond(server::HttpResponse::Error(500, more.status().message()));
      if (!*more) break;
      section_ends.push_back(body.size());
    }
    if (mode == CarMode::kCorrupt) body.back() ^= 1;
    if (mode == CarMode::kUnexpected) {
      const std::string stray = "a block nothing links to";
      const store::Cid cid = blocks_.PutBlock(stray, store::kCodecRaw);
      std::string section;
      store::AppendCarSection(section, cid, stray);
      body.insert(section_ends.size() > 1 ? section_ends[1] : body.size(), section);
    }
    if (mode == CarMode::kGarbage) body.replace(0, 8, "\xff\xff\xff\xff\xff\xff\xff\xff");
    if (mode == CarMode::kTruncated) body.resize(body.size() / 2);
    server::HttpResponse out;
    out.content_type = "application/vnd.ipld.car; version=1; order=dfs; dups=n";
    out.stream = std::make_shared<Pieces>(std::move(body), mode == CarMode::kTruncated);
    respond(std::move(out));
  }

  void Answer(server::HttpRequest r, const server::Responder& respond) {
    ++requests_;
    {
      std::lock_guard lock(mu_);
      last_ = r;
    }
    if (mode_ == Mode::kStall) return;  // never answers; Stop closes the connection
    std::string cid_text;
    if (kubo_) {
      if (r.method != "POST") return respond(server::HttpResponse::Error(405, "POST only"));
      cid_text = r.QueryParam("arg").value_or("");
    } else {
      cid_text = r.path.substr(std::string("/ipfs/").size());
    }
    auto cid = store::Cid::Parse(cid_text);
    if (!kubo_ && r.QueryParam("format") == "car" && cid.ok()) return AnswerCar(*cid, respond);
    if (kubo_ && r.path == "/api/v0/dag/export" && cid.ok()) return AnswerCar(*cid, respond);
    {
      std::lock_guard lock(mu_);
      raw_asked_.push_back(cid_text);
    }
    auto block = cid.ok() ? blocks_.GetBlock(*cid) : Result<std::string>(cid.status());
    server::HttpResponse out;
    if (mode_ == Mode::kServerError) {
      return respond(server::HttpResponse::Error(502, "upstream broke"));
    }
    if (!block.ok()) {
      if (!kubo_) return respond(server::HttpResponse::Error(404, "no such block"));
      out.status = 500;
      out.body = std::string("{\"Message\":\"block was not found locally (offline)\",") +
                 "\"Code\":0,\"Type\":\"error\"}";
      return respond(std::move(out));
    }
    out.content_type = kubo_ ? "text/plain" : "application/vnd.ipld.raw";
    out.body = *block;
    if (mode_ == Mode::kCorrupt) out.body[0] ^= 1;
    if (mode_ == Mode::kWrongType) out.content_type = "text/html";
    if (mode_ == Mode::kHuge) out.body.assign(kMaxRemoteBlockBytes + 1, 'x');
    respond(std::move(out));
  }

  bool kubo_;
  test_util::MemBlockStore blocks_;
  std::atomic<Mode> mode_{Mode::kGood};
  std::atomic<CarMode> car_mode_{CarMode::kGood};
  std::atomic<int> requests_{0}, car_requests_{0};
  std::mutex mu_;
  server::HttpRequest last_;
  std::vector<std::string> raw_asked_;
  std::unique_ptr<server::HttpServer> server_;
};

inline constexpr std::chrono::milliseconds kTimeout{5000};

// A file of `content` in 1 KiB leaves, 16 links a node, imported into each of `servers`.
inline store::Cid ImportFile(const std::string& content, std::vector<Remote*> servers) {
  ThreadPool pool(2);
  store::ImportOptions o = store::ImportOptions::ForProfile("unixfs-v1-2025").value();
  o.chunk_size = 1024;
  o.max_links = 16;
  store::Cid root;
  for (Remote* server : servers) {
    store::Importer importer(o, &server->blocks(), &pool);
    root = importer.AddBytes(test_util::Span(content)).value().cid;
  }
  return root;
}

inline std::string ReadFile(store::BlockSource& blocks, const store::Cid& root) {
  store::UnixFsReader reader(&blocks);
  std::string out;
  Status s = reader.ReadFile(root, [&](std::span<const uint8_t> piece) {
    out.append(reinterpret_cast<const char*>(piece.data()), piece.size());
    return Status::Ok();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

}  // namespace ipfs_accelerate::net
