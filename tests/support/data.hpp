#pragma once
// Access to the real datasets in ADAPTREC_DATA (default: ../shared/data from the
// repository root). Tests that need them use
//   BOOST_AUTO_TEST_CASE(name, *boost::unit_test::precondition(adaptrec_test::has_data("ml-100k")))
// Outside CI a missing dataset skips the test with a printed reason; in CI
// (CI=true) the test runs and fails loudly on the missing file instead.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

namespace adaptrec_test {

inline std::filesystem::path data_dir() {
  if (const char* env = std::getenv("ADAPTREC_DATA"); env && *env) return env;
  return std::filesystem::path(ADAPTREC_SOURCE_DIR) / ".." / "shared" / "data";
}

inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

// The path of `relative` inside the data folder; fails the test if it is absent.
inline std::filesystem::path data_path(const std::string& relative) {
  const auto p = data_dir() / relative;
  if (!std::filesystem::exists(p))
    BOOST_FAIL("dataset file missing: " + p.string() + " (set ADAPTREC_DATA)");
  return p;
}

struct has_data {
  std::string relative;
  explicit has_data(std::string r) : relative(std::move(r)) {}
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    if (in_ci() || std::filesystem::exists(data_dir() / relative)) return true;
    const std::string reason =
        "skipped: " + (data_dir() / relative).string() + " not found (set ADAPTREC_DATA)";
    std::cout << reason << '\n';
    boost::test_tools::assertion_result r(false);
    r.message() << reason;
    return r;
  }
};

}  // namespace adaptrec_test
