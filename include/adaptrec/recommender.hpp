#pragma once
// Pipelines assembled as static types from encoders, fusions, heads and losses.
#include <adaptrec/recommender/recommender.hpp>
#include <adaptrec/recommender/tower.hpp>
