#include <adaptrec/io/checkpoint.hpp>
#include <adaptrec/layers/linear.hpp>
#include <adaptrec/train/trainer.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

using namespace adaptrec;

namespace {

// A scripted validation curve: the trainer's decisions depend only on it.
struct ScriptedRun {
  layers::Linear<double> model;
  std::vector<double> curve;
  int epoch = 0;

  explicit ScriptedRun(std::vector<double> c, Rng& rng) : model(2, 1, rng), curve(std::move(c)) {}

  // Each epoch writes its number into the weight, so restore-best is visible.
  train::FitResult fit(train::TrainerOptions options) {
    auto train_epoch = [&](int e, train::Progress& progress) {
      epoch = e;
      model.weight().value.fill(double(e));
      progress.update(10, 1.0 / e);
    };
    auto validate = [&] {
      return train::Metrics{{"NDCG@10", curve[static_cast<std::size_t>(epoch - 1)]}};
    };
    return train::fit(model, train_epoch, validate, options);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(train_trainer)

BOOST_AUTO_TEST_CASE(stops_after_patience_and_restores_the_best_epoch) {
  Rng rng(1);
  ScriptedRun run({0.1, 0.3, 0.2, 0.25, 0.29, 0.5}, rng);
  train::TrainerOptions options;
  options.max_epochs = 6;
  options.patience = 3;
  const auto result = run.fit(options);
  BOOST_TEST(result.best_epoch == 2);
  BOOST_TEST(result.best_value == 0.3);
  BOOST_TEST(result.history.size() == 5u);  // epochs 3, 4, 5 without improvement
  BOOST_TEST(result.stopped_early);
  BOOST_TEST(run.model.weight().value[0] == 2.0);  // epoch 2's weights are back
  BOOST_TEST(result.history[0].train_loss == 1.0);
  BOOST_TEST(result.history[1].samples == 10u);
  BOOST_TEST(!run.model.is_training());
}

BOOST_AUTO_TEST_CASE(lower_is_better_and_no_early_stopping) {
  Rng rng(2);
  ScriptedRun run({0.5, 0.4, 0.6, 0.7, 0.8}, rng);
  train::TrainerOptions options;
  options.max_epochs = 5;
  options.patience = 0;
  options.higher_is_better = false;
  const auto result = run.fit(options);
  BOOST_TEST(result.history.size() == 5u);
  BOOST_TEST(result.best_epoch == 2);
  BOOST_TEST(!result.stopped_early);
  BOOST_TEST(run.model.weight().value[0] == 2.0);
}

BOOST_AUTO_TEST_CASE(best_checkpoint_is_written_to_disk) {
  Rng rng(3);
  ScriptedRun run({0.1, 0.9, 0.2}, rng);
  const auto path = std::filesystem::temp_directory_path() / "adaptrec_trainer_best.safetensors";
  train::TrainerOptions options;
  options.max_epochs = 3;
  options.checkpoint_path = path;
  run.fit(options);
  Rng other(4);
  layers::Linear<double> reloaded(2, 1, other);
  io::load_checkpoint(reloaded, path);
  BOOST_TEST(reloaded.weight().value[0] == 2.0);
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(non_finite_loss_and_missing_metric_throw) {
  Rng rng(5);
  layers::Linear<double> model(2, 1, rng);
  train::TrainerOptions options;
  options.max_epochs = 2;
  auto diverging = [](int, train::Progress& p) { p.update(1, NAN); };
  auto validate = [] { return train::Metrics{{"NDCG@10", 0.0}}; };
  BOOST_CHECK_THROW(train::fit(model, diverging, validate, options), error);

  auto fine = [](int, train::Progress& p) { p.update(1, 0.5); };
  auto wrong_metric = [] { return train::Metrics{{"AUC", 0.5}}; };
  try {
    train::fit(model, fine, wrong_metric, options);
    BOOST_FAIL("expected invalid_argument");
  } catch (const invalid_argument& e) {
    BOOST_TEST(std::string(e.what()).find("NDCG@10") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(snapshot_refuses_a_different_module) {
  Rng rng(6);
  layers::Linear<double> a(2, 1, rng), b(3, 1, rng);
  const auto snapshot = train::ParameterSnapshot<double>::take(a);
  BOOST_CHECK_THROW(snapshot.restore(b), error);
}

BOOST_AUTO_TEST_CASE(progress_counts_samples_and_mean_loss_silently) {
  train::Progress progress("quiet", /*enabled=*/false);
  progress.update(10, 1.0);
  progress.update(30, 2.0);
  BOOST_TEST(progress.samples() == 40u);
  BOOST_TEST(progress.mean_loss() == 1.75, boost::test_tools::tolerance(1e-12));
  progress.finish("nothing printed");
}

BOOST_AUTO_TEST_SUITE_END()
