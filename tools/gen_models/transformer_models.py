"""Hand-written transformer models: BERT, DistilBERT, GPT-2 (with KV cache), ViT, Whisper encoder.

Plain PyTorch, written to export cleanly to ONNX (no data-dependent Python control flow, sizes
taken from tensors so the exporter records them as Shape ops and the axes stay dynamic).
"""
import math

import torch
from torch import nn
import torch.nn.functional as F


def gelu_tanh(x):
    # GPT-2's form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), written out so the export is
    # the same on every torch version (Pow, Tanh, Mul, Add).
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class SelfAttention(nn.Module):
    """Multi-head self-attention; `bias` is added to the scores (a [B,1,1,S] padding bias)."""

    def __init__(self, hidden, heads, k_bias=True):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.q = nn.Linear(hidden, hidden)
        self.k = nn.Linear(hidden, hidden, bias=k_bias)
        self.v = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, hidden)

    def split(self, x):
        b, s = x.shape[0], x.shape[1]
        return x.view(b, s, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, bias=None):
        b, s = x.shape[0], x.shape[1]
        q, k, v = self.split(self.q(x)), self.split(self.k(x)), self.split(self.v(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        if bias is not None:
            scores = scores + bias
        probs = torch.softmax(scores, dim=-1)
        ctx = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, self.heads * self.head_dim)
        return self.out(ctx)


# ---------------------------------------------------------------------------------------------
# BERT


class BertLayer(nn.Module):
    def __init__(self, hidden, heads, inter, eps):
        super().__init__()
        self.attn = SelfAttention(hidden, heads)
        self.ln1 = nn.LayerNorm(hidden, eps=eps)
        self.fc1 = nn.Linear(hidden, inter)
        self.fc2 = nn.Linear(inter, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x, bias):
        x = self.ln1(x + self.attn(x, bias))  # post-LN, as in BERT
        return self.ln2(x + self.fc2(F.gelu(self.fc1(x))))  # exact GELU (Erf)


class Bert(nn.Module):
    def __init__(self, vocab, hidden, layers, heads, inter, max_pos, type_vocab=2, eps=1e-12):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_pos, hidden)
        self.tok_type = nn.Embedding(type_vocab, hidden)
        self.ln = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList([BertLayer(hidden, heads, inter, eps) for _ in range(layers)])
        self.pooler = nn.Linear(hidden, hidden)
        self.register_buffer("position_ids", torch.arange(max_pos).unsqueeze(0), persistent=False)

    def forward(self, input_ids, attention_mask, token_type_ids):
        s = input_ids.shape[1]
        pos = self.position_ids[:, :s]
        x = self.ln(self.word(input_ids) + self.pos(pos) + self.tok_type(token_type_ids))
        bias = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return x, pooled


# ---------------------------------------------------------------------------------------------
# DistilBERT


class DistilBert(nn.Module):
    def __init__(self, vocab, hidden, layers, heads, inter, max_pos, eps=1e-12):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_pos, hidden)
        self.ln = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList([BertLayer(hidden, heads, inter, eps) for _ in range(layers)])
        self.register_buffer("position_ids", torch.arange(max_pos).unsqueeze(0), persistent=False)

    def forward(self, input_ids, attention_mask):
        s = input_ids.shape[1]
        x = self.ln(self.word(input_ids) + self.pos(self.position_ids[:, :s]))
        # DistilBERT masks with masked_fill (exports as Where) rather than an additive bias.
        keep = attention_mask[:, None, None, :] != 0
        for layer in self.layers:
            x = self._layer(layer, x, keep)
        return x

    @staticmethod
    def _layer(layer, x, keep):
        a = layer.attn
        b, s = x.shape[0], x.shape[1]
        q, k, v = a.split(a.q(x)), a.split(a.k(x)), a.split(a.v(x))
        scores = torch.matmul(q / math.sqrt(a.head_dim), k.transpose(-1, -2))
        scores = scores.masked_fill(~keep, torch.finfo(torch.float32).min)
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, s, -1)
        x = layer.ln1(x + a.out(ctx))
        return layer.ln2(x + layer.fc2(F.gelu(layer.fc1(x))))


# ---------------------------------------------------------------------------------------------
# GPT-2 with past key/values


class Gpt2Block(nn.Module):
    def __init__(self, hidden, heads, eps):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.ln1 = nn.LayerNorm(hidden, eps=eps)
        self.c_attn = nn.Linear(hidden, 3 * hidden)
        self.c_proj = nn.Linear(hidden, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=eps)
        self.fc = nn.Linear(hidden, 4 * hidden)
        self.proj = nn.Linear(4 * hidden, hidden)

    def forward(self, x, past_k, past_v, causal):
        b, s, h = x.shape[0], x.shape[1], x.shape[2]
        q, k, v = self.c_attn(self.ln1(x)).split(h, dim=2)
        q = q.view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = k.view(b, s, self.heads, self.head_dim).transpose(1, 2)
        v = v.view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        total = k.shape[2]
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        # Query i (absolute position total-s+i) sees keys 0..total-s+i: rows total-s..total of tril.
        mask = causal[:, :, total - s : total, :total]
        scores = torch.where(mask, scores, torch.tensor(torch.finfo(torch.float32).min))
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, s, h)
        x = x + self.c_proj(ctx)
        x = x + self.proj(gelu_tanh(self.fc(self.ln2(x))))
        return x, k, v


class Gpt2(nn.Module):
    def __init__(self, vocab, hidden, layers, heads, max_pos, eps=1e-5):
        super().__init__()
        self.wte = nn.Embedding(vocab, hidden)
        self.wpe = nn.Embedding(max_pos, hidden)
        self.blocks = nn.ModuleList([Gpt2Block(hidden, heads, eps) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(hidden, eps=eps)
        # One causal table shared by all blocks (one initializer in the ONNX file, not one per layer).
        causal = torch.tril(torch.ones(max_pos, max_pos, dtype=torch.bool))
        self.register_buffer("causal", causal.view(1, 1, max_pos, max_pos), persistent=False)
        self.register_buffer("lm_bias", torch.zeros(vocab), persistent=False)  # zero: see forward

    def forward(self, input_ids, *past):
        s = input_ids.shape[1]
        p = past[0].shape[2]
        pos = torch.arange(p, p + s, dtype=torch.int64).unsqueeze(0)
        x = self.wte(input_ids) + self.wpe(pos)
        presents = []
        for i, block in enumerate(self.blocks):
            x, k, v = block(x, past[2 * i], past[2 * i + 1], self.causal)
            presents += [k, v]
        # Tied LM head. F.linear on 2-D input with a bias exports as Gemm(transB=1) reading wte itself;
        # a matmul with wte.t() would be constant-folded into a second, transposed copy (+150 MB real).
        h = self.ln_f(x)
        logits = F.linear(h.reshape(-1, h.shape[2]), self.wte.weight, self.lm_bias)
        logits = logits.view(h.shape[0], h.shape[1], -1)
        return (logits, *presents)


# ---------------------------------------------------------------------------------------------
# Pre-LN encoder block (ViT, Whisper)


class PreLnBlock(nn.Module):
    def __init__(self, hidden, heads, inter, eps, k_bias=True):
        super().__init__()
        self.ln1 = nn.LayerNorm(hidden, eps=eps)
        self.attn = SelfAttention(hidden, heads, k_bias=k_bias)
        self.ln2 = nn.LayerNorm(hidden, eps=eps)
        self.fc1 = nn.Linear(hidden, inter)
        self.fc2 = nn.Linear(inter, hidden)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class Vit(nn.Module):
    def __init__(self, image, patch, hidden, layers, heads, inter, classes, channels=3, eps=1e-6):
        super().__init__()
        n = (image // patch) ** 2
        self.patch = nn.Conv2d(channels, hidden, kernel_size=patch, stride=patch)
        self.cls = nn.Parameter(torch.randn(1, 1, hidden) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, n + 1, hidden) * 0.02)
        self.blocks = nn.ModuleList([PreLnBlock(hidden, heads, inter, eps) for _ in range(layers)])
        self.ln = nn.LayerNorm(hidden, eps=eps)
        self.head = nn.Linear(hidden, classes)

    def forward(self, pixel_values):
        x = self.patch(pixel_values).flatten(2).transpose(1, 2)
        cls = self.cls.expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln(x)[:, 0])


def sinusoids(length, channels, max_timescale=10000):
    """Whisper's sinusoidal position table [length, channels]."""
    inc = math.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2, dtype=torch.float32))
    t = torch.arange(length, dtype=torch.float32)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


class WhisperEncoder(nn.Module):
    def __init__(self, mels, frames, hidden, layers, heads, eps=1e-5):
        super().__init__()
        self.conv1 = nn.Conv1d(mels, hidden, kernel_size=3, padding=1)
        self.conv2 = nn.Conv1d(hidden, hidden, kernel_size=3, stride=2, padding=1)
        self.register_buffer("positions", sinusoids(frames // 2, hidden), persistent=False)
        # Whisper's key projection has no bias.
        self.blocks = nn.ModuleList([PreLnBlock(hidden, heads, 4 * hidden, eps, k_bias=False) for _ in range(layers)])
        self.ln = nn.LayerNorm(hidden, eps=eps)

    def forward(self, input_features):
        x = F.gelu(self.conv1(input_features))
        x = F.gelu(self.conv2(x)).transpose(1, 2)
        x = x + self.positions
        for block in self.blocks:
            x = block(x)
        return self.ln(x)
