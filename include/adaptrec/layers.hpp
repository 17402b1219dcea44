#pragma once
// The neural-network layers of adaptrec.
#include <adaptrec/layers/activation.hpp>
#include <adaptrec/layers/cross_network.hpp>
#include <adaptrec/layers/dropout.hpp>
#include <adaptrec/layers/embedding.hpp>
#include <adaptrec/layers/embedding_bag.hpp>
#include <adaptrec/layers/l2_normalize.hpp>
#include <adaptrec/layers/layer_norm.hpp>
#include <adaptrec/layers/linear.hpp>
#include <adaptrec/layers/mlp.hpp>
#include <adaptrec/layers/multi_head_attention.hpp>
#include <adaptrec/layers/sequential.hpp>
#include <adaptrec/layers/transformer_encoder_layer.hpp>
