#include <adaptrec/optim.hpp>

#include <boost/test/unit_test.hpp>

using namespace adaptrec;

namespace {

struct WithoutLearningRate {
  using scalar_type = float;
  void step() {}
  void zero_grad() {}
};

}  // namespace

BOOST_AUTO_TEST_SUITE(optim_concept)

BOOST_AUTO_TEST_CASE(every_optimizer_models_the_concept) {
  static_assert(optim::Optimizer<optim::Sgd<double>>);
  static_assert(optim::Optimizer<optim::Adam<double>>);
  static_assert(optim::Optimizer<optim::AdamW<double>>);
  static_assert(optim::Optimizer<optim::Adagrad<double>>);
  static_assert(!optim::Optimizer<WithoutLearningRate>);
  static_assert(!optim::LearningRateSchedule<WithoutLearningRate>);
  BOOST_TEST(true);
}

BOOST_AUTO_TEST_SUITE_END()
