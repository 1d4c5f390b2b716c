#pragma once

// The safetensors format (what Hugging Face, SAELens and TransformerLens
// read): 8-byte little-endian header size, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw little-endian data.
// Needs nlohmann-json (Debian nlohmann-json3-dev).

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dictlab/atomic_file.h"
#include "dictlab/errors.h"

namespace dictlab {

struct SafetensorsTensor {
  std::string dtype;  // "F32", "F16", "BF16", "I64", "I32", "U16"...
  std::vector<std::int64_t> shape;
  std::vector<char> bytes;

  std::int64_t elements() const {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
  std::vector<float> as_floats() const {
    if (dtype != "F32") throw PluginError("tensor is " + dtype + ", not F32");
    std::vector<float> out(static_cast<std::size_t>(elements()));
    std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
    return out;
  }
};

inline std::size_t safetensors_dtype_size(const std::string& dtype) {
  static const std::map<std::string, std::size_t> kSizes = {
      {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4},
      {"I16", 2}, {"I8", 1},  {"U8", 1},  {"U16", 2},  {"U32", 4}, {"BOOL", 1}};
  auto it = kSizes.find(dtype);
  if (it == kSizes.end()) throw PluginError("unknown safetensors dtype " + dtype);
  return it->second;
}

class SafetensorsWriter {
 public:
  void add(const std::string& name, const std::string& dtype, std::vector<std::int64_t> shape, const void* data) {
    SafetensorsTensor tensor{dtype, std::move(shape), {}};
    tensor.bytes.resize(static_cast<std::size_t>(tensor.elements()) * safetensors_dtype_size(dtype));
    std::memcpy(tensor.bytes.data(), data, tensor.bytes.size());
    tensors_[name] = std::move(tensor);
  }
  void add_f32(const std::string& name, std::vector<std::int64_t> shape, const float* data) {
    add(name, "F32", std::move(shape), data);
  }
  // String-to-string only, as the format requires.
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

  void write(const std::filesystem::path& path) const {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata_.empty()) header["__metadata__"] = metadata_;
    std::size_t offset = 0;
    for (const auto& [name, tensor] : tensors_) {  // std::map: sorted, like the Python writer
      header[name] = {{"dtype", tensor.dtype},
                      {"shape", tensor.shape},
                      {"data_offsets", {offset, offset + tensor.bytes.size()}}};
      offset += tensor.bytes.size();
    }
    std::string text = header.dump();
    text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
    const std::uint64_t size = text.size();
    AtomicFile file(path);
    char size_bytes[8];
    for (int i = 0; i < 8; ++i) size_bytes[i] = static_cast<char>((size >> (8 * i)) & 0xff);
    file.write(std::string_view(size_bytes, 8));
    file.write(text);
    for (const auto& [name, tensor] : tensors_) file.write(std::string_view(tensor.bytes.data(), tensor.bytes.size()));
    file.commit();
  }

 private:
  std::map<std::string, SafetensorsTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Reads a whole file, checking the header against the file size so that a
// truncated or corrupted file is refused with the tensor that does not fit.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path) : path_(path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw PluginError("cannot read " + path.string());
    const std::uint64_t file_size = std::filesystem::file_size(path);
    unsigned char size_bytes[8] = {};
    in.read(reinterpret_cast<char*>(size_bytes), 8);
    std::uint64_t header_size = 0;
    for (int i = 7; i >= 0; --i) header_size = header_size << 8 | size_bytes[i];
    if (!in || header_size + 8 > file_size) throw PluginError(path.string() + ": not a safetensors file (bad header size)");
    std::string text(header_size, '\0');
    in.read(text.data(), static_cast<std::streamsize>(header_size));
    auto header = nlohmann::json::parse(text, nullptr, false);
    if (header.is_discarded() || !header.is_object()) throw PluginError(path.string() + ": safetensors header is not JSON");
    const std::uint64_t data_size = file_size - 8 - header_size;
    for (auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        for (auto& [k, v] : entry.items()) if (v.is_string()) metadata_[k] = v.get<std::string>();
        continue;
      }
      SafetensorsTensor tensor;
      tensor.dtype = entry.value("dtype", "");
      tensor.shape = entry.value("shape", std::vector<std::int64_t>{});
      const auto offsets = entry.value("data_offsets", std::vector<std::uint64_t>{});
      if (offsets.size() != 2 || offsets[1] < offsets[0] || offsets[1] > data_size)
        throw PluginError(path.string() + ": tensor '" + name + "' lies outside the file (truncated?)");
      if (offsets[1] - offsets[0] != static_cast<std::uint64_t>(tensor.elements()) * safetensors_dtype_size(tensor.dtype))
        throw PluginError(path.string() + ": tensor '" + name + "' has a size that does not match its shape");
      tensor.bytes.resize(offsets[1] - offsets[0]);
      in.seekg(static_cast<std::streamoff>(8 + header_size + offsets[0]));
      in.read(tensor.bytes.data(), static_cast<std::streamsize>(tensor.bytes.size()));
      if (!in) throw PluginError(path.string() + ": cannot read tensor '" + name + "'");
      tensors_[name] = std::move(tensor);
    }
  }

  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // The named tensor, checked against the shape the caller expects.
  const SafetensorsTensor& get(const std::string& name, const std::vector<std::int64_t>& shape) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw PluginError(path_.string() + ": no tensor '" + name + "'");
    if (it->second.shape != shape) {
      auto show = [](const std::vector<std::int64_t>& s) {
        std::string t = "[";
        for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
        return t + "]";
      };
      throw PluginError(path_.string() + ": tensor '" + name + "' has shape " + show(it->second.shape) +
                        ", expected " + show(shape));
    }
    return it->second;
  }
  const std::map<std::string, SafetensorsTensor>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::filesystem::path path_;
  std::map<std::string, SafetensorsTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace dictlab
