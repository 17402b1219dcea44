#pragma once
// Parameter-efficient adaptation of a frozen pretrained backbone: LoRA,
// AdaLoRA, bottleneck adapters, prefix and prompt tuning, BitFit, freezing
// policies, per-scenario sets and adapter-only checkpoints.
#include <adaptrec/peft/adalora.hpp>
#include <adaptrec/peft/adapter_checkpoint.hpp>
#include <adaptrec/peft/bitfit.hpp>
#include <adaptrec/peft/bottleneck_adapter.hpp>
#include <adaptrec/peft/concept.hpp>
#include <adaptrec/peft/freezing.hpp>
#include <adaptrec/peft/lora.hpp>
#include <adaptrec/peft/prefix_tuning.hpp>
#include <adaptrec/peft/prompt_tuning.hpp>
#include <adaptrec/peft/scenario_adapters.hpp>
#include <adaptrec/peft/scenario_text_encoder.hpp>
#include <adaptrec/peft/targets.hpp>
