#pragma once
// Every loss of adaptrec: model outputs and targets in, a mean loss and its
// gradients out (see losses/concept.hpp).
#include <adaptrec/losses/binary_cross_entropy.hpp>
#include <adaptrec/losses/bpr.hpp>
#include <adaptrec/losses/concept.hpp>
#include <adaptrec/losses/info_nce.hpp>
#include <adaptrec/losses/kl_distillation.hpp>
#include <adaptrec/losses/margin_ranking.hpp>
#include <adaptrec/losses/mean_squared_error.hpp>
#include <adaptrec/losses/multi_task.hpp>
#include <adaptrec/losses/sampled_softmax.hpp>
#include <adaptrec/losses/softmax_cross_entropy.hpp>
