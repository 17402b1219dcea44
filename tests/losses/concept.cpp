#include <adaptrec/losses.hpp>

#include <boost/test/unit_test.hpp>

#include <type_traits>

using namespace adaptrec;

BOOST_AUTO_TEST_SUITE(losses_concept)

static_assert(losses::Loss<losses::BinaryCrossEntropyWithLogits<float>>);
static_assert(losses::Loss<losses::SoftmaxCrossEntropy<double>>);
static_assert(losses::Loss<losses::InfoNce<float>>);
static_assert(losses::Loss<losses::SampledSoftmax<double>>);
static_assert(losses::Loss<losses::Bpr<float>>);
static_assert(losses::Loss<losses::MeanSquaredError<float>>);
static_assert(losses::Loss<losses::KlDistillation<double>>);
static_assert(losses::Loss<losses::MultiTaskLoss<float>>);
static_assert(std::is_same_v<losses::InfoNce<double>::PairGrad, losses::PairGrad<double>>);

namespace {
struct NoBackward {
  using scalar_type = float;
};
struct IntegerScalar {
  using scalar_type = int;
  int backward() { return 0; }
};
}  // namespace

static_assert(!losses::Loss<NoBackward>);
static_assert(!losses::Loss<IntegerScalar>);
static_assert(!losses::Loss<Tensor<float>>);

BOOST_AUTO_TEST_CASE(every_loss_refuses_backward_before_forward) {
  auto refuses = [](auto loss) {
    try {
      loss.backward();
    } catch (const error& e) {
      return std::string(e.what()).find("before") != std::string::npos;
    }
    return false;
  };
  BOOST_TEST(refuses(losses::BinaryCrossEntropyWithLogits<double>{}));
  BOOST_TEST(refuses(losses::SoftmaxCrossEntropy<double>{}));
  BOOST_TEST(refuses(losses::InfoNce<double>{}));
  BOOST_TEST(refuses(losses::SampledSoftmax<double>{}));
  BOOST_TEST(refuses(losses::Bpr<double>{}));
  BOOST_TEST(refuses(losses::MeanSquaredError<double>{}));
  BOOST_TEST(refuses(losses::KlDistillation<double>{}));
  BOOST_TEST(refuses(losses::MultiTaskLoss<double>(std::vector<double>{1.0})));
}

BOOST_AUTO_TEST_SUITE_END()
