"""An independent model in the *official* vHeat / RS-vHeat key layout.

Written from the documented layout (``docs/method.md``: "Heat Conduction
Operator", "Block and macro-architecture" and "Official checkpoints"), in the
upstream style (DCT as 1x1 conv1d over flattened dims, decay as
``pow(exp(-w^2), K)``, chunked linear, Sequential(permute, LN, permute)),
so that a converted checkpoint can be checked against it output for output.
Used only by the tests.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Permute(nn.Module):

    def __init__(self, *dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(*self.dims)


def ln_cf(dims, eps):  # Sequential(permute, LN, permute): keys '.1.weight'
    return nn.Sequential(Permute(0, 2, 3, 1), nn.LayerNorm(dims, eps=eps),
                         Permute(0, 3, 1, 2))


class LN2d(nn.LayerNorm):

    def forward(self, x):
        return super().forward(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class Linear2d(nn.Linear):  # weight [O, I], applied as a 1x1 conv

    def forward(self, x):
        return F.conv2d(x, self.weight[:, :, None, None], self.bias)


class PatchEmbed(nn.Module):

    def __init__(self, cin, dims):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, dims // 2, 3, 2, 1)
        self.norm1 = ln_cf(dims // 2, 1e-6)
        self.conv2 = nn.Conv2d(dims // 2, dims, 3, 2, 1)
        self.norm2 = ln_cf(dims, 1e-6)

    def forward(self, x):
        return self.norm2(self.conv2(F.gelu(self.norm1(self.conv1(x)))))


def cos_basis(n, dtype):
    pos = (torch.linspace(0, n - 1, n, dtype=dtype) + 0.5) / n
    freq = torch.linspace(0, n - 1, n, dtype=dtype)
    w = torch.cos(pos[None, :] * freq[:, None] * math.pi) * math.sqrt(2 / n)
    w[0, :] = w[0, :] / math.sqrt(2)
    return w  # [freq, pos]


class Heat2D(nn.Module):

    def __init__(self, c, rs):
        super().__init__()
        self.rs = rs
        if rs:
            self.norm1 = LN2d(c)
        self.dwconv = nn.Conv2d(c, c, 3, 1, 1, groups=c)
        self.linear = nn.Linear(c, 2 * c)
        self.out_norm = nn.LayerNorm(c)
        self.out_linear = nn.Linear(c, c)
        self.to_k = nn.Sequential(nn.Linear(c, c), nn.ReLU())

    def forward(self, x, freq_embed, heat_capacity):
        if self.rs:
            x = self.norm1(F.relu(x + heat_capacity.permute(2, 0, 1)))
        B, C, H, W = x.shape
        x = self.linear(self.dwconv(x).permute(0, 2, 3, 1))
        x, z = x.chunk(2, dim=-1)
        cn, cm = cos_basis(H, x.dtype), cos_basis(W, x.dtype)
        wn = torch.linspace(0, math.pi, H + 1, dtype=x.dtype)[:H]
        wm = torch.linspace(0, math.pi, W + 1, dtype=x.dtype)[:W]
        base = torch.exp(-(wn[:, None]**2 + wm[None, :]**2))
        k_exp = torch.pow(base[:, :, None], self.to_k(freq_embed))
        x = F.conv1d(x.contiguous().view(B, H, -1), cn.view(H, H, 1))
        x = F.conv1d(x.contiguous().view(-1, W, C), cm.view(W, W, 1))
        x = x.contiguous().view(B, H, W, C) * k_exp
        x = F.conv1d(x.contiguous().view(B, H, -1), cn.t().contiguous().view(
            H, H, 1))
        x = F.conv1d(x.contiguous().view(-1, W, C), cm.t().contiguous().view(
            W, W, 1)).contiguous().view(B, H, W, C)
        x = self.out_norm(x) * F.silu(z)
        return self.out_linear(x).permute(0, 3, 1, 2)


class Mlp(nn.Module):

    def __init__(self, c):
        super().__init__()
        self.fc1 = Linear2d(c, 4 * c)
        self.fc2 = Linear2d(4 * c, c)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):

    def __init__(self, c, post_norm, layer_scale, rs):
        super().__init__()
        self.norm1 = LN2d(c)
        self.op = Heat2D(c, rs)
        self.norm2 = LN2d(c)
        self.mlp = Mlp(c)
        self.post_norm = post_norm
        self.ls = layer_scale is not None
        if self.ls:
            self.gamma1 = nn.Parameter(layer_scale * torch.ones(c))
            self.gamma2 = nn.Parameter(layer_scale * torch.ones(c))

    def forward(self, x, fe, hc):
        g1 = self.gamma1[:, None, None] if self.ls else 1
        g2 = self.gamma2[:, None, None] if self.ls else 1
        if self.post_norm:
            x = x + g1 * self.norm1(self.op(x, fe, hc))
            return x + g2 * self.norm2(self.mlp(x))
        x = x + g1 * self.op(self.norm1(x), fe, hc)
        return x + g2 * self.mlp(self.norm2(x))


class OfficialVHeat(nn.Module):
    """Official layout; ``rs=True`` adds heat_capacity and op.norm1,
    ``stems`` = {'': 3} (vHeat) or {'_opt': 3, '_sar': 1} (RS-vHeat)."""

    def __init__(self, dims=16, depths=(1, 2, 1, 1), img=64, post_norm=False,
                 layer_scale=None, rs=False, stems=None):
        super().__init__()
        stems = stems or {'': 3}
        for suffix, cin in stems.items():
            self.add_module(f'patch_embed{suffix}', PatchEmbed(cin, dims))
        res = img // 4
        cs = [dims * 2**i for i in range(4)]
        self.freq_embed = nn.ParameterList([
            nn.Parameter(torch.randn(res // 2**i, res // 2**i, c) * .5)
            for i, c in enumerate(cs)
        ])
        self.rs = rs
        if rs:
            self.heat_capacity = nn.ParameterList([
                nn.Parameter(torch.randn(res // 2**i, res // 2**i, c) * .5)
                for i, c in enumerate(cs)
            ])
        self.layers = nn.ModuleList()
        for i, d in enumerate(depths):
            mods = [Block(cs[i], post_norm, layer_scale, rs) for _ in range(d)]
            if i < 3:
                mods.append(nn.Sequential(
                    nn.Conv2d(cs[i], cs[i + 1], 3, 2, 1, bias=False),
                    LN2d(cs[i + 1])))
            self.layers.append(nn.Sequential(*mods))
        for i, c in enumerate(cs):
            self.add_module(f'outnorm{i}', nn.LayerNorm(c))
        self.classifier = nn.Sequential(LN2d(cs[-1]), nn.AdaptiveAvgPool2d(1),
                                        nn.Flatten(1), nn.Linear(cs[-1], 5))

    def forward(self, x, stem=''):
        x = getattr(self, f'patch_embed{stem}')(x)
        outs = []
        for i, layer in enumerate(self.layers):
            hc = self.heat_capacity[i] if self.rs else None
            for m in layer:
                if isinstance(m, Block):
                    x = m(x, self.freq_embed[i], hc)
            outs.append(getattr(self, f'outnorm{i}')(
                x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2))
            if i < 3:
                x = layer[-1](x)
        return outs


def randomize_(model, seed=0):
    """Give every parameter (norms, biases, gammas too) random values."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.3 +
                    (1.0 if p.ndim == 1 else 0.0) * 0)
    return model
