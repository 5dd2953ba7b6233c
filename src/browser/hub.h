// The browser workers attached to this node: pages (web/, served under /browser/) that connected
// a WebSocket, said what they can do, and run models with onnxruntime-web when asked
// (web/PROTOCOL.md). The hub keeps them, loads a model on one before its first run there, sends
// runs as binary frames and matches the answers. A worker is a remote party: what it sends is
// checked, a malformed message disconnects it, a run it does not answer in time fails, and a
// worker that goes away fails its runs at once. Every failure is an error value naming the worker
// and why; the engine session that asked then runs the request on the CPU (engine::ModelRunner).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/cancel.h"
#include "core/log.h"
#include "core/status.h"
#include "core/tensor.h"
#include "server/http_server.h"

namespace ipfs_accelerate::browser {

// The execution providers a page may offer, as PROTOCOL.md names them.
const std::vector<std::string>& WebExecutionProviders();  // webgpu, webnn, wasm

struct HubOptions {
  // Where pages fetch model blocks from (the trustless gateway's base URL); "": the node's own
  // origin, the one that served the page.
  std::string gateway;
  double load_timeout_s = 300;  // fetching, verifying and creating the session
  double run_timeout_s = 60;    // one run, from sending its inputs to the answer
  int max_workers = 64;         // more are refused (1013)
  // The level of the log lines for workers attaching, leaving and loading (failures are always
  // warnings): info for a node, debug for a command's own local worker (hw's probe).
  LogLevel events = LogLevel::kInfo;
};

// One attached worker, as the hub sees it now.
struct WorkerInfo {
  std::string id;      // "w1"
  std::string name;    // the page's ?name= ("" when none)
  std::string remote;  // "127.0.0.1:53422"
  std::string user_agent;
  nlohmann::json capabilities;       // as the page reported them (PROTOCOL.md)
  std::vector<std::string> eps;      // offered, less any it could not create a session on
  std::vector<std::string> lacking;  // "webgpu: <why>", EPs it claimed and failed
  std::vector<std::string> loaded;   // "CID ep"
  int in_flight = 0;
  uint64_t runs = 0, failures = 0;
};

struct HubStats {
  int workers = 0;
  std::map<std::string, uint64_t> runs;      // answered, by EP
  std::map<std::string, uint64_t> failures;  // by reason: gone, timeout, malformed, load, run,
                                             // verify, no_worker
  uint64_t loads = 0;                        // models loaded by workers
};

class Hub {
 public:
  explicit Hub(HubOptions options = {});
  // Fails every call still waiting (kUnavailable). The handlers it made may outlive it.
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // The handler of one new WebSocket from a page (the /browser/ws route's upgrade).
  std::shared_ptr<server::WebSocketHandler> Accept();

  // Runs the ONNX file `cid` on a worker offering `ep` (loading it there first when it is not):
  // every graph output, as the page answered. Blocks the calling thread. kUnavailable when no
  // worker offers `ep`, when the worker goes away or is disconnected (malformed message), when it
  // cannot load the model (a block that fails verification included) or run it;
  // kDeadlineExceeded when it does not answer in time; kCancelled when `cancel` is. Each message
  // names the worker and why.
  Result<std::map<std::string, Tensor>> Run(const std::string& cid, const std::string& ep,
                                            const std::map<std::string, Tensor>& inputs,
                                            const CancelToken* cancel = nullptr);

  // Benchmarks inside the page: `runs` timed runs of the loaded model on `inputs` (after one
  // warm-up), each run's milliseconds as the page measured them.
  Result<std::vector<double>> BenchInPage(const std::string& cid, const std::string& ep,
                                          const std::map<std::string, Tensor>& inputs, int runs);
  // Benchmarks the transfer: the page fetches and assembles `cid` from the gateway, checking each
  // block's hash or not, bypassing its cache. The page's answer ("bytes", "blocks", "ms").
  Result<nlohmann::json> FetchInPage(const std::string& cid, bool verify);

  // Waits up to `timeout_s` for a worker that offers `ep` ("": any); whether one is there.
  bool WaitForWorker(const std::string& ep, double timeout_s);
  std::vector<WorkerInfo> Workers() const;
  HubStats Stats() const;
  const HubOptions& options() const;

  struct State;  // shared with the handlers, which may outlive the hub

 private:
  std::shared_ptr<State> state_;
};

}  // namespace ipfs_accelerate::browser
