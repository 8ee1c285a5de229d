"""The PyTorch twin of ddpm.UNet and of the two steps that `make bench` times.

The network follows ddpm/unet.go, unet_blocks.go, attention.go, groupnorm.go and timeembed.go layer
for layer (the same parameter counts: 71,033 for "mnist", 1,623,169 for "ch32"); the steps follow
ddpm/bench_test.go: a training step of Algorithm 1 at batch 128 (random t and ε, x_t, forward,
L_simple, backward, clipping to global norm 1, warm-up learning rate, Adam, EMA, the loss to the
host) and a denoising step of Algorithm 2 at batch 256.

usage: python bench/torch_unet.py --config mnist|ch32 --variant eager|channels_last|compile [--steps N]
prints one JSON line: images/s of each step, the first call's seconds, the parameter count.
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# name: (base channels, channel multipliers, residual blocks per level, attention resolutions, max groups)
CONFIGS = {
    "mnist": (8, (1, 2, 2), 1, (7,), 2),  # ddpm.MNISTSmallConfig()
    "ch32": (32, (1, 2, 2), 2, (7,), 8),  # benchConfigs() in ddpm/bench_test.go
}
IMAGE, CHANNELS, T = 28, 1, 1000


def group_norm(c, max_groups):
    """GroupNorm with the largest divisor of c that is at most max_groups (ddpm.groupsFor)."""
    groups = next((g for g in range(min(max_groups, c), 1, -1) if c % g == 0), 1)
    return nn.GroupNorm(groups, c, eps=1e-6)


def zero(module):
    nn.init.zeros_(module.weight)
    nn.init.zeros_(module.bias)
    return module


def timestep_embedding(t, dim):
    half = dim // 2
    scale = -math.log(10000) / (half - 1) if half > 1 else 0.0
    args = t.float()[:, None] * torch.exp(scale * torch.arange(half, dtype=torch.float32))[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb, groups):
        super().__init__()
        self.norm_0, self.conv_0 = group_norm(cin, groups), nn.Conv2d(cin, cout, 3, padding=1)
        self.temb_proj = nn.Linear(temb, cout)
        self.norm_1, self.conv_1 = group_norm(cout, groups), zero(nn.Conv2d(cout, cout, 3, padding=1))
        self.shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, temb):
        h = self.conv_0(F.silu(self.norm_0(x))) + self.temb_proj(F.silu(temb))[:, :, None, None]
        return self.shortcut(x) + self.conv_1(F.silu(self.norm_1(h)))


class Attention(nn.Module):
    def __init__(self, c, groups):
        super().__init__()
        self.norm = group_norm(c, groups)
        self.q, self.k, self.v = nn.Conv2d(c, c, 1), nn.Conv2d(c, c, 1), nn.Conv2d(c, c, 1)
        self.proj_out = zero(nn.Conv2d(c, c, 1))

    def forward(self, x):
        b, c, h, w = x.shape
        hn = self.norm(x)
        q, k, v = (m(hn).flatten(2) for m in (self.q, self.k, self.v))  # [b, c, hw]
        weights = torch.softmax(torch.bmm(q.transpose(1, 2), k) / math.sqrt(c), dim=-1)  # [b, hw, hw]
        out = torch.bmm(v, weights.transpose(1, 2)).view(b, c, h, w)
        return x + self.proj_out(out)


class UNet(nn.Module):
    def __init__(self, ch, mult, num_res, attn, groups):
        super().__init__()
        self.ch = ch
        self.temb = nn.Sequential(nn.Linear(ch, 4 * ch), nn.SiLU(), nn.Linear(4 * ch, 4 * ch))
        self.conv_in = nn.Conv2d(CHANNELS, ch, 3, padding=1)
        res, cur, skips = IMAGE, ch, [ch]
        self.down = nn.ModuleList()
        for level, m in enumerate(mult):
            for _ in range(num_res):
                self.down.append(ResBlock(cur, ch * m, 4 * ch, groups))
                cur = ch * m
                self.down.append(Attention(cur, groups) if res in attn else nn.Identity())
                skips.append(cur)
            if level != len(mult) - 1:
                self.down.append(nn.Conv2d(cur, cur, 3, stride=2, padding=1))
                skips.append(cur)
                res //= 2
        self.mid = nn.ModuleList([ResBlock(cur, cur, 4 * ch, groups), Attention(cur, groups), ResBlock(cur, cur, 4 * ch, groups)])
        self.up = nn.ModuleList()
        for level in reversed(range(len(mult))):
            for _ in range(num_res + 1):
                self.up.append(ResBlock(cur + skips.pop(), ch * mult[level], 4 * ch, groups))
                cur = ch * mult[level]
                self.up.append(Attention(cur, groups) if res in attn else nn.Identity())
            if level != 0:
                self.up.append(nn.Upsample(scale_factor=2, mode="nearest"))
                self.up.append(nn.Conv2d(cur, cur, 3, padding=1))
                res *= 2
        self.norm_out, self.conv_out = group_norm(cur, groups), zero(nn.Conv2d(cur, CHANNELS, 3, padding=1))
        for m in self.modules():  # Xavier uniform and zero biases, except the layers that start at zero
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.weight.abs().sum() > 0:
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x, t):
        temb = self.temb(timestep_embedding(t, self.ch))
        h = self.conv_in(x)
        hs = [h]
        for m in self.down:
            h = m(h, temb) if isinstance(m, ResBlock) else m(h)
            if not isinstance(m, ResBlock):
                hs.append(h)  # after attention (or its identity) and after each downsampling
        h = self.mid[2](self.mid[1](self.mid[0](h, temb)), temb)
        for m in self.up:
            h = m(torch.cat([h, hs.pop()], dim=1), temb) if isinstance(m, ResBlock) else m(h)
        return self.conv_out(F.silu(self.norm_out(h)))


def schedule():
    beta = torch.linspace(1e-4, 0.02, T, dtype=torch.float64)
    alpha_bar = torch.cumprod(1 - beta, 0)
    return {k: v.float() for k, v in dict(beta=beta, sqrt_ab=alpha_bar.sqrt(), sqrt_1m_ab=(1 - alpha_bar).sqrt(),
                                          alpha_bar=alpha_bar).items()}


def timed(step, n):
    start = time.perf_counter()
    step()
    first = time.perf_counter() - start
    step()  # one more warm-up: torch.compile may recompile on the second call
    times = []
    for _ in range(n):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return first, statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", choices=CONFIGS, default="mnist")
    ap.add_argument("--variant", choices=("eager", "channels_last", "compile"), default="eager")
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = UNet(*CONFIGS[args.config])
    fmt = torch.channels_last if args.variant == "channels_last" else torch.contiguous_format
    model = model.to(memory_format=fmt)
    net = torch.compile(model) if args.variant == "compile" else model
    s = schedule()
    params = list(model.parameters())
    out = dict(config=args.config, variant=args.variant, params=sum(p.numel() for p in params),
               threads=torch.get_num_threads(), torch=torch.__version__)

    batch = 128
    x0 = torch.randn(batch, CHANNELS, IMAGE, IMAGE).to(memory_format=fmt)
    opt = torch.optim.Adam(params, lr=2e-4)  # PyTorch's default (foreach) implementation
    ema = [p.detach().clone() for p in params]
    step_no = [0]

    def train_step():
        step_no[0] += 1
        n = step_no[0]
        t = torch.randint(1, T + 1, (batch,))
        eps = torch.randn_like(x0)
        xt = s["sqrt_ab"][t - 1].view(-1, 1, 1, 1) * x0 + s["sqrt_1m_ab"][t - 1].view(-1, 1, 1, 1) * eps
        loss = F.mse_loss(net(xt, t), eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        for group in opt.param_groups:
            group["lr"] = 2e-4 * min(n / 5000, 1.0)
        opt.step()
        with torch.no_grad():
            d = min(0.9999, (1 + n) / (10 + n))
            torch._foreach_mul_(ema, d)
            torch._foreach_add_(ema, params, alpha=1 - d)
        return loss.item()

    first, median = timed(train_step, args.steps)
    out["train"] = dict(batch=batch, first_s=round(first, 3), images_per_s=round(batch / median, 1))

    batch = 256
    xt = torch.randn(batch, CHANNELS, IMAGE, IMAGE).to(memory_format=fmt)
    z = torch.randn_like(xt)
    t = torch.full((batch,), 500)
    beta, ab = s["beta"][499], s["alpha_bar"][499]

    @torch.no_grad()
    def denoise_step():
        eps = net(xt, t)
        x0_hat = (xt - (1 - ab).sqrt() * eps) / ab.sqrt()
        mean = (xt - beta / (1 - ab).sqrt() * eps) / (1 - beta).sqrt()
        return mean + beta.sqrt() * z, x0_hat

    first, median = timed(denoise_step, args.steps)
    out["denoise"] = dict(batch=batch, first_s=round(first, 3), images_per_s=round(batch / median, 1))
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
