#pragma once
// Everything adaptrec offers on the CPU, one family umbrella at a time. Most
// programs include only the families they use.
#include <adaptrec/data.hpp>
#include <adaptrec/encoders.hpp>
#include <adaptrec/fusion.hpp>
#include <adaptrec/heads.hpp>
#include <adaptrec/io.hpp>
#include <adaptrec/layers.hpp>
#include <adaptrec/losses.hpp>
#include <adaptrec/metrics.hpp>
#include <adaptrec/optim.hpp>
#include <adaptrec/peft.hpp>
#include <adaptrec/recommender.hpp>
#include <adaptrec/text.hpp>
#include <adaptrec/train.hpp>
