#pragma once
// Access to real pretrained checkpoints fetched into a cache by
// scripts/fetch_minilm.sh (ctest runs it first as the `fetch_minilm` fixture).
// Tests that need one use
//   BOOST_AUTO_TEST_CASE(name, *boost::unit_test::precondition(adaptrec_test::has_minilm()))
// Outside CI a missing checkpoint skips the test with a printed reason; in CI
// (CI=true) the test runs and fails loudly instead.
#include <support/data.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

namespace adaptrec_test {

// The folder scripts/fetch_minilm.sh fills: $ADAPTREC_MINILM, else
// ${ADAPTREC_CACHE:-$HOME/.cache/adaptrec}/all-minilm-l6-v2.
inline std::filesystem::path minilm_dir() {
  if (const char* env = std::getenv("ADAPTREC_MINILM"); env && *env) return env;
  std::filesystem::path cache;
  if (const char* env = std::getenv("ADAPTREC_CACHE"); env && *env)
    cache = env;
  else if (const char* home = std::getenv("HOME"); home && *home)
    cache = std::filesystem::path(home) / ".cache" / "adaptrec";
  return cache / "all-minilm-l6-v2";
}

// The committed reference vectors made by tests/reference/make_vectors.py.
inline std::filesystem::path reference_dir() {
  return std::filesystem::path(ADAPTREC_SOURCE_DIR) / "tests" / "reference" / "vectors";
}

struct has_minilm {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    const auto weights = minilm_dir() / "model.safetensors";
    if (in_ci() || std::filesystem::exists(weights)) return true;
    const std::string reason = "skipped: " + weights.string() +
                               " not found (run scripts/fetch_minilm.sh or set ADAPTREC_MINILM)";
    std::cout << reason << '\n';
    boost::test_tools::assertion_result r(false);
    r.message() << reason;
    return r;
  }
};

}  // namespace adaptrec_test
