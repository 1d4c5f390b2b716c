#include "gguf_quants.h"

#include <bit>
#include <cstring>
#include <string>

#include <dictlab/errors.h>

// Built with -ffp-contract=off (CMakeLists.txt): gguf-py rounds d*q before
// adding m, and a fused multiply-add would differ in the last bit.

namespace gguf_model {
namespace {

constexpr int kQK = 32;    // elements per block of the Q4_0..Q8_0 family
constexpr int kQK_K = 256; // elements per super-block of the K-quants

std::uint16_t load_u16(const std::byte* p) {
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

float load_half(const std::byte* p) { return fp16_to_float(load_u16(p)); }

const std::uint8_t* bytes(const std::byte* p) { return reinterpret_cast<const std::uint8_t*>(p); }

// ---- 32-element blocks ----

void block_q8_0(const std::byte* block, float* out) {
  const float d = load_half(block);
  const auto* qs = reinterpret_cast<const std::int8_t*>(block + 2);
  for (int i = 0; i < kQK; ++i) out[i] = static_cast<float>(qs[i]) * d;
}

void block_q4_0(const std::byte* block, float* out) {
  const float d = load_half(block);
  const std::uint8_t* qs = bytes(block + 2);
  for (int i = 0; i < kQK / 2; ++i) {
    out[i] = d * static_cast<float>((qs[i] & 0x0F) - 8);
    out[i + kQK / 2] = d * static_cast<float>((qs[i] >> 4) - 8);
  }
}

void block_q4_1(const std::byte* block, float* out) {
  const float d = load_half(block);
  const float m = load_half(block + 2);
  const std::uint8_t* qs = bytes(block + 4);
  for (int i = 0; i < kQK / 2; ++i) {
    out[i] = d * static_cast<float>(qs[i] & 0x0F) + m;
    out[i + kQK / 2] = d * static_cast<float>(qs[i] >> 4) + m;
  }
}

// Element i's 5th bit is bit i of the little-endian uint32 qh; the low 4 bits
// of elements 0..15 are the low nibbles of qs, of 16..31 the high ones.
void q5_values(const std::uint8_t* qs, std::uint32_t qh, int out[kQK]) {
  for (int i = 0; i < kQK / 2; ++i) {
    out[i] = (qs[i] & 0x0F) | static_cast<int>(((qh >> i) & 1U) << 4);
    out[i + kQK / 2] = (qs[i] >> 4) | static_cast<int>(((qh >> (i + kQK / 2)) & 1U) << 4);
  }
}

void block_q5_0(const std::byte* block, float* out) {
  const float d = load_half(block);
  std::uint32_t qh;
  std::memcpy(&qh, block + 2, sizeof qh);
  int q[kQK];
  q5_values(bytes(block + 6), qh, q);
  for (int i = 0; i < kQK; ++i) out[i] = d * static_cast<float>(q[i] - 16);
}

void block_q5_1(const std::byte* block, float* out) {
  const float d = load_half(block);
  const float m = load_half(block + 2);
  std::uint32_t qh;
  std::memcpy(&qh, block + 4, sizeof qh);
  int q[kQK];
  q5_values(bytes(block + 8), qh, q);
  for (int i = 0; i < kQK; ++i) out[i] = d * static_cast<float>(q[i]) + m;
}

// ---- 256-element super-blocks ----

void block_q2_k(const std::byte* block, float* out) {
  const std::uint8_t* scales = bytes(block);
  const std::uint8_t* qs = bytes(block + 16);
  const float d = load_half(block + 80);
  const float dmin = load_half(block + 82);
  for (int half = 0; half < 2; ++half) {
    for (int shift = 0; shift < 4; ++shift) {
      const int base = half * 128 + shift * 32;
      for (int sub = 0; sub < 2; ++sub) {  // two 16-element groups per 32, each its own scale
        const int group = (base + sub * 16) / 16;
        const float dl = d * static_cast<float>(scales[group] & 0x0F);
        const float ml = dmin * static_cast<float>(scales[group] >> 4);
        for (int l = sub * 16; l < sub * 16 + 16; ++l)
          out[base + l] = dl * static_cast<float>((qs[half * 32 + l] >> (2 * shift)) & 3) - ml;
      }
    }
  }
}

// Q3_K's sixteen 6-bit scales: low 4 bits in bytes 0..7 (two per byte), high
// 2 bits in bytes 8..11 (four per byte); stored offset by 32.
void q3_k_scales(const std::uint8_t* packed, int out[16]) {
  for (int k = 0; k < 16; ++k) {
    const int low = k < 8 ? (packed[k] & 0x0F) : (packed[k - 8] >> 4);
    const int high = (packed[8 + k % 4] >> (2 * (k / 4))) & 0x03;
    out[k] = (low | (high << 4)) - 32;
  }
}

void block_q3_k(const std::byte* block, float* out) {
  const std::uint8_t* hmask = bytes(block);
  const std::uint8_t* qs = bytes(block + 32);
  int scales[16];
  q3_k_scales(bytes(block + 96), scales);
  const float d = load_half(block + 108);
  for (int chunk = 0; chunk < 8; ++chunk) {  // 32 elements: one 2-bit plane, one hmask bit
    const int half = chunk / 4;
    const int shift = 2 * (chunk % 4);
    for (int sub = 0; sub < 2; ++sub) {
      const float dl = d * static_cast<float>(scales[chunk * 2 + sub]);
      for (int l = sub * 16; l < sub * 16 + 16; ++l) {
        const int low = (qs[half * 32 + l] >> shift) & 3;
        const int missing_high = ((hmask[l] >> chunk) & 1) ^ 1;  // a set bit means no -4 offset
        out[chunk * 32 + l] = dl * static_cast<float>(low - (missing_high << 2));
      }
    }
  }
}

// Q4_K/Q5_K's eight 6-bit scales and mins packed in 12 bytes.
void k_scale_min(const std::uint8_t* p, int scale[8], int min[8]) {
  for (int j = 0; j < 4; ++j) {
    scale[j] = p[j] & 0x3F;
    min[j] = p[j + 4] & 0x3F;
    scale[j + 4] = (p[j + 8] & 0x0F) | ((p[j] >> 2) & 0x30);
    min[j + 4] = (p[j + 8] >> 4) | ((p[j + 4] >> 2) & 0x30);
  }
}

void block_q4_k(const std::byte* block, float* out) {
  const float d = load_half(block);
  const float dmin = load_half(block + 2);
  int scale[8], min[8];
  k_scale_min(bytes(block + 4), scale, min);
  const std::uint8_t* qs = bytes(block + 16);
  for (int j = 0; j < 8; ++j) {
    const float dl = d * static_cast<float>(scale[j]);
    const float ml = dmin * static_cast<float>(min[j]);
    const std::uint8_t* q = qs + (j / 2) * 32;
    const int shift = 4 * (j % 2);
    for (int l = 0; l < 32; ++l) out[j * 32 + l] = dl * static_cast<float>((q[l] >> shift) & 0x0F) - ml;
  }
}

void block_q5_k(const std::byte* block, float* out) {
  const float d = load_half(block);
  const float dmin = load_half(block + 2);
  int scale[8], min[8];
  k_scale_min(bytes(block + 4), scale, min);
  const std::uint8_t* qh = bytes(block + 16);
  const std::uint8_t* qs = bytes(block + 48);
  for (int j = 0; j < 8; ++j) {
    const float dl = d * static_cast<float>(scale[j]);
    const float ml = dmin * static_cast<float>(min[j]);
    const std::uint8_t* q = qs + (j / 2) * 32;
    const int shift = 4 * (j % 2);
    for (int l = 0; l < 32; ++l) {
      const int value = ((q[l] >> shift) & 0x0F) | (((qh[l] >> j) & 1) << 4);
      out[j * 32 + l] = dl * static_cast<float>(value) - ml;
    }
  }
}

void block_q6_k(const std::byte* block, float* out) {
  const std::uint8_t* ql = bytes(block);
  const std::uint8_t* qh = bytes(block + 128);
  const auto* scales = reinterpret_cast<const std::int8_t*>(block + 192);
  const float d = load_half(block + 208);
  for (int chunk = 0; chunk < 8; ++chunk) {  // 32 elements: low nibbles from ql, 2 high bits from qh
    const int half = chunk / 4;
    const int within = chunk % 4;
    const std::uint8_t* low = ql + half * 64 + (within % 2) * 32;
    const int low_shift = 4 * (within / 2);
    const std::uint8_t* high = qh + half * 32;
    const int high_shift = 2 * within;
    for (int sub = 0; sub < 2; ++sub) {
      const float dl = d * static_cast<float>(scales[chunk * 2 + sub]);
      for (int l = sub * 16; l < sub * 16 + 16; ++l) {
        const int value = ((low[l] >> low_shift) & 0x0F) | (((high[l] >> high_shift) & 3) << 4);
        out[chunk * 32 + l] = dl * static_cast<float>(value - 32);
      }
    }
  }
}

// ---- plain types ----

void plain_f32(const std::byte* data, std::int64_t n, float* out) {
  std::memcpy(out, data, static_cast<std::size_t>(n) * sizeof(float));
}

void plain_f16(const std::byte* data, std::int64_t n, float* out) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = fp16_to_float(load_u16(data + 2 * i));
}

void plain_bf16(const std::byte* data, std::int64_t n, float* out) {
  for (std::int64_t i = 0; i < n; ++i)
    out[i] = std::bit_cast<float>(static_cast<std::uint32_t>(load_u16(data + 2 * i)) << 16);
}

using BlockDecoder = void (*)(const std::byte*, float*);

BlockDecoder block_decoder(GgmlType type) {
  switch (type) {
    case GgmlType::Q4_0: return block_q4_0;
    case GgmlType::Q4_1: return block_q4_1;
    case GgmlType::Q5_0: return block_q5_0;
    case GgmlType::Q5_1: return block_q5_1;
    case GgmlType::Q8_0: return block_q8_0;
    case GgmlType::Q2_K: return block_q2_k;
    case GgmlType::Q3_K: return block_q3_k;
    case GgmlType::Q4_K: return block_q4_k;
    case GgmlType::Q5_K: return block_q5_k;
    case GgmlType::Q6_K: return block_q6_k;
    default: return nullptr;
  }
}

}  // namespace

bool can_dequantize(GgmlType type) {
  return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16 || block_decoder(type) != nullptr;
}

// ggml's fp32_from_fp16 (after Maratea's FP16 library): exact for all 65536
// inputs, branch-free so the plain F16 loop vectorises.
float fp16_to_float(std::uint16_t bits) {
  const std::uint32_t w = static_cast<std::uint32_t>(bits) << 16;
  const std::uint32_t sign = w & 0x80000000U;
  const std::uint32_t two_w = w + w;
  const float normalized = std::bit_cast<float>((two_w >> 4) + (0xE0U << 23)) * 0x1.0p-112f;
  const float denormalized = std::bit_cast<float>((two_w >> 17) | (0x7EU << 23)) - 0.5f;
  const std::uint32_t magnitude =
      two_w < (1U << 27) ? std::bit_cast<std::uint32_t>(denormalized) : std::bit_cast<std::uint32_t>(normalized);
  return std::bit_cast<float>(sign | magnitude);
}

void dequantize(GgmlType type, const std::byte* data, std::int64_t n, float* out) {
  static_cast<void>(bytes_for(type, n));  // throws for unknown types and partial blocks
  if (n == 0) return;                      // an empty tensor's buffers may be null
  switch (type) {
    case GgmlType::F32: return plain_f32(data, n, out);
    case GgmlType::F16: return plain_f16(data, n, out);
    case GgmlType::BF16: return plain_bf16(data, n, out);
    default: break;
  }
  const BlockDecoder decode = block_decoder(type);
  if (!decode) throw dictlab::PluginError("dequantizing ggml " + type_name(type) + " is not supported");
  const auto layout = *block_layout(type);
  const std::int64_t blocks = n / layout.block_size;
  for (std::int64_t b = 0; b < blocks; ++b) decode(data + b * layout.type_size, out + b * layout.block_size);
}

void dequantize_tensor_into(const GgufFile& file, const GgufTensorInfo& info, std::span<float> out) {
  if (!can_dequantize(info.type)) {
    const std::string id = std::to_string(static_cast<std::uint32_t>(info.type));
    const std::string type =
        block_layout(info.type) ? type_name(info.type) + " (" + id + ")" : id + " (unknown to this build)";
    throw dictlab::PluginError(file.path().string() + ": tensor '" + info.name + "' has ggml type " + type +
                               ", which cannot be dequantized; dequantizable types: F32, F16, BF16, Q4_0, Q4_1, "
                               "Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K");
  }
  if (out.size() != static_cast<std::size_t>(info.n_elements))
    throw dictlab::PluginError(file.path().string() + ": tensor '" + info.name + "' has " +
                               std::to_string(info.n_elements) + " elements, the buffer for it " +
                               std::to_string(out.size()));
  const std::span<const std::byte> bytes = file.data(info);
  dequantize(info.type, bytes.data(), info.n_elements, out.data());
}

std::vector<float> dequantize_tensor(const GgufFile& file, const GgufTensorInfo& info) {
  std::vector<float> out;
  if (can_dequantize(info.type)) out.resize(static_cast<std::size_t>(info.n_elements));
  dequantize_tensor_into(file, info, out);
  return out;
}

}  // namespace gguf_model
