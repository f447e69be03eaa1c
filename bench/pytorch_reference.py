#!/usr/bin/python3
"""The same network and training step as `carilab-cli bench`, in eager PyTorch.

--backbone inception-resnet-v1 (default): the slim Inception-ResNet-v1 of
core/nn/inception_resnet_v1.cpp (same layer shapes), 160x160 input, 1792-d embeddings.
--backbone face-resnet: the face-recognition ResNet of core/nn/face_resnet_backbone.cpp and
face_resnet_layers.cpp (conv + bias -> per-channel affine scale -> ReLU; 7x7/2 stem, max pool,
residual blocks with an average-pool shortcut when they halve the resolution; trunk through
conv256_down, Z = 256x4x4; each branch conv256_1, conv256_2, conv256_down_out, mean pool,
dropout, a 256x128 projection), 150x150 input, 128-d embeddings; random weights, as
`carilab-cli bench` builds it.
Either way: three branches and softmax identity heads, the centre loss on all three branches
(centres of the embedding's width), and one step of the dynamic strategy with both updates
(network by sum w_i L_i with w detached, psi by L4 = sum w_i / (L_i + 0.01)), RMSProp as the
official code, gradient clipping at 5. Synthetic input, as the CLI's "training, synthetic input"
figures. FLOPs follow the CLI's convention (core/perf/flop_count.h): multiply-add = 2, bias 1 per
output, batch norm 2 per element, elementwise ops (face-resnet's affine scale, residual additions),
pooling and padding not counted, training step = 3 x forward.

Debian's python3-torch is the same LibTorch 1.13 build the CLI links: run with /usr/bin/python3.
"""
import argparse
import json
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 0.001
BN_MOMENTUM = 0.1


class ConvBn(nn.Module):
    def __init__(self, cin, cout, kh, kw=None, stride=1, same=True):
        super().__init__()
        kw = kh if kw is None else kw
        pad = (kh // 2, kw // 2) if same else (0, 0)
        self.conv = nn.Conv2d(cin, cout, (kh, kw), stride=stride, padding=pad, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM)
        nn.init.xavier_uniform_(self.conv.weight)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Block35(nn.Module):
    def __init__(self):
        super().__init__()
        self.b0 = ConvBn(256, 32, 1)
        self.b1a, self.b1b = ConvBn(256, 32, 1), ConvBn(32, 32, 3)
        self.b2a, self.b2b, self.b2c = ConvBn(256, 32, 1), ConvBn(32, 32, 3), ConvBn(32, 32, 3)
        self.up = nn.Conv2d(96, 256, 1, bias=True)

    def forward(self, x):
        mixed = torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2c(self.b2b(self.b2a(x)))], 1)
        return F.relu(x + 0.17 * self.up(mixed))


class ReductionA(nn.Module):
    def __init__(self):
        super().__init__()
        self.b0 = ConvBn(256, 384, 3, stride=2, same=False)
        self.b1a, self.b1b = ConvBn(256, 192, 1), ConvBn(192, 192, 3)
        self.b1c = ConvBn(192, 256, 3, stride=2, same=False)

    def forward(self, x):
        return torch.cat([self.b0(x), self.b1c(self.b1b(self.b1a(x))), F.max_pool2d(x, 3, 2)], 1)


class Block17(nn.Module):
    def __init__(self):
        super().__init__()
        self.b0 = ConvBn(896, 128, 1)
        self.b1a, self.b1b, self.b1c = ConvBn(896, 128, 1), ConvBn(128, 128, 1, 7), ConvBn(128, 128, 7, 1)
        self.up = nn.Conv2d(256, 896, 1, bias=True)

    def forward(self, x):
        mixed = torch.cat([self.b0(x), self.b1c(self.b1b(self.b1a(x)))], 1)
        return F.relu(x + 0.10 * self.up(mixed))


class ReductionB(nn.Module):
    def __init__(self):
        super().__init__()
        self.b0a, self.b0b = ConvBn(896, 256, 1), ConvBn(256, 384, 3, stride=2, same=False)
        self.b1a, self.b1b = ConvBn(896, 256, 1), ConvBn(256, 256, 3, stride=2, same=False)
        self.b2a, self.b2b = ConvBn(896, 256, 1), ConvBn(256, 256, 3)
        self.b2c = ConvBn(256, 256, 3, stride=2, same=False)

    def forward(self, x):
        return torch.cat([self.b0b(self.b0a(x)), self.b1b(self.b1a(x)), self.b2c(self.b2b(self.b2a(x))),
                          F.max_pool2d(x, 3, 2)], 1)


class Block8(nn.Module):
    def __init__(self, scale, activation):
        super().__init__()
        self.scale, self.activation = scale, activation
        self.b0 = ConvBn(1792, 192, 1)
        self.b1a, self.b1b, self.b1c = ConvBn(1792, 192, 1), ConvBn(192, 192, 1, 3), ConvBn(192, 192, 3, 1)
        self.up = nn.Conv2d(384, 1792, 1, bias=True)

    def forward(self, x):
        mixed = torch.cat([self.b0(x), self.b1c(self.b1b(self.b1a(x)))], 1)
        y = x + self.scale * self.up(mixed)
        return F.relu(y) if self.activation else y


class Branch(nn.Module):
    def __init__(self, dropout):
        super().__init__()
        self.block8, self.block8_final = Block8(0.20, True), Block8(1.0, False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        return self.dropout(F.adaptive_avg_pool2d(self.block8_final(self.block8(x)), 1).flatten(1))


# face-resnet (core/nn/face_resnet_layers.cpp, core/nn/face_resnet_backbone.cpp)
# Checked once against C++: face-api's face_recognition_model weights loaded into this trunk and
# branch gave `carilab-cli embed --pretrained face-resnet --align none` of a 150x150 image to 4e-6.

# name, in, out, down: face-api's residual blocks in order (faceRecognitionBlocks()).
FACE_BLOCKS = [
    ("conv32_1", 32, 32, False), ("conv32_2", 32, 32, False), ("conv32_3", 32, 32, False), ("conv64_down", 32, 64, True),
    ("conv64_1", 64, 64, False), ("conv64_2", 64, 64, False), ("conv64_3", 64, 64, False), ("conv128_down", 64, 128, True),
    ("conv128_1", 128, 128, False), ("conv128_2", 128, 128, False), ("conv256_down", 128, 256, True),
    ("conv256_1", 256, 256, False), ("conv256_2", 256, 256, False), ("conv256_down_out", 256, 256, True),
]
FACE_TRUNK_BLOCKS = 11  # through conv256_down; the rest are per branch


class ScaledConv(nn.Module):
    """conv (+bias) -> per-channel affine scale -> optional ReLU (ScaledConvImpl). SAME (stride 1,
    odd kernel: k/2 on every side) or VALID. Default LibTorch/PyTorch conv init, scale 1, shift 0."""

    def __init__(self, cin, cout, k=3, stride=1, same=True, relu=True):
        super().__init__()
        self.relu = relu
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2 if same else 0, bias=True)
        self.scale_weight = nn.Parameter(torch.ones(cout))
        self.scale_bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x):
        y = self.conv(x) * self.scale_weight.view(1, -1, 1, 1) + self.scale_bias.view(1, -1, 1, 1)
        return F.relu(y) if self.relu else y


class FaceResidual(nn.Module):
    """Two scaled convs (the first 3x3/2 VALID when `down`, else 3x3 SAME; the second 3x3 SAME, no
    ReLU) plus an identity shortcut, or for `down` a 2x2/2 average pool whose extra row/column is
    matched by zero-padding the conv branch at the bottom/right and whose missing channels are
    zeros appended after its own; then ReLU (FaceResidualImpl)."""

    def __init__(self, cin, cout, down):
        super().__init__()
        self.down = down
        self.conv1 = ScaledConv(cin, cout, 3, stride=2 if down else 1, same=not down)
        self.conv2 = ScaledConv(cout, cout, 3, relu=False)

    def forward(self, x):
        out = self.conv2(self.conv1(x))
        if not self.down:
            return F.relu(out + x)
        shortcut = F.avg_pool2d(x, 2, 2)
        dh, dw = shortcut.size(2) - out.size(2), shortcut.size(3) - out.size(3)
        if dh or dw:
            out = F.pad(out, (0, dw, 0, dh))
        dc = out.size(1) - shortcut.size(1)
        if dc:
            shortcut = F.pad(shortcut, (0, 0, 0, 0, 0, dc))
        return F.relu(out + shortcut)


class FaceResnetTrunk(nn.Module):
    """Stem 7x7/2 VALID 3->32, max pool 3x3/2 (no padding), blocks [0, 11): 150 -> 72 -> 35 -> 17 -> 8 -> 4."""

    def __init__(self):
        super().__init__()
        self.conv32_down = ScaledConv(3, 32, 7, stride=2, same=False)
        self.blocks = nn.Sequential(*[FaceResidual(i, o, d) for _, i, o, d in FACE_BLOCKS[:FACE_TRUNK_BLOCKS]])

    def forward(self, x):
        return self.blocks(F.max_pool2d(self.conv32_down(x), 3, 2))


class Projection(nn.Module):
    """features @ fc, fc [in, out] without bias (the branch's 256x128 "fc"); Linear's default init."""

    def __init__(self, cin, cout):
        super().__init__()
        self.in_features = cin
        self.weight = nn.Parameter(torch.empty(cin, cout).uniform_(-cin ** -0.5, cin ** -0.5))

    def forward(self, x):
        return x.matmul(self.weight)


class FaceResnetBranch(nn.Module):
    def __init__(self, dropout):
        super().__init__()
        self.blocks = nn.Sequential(*[FaceResidual(i, o, d) for _, i, o, d in FACE_BLOCKS[FACE_TRUNK_BLOCKS:]])
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()  # 0 skips the layer, as the C++
        self.fc = Projection(256, 128)

    def forward(self, x):
        return self.fc(self.dropout(self.blocks(x).mean((2, 3))))


BACKBONES = {  # name: (trunk, branch(dropout), embedding dim, default input side), as BackboneInfo
    "inception-resnet-v1": (lambda: nn.Sequential(
        ConvBn(3, 32, 3, stride=2, same=False), ConvBn(32, 32, 3, same=False), ConvBn(32, 64, 3),
        nn.MaxPool2d(3, 2), ConvBn(64, 80, 1, same=False), ConvBn(80, 192, 3, same=False),
        ConvBn(192, 256, 3, stride=2, same=False), Block35(), ReductionA(), Block17(), ReductionB()),
        Branch, 1792, 160),
    "face-resnet": (FaceResnetTrunk, FaceResnetBranch, 128, 150),
}


class MultiTaskNet(nn.Module):
    def __init__(self, classes, backbone="inception-resnet-v1", dropout=0.5):
        super().__init__()
        make_trunk, make_branch, self.embedding_dim, _ = BACKBONES[backbone]
        self.trunk = make_trunk()
        self.branches = nn.ModuleList([make_branch(dropout) for _ in range(3)])
        self.heads = nn.ModuleList([nn.Linear(self.embedding_dim, classes) for _ in range(3)])
        with torch.no_grad():
            for h in self.heads:
                h.weight.normal_(0.0, 0.1).clamp_(-0.2, 0.2)
                h.bias.zero_()

    def forward(self, x):
        shared = self.trunk(x)
        emb = [b(shared) for b in self.branches]
        return shared.flatten(1), emb, [h(e) for h, e in zip(self.heads, emb)]


def tf_l2_normalize(x):
    return x * torch.rsqrt(x.pow(2).sum(1, keepdim=True).clamp_min(1e-10))


class Step:
    """One training step of the dynamic strategy, in the order of core/run/trainer.cpp."""

    def __init__(self, classes, z_dim, set_to_none=False, precision="fp32", backbone="inception-resnet-v1"):
        self.set_to_none = set_to_none
        self.bf16 = precision == "bf16"
        self.net = MultiTaskNet(classes, backbone)
        self.centers = torch.zeros(classes, self.net.embedding_dim)  # CenterLoss(classes, info().embeddingDim)
        self.psi = nn.Linear(z_dim, 3)
        with torch.no_grad():
            self.psi.weight.normal_(0.0, 0.1).clamp_(-0.2, 0.2)
            self.psi.bias.zero_()
        rms = dict(lr=0.1, alpha=0.9, eps=1.0, momentum=0.9)
        self.opt = torch.optim.RMSprop(self.net.parameters(), **rms)
        self.psi_opt = torch.optim.RMSprop(self.psi.parameters(), **rms)

    def center_loss(self, emb, y):
        x = F.normalize(emb, dim=1, eps=1e-10)
        return (0.5 * (x - self.centers.index_select(0, y)).pow(2).sum(1)).mean()

    def __call__(self, images, labels, is_cari):
        # bf16: autocast on the network only (convolutions and linear layers in bf16), its outputs
        # back to fp32 for the losses, the weighting unit and the centres, as CariLab's --precision bf16.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            z, emb, logits = self.net(images)
        if self.bf16:
            z, emb, logits = z.float(), [e.float() for e in emb], [lg.float() for lg in logits]
        rows = [None, is_cari.nonzero().squeeze(1), (~is_cari).nonzero().squeeze(1)]
        losses = []
        for t in range(3):
            lg, e, y = logits[t], emb[t], labels
            if rows[t] is not None:
                lg, e, y = lg.index_select(0, rows[t]), e.index_select(0, rows[t]), labels.index_select(0, rows[t])
            losses.append(F.cross_entropy(lg, y) + 0.1 * self.center_loss(e, y))
        losses = torch.stack(losses)
        if not torch.isfinite(losses.sum()).item():
            raise RuntimeError("a task loss became non-finite")
        w = torch.softmax(tf_l2_normalize(self.psi(z.detach())), 1).mean(0)
        l4 = (w / (losses.detach() + 0.01)).sum()
        network_loss = (w.detach() * losses).sum()
        self.opt.zero_grad(set_to_none=self.set_to_none)
        self.psi_opt.zero_grad()
        network_loss.backward()
        self.psi_opt.zero_grad()
        l4.backward()
        # TF clip_by_global_norm(5) on psi, as DynamicWeightModule::clipGradients
        with torch.no_grad():
            grads = [p.grad for p in self.psi.parameters()]
            scale = 5.0 / torch.sqrt(sum(g.pow(2).sum() for g in grads)).clamp_min(5.0)
            for g in grads:
                g.mul_(scale)
        self.psi_opt.step()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), 5.0)
        self.opt.step()
        with torch.no_grad():  # centre update, as CenterLossImpl::updateCenters
            x = F.normalize(emb[0].detach(), dim=1, eps=1e-10)
            counts = torch.zeros(self.centers.size(0), dtype=torch.int64).index_add_(0, labels, torch.ones_like(labels))
            n = counts.index_select(0, labels).to(x.dtype).unsqueeze(1)
            self.centers.index_add_(0, labels, -(0.5 * (self.centers.index_select(0, labels) - x) / n))


def forward_flops_per_image(net, size):
    """The CLI's convention, from forward hooks on a batch of 2 (the training forward, as the CLI).

    The CLI counts dispatched conv / linear / matmul / addmm / batch_norm ops only, so face-resnet's
    per-channel affine scale (a mul and an add per element), its residual additions, the
    average-pool shortcut and the zero padding are not counted here either; its conv bias is (1
    per output), and the branch projection (aten::matmul, no bias) counts under "linear"."""
    total = {"conv": 0.0, "linear": 0.0, "batch_norm": 0.0}

    def conv_hook(m, inp, out):
        total["conv"] += 2.0 * out.numel() * m.weight[0].numel() + (out.numel() if m.bias is not None else 0)

    def linear_hook(m, inp, out):
        total["linear"] += 2.0 * out.numel() * m.in_features + (out.numel() if getattr(m, "bias", None) is not None else 0)

    def bn_hook(m, inp, out):
        total["batch_norm"] += 2.0 * inp[0].numel()

    hooks = []
    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, (nn.Linear, Projection)):
            hooks.append(m.register_forward_hook(linear_hook))
        elif isinstance(m, nn.BatchNorm2d):
            hooks.append(m.register_forward_hook(bn_hook))
    net.eval()
    with torch.no_grad():
        net(torch.zeros(2, 3, size, size))
    net.train()
    for h in hooks:
        h.remove()
    return {k: v / 2 for k, v in total.items()}


def matmul_peak(repeats=7, n=2048):
    a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
    torch.mm(a, b, out=c)
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        rates.append(2.0 * n ** 3 / (time.perf_counter() - t0) / 1e9)
    return statistics.median(rates)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backbone", choices=list(BACKBONES), default="inception-resnet-v1",
                    help="the network (as carilab-cli bench --backbone)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=10, help="measured steps")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--classes", type=int, default=206)
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: all cores)")
    ap.add_argument("--input-size", type=int, default=None, help="default: the backbone's (160, face-resnet 150)")
    ap.add_argument("--no-peak", action="store_true")
    ap.add_argument("--channels-last", action="store_true", help="NHWC weights and input (memory-format experiment)")
    ap.add_argument("--set-to-none", action="store_true",
                    help="zero_grad(set_to_none=True) for the network (CariLab drops gradients likewise)")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: CPU autocast on the network (needs AMX or AVX-512 BF16 to be fast)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--profile", metavar="FILE.json", help="then profile 3 more steps (autograd profiler) into a Chrome trace")
    a = ap.parse_args()
    if a.input_size is None:
        a.input_size = BACKBONES[a.backbone][3]
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    load_before = os.getloadavg()[0]

    probe = MultiTaskNet(a.classes, a.backbone)
    flops = forward_flops_per_image(probe, a.input_size)
    with torch.no_grad():
        z_dim = probe.trunk(torch.zeros(1, 3, a.input_size, a.input_size)).flatten(1).size(1)
    del probe
    fwd = sum(flops.values())
    peak = None if a.no_peak else matmul_peak()

    step = Step(a.classes, z_dim, a.set_to_none, a.precision, a.backbone)
    images = torch.randn(a.batch, 3, a.input_size, a.input_size)
    if a.channels_last:
        step.net = step.net.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    labels = torch.randint(a.classes, (a.batch,))
    is_cari = (torch.arange(a.batch) % 2).bool()
    times = []
    for s in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        step(images, labels, is_cari)
        if s >= a.warmup:
            times.append(time.perf_counter() - t0)
    if a.profile:
        with torch.autograd.profiler.profile() as prof:
            for _ in range(3):
                step(images, labels, is_cari)
        prof.export_chrome_trace(a.profile)
    med = statistics.median(times)
    ips = a.batch / med
    gflops = 3 * fwd * ips / 1e9
    out = {
        "config": {"backbone": a.backbone, "strategy": "dynamic", "batch": a.batch, "input_size": a.input_size,
                   "steps": a.steps, "warmup": a.warmup, "classes": a.classes, "channels_last": a.channels_last, "set_to_none": a.set_to_none, "precision": a.precision, "implementation": "eager PyTorch " + torch.__version__},
        "machine": {"torch_threads": torch.get_num_threads(), "load_before": load_before, "load_after": os.getloadavg()[0]},
        "flops": {"forward_per_image": dict(total=fwd, **flops), "train_step_per_image": 3 * fwd},
        "train_synthetic": {"step_seconds": {"median": med, "min": min(times), "max": max(times), "count": len(times)},
                            "images_per_s": ips, "gflops": gflops},
    }
    if peak is not None:
        out["machine_peak"] = {"matmul_gflops": {"median": peak}}
        out["train_synthetic"]["utilisation_of_matmul_peak"] = gflops / peak
    if a.json:
        print(json.dumps(out, indent=2))
        return
    m = out["machine"]
    print(f"pytorch reference: {a.backbone}, batch {a.batch}, {a.input_size}x{a.input_size}, dynamic strategy, {a.precision}, "
          f"{a.steps} measured steps after {a.warmup} warm-up (torch {torch.__version__}, {m['torch_threads']} threads)")
    print(f"load average (1 min): {m['load_before']:.2f} before, {m['load_after']:.2f} after")
    print(f"  forward, per image                          {fwd / 1e9:.3f} GFLOP (conv {flops['conv'] / 1e9:.3f}, "
          f"linear {flops['linear'] / 1e9:.3f}, bn {flops['batch_norm'] / 1e9:.3f})")
    if peak is not None:
        print(f"  fp32 matmul 2048x2048                       {peak:.1f} GFLOP/s")
    print(f"  step time, ms median (min-max)              {med * 1e3:.0f} ({min(times) * 1e3:.0f}-{max(times) * 1e3:.0f}, n={len(times)})")
    print(f"  images/s                                    {ips:.2f}")
    print(f"  achieved GFLOP/s                            {gflops:.1f}")
    if peak is not None:
        print(f"  utilisation of the fp32 matmul peak         {100 * gflops / peak:.1f}%")


if __name__ == "__main__":
    main()
