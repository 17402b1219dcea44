#include <adaptrec/fusion/concat_fusion.hpp>
#include <adaptrec/fusion/sum_fusion.hpp>
#include <adaptrec/heads/mlp_head.hpp>
#include <adaptrec/heads/star.hpp>
#include <adaptrec/layers/embedding.hpp>
#include <adaptrec/losses/info_nce.hpp>
#include <adaptrec/optim/adamw.hpp>
#include <adaptrec/recommender/recommender.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace adaptrec;
using adaptrec_test::require_throw_naming;
using recommender::Recommender;
using recommender::Tower;

namespace {

template <class T>
using UserSide = Tower<fusion::SumFusion<T>, layers::Embedding<T>>;
template <class T>
using ItemSide = Tower<fusion::ConcatFusion<T>, layers::Embedding<T>, layers::Embedding<T>>;
template <class T>
using StarModel = Recommender<UserSide<T>, ItemSide<T>, heads::Star<T>, losses::InfoNce<T>>;

// 6 users, 8 items, 2 scenarios; users and items of width 4 after the towers.
template <class T>
StarModel<T> small_model(Rng& rng, index_t width = 4) {
  UserSide<T> users(fusion::SumFusion<T>({width}), layers::Embedding<T>(6, width, rng, T(0.5)));
  ItemSide<T> items(fusion::ConcatFusion<T>({3, 2}, width, rng),
                    layers::Embedding<T>(8, 3, rng, T(0.5)),
                    layers::Embedding<T>(8, 2, rng, T(0.5)));
  heads::StarOptions head{.input_dim = width, .output_dim = 3, .num_scenarios = 2};
  return StarModel<T>(std::move(users), std::move(items), heads::Star<T>(head, rng),
                      heads::Star<T>(head, rng), losses::InfoNce<T>(T(0.5)));
}

}  // namespace

// A tower is itself an Encoder, so towers nest.
static_assert(encoders::Encoder<ItemSide<float>>);
static_assert(encoders::Encoder<Tower<fusion::SumFusion<float>, ItemSide<float>>>);
static_assert(losses::RetrievalLoss<losses::InfoNce<float>>);

BOOST_AUTO_TEST_SUITE(recommender_recommender)

BOOST_AUTO_TEST_CASE(tower_gradients_match_finite_differences) {
  Rng rng(1);
  ItemSide<double> tower(fusion::ConcatFusion<double>({3, 2}, 4, rng),
                         layers::Embedding<double>(8, 3, rng, 0.5),
                         layers::Embedding<double>(8, 2, rng, 0.5));
  BOOST_TEST(tower.output_dim() == 4);
  BOOST_TEST((tower.encoder_widths() == std::vector<index_t>{3, 2}));
  adaptrec_test::check_module_gradients(tower, Tensor<index_t>(Shape{5}, {1, 7, 1, 0, 3}), rng);
}

BOOST_AUTO_TEST_CASE(train_step_gradients_match_finite_differences) {
  Rng rng(2);
  StarModel<double> model = small_model<double>(rng);
  const Tensor<index_t> users(Shape{5}, {0, 3, 5, 1, 3});
  const Tensor<index_t> items(Shape{5}, {2, 7, 2, 4, 6});  // item 2 twice: not its own negative
  const std::vector<index_t> scenario{0, 1, 1, 0, 1};
  zero_grad(model);
  model.train_step(users, items, scenario);
  // Every analytic gradient first: the numeric loop's steps accumulate more.
  const auto params = collect_parameters(model);
  std::vector<Tensor<double>> analytic;
  for (const auto& p : params) analytic.push_back(p.parameter->grad);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor<double> numeric = adaptrec_test::numeric_gradient(
        params[i].parameter->value, [&] { return model.train_step(users, items, scenario); });
    adaptrec_test::compare(analytic[i], numeric, params[i].name);
  }
  BOOST_TEST(params.size() > 10u);
}

BOOST_AUTO_TEST_CASE(names_follow_the_pipeline_structure) {
  Rng rng(3);
  StarModel<float> model = small_model<float>(rng);
  std::vector<std::string> names;
  model.visit_parameters([&](const std::string& n, Parameter<float>&) { names.push_back(n); }, "");
  BOOST_TEST(names.front() == "user_tower.encoders.0.weight");
  BOOST_TEST(std::count(names.begin(), names.end(), "item_tower.encoders.1.weight") == 1);
  BOOST_TEST(std::count(names.begin(), names.end(), "item_tower.fusion.projection.weight") == 1);
  BOOST_TEST(std::count(names.begin(), names.end(), "user_head.layers.0.scenario_weight.1") == 1);
}

BOOST_AUTO_TEST_CASE(training_separates_each_users_positives) {
  // Users 0-2 like items 0-3, users 3-5 like items 4-7; scenario = item group.
  Rng rng(4);
  StarModel<float> model = small_model<float>(rng, 6);
  optim::AdamW<float> optimizer(collect_parameters(model), {.learning_rate = 0.05f});
  const Tensor<index_t> users(Shape{8}, {0, 1, 2, 0, 3, 4, 5, 3});
  const Tensor<index_t> items(Shape{8}, {0, 1, 2, 3, 4, 5, 6, 7});
  const std::vector<index_t> scenario{0, 0, 0, 0, 1, 1, 1, 1};
  float first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    optimizer.zero_grad();
    last = model.train_step(users, items, scenario);
    if (step == 0) first = last;
    optimizer.step();
  }
  BOOST_TEST_MESSAGE("loss " << first << " -> " << last);
  BOOST_TEST(last < 0.5f * first);
}

BOOST_AUTO_TEST_CASE(mismatched_components_and_batches_are_reported) {
  Rng rng(5);
  require_throw_naming<invalid_argument>(
      [&] {
        ItemSide<float>(fusion::ConcatFusion<float>({3, 3}, 4, rng),
                        layers::Embedding<float>(8, 3, rng), layers::Embedding<float>(8, 2, rng));
      },
      {"encoder 1", "width 2", "expects 3"});
  require_throw_naming<invalid_argument>(
      [&] {
        Tower<fusion::SumFusion<float>, layers::Embedding<float>>(
            fusion::SumFusion<float>({4, 4}), layers::Embedding<float>(8, 4, rng));
      },
      {"takes 2 sources", "1 encoders"});
  require_throw_naming<invalid_argument>(
      [&] {
        UserSide<float> users(fusion::SumFusion<float>({5}), layers::Embedding<float>(6, 5, rng));
        ItemSide<float> items(fusion::ConcatFusion<float>({3, 2}, 4, rng),
                              layers::Embedding<float>(8, 3, rng),
                              layers::Embedding<float>(8, 2, rng));
        heads::StarOptions head{.input_dim = 4, .output_dim = 3, .num_scenarios = 2};
        StarModel<float>(std::move(users), std::move(items), heads::Star<float>(head, rng),
                         heads::Star<float>(head, rng), losses::InfoNce<float>());
      },
      {"user tower gives width 5", "head takes 4"});

  StarModel<float> model = small_model<float>(rng);
  const std::vector<index_t> one{0};
  require_throw_naming<shape_error>(
      [&] {
        model.train_step(Tensor<index_t>(Shape{2}, {0, 1}), Tensor<index_t>(Shape{2}, {0, 1}), one);
      },
      {"[2]", "1 scenario ids"});
}

BOOST_AUTO_TEST_SUITE_END()
