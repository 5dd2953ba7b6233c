#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace ipfs_accelerate {

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

std::string Plural(uint64_t n, const std::string& noun, const std::string& plural) {
  return std::to_string(n) + " " + (n == 1 ? noun : plural.empty() ? noun + "s" : plural);
}

ProgressBar::ProgressBar(std::string label, uint64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled && isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { Finish(); }

ProgressBar ProgressBar::WithDetail(bool enabled) { return ProgressBar("", 0, enabled); }

bool ProgressBar::DueForDraw() {
  if (!enabled_) return false;
  auto now = std::chrono::steady_clock::now();
  if (now - start_ < std::chrono::seconds(1)) return false;
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return false;
  last_draw_ = now;
  return true;
}

void ProgressBar::Update(uint64_t done) {
  if (DueForDraw()) Draw(done);
}

void ProgressBar::Update(uint64_t done, const std::string& detail) {
  if (DueForDraw()) Draw(done, detail);
}

void ProgressBar::Update(double fraction, const std::string& label, const std::string& detail) {
  if (!DueForDraw()) return;
  constexpr int kWidth = 20;
  fraction = fraction < 0 ? 0 : fraction > 1 ? 1 : fraction;
  int filled = static_cast<int>(fraction * kWidth);
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '.');
  std::fprintf(stderr, "\r%s [%s] %s\x1b[K", label.c_str(), bar.c_str(), detail.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Draw(uint64_t done, const std::string& detail) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::string rate = HumanBytes(secs > 0 ? done / secs : 0) + "/s";
  if (!detail.empty()) rate += "  " + detail;
  if (total_ > 0) {
    constexpr int kWidth = 30;
    double frac = done >= total_ ? 1.0 : static_cast<double>(done) / total_;
    int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '.');
    std::fprintf(stderr, "\r%s [%s] %5.1f%% %s / %s  %s\x1b[K", label_.c_str(), bar.c_str(),
                 frac * 100, HumanBytes(done).c_str(), HumanBytes(total_).c_str(), rate.c_str());
  } else {
    std::fprintf(stderr, "\r%s %s  %s\x1b[K", label_.c_str(), HumanBytes(done).c_str(),
                 rate.c_str());
  }
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Clear() {
  if (drawn_) {
    std::fprintf(stderr, "\r\x1b[K");
    std::fflush(stderr);
    drawn_ = false;
  }
}

void ProgressBar::Finish() {
  Clear();
  enabled_ = false;
}

}  // namespace ipfs_accelerate
