#pragma once
// Checks on the exceptions a call throws and on the messages they carry.
//   require_throw_naming<shape_error>([&] { ... }, {"gemm", "[2, 3]"});
//   const std::string m = message_of<invalid_argument>([&] { ... });
#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <string>
#include <string_view>

namespace adaptrec_test {

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Runs `call`, which must throw `E`, and returns the message. Fails (and ends)
// the test case when nothing is thrown.
template <class E, class F>
std::string message_of(F&& call) {
  try {
    call();
  } catch (const E& e) {
    return e.what();
  }
  BOOST_FAIL("expected an exception, none was thrown");
  return {};
}

// Runs `call`, which must throw `E` whose message contains every fragment; each
// missing fragment is reported together with the whole message.
template <class E, class F>
void require_throw_naming(F&& call, std::initializer_list<std::string_view> fragments) {
  try {
    call();
  } catch (const E& e) {
    const std::string message = e.what();
    for (std::string_view f : fragments)
      BOOST_TEST(contains(message, f), "'" << message << "' lacks '" << f << "'");
    return;
  }
  BOOST_ERROR("no exception thrown; expected one naming '"
              << (fragments.size() ? *fragments.begin() : std::string_view{}) << "'");
}

}  // namespace adaptrec_test
