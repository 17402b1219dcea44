#pragma once
// Reading and writing files: JSON, safetensors tensors, module checkpoints.
#include <adaptrec/io/checkpoint.hpp>
#include <adaptrec/io/dtype.hpp>
#include <adaptrec/io/json.hpp>
#include <adaptrec/io/pretrained.hpp>
#include <adaptrec/io/safetensors.hpp>
