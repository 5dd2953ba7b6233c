// A progress bar on stderr for work that runs over a second; silent when stderr is not a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ipfs_accelerate {

class ProgressBar {
 public:
  // `total` in bytes; 0 when unknown (then only the count and rate are shown).
  ProgressBar(std::string label, uint64_t total, bool enabled = true);
  // A bar for work counted in other units: shows the fraction done and a caller's detail text.
  static ProgressBar WithDetail(bool enabled = true);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Reports `done` bytes so far; redraws at most ten times a second, starting after one second.
  void Update(uint64_t done);
  // As Update(done), with `detail` after the rate ("812 blocks from http://…").
  void Update(uint64_t done, const std::string& detail);
  // For WithDetail bars: `fraction` of the work done (0…1), `label` before the bar and `detail`
  // after it. Redraws at most ten times a second, starting after one second.
  void Update(double fraction, const std::string& label, const std::string& detail);
  // Clears the bar line if one was drawn; later updates draw again (to print a line between).
  void Clear();
  // Clears the bar line if one was drawn, and draws no more.
  void Finish();

 private:
  void Draw(uint64_t done, const std::string& detail = "");
  bool DueForDraw();
  std::string label_;
  uint64_t total_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1.5 MiB" style sizes for people.
std::string HumanBytes(double bytes);

// "1 block", "2 blocks": a count and its noun, plural by adding "s" (or `plural` when given).
std::string Plural(uint64_t n, const std::string& noun, const std::string& plural = "");

}  // namespace ipfs_accelerate
