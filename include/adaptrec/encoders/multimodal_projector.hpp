#pragma once
// Precomputed item features (image, audio or video vectors computed elsewhere,
// one row per item) -> the recommender's embedding space: a frozen feature
// table, optionally scaled to unit L2 norm per row, then a trainable
// Linear(d_in -> d_out) and an optional LayerNorm. Only the projection (and
// the layer norm) train, the recipe of multimodal item towers that keep the
// modality encoder frozen (Yuan et al., "Where to Go Next for Recommender
// Systems? ID- vs. Modality-based Recommender Models Revisited", SIGIR 2023,
// sec. 3, compare it against end-to-end training).
//
// Parameters: `projection.weight`, `projection.bias`, and with the layer norm
// `layer_norm.weight`, `layer_norm.bias`. The feature table is data, not a
// parameter: it is never visited, saved or updated.
#include <adaptrec/backend/ops.hpp>
#include <adaptrec/core/module.hpp>
#include <adaptrec/core/random.hpp>
#include <adaptrec/io/safetensors.hpp>
#include <adaptrec/layers/layer_norm.hpp>
#include <adaptrec/layers/linear.hpp>

#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace adaptrec::encoders {

struct MultimodalProjectorOptions {
  // The width of the recommender's item vectors; required.
  index_t output_dim = 0;
  // Scale each feature row to unit L2 norm before the projection (features
  // from contrastive models such as CLIP are compared by cosine).
  bool normalize_inputs = false;
  // A LayerNorm over the projected vectors.
  bool layer_norm = false;
};

template <class T = float>
class MultimodalProjector : public TrainingMode {
 public:
  using scalar_type = T;
  using input_type = Tensor<index_t>;
  using output_type = Tensor<T>;

  // features: [num_items, d_in]; row i holds item i's vector. `source` names
  // the table in errors (a file and tensor name when loaded from one).
  MultimodalProjector(Tensor<T> features, const MultimodalProjectorOptions& options, Rng& rng,
                      const std::string& source = "features")
      : features_(checked_features(std::move(features), options, source)),
        options_(options),
        projection_(features_.cols(), options.output_dim, rng) {
    if (options_.normalize_inputs) {
      Tensor<T> unit(features_.shape());
      Tensor<T> norms(Shape{features_.rows()});
      backend::l2_normalize(features_, T(1e-12), unit, norms);
      features_ = std::move(unit);
    }
    if (options_.layer_norm) layer_norm_.emplace(options_.output_dim);
  }

  // The table `tensor_name` [num_items, d_in] of a safetensors file. Throws
  // io_error naming the file and tensor when it is missing or not a matrix.
  static MultimodalProjector from_safetensors(const std::filesystem::path& path,
                                              std::string_view tensor_name,
                                              const MultimodalProjectorOptions& options, Rng& rng) {
    const io::SafetensorsFile file = io::SafetensorsFile::open(path);
    const std::string source = path.string() + ": tensor \"" + std::string(tensor_name) + "\"";
    if (!file.contains(tensor_name))
      throw io_error("adaptrec::encoders::MultimodalProjector: " + path.string() +
                     " has no tensor named \"" + std::string(tensor_name) + "\"");
    const Shape shape = file.shape(tensor_name);
    if (shape.rank() != 2)
      throw io_error("adaptrec::encoders::MultimodalProjector: " + source + " has shape " +
                     shape.to_string() + "; expected a matrix [num_items, feature_dim]");
    return MultimodalProjector(file.tensor<T>(tensor_name), options, rng, source);
  }

  index_t num_items() const { return features_.rows(); }
  index_t input_dim() const { return features_.cols(); }
  index_t output_dim() const { return options_.output_dim; }
  const MultimodalProjectorOptions& options() const { return options_; }
  // The frozen table as the projection sees it (unit rows when normalize_inputs).
  const Tensor<T>& features() const { return features_; }
  layers::Linear<T>& projection() { return projection_; }
  bool has_layer_norm() const { return layer_norm_.has_value(); }
  layers::LayerNorm<T>& layer_norm() {
    if (!layer_norm_)
      throw error("adaptrec::encoders::MultimodalProjector: built without a layer norm");
    return *layer_norm_;
  }

  // ids: item ids of any shape of rank 0..3 -> ids.shape + [output_dim].
  Tensor<T> forward(const Tensor<index_t>& ids) {
    if (ids.rank() >= Shape::max_rank || ids.size() != ids.shape().numel())
      throw shape_error("adaptrec::encoders::MultimodalProjector: item ids of shape " +
                        ids.shape().to_string() +
                        " (the ids need rank at most 3 and storage for every element)");
    Tensor<T> gathered(Shape{ids.size(), input_dim()});
    try {
      backend::gather_rows(features_, ids, gathered);
    } catch (const index_error& e) {
      throw index_error(std::string("adaptrec::encoders::MultimodalProjector: item ") + e.what());
    }
    Shape out_shape = ids.shape();
    out_shape.push_back(output_dim());
    ids_shape_ = ids.shape();
    Tensor<T> projected = projection_.forward(gathered);
    if (layer_norm_) projected = layer_norm_->forward(projected);
    return std::move(projected).reshaped(out_shape);
  }

  // dy: ids.shape + [output_dim] from the last forward. The table is frozen,
  // so nothing flows below the projection.
  void backward(const Tensor<T>& dy) {
    Shape expected = ids_shape_;
    expected.push_back(output_dim());
    require_shape(dy, expected, "adaptrec::encoders::MultimodalProjector::backward (gradient)");
    Tensor<T> d_projected = dy.reshaped(Shape{ids_shape_.numel(), output_dim()});
    if (layer_norm_) d_projected = layer_norm_->backward(d_projected);
    projection_.backward(d_projected);
  }

  void train(bool on = true) {
    training_ = on;
    projection_.train(on);
    if (layer_norm_) layer_norm_->train(on);
  }
  void eval() { train(false); }

  template <class F>
  void visit_parameters(F&& f, const std::string& prefix) {
    projection_.visit_parameters(f, join_name(prefix, "projection"));
    if (layer_norm_) layer_norm_->visit_parameters(f, join_name(prefix, "layer_norm"));
  }

 private:
  static Tensor<T> checked_features(Tensor<T> features, const MultimodalProjectorOptions& options,
                                    const std::string& source) {
    const std::string where = "adaptrec::encoders::MultimodalProjector: ";
    if (options.output_dim <= 0)
      throw invalid_argument(where + "output_dim must be positive, got " +
                             std::to_string(options.output_dim));
    if (features.rank() != 2 || features.dim(0) == 0 || features.dim(1) == 0)
      throw shape_error(where + source + " has shape " + features.shape().to_string() +
                        "; expected a non-empty matrix [num_items, feature_dim]");
    const index_t d = features.cols();
    for (index_t i = 0; i < features.size(); ++i)
      if (!std::isfinite(features[i]))
        throw invalid_argument(where + source + ": row " + std::to_string(i / d) +
                               " holds the non-finite value " + std::to_string(features[i]) +
                               " at column " + std::to_string(i % d));
    return features;
  }

  Tensor<T> features_;
  MultimodalProjectorOptions options_;
  layers::Linear<T> projection_;
  std::optional<layers::LayerNorm<T>> layer_norm_;
  Shape ids_shape_;
};

}  // namespace adaptrec::encoders
