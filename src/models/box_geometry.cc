#include "models/box_geometry.h"

#include <algorithm>
#include <cmath>

namespace ipfs_accelerate::models {
namespace {

double Cross(const PointF& o, const PointF& a, const PointF& b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

// Clipper's rounding: halves away from zero.
double ClipperRound(double v) { return v < 0 ? std::ceil(v - 0.5) : std::floor(v + 0.5); }

// Clipper's Area, whose sign decides the orientation it offsets.
double ClipperArea(const std::vector<PointF>& poly) {
  if (poly.size() < 3) return 0;
  double a = 0;
  for (size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
    a += (poly[j].x + poly[i].x) * (poly[j].y - poly[i].y);
  }
  return -a * 0.5;
}

PointF UnitNormal(const PointF& a, const PointF& b) {
  double dx = b.x - a.x, dy = b.y - a.y;
  if (dx == 0 && dy == 0) return {0, 0};
  const double f = 1 / std::sqrt(dx * dx + dy * dy);
  dx *= f;
  dy *= f;
  return {dy, -dx};
}

}  // namespace

double Distance(const PointF& a, const PointF& b) { return std::hypot(a.x - b.x, a.y - b.y); }

std::vector<PointF> ConvexHull(std::vector<PointF> points) {
  std::sort(points.begin(), points.end(), [](const PointF& a, const PointF& b) {
    return a.x < b.x || (a.x == b.x && a.y < b.y);
  });
  points.erase(std::unique(points.begin(), points.end()), points.end());
  if (points.size() < 3) return points;
  std::vector<PointF> hull(2 * points.size());
  size_t k = 0;
  for (const PointF& p : points) {  // lower chain
    while (k >= 2 && Cross(hull[k - 2], hull[k - 1], p) <= 0) --k;
    hull[k++] = p;
  }
  for (size_t i = points.size() - 1, t = k + 1; i-- > 0;) {  // upper chain
    while (k >= t && Cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
    hull[k++] = points[i];
  }
  hull.resize(k - 1);  // the last point is the first
  return hull;
}

RotatedRect MinAreaRect(std::span<const PointF> points) {
  RotatedRect best;
  const std::vector<PointF> hull = ConvexHull({points.begin(), points.end()});
  if (hull.empty()) return best;
  if (hull.size() == 1) {
    best.corners.fill(hull[0]);
    return best;
  }
  double best_area = -1;
  for (size_t i = 0; i < hull.size(); ++i) {
    const PointF& a = hull[i];
    const PointF& b = hull[(i + 1) % hull.size()];
    const double len = Distance(a, b);
    const PointF u{(b.x - a.x) / len, (b.y - a.y) / len};
    const PointF n{-u.y, u.x};
    double s0 = INFINITY, s1 = -INFINITY, t0 = INFINITY, t1 = -INFINITY;
    for (const PointF& p : hull) {
      const double s = p.x * u.x + p.y * u.y, t = p.x * n.x + p.y * n.y;
      s0 = std::min(s0, s);
      s1 = std::max(s1, s);
      t0 = std::min(t0, t);
      t1 = std::max(t1, t);
    }
    const double area = (s1 - s0) * (t1 - t0);
    if (best_area >= 0 && area >= best_area) continue;
    best_area = area;
    auto at = [&](double s, double t) { return PointF{s * u.x + t * n.x, s * u.y + t * n.y}; };
    best.corners = {at(s0, t0), at(s1, t0), at(s1, t1), at(s0, t1)};
    best.width = s1 - s0;
    best.height = t1 - t0;
  }
  return best;
}

MiniBox GetMiniBox(std::span<const PointF> points) {
  const RotatedRect rect = MinAreaRect(points);
  Quad p = rect.corners;
  std::stable_sort(p.begin(), p.end(), [](const PointF& a, const PointF& b) { return a.x < b.x; });
  const bool first_upper = !(p[1].y < p[0].y);  // of the leftmost two, p[0] is the upper one
  const bool third_upper = !(p[3].y < p[2].y);
  const PointF top_left = first_upper ? p[0] : p[1], bottom_left = first_upper ? p[1] : p[0];
  const PointF top_right = third_upper ? p[2] : p[3], bottom_right = third_upper ? p[3] : p[2];
  return {{top_left, top_right, bottom_right, bottom_left}, rect.ShortSide()};
}

double PolygonArea(std::span<const PointF> polygon) {
  double a = 0;
  for (size_t i = 0, j = polygon.size() - 1; i < polygon.size(); j = i++) {
    a += polygon[j].x * polygon[i].y - polygon[i].x * polygon[j].y;
  }
  return a / 2;
}

double PolygonPerimeter(std::span<const PointF> polygon) {
  double length = 0;
  for (size_t i = 0, j = polygon.size() - 1; i < polygon.size(); j = i++) {
    length += Distance(polygon[j], polygon[i]);
  }
  return length;
}

std::vector<PointF> UnclipPolygon(std::span<const PointF> polygon, double ratio) {
  // ClipperOffset::AddPath: drop repeated points, closing ones included.
  std::vector<PointF> src;
  size_t high = polygon.size();
  while (high > 1 && polygon[0] == polygon[high - 1]) --high;
  for (size_t i = 0; i < high; ++i) {
    if (src.empty() || !(src.back() == polygon[i])) src.push_back(polygon[i]);
  }
  if (src.size() < 3) return {};
  const double perimeter = PolygonPerimeter(src);
  if (!(perimeter > 0)) return {};
  const double delta = std::abs(PolygonArea(src)) * ratio / perimeter;
  if (ClipperArea(src) < 0) std::reverse(src.begin(), src.end());  // FixOrientations
  if (!(delta > 1e-20)) {
    std::vector<PointF> same;
    for (const PointF& p : src) same.push_back({ClipperRound(p.x), ClipperRound(p.y)});
    return same;
  }

  // ClipperOffset::DoOffset with jtRound and the default arc tolerance (0.25).
  constexpr double kTwoPi = 6.28318530717959;
  const double tolerance = std::min(0.25, delta * 0.25);
  const double steps = 3.14159265358979 / std::acos(1 - tolerance / delta);
  const double sin_step = std::sin(kTwoPi / steps), cos_step = std::cos(kTwoPi / steps);
  const double steps_per_rad = steps / kTwoPi;
  const size_t n = src.size();
  std::vector<PointF> normals(n);
  for (size_t j = 0; j < n; ++j) normals[j] = UnitNormal(src[j], src[(j + 1) % n]);

  std::vector<PointF> out;
  auto push = [&](const PointF& p, const PointF& normal) {
    out.push_back({ClipperRound(p.x + normal.x * delta), ClipperRound(p.y + normal.y * delta)});
  };
  size_t k = n - 1;
  for (size_t j = 0; j < n; ++j) {  // OffsetPoint(j, k)
    double sin_a = normals[k].x * normals[j].y - normals[j].x * normals[k].y;
    if (std::abs(sin_a) < 0.00005) continue;  // collinear edges: k stays
    sin_a = std::clamp(sin_a, -1.0, 1.0);
    if (sin_a * delta < 0) {  // a concave corner
      push(src[j], normals[k]);
      out.push_back(src[j]);
      push(src[j], normals[j]);
    } else {  // DoRound: an arc from the previous edge's normal to this edge's
      const double a = std::atan2(sin_a, normals[k].x * normals[j].x + normals[k].y * normals[j].y);
      const int arc_steps = static_cast<int>(ClipperRound(steps_per_rad * std::abs(a)));
      PointF v = normals[k];
      for (int i = 0; i < arc_steps; ++i) {
        push(src[j], v);
        v = {v.x * cos_step - sin_step * v.y, v.x * sin_step + v.y * cos_step};
      }
      push(src[j], normals[j]);
    }
    k = j;
  }
  return out;
}

Quad OrderClockwise(const Quad& quad) {
  size_t tl = 0, br = 0;
  for (size_t i = 1; i < 4; ++i) {
    if (quad[i].x + quad[i].y < quad[tl].x + quad[tl].y) tl = i;
    if (quad[i].x + quad[i].y > quad[br].x + quad[br].y) br = i;
  }
  if (tl == br) return quad;  // all four on one anti-diagonal line: nothing to order by
  std::vector<size_t> rest;
  for (size_t i = 0; i < 4; ++i) {
    if (i != tl && i != br) rest.push_back(i);
  }
  const PointF a = quad[rest[0]], b = quad[rest[1]];
  const bool a_first = a.y - a.x <= b.y - b.x;
  return {quad[tl], a_first ? a : b, quad[br], a_first ? b : a};
}

bool PerspectiveTransform(const Quad& from, const Quad& to, std::array<double, 9>* matrix) {
  // Eight unknowns (the ninth is 1), two equations per point pair, Gauss-Jordan with partial
  // pivoting.
  double m[8][9];
  for (int i = 0; i < 4; ++i) {
    const double x = from[i].x, y = from[i].y, u = to[i].x, v = to[i].y;
    const double r0[9] = {x, y, 1, 0, 0, 0, -x * u, -y * u, u};
    const double r1[9] = {0, 0, 0, x, y, 1, -x * v, -y * v, v};
    std::copy(r0, r0 + 9, m[2 * i]);
    std::copy(r1, r1 + 9, m[2 * i + 1]);
  }
  for (int c = 0; c < 8; ++c) {
    int pivot = c;
    for (int r = c + 1; r < 8; ++r) {
      if (std::abs(m[r][c]) > std::abs(m[pivot][c])) pivot = r;
    }
    if (std::abs(m[pivot][c]) < 1e-12) return false;
    if (pivot != c) std::swap(m[pivot], m[c]);
    for (int r = 0; r < 8; ++r) {
      if (r == c) continue;
      const double f = m[r][c] / m[c][c];
      for (int k = c; k < 9; ++k) m[r][k] -= f * m[c][k];
    }
  }
  for (int i = 0; i < 8; ++i) (*matrix)[i] = m[i][8] / m[i][i];
  (*matrix)[8] = 1;
  return true;
}

}  // namespace ipfs_accelerate::models
