// The tokenizers of models/tokenizer: every component held to the reference's answers
// (tests/models/data/tokenizer_cases.json, written by tools/tokenizers/make_tokenizer_cases.cjs
// from the `tokenizers` package), and the errors a malformed file or text must give.
#include "models/tokenizer/tokenizer.h"

#include <gtest/gtest.h>
#include <utf8proc.h>

#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "../test_util.h"
#include "core/file_util.h"
#include "models/tokenizer/normalization.h"
#include "models/tokenizer/normalizers.h"
#include "models/tokenizer/pattern.h"
#include "models/tokenizer/pre_tokenizers.h"
#include "models/tokenizer/unicode.h"

namespace ipfs_accelerate::models {
namespace {

using test_util::HasSubstr;
namespace tk = tokenizers;

std::string Escaped(const std::string& s) { return nlohmann::json(s).dump(); }

class TokenizerCasesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto text =
        ReadFile(std::string(test_util::SourceDir()) + "/tests/models/data/tokenizer_cases.json");
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    doc_ = new nlohmann::json(nlohmann::json::parse(*text));
  }
  static void TearDownTestSuite() {
    delete doc_;
    doc_ = nullptr;
  }

  const Tokenizer& Get(const std::string& name) {
    auto it = tokenizers_.find(name);
    if (it == tokenizers_.end()) {
      auto t = Tokenizer::FromJson((*doc_)["tokenizers"][name].dump(), name);
      EXPECT_TRUE(t.ok()) << t.status().ToString();
      it = tokenizers_.emplace(name, std::move(t).value()).first;
    }
    return *it->second;
  }

  // Runs every case of `kind`; returns how many ran.
  int Run(const std::string& kind, const std::function<void(const nlohmann::json&)>& check) {
    int n = 0;
    for (const nlohmann::json& c : (*doc_)["cases"]) {
      if (c["kind"] != kind) continue;
      SCOPED_TRACE(c.dump().substr(0, 300));
      check(c);
      ++n;
    }
    return n;
  }

  static nlohmann::json* doc_;
  std::map<std::string, std::unique_ptr<Tokenizer>> tokenizers_;
};
nlohmann::json* TokenizerCasesTest::doc_ = nullptr;

TEST_F(TokenizerCasesTest, EncodingsMatchTheReference) {
  int n = Run("encode", [&](const nlohmann::json& c) {
    const Tokenizer& t = Get(c["tokenizer"]);
    EncodeOptions options;
    options.add_special_tokens = c["add_special_tokens"];
    std::string text = c["text"];
    auto e = c["pair"].is_null() ? t.Encode(text, options)
                                 : t.EncodePair(text, c["pair"].get<std::string>(), options);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    const nlohmann::json& want = c["expect"];
    EXPECT_EQ(e->ids, want["ids"].get<std::vector<uint32_t>>());
    EXPECT_EQ(e->tokens, want["tokens"].get<std::vector<std::string>>());
    std::vector<std::vector<size_t>> offsets;
    for (const TokenOffsets& o : e->offsets) offsets.push_back({o.first, o.second});
    EXPECT_EQ(offsets, want["offsets"].get<std::vector<std::vector<size_t>>>());
    EXPECT_EQ(e->type_ids, want["type_ids"].get<std::vector<uint32_t>>());
    EXPECT_EQ(e->attention_mask, want["attention_mask"].get<std::vector<uint32_t>>());
    EXPECT_EQ(e->special_tokens_mask, want["special_tokens_mask"].get<std::vector<uint32_t>>());
  });
  EXPECT_GE(n, 40);
}

TEST_F(TokenizerCasesTest, BatchesMatchTheReference) {
  int n = Run("encode_batch", [&](const nlohmann::json& c) {
    std::vector<std::string> texts = c["texts"];
    std::vector<std::string_view> views(texts.begin(), texts.end());
    auto batch = Get(c["tokenizer"]).EncodeBatch(views);
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    ASSERT_EQ(batch->size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      EXPECT_EQ((*batch)[i].ids, c["expect"]["ids"][i].get<std::vector<uint32_t>>());
      EXPECT_EQ((*batch)[i].attention_mask,
                c["expect"]["attention_mask"][i].get<std::vector<uint32_t>>());
    }
  });
  EXPECT_GE(n, 3);
}

TEST_F(TokenizerCasesTest, DecodingsMatchTheReference) {
  int n = Run("decode", [&](const nlohmann::json& c) {
    auto text =
        Get(c["tokenizer"]).Decode(c["ids"].get<std::vector<uint32_t>>(), c["skip_special_tokens"]);
    ASSERT_TRUE(text.ok()) << text.status().ToString();
    EXPECT_EQ(Escaped(*text), Escaped(c["expect"]["text"]));
  });
  EXPECT_GE(n, 15);
}

TEST_F(TokenizerCasesTest, NormalizersMatchTheReference) {
  int n = Run("normalize", [&](const nlohmann::json& c) {
    auto normalizer = tk::ParseNormalizer(
        (*doc_)["normalizers"][c["normalizer"].get<std::string>()], "normalizer");
    ASSERT_TRUE(normalizer.ok()) << normalizer.status().ToString();
    tk::NormalizedString s(c["text"].get<std::string>());
    ASSERT_TRUE((*normalizer)->Normalize(&s).ok());
    EXPECT_EQ(Escaped(s.get()), Escaped(c["expect"]["normalized"]));
  });
  EXPECT_GE(n, 60);
}

TEST_F(TokenizerCasesTest, PreTokenizersMatchTheReference) {
  int n = Run("pre_tokenize", [&](const nlohmann::json& c) {
    auto pre = tk::ParsePreTokenizer(
        (*doc_)["pre_tokenizers"][c["pre_tokenizer"].get<std::string>()], "pre_tokenizer");
    ASSERT_TRUE(pre.ok()) << pre.status().ToString();
    std::string text = c["text"];
    tk::PreTokenizedString pieces(text);
    ASSERT_TRUE((*pre)->PreTokenize(&pieces).ok());
    nlohmann::json got = nlohmann::json::array();
    for (const tk::PreToken& p : pieces.pieces()) {
      size_t start =
          tk::CountChars(std::string_view(text).substr(0, p.normalized.OffsetsOriginalStart()));
      size_t end =
          tk::CountChars(std::string_view(text).substr(0, p.normalized.OffsetsOriginalEnd()));
      got.push_back({p.normalized.get(), {start, end}});
    }
    EXPECT_EQ(got.dump(), c["expect"]["pieces"].dump());
  });
  EXPECT_GE(n, 80);
}

// A tokenizer.json of `model` and nothing else.
std::string WithModel(const std::string& model) { return "{\"model\": " + model + "}"; }
const char kWordPiece[] =
    R"({"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1, "##b": 2}, "unk_token": "[UNK]"})";

TEST(TokenizerTest, TextThatIsNotUtf8IsAnError) {
  auto t = Tokenizer::FromJson(WithModel(kWordPiece));
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const std::pair<std::string, std::string> cases[] = {
      {"ab\x80", "byte 2 (0x80)"},         // a lone continuation byte
      {"\xC0\x80", "byte 0 (0xC0)"},       // an overlong NUL
      {"a\xED\xA0\x80", "byte 1 (0xED)"},  // a surrogate
      {"\xF4\x90\x80\x80", "byte 0"},      // past U+10FFFF
      {"ok \xE2\x82", "byte 3 (0xE2)"},    // cut short
      {"\xFF", "byte 0 (0xFF)"},
  };
  for (const auto& [text, where] : cases) {
    auto e = (*t)->Encode(text);
    ASSERT_FALSE(e.ok()) << Escaped(text);
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(HasSubstr(e.status().message(), "not valid UTF-8: " + where));
  }
}

TEST(TokenizerTest, EmptyTextGivesOnlyTheSpecialTokens) {
  auto t = Tokenizer::FromJson(WithModel(kWordPiece));
  ASSERT_TRUE(t.ok());
  auto e = (*t)->Encode("");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->ids.empty());
  auto text = (*t)->Decode({}, false);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "");
}

TEST(TokenizerTest, MalformedFilesNameTheBadField) {
  const std::pair<std::string, std::string> cases[] = {
      {"[1, 2]", "tokenizer.json: expected an object, got an array"},
      {"{}", "model: missing"},
      {"{\"model\": ", "syntax error"},
      {"{\"version\": \"2.0\", \"model\": {}}", "version \"2.0\""},
      {WithModel("{\"type\": \"Magic\"}"), "model.type: the model \"Magic\" is not supported"},
      {WithModel(R"({"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]})"),
       "model.merges[0] \"a b\": \"b\" is not in the vocabulary"},
      {WithModel(R"({"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]})"),
       "model.merges[0]: \"a\" is not two tokens separated by one space"},
      {WithModel(
           R"({"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", ["a", "b"]]})"),
       "model.merges[1]: the merges mix"},
      {WithModel(R"({"type": "BPE", "vocab": {"a": -1}, "merges": []})"),
       "model.vocab[\"a\"]: expected a non-negative integer id, got a number"},
      {WithModel(R"({"type": "BPE", "vocab": [], "merges": []})"),
       "model.vocab: expected an object"},
      {WithModel(R"({"type": "Unigram", "vocab": [["a", "x"]], "unk_id": 0})"),
       "model.vocab[0]: expected a [piece, score] pair"},
      {WithModel(R"({"type": "Unigram", "vocab": [["a", 0.0]], "unk_id": 3})"),
       "model.unk_id: Unigram: unk_id 3 is past the vocabulary"},
      {R"({"model": {"type": "WordPiece", "vocab": {}}, "normalizer": {"type": "Sequence", "normalizers": [{"type": "Strip", "strip_left": "yes"}]}})",
       "normalizer.normalizers[0].strip_left: expected true or false, got a string"},
      {R"({"model": {"type": "WordPiece", "vocab": {}}, "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated", "invert": false}})",
       "pre_tokenizer.pattern.Regex: the regular expression \"(a\" does not compile"},
      {R"({"model": {"type": "WordPiece", "vocab": {}}, "pre_tokenizer": {"type": "Split", "pattern": {"String": "-"}, "behavior": "Sideways"}})",
       "pre_tokenizer.behavior: unknown behavior \"Sideways\""},
      {R"({"model": {"type": "WordPiece", "vocab": {}}, "pre_tokenizer": {"type": "Metaspace", "replacement": "ab"}})",
       "pre_tokenizer.replacement: expected one character"},
      {R"({"model": {"type": "WordPiece", "vocab": {}}, "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[X]", "type_id": 0}}], "special_tokens": {}}})",
       "post_processor.single[0].SpecialToken.id: \"[X]\" is not in post_processor.special_tokens"},
      {R"({"model": {"type": "WordPiece", "vocab": {}}, "decoder": {"type": "Strip", "content": "x", "start": -1}})",
       "decoder.start: expected a non-negative integer"},
      {R"({"model": {"type": "WordPiece", "vocab": {}}, "added_tokens": [{"id": 0}]})",
       "added_tokens[0].content: missing"},
      {R"({"model": {"type": "WordPiece", "vocab": {}}, "truncation": {"max_length": "long"}})",
       "truncation.max_length: expected a non-negative integer, got a string"},
      {R"({"model": {"type": "WordPiece", "vocab": {}}, "padding": {"strategy": "Longest"}})",
       "padding.strategy: expected \"BatchLongest\" or {\"Fixed\": N}"},
      {R"({"model": {"type": "WordPiece", "vocab": {}}, "normalizer": {"type": "Precompiled"}})",
       "normalizer.type: the normalizer \"Precompiled\" is not supported"},
  };
  for (const auto& [json, want] : cases) {
    auto t = Tokenizer::FromJson(json, "tokenizer.json");
    ASSERT_FALSE(t.ok()) << json;
    EXPECT_TRUE(HasSubstr(t.status().message(), want)) << json;
    EXPECT_TRUE(HasSubstr(t.status().message(), "tokenizer.json")) << json;  // the source
  }
}

TEST(TokenizerTest, LoadNamesTheFile) {
  test_util::TempDir dir;
  auto missing = Tokenizer::Load(dir / "none.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(HasSubstr(missing.status().message(), "none.json"));
  ASSERT_TRUE(WriteFileAtomic(dir / "t.json", WithModel(kWordPiece)).ok());
  auto t = Tokenizer::Load(dir / "t.json");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->VocabSize(), 3u);
  EXPECT_EQ((*t)->TokenToId("##b"), 2u);
  EXPECT_EQ((*t)->IdToToken(1), "a");
  EXPECT_EQ((*t)->IdToToken(7), std::nullopt);
}

TEST(TokenizerTest, CallerOverridesTruncationAndPadding) {
  auto t = Tokenizer::FromJson("{\"model\": " + std::string(kWordPiece) +
                               ", \"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}}");
  ASSERT_TRUE(t.ok());
  TruncationParams trunc;
  trunc.max_length = 2;
  (*t)->set_truncation(trunc);
  PaddingParams pad;
  pad.fixed = true;
  pad.length = 4;
  pad.pad_id = 9;
  pad.pad_token = "<p>";
  (*t)->set_padding(pad);
  auto e = (*t)->Encode("ab ab ab", {.add_special_tokens = true, .offsets = OffsetUnit::kByte});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->ids, (std::vector<uint32_t>{1, 2, 9, 9}));  // a ##b, then padding
  EXPECT_EQ(e->attention_mask, (std::vector<uint32_t>{1, 1, 0, 0}));
  EXPECT_EQ(e->tokens[3], "<p>");
  trunc.stride = 2;
  (*t)->set_truncation(trunc);
  auto bad = (*t)->Encode("ab ab ab");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(HasSubstr(bad.status().message(), "stride 2"));
  (*t)->set_truncation(std::nullopt);
  (*t)->set_padding(std::nullopt);
  auto full = (*t)->Encode("ab ab ab");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->size(), 6u);
}

TEST(TokenizerTest, ByteOffsetsCountBytes) {
  auto t = Tokenizer::FromJson(
      R"({"model": {"type": "WordLevel", "vocab": {"é": 0, "x": 1}, "unk_token": "x"},
          "pre_tokenizer": {"type": "WhitespaceSplit"}})");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto chars = (*t)->Encode("é é");
  auto bytes = (*t)->Encode("é é", {.add_special_tokens = true, .offsets = OffsetUnit::kByte});
  ASSERT_TRUE(chars.ok() && bytes.ok());
  EXPECT_EQ(chars->offsets, (std::vector<TokenOffsets>{{0, 1}, {2, 3}}));
  EXPECT_EQ(bytes->offsets, (std::vector<TokenOffsets>{{0, 2}, {3, 5}}));
}

TEST(TokenizerTest, ConcurrentEncodesAgree) {
  auto t = Tokenizer::FromJson(
      R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "abb": 3},
                    "merges": ["a b", "ab b"]},
          "pre_tokenizer": {"type": "WhitespaceSplit"}})");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  std::string text;
  for (int i = 0; i < 200; ++i) text += std::string(1 + i % 7, 'a') + std::string(i % 5, 'b') + " ";
  auto want = (*t)->Encode(text);
  ASSERT_TRUE(want.ok());
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&] {
      for (int r = 0; r < 20; ++r) {
        auto e = (*t)->Encode(text);
        if (!e.ok() || e->ids != want->ids) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(TokenizerTest, RunawayRegexIsAnErrorNotAHang) {
  auto t = Tokenizer::FromJson(
      R"({"model": {"type": "WordLevel", "vocab": {"x": 0}, "unk_token": "x"},
          "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a+)+b"},
                            "behavior": "Isolated", "invert": false}})");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto e = (*t)->Encode(std::string(5000, 'a') + "c");
  if (!e.ok()) {  // PCRE2 may also see that no match is possible and answer at once
    EXPECT_EQ(e.status().code(), StatusCode::kResourceExhausted);
    EXPECT_TRUE(HasSubstr(e.status().message(), "(a+)+b"));
  }
}

TEST(TokenizerTest, ParsesTokenIds) {
  auto ids = ParseTokenIds("[101, 7592 2088,102]");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<uint32_t>{101, 7592, 2088, 102}));
  EXPECT_FALSE(ParseTokenIds("1 -2").ok());
  EXPECT_FALSE(ParseTokenIds("99999999999").ok());
}

TEST(TokenizerUnicodeTest, OnigurumaClassesAreRewritten) {
  EXPECT_EQ(tk::RewriteOnigurumaPattern(R"(a\d)"), R"(a\d)");
  EXPECT_TRUE(HasSubstr(tk::RewriteOnigurumaPattern(R"(\s+)"), R"([\t\n\x0B\f\r )"));
  EXPECT_TRUE(HasSubstr(tk::RewriteOnigurumaPattern(R"([^\s\p{L}])"), R"([^\t\n\x0B)"));
  EXPECT_EQ(tk::RewriteOnigurumaPattern(R"(\w)"), R"([\p{L}\p{M}\p{Nd}\p{Pc}])");
  EXPECT_EQ(tk::RewriteOnigurumaPattern(R"(\\s)"), R"(\\s)");  // an escaped backslash, then s
  // U+180E is whitespace to PCRE2 but not to Oniguruma (nor to the reference).
  auto p = tk::Pattern::Regex(R"(\s)");
  ASSERT_TRUE(p.ok());
  std::vector<tk::PatternSpan> spans;
  ASSERT_TRUE(p->FindMatches("a\u180E\u00A0", &spans).ok());
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_FALSE(spans[0].is_match);
  EXPECT_TRUE(spans[1].is_match);
}

TEST(TokenizerUnicodeTest, LossyUtf8ReplacesEachMaximalBadPart) {
  EXPECT_EQ(tk::LossyUtf8("a\xF0\x9F\x98"
                          "b"),
            "a\uFFFD"
            "b");  // a cut 4-byte sequence: one
  EXPECT_EQ(tk::LossyUtf8("\xC3\xA9\xFF\xFE"), "\u00e9\uFFFD\uFFFD");
  EXPECT_EQ(tk::LossyUtf8("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");  // a surrogate
}

// Our normalization (with the per-character changes offsets need) gives the same characters as
// utf8proc's own, for every code point alone and after a base letter.
TEST(TokenizerUnicodeTest, NormalizationFormsAgreeWithUtf8proc) {
  const std::pair<tk::NormalizationForm, utf8proc_option_t> forms[] = {
      {tk::NormalizationForm::kNfc,
       static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE)},
      {tk::NormalizationForm::kNfd,
       static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE)},
      {tk::NormalizationForm::kNfkc,
       static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT)},
      {tk::NormalizationForm::kNfkd,
       static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT)},
  };
  int checked = 0, differ = 0;
  std::vector<tk::CharChange> out;
  for (char32_t c = 0x80; c < 0x30000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    for (const std::string& prefix : {std::string(), std::string("e")}) {
      std::string s = prefix;
      tk::AppendUtf8(c, &s);
      for (const auto& [form, option] : forms) {
        utf8proc_uint8_t* want = nullptr;
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                     static_cast<utf8proc_ssize_t>(s.size()), &want, option);
        std::string got;
        if (tk::Normalize(s, form, &out)) {
          for (const tk::CharChange& cc : out) tk::AppendUtf8(cc.c, &got);
        } else {
          got = s;
        }
        bool same = want && got == reinterpret_cast<char*>(want);
        if (!same && ++differ <= 5) {
          ADD_FAILURE() << "U+" << std::hex << uint32_t(c) << " form " << int(form) << ": "
                        << Escaped(got);
        }
        free(want);
        ++checked;
      }
    }
  }
  EXPECT_EQ(differ, 0) << "of " << checked;
}

}  // namespace
}  // namespace ipfs_accelerate::models
