// Binary cross-entropy scores one logit per example; a two-tower model needs
// a retrieval loss over (user, item) pairs.
// expect: adaptrec::losses::RetrievalLoss: missing
#include <adaptrec/fusion/sum_fusion.hpp>
#include <adaptrec/heads/star.hpp>
#include <adaptrec/layers/embedding.hpp>
#include <adaptrec/losses/binary_cross_entropy.hpp>
#include <adaptrec/recommender/recommender.hpp>

using Side = adaptrec::recommender::Tower<adaptrec::fusion::SumFusion<float>,
                                          adaptrec::layers::Embedding<float>>;
using Wrong = adaptrec::recommender::Recommender<Side, Side, adaptrec::heads::Star<float>,
                                                 adaptrec::losses::BinaryCrossEntropyWithLogits<float>>;
static_assert(sizeof(Wrong) > 0);
