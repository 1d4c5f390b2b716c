#include "gguf_vocab_variant.h"

#include <variant>

#include "gguf_test_bytes.h"

namespace gguf_test {
namespace {

using gguf_model::GgufValue;
using gguf_model::GgufValueType;

void put_scalar(GgufBytes& out, GgufValueType type, const GgufValue& v) {
  const auto u = [&] { return std::get<std::uint64_t>(v.value); };
  const auto i = [&] { return std::get<std::int64_t>(v.value); };
  const auto f = [&] { return std::get<double>(v.value); };
  switch (type) {
    case GgufValueType::UINT8: out.put(static_cast<std::uint8_t>(u())); break;
    case GgufValueType::INT8: out.put(static_cast<std::int8_t>(i())); break;
    case GgufValueType::UINT16: out.put(static_cast<std::uint16_t>(u())); break;
    case GgufValueType::INT16: out.put(static_cast<std::int16_t>(i())); break;
    case GgufValueType::UINT32: out.put(static_cast<std::uint32_t>(u())); break;
    case GgufValueType::INT32: out.put(static_cast<std::int32_t>(i())); break;
    case GgufValueType::FLOAT32: out.put(static_cast<float>(f())); break;
    case GgufValueType::BOOL: out.put(static_cast<std::uint8_t>(std::get<bool>(v.value))); break;
    case GgufValueType::STRING: out.str(std::get<std::string>(v.value)); break;
    case GgufValueType::UINT64: out.put(u()); break;
    case GgufValueType::INT64: out.put(i()); break;
    case GgufValueType::FLOAT64: out.put(f()); break;
    case GgufValueType::ARRAY: {
      const auto& items = std::get<std::vector<GgufValue>>(v.value);
      out.u32(static_cast<std::uint32_t>(v.element_type)).u64(items.size());
      for (const GgufValue& item : items) put_scalar(out, item.type, item);
      break;
    }
  }
}

}  // namespace

void write_vocab_variant(const gguf_model::GgufFile& file, const std::map<std::string, GgufValue>& changes,
                         const std::filesystem::path& out) {
  std::map<std::string, GgufValue> added = changes;
  for (const auto& entry : file.metadata()) added.erase(entry.key);
  GgufBytes bytes;
  bytes.header(0, file.metadata().size() + added.size());
  const auto put_entry = [&](const std::string& key, const GgufValue& value) {
    bytes.str(key).u32(static_cast<std::uint32_t>(value.type));
    put_scalar(bytes, value.type, value);
  };
  for (const auto& entry : file.metadata()) {
    const auto changed = changes.find(entry.key);
    put_entry(entry.key, changed == changes.end() ? entry.value : changed->second);
  }
  for (const auto& [key, value] : added) put_entry(key, value);
  bytes.pad_to(file.alignment());
  bytes.write(out);
}

GgufValue string_value(std::string s) {
  GgufValue v;
  v.type = GgufValueType::STRING;
  v.value = std::move(s);
  return v;
}

GgufValue bool_value(bool b) {
  GgufValue v;
  v.type = GgufValueType::BOOL;
  v.value = b;
  return v;
}

}  // namespace gguf_test
