// generate, embed, classify: the tasks of a model package (tokenizer.json or image settings, a
// model, accelerate.json).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "core/json_util.h"
#include "core/parse_number.h"
#include "models/image.h"
#include "router/task_package.h"

namespace ipfs_accelerate::cli {
namespace {

struct GenerateOpts {
  std::string package;
  std::vector<std::string> prompts, prompt_ids, stop;
  int max_tokens = -1, top_k = -1, max_batch = 0, threads = 0;
  double temperature = -1, top_p = -1, repetition_penalty = -1;
  int64_t seed = -1;
  bool json = false;
};

// "464,3290,318" → ids.
Result<std::vector<uint32_t>> ParseIds(const std::string& text) {
  std::vector<uint32_t> ids;
  size_t at = 0;
  while (at <= text.size()) {
    size_t comma = text.find(',', at);
    if (comma == std::string::npos) comma = text.size();
    IA_ASSIGN_OR_RETURN(int64_t v,
                        ParseInt(text.substr(at, comma - at), "--prompt-ids", 0, UINT32_MAX));
    ids.push_back(static_cast<uint32_t>(v));
    at = comma + 1;
  }
  return ids;
}

double PerSecond(double count, double ms) { return ms > 0 ? count * 1000.0 / ms : 0; }

int Generate(const Context& ctx, const GenerateOpts& o) {
  auto package = router::LoadTaskPackage(ctx.repo_flag, o.package);
  if (!package.ok()) return Fail(package.status());
  if (o.max_batch > 0) package->manifest.max_batch = o.max_batch;
  auto pipeline = router::MakeTextGeneration(std::move(package).value(), {.threads = o.threads});
  if (!pipeline.ok()) return Fail(pipeline.status().WithContext(o.package));
  models::SamplingOptions sampling = (*pipeline)->defaults();
  if (o.max_tokens >= 0) sampling.max_new_tokens = o.max_tokens;
  if (o.temperature >= 0) sampling.temperature = static_cast<float>(o.temperature);
  if (o.top_k >= 0) sampling.top_k = o.top_k;
  if (o.top_p >= 0) sampling.top_p = static_cast<float>(o.top_p);
  if (o.repetition_penalty >= 0)
    sampling.repetition_penalty = static_cast<float>(o.repetition_penalty);
  if (o.seed >= 0) sampling.seed = static_cast<uint64_t>(o.seed);
  if (Status s = sampling.Validate(); !s.ok()) return Fail(s);

  std::vector<models::TextRequest> requests;
  std::vector<std::string> shown;  // each prompt as the output names it
  for (const std::string& p : o.prompts) {
    requests.push_back({.prompt = p, .sampling = sampling, .stop = o.stop});
    shown.push_back(p);
  }
  for (const std::string& text : o.prompt_ids) {
    auto ids = ParseIds(text);
    if (!ids.ok()) return Fail(ids.status());
    requests.push_back({.prompt_ids = *ids, .sampling = sampling, .stop = o.stop});
    shown.push_back(text);
  }
  if (requests.empty()) {
    std::string line, all;
    while (std::getline(std::cin, line)) all += (all.empty() ? "" : "\n") + line;
    requests.push_back({.prompt = all, .sampling = sampling, .stop = o.stop});
    shown.push_back(all);
  }
  // One prompt in words: its text as it comes.
  const bool stream = !o.json && requests.size() == 1;
  // The prompt is printed with the first piece (or at the end), so an error prints nothing.
  auto printed_prompt = std::make_shared<bool>(false);
  auto print_prompt = [printed_prompt, prompt = stream ? requests[0].prompt : std::string()] {
    if (!*printed_prompt) std::printf("%s", prompt.c_str());
    *printed_prompt = true;
  };
  if (stream) {
    requests[0].on_text = [print_prompt](std::string_view piece) {
      print_prompt();
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return true;
    };
  }
  auto t0 = std::chrono::steady_clock::now();
  auto results = (*pipeline)->GenerateMany(std::move(requests));
  const double wall_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  nlohmann::json out = nlohmann::json::array();
  int64_t generated = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].ok())
      return Fail(results[i].status().WithContext("prompt " + std::to_string(i)));
    const models::TextResult& r = *results[i];
    generated += static_cast<int64_t>(r.tokens.size());
    out.push_back(
        {{"prompt", shown[i]},
         {"text", r.text},
         {"prompt_tokens", r.prompt_ids.size()},
         {"tokens", r.tokens},
         {"finish_reason", models::FinishReasonName(r.finish)},
         {"prefill_ms", r.prefill_ms},
         {"decode_ms", r.decode_ms},
         {"prefill_tokens_per_s", PerSecond(double(r.prompt_ids.size()), r.prefill_ms)},
         {"decode_tokens_per_s",
          PerSecond(double(r.tokens.size() > 0 ? r.tokens.size() - 1 : 0), r.decode_ms)}});
  }
  if (stream) {
    const models::TextResult& r = *results[0];
    print_prompt();
    std::printf("\n");
    std::fprintf(stderr,
                 "prefill: %zu tokens in %.1f ms (%.0f tokens/s); decode: %zu tokens in %.1f ms "
                 "(%.1f tokens/s); finish: %s\n",
                 r.prompt_ids.size(), r.prefill_ms,
                 PerSecond(double(r.prompt_ids.size()), r.prefill_ms), r.tokens.size(), r.decode_ms,
                 PerSecond(double(r.tokens.size() > 0 ? r.tokens.size() - 1 : 0), r.decode_ms),
                 models::FinishReasonName(r.finish));
  } else if (o.json) {
    std::printf("%s\n",
                DumpJson(nlohmann::json{{"results", out},
                                        {"wall_ms", wall_ms},
                                        {"tokens_per_s", PerSecond(double(generated), wall_ms)}})
                    .c_str());
  } else {
    for (const auto& r : out) std::printf("%s\n", DumpJson(r).c_str());
  }
  return 0;
}

struct EmbedOpts {
  std::string package;
  std::vector<std::string> texts;
  bool truncate = false, json = false;
  int threads = 0;
};

int Embed(const Context& ctx, const EmbedOpts& o) {
  std::vector<std::string> texts = o.texts;
  if (texts.empty()) {
    std::string line;
    while (std::getline(std::cin, line)) texts.push_back(line);
  }
  if (texts.empty())
    return Fail(Status::InvalidArgument("no text to embed: give TEXT or lines on stdin"));
  auto package = router::LoadTaskPackage(ctx.repo_flag, o.package);
  if (!package.ok()) return Fail(package.status());
  auto pipeline = router::MakeEmbedding(std::move(package).value(), {.threads = o.threads});
  if (!pipeline.ok()) return Fail(pipeline.status().WithContext(o.package));
  auto t0 = std::chrono::steady_clock::now();
  auto result = (*pipeline)->Embed(texts, {.truncate = o.truncate});
  if (!result.ok()) return Fail(result.status());
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (o.json) {
    std::printf("%s\n", DumpJson(nlohmann::json{{"embeddings", result->vectors},
                                                {"tokens", result->tokens},
                                                {"runs", result->runs},
                                                {"ms", ms}})
                            .c_str());
  } else {
    for (const auto& v : result->vectors) {
      for (size_t i = 0; i < v.size(); ++i) std::printf(i ? " %.7g" : "%.7g", v[i]);
      std::printf("\n");
    }
    std::fprintf(stderr, "%zu texts, %lld tokens, %d runs, %.1f ms (%.1f texts/s)\n", texts.size(),
                 static_cast<long long>(result->tokens), result->runs, ms,
                 PerSecond(double(texts.size()), ms));
  }
  return 0;
}

struct ClassifyOpts {
  std::string package;
  std::vector<std::string> images;
  int top = 5, threads = 0;
  bool json = false;
};

int Classify(const Context& ctx, const ClassifyOpts& o) {
  auto package = router::LoadTaskPackage(ctx.repo_flag, o.package);
  if (!package.ok()) return Fail(package.status());
  auto classifier = router::MakeImageClassifier(std::move(package).value(), {.threads = o.threads});
  if (!classifier.ok()) return Fail(classifier.status().WithContext(o.package));
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& path : o.images) {
    auto image = models::ReadPng(path);
    if (!image.ok()) return Fail(image.status());
    auto classes = (*classifier)->Classify(*image, o.top);
    if (!classes.ok()) return Fail(classes.status().WithContext(path));
    nlohmann::json top = nlohmann::json::array();
    for (const auto& c : *classes) {
      top.push_back({{"index", c.index}, {"label", c.label}, {"probability", c.probability}});
      if (!o.json) {
        std::printf("%s\t%.4f\t%s\n", path.c_str(), c.probability,
                    c.label.empty() ? std::to_string(c.index).c_str() : c.label.c_str());
      }
    }
    out.push_back({{"image", path}, {"classes", top}});
  }
  if (o.json) std::printf("%s\n", DumpJson(nlohmann::json{{"results", out}}).c_str());
  return 0;
}

}  // namespace

void RegisterTaskCommands(CLI::App& app, Context& ctx) {
  auto g = std::make_shared<GenerateOpts>();
  auto* gen = app.add_subcommand(
      "generate",
      "Continue text with a text-generation package (tokenizer.json + decoder with a KV cache): "
      "greedy or sampled, several prompts batched continuously");
  gen->add_option("package", g->package, "Package directory: path or CID/alias[/path]")->required();
  gen->add_option("prompt", g->prompts,
                  "Prompt text; several are generated together (default: stdin)");
  gen->add_option("--prompt-ids", g->prompt_ids, "A prompt as token ids, 464,3290,318; repeatable");
  gen->add_option("--max-tokens", g->max_tokens, "Tokens to generate at most (package default)")
      ->check(CLI::Range(0, 1 << 20));
  gen->add_option("--temperature", g->temperature, "0: greedy; above 0: sample (package default)")
      ->check(CLI::Range(0.0, 100.0));
  gen->add_option("--top-k", g->top_k, "Sample among the k most likely tokens (0: all)")
      ->check(CLI::Range(0, 1 << 30));
  gen->add_option("--top-p", g->top_p, "Sample among the most likely tokens whose mass is p")
      ->check(CLI::Range(0.0, 1.0));
  gen->add_option("--repetition-penalty", g->repetition_penalty,
                  "Above 1 makes tokens already there less likely")
      ->check(CLI::Range(0.0, 100.0));
  gen->add_option("--seed", g->seed,
                  "Seed of each prompt's sampling (the same seed, the same text)")
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 53));
  gen->add_option("--stop", g->stop, "Stop at this text (not printed); repeatable");
  gen->add_option("--max-batch", g->max_batch, "Sequences decoded together (package default, 8)")
      ->check(CLI::Range(1, 1024));
  gen->add_option("--threads", g->threads, "Threads (default: the number of cores)")
      ->check(CLI::Range(0, 256));
  gen->add_flag("--json", g->json,
                "Print JSON: each prompt's text, tokens, finish reason and prefill and decode "
                "times (tokens/s)");
  gen->footer(
      "One prompt prints its continuation as it comes, then the prefill and decode speeds on "
      "stderr; several print one JSON line each.");
  gen->callback([&ctx, g] { ctx.run = [&ctx, g] { return Generate(ctx, *g); }; });

  auto c = std::make_shared<ClassifyOpts>();
  auto* cls = app.add_subcommand(
      "classify",
      "Name what is in images with an image-classification package: resized, center-cropped "
      "and normalized as the package says; the top classes by probability");
  cls->add_option("package", c->package, "Package directory: path or CID/alias[/path]")->required();
  cls->add_option("image", c->images, "PNG images")->required();
  cls->add_option("--top", c->top, "Classes to print per image (default 5)")
      ->check(CLI::Range(1, 100000));
  cls->add_option("--threads", c->threads, "Threads (default: the number of cores)")
      ->check(CLI::Range(0, 256));
  cls->add_flag(
      "--json", c->json,
      "Print {\"results\": [{\"image\", \"classes\": [{\"index\", \"label\", \"probability\"}]}]}");
  cls->footer("Without --json: one line per class, IMAGE<tab>PROBABILITY<tab>LABEL.");
  cls->callback([&ctx, c] { ctx.run = [&ctx, c] { return Classify(ctx, *c); }; });

  auto e = std::make_shared<EmbedOpts>();
  auto* emb = app.add_subcommand(
      "embed",
      "Turn texts into vectors with a feature-extraction package (tokenizer.json + encoder): "
      "pooled and normalized as the package says, batched by tokens");
  emb->add_option("package", e->package, "Package directory: path or CID/alias[/path]")->required();
  emb->add_option("text", e->texts, "Texts to embed (default: one per line of stdin)");
  emb->add_flag("--truncate", e->truncate,
                "Cut texts longer than the model reads (default: they are an error)");
  emb->add_option("--threads", e->threads, "Threads (default: the number of cores)")
      ->check(CLI::Range(0, 256));
  emb->add_flag("--json", e->json, "Print {\"embeddings\": [[...]], \"tokens\", \"runs\"}");
  emb->footer("Prints one vector a line (numbers separated by spaces) without --json.");
  emb->callback([&ctx, e] { ctx.run = [&ctx, e] { return Embed(ctx, *e); }; });
}

}  // namespace ipfs_accelerate::cli
