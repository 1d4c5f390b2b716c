#pragma once

// Deterministic mutations of valid seed files, the kinds that break parsers:
// bit flips, truncations, insertions, deletions, splices of two seeds, and
// numbers in text swapped for huge or negative ones. Seeded, so a failure
// seen in CI is the same input on a developer's machine.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace dictlab::fuzz {

class Mutator {
 public:
  Mutator(std::vector<std::string> seeds, std::uint64_t seed) : seeds_(std::move(seeds)), rng_(seed) {}

  // One to four stacked mutations of a seed picked at random.
  std::string next() {
    std::string data = seeds_[pick(seeds_.size())];
    const std::size_t rounds = 1 + pick(4);
    for (std::size_t i = 0; i < rounds; ++i) mutate(data);
    return data;
  }

 private:
  std::size_t pick(std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }

  void mutate(std::string& data) {
    switch (pick(9)) {
      case 0: flip_bit(data); break;
      case 1: set_interesting_byte(data); break;
      case 2: data.resize(pick(data.size() + 1)); break;  // truncate
      case 3: insert_random(data); break;
      case 4: erase_range(data); break;
      case 5: duplicate_range(data); break;
      case 6: splice(data); break;
      case 7: replace_number(data); break;
      default: overwrite_binary_integer(data); break;
    }
  }

  void flip_bit(std::string& data) {
    if (!data.empty()) data[pick(data.size())] ^= static_cast<char>(1 << pick(8));
  }
  void set_interesting_byte(std::string& data) {
    static const char kBytes[] = {'\0', '\xff', '\x7f', '\x80', '"', '\\', '\n', '[', '{', '-', '9'};
    if (!data.empty()) data[pick(data.size())] = kBytes[pick(sizeof kBytes)];
  }
  void insert_random(std::string& data) {
    std::string bytes(1 + pick(16), '\0');
    for (char& c : bytes) c = static_cast<char>(pick(256));
    data.insert(pick(data.size() + 1), bytes);
  }
  void erase_range(std::string& data) {
    if (data.empty()) return;
    const std::size_t at = pick(data.size());
    data.erase(at, 1 + pick(std::min<std::size_t>(64, data.size() - at)));
  }
  void duplicate_range(std::string& data) {
    if (data.empty() || data.size() > (1u << 20)) return;  // stay small: inputs, not memory tests
    const std::size_t at = pick(data.size());
    const std::string range = data.substr(at, 1 + pick(64));
    data.insert(pick(data.size() + 1), range);
  }
  // The head of this input and the tail of another seed.
  void splice(std::string& data) {
    const std::string& other = seeds_[pick(seeds_.size())];
    data = data.substr(0, pick(data.size() + 1)) + other.substr(pick(other.size() + 1));
  }
  // A decimal number in the text becomes one a parser must not trust.
  void replace_number(std::string& data) {
    static const char* kNumbers[] = {"-1", "0", "18446744073709551615", "18446744073709551616", "9223372036854775807",
                                     "-9223372036854775808", "4294967296", "65536", "1e308", "-0", "2147483648"};
    std::vector<std::size_t> starts;
    for (std::size_t i = 0; i < data.size(); ++i)
      if (data[i] >= '0' && data[i] <= '9' && (i == 0 || data[i - 1] < '0' || data[i - 1] > '9')) starts.push_back(i);
    if (starts.empty()) return;
    const std::size_t at = starts[pick(starts.size())];
    std::size_t end = at;
    while (end < data.size() && data[end] >= '0' && data[end] <= '9') ++end;
    data.replace(at, end - at, kNumbers[pick(sizeof kNumbers / sizeof *kNumbers)]);
  }
  // Eight bytes become a little-endian size field near a limit.
  void overwrite_binary_integer(std::string& data) {
    static const std::uint64_t kValues[] = {~0ull, ~0ull - 7, 1ull << 63, 1ull << 32, 0xffffffffull, 0, 1};
    if (data.size() < 8) return;
    const std::size_t at = pick(4) == 0 ? 0 : pick(data.size() - 7);  // the header size field often
    const std::uint64_t value = kValues[pick(sizeof kValues / sizeof *kValues)];
    for (int i = 0; i < 8; ++i) data[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
  }

  std::vector<std::string> seeds_;
  std::mt19937_64 rng_;
};

}  // namespace dictlab::fuzz
