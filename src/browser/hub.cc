#include "browser/hub.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>

#include "browser/frames.h"
#include "core/log.h"

namespace ipfs_accelerate::browser {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxPageMessage = 1000;  // of a page's error text kept in ours

// One request to a worker, answered by one message (or failed by the hub).
struct Call {
  bool done = false;
  Status status;       // the failure, when not ok
  std::string reason;  // the failure's kind for the stats (HubStats::failures)
  json answer;         // a text answer
  Frame frame;         // a binary answer
};

struct Worker {
  WorkerInfo info;
  std::shared_ptr<server::WebSocketChannel> channel;
  bool hello = false;
  bool gone = false;
  std::map<uint64_t, std::shared_ptr<Call>> calls;     // sent, not yet answered
  std::map<std::string, std::shared_ptr<Call>> loads;  // "cid ep" being loaded
  std::set<std::string> loaded;                        // "cid ep"
};

std::string Clip(std::string s) {
  if (s.size() > kMaxPageMessage) s = s.substr(0, kMaxPageMessage) + "…";
  return s;
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

}  // namespace

struct Hub::State {
  HubOptions options;
  mutable std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<Worker>> workers;  // connected (hello or not)
  uint64_t next_worker = 0, next_id = 0;
  HubStats stats;
  bool closed = false;

  // Marks `w` gone and fails its calls with `why`. Needs mu.
  void Drop(Worker& w, const std::string& why, const std::string& reason) {
    if (w.gone) return;
    w.gone = true;
    for (auto& [id, call] : w.calls) {
      call->done = true;
      call->status = Status::Unavailable("browser worker " + w.info.id + " " + why);
      call->reason = reason;
    }
    w.calls.clear();
    workers.erase(std::remove_if(workers.begin(), workers.end(),
                                 [&](const std::shared_ptr<Worker>& p) { return p.get() == &w; }),
                  workers.end());
    cv.notify_all();
    Log(options.events, "browser: worker " + w.info.id + " (" + w.info.remote + ") " + why);
  }

  // Disconnects `w` for breaking the protocol or ignoring us. Needs mu.
  void Expel(Worker& w, const std::string& why, const std::string& reason) {
    if (w.channel) w.channel->Close(1008, why);
    Drop(w, "was disconnected: " + why, reason);
  }

  // Sends `call`'s request (text or a frame) to `w` and registers it. Needs mu.
  uint64_t Start(Worker& w, const std::shared_ptr<Call>& call) {
    uint64_t id = ++next_id;
    w.calls[id] = call;
    return id;
  }

  // Waits for `call` (sent to `w` as `what`) until `deadline`; on timeout the worker is
  // disconnected (it reconnects fresh). Needs mu, held by `lock`.
  Status Wait(std::unique_lock<std::mutex>& lock, Worker& w, uint64_t id,
              const std::shared_ptr<Call>& call, Clock::time_point deadline, double limit_s,
              const std::string& what, const CancelToken* cancel, std::string* reason) {
    while (!call->done) {
      if (cancel) {
        Status c = cancel->Check(what);
        if (!c.ok()) {
          w.calls.erase(id);
          *reason = "cancelled";
          return c;
        }
      }
      if (Clock::now() >= deadline) {
        w.calls.erase(id);
        std::string why = "did not answer " + what + " within " + Seconds(limit_s);
        Expel(w, why, "timeout");
        *reason = "timeout";
        return Status::DeadlineExceeded("browser worker " + w.info.id + " " + why +
                                        " (raise browser.run_timeout_s or "
                                        "browser.load_timeout_s for slow devices)");
      }
      cv.wait_until(lock, std::min(deadline, Clock::now() + std::chrono::milliseconds(100)));
    }
    *reason = call->reason;
    return call->status;
  }
};

namespace {

// The WebSocket of one page.
class Connection : public server::WebSocketHandler {
 public:
  explicit Connection(std::weak_ptr<Hub::State> state) : state_(std::move(state)) {}

  void OnOpen(std::shared_ptr<server::WebSocketChannel> channel) override {
    auto s = state_.lock();
    if (!s) return channel->Close(1001, "the server is stopping");
    std::lock_guard lock(s->mu);
    if (s->closed) return channel->Close(1001, "the server is stopping");
    if (static_cast<int>(s->workers.size()) >= s->options.max_workers) {
      return channel->Close(1013, "this node has " + std::to_string(s->options.max_workers) +
                                      " browser workers already (browser.max_workers)");
    }
    worker_ = std::make_shared<Worker>();
    worker_->info.id = "w" + std::to_string(++s->next_worker);
    worker_->info.remote = channel->remote();
    worker_->channel = std::move(channel);
    s->workers.push_back(worker_);
  }

  void OnMessage(std::string message, bool binary) override {
    auto s = state_.lock();
    if (!s || !worker_) return;
    // A result's tensors are decoded (copied) before the hub's lock is taken.
    std::optional<Result<Frame>> frame;
    if (binary) frame = DecodeFrame(message);
    std::lock_guard lock(s->mu);
    if (worker_->gone) return;
    Worker& w = *worker_;
    if (binary) return OnFrame(*s, w, std::move(*frame));
    json m = json::parse(message, nullptr, false);
    if (!m.is_object() || !m.contains("type") || !m["type"].is_string()) {
      return s->Expel(w, "sent a message that is no JSON object with a \"type\"", "malformed");
    }
    const std::string type = m["type"];
    if (!w.hello) {
      if (type != "hello") return s->Expel(w, "sent " + type + " before hello", "malformed");
      return OnHello(*s, w, m);
    }
    if (type == "hello") return s->Expel(w, "said hello twice", "malformed");
    uint64_t id = m.contains("id") && m["id"].is_number_unsigned() ? m["id"].get<uint64_t>() : 0;
    auto it = w.calls.find(id);
    if (type == "error" && id == 0) {
      Log(LogLevel::kWarning, "browser: worker " + w.info.id + " reports: " +
                                  Clip(m.value("message", std::string("(no message)"))));
      return;
    }
    if (it == w.calls.end()) return;  // an answer to a call that timed out or was cancelled
    std::shared_ptr<Call> call = it->second;
    w.calls.erase(it);
    call->done = true;
    if (type == "error") {
      std::string code =
          m.contains("code") && m["code"].is_string() ? m["code"].get<std::string>() : "error";
      std::string text = m.contains("message") && m["message"].is_string()
                             ? m["message"].get<std::string>()
                             : "(no message)";
      call->status = Status::Unavailable("browser worker " + w.info.id + ": " + Clip(text));
      call->reason = code == "verify" ? "verify" : code == "session" ? "session" : code;
      if (call->reason != "verify" && call->reason != "session" && call->reason != "fetch" &&
          call->reason != "run" && call->reason != "frame" && call->reason != "unsupported") {
        call->reason = "error";
      }
    } else if (type == "loaded" || type == "fetched" || type == "bench_result") {
      call->answer = std::move(m);
    } else {
      call->status = Status::Unavailable("browser worker " + w.info.id + " answered with " + type);
      call->reason = "malformed";
    }
    s->cv.notify_all();
  }

  void OnClose(const std::string& why) override {
    auto s = state_.lock();
    if (!s || !worker_) return;
    std::lock_guard lock(s->mu);
    s->Drop(*worker_, "went away (" + why + ")", "gone");
  }

 private:
  void OnHello(Hub::State& s, Worker& w, const json& m) {
    if (m.value("protocol", 0) != 1) {
      return s.Expel(w,
                     "speaks protocol " + m.value("protocol", json()).dump() +
                         ", this node protocol 1 (reload the page from this node)",
                     "malformed");
    }
    const json caps = m.contains("capabilities") ? m["capabilities"] : json();
    if (!caps.is_object()) return s.Expel(w, "sent a hello without capabilities", "malformed");
    const json eps = caps.contains("eps") ? caps["eps"] : json();
    if (!eps.is_array()) return s.Expel(w, "sent a hello without capabilities.eps", "malformed");
    for (const json& ep : eps) {
      const auto& known = WebExecutionProviders();
      if (!ep.is_string() ||
          std::find(known.begin(), known.end(), ep.get<std::string>()) == known.end()) {
        return s.Expel(
            w, "offers the execution provider " + ep.dump() + " (known: webgpu, webnn, wasm)",
            "malformed");
      }
      w.info.eps.push_back(ep.get<std::string>());
    }
    w.info.capabilities = caps;
    if (m.contains("name") && m["name"].is_string()) w.info.name = Clip(m["name"]);
    if (m.contains("user_agent") && m["user_agent"].is_string()) {
      w.info.user_agent = Clip(m["user_agent"]);
    }
    w.hello = true;
    w.channel->Send(json{{"type", "welcome"}, {"worker", w.info.id}, {"protocol", 1}}.dump(),
                    false);
    std::string offers;
    for (const std::string& ep : w.info.eps) offers += (offers.empty() ? "" : ", ") + ep;
    Log(s.options.events, "browser: worker " + w.info.id + " attached from " + w.info.remote +
                              " offering " + (offers.empty() ? "nothing" : offers));
    s.cv.notify_all();
  }

  void OnFrame(Hub::State& s, Worker& w, Result<Frame> frame) {
    if (!frame.ok()) return s.Expel(w, "sent " + frame.status().message(), "malformed");
    const json& h = frame->header;
    uint64_t id = h.contains("id") && h["id"].is_number_unsigned() ? h["id"].get<uint64_t>() : 0;
    if (h.value("type", std::string()) != "result") {
      return s.Expel(w,
                     "sent a binary frame of type " + h.value("type", json()).dump() +
                         " (pages send \"result\" frames)",
                     "malformed");
    }
    auto it = w.calls.find(id);
    if (it == w.calls.end()) return;
    std::shared_ptr<Call> call = it->second;
    w.calls.erase(it);
    call->done = true;
    call->frame = std::move(frame).value();
    s.cv.notify_all();
  }

  std::weak_ptr<Hub::State> state_;
  std::shared_ptr<Worker> worker_;  // set by OnOpen
};

// The worker for `ep`: one that has `key` loaded first, then the least busy. Needs mu.
std::shared_ptr<Worker> Pick(Hub::State& s, const std::string& ep, const std::string& key) {
  std::shared_ptr<Worker> best;
  auto score = [&](const Worker& w) { return (w.loaded.count(key) ? 0 : 1000) + w.info.in_flight; };
  for (const auto& w : s.workers) {
    if (!w->hello || w->gone) continue;
    if (!ep.empty() && std::find(w->info.eps.begin(), w->info.eps.end(), ep) == w->info.eps.end())
      continue;
    if (!best || score(*w) < score(*best)) best = w;
  }
  return best;
}

std::string NoWorker(const Hub::State& s, const std::string& ep) {
  std::string attached;
  for (const auto& w : s.workers) {
    if (!w->hello) continue;
    std::string eps;
    for (const std::string& e : w->info.eps) eps += (eps.empty() ? "" : "+") + e;
    attached += (attached.empty() ? "" : ", ") + w->info.id + " " + (eps.empty() ? "-" : eps);
  }
  return "no browser worker offers " + ep + " (" +
         (attached.empty() ? std::string("none attached") : "attached: " + attached) +
         "); open this node's /browser/ page in a browser that has " + ep;
}

Frame RunFrame(const char* type, uint64_t id, const std::string& cid, const std::string& ep,
               const std::map<std::string, Tensor>& inputs) {
  Frame f;
  f.header = {{"type", type}, {"id", id}, {"cid", cid}, {"ep", ep}, {"outputs", json::array()}};
  for (const auto& [name, t] : inputs) f.tensors.emplace_back(name, t);
  return f;
}

}  // namespace

const std::vector<std::string>& WebExecutionProviders() {
  static const std::vector<std::string> kEps = {"webgpu", "webnn", "wasm"};
  return kEps;
}

Hub::Hub(HubOptions options) : state_(std::make_shared<State>()) {
  state_->options = std::move(options);
}

Hub::~Hub() {
  std::lock_guard lock(state_->mu);
  state_->closed = true;
  auto workers = state_->workers;
  for (auto& w : workers) state_->Expel(*w, "the server is stopping", "gone");
}

std::shared_ptr<server::WebSocketHandler> Hub::Accept() {
  return std::make_shared<Connection>(state_);
}

const HubOptions& Hub::options() const { return state_->options; }

// Loads `cid` on `w` for `ep` unless it is loaded; a load under way is waited for, not repeated.
static Status EnsureLoaded(Hub::State& s, std::unique_lock<std::mutex>& lock,
                           const std::shared_ptr<Worker>& w, const std::string& cid,
                           const std::string& ep, const CancelToken* cancel, std::string* reason) {
  const std::string key = cid + " " + ep;
  // Another caller's load under way is waited for: its failure is ours too; a load it abandoned
  // (its caller was cancelled) is made again, here.
  for (;;) {
    if (w->gone) {
      *reason = "gone";
      return Status::Unavailable("browser worker " + w->info.id + " went away");
    }
    if (w->loaded.count(key)) return Status::Ok();
    auto it = w->loads.find(key);
    if (it == w->loads.end()) break;
    std::shared_ptr<Call> other = it->second;
    s.cv.wait_for(lock, std::chrono::milliseconds(100));
    if (other->done && !other->status.ok()) {
      *reason = other->reason.empty() ? "load" : other->reason;
      return other->status;
    }
    if (cancel) {
      Status c = cancel->Check("waiting for the load of " + cid);
      if (!c.ok()) {
        *reason = "cancelled";
        return c;
      }
    }
  }
  auto call = std::make_shared<Call>();
  uint64_t id = s.Start(*w, call);
  w->loads[key] = call;
  w->channel->Send(
      json{{"type", "load"}, {"id", id}, {"cid", cid}, {"ep", ep}, {"gateway", s.options.gateway}}
          .dump(),
      false);
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(s.options.load_timeout_s));
  Status st =
      s.Wait(lock, *w, id, call, deadline, s.options.load_timeout_s, "load " + cid, cancel, reason);
  w->loads.erase(key);
  if (st.ok()) {
    w->loaded.insert(key);
    w->info.loaded.push_back(key);
    s.stats.loads++;
    Log(s.options.events, "browser: worker " + w->info.id + " loaded " + cid + " on " + ep + " (" +
                              std::to_string(call->answer.value("bytes", 0)) + " bytes, " +
                              (call->answer.value("cached", false) ? "from its cache" : "fetched") +
                              ")");
  } else if (*reason == "session") {
    // It offered `ep` and could not create a session on it: no more runs on it there.
    auto& eps = w->info.eps;
    eps.erase(std::remove(eps.begin(), eps.end(), ep), eps.end());
    w->info.lacking.push_back(ep + ": " + st.message());
    Log(LogLevel::kWarning, "browser: worker " + w->info.id + " offered " + ep +
                                " but could not create a session on it: " + st.message());
  } else {
    if (reason->empty()) *reason = "load";
    Log(LogLevel::kWarning, "browser: " + st.message());
  }
  s.cv.notify_all();
  return st;
}

Result<std::map<std::string, Tensor>> Hub::Run(const std::string& cid, const std::string& ep,
                                               const std::map<std::string, Tensor>& inputs,
                                               const CancelToken* cancel) {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  std::shared_ptr<Worker> w = Pick(s, ep, cid + " " + ep);
  if (!w) {
    s.stats.failures["no_worker"]++;
    return Status::Unavailable(NoWorker(s, ep));
  }
  w->info.in_flight++;
  std::string reason;
  std::shared_ptr<Call> call;
  Status st = EnsureLoaded(s, lock, w, cid, ep, cancel, &reason);
  if (st.ok() && w->gone) st = Status::Unavailable("browser worker " + w->info.id + " went away");
  if (st.ok()) {
    call = std::make_shared<Call>();
    uint64_t id = ++s.next_id;
    // The inputs are encoded (copied) without the hub's lock; the worker may go meanwhile.
    lock.unlock();
    auto frame = EncodeFrame(RunFrame("run", id, cid, ep, inputs));
    lock.lock();
    if (!frame.ok()) {
      st = frame.status();
      reason = "unsupported";
    } else if (w->gone) {
      st = Status::Unavailable("browser worker " + w->info.id + " went away");
      reason = "gone";
    } else {
      w->calls[id] = call;
      w->channel->Send(std::move(frame).value(), true);
      auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(s.options.run_timeout_s));
      st = s.Wait(lock, *w, id, call, deadline, s.options.run_timeout_s,
                  "run " + std::to_string(id), cancel, &reason);
    }
  }
  w->info.in_flight--;
  if (!st.ok()) {
    if (reason != "cancelled") {  // the caller's own stop is no failure of the browser's
      w->info.failures++;
      s.stats.failures[reason.empty() ? "error" : reason]++;
    }
    return st;
  }
  w->info.runs++;
  s.stats.runs[ep]++;
  std::map<std::string, Tensor> out;
  for (auto& [name, t] : call->frame.tensors) out[name] = std::move(t);
  return out;
}

Result<std::vector<double>> Hub::BenchInPage(const std::string& cid, const std::string& ep,
                                             const std::map<std::string, Tensor>& inputs,
                                             int runs) {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  std::shared_ptr<Worker> w = Pick(s, ep, cid + " " + ep);
  if (!w) return Status::Unavailable(NoWorker(s, ep));
  std::string reason;
  IA_RETURN_IF_ERROR(EnsureLoaded(s, lock, w, cid, ep, nullptr, &reason));
  auto call = std::make_shared<Call>();
  uint64_t id = s.Start(*w, call);
  Frame f = RunFrame("bench", id, cid, ep, inputs);
  f.header["runs"] = runs;
  IA_ASSIGN_OR_RETURN(std::string bytes, EncodeFrame(f));
  w->channel->Send(std::move(bytes), true);
  double limit = s.options.run_timeout_s * (runs + 1);
  auto deadline = Clock::now() +
                  std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(limit));
  IA_RETURN_IF_ERROR(s.Wait(lock, *w, id, call, deadline, limit, "bench", nullptr, &reason));
  std::vector<double> times;
  const json& t = call->answer.contains("times_ms") ? call->answer["times_ms"] : json();
  if (!t.is_array()) return Status::Unavailable("browser worker " + w->info.id + " sent no times");
  for (const json& v : t) {
    if (v.is_number()) times.push_back(v.get<double>());
  }
  return times;
}

Result<json> Hub::FetchInPage(const std::string& cid, bool verify) {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  std::shared_ptr<Worker> w = Pick(s, "", "");
  if (!w) return Status::Unavailable(NoWorker(s, "anything"));
  auto call = std::make_shared<Call>();
  uint64_t id = s.Start(*w, call);
  w->channel->Send(json{{"type", "fetch"},
                        {"id", id},
                        {"cid", cid},
                        {"gateway", s.options.gateway},
                        {"verify", verify}}
                       .dump(),
                   false);
  std::string reason;
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(s.options.load_timeout_s));
  IA_RETURN_IF_ERROR(
      s.Wait(lock, *w, id, call, deadline, s.options.load_timeout_s, "fetch", nullptr, &reason));
  return call->answer;
}

bool Hub::WaitForWorker(const std::string& ep, double timeout_s) {
  State& s = *state_;
  std::unique_lock lock(s.mu);
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(timeout_s));
  while (!Pick(s, ep, "")) {
    if (s.cv.wait_until(lock, deadline) == std::cv_status::timeout)
      return Pick(s, ep, "") != nullptr;
  }
  return true;
}

std::vector<WorkerInfo> Hub::Workers() const {
  std::lock_guard lock(state_->mu);
  std::vector<WorkerInfo> out;
  for (const auto& w : state_->workers) {
    if (w->hello) out.push_back(w->info);
  }
  return out;
}

HubStats Hub::Stats() const {
  std::lock_guard lock(state_->mu);
  HubStats st = state_->stats;
  st.workers = 0;
  for (const auto& w : state_->workers) st.workers += w->hello ? 1 : 0;
  return st;
}

}  // namespace ipfs_accelerate::browser
