// Sentence embeddings from a pretrained BERT-family checkpoint in the Hugging
// Face layout (config.json, vocab.txt, model.safetensors): the command-line
// face of adaptrec's text encoder.
//
//   scripts/fetch_minilm.sh   # prints the model folder
//   printf 'A cosy café in Zürich\n東京の映画\n' | embed_text --model ~/.cache/adaptrec/all-minilm-l6-v2
//
// Reads one UTF-8 sentence per line on stdin and writes one line per sentence:
// the pooled embedding as space-separated floats with 7 significant digits.
// all-MiniLM-L6-v2's published sentence embedding is `--pooling mean --normalize 1`.
#include "common/cli.hpp"

#include <adaptrec/core/threads.hpp>
#include <adaptrec/encoders.hpp>
#include <adaptrec/text.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

namespace {

using namespace adaptrec;

std::vector<std::string> read_lines(std::istream& in) {
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  return lines;
}

void write_embedding(const float* v, index_t dim, std::string& buffer) {
  buffer.clear();
  char number[32];
  for (index_t i = 0; i < dim; ++i) {
    const int n = std::snprintf(number, sizeof number, i == 0 ? "%.7g" : " %.7g",
                                static_cast<double>(v[i]));
    buffer.append(number, static_cast<std::size_t>(n));
  }
  buffer.push_back('\n');
  std::fwrite(buffer.data(), 1, buffer.size(), stdout);
}

int run(int argc, char** argv) {
  examples::CommandLine cli(
      "embed_text", "Embeds each line of stdin with a BERT-family checkpoint.",
      {{"model", {"", "folder with config.json, vocab.txt and model.safetensors"}},
       {"pooling", {"mean", "cls, mean (over the attention mask) or pooler"}},
       {"max-len", {"128", "longest token sequence, [CLS] and [SEP] included; longer is truncated"}},
       {"batch", {"32", "sentences per forward pass"}},
       {"normalize", {"0", "1 to scale each embedding to unit L2 norm"}},
       {"precision", {"fp32", "fp32, bf16 or int8: the weights' format for the encoder's GEMMs"}},
       {"int8-activations", {"per_token", "with int8: per_token or per_tensor input scales"}},
       {"threads", {"1", "CPU threads"}}});
  if (!cli.parse(argc, argv)) return 0;
  const std::string model_dir = cli.text("model");
  if (model_dir.empty()) throw invalid_argument("--model is required (see --help)");
  const auto pooling = encoders::pooling_from_name(cli.text("pooling"));
  const index_t max_length = cli.integer("max-len", 2);
  const auto batch_size = static_cast<std::size_t>(cli.integer("batch", 1));
  const bool normalize = cli.integer("normalize") != 0;
  set_num_threads(static_cast<int>(cli.integer("threads", 1)));

  const auto tokenizer = text::BertTokenizer::from_pretrained(model_dir);
  auto model = encoders::load_bert<float>(model_dir);
  model.eval();
  const auto precision = backend::parse_precision(cli.text("precision"), "--precision");
  if (precision != backend::Precision::fp32)
    model.set_precision(precision, {.activations = backend::parse_activation_scaling(
                                        cli.text("int8-activations"), "--int8-activations")});
  std::cerr << "embed_text: encoder GEMMs in " << backend::to_string(precision) << '\n';
  if (max_length > model.config().max_position_embeddings)
    throw invalid_argument("--max-len " + std::to_string(max_length) + " exceeds the model's " +
                           std::to_string(model.config().max_position_embeddings) + " positions");

  const std::vector<std::string> lines = read_lines(std::cin);
  // Batches of similar length waste little compute on padding; the output
  // keeps the input order.
  std::vector<std::size_t> order(lines.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return lines[a].size() < lines[b].size(); });

  const index_t dim = model.config().hidden_size;
  std::vector<float> embeddings(lines.size() * static_cast<std::size_t>(dim));
  std::vector<std::string> texts;
  for (std::size_t begin = 0; begin < order.size(); begin += batch_size) {
    const std::size_t end = std::min(order.size(), begin + batch_size);
    texts.clear();
    for (std::size_t i = begin; i < end; ++i) texts.push_back(lines[order[i]]);
    const text::TokenBatch batch = tokenizer.encode_batch(texts, max_length);
    Tensor<float> pooled = model.encode(batch, pooling);
    if (normalize) {
      // As sentence-transformers' Normalize module: x / max(||x||, 1e-12).
      Tensor<float> unit(pooled.shape()), norms(Shape{pooled.rows()});
      backend::l2_normalize(pooled, 1e-12f, unit, norms);
      pooled = std::move(unit);
    }
    for (std::size_t i = begin; i < end; ++i)
      std::copy_n(pooled.data() + static_cast<index_t>(i - begin) * dim, dim,
                  embeddings.data() + order[i] * static_cast<std::size_t>(dim));
  }
  std::string buffer;
  for (std::size_t i = 0; i < lines.size(); ++i)
    write_embedding(embeddings.data() + i * static_cast<std::size_t>(dim), dim, buffer);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "embed_text: %s\n", e.what());
    return 1;
  }
}
