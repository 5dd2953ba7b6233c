// Text generation with continuous batching: requests queue up, each is prefilled alone when a
// slot is free, and then joins the running batch, whose rows take one decode step together; a
// row leaves when it ends (its length, an end-of-sequence token, or its caller saying stop) and
// the next request takes its place between two steps. A sequence's tokens are the ones it would
// get alone (its cache is masked from the other rows, and its sampler has its own seed).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"
#include "models/causal_lm.h"
#include "models/sampling.h"

namespace ipfs_accelerate::models {

enum class FinishReason { kLength, kEos, kStop };
const char* FinishReasonName(FinishReason reason);  // "length", "eos", "stop"

struct GenerationRequest {
  std::vector<uint32_t> prompt;
  SamplingOptions sampling;
  // Called on the generator's thread with each new token; false ends the sequence there (a stop
  // string was completed, the client went away).
  std::function<bool(uint32_t token)> on_token;
};

struct GenerationResult {
  std::vector<uint32_t> tokens;  // the new tokens (an end-of-sequence token included)
  FinishReason finish = FinishReason::kLength;
  double prefill_ms = 0;  // running the prompt
  double decode_ms = 0;   // the steps this sequence took part in, wall time
  int64_t prompt_tokens = 0;
};

using GenerationCallback = std::function<void(Result<GenerationResult>)>;

class Generator {
 public:
  // `max_batch`: rows that decode together (1 when the model cannot batch ragged rows).
  explicit Generator(std::unique_ptr<CausalLm> lm, int max_batch = 8);
  // Ends every queued and running request with kCancelled and stops the thread.
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  // Queues `request`; `done` is called exactly once, on the generator's thread.
  void Submit(GenerationRequest request, GenerationCallback done);
  // Submits every request at once and waits for all (in the order given).
  std::vector<Result<GenerationResult>> Run(std::vector<GenerationRequest> requests);

  const CausalLm& lm() const { return *lm_; }
  int max_batch() const { return max_batch_; }

 private:
  struct Pending {
    GenerationRequest request;
    GenerationCallback done;
  };
  struct Active;
  void Loop();
  // Prefills `p` and picks its first token; nullptr when it already ended (done was called).
  std::unique_ptr<Active> Admit(Pending p);

  std::unique_ptr<CausalLm> lm_;
  const int max_batch_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ipfs_accelerate::models
