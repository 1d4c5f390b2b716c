"""The toy transformer's training step in plain PyTorch (Debian python3-torch),
op for op as plugins/toy_transformer does it: the baseline for
toy_transformer_bench. Prints one JSON line."""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

V, T, D, M, H, B = 4096, 128, 128, 512, 4, 32


def parameters():
    def normal(*shape):
        return (torch.randn(*shape) * 0.02).requires_grad_()

    p = {
        "W_E": normal(V, D), "W_pos": normal(T, D),
        "ln1_w": torch.ones(D, requires_grad=True), "ln1_b": torch.zeros(D, requires_grad=True),
        "W_QKV": normal(D, 3 * D), "b_QKV": torch.zeros(3 * D, requires_grad=True),
        "W_O": normal(D, D), "b_O": torch.zeros(D, requires_grad=True),
        "ln2_w": torch.ones(D, requires_grad=True), "ln2_b": torch.zeros(D, requires_grad=True),
        "W_in": normal(D, M), "b_in": torch.zeros(M, requires_grad=True),
        "W_out": normal(M, D), "b_out": torch.zeros(D, requires_grad=True),
        "lnf_w": torch.ones(D, requires_grad=True), "lnf_b": torch.zeros(D, requires_grad=True),
        "W_U": normal(D, V), "b_U": torch.zeros(V, requires_grad=True),
    }
    return p


def loss_of(p, tokens):
    inputs, targets = tokens[:, :-1], tokens[:, 1:]
    b, l = inputs.shape
    x = p["W_E"].index_select(0, inputs.reshape(-1)).view(b, l, D) + p["W_pos"][:l]
    h = F.layer_norm(x, (D,), p["ln1_w"], p["ln1_b"], 1e-5)
    qkv = torch.addmm(p["b_QKV"], h.view(b * l, D), p["W_QKV"]).view(b, l, 3, H, D // H).permute(2, 0, 3, 1, 4)
    scores = torch.matmul(qkv[0], qkv[1].transpose(-2, -1)) / math.sqrt(D // H)
    future = torch.ones(l, l, dtype=torch.bool).triu(1)
    mixed = torch.matmul(torch.softmax(scores.masked_fill(future, float("-inf")), -1), qkv[2])
    x = x + torch.addmm(p["b_O"], mixed.transpose(1, 2).reshape(b * l, D), p["W_O"]).view(b, l, D)
    h = F.layer_norm(x, (D,), p["ln2_w"], p["ln2_b"], 1e-5)
    act = torch.relu(torch.addmm(p["b_in"], h.view(b * l, D), p["W_in"]))
    x = x + torch.addmm(p["b_out"], act, p["W_out"]).view(b, l, D)
    h = F.layer_norm(x, (D,), p["lnf_w"], p["lnf_b"], 1e-5)
    logits = torch.addmm(p["b_U"], h.view(b * l, D), p["W_U"])
    return F.cross_entropy(logits, targets.reshape(-1))


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    threads = os.cpu_count()
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    p = parameters()
    decayed = [t for t in p.values() if t.dim() >= 2]
    kept = [t for t in p.values() if t.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decayed, "weight_decay": 0.05}, {"params": kept, "weight_decay": 0.0}],
                                  lr=1e-3, betas=(0.9, 0.95))
    batch = torch.randint(V, (B, T + 1))

    def step():
        optimizer.zero_grad()
        loss = loss_of(p, batch)
        value = loss.item()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(p.values()), 1.0)
        optimizer.step()
        return value

    for _ in range(5):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        value = step()
    seconds = time.perf_counter() - start
    print(json.dumps({"implementation": f"PyTorch {torch.__version__} (Python)", "threads": threads, "steps": steps,
                      "tokens_per_second": round(steps * B * T / seconds), "final_loss": round(value, 4)}))


if __name__ == "__main__":
    main()
