#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace dictlab::host {

// SHA-256, for manifests: a stage is skipped only when the digest of its
// configuration and of its inputs' contents matches the finished run.
class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  std::string hex_digest();  // finishes the hash

  static std::string of(std::string_view bytes);
  static std::string of_file(const std::filesystem::path& file);  // throws on read errors

 private:
  void compress(const std::uint8_t* block);
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
};

}  // namespace dictlab::host
