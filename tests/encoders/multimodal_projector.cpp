#include <adaptrec/encoders/concept.hpp>
#include <adaptrec/encoders/multimodal_projector.hpp>
#include <adaptrec/io/safetensors.hpp>

#include <support/expect_throw.hpp>
#include <support/gradient_check.hpp>
#include <support/random_tensor.hpp>
#include <support/temp_dir.hpp>

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace adaptrec;
using adaptrec_test::random_tensor;
using adaptrec_test::require_throw_naming;
using encoders::MultimodalProjector;
using encoders::MultimodalProjectorOptions;

static_assert(encoders::check_encoder<MultimodalProjector<float>>());

BOOST_AUTO_TEST_SUITE(encoders_multimodal_projector)

BOOST_AUTO_TEST_CASE(forward_matches_a_double_reference) {
  for (const bool normalize : {false, true}) {
    Rng rng(1);
    const Tensor<double> features = random_tensor<double>(Shape{5, 4}, rng);
    MultimodalProjector<double> projector(features,
                                          {.output_dim = 3, .normalize_inputs = normalize}, rng);
    const Tensor<index_t> ids(Shape{2, 2}, {4, 0, 4, 2});
    const Tensor<double> y = projector.forward(ids);
    BOOST_REQUIRE(y.shape() == (Shape{2, 2, 3}));
    const Tensor<double>& w = projector.projection().weight().value;
    const Tensor<double>& b = projector.projection().bias().value;
    for (index_t i = 0; i < 4; ++i) {
      double norm = 0;
      for (index_t k = 0; k < 4; ++k) norm += features(ids[i], k) * features(ids[i], k);
      const double scale = normalize ? 1 / std::sqrt(norm) : 1.0;
      for (index_t o = 0; o < 3; ++o) {
        double expected = b[o];
        for (index_t k = 0; k < 4; ++k) expected += w(o, k) * features(ids[i], k) * scale;
        BOOST_TEST(y[i * 3 + o] == expected, boost::test_tools::tolerance(1e-12));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(gradients_match_finite_differences_and_the_table_stays_frozen) {
  for (const bool layer_norm : {false, true}) {
    Rng rng(2);
    const Tensor<double> features = random_tensor<double>(Shape{6, 5}, rng);
    MultimodalProjector<double> projector(
        features, {.output_dim = 4, .normalize_inputs = true, .layer_norm = layer_norm}, rng);
    const Tensor<double> table_before = projector.features();
    const Tensor<index_t> ids(Shape{3, 2}, {1, 5, 1, 0, 3, 3});
    adaptrec_test::check_module_gradients(projector, ids, rng);
    BOOST_TEST(projector.features().to_vector() == table_before.to_vector(),
               boost::test_tools::per_element());
    std::vector<std::string> names;
    projector.visit_parameters(
        [&](const std::string& name, Parameter<double>&) { names.push_back(name); }, "image");
    std::vector<std::string> expected{"image.projection.weight", "image.projection.bias"};
    if (layer_norm) {
      expected.push_back("image.layer_norm.weight");
      expected.push_back("image.layer_norm.bias");
    }
    BOOST_TEST(names == expected, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(loads_the_table_from_safetensors) {
  adaptrec_test::TempDir dir("multimodal-projector");
  Rng rng(3);
  const Tensor<float> table = random_tensor<float>(Shape{3, 2}, rng);
  io::SafetensorsWriter writer;
  writer.add("image_features", table);
  writer.add("flat", Tensor<float>(Shape{6}));
  writer.write(dir / "items.safetensors");

  auto projector = MultimodalProjector<float>::from_safetensors(
      dir / "items.safetensors", "image_features", {.output_dim = 2}, rng);
  BOOST_TEST(projector.num_items() == 3);
  BOOST_TEST(projector.input_dim() == 2);
  BOOST_TEST(projector.features().to_vector() == table.to_vector(),
             boost::test_tools::per_element());

  require_throw_naming<io_error>(
      [&] {
        MultimodalProjector<float>::from_safetensors(dir / "items.safetensors", "audio",
                                                     {.output_dim = 2}, rng);
      },
      {"items.safetensors", "\"audio\""});
  require_throw_naming<io_error>(
      [&] {
        MultimodalProjector<float>::from_safetensors(dir / "items.safetensors", "flat",
                                                     {.output_dim = 2}, rng);
      },
      {"items.safetensors", "\"flat\"", "[6]"});
  require_throw_naming<io_error>(
      [&] {
        MultimodalProjector<float>::from_safetensors(dir / "missing.safetensors", "flat",
                                                     {.output_dim = 2}, rng);
      },
      {"missing.safetensors"});

  Tensor<float> broken = table;
  broken(2, 1) = std::numeric_limits<float>::quiet_NaN();
  io::SafetensorsWriter nan_writer;
  nan_writer.add("image_features", broken);
  nan_writer.write(dir / "nan.safetensors");
  require_throw_naming<invalid_argument>(
      [&] {
        MultimodalProjector<float>::from_safetensors(dir / "nan.safetensors", "image_features",
                                                     {.output_dim = 2}, rng);
      },
      {"nan.safetensors", "image_features", "row 2", "column 1"});
}

BOOST_AUTO_TEST_CASE(bad_input_names_the_shape_row_or_id) {
  Rng rng(4);
  Tensor<float> features = random_tensor<float>(Shape{4, 3}, rng);
  require_throw_naming<invalid_argument>(
      [&] { MultimodalProjector<float>(features, {.output_dim = 0}, rng); }, {"output_dim"});
  require_throw_naming<shape_error>(
      [&] { MultimodalProjector<float>(Tensor<float>(Shape{12}), {.output_dim = 2}, rng); },
      {"[12]"});
  features(1, 0) = std::numeric_limits<float>::infinity();
  require_throw_naming<invalid_argument>(
      [&] { MultimodalProjector<float>(features, {.output_dim = 2}, rng); }, {"row 1", "inf"});
  features(1, 0) = 0;
  MultimodalProjector<float> projector(features, {.output_dim = 2}, rng);
  require_throw_naming<index_error>(
      [&] {
        projector.forward(Tensor<index_t>(Shape{2}, {0, 4}));
      },
      {"id 4", "position 1"});
  projector.forward(Tensor<index_t>(Shape{3}, {0, 1, 2}));
  require_throw_naming<shape_error>(
      [&] {
        projector.backward(Tensor<float>(Shape{3, 3}));
      },
      {"[3, 3]", "[3, 2]"});
  require_throw_naming<error>([&] { projector.layer_norm(); }, {"without a layer norm"});
}

BOOST_AUTO_TEST_CASE(train_switch_reaches_the_projection) {
  Rng rng(5);
  MultimodalProjector<float> projector(random_tensor<float>(Shape{2, 3}, rng),
                                       {.output_dim = 2, .layer_norm = true}, rng);
  projector.eval();
  BOOST_TEST(!projector.is_training());
  BOOST_TEST(!projector.projection().is_training());
  BOOST_TEST(!projector.layer_norm().is_training());
  projector.train(true);
  BOOST_TEST(projector.layer_norm().is_training());
}

BOOST_AUTO_TEST_SUITE_END()
