#pragma once
// Text encoders: BERT-family models, their pooling, Hugging Face checkpoint
// loading and saving, the masked-LM head, and item-text towers.
#include <adaptrec/encoders/bert.hpp>
#include <adaptrec/encoders/bert_config.hpp>
#include <adaptrec/encoders/bert_embeddings.hpp>
#include <adaptrec/encoders/bert_for_masked_lm.hpp>
#include <adaptrec/encoders/bert_pretrained.hpp>
#include <adaptrec/encoders/concept.hpp>
#include <adaptrec/encoders/item_text_encoder.hpp>
#include <adaptrec/encoders/masked_lm_head.hpp>
#include <adaptrec/encoders/multimodal_projector.hpp>
#include <adaptrec/encoders/pooling.hpp>
#include <adaptrec/encoders/transe.hpp>
