// Every family umbrella together in one translation unit: no header depends
// on an include it does not make, and no two families clash.
#include <adaptrec/adaptrec.hpp>

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(core_umbrella_headers)

BOOST_AUTO_TEST_CASE(the_families_fit_together) {
  static_assert(adaptrec::encoders::Encoder<adaptrec::layers::Embedding<float>>);
  static_assert(adaptrec::fusion::Fusion<adaptrec::fusion::GatedFusion<float>>);
  static_assert(adaptrec::heads::Head<adaptrec::heads::Star<float>>);
  static_assert(adaptrec::peft::PeftModule<adaptrec::peft::Lora<float>,
                                           adaptrec::encoders::Bert<float>>);
  static_assert(adaptrec::optim::Optimizer<adaptrec::optim::AdamW<float>>);
  BOOST_TEST(true);
}

BOOST_AUTO_TEST_SUITE_END()
