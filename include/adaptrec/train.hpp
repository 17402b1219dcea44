#pragma once
// Training loops: epochs with validation and early stopping, masked-LM
// pretraining of a text encoder, TransE on a knowledge graph.
#include <adaptrec/train/mlm_pretraining.hpp>
#include <adaptrec/train/progress.hpp>
#include <adaptrec/train/snapshot.hpp>
#include <adaptrec/train/trainer.hpp>
#include <adaptrec/train/transe_training.hpp>
