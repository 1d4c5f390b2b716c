// Tokenizer plugin: a pretrained model's own tokenizer, read from its GGUF
// file, over a dataset stage's documents, into the token shards every later
// stage reads (format: sdk/include/dictlab/token_shards.h).
#include <fstream>
#include <random>

#include "dictlab/documents_jsonl.h"
#include "dictlab/sdk.h"
#include "gguf_source.h"
#include "pretrained_files.h"

namespace {

using dictlab::OptionError;
using dictlab::OptionSpec;
using dictlab::OptionType;
using dictlab::PluginError;

dictlab::PluginDescriptor describe() {
  return {.name = "gguf_tokens",
          .version = "1.0.0",
          .summary = "A GGUF model's own tokenizer over the corpus; writes the token shards its model stage reads.",
          .options = {
              {"file", OptionType::kString,
               "The GGUF file (or Hugging Face folder) whose tokenizer to use, as its model stage names it.",
               std::nullopt},
              OptionSpec{"heldout_fraction", OptionType::kFloat,
                         "Share of documents kept out of training for evaluation.", 0.01}
                  .above(0.0)
                  .below(0.5),
              OptionSpec{"max_bytes", OptionType::kInt,
                         "Text tokenized, in documents drawn evenly from the whole corpus (all of it if smaller).",
                         std::int64_t{32} << 20}
                  .at_least(1),
          }};
}

template <typename T>
void append_ids(std::string& out, const std::vector<std::int32_t>& ids) {
  for (std::int32_t id : ids) {
    const T value = static_cast<T>(id);
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
}

std::vector<std::string> read_documents(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw PluginError("cannot read " + file.string());
  std::vector<std::string> documents;
  dictlab::read_documents_jsonl(in, file.string(), "", [&](dictlab::Document&& d) {
    documents.push_back(std::move(d.text));
    return true;
  });
  if (documents.empty()) throw PluginError(file.string() + " has no documents");
  return documents;
}

class GgufTokens : public dictlab::Tokenizer {
 public:
  void train(dictlab::RunContext& context) override {
    const auto& options = context.options();
    const double heldout_fraction = options.get_float("heldout_fraction");
    const std::filesystem::path path = options.get_string("file");
    if (!std::filesystem::exists(path)) throw OptionError("file", "no such GGUF file or Hugging Face folder: " + path.string());
    const auto tokenizer = gguf_model::read_pretrained_tokenizer(path);
    const auto separator = tokenizer.eos_id();
    if (!separator) throw OptionError("file", path.string() + " names no EOS token to separate documents with");

    const auto documents = read_documents(context.input(dictlab::PluginKind::kDataset).dir / "documents.jsonl");
    std::size_t total = 0;
    for (const auto& d : documents) total += d.size();
    // Documents come grouped by source: a seeded draw keeps every source in
    // the sample; a second one picks the held-out documents, as the toy's
    // tokenizer does.
    const double keep = std::min(1.0, static_cast<double>(options.get_int("max_bytes")) / static_cast<double>(total));
    std::mt19937_64 rng(context.seed() ^ 0x9e3779b97f4a7c15ULL);
    std::bernoulli_distribution kept(keep), heldout(heldout_fraction);

    const bool narrow = tokenizer.vocab_size() <= 65536;
    std::string train, held;
    std::int64_t train_tokens = 0, heldout_tokens = 0;
    context.progress().set_total(static_cast<double>(documents.size()));
    for (std::size_t i = 0; i < documents.size(); ++i) {
      if (context.stop_requested()) return;
      const bool is_heldout = heldout(rng);
      if (!kept(rng)) continue;
      auto ids = tokenizer.encode(documents[i]);
      ids.push_back(*separator);
      std::string& out = is_heldout ? held : train;
      (is_heldout ? heldout_tokens : train_tokens) += static_cast<std::int64_t>(ids.size());
      narrow ? append_ids<std::uint16_t>(out, ids) : append_ids<std::uint32_t>(out, ids);
      if (i % 64 == 0) context.progress().set_done(static_cast<double>(i + 1));
    }
    if (heldout_tokens == 0) throw OptionError("heldout_fraction", "left no document for evaluation; raise it");
    const auto dir = context.stage_dir();
    dictlab::AtomicFile::write_all(dir / "tokens.train.bin", train);
    dictlab::AtomicFile::write_all(dir / "tokens.heldout.bin", held);
    const nlohmann::json info = {{"vocab_size", tokenizer.vocab_size()},
                                 {"dtype", narrow ? "uint16" : "uint32"},
                                 {"document_separator", *separator},
                                 {"tokenizer", "gguf_tokens"},
                                 {"model_file", gguf_model::GgufSource::of(path).to_json()},
                                 {"splits", {{"train", train_tokens}, {"heldout", heldout_tokens}}}};
    dictlab::AtomicFile::write_all(dir / "tokens.json", info.dump(2) + "\n");
    context.metrics().gauge("tokens", "Tokens per split.", {{"split", "train"}}).set(static_cast<double>(train_tokens));
    context.metrics().gauge("tokens", "Tokens per split.", {{"split", "heldout"}}).set(static_cast<double>(heldout_tokens));
    context.log().info(std::to_string(train_tokens + heldout_tokens) + " tokens of " + path.filename().string() +
                       "'s tokenizer");
  }
};

}  // namespace

DICTLAB_PLUGIN(GgufTokens, describe)
