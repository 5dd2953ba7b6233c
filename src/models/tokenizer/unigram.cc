#include "models/tokenizer/unigram.h"

#include <cstdio>
#include <limits>

#include "models/tokenizer/json_fields.h"
#include "models/tokenizer/unicode.h"

namespace ipfs_accelerate::models::tokenizers {
namespace {

constexpr double kUnkPenalty = 10.0;

}  // namespace

Result<std::unique_ptr<Unigram>> Unigram::Create(std::vector<std::pair<std::string, double>> pieces,
                                                 std::optional<uint32_t> unk_id,
                                                 bool byte_fallback) {
  if (unk_id) {
    if (pieces.empty()) {
      return Status::InvalidArgument("Unigram: the vocabulary is empty but unk_id is set");
    }
    if (*unk_id >= pieces.size()) {
      return Status::InvalidArgument("Unigram: unk_id " + std::to_string(*unk_id) +
                                     " is past the vocabulary (" + std::to_string(pieces.size()) +
                                     " pieces)");
    }
  }
  std::unique_ptr<Unigram> u(new Unigram());
  u->unk_id_ = unk_id;
  u->byte_fallback_ = byte_fallback;
  u->min_score_ = std::numeric_limits<double>::infinity();
  u->terminal_.push_back(-1);
  for (uint32_t id = 0; id < pieces.size(); ++id) {
    const std::string& piece = pieces[id].first;
    u->ids_.Set(piece, id);
    u->min_score_ = std::min(u->min_score_, pieces[id].second);
    uint32_t node = 0;
    for (char ch : piece) {
      uint64_t key = (uint64_t{node} << 8) | static_cast<unsigned char>(ch);
      auto [it, inserted] = u->edges_.emplace(key, static_cast<uint32_t>(u->terminal_.size()));
      if (inserted) u->terminal_.push_back(-1);
      node = it->second;
    }
    if (!piece.empty()) u->terminal_[node] = id;
  }
  u->pieces_ = std::move(pieces);
  return u;
}

std::optional<uint32_t> Unigram::TokenToId(std::string_view token) const {
  return ids_.Find(token);
}

template <typename F>
void Unigram::PrefixSearch(std::string_view text, F&& found) const {
  uint32_t node = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto it = edges_.find((uint64_t{node} << 8) | static_cast<unsigned char>(text[i]));
    if (it == edges_.end()) return;
    node = it->second;
    if (terminal_[node] >= 0) {
      // The reference keeps the id of the last piece with this text.
      found(*ids_.Find(text.substr(0, i + 1)), i + 1);
    }
  }
}

Status Unigram::Tokenize(std::string_view text, std::vector<Token>* out) const {
  if (text.empty()) return Status::Ok();
  struct Best {
    uint32_t id = 0;
    double score = 0;
    int64_t start = -1;  // -1: no path ends here yet
  };
  const size_t n = text.size();
  const double unk_score = min_score_ - kUnkPenalty;
  std::vector<Best> best(n + 1);
  for (size_t start = 0; start < n;) {
    double here = best[start].score;
    size_t char_len =
        std::min(Utf8SequenceLength(static_cast<unsigned char>(text[start])), n - start);
    bool single = false;
    PrefixSearch(text.substr(start), [&](uint32_t id, size_t len) {
      Best& target = best[start + len];
      double candidate = here + pieces_[id].second;
      if (target.start < 0 || candidate > target.score) {
        target = {id, candidate, static_cast<int64_t>(start)};
      }
      single |= len == char_len;
    });
    if (!single) {
      if (!unk_id_) {
        return Status::InvalidArgument(
            "Unigram: a character is not in the vocabulary and the model has no unk_id");
      }
      Best& target = best[start + char_len];
      double candidate = here + unk_score;
      if (target.start < 0 || candidate > target.score) {
        target = {*unk_id_, candidate, static_cast<int64_t>(start)};
      }
    }
    start += char_len;
  }
  // Back from the end; adjacent unknown characters fuse into one piece.
  std::vector<std::pair<size_t, size_t>> spans;  // [start, end) of each piece, reversed
  size_t end = n;
  size_t unk_end = 0;
  bool in_unk = false;
  while (end > 0) {
    const Best& node = best[end];
    if (node.start < 0)
      return Status::Internal("Unigram: no segmentation reaches byte " + std::to_string(end));
    size_t start = static_cast<size_t>(node.start);
    if (unk_id_ && node.id == *unk_id_) {
      if (!in_unk) unk_end = end;
      in_unk = true;
    } else {
      if (in_unk) spans.push_back({end, unk_end});
      in_unk = false;
      spans.push_back({start, end});
    }
    end = start;
  }
  if (in_unk) spans.push_back({0, unk_end});
  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    std::string_view piece = text.substr(it->first, it->second - it->first);
    auto id = TokenToId(piece);
    if (id) {
      out->push_back({*id, std::string(piece), it->first, it->second});
      continue;
    }
    if (byte_fallback_) {
      std::vector<uint32_t> bytes;
      for (char b : piece) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", static_cast<unsigned char>(b));
        auto byte_id = TokenToId(name);
        if (!byte_id) break;
        bytes.push_back(*byte_id);
      }
      if (bytes.size() == piece.size()) {
        for (size_t k = 0; k < bytes.size(); ++k) {
          out->push_back({bytes[k], pieces_[bytes[k]].first, it->first, it->second});
        }
        continue;
      }
    }
    if (!unk_id_) {
      return Status::InvalidArgument("Unigram: \"" + std::string(piece) +
                                     "\" is not in the vocabulary and the model has no unk_id");
    }
    out->push_back({*unk_id_, std::string(piece), it->first, it->second});
  }
  return Status::Ok();
}

Result<std::unique_ptr<Model>> ParseUnigram(const nlohmann::json& j, const std::string& path) {
  IA_ASSIGN_OR_RETURN(JsonObject o, JsonObject::From(j, path));
  const nlohmann::json* v = o.Get("vocab");
  if (!v || !v->is_array()) {
    return JsonTypeError(o.PathOf("vocab"), "an array of [piece, score]",
                         v ? *v : nlohmann::json());
  }
  std::vector<std::pair<std::string, double>> pieces;
  pieces.reserve(v->size());
  for (size_t i = 0; i < v->size(); ++i) {
    const nlohmann::json& e = (*v)[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number()) {
      return JsonTypeError(o.PathOf("vocab") + "[" + std::to_string(i) + "]",
                           "a [piece, score] pair", e);
    }
    pieces.emplace_back(e[0].get<std::string>(), e[1].get<double>());
  }
  std::optional<uint32_t> unk_id;
  if (o.Get("unk_id")) {
    IA_ASSIGN_OR_RETURN(uint64_t id, o.Uint("unk_id"));
    unk_id = static_cast<uint32_t>(id);
  }
  IA_ASSIGN_OR_RETURN(bool byte_fallback, o.BoolOr("byte_fallback", false));
  auto model = Unigram::Create(std::move(pieces), unk_id, byte_fallback);
  if (!model.ok()) return model.status().WithContext(o.PathOf("unk_id"));
  return std::unique_ptr<Model>(std::move(model).value());
}

}  // namespace ipfs_accelerate::models::tokenizers
