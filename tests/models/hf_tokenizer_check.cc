#include "hf_tokenizer_check.h"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace dictlab::testing {

const std::vector<std::string>& interop_texts() {
  static const std::vector<std::string> texts = {
      "Hello, world!",
      "The cat sat on the mat and looked at the dog. ",
      "plain ASCII, with  double spaces\tand tabs\n",
      "   leading and trailing spaces   ",
      "          ten spaces, then some",
      "line one\nline two\n\n\nline five\r\nwindows line\r\n",
      "def add(a, b):\n    return a + b\n\n\tindented with a tab\n",
      "العربية: بسم الله الرحمن الرحيم",
      "עברית: שלום עולם, מה שלומך היום?",
      "中文：床前明月光，疑是地上霜。",
      "日本語のテキスト、한국어 텍스트",
      "Русский текст: Привет, как дела?",
      "emoji 😀🎉👍 and ZWJ 👩‍💻 and flags 🇫🇷",
      "combining e\xCC\x81 and RTL \xE2\x80\x8F mark",
      "ACGTTGCAACGTAGCTAGNNNN",
      "U29tZSBiYXNlNjQgdGV4dCBmb3IgdGVzdGluZw==",
      "\x01\x02\x1b[0m control characters",
      "runes ᚠᛇᚻ and Gothic 𐌰𐌱 the corpus never had",
      "the last code point \xF4\x8F\xBF\xBF and math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
      "</s> and <unk> and <s> typed as text",
      "<0x41> spells a byte piece",
      "\xE2\x96\x81 is the escape for a space",
      "12345678901234567890 3.14159",
      "non-breaking\xC2\xA0space and\xE2\x80\x83" "em space",
      "<div class=\"box\"><p>Hello</p></div>\n",
      " ",
      "",
  };
  return texts;
}

HfCheckResult check_with_hugging_face(const std::filesystem::path& stage_dir, const std::vector<std::string>& texts,
                                      const std::function<std::vector<std::int32_t>(const std::string&)>& encode,
                                      const std::function<std::string(const std::vector<std::int32_t>&)>& decode) {
  const char* python = std::getenv("DICTLAB_PYTHON");
  if (!python || !*python)
    return {.skipped = "set DICTLAB_PYTHON to the full path of a Python with `tokenizers` and `transformers` "
                       "(python3 -m venv /tmp/hf && /tmp/hf/bin/pip install tokenizers transformers, then "
                       "DICTLAB_PYTHON=/tmp/hf/bin/python) to run this check"};
  TempDir dir;
  std::ofstream cases(dir / "cases.jsonl", std::ios::binary);
  for (const auto& text : texts) {
    const auto ids = encode(text);
    cases << nlohmann::json{{"text", text}, {"ids", ids}, {"decoded", decode(ids)}}.dump() << "\n";
  }
  cases.close();
  const auto result = run_command({python, std::string(DICTLAB_SOURCE_DIR) + "/tests/interop/check_hf_tokenizer.py",
                                   stage_dir.string(), (dir / "cases.jsonl").string()},
                                  {{"HF_HUB_OFFLINE", "1"}, {"TRANSFORMERS_NO_ADVISORY_WARNINGS", "1"}});
  return {.exit_code = result.exit_code, .output = result.output};
}

}  // namespace dictlab::testing
