#include "models/text_layout.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ipfs_accelerate::models {

std::vector<size_t> ReadingOrder(std::span<const Quad> boxes) {
  std::vector<size_t> order(boxes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const PointF &pa = boxes[a][0], &pb = boxes[b][0];
    return pa.y < pb.y || (pa.y == pb.y && pa.x < pb.x);
  });
  for (size_t i = 0; i + 1 < order.size(); ++i) {
    for (size_t j = i + 1; j-- > 0;) {
      const PointF& next = boxes[order[j + 1]][0];
      const PointF& here = boxes[order[j]][0];
      if (std::abs(next.y - here.y) < 10 && next.x < here.x) {
        std::swap(order[j], order[j + 1]);
      } else {
        break;
      }
    }
  }
  return order;
}

std::vector<TextLine> MergeLines(std::span<const TextLine> pieces) {
  if (pieces.empty()) return {};
  auto midline = [](const Quad& q) { return (q[0].y + q[2].y) / 2; };
  double mean_height = 0;
  for (const TextLine& p : pieces) mean_height += p.box[2].y - p.box[0].y;
  mean_height /= static_cast<double>(pieces.size());

  std::vector<std::vector<const TextLine*>> groups;
  for (const TextLine& p : pieces) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) {
      return std::abs(midline(g.front()->box) - midline(p.box)) < mean_height / 2;
    });
    if (it != groups.end()) {
      it->push_back(&p);
    } else {
      groups.push_back({&p});
    }
  }
  for (auto& g : groups) {
    std::stable_sort(g.begin(), g.end(), [](const TextLine* a, const TextLine* b) {
      return a->box[0].x < b->box[0].x;
    });
  }
  std::stable_sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) {
    return a.front()->box[0].y < b.front()->box[0].y;
  });

  std::vector<TextLine> lines;
  for (const auto& g : groups) {
    TextLine line;
    double confidence = 0;
    for (const TextLine* p : g) {
      if (p != g.front()) line.text += ' ';
      line.text += p->text;
      confidence += p->confidence;
    }
    line.confidence = static_cast<float>(confidence / static_cast<double>(g.size()));
    line.box = {g.front()->box[0], g.back()->box[1], g.back()->box[2], g.front()->box[3]};
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace ipfs_accelerate::models
