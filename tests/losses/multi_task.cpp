#include <adaptrec/losses/multi_task.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;

BOOST_AUTO_TEST_SUITE(losses_multi_task)

BOOST_AUTO_TEST_CASE(fixed_weights_give_the_weighted_sum) {
  losses::MultiTaskLoss<double> mtl(std::vector<double>{1.0, 0.5, 2.0});
  const std::vector<double> task_losses{0.7, 1.2, 0.1};
  BOOST_TEST(mtl.combine(task_losses) == 0.7 + 0.6 + 0.2, boost::test_tools::tolerance(1e-15));
  BOOST_TEST(mtl.last_losses() == task_losses);
  BOOST_TEST(mtl.task_count() == 3u);
  BOOST_TEST(mtl.task_name(1) == "task1");
  BOOST_TEST(mtl.weight(2) == 2.0);
  BOOST_TEST(mtl.backward() == (std::vector<double>{1.0, 0.5, 2.0}));
  BOOST_TEST(mtl.combine({1.0, 1.0, 1.0}) == 3.5, boost::test_tools::tolerance(1e-15));

  Tensor<double> grad(Shape{2}, {4.0, -2.0});
  mtl.scale_gradient(1, grad);
  BOOST_TEST(grad[0] == 2.0);
  BOOST_TEST(grad[1] == -1.0);

  int visited = 0;
  mtl.visit_parameters([&](const std::string&, Parameter<double>&) { ++visited; }, "mtl");
  BOOST_TEST(visited == 0);
}

BOOST_AUTO_TEST_CASE(named_weights) {
  losses::MultiTaskLoss<float> mtl(
      std::vector<std::pair<std::string, float>>{{"ctr", 1.0f}, {"cvr", 0.25f}});
  BOOST_TEST(mtl.task_name(0) == "ctr");
  BOOST_TEST(mtl.task_name(1) == "cvr");
  BOOST_TEST(mtl.combine({0.4f, 2.0f}) == 0.9f, boost::test_tools::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(uncertainty_weighting_matches_kendall_et_al) {
  auto mtl = losses::MultiTaskLoss<double>::uncertainty_weighted({"rating", "click"}, 0.5);
  BOOST_TEST(mtl.learns_weights());
  std::vector<std::string> names;
  mtl.visit_parameters(
      [&](const std::string& name, Parameter<double>& p) {
        names.push_back(name);
        BOOST_TEST((p.shape() == Shape{2}));
        p.value[1] = -1.0;
      },
      "mtl");
  BOOST_TEST(names == (std::vector<std::string>{"mtl.log_variance"}));
  BOOST_TEST(mtl.weight(0) == std::exp(-0.5), boost::test_tools::tolerance(1e-15));
  BOOST_TEST(mtl.weight(1) == std::exp(1.0), boost::test_tools::tolerance(1e-15));
  const double expected = std::exp(-0.5) * 2.0 + 0.5 + std::exp(1.0) * 0.3 - 1.0;
  BOOST_TEST(mtl.combine({2.0, 0.3}) == expected, boost::test_tools::tolerance(1e-14));
  const std::vector<double> d_losses = mtl.backward();
  BOOST_TEST(d_losses[0] == std::exp(-0.5), boost::test_tools::tolerance(1e-15));
  BOOST_TEST(d_losses[1] == std::exp(1.0), boost::test_tools::tolerance(1e-15));
}

BOOST_AUTO_TEST_CASE(log_variance_gradient_matches_finite_differences) {
  auto mtl = losses::MultiTaskLoss<double>::uncertainty_weighted({"a", "b", "c"});
  const std::vector<double> task_losses{0.3, 2.5, 1.0};
  Parameter<double>* log_variance = nullptr;
  mtl.visit_parameters([&](const std::string&, Parameter<double>& p) { log_variance = &p; }, "");
  BOOST_REQUIRE(log_variance != nullptr);
  log_variance->value[0] = 0.7;
  log_variance->value[2] = -0.4;
  mtl.combine(task_losses);
  mtl.backward();
  const Tensor<double> analytic = log_variance->grad;
  adaptrec_test::compare(
      analytic,
      adaptrec_test::numeric_gradient(log_variance->value, [&] { return mtl.combine(task_losses); }),
      "d log_variance");
  // d total / d l_i = exp(-s_i), checked against finite differences in the losses.
  mtl.combine(task_losses);
  const std::vector<double> d_losses = mtl.backward();
  for (std::size_t i = 0; i < task_losses.size(); ++i) {
    std::vector<double> up = task_losses, down = task_losses;
    up[i] += 1e-6;
    down[i] -= 1e-6;
    adaptrec_test::check_close(d_losses[i], (mtl.combine(up) - mtl.combine(down)) / 2e-6,
                               "d loss " + std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(bad_inputs_throw_naming_what_is_wrong) {
  losses::MultiTaskLoss<double> mtl(
      std::vector<std::pair<std::string, double>>{{"ctr", 1.0}, {"cvr", 1.0}});
  require_throw_naming<invalid_argument>([&] { mtl.combine({1.0}); }, {"1 task losses", "2 tasks"});
  require_throw_naming<invalid_argument>(
      [&] { mtl.combine({1.0, std::numeric_limits<double>::quiet_NaN()}); }, {"cvr", "NaN"});
  require_throw_naming<index_error>([&] { mtl.weight(2); }, {"task 2"});
  Tensor<double> grad(Shape{1});
  require_throw_naming<index_error>([&] { mtl.scale_gradient(5, grad); }, {"task 5"});
  require_throw_naming<invalid_argument>(
      [] {
        losses::MultiTaskLoss<double> bad(
            std::vector<std::pair<std::string, double>>{{"ctr", 1.0}, {"cvr", -0.5}});
      },
      {"cvr"});
  require_throw_naming<invalid_argument>(
      [] { losses::MultiTaskLoss<double> none(std::vector<double>{}); }, {"no tasks"});
  require_throw_naming<error>([] { losses::MultiTaskLoss<double>(std::vector<double>{1.0}).backward(); },
                              {"before"});
}

BOOST_AUTO_TEST_SUITE_END()
