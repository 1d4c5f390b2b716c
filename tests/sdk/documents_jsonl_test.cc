// Pile-style JSONL lines have a length cap: a file with one enormous line is
// refused naming the file and line after reading the cap, not held whole.
#include "dictlab/documents_jsonl.h"

#include <gtest/gtest.h>

#include <sstream>
#include <streambuf>

namespace dictlab {
namespace {

// A stream of `prefix`, then `filler` bytes of 'a', then `suffix`, made as it
// is read: a 65 MiB line costs the test no memory of its own.
class GeneratedLine : public std::streambuf {
 public:
  GeneratedLine(std::string prefix, std::size_t filler, std::string suffix)
      : prefix_(std::move(prefix)), suffix_(std::move(suffix)), filler_left_(filler) {}
  std::size_t bytes_served() const { return served_; }

 protected:
  int_type underflow() override {
    if (!prefix_.empty()) {
      current_ = std::exchange(prefix_, "");
    } else if (filler_left_ > 0) {
      current_.assign(std::min<std::size_t>(filler_left_, 1 << 16), 'a');
      filler_left_ -= current_.size();
    } else if (!suffix_.empty()) {
      current_ = std::exchange(suffix_, "");
    } else {
      return traits_type::eof();
    }
    served_ += current_.size();
    setg(current_.data(), current_.data(), current_.data() + current_.size());
    return traits_type::to_int_type(current_[0]);
  }

 private:
  std::string prefix_, suffix_, current_;
  std::size_t filler_left_;
  std::size_t served_ = 0;
};

std::string error_of(const std::function<void()>& read) {
  try {
    read();
  } catch (const PluginError& e) {
    return e.what();
  }
  return "no error";
}

TEST(DocumentsJsonl, LineOverTheDefaultCapIsRefusedNamingFileAndLine) {
  GeneratedLine source("{\"text\": \"first\"}\n{\"text\": \"", (std::size_t{65} << 20), "\"}\n");
  std::istream in(&source);
  std::size_t documents = 0;
  const std::string message = error_of([&] {
    read_documents_jsonl(in, "corpus.jsonl", "", [&](Document&&) { return ++documents, true; });
  });
  EXPECT_EQ(message, "corpus.jsonl:2: line longer than 67108864 bytes");
  EXPECT_EQ(documents, 1u);
  EXPECT_LT(source.bytes_served(), (std::size_t{65} << 20)) << "read the whole line before refusing it";
}

TEST(DocumentsJsonl, SmallCapNamesTheOptionThatRaisesIt) {
  std::istringstream in("{\"text\": \"a\"}\n\n{\"text\": \"" + std::string(200, 'b') + "\"}\n");
  const std::string message = error_of([&] {
    read_documents_jsonl(in, "x.jsonl", "", [](Document&&) { return true; }, 100, "max_line_bytes");
  });
  EXPECT_EQ(message, "x.jsonl:3: line longer than 100 bytes (raise max_line_bytes to read it)");
}

// Lines of exactly the cap, lines crossing the 64 KiB read buffer, and a last
// line with no newline all read as before.
TEST(DocumentsJsonl, LinesUpToTheCapReadWhole) {
  std::string text;
  std::vector<std::size_t> lengths = {1, 65535 - 12, 65536 - 12, 65537 - 12, 200000};
  for (std::size_t n : lengths) text += "{\"text\": \"" + std::string(n, 'x') + "\"}\n";
  text += "{\"text\": \"last\"}";
  const std::size_t cap = 200000 + 12;  // the longest line, exactly
  std::istringstream in(text);
  std::vector<std::size_t> read;
  read_documents_jsonl(in, "x.jsonl", "", [&](Document&& d) { return read.push_back(d.text.size()), true; }, cap);
  lengths.push_back(4);
  EXPECT_EQ(read, lengths);
}

TEST(DocumentsJsonl, StopsReadingWhenTheSinkSaysStop) {
  GeneratedLine source("{\"text\": \"first\"}\n{\"text\": \"", (std::size_t{32} << 20), "\"}\n");
  std::istream in(&source);
  read_documents_jsonl(in, "x.jsonl", "", [](Document&&) { return false; });
  EXPECT_LT(source.bytes_served(), std::size_t{1} << 20);
}

}  // namespace
}  // namespace dictlab
