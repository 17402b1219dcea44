#pragma once
// Streaming evaluation metrics: AUC, GAUC, log loss, accuracy, precision /
// recall / F1, and top-K ranking metrics with the candidate-ranking helpers.
#include <adaptrec/metrics/accuracy.hpp>
#include <adaptrec/metrics/auc.hpp>
#include <adaptrec/metrics/candidate_ranking.hpp>
#include <adaptrec/metrics/concept.hpp>
#include <adaptrec/metrics/gauc.hpp>
#include <adaptrec/metrics/log_loss.hpp>
#include <adaptrec/metrics/precision_recall_f1.hpp>
#include <adaptrec/metrics/ranking.hpp>
#include <adaptrec/metrics/scenario_ranking.hpp>
#include <adaptrec/metrics/validation.hpp>
