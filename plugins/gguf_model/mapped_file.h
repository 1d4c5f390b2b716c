#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

namespace gguf_model {

// A whole file mapped read-only, unmapped when the object goes. Move-only so
// a GgufFile that owns one can be returned from a factory.
class MappedFile {
 public:
  // Throws PluginError naming the path when it cannot be opened or mapped.
  explicit MappedFile(const std::filesystem::path& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }

 private:
  void release() noexcept;

  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace gguf_model
