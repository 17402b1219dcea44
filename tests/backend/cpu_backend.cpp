#include <adaptrec/backend/cpu_backend.hpp>
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/random.hpp>

#include <support/cpu_backend.hpp>
#include <support/expect_throw.hpp>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>

using namespace adaptrec;
using backend::CpuBackend;

BOOST_AUTO_TEST_SUITE(backend_cpu_backend)

BOOST_AUTO_TEST_CASE(names_parse_and_unknown_names_are_refused) {
  BOOST_TEST((backend::parse_cpu_backend("eigen", "test") == CpuBackend::eigen));
  adaptrec_test::require_throw_naming<invalid_argument>(
      [] { backend::parse_cpu_backend("mkl", "ADAPTREC_CPU_BACKEND"); },
      {"ADAPTREC_CPU_BACKEND is 'mkl'"});
  if (backend::onednn_built)
    BOOST_TEST((backend::parse_cpu_backend("onednn", "test") == CpuBackend::onednn));
  else
    adaptrec_test::require_throw_naming<invalid_argument>(
        [] { backend::parse_cpu_backend("onednn", "ADAPTREC_CPU_BACKEND"); },
        {"built without it"});
}

BOOST_AUTO_TEST_CASE(the_environment_chooses_the_starting_backend) {
  // ctest runs this family twice: as is, and with ADAPTREC_CPU_BACKEND=eigen.
  const char* env = std::getenv("ADAPTREC_CPU_BACKEND");
  const std::string expected = env && *env ? env : backend::onednn_built ? "onednn" : "eigen";
  BOOST_TEST(backend::to_string(backend::cpu_backend()) == expected);
}

BOOST_AUTO_TEST_CASE(a_limited_isa_is_named_in_the_description) {
  // ctest also runs this family with ONEDNN_MAX_CPU_ISA set to each path
  // this CPU can take (support/with_onednn_isa.sh); the GEMM tests then check
  // that path's results, and this one that oneDNN took it.
  const char* isa = std::getenv("ONEDNN_MAX_CPU_ISA");
  if (!backend::onednn_built || !isa || !*isa) return;
  std::string expected = isa;
  std::transform(expected.begin(), expected.end(), expected.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  adaptrec_test::CpuBackendScope scope(CpuBackend::onednn);
  const std::string line = backend::cpu_backend_description();
  BOOST_TEST_MESSAGE(line);
  BOOST_TEST(line.find(" " + expected + " (") != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(selection_is_scoped_and_described) {
  for (CpuBackend b : adaptrec_test::built_cpu_backends()) {
    adaptrec_test::CpuBackendScope scope(b);
    BOOST_TEST((backend::cpu_backend() == b));
    const std::string line = backend::cpu_backend_description();
    BOOST_TEST_MESSAGE(line);
    BOOST_TEST(line.find("cpu: " + backend::to_string(b)) == 0u, line);
  }
  if (!backend::onednn_built)
    adaptrec_test::require_throw_naming<invalid_argument>(
        [] { backend::set_cpu_backend(CpuBackend::onednn); }, {"built without it"});
}

BOOST_AUTO_TEST_CASE(both_backends_give_the_same_product) {
  // The double-precision reference checks are in gemm.cpp; this one pins that
  // switching backends mid-program changes kernels, not results.
  Rng rng(7);
  Tensor<float> a(Shape{65, 47}), b(Shape{47, 31});
  fill_uniform(a, -1.0f, 1.0f, rng);
  fill_uniform(b, -1.0f, 1.0f, rng);
  Tensor<float> first(Shape{65, 31}), other(Shape{65, 31});
  {
    adaptrec_test::CpuBackendScope scope(CpuBackend::eigen);
    backend::gemm(a, backend::Trans::no, b, backend::Trans::no, first);
  }
  {
    adaptrec_test::CpuBackendScope scope(adaptrec_test::built_cpu_backends().back());
    backend::gemm(a, backend::Trans::no, b, backend::Trans::no, other);
  }
  // Summation orders differ, so each element may move by a few float ulps of
  // sum_p |a_ip b_pj|, not of the (possibly cancelled) result.
  for (index_t i = 0; i < 65; ++i)
    for (index_t j = 0; j < 31; ++j) {
      double magnitude = 0;
      for (index_t p = 0; p < 47; ++p) magnitude += std::abs(double(a(i, p)) * double(b(p, j)));
      BOOST_TEST(std::abs(double(first(i, j)) - double(other(i, j))) <= 1e-6 * magnitude);
    }
}

BOOST_AUTO_TEST_SUITE_END()
