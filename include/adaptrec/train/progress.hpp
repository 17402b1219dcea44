#pragma once
// A one-line progress report for long work (training epochs, data loading):
// throughput and running loss, redrawn in place on a terminal, one line per
// update otherwise. Silent unless enabled, so tests stay quiet.
#include <chrono>
#include <cstdio>
#include <string>
#include <unistd.h>

namespace adaptrec::train {

class Progress {
 public:
  Progress(std::string label, bool enabled, std::FILE* out = stderr)
      : label_(std::move(label)), enabled_(enabled), out_(out),
        interactive_(enabled && isatty(fileno(out))),
        start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

  // Adds a finished batch of `samples` with mean loss `loss`.
  void update(std::size_t samples, double loss) {
    samples_ += samples;
    loss_sum_ += loss * static_cast<double>(samples);
    const auto now = std::chrono::steady_clock::now();
    if (interactive_ && now - last_draw_ > std::chrono::milliseconds(200)) {
      draw('\r');
      last_draw_ = now;
    }
  }

  double mean_loss() const { return samples_ ? loss_sum_ / static_cast<double>(samples_) : 0.0; }
  std::size_t samples() const { return samples_; }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  double samples_per_second() const {
    const double s = seconds();
    return s > 0 ? static_cast<double>(samples_) / s : 0.0;
  }

  // Prints the final line, with an optional suffix (validation metrics).
  void finish(const std::string& suffix = {}) {
    if (!enabled_) return;
    draw(interactive_ ? '\r' : '\0', suffix);
    std::fputc('\n', out_);
    std::fflush(out_);
  }

 private:
  void draw(char lead, const std::string& suffix = {}) {
    if (lead) std::fputc(lead, out_);
    std::fprintf(out_, "%s  %zu samples  %.0f samples/s  loss %.4f%s%s", label_.c_str(), samples_,
                 samples_per_second(), mean_loss(), suffix.empty() ? "" : "  ", suffix.c_str());
    std::fflush(out_);
  }

  std::string label_;
  bool enabled_;
  std::FILE* out_;
  bool interactive_;
  std::size_t samples_ = 0;
  double loss_sum_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace adaptrec::train
