"""The same SAE training steps in plain PyTorch (what SAELens does per step):
the baseline for sae_bench, one row per architecture it prints. Prints JSON
lines."""
import argparse
import json
import os
import time

import torch

D_IN, D_SAE, BATCH, K = 512, 4096, 4096, 32
BANDWIDTH = 0.001


def median_seconds(repeats, work, synchronize=lambda: None):
    work()
    synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def topk_codes(pre):
    values, indices = pre.topk(K, dim=1)
    return torch.zeros_like(pre).scatter(1, indices, torch.relu(values))


def batch_topk_codes(pre):
    flat = torch.relu(pre).flatten()
    values, indices = flat.topk(K * pre.shape[0])
    return torch.zeros_like(flat).scatter(0, indices, values).view_as(pre)


class JumpReLU(torch.autograd.Function):
    """z·H(z − θ) with SAELens' rectangle-kernel pseudo-derivative for θ."""

    @staticmethod
    def forward(ctx, pre, threshold):
        ctx.save_for_backward(pre, threshold)
        return pre * (pre > threshold)

    @staticmethod
    def backward(ctx, grad):
        pre, threshold = ctx.saved_tensors
        near = ((pre - threshold).abs() < BANDWIDTH / 2).to(pre.dtype)
        return grad * (pre > threshold), (-(threshold / BANDWIDTH) * near * grad).sum(0)


class Step(torch.autograd.Function):
    @staticmethod
    def forward(ctx, pre, threshold):
        ctx.save_for_backward(pre, threshold)
        return (pre > threshold).to(pre.dtype)

    @staticmethod
    def backward(ctx, grad):
        pre, threshold = ctx.saved_tensors
        near = ((pre - threshold).abs() < BANDWIDTH / 2).to(pre.dtype)
        return None, (-(1.0 / BANDWIDTH) * near * grad).sum(0)


def mse(reconstruction, target):
    return (reconstruction - target).pow(2).mean()


def matryoshka_loss(features, w_dec, b_dec, target):
    """Σ over nested prefixes (d_sae/16 … d_sae) of each prefix's MSE."""
    loss, reconstruction, start = 0, b_dec, 0
    for end in (D_SAE // 16, D_SAE // 8, D_SAE // 4, D_SAE // 2, D_SAE):
        reconstruction = reconstruction + features[:, start:end] @ w_dec[start:end]
        loss, start = loss + mse(reconstruction, target), end
    return loss


# name → (encoder input is x − b_dec, codes from pre-activations, loss)
ARCHITECTURES = {
    "L1": (True, torch.relu, lambda f, w, b, y: mse(torch.addmm(b, f, w), y) + 5e-3 * f.sum(1).mean()),
    "TopK k=32": (True, topk_codes, lambda f, w, b, y: mse(torch.addmm(b, f, w), y)),
    "BatchTopK k=32": (True, batch_topk_codes, lambda f, w, b, y: mse(torch.addmm(b, f, w), y)),
    "Matryoshka k=32": (True, batch_topk_codes, matryoshka_loss),
    "JumpReLU target_l0=32": (True, None, None),
    "Transcoder k=32": (False, topk_codes, lambda f, w, b, y: mse(torch.addmm(b, f, w), y)),
}


def make_step(name, x, target):
    centred, codes_of, loss_of = ARCHITECTURES[name]
    w_dec = torch.empty(D_SAE, D_IN).uniform_(-0.1, 0.1)
    w_dec /= w_dec.norm(dim=1, keepdim=True)
    w_dec.requires_grad_()
    w_enc = w_dec.detach().t().clone().requires_grad_()
    b_enc = torch.full((D_SAE,), -1.1 if centred else 0.0, requires_grad=True)
    b_dec = torch.zeros(D_IN, requires_grad=True)
    # JumpReLU's thresholds start where this batch has L0 32, as sae_jumprelu's do.
    threshold = None
    if codes_of is None:
        with torch.no_grad():
            pre = torch.addmm(b_enc, x - b_dec if centred else x, w_enc).flatten()
            start = torch.topk(pre, 32 * x.shape[0]).values[-1].item()
        threshold = torch.full((D_SAE,), start, requires_grad=True)
    parameters = [w_enc, b_enc, w_dec, b_dec] + ([threshold] if codes_of is None else [])
    optimizer = torch.optim.Adam(parameters, lr=1e-7)  # as sae_bench: every row timed at its starting L0
    state = {}

    def step():
        optimizer.zero_grad()
        pre = torch.addmm(b_enc, x - b_dec if centred else x, w_enc)
        if codes_of is None:  # JumpReLU with the target-L0 penalty
            features = JumpReLU.apply(pre, threshold)
            l0 = Step.apply(pre, threshold).sum(1).mean()
            loss = mse(torch.addmm(b_dec, features, w_dec), target) + (l0 / 32 - 1) ** 2
        else:
            features = codes_of(pre)
            loss = loss_of(features, w_dec, b_dec, target)
        loss.backward()
        with torch.no_grad():
            w_dec.grad -= (w_dec.grad * w_dec).sum(1, keepdim=True) * w_dec
        optimizer.step()
        with torch.no_grad():
            w_dec.div_(w_dec.norm(dim=1, keepdim=True).clamp_min(1e-8))
            if codes_of is None:
                threshold.clamp_(min=1e-6)
        state["l0"] = (features > 0).sum(1).float().mean().item()

    return step, state


def main():
    global D_SAE
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("repeats", nargs="?", type=int, default=9)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N (PyTorch 2's default device)")
    parser.add_argument("--features", type=int, nargs="*", default=[D_SAE], help="dictionary sizes, one row each")
    parser.add_argument("--only", help="one architecture row, e.g. 'TopK k=32'")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())
    if args.device != "cpu":
        torch.set_default_device(args.device)
    synchronize = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    for D_SAE in args.features:
        torch.manual_seed(0)
        x = torch.relu(torch.randn(BATCH, D_IN) - 0.5)
        # The transcoder's target, as sae_bench makes it: a fixed nonlinear function of x.
        mlp_out = torch.relu(x - 0.3) @ (torch.randn(D_IN, D_IN) * 0.05)
        for name in [args.only] if args.only else ARCHITECTURES:
            step, state = make_step(name, x, mlp_out if name.startswith("Transcoder") else x)
            seconds = median_seconds(args.repeats, step, synchronize)
            print(json.dumps({"what": f"PyTorch {torch.__version__} (Python) step on {args.device}, {name}",
                              "d_sae": D_SAE, "l0": round(state["l0"], 1),
                              "activations_per_second": round(BATCH / seconds)}), flush=True)


if __name__ == "__main__":
    main()
