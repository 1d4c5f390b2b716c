#pragma once

// Builds GGUF files byte by byte, so tests can write the malformed ones no
// writer would produce.

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace gguf_test {

class GgufBytes {
 public:
  template <typename T>
  GgufBytes& put(T value) {
    char raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    bytes_.append(raw, sizeof(T));
    return *this;
  }
  GgufBytes& u32(std::uint32_t v) { return put(v); }
  GgufBytes& u64(std::uint64_t v) { return put(v); }
  GgufBytes& str(std::string_view s) {
    u64(s.size());
    bytes_.append(s);
    return *this;
  }
  GgufBytes& raw(std::string_view s) {
    bytes_.append(s);
    return *this;
  }
  // "GGUF", version, tensor count, metadata count.
  GgufBytes& header(std::uint64_t tensors, std::uint64_t kvs, std::uint32_t version = 3) {
    return raw("GGUF").u32(version).u64(tensors).u64(kvs);
  }
  GgufBytes& kv_u32(std::string_view key, std::uint32_t v) { return str(key).u32(4).u32(v); }
  GgufBytes& kv_string(std::string_view key, std::string_view v) { return str(key).u32(8).str(v); }
  // Name, dims (ne order), ggml type id, offset into the data section.
  GgufBytes& tensor(std::string_view name, std::initializer_list<std::uint64_t> dims, std::uint32_t type,
                    std::uint64_t offset) {
    str(name).u32(static_cast<std::uint32_t>(dims.size()));
    for (std::uint64_t d : dims) u64(d);
    return u32(type).u64(offset);
  }
  GgufBytes& pad_to(std::size_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back('\0');
    return *this;
  }
  GgufBytes& zeros(std::size_t n) {
    bytes_.append(n, '\0');
    return *this;
  }

  const std::string& bytes() const { return bytes_; }

  std::filesystem::path write(const std::filesystem::path& path) const {
    std::ofstream(path, std::ios::binary).write(bytes_.data(), static_cast<std::streamsize>(bytes_.size()));
    return path;
  }

 private:
  std::string bytes_;
};

}  // namespace gguf_test
