#pragma once

// The safetensors format (what Hugging Face, SAELens and TransformerLens
// read): 8-byte little-endian header size, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw little-endian data.
// Needs nlohmann-json (Debian nlohmann-json3-dev).

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
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
    if (bytes.size() != out.size() * sizeof(float))
      throw PluginError("tensor has " + std::to_string(bytes.size()) + " bytes, not the " +
                        std::to_string(out.size() * sizeof(float)) + " its shape needs");
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
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
    if (!tensor.bytes.empty()) std::memcpy(tensor.bytes.data(), data, tensor.bytes.size());  // data may be null
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

namespace safetensors_detail {

// The Python reader's limit: a header this large is a corrupt size field, and
// trusting it would allocate whatever 8 random bytes say.
inline constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

inline std::string show_shape(const std::vector<std::int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// The byte count of a tensor, refusing negative dimensions and products that
// overflow: a shape is a claim from the file, not a fact.
inline std::uint64_t checked_byte_count(const std::vector<std::int64_t>& shape, std::size_t dtype_size,
                                        const std::string& where) {
  std::uint64_t bytes = dtype_size;
  for (auto d : shape) {
    if (d < 0) throw PluginError(where + " has a negative dimension in shape " + show_shape(shape));
    const auto dim = static_cast<std::uint64_t>(d);
    if (dim != 0 && bytes > std::numeric_limits<std::uint64_t>::max() / dim)
      throw PluginError(where + " has shape " + show_shape(shape) + ", too large for any file");
    bytes *= dim;
  }
  return bytes;
}

struct TensorEntry {
  std::string name;
  SafetensorsTensor tensor;
  std::uint64_t begin = 0, end = 0;  // data_offsets, relative to the data section
};

// One header entry, checked field by field so that a wrong JSON type is a
// PluginError naming the tensor rather than a nlohmann exception.
inline TensorEntry parse_tensor_entry(const std::string& name, const nlohmann::json& entry, std::uint64_t data_size,
                                      const std::string& file) {
  const std::string where = file + ": tensor '" + name + "'";
  if (!entry.is_object()) throw PluginError(where + " is not a JSON object");
  TensorEntry out{name, {}, 0, 0};
  const auto dtype = entry.find("dtype");
  if (dtype == entry.end() || !dtype->is_string()) throw PluginError(where + " has no string \"dtype\"");
  out.tensor.dtype = dtype->get<std::string>();
  const auto shape = entry.find("shape");
  if (shape == entry.end() || !shape->is_array()) throw PluginError(where + " has no \"shape\" array");
  for (const auto& d : *shape) {
    if (!d.is_number_integer()) throw PluginError(where + " has a shape entry that is not an integer");
    if (d.is_number_unsigned() && d.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
      throw PluginError(where + " has a dimension too large for any file");
    out.tensor.shape.push_back(d.get<std::int64_t>());
  }
  const auto offsets = entry.find("data_offsets");
  if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2 || !(*offsets)[0].is_number_unsigned() ||
      !(*offsets)[1].is_number_unsigned())
    throw PluginError(where + " has no \"data_offsets\" pair of non-negative integers");
  out.begin = (*offsets)[0].get<std::uint64_t>();
  out.end = (*offsets)[1].get<std::uint64_t>();
  if (out.begin > out.end || out.end > data_size)
    throw PluginError(where + " lies outside the file: data_offsets [" + std::to_string(out.begin) + ", " +
                      std::to_string(out.end) + "] but the data section has " + std::to_string(data_size) +
                      " bytes (truncated?)");
  std::size_t dtype_size = 0;
  try {
    dtype_size = safetensors_dtype_size(out.tensor.dtype);
  } catch (const PluginError& e) {
    throw PluginError(where + ": " + e.what());
  }
  const std::uint64_t expected = checked_byte_count(out.tensor.shape, dtype_size, where);
  if (out.end - out.begin != expected)
    throw PluginError(where + " has " + std::to_string(out.end - out.begin) + " bytes but its shape " +
                      show_shape(out.tensor.shape) + " of " + out.tensor.dtype + " needs " + std::to_string(expected));
  return out;
}

// Two tensors sharing bytes is a corrupt header: writing one would change the other.
inline void check_no_overlap(std::vector<TensorEntry>& entries, const std::string& file) {
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.begin < b.begin; });
  for (std::size_t i = 1; i < entries.size(); ++i)
    if (entries[i].begin < entries[i - 1].end)
      throw PluginError(file + ": tensors '" + entries[i - 1].name + "' and '" + entries[i].name +
                        "' overlap in the data section");
}

inline std::uint64_t read_header_size(std::istream& in, std::uint64_t file_size, const std::string& file) {
  if (file_size < 8) throw PluginError(file + ": not a safetensors file (" + std::to_string(file_size) + " bytes)");
  unsigned char size_bytes[8] = {};
  in.read(reinterpret_cast<char*>(size_bytes), 8);
  if (!in) throw PluginError(file + ": cannot read the header size: " + std::strerror(errno));
  std::uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = header_size << 8 | size_bytes[i];
  if (header_size > file_size - 8)
    throw PluginError(file + ": not a safetensors file (header size " + std::to_string(header_size) +
                      " but the file has " + std::to_string(file_size) + " bytes)");
  if (header_size > kMaxHeaderBytes)
    throw PluginError(file + ": safetensors header of " + std::to_string(header_size) + " bytes is over the " +
                      std::to_string(kMaxHeaderBytes) + "-byte limit (corrupt?)");
  return header_size;
}

}  // namespace safetensors_detail

// Reads a whole file, checking every header entry against the file before
// trusting it: a truncated or corrupted file is refused with the tensor and
// the reason, never read past.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::filesystem::path& path) : path_(path) {
    namespace detail = safetensors_detail;
    const std::string file = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw PluginError("cannot read " + file + ": " + std::strerror(errno));
    std::error_code error;
    const std::uint64_t file_size = std::filesystem::file_size(path, error);
    if (error) throw PluginError("cannot read " + file + ": " + error.message());
    const std::uint64_t header_size = detail::read_header_size(in, file_size, file);
    std::string text(header_size, '\0');
    in.read(text.data(), static_cast<std::streamsize>(header_size));
    if (!in) throw PluginError(file + ": cannot read the header (truncated?)");
    auto header = nlohmann::json::parse(text, nullptr, false);
    if (header.is_discarded() || !header.is_object()) throw PluginError(file + ": safetensors header is not a JSON object");
    std::vector<detail::TensorEntry> entries;
    for (auto& [name, entry] : header.items()) {
      if (name == "__metadata__") read_metadata(entry);
      else entries.push_back(detail::parse_tensor_entry(name, entry, file_size - 8 - header_size, file));
    }
    detail::check_no_overlap(entries, file);
    for (auto& entry : entries) {
      entry.tensor.bytes.resize(entry.end - entry.begin);
      in.seekg(static_cast<std::streamoff>(8 + header_size + entry.begin));
      in.read(entry.tensor.bytes.data(), static_cast<std::streamsize>(entry.tensor.bytes.size()));
      if (!in) throw PluginError(file + ": cannot read tensor '" + entry.name + "' (truncated?)");
      tensors_[entry.name] = std::move(entry.tensor);
    }
  }

  bool has(const std::string& name) const { return tensors_.count(name) != 0; }
  // The named tensor, checked against the shape the caller expects, in any
  // dtype: look at .dtype before reading .bytes, or use the typed get below.
  const SafetensorsTensor& get(const std::string& name, const std::vector<std::int64_t>& shape) const {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) throw PluginError(path_.string() + ": no tensor '" + name + "'");
    if (it->second.shape != shape)
      throw PluginError(path_.string() + ": tensor '" + name + "' has shape " +
                        safetensors_detail::show_shape(it->second.shape) + ", expected " +
                        safetensors_detail::show_shape(shape));
    return it->second;
  }
  // The named tensor in one of `dtypes`: what a caller that hands .bytes to
  // from_blob needs, since F16 bytes of the right shape are half a float buffer.
  const SafetensorsTensor& get(const std::string& name, const std::vector<std::int64_t>& shape,
                               std::initializer_list<std::string_view> dtypes) const {
    const auto& tensor = get(name, shape);
    if (std::find(dtypes.begin(), dtypes.end(), tensor.dtype) == dtypes.end()) {
      std::string expected;
      for (auto d : dtypes) expected += (expected.empty() ? "" : " or ") + std::string(d);
      throw PluginError(path_.string() + ": tensor '" + name + "' is " + tensor.dtype + ", expected " + expected);
    }
    return tensor;
  }
  const SafetensorsTensor& get_f32(const std::string& name, const std::vector<std::int64_t>& shape) const {
    return get(name, shape, {"F32"});
  }
  const std::map<std::string, SafetensorsTensor>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  // String-to-string by the format; other values are skipped, as before.
  void read_metadata(const nlohmann::json& entry) {
    if (!entry.is_object()) throw PluginError(path_.string() + ": __metadata__ is not a JSON object");
    for (auto& [k, v] : entry.items())
      if (v.is_string()) metadata_[k] = v.get<std::string>();
  }

  std::filesystem::path path_;
  std::map<std::string, SafetensorsTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace dictlab
