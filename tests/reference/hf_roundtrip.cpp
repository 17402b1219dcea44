// The other direction of tests/reference: adaptrec saves checkpoints in the
// Hugging Face layout and transformers must load them with no missing or
// unexpected keys and the same outputs (hf_roundtrip.py checks).
//
//   g++ -std=c++20 -O2 -fopenmp -Iinclude -I/usr/include/eigen3 tests/reference/hf_roundtrip.cpp -o /tmp/hf_roundtrip
//   /tmp/hf_roundtrip tests/reference/vectors /tmp/roundtrip
//   build/reference-venv/bin/python tests/reference/hf_roundtrip.py tests/reference/vectors /tmp/roundtrip
#include <adaptrec/encoders.hpp>
#include <cstdio>
using namespace adaptrec;
int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: hf_roundtrip VECTORS_DIR OUT_DIR\n");
    return 2;
  }
  const std::string ref = std::string(argv[1]) + "/";
  const std::string out = std::string(argv[2]) + "/";
  auto bert = encoders::load_bert<float>(ref + "random_bert_small");
  // Perturb so a saved-then-loaded model differs from the original checkpoint.
  bert.visit_parameters([](const std::string&, Parameter<float>& p) { for (auto& v : p.value) v *= 1.01f; }, "");
  encoders::save_bert(bert, out + "bare", encoders::NamePrefix::bare);
  encoders::save_bert(bert, out + "prefixed", encoders::NamePrefix::bert);
  auto mlm = encoders::load_bert_for_masked_lm<float>(ref + "random_bert_prefixed");
  mlm.visit_parameters([](const std::string&, Parameter<float>& p) { for (auto& v : p.value) v *= 1.01f; }, "");
  encoders::save_bert_for_masked_lm(mlm, out + "mlm");
  // Outputs of the perturbed models on the reference inputs.
  auto ex = io::SafetensorsFile::open(ref + "random_bert_small/expected.safetensors");
  text::TokenBatch b{ex.tensor<index_t>("input_ids"), ex.tensor<index_t>("token_type_ids"), ex.tensor<index_t>("attention_mask")};
  bert.eval();
  io::SafetensorsWriter w;
  w.add("hidden", bert.forward(b));
  auto ex2 = io::SafetensorsFile::open(ref + "random_bert_prefixed/expected.safetensors");
  text::TokenBatch b2{ex2.tensor<index_t>("input_ids"), ex2.tensor<index_t>("token_type_ids"), ex2.tensor<index_t>("attention_mask")};
  mlm.eval();
  w.add("mlm_logits", mlm.logits(b2));
  w.write(out + "ours.safetensors");
  std::puts("saved");
}
