#!/usr/bin/env python3
"""Writes the tokenizer reference corpus: one text per line, the same bytes on every machine.

    python3 tests/models/data/gen_tokenizer_corpus.py OUT [LINES]   (default 10240 lines)

The texts mix what tokenizers get wrong: scripts (Latin with accents, Cyrillic, Greek, Arabic,
Hebrew, Devanagari, Thai, CJK, kana, Hangul), emoji (ZWJ sequences, skin tones, flags, keycaps),
combining marks (decomposed accents, stacked marks), runs of spaces and tabs, numbers, code,
URLs, very long words, mixed case, contractions, punctuation runs, invisible and control
characters, and the special tokens of the tokenizers under test. Lines hold no "\\n" or "\\r"
(every other character may appear); a few are empty or all whitespace. Everything comes from the
word lists below and a seeded random.Random, so nothing depends on the machine.
"""
import random
import sys

LATIN = ("the quick brown fox jumps over lazy dog tokenizer model inference content address "
         "network peer block hash gateway Hello World Python Rust JavaScript naïve café résumé "
         "façade jalapeño Straße Größe Übermaß Ærøskøbing Łódź Kraków Dvořák Škoda Müller "
         "coöperate piñata crème brûlée São Paulo Ångström Việt Nam tiếng Việt Nguyễn "
         "déjà vu fiancée über Zürich İstanbul ışık ğüşöç Ελλάδα").split()
CYRILLIC = ("привет мир Москва съешь же ещё этих мягких французских булок да выпей чаю "
            "Україна їжак ґанок Беларусь ўсход Ёлка ЁЖ ЩУКА").split()
GREEK = "Καλημέρα κόσμε ΑΒΓΔ αβγδ ψυχή Ωμέγα ΐ ΰ ς σοφία φιλοσοφία".split()
ARABIC = "مرحبا بالعالم اللغة العربية كتاب مدرسة الحمد لله ٠١٢٣٤٥٦٧٨٩ عَرَبِيّ".split()
HEBREW = "שלום עולם עברית ספר בית־ספר שָׁלוֹם".split()
DEVANAGARI = "नमस्ते दुनिया हिन्दी भाषा संस्कृत क्षत्रिय ज्ञान ०१२३४५६७८९".split()
THAI = "สวัสดีชาวโลก ภาษาไทย ประเทศไทย กรุงเทพมหานคร ๑๒๓".split()
CJK = "你好世界 中文 汉字 漢字 北京 東京 日本語 こんにちは カタカナ ひらがな 寿司 𠀀𠀁 㐀 丽".split()
HANGUL = "안녕하세요 세계 한국어 한글 서울 대한민국 ㄱㄴㄷ".split()
EMOJI = ["😀", "😂", "🥰", "🤖", "👍", "👍🏽", "👋🏿", "🧑‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷", "🇯🇵",
         "1️⃣", "#️⃣", "❤️", "✨", "🔥", "🚀", "👩🏻‍🔬", "🫠", "🐈‍⬛", "☃", "⚡"]
COMBINING = ["e\u0301", "a\u0300\u0323", "n\u0303", "o\u0308\u0304", "Z\u0335\u0330\u034d",
             "i\u0307", "\u0301", "u\u0308", "c\u0327", "A\u030a", "\u1100\u1161\u11a8"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u00ad", "\ufeff", "\u2060", "\u00a0", "\u3000",
             "\u2009", "\u202f", "\u0007", "\u001b", "\u0000", "\u000b", "\u000c", "\u0085",
             "\u2028", "\ufffd", "\ue000"]
PUNCT = list("!?.,;:'\"()[]{}<>-_/\\|@#$%^&*+=~`") + ["...", "--", "—", "–", "«»", "“”", "‘’",
                                                       "¿¡", "。", "、", "！", "？", "・"]
CONTRACTIONS = ["don't", "I'm", "you're", "we've", "he'll", "she'd", "it's", "they'LL",
                "I'M", "DON'T", "y'all", "o'clock", "rock'n'roll", "'s", "'t"]
SPECIALS = ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "<|endoftext|>", "<|begin_of_text|>",
            "<|end_of_text|>", "<|im_start|>", "<|im_end|>", "<|eot_id|>", "<s>", "</s>"]
CODE = ["def f(x):", "return x ** 2", "for (int i = 0; i < n; ++i) {", "}", "#include <stdio.h>",
        "printf(\"%d\\n\", x);", "const y = await fetch(url);", "{\"key\": [1, 2.5, null]}",
        "SELECT * FROM t WHERE id = 42;", "x=>x+1", "a&&b||!c", "std::vector<int> v{1,2,3};",
        "if __name__ == '__main__':", "<div class=\"x\">&amp;</div>", "$HOME/.config/*.json",
        "0xDEADBEEF", "r'\\d+'", "λx.x"]
URLS = ["https://huggingface.co/docs/tokenizers", "http://example.com/a?b=c&d=e#frag",
        "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/readme.md",
        "user.name+tag@example.org", "ftp://ftp.example.net/pub/file.tar.gz", "www.ünïcödé.com",
        "/usr/local/bin/ipfs-accelerate", "C:\\Program Files\\App\\app.exe"]
ALL_WORDS = [LATIN, CYRILLIC, GREEK, ARABIC, HEBREW, DEVANAGARI, THAI, CJK, HANGUL]


def number(r):
    kind = r.randrange(7)
    if kind == 0:
        return str(r.randrange(10 ** r.randrange(1, 12)))
    if kind == 1:
        return f"{r.uniform(-1e6, 1e6):.{r.randrange(0, 6)}f}"
    if kind == 2:
        return f"+1 ({r.randrange(100, 999)}) {r.randrange(100, 999)}-{r.randrange(1000, 9999)}"
    if kind == 3:
        return "".join(r.choice("0123456789") for _ in range(r.randrange(20, 60)))
    if kind == 4:
        return f"{r.randrange(1, 31)}/{r.randrange(1, 12)}/{r.randrange(1900, 2100)}"
    if kind == 5:
        return f"{r.randrange(1000)}.{r.randrange(1000)}e-{r.randrange(30)}"
    return r.choice(["½", "²³", "Ⅻ", "①②", "٣٤", "१२", "１２３", "1,234,567", "3.14159"])


def spaces(r):
    return r.choice([" ", "  ", "   ", "\t", " \t ", "\t\t", "     ", " " * r.randrange(5, 30)])


def long_word(r, words):
    n = r.choice([30, 80, 101, 150, 300, 1000])
    base = "".join(r.choice(words) for _ in range(n // 4 + 1))
    return base[:n]


def piece(r):
    kind = r.randrange(22)
    if kind < 7:
        return r.choice(r.choice(ALL_WORDS))
    if kind < 9:
        return r.choice(LATIN)
    if kind == 9:
        return r.choice(EMOJI) * r.choice([1, 1, 1, 2, 3])
    if kind == 10:
        return r.choice(COMBINING)
    if kind == 11:
        return r.choice(PUNCT) * r.choice([1, 1, 2, 4])
    if kind == 12:
        return number(r)
    if kind == 13:
        return r.choice(CODE)
    if kind == 14:
        return r.choice(URLS)
    if kind == 15:
        return r.choice(CONTRACTIONS)
    if kind == 16:
        return r.choice(SPECIALS)
    if kind == 17:
        return r.choice(INVISIBLE)
    if kind == 18:
        w = r.choice(LATIN)
        return "".join(c.upper() if r.random() < 0.5 else c.lower() for c in w)
    if kind == 19:
        return long_word(r, r.choice(ALL_WORDS))
    if kind == 20:
        return spaces(r)
    return r.choice(LATIN) + r.choice(PUNCT) + r.choice(LATIN)


def line(r, i):
    # A few fixed shapes first, then random mixes.
    fixed = ["", " ", "\t", "   leading spaces", "trailing spaces   ", "a", "A", "\u00e9",
             "e\u0301", "Hello world", "hello   world", "<|endoftext|>", "[CLS] hi [SEP]",
             "\t tab\tand space \t"]
    if i < len(fixed):
        return fixed[i]
    shape = r.randrange(10)
    if shape == 0:  # one script, sentence-like
        words = r.choice(ALL_WORDS)
        return " ".join(r.choice(words) for _ in range(r.randrange(1, 25)))
    if shape == 1:  # English-ish with punctuation and contractions
        out = []
        for _ in range(r.randrange(3, 30)):
            out.append(r.choice(LATIN + CONTRACTIONS))
            if r.random() < 0.2:
                out[-1] += r.choice([",", ".", "!", "?", ";", ":"])
        return " ".join(out)
    if shape == 2:  # code
        return spaces(r).replace("\t", "    ") + " ".join(r.choice(CODE) for _ in range(r.randrange(1, 4)))
    if shape == 3:  # emoji-heavy
        return "".join(r.choice(EMOJI) + r.choice(["", " ", "", r.choice(LATIN)]) for _ in range(r.randrange(1, 12)))
    sep = [" ", " ", " ", "", spaces(r)]
    text = ""
    for _ in range(r.randrange(1, 20)):
        text += piece(r) + r.choice(sep)
    return text


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10240
    r = random.Random(20260101)
    with open(out, "w", encoding="utf-8", newline="") as f:
        for i in range(n):
            t = line(r, i).replace("\n", " ").replace("\r", " ")
            f.write(t + "\n")


if __name__ == "__main__":
    main()
