#include "models/text_generation.h"

#include <algorithm>
#include <future>

namespace ipfs_accelerate::models {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD: an incomplete character

// The text of one sequence as its tokens come: decoded whole each time (a token may complete a
// character begun by the one before), cut at the first stop string, and handed out in pieces
// that never change afterwards.
struct TextStream {
  const Tokenizer* tokenizer;
  std::vector<std::string> stop;
  std::function<bool(std::string_view)> on_text;
  std::vector<uint32_t> ids;
  std::string text;
  size_t emitted = 0;
  bool stopped = false;

  // False when generation should end: a stop string was completed, or on_text said so.
  bool Add(uint32_t id) {
    ids.push_back(id);
    auto decoded = tokenizer->Decode(ids, /*skip_special_tokens=*/true);
    if (!decoded.ok()) return true;  // the final decode reports it
    text = std::move(*decoded);
    size_t cut = std::string::npos;
    for (const std::string& s : stop) {
      size_t from = emitted > s.size() ? emitted - s.size() : 0;
      cut = std::min(cut, text.find(s, from));
    }
    if (cut != std::string::npos) {
      text.resize(cut);
      stopped = true;
      Flush(text.size());
      return false;
    }
    size_t safe = text.size();
    if (std::string_view(text).ends_with(kReplacement)) safe -= kReplacement.size();
    size_t hold = 0;  // the longest tail that begins a stop string
    for (const std::string& s : stop) {
      for (size_t k = std::min(s.size() - 1, safe); k > hold; --k) {
        if (text.compare(safe - k, k, s, 0, k) == 0) {
          hold = k;
          break;
        }
      }
    }
    return Flush(safe - hold);
  }

  bool Flush(size_t upto) {
    if (upto <= emitted) return true;
    bool go = !on_text || on_text(std::string_view(text).substr(emitted, upto - emitted));
    emitted = upto;
    return go;
  }
};

}  // namespace

Result<std::unique_ptr<TextGenerationPipeline>> TextGenerationPipeline::Create(
    engine::Model model, std::unique_ptr<Tokenizer> tokenizer, PackageManifest manifest,
    engine::SessionOptions options) {
  if (manifest.task != Task::kTextGeneration) {
    return Status::InvalidArgument(std::string("the package's task is ") + TaskName(manifest.task) +
                                   ", not text-generation");
  }
  IA_ASSIGN_OR_RETURN(
      auto lm, CausalLm::Create(std::move(model), std::move(options), manifest.max_positions));
  if (lm->vocab() > 0 && tokenizer->VocabSize() > static_cast<size_t>(lm->vocab())) {
    return Status::InvalidArgument("the tokenizer knows " + std::to_string(tokenizer->VocabSize()) +
                                   " tokens; the model's logits cover " +
                                   std::to_string(lm->vocab()) + ": they do not belong together");
  }
  std::unique_ptr<TextGenerationPipeline> p(new TextGenerationPipeline());
  p->tokenizer_ = std::move(tokenizer);
  p->manifest_ = std::move(manifest);
  p->generator_ = std::make_unique<Generator>(std::move(lm), p->manifest_.max_batch);
  return p;
}

void TextGenerationPipeline::Submit(TextRequest request, TextCallback done) {
  std::vector<uint32_t> prompt = std::move(request.prompt_ids);
  if (prompt.empty()) {
    auto encoded = tokenizer_->Encode(request.prompt, {.truncate = false, .pad = false});
    if (!encoded.ok()) return done(encoded.status().WithContext("the prompt"));
    prompt = std::move(encoded->ids);
  }
  if (prompt.empty()) {
    return done(Status::InvalidArgument("the prompt is empty: give at least one token of text"));
  }
  auto stream = std::make_shared<TextStream>();
  stream->tokenizer = tokenizer_.get();
  stream->stop = request.stop.empty() ? manifest_.stop : std::move(request.stop);
  std::erase_if(stream->stop, [](const std::string& s) { return s.empty(); });
  stream->on_text = std::move(request.on_text);
  GenerationRequest g{.prompt = prompt, .sampling = request.sampling};
  g.on_token = [stream](uint32_t id) { return stream->Add(id); };
  generator_->Submit(std::move(g),
                     [this, stream, prompt, done = std::move(done)](Result<GenerationResult> r) {
                       if (!r.ok()) return done(r.status());
                       TextResult out;
                       out.prompt_ids = prompt;
                       out.tokens = std::move(r->tokens);
                       out.finish = stream->stopped ? FinishReason::kStop : r->finish;
                       out.prefill_ms = r->prefill_ms;
                       out.decode_ms = r->decode_ms;
                       if (!stream->stopped) {
                         auto text = tokenizer_->Decode(out.tokens, /*skip_special_tokens=*/true);
                         if (!text.ok()) return done(text.status());
                         stream->text = std::move(*text);
                         stream->Flush(stream->text.size());
                       }
                       out.text = std::move(stream->text);
                       done(std::move(out));
                     });
}

std::vector<Result<TextResult>> TextGenerationPipeline::GenerateMany(
    std::vector<TextRequest> requests) {
  std::vector<std::promise<Result<TextResult>>> promises(requests.size());
  std::vector<std::future<Result<TextResult>>> futures;
  for (auto& p : promises) futures.push_back(p.get_future());
  for (size_t i = 0; i < requests.size(); ++i) {
    Submit(std::move(requests[i]),
           [&p = promises[i]](Result<TextResult> r) { p.set_value(std::move(r)); });
  }
  std::vector<Result<TextResult>> out;
  for (auto& f : futures) out.push_back(f.get());
  return out;
}

}  // namespace ipfs_accelerate::models
