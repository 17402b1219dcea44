#pragma once
// Scenario-aware heads: map a shared representation and one scenario id per
// row to the output of that row's scenario (heads/concept.hpp).
#include <adaptrec/heads/concept.hpp>
#include <adaptrec/heads/experts.hpp>
#include <adaptrec/heads/mlp_head.hpp>
#include <adaptrec/heads/mmoe.hpp>
#include <adaptrec/heads/partitioned_normalization.hpp>
#include <adaptrec/heads/ple.hpp>
#include <adaptrec/heads/scenario_routing.hpp>
#include <adaptrec/heads/shared_bottom.hpp>
#include <adaptrec/heads/star.hpp>
