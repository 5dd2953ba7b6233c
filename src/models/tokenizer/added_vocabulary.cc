#include "models/tokenizer/added_vocabulary.h"

#include <algorithm>
#include <array>

namespace ipfs_accelerate::models::tokenizers {
namespace {

bool SameToken(const AddedToken& a, const AddedToken& b) {
  return a.content == b.content && a.single_word == b.single_word && a.lstrip == b.lstrip &&
         a.rstrip == b.rstrip && a.normalized == b.normalized && a.special == b.special;
}

// The last character of `s` is a \w character.
bool EndsWithWord(std::string_view s) {
  if (s.empty()) return false;
  size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return IsWordChar(DecodeUtf8(s, &i));
}

bool StartsWithWord(std::string_view s) {
  if (s.empty()) return false;
  size_t i = 0;
  return IsWordChar(DecodeUtf8(s, &i));
}

// Where the whitespace that ends `s` begins.
size_t TrailingSpaceStart(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    size_t i = end - 1;
    while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
    size_t j = i;
    if (!IsWhitespace(DecodeUtf8(s, &j))) break;
    end = i;
  }
  return end;
}

// How many bytes of whitespace `s` starts with.
size_t LeadingSpaceLength(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    if (!IsWhitespace(DecodeUtf8(s, &j))) break;
    i = j;
  }
  return i;
}

}  // namespace

void AddedVocabulary::Matcher::Build(const std::vector<std::string>& patterns,
                                     const std::vector<uint32_t>& pattern_ids) {
  edges.clear();
  terminal.assign(1, -1);
  ids = pattern_ids;
  std::fill(std::begin(first_byte), std::end(first_byte), false);
  for (size_t p = 0; p < patterns.size(); ++p) {
    const std::string& s = patterns[p];
    if (s.empty()) continue;
    first_byte[static_cast<unsigned char>(s[0])] = true;
    uint32_t node = 0;
    for (char ch : s) {
      uint64_t key = (uint64_t{node} << 8) | static_cast<unsigned char>(ch);
      auto [it, inserted] = edges.emplace(key, static_cast<uint32_t>(terminal.size()));
      if (inserted) terminal.push_back(-1);
      node = it->second;
    }
    if (terminal[node] < 0) terminal[node] = static_cast<int64_t>(p);  // the first one wins
  }
}

void AddedVocabulary::Matcher::FindAll(std::string_view text,
                                       std::vector<std::array<size_t, 3>>* out) const {
  out->clear();
  if (ids.empty()) return;
  size_t i = 0;
  while (i < text.size()) {
    if (!first_byte[static_cast<unsigned char>(text[i])]) {
      ++i;
      continue;
    }
    uint32_t node = 0;
    size_t best_end = 0;
    int64_t best = -1;
    for (size_t k = i; k < text.size(); ++k) {
      auto it = edges.find((uint64_t{node} << 8) | static_cast<unsigned char>(text[k]));
      if (it == edges.end()) break;
      node = it->second;
      if (terminal[node] >= 0) {
        best = terminal[node];
        best_end = k + 1;
      }
    }
    if (best < 0) {
      ++i;
      continue;
    }
    out->push_back({i, best_end, ids[static_cast<size_t>(best)]});
    i = best_end;
  }
}

Status AddedVocabulary::Add(const std::vector<AddedToken>& tokens, const Model& model,
                            const Normalizer* normalizer) {
  for (const AddedToken& token : tokens) {
    if (token.content.empty()) continue;
    if (token.special && std::none_of(special_.begin(), special_.end(), [&](const AddedToken& t) {
          return t.content == token.content;
        })) {
      special_.push_back(token);
    }
    if (auto id = TokenToId(token.content)) {  // the same token added again changes nothing
      if (const AddedToken* t = Find(*id); t && SameToken(*t, token)) continue;
    }
    uint32_t id;
    if (auto existing = TokenToId(token.content)) {
      id = *existing;
    } else if (auto in_model = model.TokenToId(token.content)) {
      id = *in_model;
    } else {
      // The reference's rule: past the model's vocabulary, after the largest added id.
      uint32_t vocab_size = static_cast<uint32_t>(model.VocabSize());
      id = vocab_size;
      if (!by_content_.empty() && (max_id_ >= vocab_size || vocab_size == 0)) id = max_id_ + 1;
    }
    by_content_.insert_or_assign(token.content, id);
    max_id_ = by_content_.size() == 1 ? id : std::max(max_id_, id);
    by_id_.insert_or_assign(id, token);
    bool is_special = std::any_of(special_.begin(), special_.end(),
                                  [&](const AddedToken& t) { return t.content == token.content; });
    if (!is_special) plain_.push_back(token);
  }
  // Rebuild both matchers: special tokens first, then the others.
  std::vector<std::string> raw, normalized;
  std::vector<uint32_t> raw_ids, normalized_ids;
  auto add_pattern = [&](const AddedToken& t) -> Status {
    uint32_t id = *TokenToId(t.content);
    if (!t.normalized) {
      raw.push_back(t.content);
      raw_ids.push_back(id);
      return Status::Ok();
    }
    NormalizedString s(t.content);
    if (normalizer) IA_RETURN_IF_ERROR(normalizer->Normalize(&s));
    normalized.push_back(s.get());
    normalized_ids.push_back(id);
    return Status::Ok();
  };
  for (const AddedToken& t : special_) IA_RETURN_IF_ERROR(add_pattern(t));
  for (const AddedToken& t : plain_) IA_RETURN_IF_ERROR(add_pattern(t));
  original_matcher_.Build(raw, raw_ids);
  normalized_matcher_.Build(normalized, normalized_ids);
  return Status::Ok();
}

std::optional<uint32_t> AddedVocabulary::TokenToId(std::string_view content) const {
  auto it = by_content_.find(content);
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

const AddedToken* AddedVocabulary::Find(uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

bool AddedVocabulary::IsSpecial(std::string_view content) const {
  return std::any_of(special_.begin(), special_.end(),
                     [&](const AddedToken& t) { return t.content == content; });
}

Status AddedVocabulary::SplitWithMatcher(NormalizedString&& piece, const Matcher& matcher,
                                         std::vector<PreToken>* out) const {
  const std::string& sentence = piece.get();
  std::vector<std::array<size_t, 3>> matches;
  matcher.FindAll(sentence, &matches);
  if (matches.empty()) {
    out->push_back({std::move(piece), std::nullopt});
    return Status::Ok();
  }
  struct Cut {
    size_t start, end;
    int64_t id;  // -1: text
  };
  std::vector<Cut> cuts;
  size_t start_offset = 0;
  for (const auto& [match_start, match_end, id] : matches) {
    size_t start = match_start, stop = match_end;
    const AddedToken* token = Find(static_cast<uint32_t>(id));
    if (token && token->single_word) {
      bool start_space = start == 0 || !EndsWithWord(std::string_view(sentence).substr(0, start));
      bool stop_space =
          stop == sentence.size() || !StartsWithWord(std::string_view(sentence).substr(stop));
      if (!start_space || !stop_space) continue;
    }
    if (token && token->lstrip) {
      start =
          std::max(TrailingSpaceStart(std::string_view(sentence).substr(0, start)), start_offset);
    }
    if (token && token->rstrip) stop += LeadingSpaceLength(std::string_view(sentence).substr(stop));
    if (start_offset < start) cuts.push_back({start_offset, start, -1});
    cuts.push_back({start, stop, static_cast<int64_t>(id)});
    start_offset = stop;
  }
  if (start_offset != sentence.size()) cuts.push_back({start_offset, sentence.size(), -1});
  for (const Cut& cut : cuts) {
    PreToken part;
    if (!piece.Slice(cut.start, cut.end, &part.normalized)) {
      return Status::Internal("added tokens: a cut is not on character boundaries");
    }
    if (cut.id >= 0) {
      std::string value = part.normalized.get();
      size_t len = value.size();
      part.tokens.emplace();
      part.tokens->push_back({static_cast<uint32_t>(cut.id), std::move(value), 0, len});
    }
    out->push_back(std::move(part));
  }
  return Status::Ok();
}

Status AddedVocabulary::ExtractAndNormalize(const Normalizer* normalizer,
                                            PreTokenizedString* text) const {
  IA_RETURN_IF_ERROR(
      text->SplitWithTokens([&](NormalizedString&& piece, std::vector<PreToken>* out) {
        return SplitWithMatcher(std::move(piece), original_matcher_, out);
      }));
  return text->SplitWithTokens([&](NormalizedString&& piece, std::vector<PreToken>* out) {
    if (normalizer) IA_RETURN_IF_ERROR(normalizer->Normalize(&piece));
    return SplitWithMatcher(std::move(piece), normalized_matcher_, out);
  });
}

}  // namespace ipfs_accelerate::models::tokenizers
