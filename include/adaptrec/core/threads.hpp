#pragma once
// The CPU thread count used by the Eigen backend (GEMMs and the element-wise
// loops). Examples and benchmarks expose it as --threads.
#include <Eigen/Core>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace adaptrec {

inline void set_num_threads(int n) {
  if (n < 1) n = 1;
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
  Eigen::setNbThreads(n);
}

inline int num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

}  // namespace adaptrec
