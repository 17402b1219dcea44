#pragma once
// Sets the library's worker-thread count for one scope and restores the
// previous count on the way out, so tests can compare serial and threaded runs.
#include <adaptrec/core/threads.hpp>

namespace adaptrec_test {

class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(adaptrec::num_threads()) { adaptrec::set_num_threads(n); }
  ~ThreadCount() { adaptrec::set_num_threads(saved_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;

 private:
  int saved_;
};

}  // namespace adaptrec_test
