// tokenize: texts to token ids (and back) with a Hugging Face tokenizer.json.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <iterator>

#include "cli/cli.h"
#include "core/json_util.h"
#include "models/tokenizer/tokenizer.h"

namespace ipfs_accelerate::cli {
namespace {

struct TokenizeOpts {
  std::string tokenizer;
  std::vector<std::string> texts;
  std::string pair;
  bool json = false, decode = false, skip_special = false, no_special = false;
  bool byte_offsets = false, no_truncation = false, no_padding = false;
  size_t max_length = 0, pad_to = 0;
  int repeat = 0;
};

// The texts to work on: the arguments, else the lines of stdin ("\n" ends a line; a last line
// without one counts too).
std::vector<std::string> Inputs(const TokenizeOpts& o) {
  if (!o.texts.empty()) return o.texts;
  std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\n', start);
    if (end == std::string::npos) end = all.size();
    lines.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

int RunDecode(const models::Tokenizer& tok, const TokenizeOpts& o,
              const std::vector<std::string>& inputs) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto ids = models::ParseTokenIds(inputs[i]);
    if (!ids.ok()) return Fail(ids.status().WithContext("input " + std::to_string(i + 1)));
    auto text = tok.Decode(*ids, o.skip_special);
    if (!text.ok()) return Fail(text.status().WithContext("input " + std::to_string(i + 1)));
    if (o.json) {
      std::printf("%s\n", DumpJson(nlohmann::json{{"text", *text}}).c_str());
    } else {
      std::printf("%s\n", text->c_str());
    }
  }
  return 0;
}

// Encodes every input `repeat` more times and reports the rate on stderr (load and printing
// left out): what bench/tokenize compares with the reference packages.
int RunRepeat(const models::Tokenizer& tok, const TokenizeOpts& o,
              const models::EncodeOptions& options, const std::vector<std::string>& inputs) {
  size_t bytes = 0, tokens = 0;
  for (const std::string& s : inputs) bytes += s.size();
  auto t0 = std::chrono::steady_clock::now();
  for (int r = 0; r < o.repeat; ++r) {
    for (const std::string& s : inputs) {
      auto e = o.pair.empty() ? tok.Encode(s, options) : tok.EncodePair(s, o.pair, options);
      if (!e.ok()) return Fail(e.status());
      tokens += e->size();
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double texts = static_cast<double>(inputs.size()) * o.repeat;
  std::fprintf(stderr,
               "encoded %.0f texts (%zu tokens) in %.3f s: %.0f texts/s, %.2f MB/s, one thread\n",
               texts, tokens, secs, texts / secs, bytes * o.repeat / secs / 1e6);
  return 0;
}

int Run(TokenizeOpts& o) {
  auto loaded = models::Tokenizer::Load(o.tokenizer);
  if (!loaded.ok()) return Fail(loaded.status());
  models::Tokenizer& tok = **loaded;
  if (o.no_truncation) tok.set_truncation(std::nullopt);
  if (o.max_length > 0) {
    models::TruncationParams t = tok.truncation().value_or(models::TruncationParams{});
    t.max_length = o.max_length;
    tok.set_truncation(t);
  }
  if (o.no_padding) tok.set_padding(std::nullopt);
  if (o.pad_to > 0) {
    models::PaddingParams p = tok.padding().value_or(models::PaddingParams{});
    p.fixed = true;
    p.length = o.pad_to;
    tok.set_padding(p);
  }
  std::vector<std::string> inputs = Inputs(o);
  if (o.decode) return RunDecode(tok, o, inputs);
  models::EncodeOptions options;
  options.add_special_tokens = !o.no_special;
  options.offsets = o.byte_offsets ? models::OffsetUnit::kByte : models::OffsetUnit::kChar;
  std::string line;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto e = o.pair.empty() ? tok.Encode(inputs[i], options)
                            : tok.EncodePair(inputs[i], o.pair, options);
    if (!e.ok()) {
      return Fail(inputs.size() > 1 ? e.status().WithContext("input " + std::to_string(i + 1))
                                    : e.status());
    }
    if (o.json) {
      line = DumpJson(models::ToJson(*e));
    } else {
      line.clear();
      for (size_t k = 0; k < e->ids.size(); ++k) {
        if (k) line += ' ';
        line += std::to_string(e->ids[k]);
      }
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return o.repeat > 0 ? RunRepeat(tok, o, options, inputs) : 0;
}

}  // namespace

void RegisterTokenizeCommands(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<TokenizeOpts>();
  auto* cmd = app.add_subcommand(
      "tokenize",
      "Turn texts into token ids (or ids back into text) with a Hugging Face tokenizer.json "
      "(BPE, WordPiece, Unigram: GPT-2, BERT, Llama, Qwen, ...), as the `tokenizers` library "
      "does");
  cmd->add_option("text", o->texts,
                  "Texts to encode, one output line each (default: every line of stdin)");
  cmd->add_option("-t,--tokenizer", o->tokenizer, "The tokenizer.json file")
      ->required()
      ->type_name("FILE");
  cmd->add_flag("--json", o->json,
                "Print one JSON object per text: ids, tokens, offsets ([start, end) in "
                "characters), attention_mask, type_ids, special_tokens_mask, words");
  cmd->add_flag("--decode", o->decode,
                "Decode instead: each text is token ids (\"101 7592 102\") to turn back into text");
  cmd->add_flag("--skip-special-tokens", o->skip_special,
                "With --decode: leave special tokens ([CLS], <|endoftext|>, ...) out");
  cmd->add_flag("--no-special-tokens", o->no_special,
                "Do not add the post-processor's special tokens ([CLS] ... [SEP], ...)");
  cmd->add_option("--pair", o->pair, "Encode each text as a pair with this second text");
  cmd->add_flag("--byte-offsets", o->byte_offsets, "Offsets in UTF-8 bytes, not characters");
  cmd->add_option("--max-length", o->max_length,
                  "Truncate to this many tokens (default: the file's truncation, if any)")
      ->check(CLI::Range(1, 1 << 24));
  cmd->add_flag("--no-truncation", o->no_truncation, "Ignore the file's truncation");
  cmd->add_option("--pad-to", o->pad_to,
                  "Pad every text to this many tokens (default: the file's padding, if any)")
      ->check(CLI::Range(size_t{1}, models::kMaxPaddedLength));
  cmd->add_flag("--no-padding", o->no_padding, "Ignore the file's padding");
  cmd->add_option("--repeat", o->repeat,
                  "Then encode the texts N more times and print the rate on stderr (benchmark)")
      ->check(CLI::Range(0, 1000000));
  cmd->footer(
      "Examples:\n"
      "  ipfs-accelerate tokenize -t tokenizer.json \"Hello world\"\n"
      "  ipfs-accelerate tokenize -t tokenizer.json --json < lines.txt\n"
      "  ipfs-accelerate tokenize -t tokenizer.json --decode \"101 7592 2088 102\"\n"
      "Text that is not valid UTF-8 is an error. Reads no repository.");
  cmd->callback([&ctx, o] {
    ctx.needs_repo = false;
    ctx.run = [o]() -> int { return Run(*o); };
  });
}

}  // namespace ipfs_accelerate::cli
