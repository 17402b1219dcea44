#include <adaptrec/optim/adam.hpp>
#include <adaptrec/optim/sgd.hpp>

#include <support/expect_throw.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::message_of;

BOOST_AUTO_TEST_SUITE(optim_parameter_list)

BOOST_AUTO_TEST_CASE(rejects_bad_parameter_lists) {
  Parameter<double> p(Shape{2, 3});
  const std::string twice = message_of<invalid_argument>(
      [&] { optim::Sgd<double>({{"first", &p}, {"second", &p}}); });
  BOOST_TEST(twice.find("listed twice") != std::string::npos);
  BOOST_TEST(twice.find("first") != std::string::npos);
  BOOST_TEST(message_of<invalid_argument>([&] { optim::Adam<double>({{"missing", nullptr}}); })
                 .find("missing") != std::string::npos);
  Parameter<double> mismatched(Shape{2, 3});
  mismatched.grad = Tensor<double>(Shape{3, 2});
  const std::string shapes =
      message_of<shape_error>([&] { optim::Adam<double>({{"proj.weight", &mismatched}}); });
  BOOST_TEST(shapes.find("proj.weight") != std::string::npos);
  BOOST_TEST(shapes.find("[3, 2]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_bad_touched_rows) {
  Parameter<double> table(Shape{4, 2});
  table.sparse = true;
  optim::Adam<double> adam({{"embedding", &table}}, {.lazy_sparse = true});
  table.touched_rows = {2, 1};
  BOOST_TEST(message_of<invalid_argument>([&] { adam.step(); }).find("finalize_sparse_rows") !=
             std::string::npos);
  table.touched_rows = {1, 4};
  const std::string out_of_range = message_of<index_error>([&] { adam.step(); });
  BOOST_TEST(out_of_range.find("row 4") != std::string::npos);
  BOOST_TEST(out_of_range.find("[4, 2]") != std::string::npos);
  BOOST_TEST(adam.step_count(0) == 0);
}

// Updates are split into blocks run in parallel; a parameter larger than one
// block must still be updated everywhere exactly once.
BOOST_AUTO_TEST_CASE(large_parameters_update_every_element_once) {
  Parameter<float> big(Shape{300, 257});
  big.grad.fill(1.0f);
  optim::Sgd<float> sgd({{"big", &big}}, {.learning_rate = 0.5f});
  sgd.step();
  for (float x : big.value) BOOST_REQUIRE(x == -0.5f);
}

BOOST_AUTO_TEST_SUITE_END()
