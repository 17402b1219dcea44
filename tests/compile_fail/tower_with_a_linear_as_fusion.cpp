// A Linear layer is no Fusion: the tower refuses it and says what is missing.
// expect: adaptrec::fusion::Fusion: missing `Tensor<T> forward\(const std::vector<Tensor<T>>& sources\)`
#include <adaptrec/layers/embedding.hpp>
#include <adaptrec/layers/linear.hpp>
#include <adaptrec/recommender/tower.hpp>

using Wrong = adaptrec::recommender::Tower<adaptrec::layers::Linear<float>,
                                           adaptrec::layers::Embedding<float>>;
static_assert(sizeof(Wrong) > 0);
