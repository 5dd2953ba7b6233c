#include "models/generation.h"

#include <chrono>
#include <future>

namespace ipfs_accelerate::models {
namespace {

double MsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

const char* FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kLength:
      return "length";
    case FinishReason::kEos:
      return "eos";
    case FinishReason::kStop:
      return "stop";
  }
  return "?";
}

struct Generator::Active {
  Pending pending;
  Sampler sampler;
  GenerationResult result;
  KvCache cache;  // until it joins the batch
  bool ended = false;

  Active(Pending p, const SamplingOptions& options)
      : pending(std::move(p)), sampler(options, pending.request.prompt) {}

  // Takes `token`; true when the sequence ends with it.
  bool Take(uint32_t token) {
    result.tokens.push_back(token);
    const SamplingOptions& o = pending.request.sampling;
    for (uint32_t eos : o.eos_token_ids) {
      if (token == eos) result.finish = FinishReason::kEos, ended = true;
    }
    if (pending.request.on_token && !pending.request.on_token(token)) {
      result.finish = FinishReason::kStop, ended = true;
    }
    if (!ended && static_cast<int>(result.tokens.size()) >= o.max_new_tokens) {
      result.finish = FinishReason::kLength, ended = true;
    }
    return ended;
  }
};

Generator::Generator(std::unique_ptr<CausalLm> lm, int max_batch)
    : lm_(std::move(lm)), max_batch_(lm_->batches_ragged() ? std::max(1, max_batch) : 1) {
  thread_ = std::thread([this] { Loop(); });
}

Generator::~Generator() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Generator::Submit(GenerationRequest request, GenerationCallback done) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stop_) {
      queue_.push_back({std::move(request), std::move(done)});
      wake_.notify_all();
      return;
    }
  }
  done(Status::Cancelled("the generator is stopping"));
}

std::vector<Result<GenerationResult>> Generator::Run(std::vector<GenerationRequest> requests) {
  std::vector<std::promise<Result<GenerationResult>>> promises(requests.size());
  std::vector<std::future<Result<GenerationResult>>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());
  for (size_t i = 0; i < requests.size(); ++i) {
    Submit(std::move(requests[i]),
           [&p = promises[i]](Result<GenerationResult> r) { p.set_value(std::move(r)); });
  }
  std::vector<Result<GenerationResult>> out;
  for (auto& f : futures) out.push_back(f.get());
  return out;
}

std::unique_ptr<Generator::Active> Generator::Admit(Pending p) {
  const SamplingOptions options = p.request.sampling;
  if (Status s = options.Validate(); !s.ok()) {
    p.done(s);
    return nullptr;
  }
  const int64_t prompt = static_cast<int64_t>(p.request.prompt.size());
  if (lm_->max_positions() > 0 && prompt + options.max_new_tokens > lm_->max_positions()) {
    p.done(Status::InvalidArgument(
        "the prompt's " + std::to_string(prompt) + " tokens and max_tokens " +
        std::to_string(options.max_new_tokens) + " exceed the model's context of " +
        std::to_string(lm_->max_positions()) + " tokens: shorten the prompt or ask for fewer"));
    return nullptr;
  }
  auto a = std::make_unique<Active>(std::move(p), options);
  a->result.prompt_tokens = prompt;
  if (options.max_new_tokens == 0) {
    a->pending.done(std::move(a->result));
    return nullptr;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto logits = lm_->Prefill(a->pending.request.prompt, &a->cache);
  if (!logits.ok()) {
    a->pending.done(logits.status());
    return nullptr;
  }
  a->result.prefill_ms = MsSince(t0);
  if (a->Take(a->sampler.Next(*logits))) {
    a->pending.done(std::move(a->result));
    return nullptr;
  }
  return a;
}

void Generator::Loop() {
  std::vector<std::unique_ptr<Active>> rows;  // in the batch's row order
  KvBatch batch;
  for (;;) {
    std::vector<Pending> admit;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || !queue_.empty() || !rows.empty(); });
      if (stop_) {
        for (Pending& p : queue_) p.done(Status::Cancelled("the generator is stopping"));
        queue_.clear();
        break;
      }
      while (!queue_.empty() && rows.size() + admit.size() < static_cast<size_t>(max_batch_)) {
        admit.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    // New sequences join between steps.
    for (Pending& p : admit) {
      std::unique_ptr<Active> a = Admit(std::move(p));
      if (!a) continue;
      lm_->AddRow(batch, std::move(a->cache));
      rows.push_back(std::move(a));
    }
    if (rows.empty()) continue;

    std::vector<uint32_t> last;
    for (const auto& a : rows) last.push_back(a->result.tokens.back());
    auto t0 = std::chrono::steady_clock::now();
    auto logits = lm_->Step(batch, last);
    const double step_ms = MsSince(t0);
    if (!logits.ok()) {
      for (auto& a : rows) a->pending.done(logits.status());
      rows.clear();
      batch = KvBatch();
      continue;
    }
    const size_t vocab = logits->size() / rows.size();
    std::vector<bool> keep(rows.size(), true);
    for (size_t r = 0; r < rows.size(); ++r) {
      Active& a = *rows[r];
      a.result.decode_ms += step_ms;
      std::span<float> row(logits->data() + r * vocab, vocab);
      if (a.Take(a.sampler.Next(row))) {
        a.pending.done(std::move(a.result));
        keep[r] = false;
      }
    }
    lm_->KeepRows(batch, keep);
    std::vector<std::unique_ptr<Active>> still;
    for (size_t r = 0; r < rows.size(); ++r) {
      if (keep[r]) still.push_back(std::move(rows[r]));
    }
    rows = std::move(still);
  }
  for (auto& a : rows) a->pending.done(Status::Cancelled("the generator is stopping"));
}

}  // namespace ipfs_accelerate::models
