#include <adaptrec/core/module.hpp>
#include <adaptrec/layers/linear.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace adaptrec;

static_assert(Module<layers::Linear<float>>, "layers::Linear<float> must model adaptrec::Module");
static_assert(Module<layers::Linear<double>>, "layers::Linear<double> must model adaptrec::Module");
static_assert(!Module<Tensor<float>>, "a tensor is not a module");

namespace {

// Two Linear layers under one name, the way a composite module nests its children.
struct TwoLayers : TrainingMode {
  using scalar_type = double;
  using input_type = Tensor<double>;
  using output_type = Tensor<double>;

  explicit TwoLayers(Rng& rng) : first(3, 4, rng), second(4, 2, rng, /*with_bias=*/false) {}

  Tensor<double> forward(const Tensor<double>& x) { return second.forward(first.forward(x)); }
  Tensor<double> backward(const Tensor<double>& dy) { return first.backward(second.backward(dy)); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    first.visit_parameters(f, join_name(prefix, "first"));
    second.visit_parameters(f, join_name(prefix, "second"));
  }

  layers::Linear<double> first;
  layers::Linear<double> second;
};
static_assert(Module<TwoLayers>);

}  // namespace

BOOST_AUTO_TEST_SUITE(core_module)

BOOST_AUTO_TEST_CASE(join_name_builds_dotted_names) {
  BOOST_TEST(join_name("", "weight") == "weight");
  BOOST_TEST(join_name("tower.mlp", "weight") == "tower.mlp.weight");
}

BOOST_AUTO_TEST_CASE(collect_parameters_names_with_the_prefix) {
  Rng rng(11);
  TwoLayers model(rng);
  const auto params = collect_parameters(model, "tower");
  std::vector<std::string> names;
  for (const auto& p : params) names.push_back(p.name);
  const std::vector<std::string> expected = {"tower.first.weight", "tower.first.bias",
                                             "tower.second.weight"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  BOOST_TEST(params[0].parameter == &model.first.weight());
  BOOST_TEST(params[1].parameter == &model.first.bias());
  BOOST_TEST(params[2].parameter == &model.second.weight());

  const auto unprefixed = collect_parameters(model);
  BOOST_TEST(unprefixed.front().name == "first.weight");
}

BOOST_AUTO_TEST_CASE(count_parameters_separates_trainable_from_total) {
  Rng rng(12);
  TwoLayers model(rng);
  const std::size_t first = 3 * 4 + 4, second = 4 * 2;
  ParameterCount c = count_parameters(model);
  BOOST_TEST(c.total == first + second);
  BOOST_TEST(c.trainable == first + second);

  model.first.bias().trainable = false;
  c = count_parameters(model);
  BOOST_TEST(c.total == first + second);
  BOOST_TEST(c.trainable == first + second - 4);
}

BOOST_AUTO_TEST_CASE(set_trainable_freezes_and_unfreezes_everything) {
  Rng rng(13);
  TwoLayers model(rng);
  set_trainable(model, false);
  for (const auto& p : collect_parameters(model)) BOOST_TEST(!p.parameter->trainable);
  BOOST_TEST(count_parameters(model).trainable == 0u);
  set_trainable(model.second, true);
  BOOST_TEST(count_parameters(model).trainable == 8u);
  set_trainable(model, true);
  BOOST_TEST(count_parameters(model).trainable == count_parameters(model).total);
}

BOOST_AUTO_TEST_CASE(zero_grad_clears_accumulated_gradients) {
  Rng rng(14);
  TwoLayers model(rng);
  Tensor<double> x(Shape{5, 3});
  fill_uniform(x, -1.0, 1.0, rng);
  model.forward(x);
  model.backward(Tensor<double>::full(Shape{5, 2}, 1.0));
  bool any_nonzero = false;
  for (const auto& p : collect_parameters(model))
    for (double g : p.parameter->grad) any_nonzero = any_nonzero || g != 0.0;
  BOOST_TEST(any_nonzero);

  zero_grad(model);
  for (const auto& p : collect_parameters(model))
    for (double g : p.parameter->grad) BOOST_TEST(g == 0.0);
}

BOOST_AUTO_TEST_CASE(zero_grad_on_a_sparse_parameter_clears_only_touched_rows) {
  Parameter<float> table(Shape{4, 3});
  table.sparse = true;
  table.grad.fill(1.0f);
  table.touched_rows = {2, 0, 2};
  table.finalize_sparse_rows();
  BOOST_TEST(table.touched_rows == (std::vector<index_t>{0, 2}), boost::test_tools::per_element());
  table.zero_grad();
  BOOST_TEST(table.touched_rows.empty());
  for (index_t c = 0; c < 3; ++c) {
    BOOST_TEST(table.grad(0, c) == 0.0f);
    BOOST_TEST(table.grad(1, c) == 1.0f);
    BOOST_TEST(table.grad(2, c) == 0.0f);
    BOOST_TEST(table.grad(3, c) == 1.0f);
  }
}

BOOST_AUTO_TEST_CASE(training_mode_switches) {
  Rng rng(15);
  layers::Linear<float> lin(2, 2, rng);
  BOOST_TEST(lin.is_training());
  lin.eval();
  BOOST_TEST(!lin.is_training());
  lin.train(true);
  BOOST_TEST(lin.is_training());
  lin.train(false);
  BOOST_TEST(!lin.is_training());
}

BOOST_AUTO_TEST_SUITE_END()
