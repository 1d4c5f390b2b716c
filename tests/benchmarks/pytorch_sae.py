"""The same SAE training step in plain PyTorch (what SAELens does per step):
the baseline for sae_bench. Prints JSON lines."""
import json
import os
import sys
import time

import torch

D_IN, D_SAE, BATCH = 512, 4096, 4096


def median_seconds(repeats, work):
    work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(0)
    x = torch.relu(torch.randn(BATCH, D_IN) - 0.5)
    for architecture in ("standard", "topk"):
        w_dec = torch.empty(D_SAE, D_IN).uniform_(-0.1, 0.1)
        w_dec /= w_dec.norm(dim=1, keepdim=True)
        w_dec.requires_grad_()
        w_enc = w_dec.detach().t().clone().requires_grad_()
        b_enc = torch.full((D_SAE,), -1.2, requires_grad=True)
        b_dec = torch.zeros(D_IN, requires_grad=True)
        optimizer = torch.optim.Adam([w_enc, b_enc, w_dec, b_dec], lr=4e-4)
        state = {}

        def step():
            optimizer.zero_grad()
            pre = torch.addmm(b_enc, x - b_dec, w_enc)
            if architecture == "topk":
                values, indices = pre.topk(32, dim=1)
                features = torch.zeros_like(pre).scatter(1, indices, torch.relu(values))
            else:
                features = torch.relu(pre)
            reconstruction = torch.addmm(b_dec, features, w_dec)
            loss = (reconstruction - x).pow(2).mean()
            if architecture == "standard":
                loss = loss + 5e-3 * features.sum(1).mean()
            loss.backward()
            with torch.no_grad():
                w_dec.grad -= (w_dec.grad * w_dec).sum(1, keepdim=True) * w_dec
            optimizer.step()
            with torch.no_grad():
                w_dec.div_(w_dec.norm(dim=1, keepdim=True).clamp_min(1e-8))
            state["l0"] = (features > 0).sum(1).float().mean().item()

        seconds = median_seconds(repeats, step)
        name = "TopK k=32" if architecture == "topk" else "L1"
        print(json.dumps({"what": f"PyTorch {torch.__version__} (Python) step, {name}", "l0": round(state["l0"], 1),
                          "activations_per_second": round(BATCH / seconds)}))


if __name__ == "__main__":
    main()
