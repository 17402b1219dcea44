#pragma once
// The data family: dataset loaders, splits, negative sampling and batching.
#include <adaptrec/data/batching.hpp>
#include <adaptrec/data/delimited.hpp>
#include <adaptrec/data/knowledge_graph.hpp>
#include <adaptrec/data/movielens.hpp>
#include <adaptrec/data/negative_sampling.hpp>
#include <adaptrec/data/scenario_split.hpp>
#include <adaptrec/data/scenarios.hpp>
#include <adaptrec/data/shuffle.hpp>
#include <adaptrec/data/split.hpp>
