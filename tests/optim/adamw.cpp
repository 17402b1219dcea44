#include <adaptrec/optim/adam.hpp>
#include <adaptrec/optim/adamw.hpp>

#include <support/parameters.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace adaptrec;
using optim::AdamW;
using optim::AdamWOptions;
using adaptrec_test::make_parameter;
using adaptrec_test::set_grad;

BOOST_AUTO_TEST_SUITE(optim_adamw)

// Loshchilov & Hutter (2019), Algorithm 2 as torch.optim.AdamW applies it:
// x <- x (1 - lr wd), then the Adam update on the raw gradient.
BOOST_AUTO_TEST_CASE(three_steps_match_decoupled_decay) {
  const std::vector<std::vector<double>> grads = {{0.1, -0.4}, {0.3, 0.2}, {-0.2, 0.05}};
  const AdamWOptions<double> o{.learning_rate = 0.02, .beta1 = 0.85, .beta2 = 0.99,
                               .epsilon = 1e-7, .weight_decay = 0.3};
  Parameter<double> p = make_parameter(Shape{2}, {0.5, -1.5});
  AdamW<double> adamw({{"w", &p}}, o);
  std::vector<double> x = p.value.to_vector(), m(2), v(2);
  for (std::size_t t = 1; t <= grads.size(); ++t) {
    set_grad(p, grads[t - 1]);
    adamw.step();
    for (std::size_t i = 0; i < 2; ++i) {
      const double g = grads[t - 1][i];
      x[i] *= 1 - o.learning_rate * o.weight_decay;
      m[i] = o.beta1 * m[i] + (1 - o.beta1) * g;
      v[i] = o.beta2 * v[i] + (1 - o.beta2) * g * g;
      const double m_hat = m[i] / (1 - std::pow(o.beta1, static_cast<double>(t)));
      const double v_hat = v[i] / (1 - std::pow(o.beta2, static_cast<double>(t)));
      x[i] -= o.learning_rate * m_hat / (std::sqrt(v_hat) + o.epsilon);
      BOOST_TEST(p.value[static_cast<index_t>(i)] == x[i], boost::test_tools::tolerance(1e-12));
    }
  }
}

// With a zero gradient, decoupled decay shrinks x by exactly (1 - lr wd) per
// step, while Adam's L2 term is normalised into a step of about lr.
BOOST_AUTO_TEST_CASE(decoupled_decay_differs_from_adam_l2) {
  const double lr = 0.01, wd = 0.1;
  Parameter<double> decoupled = make_parameter(Shape{1}, {2.0});
  Parameter<double> l2 = make_parameter(Shape{1}, {2.0});
  AdamW<double> adamw({{"w", &decoupled}}, {.learning_rate = lr, .weight_decay = wd});
  optim::Adam<double> adam({{"w", &l2}}, {.learning_rate = lr, .weight_decay = wd});
  for (int t = 0; t < 3; ++t) {
    adamw.step();
    adam.step();
  }
  BOOST_TEST(decoupled.value[0] == 2.0 * std::pow(1 - lr * wd, 3),
             boost::test_tools::tolerance(1e-14));
  BOOST_TEST(l2.value[0] == 2.0 - 3 * lr, boost::test_tools::tolerance(1e-4));
}

BOOST_AUTO_TEST_CASE(without_decay_equals_adam) {
  Parameter<double> a = make_parameter(Shape{3}, {1, -2, 3});
  Parameter<double> b = make_parameter(Shape{3}, {1, -2, 3});
  AdamW<double> adamw({{"w", &a}}, {.learning_rate = 0.05, .weight_decay = 0});
  optim::Adam<double> adam({{"w", &b}}, {.learning_rate = 0.05});
  for (int t = 0; t < 4; ++t) {
    set_grad(a, {0.1 * t, -0.3, 1.0 / (t + 1)});
    set_grad(b, {0.1 * t, -0.3, 1.0 / (t + 1)});
    adamw.step();
    adam.step();
  }
  BOOST_TEST(a.value.to_vector() == b.value.to_vector(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(defaults_match_torch) {
  const AdamWOptions<float> o;
  BOOST_TEST(o.weight_decay == 0.01f);
  BOOST_TEST(o.learning_rate == 1e-3f);
  Parameter<float> p(Shape{1});
  AdamW<> adamw({{"w", &p}});
  BOOST_TEST(adamw.learning_rate() == 1e-3f);
  BOOST_TEST(adamw.size() == 1u);
}

BOOST_AUTO_TEST_CASE(lazy_sparse_decays_touched_rows_only) {
  Parameter<double> table = make_parameter(Shape{2, 1}, {1.0, 1.0});
  table.sparse = true;
  AdamW<double> adamw({{"table", &table}}, {.learning_rate = 0.1, .weight_decay = 0.5,
                                            .lazy_sparse = true});
  set_grad(table, {0.0, 0.0});
  table.touched_rows = {1};
  adamw.step();
  BOOST_TEST(table.value(0, 0) == 1.0);
  BOOST_TEST(table.value(1, 0) == 1.0 - 0.1 * 0.5, boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(invalid_options_name_the_class_and_option) {
  Parameter<double> p(Shape{1});
  try {
    AdamW<double>({{"p", &p}}, {.beta2 = 1.0});
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("AdamW") != std::string::npos);
    BOOST_TEST(what.find("beta2") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
