// Tokenizer plugin: trains a SentencePiece BPE model with byte fallback on a
// dataset stage's documents and writes the token shards models train on.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <fstream>
#include <random>

#include "dictlab/bpe_tokenizer.h"
#include "dictlab/documents_jsonl.h"
#include "dictlab/sdk.h"
#include "dictlab/tokenizer_files.h"
#include "dictlab/token_shards.h"

namespace {

using dictlab::OptionError;
using dictlab::OptionSpec;
using dictlab::OptionType;
using dictlab::PluginError;

dictlab::PluginDescriptor describe() {
  return {.name = "sentencepiece_bpe",
          .version = "1.0.0",
          .summary = "SentencePiece BPE with byte fallback, trained on the corpus; writes token shards.",
          .options = {
              OptionSpec{"vocab_size", OptionType::kInt,
                         "Vocabulary size, including 256 byte tokens and 3 specials (and room for merges).",
                         std::int64_t{4096}}
                  .at_least(300),
              OptionSpec{"heldout_fraction", OptionType::kFloat,
                         "Share of documents kept out of training for evaluation.", 0.01}
                  .above(0.0)
                  .below(0.5),
              {"training_bytes", OptionType::kInt, "Text sampled for learning the merges (all of it if smaller).",
               std::int64_t{20} << 20},
              {"character_coverage", OptionType::kFloat,
               "Share of characters given their own token; rarer ones fall back to bytes.", 0.9995},
          }};
}

// Training sees text in pieces of at most this many bytes: SentencePiece
// skips longer "sentences" and its memory grows with their length.
constexpr std::size_t kPieceBytes = 2048;

std::vector<std::string> split_into_pieces(const std::string& text) {
  std::vector<std::string> pieces;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.size(), start + kPieceBytes);
    if (end < text.size()) {
      const std::size_t newline = text.rfind('\n', end - 1);
      if (newline != std::string::npos && newline > start) end = newline + 1;
      // Never cut inside a UTF-8 sequence.
      while (end > start + 1 && end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    }
    pieces.push_back(text.substr(start, end - start));
    start = end;
  }
  return pieces;
}

class VectorIterator : public sentencepiece::SentenceIterator {
 public:
  explicit VectorIterator(const std::vector<std::string>& items) : items_(items) {}
  bool done() const override { return index_ >= items_.size(); }
  void Next() override { ++index_; }
  const std::string& value() const override { return items_[index_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& items_;
  std::size_t index_ = 0;
};

// The vocabulary as JSON (see dictlab/bpe_tokenizer.h): what model plugins
// and the browser tokenize with, without a protobuf reader; also written
// as Hugging Face's tokenizer.json (dictlab/tokenizer_files.h).
nlohmann::json vocabulary_json(const sentencepiece::SentencePieceProcessor& sp) {
  nlohmann::json pieces = nlohmann::json::array();
  for (int i = 0; i < sp.GetPieceSize(); ++i) {
    const char* type = sp.IsByte(i) ? "b" : sp.IsControl(i) ? "c" : sp.IsUnknown(i) ? "u" : "n";
    pieces.push_back({sp.IdToPiece(i), sp.GetScore(i), type});
  }
  return {{"type", "sentencepiece_bpe"}, {"eos_id", sp.eos_id()}, {"pieces", pieces}};
}

template <typename T>
void append_ids(std::string& out, const std::vector<int>& ids) {
  for (int id : ids) {
    const T value = static_cast<T>(id);
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
}

class SentencePieceBpe : public dictlab::Tokenizer {
 public:
  void train(dictlab::RunContext& context) override {
    const auto& options = context.options();
    const std::int64_t vocab_size = options.get_int("vocab_size");
    const double heldout_fraction = options.get_float("heldout_fraction");

    const auto documents_file = context.input(dictlab::PluginKind::kDataset).dir / "documents.jsonl";
    std::vector<std::string> documents;
    {
      std::ifstream in(documents_file);
      if (!in) throw PluginError("cannot read " + documents_file.string());
      dictlab::read_documents_jsonl(in, documents_file.string(), "", [&](dictlab::Document&& d) {
        documents.push_back(std::move(d.text));
        return true;
      });
    }
    if (documents.empty()) throw PluginError(documents_file.string() + " has no documents");

    // Held-out documents are chosen by a seeded draw, so models A and B (and
    // every rerun) evaluate on the same text.
    std::mt19937_64 rng(context.seed() ^ 0x9e3779b97f4a7c15ULL);
    std::bernoulli_distribution heldout(heldout_fraction);
    std::vector<bool> is_heldout(documents.size());
    for (std::size_t i = 0; i < documents.size(); ++i) is_heldout[i] = heldout(rng);

    const std::string model_proto = train_model(context, documents, is_heldout, vocab_size);
    dictlab::AtomicFile::write_all(context.stage_dir() / "tokenizer.model", model_proto);
    if (context.stop_requested()) return;
    encode_corpus(context, documents, is_heldout, model_proto, vocab_size);
  }

 private:
  std::string train_model(dictlab::RunContext& context, const std::vector<std::string>& documents,
                          const std::vector<bool>& is_heldout, std::int64_t vocab_size) {
    const auto budget = static_cast<std::size_t>(context.options().get_int("training_bytes"));
    std::vector<std::string> sample;
    std::size_t bytes = 0;
    // Every document contributes its first pieces before any contributes
    // more, so small sources are not crowded out of the sample.
    std::vector<std::vector<std::string>> pieces;
    for (std::size_t i = 0; i < documents.size(); ++i)
      if (!is_heldout[i]) pieces.push_back(split_into_pieces(documents[i]));
    for (std::size_t round = 0; bytes < budget; ++round) {
      bool any = false;
      for (const auto& doc : pieces) {
        if (round >= doc.size() || bytes >= budget) continue;
        sample.push_back(doc[round]);
        bytes += doc[round].size();
        any = true;
      }
      if (!any) break;
    }
    context.log().info("learning " + std::to_string(vocab_size) + " tokens from " + std::to_string(bytes) +
                       " bytes of text");

    // Identity normalisation keeps text byte for byte (newlines, indentation,
    // runs of spaces): code, base64 and DNA depend on it.
    const std::unordered_map<std::string, std::string> args = {
        {"model_type", "bpe"},
        {"vocab_size", std::to_string(vocab_size)},
        {"byte_fallback", "true"},
        {"character_coverage", std::to_string(context.options().get_float("character_coverage"))},
        {"normalization_rule_name", "identity"},
        {"remove_extra_whitespaces", "false"},
        {"split_digits", "true"},
        {"allow_whitespace_only_pieces", "true"},
        {"max_sentence_length", std::to_string(kPieceBytes * 2)},
        {"input_sentence_size", "0"},
        {"num_threads", "2"},
        {"unk_id", "0"},
        {"bos_id", "-1"},
        {"eos_id", "1"},
        {"pad_id", "-1"},
        {"add_dummy_prefix", "false"},  // documents concatenate exactly
        {"minloglevel", "1"},
    };
    VectorIterator iterator(sample);
    std::string proto;
    const auto status = sentencepiece::SentencePieceTrainer::Train(args, &iterator, &proto);
    if (!status.ok()) {
      const std::string message = status.ToString();
      if (message.find("Vocabulary size") != std::string::npos) throw OptionError("vocab_size", message);
      throw PluginError("SentencePiece training failed: " + message);
    }
    return proto;
  }

  // Model plugins and the browser encode with dictlab::BpeTokenizer; it must
  // give SentencePiece's ids exactly, or they would see other tokens than
  // the model was trained on.
  static void check_reimplementation(const sentencepiece::SentencePieceProcessor& processor,
                                     const nlohmann::json& vocabulary, const std::vector<std::string>& documents,
                                     const std::vector<bool>& is_heldout) {
    const auto tokenizer = dictlab::BpeTokenizer::from_json(vocabulary);
    int checked = 0;
    for (std::size_t i = 0; i < documents.size() && checked < 200; ++i) {
      if (!is_heldout[i] && checked > 100) continue;
      ++checked;
      std::vector<int> expected;
      processor.Encode(documents[i], &expected).IgnoreError();
      const auto ids = tokenizer.encode(documents[i]);
      if (!std::equal(ids.begin(), ids.end(), expected.begin(), expected.end()))
        throw PluginError("dictlab::BpeTokenizer disagrees with SentencePiece on document " + std::to_string(i) +
                          "; please report this with the corpus");
    }
  }

  void encode_corpus(dictlab::RunContext& context, const std::vector<std::string>& documents,
                     const std::vector<bool>& is_heldout, const std::string& model_proto, std::int64_t vocab_size) {
    sentencepiece::SentencePieceProcessor processor;
    if (const auto status = processor.LoadFromSerializedProto(model_proto); !status.ok())
      throw PluginError("cannot load the trained tokenizer: " + status.ToString());
    const nlohmann::json vocabulary = vocabulary_json(processor);
    check_reimplementation(processor, vocabulary, documents, is_heldout);
    dictlab::AtomicFile::write_all(context.stage_dir() / dictlab::kBpeVocabularyFile, vocabulary.dump() + "\n");
    dictlab::write_hugging_face_tokenizer(context.stage_dir(), vocabulary);
    const bool narrow = vocab_size <= 65536;
    const int separator = processor.eos_id();
    std::string train, heldout;
    std::int64_t train_tokens = 0, heldout_tokens = 0;
    context.progress().set_total(static_cast<double>(documents.size()));
    std::vector<int> ids;
    for (std::size_t i = 0; i < documents.size(); ++i) {
      if (context.stop_requested()) return;
      ids.clear();
      if (const auto status = processor.Encode(documents[i], &ids); !status.ok())
        throw PluginError("encoding document " + std::to_string(i) + ": " + status.ToString());
      ids.push_back(separator);
      std::string& out = is_heldout[i] ? heldout : train;
      (is_heldout[i] ? heldout_tokens : train_tokens) += static_cast<std::int64_t>(ids.size());
      narrow ? append_ids<std::uint16_t>(out, ids) : append_ids<std::uint32_t>(out, ids);
      if (i % 64 == 0) context.progress().set_done(static_cast<double>(i + 1));
    }
    if (heldout_tokens == 0) throw OptionError("heldout_fraction", "left no document for evaluation; raise it");
    dictlab::AtomicFile::write_all(context.stage_dir() / "tokens.train.bin", train);
    dictlab::AtomicFile::write_all(context.stage_dir() / "tokens.heldout.bin", heldout);
    const nlohmann::json info = {{"vocab_size", processor.GetPieceSize()},
                                 {"dtype", narrow ? "uint16" : "uint32"},
                                 {"document_separator", separator},
                                 {"tokenizer", "sentencepiece_bpe"},
                                 {"splits", {{"train", train_tokens}, {"heldout", heldout_tokens}}}};
    dictlab::AtomicFile::write_all(context.stage_dir() / "tokens.json", info.dump(2) + "\n");
    context.metrics().gauge("tokens", "Tokens per split.", {{"split", "train"}}).set(static_cast<double>(train_tokens));
    context.metrics().gauge("tokens", "Tokens per split.", {{"split", "heldout"}}).set(static_cast<double>(heldout_tokens));
    std::size_t bytes = 0;
    for (const auto& d : documents) bytes += d.size();
    context.log().info(std::to_string(train_tokens + heldout_tokens) + " tokens, " +
                       std::to_string(static_cast<double>(bytes) / static_cast<double>(train_tokens + heldout_tokens)) +
                       " bytes per token");
  }
};

}  // namespace

DICTLAB_PLUGIN(SentencePieceBpe, describe)
