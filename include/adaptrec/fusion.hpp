#pragma once
// Fusion modules: several per-example feature vectors (ID embedding, text
// vector, attributes, ...) in, one vector out (see fusion/concept.hpp).
#include <adaptrec/fusion/attention_fusion.hpp>
#include <adaptrec/fusion/concat_fusion.hpp>
#include <adaptrec/fusion/concept.hpp>
#include <adaptrec/fusion/cross_fusion.hpp>
#include <adaptrec/fusion/gated_fusion.hpp>
#include <adaptrec/fusion/sum_fusion.hpp>
