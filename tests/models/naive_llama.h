#pragma once

// A second, deliberately plain llama forward pass for the tests: loops over
// doubles on the tensors as the GGUF file names and shapes them, sharing no
// code with plugins/gguf_model.

#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

namespace naive_llama {

struct Shape {
  int layers, d_model, d_mlp, heads, kv_heads, d_head, vocab, rope_dims;
  double rope_base, eps;
  bool rotate_halves;  // Hugging Face's rotate_half instead of llama.cpp's adjacent pairs
};

using Vec = std::vector<double>;

class Model {
 public:
  Model(Shape shape, const std::map<std::string, torch::Tensor>& tensors) : s_(shape), tensors_(tensors) {}

  // Logits [position][vocab] of one sequence.
  std::vector<Vec> logits(const std::vector<long>& tokens) const {
    std::vector<Vec> stream;
    for (long token : tokens) stream.push_back(row("token_embd.weight", token));
    for (int layer = 0; layer < s_.layers; ++layer) block(layer, stream);
    const std::string unembed = tensors_.count("output.weight") ? "output.weight" : "token_embd.weight";
    std::vector<Vec> out;
    for (const Vec& h : stream) out.push_back(multiply(unembed, norm(h, "output_norm.weight")));
    return out;
  }

 private:
  Vec row(const std::string& name, long index) const {
    const torch::Tensor t = tensors_.at(name).contiguous();
    Vec out(t.size(1));
    for (long j = 0; j < t.size(1); ++j) out[j] = t[index][j].item<double>();
    return out;
  }
  // W x for W [out, in].
  Vec multiply(const std::string& name, const Vec& x) const {
    const torch::Tensor t = tensors_.at(name).to(torch::kDouble).contiguous();
    const double* w = t.data_ptr<double>();
    Vec out(t.size(0), 0.0);
    for (long i = 0; i < t.size(0); ++i)
      for (long j = 0; j < t.size(1); ++j) out[i] += w[i * t.size(1) + j] * x[j];
    return out;
  }
  Vec norm(const Vec& x, const std::string& weight) const {
    double square = 0;
    for (double v : x) square += v * v;
    const double scale = 1.0 / std::sqrt(square / x.size() + s_.eps);
    const torch::Tensor w = tensors_.at(weight).to(torch::kDouble).contiguous();
    Vec out(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) out[i] = x[i] * scale * w[i].item<double>();
    return out;
  }
  void rope(Vec& x, int heads, long position) const {
    for (int h = 0; h < heads; ++h)
      for (int i = 0; i < s_.rope_dims / 2; ++i) {
        const double angle = position * std::pow(s_.rope_base, -2.0 * i / s_.rope_dims);
        const int a = h * s_.d_head + (s_.rotate_halves ? i : 2 * i);
        const int b = h * s_.d_head + (s_.rotate_halves ? i + s_.rope_dims / 2 : 2 * i + 1);
        const double x0 = x[a], x1 = x[b];
        x[a] = x0 * std::cos(angle) - x1 * std::sin(angle);
        x[b] = x0 * std::sin(angle) + x1 * std::cos(angle);
      }
  }
  void block(int layer, std::vector<Vec>& stream) const {
    const std::string p = "blk." + std::to_string(layer) + ".";
    std::vector<Vec> q, k, v;
    for (std::size_t t = 0; t < stream.size(); ++t) {
      const Vec n = norm(stream[t], p + "attn_norm.weight");
      q.push_back(multiply(p + "attn_q.weight", n));
      k.push_back(multiply(p + "attn_k.weight", n));
      v.push_back(multiply(p + "attn_v.weight", n));
      rope(q.back(), s_.heads, t);
      rope(k.back(), s_.kv_heads, t);
    }
    for (std::size_t t = 0; t < stream.size(); ++t) {
      Vec mixed(s_.heads * s_.d_head, 0.0);
      for (int h = 0; h < s_.heads; ++h) {
        const int kv = h / (s_.heads / s_.kv_heads);
        Vec score(t + 1);
        double top = -1e300, total = 0;
        for (std::size_t j = 0; j <= t; ++j) {
          score[j] = 0;
          for (int d = 0; d < s_.d_head; ++d) score[j] += q[t][h * s_.d_head + d] * k[j][kv * s_.d_head + d];
          score[j] /= std::sqrt(static_cast<double>(s_.d_head));
          top = std::max(top, score[j]);
        }
        for (double& s : score) total += (s = std::exp(s - top));
        for (std::size_t j = 0; j <= t; ++j)
          for (int d = 0; d < s_.d_head; ++d) mixed[h * s_.d_head + d] += score[j] / total * v[j][kv * s_.d_head + d];
      }
      const Vec attention = multiply(p + "attn_output.weight", mixed);
      for (int d = 0; d < s_.d_model; ++d) stream[t][d] += attention[d];
      const Vec n = norm(stream[t], p + "ffn_norm.weight");
      const Vec gate = multiply(p + "ffn_gate.weight", n), up = multiply(p + "ffn_up.weight", n);
      Vec product(s_.d_mlp);
      for (int i = 0; i < s_.d_mlp; ++i) product[i] = gate[i] / (1 + std::exp(-gate[i])) * up[i];
      const Vec mlp = multiply(p + "ffn_down.weight", product);
      for (int d = 0; d < s_.d_model; ++d) stream[t][d] += mlp[d];
    }
  }

  Shape s_;
  std::map<std::string, torch::Tensor> tensors_;
};

}  // namespace naive_llama
