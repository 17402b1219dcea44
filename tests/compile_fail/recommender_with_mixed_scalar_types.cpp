// A float fusion over a double encoder: one scalar type per tower.
// expect: must share one scalar_type
#include <adaptrec/fusion/sum_fusion.hpp>
#include <adaptrec/layers/embedding.hpp>
#include <adaptrec/recommender/tower.hpp>

using Wrong = adaptrec::recommender::Tower<adaptrec::fusion::SumFusion<float>,
                                           adaptrec::layers::Embedding<double>>;
static_assert(sizeof(Wrong) > 0);
