#pragma once
// Optimizers, learning-rate schedules and gradient clipping.
#include <adaptrec/optim/adagrad.hpp>
#include <adaptrec/optim/adam.hpp>
#include <adaptrec/optim/adamw.hpp>
#include <adaptrec/optim/clip.hpp>
#include <adaptrec/optim/concept.hpp>
#include <adaptrec/optim/schedule.hpp>
#include <adaptrec/optim/sgd.hpp>
