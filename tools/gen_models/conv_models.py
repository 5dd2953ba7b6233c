"""Hand-written convolutional models: ResNet-50, a small UNet, and an MLP (the engine's first model)."""
import math

import torch
from torch import nn
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------
# ResNet-50 (torchvision's layout: stride on the 3x3 conv of the bottleneck)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride):
        super().__init__()
        cout = width * self.expansion
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet(nn.Module):
    def __init__(self, blocks=(3, 4, 6, 3), base=64, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, base, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(base)
        layers, cin = [], base
        for i, n in enumerate(blocks):
            width = base * 2**i
            for j in range(n):
                layers.append(Bottleneck(cin, width, 2 if (j == 0 and i > 0) else 1))
                cin = width * Bottleneck.expansion
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, classes)

    def forward(self, pixel_values):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(pixel_values))), 3, stride=2, padding=1)
        x = self.layers(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)  # GlobalAveragePool
        return self.fc(x)


# ---------------------------------------------------------------------------------------------
# UNet (diffusion style: timestep embedding, ResBlocks with GroupNorm + SiLU, attention at the bottom)


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t[:, None].to(torch.float32) * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(F.silu(emb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + (x if self.skip is None else self.skip(x))


class AttnBlock(nn.Module):
    def __init__(self, ch, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.out = nn.Conv2d(ch, ch, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, c, h * w).unbind(1)
        attn = torch.softmax(torch.matmul(q.transpose(1, 2), k) / math.sqrt(c), dim=-1)  # [b, hw, hw]
        y = torch.matmul(v, attn.transpose(1, 2)).reshape(b, c, h, w)
        return x + self.out(y)


class UNet(nn.Module):
    """Two resolution changes: down by strided Conv; up by Resize(nearest)+Conv and by ConvTranspose."""

    def __init__(self, in_ch=4, base=32, mult=(1, 2, 4), groups=8):
        super().__init__()
        temb = base * 4
        self.base = base
        self.t1 = nn.Linear(base, temb)
        self.t2 = nn.Linear(temb, temb)
        ch = [base * m for m in mult]
        self.conv_in = nn.Conv2d(in_ch, ch[0], 3, padding=1)
        self.down_res = nn.ModuleList()
        self.down_sample = nn.ModuleList()
        cin = ch[0]
        for i, c in enumerate(ch):
            self.down_res.append(ResBlock(cin, c, temb, groups))
            cin = c
            if i < len(ch) - 1:
                self.down_sample.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
        self.mid1 = ResBlock(cin, cin, temb, groups)
        self.mid_attn = AttnBlock(cin, groups)
        self.mid2 = ResBlock(cin, cin, temb, groups)
        self.up_res = nn.ModuleList()
        self.up_sample = nn.ModuleList()
        for i, c in reversed(list(enumerate(ch))):
            self.up_res.append(ResBlock(cin + c, c, temb, groups))  # skip concat
            cin = c
            if i > 0:
                # The first upsampling uses ConvTranspose, the others Resize(nearest) + Conv.
                if i == len(ch) - 1:
                    self.up_sample.append(nn.ConvTranspose2d(c, c, 4, stride=2, padding=1))
                else:
                    self.up_sample.append(nn.Conv2d(c, c, 3, padding=1))
        self.norm_out = nn.GroupNorm(groups, cin)
        self.conv_out = nn.Conv2d(cin, in_ch, 3, padding=1)

    def forward(self, sample, timestep):
        emb = self.t2(F.silu(self.t1(timestep_embedding(timestep, self.base))))
        x = self.conv_in(sample)
        skips = []
        for i, res in enumerate(self.down_res):
            x = res(x, emb)
            skips.append(x)
            if i < len(self.down_sample):
                x = self.down_sample[i](x)
        x = self.mid2(self.mid_attn(self.mid1(x, emb)), emb)
        for i, res in enumerate(self.up_res):
            x = res(torch.cat([x, skips.pop()], dim=1), emb)
            if i < len(self.up_sample):
                up = self.up_sample[i]
                if isinstance(up, nn.ConvTranspose2d):
                    x = up(x)
                else:
                    x = up(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(x)))


# ---------------------------------------------------------------------------------------------


class Mlp(nn.Module):
    """MatMul + Add + Relu only: the smallest end-to-end check of the harness."""

    def __init__(self, dims):
        super().__init__()
        self.fcs = nn.ModuleList([nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:])])

    def forward(self, x):
        for i, fc in enumerate(self.fcs):
            x = torch.matmul(x, fc.weight.t()) + fc.bias  # MatMul + Add (nn.Linear on 2-D input exports as Gemm)
            if i < len(self.fcs) - 1:
                x = F.relu(x)
        return x
