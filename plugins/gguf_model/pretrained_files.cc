#include "pretrained_files.h"

#include "dictlab/atomic_file.h"
#include "dictlab/errors.h"
#include "dictlab/tokenizer_files.h"
#include "gguf_file.h"
#include "gguf_tokenizer_from_file.h"
#include "hf_bpe_tokenizer_json.h"
#include "hf_folder_loader.h"
#include "hf_folder_writer.h"

namespace gguf_model {

namespace fs = std::filesystem;

bool is_hugging_face_folder(const fs::path& path) { return fs::is_directory(path); }

LlamaConfig read_pretrained_config(const fs::path& path) {
  return is_hugging_face_folder(path) ? read_hf_llama_config(path) : read_llama_config(GgufFile(path));
}

GgufTokenizer read_pretrained_tokenizer(const fs::path& path) {
  return is_hugging_face_folder(path) ? GgufTokenizer(tokenizer_spec_from_hf_folder(path))
                                      : tokenizer_from_gguf(GgufFile(path));
}

LlamaModel load_pretrained_model(const fs::path& path, torch::Dtype dtype) {
  return is_hugging_face_folder(path) ? load_hf_llama_model(path, dtype) : load_llama_model(path, dtype);
}

void write_hugging_face_files(const fs::path& path, const fs::path& dir) {
  if (is_hugging_face_folder(path)) {
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "config.json"})
      if (fs::exists(path / name)) dictlab::AtomicFile::write_all(dir / name, dictlab::read_file_bytes(path / name));
    return;
  }
  const GgufFile file(path);
  const auto config = read_llama_config(file);
  const auto spec = tokenizer_spec_from_gguf(file);
  write_hf_tokenizer(dir, spec, config.context_length, file.try_string("tokenizer.chat_template"));
  dictlab::AtomicFile::write_all(dir / "config.json", hf_llama_config_json(file, config, spec).dump(2) + "\n");
}

}  // namespace gguf_model
