"""Deterministic corpus for the tokenizer conformance tests (built in memory, nothing downloaded).

Why hand-written snippets plus seeded random text: the snippets cover what chat users paste
(prose, code, several scripts, emoji, URLs, numbers, odd whitespace); the random strings reach
the corners the pre-tokenizer regexes distinguish (every Unicode general category, unassigned
code points, controls, combining marks, lone joiners) across many Unicode blocks.
"""

from __future__ import annotations

import random

SEED = 20261126

ENGLISH = """\
Energy use of large language models depends mostly on how many tokens they read and write. A short
question costs little; a long reply with code, tables and citations can cost a hundred times more.
The assistant said: "It's fine, we'll do it tomorrow — unless you'd rather not." I'm sure they've
heard it before; they'd say it's "typical" (or, as the memo put it, 'business as usual').
Dr. O'Neill's team measured 3,412.5 kWh over 72 hours on 8×H100 GPUs at 700 W each, i.e. ~0.35 kWh/h.
Prices rose 12% in Q3 2024 (from $1,299.99 to $1,455.00); see https://example.com/report?id=42&lang=en#s3.
Mr. SMITH WROTE IN ALL CAPS, then in Title Case, then in camelCase and snake_case_names and kebab-case.
Email me at first.last+tag@example.org or call +1 (555) 010-9999 ext. 7; version v2.10.3-rc.1 is out.
"""

PROSE_WORDS = (
    "the of and to in is that for it as was with be by on not he I this are or his from at which "
    "but have an they you were her she there been one all we their has would when if so what more "
    "energy model token reply prompt question answer cluster memory bandwidth latency throughput "
    "estimate measured watts carbon grid datacenter inference training batch sequence context window"
).split()

PYTHON = '''\
from __future__ import annotations

import math


class Meter:
    """Integrates power samples into energy."""

    def __init__(self, period_s: float = 0.1) -> None:
        self.period_s = period_s
        self.samples: list[float] = []

    def add(self, watts: float) -> None:
        if watts < 0 or math.isnan(watts):
            raise ValueError(f"bad sample: {watts!r}")
        self.samples.append(watts)

    @property
    def joules(self) -> float:
        return sum(self.samples) * self.period_s  # rectangle rule


if __name__ == "__main__":
    m = Meter()
    for w in (300.0, 310.5, 299.9):
        m.add(w)
    print(f"{m.joules:.3f} J", end="\\n\\n")
'''

JAVASCRIPT = (
    "export async function countTokens(text, { tokenizer = 'o200k_base' } = {}) {\n"
    "\tconst worker = await getWorker();\n"
    "\tif (!text?.length) {\n"
    "\t\treturn 0;\n"
    "\t}\n"
    "\t\t\t\t\t\tconst deeply = [1, 2, 3].map((x) => x ** 2).filter(Boolean); // six tabs\n"
    '\treturn worker.postMessage({ type: "count", text, tokenizer }) ?? -1;\n'
    "}\n"
    "                                        const indented = `template ${literal} here`;\n"
    "const re = /^(?:[a-z0-9_-]+)\\.(js|mjs)$/iu;  /* regex */ let x = a !== b && c >= d;\n"
)

CHINESE = (
    "大型语言模型的能耗主要取决于它们读取和生成的词元数量。一个简短的问题耗电很少；"
    "而一篇包含代码、表格和引用的长回答可能要多出一百倍。我们在八块显卡上测量了七十二小时，"
    "总共消耗了3412.5千瓦时。请访问 https://example.cn/报告 了解详情。《节能》第２版，２０２４年。"
)

JAPANESE = (
    "大規模言語モデルのエネルギー消費は、主に読み書きするトークン数で決まります。"
    "短い質問ならわずかですが、コードや表を含む長い回答は百倍かかることもあります。"
    "カタカナ語：データセンター、グラフィックス・プロセッシング・ユニット。ｶﾀｶﾅ（半角）もテスト。"
    "ひらがなだけのぶんしょうもあります。〜ですね！？　全角スペース　と　記号「」『』。"
)

ARABIC = (
    "يعتمد استهلاك الطاقة في النماذج اللغوية الكبيرة أساسًا على عدد الرموز التي تقرؤها وتكتبها. "
    "السؤال القصير يكلّف قليلًا، أما الرد الطويل فقد يكلّف مئة ضعف. قِسْنا ٣٤١٢٫٥ كيلوواط ساعة."
)

HINDI = (
    "बड़े भाषा मॉडल की ऊर्जा खपत मुख्य रूप से इस पर निर्भर करती है कि वे कितने टोकन पढ़ते और लिखते हैं। "
    "एक छोटा प्रश्न कम खर्च करता है; कोड और तालिकाओं वाला लंबा उत्तर सौ गुना अधिक। ७२ घंटे, ८ जीपीयू।"
)

OTHER_SCRIPTS = (
    "Ελληνικά: η ενέργεια μετριέται σε κιλοβατώρες. Русский: энергопотребление растёт. "
    "한국어: 에너지 소비는 토큰 수에 달려 있습니다. ไทย: การใช้พลังงานขึ้นอยู่กับจำนวนโทเค็น "
    "עברית: צריכת האנרגיה תלויה במספר האסימונים. Tiếng Việt: tiêu thụ năng lượng phụ thuộc vào số token. "
    "Türkçe: İstanbul'da ışık. Deutsch: Größenordnung, Straße. Français: « déjà vu », l'œuvre."
)

EMOJI = (
    "Great job 👍 👍🏻 👍🏼 👍🏽 👍🏾 👍🏿! Family: 👨‍👩‍👧‍👦 👩‍❤️‍💋‍👨 🧑🏽‍💻 🏳️‍🌈 🏴‍☠️ "
    "flags 🇫🇷🇩🇪🇯🇵🇺🇸 keycaps 1️⃣ #️⃣ *️⃣ hearts ❤️🧡💛💚💙💜🖤🤍 ☺️☺ ✌🏿 🫶🏼 🫠🥹 "
    "tag sequence 🏴󠁧󠁢󠁳󠁣󠁴󠁿 text-vs-emoji ↔️↔ ©️® ™️ 🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥"
)

COMBINING = (
    "e\u0301 a\u0300\u0316 n\u0303 Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324 "
    "A\u030a vs \u00c5, \u1e9b\u0323, \u0915\u094d\u0937, \u0e01\u0e34\u0e4a, "
    "\u05e9\u05c1\u05b8, \u0627\u064e\u0644\u0652, q\u0307\u0323 \u0301\u0301 leading marks, \u20dd\u20e3"
)

NUMBERS = (
    "0 1 12 123 1234 12345 123456 1234567 3.14159265358979 -2.5e-10 1,000,000 1_000_000 0xDEADBEEF "
    "0b1010 ٣٤٥ ७२ 〇一二三 ½ ¾ Ⅻ ⅻ ① ⑳ ²³ 𝟙𝟚𝟛 1st 2nd 3rd 4th 2024-11-26T03:20:00Z 12:34:56.789"
)

URLS = (
    "https://www.example.com/path/to/page.html?query=value&other=1#fragment "
    "http://localhost:8080/api/v1/tokens?text=hello%20world "
    "ftp://files.example.org/pub/README.txt mailto:someone@example.com "
    "https://例子.测试/路径?参数=值 file:///home/user/.config/app/settings.json "
    '<a href="https://github.com/org/repo/blob/main/src/index.ts#L10-L20">link</a>'
)

WHITESPACE = (
    "a  b   c    d\t\te\t \tf\n\ng\n\n\n\nh\r\ni\r\n\r\nj \n k  \n\n  l"
    + " " * 50
    + "m"
    + "\n" * 40
    + "\t" * 35
    + "n"
    + " \u00a0\u2003\u3000 o \u200b\u200c\u200d p\u2028q\u2029r\x0b\x0cs\x1c\x1d\x1e\x1ft"
    + " " * 300
    + "\n"
    + "    " * 20
    + "end"
    + " " * 7
)

SPECIAL_LOOKING = (
    "<|endoftext|> <|fim_prefix|><|fim_middle|><|fim_suffix|> <|endofprompt|> <|im_start|>user "
    "<bos><eos><pad><unk><mask><start_of_turn>model\n<end_of_turn> <start_of_image><image_soft_token> "
    "<unused0><unused123><unused6241> <table><tr><td>1</td></tr></table> <h1>x</h1> [multimodal] "
    "<｜begin▁of▁sentence｜><｜end▁of▁sentence｜><｜User｜>hi<｜Assistant｜> <｜tool▁sep｜> "
    "<｜place▁holder▁no▁7｜> <|EOT|> ▁▁▁ spaces▁as▁marks >▁</ <0x41><0xE2>"
)

MIXED = (
    "Mixed: English中文日本語한국어العربيةहिन्दीРусский123abc😀 "
    "camelCase中文Case, snake_中文_case, 'quoted中文' \"双引号\" (括号) [brackets] {大括号}. "
    "Math: ∑_{i=1}^{n} x_i² ≤ ∫₀^∞ e^{-x} dx ≈ 1.0; α+β=γ → ∀x∈ℝ, ∃y: y>x. "
    "Table:\n| model | tokens | kWh |\n|---|---:|---:|\n| gpt-4o | 1,234 | 0.12 |\n"
)

SNIPPETS = [
    ENGLISH,
    PYTHON,
    JAVASCRIPT,
    CHINESE,
    JAPANESE,
    ARABIC,
    HINDI,
    OTHER_SCRIPTS,
    EMOJI,
    COMBINING,
    NUMBERS,
    URLS,
    WHITESPACE,
    SPECIAL_LOOKING,
    MIXED,
]

# Unicode blocks sampled by the random strings (start, end inclusive): every code point in the
# range may be drawn, assigned or not, so the Unicode tables behind the regexes are exercised.
BLOCKS = [
    (0x0000, 0x007F),
    (0x0080, 0x00FF),
    (0x0100, 0x024F),
    (0x0250, 0x02FF),
    (0x0300, 0x036F),
    (0x0370, 0x03FF),
    (0x0400, 0x04FF),
    (0x0530, 0x058F),
    (0x0590, 0x05FF),
    (0x0600, 0x06FF),
    (0x0900, 0x097F),
    (0x0980, 0x09FF),
    (0x0E00, 0x0E7F),
    (0x0F00, 0x0FFF),
    (0x10A0, 0x10FF),
    (0x1100, 0x11FF),
    (0x1200, 0x137F),
    (0x13A0, 0x13FF),
    (0x1680, 0x169F),
    (0x1800, 0x18AF),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x2000, 0x206F),
    (0x2070, 0x209F),
    (0x20A0, 0x20CF),
    (0x20D0, 0x20FF),
    (0x2100, 0x214F),
    (0x2150, 0x218F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x2460, 0x24FF),
    (0x2500, 0x257F),
    (0x2700, 0x27BF),
    (0x2C00, 0x2C5F),
    (0x2E00, 0x2E7F),
    (0x3000, 0x303F),
    (0x3040, 0x309F),
    (0x30A0, 0x30FF),
    (0x3100, 0x312F),
    (0x31C0, 0x31EF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA000, 0xA48F),
    (0xA830, 0xA83F),
    (0xAC00, 0xD7AF),
    (0xE000, 0xF8FF),
    (0xF900, 0xFAFF),
    (0xFB00, 0xFB4F),
    (0xFB50, 0xFDFF),
    (0xFE00, 0xFE0F),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0xFFF0, 0xFFFF),
    (0x10330, 0x1034F),
    (0x10400, 0x1044F),
    (0x10D40, 0x10D8F),
    (0x11F00, 0x11F5F),
    (0x16FE0, 0x16FFF),
    (0x1D100, 0x1D1FF),
    (0x1D400, 0x1D7FF),
    (0x1E030, 0x1E08F),
    (0x1F000, 0x1F02F),
    (0x1F300, 0x1F5FF),
    (0x1F600, 0x1F64F),
    (0x1F900, 0x1F9FF),
    (0x1FA70, 0x1FAFF),
    (0x20000, 0x2A6DF),
    (0x2B740, 0x2B81F),
    (0x31350, 0x323AF),
    (0xE0000, 0xE007F),
    (0xF0000, 0xF00FF),
]
_GLUE = list(" \n\t.,'!?-_0123456789aAzZ") + ["  ", "\n\n", "'s", "'ll", " the", "\u200d", "\u0301"]


def _random_string(rng: random.Random, length: int) -> str:
    out: list[str] = []
    while len(out) < length:
        r = rng.random()
        if r < 0.25:
            out.append(rng.choice(_GLUE))
            continue
        lo, hi = rng.choice(BLOCKS)
        for _ in range(rng.randint(1, 12)):  # runs of one block, like real text
            cp = rng.randint(lo, hi)
            if 0xD800 <= cp <= 0xDFFF:
                continue
            out.append(chr(cp))
    return "".join(out)


def _prose(rng: random.Random, words: int) -> str:
    out = []
    for i in range(words):
        w = rng.choice(PROSE_WORDS)
        out.append(w.capitalize() if i == 0 or out[-1].endswith(".") else w)
        if rng.random() < 0.08:
            out[-1] += rng.choice([".", ",", ";", ":", "?", "!"])
        if rng.random() < 0.01:
            out[-1] += "\n\n"
    return " ".join(out) + "."


_SWEEP_CONTEXTS = ("{c}", "a{c}", "{c}'s", " {c}1", "{c}{c}", "\n{c}b", "!{c} ", "{c}\u0301")


def _sweep(lo: int, hi: int) -> str:
    """Every code point in [lo, hi) in a few contexts that the split regexes tell apart."""
    out = []
    for cp in range(lo, hi):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        out.append(_SWEEP_CONTEXTS[cp % len(_SWEEP_CONTEXTS)].format(c=chr(cp)))
    return "".join(out)


def build_corpus() -> list[str]:
    """The documents, in a fixed order; the same on every machine and Python version."""
    rng = random.Random(SEED)
    docs = list(SNIPPETS)
    for _ in range(20):  # pairs of snippets glued with odd separators
        a, b = rng.sample(SNIPPETS, 2)
        docs.append(
            a[-rng.randint(1, 200) :] + rng.choice(["", " ", "\n", "\t", "  \n "]) + b[: rng.randint(1, 200)]
        )
    for _ in range(10):
        docs.append(_prose(rng, rng.randint(50, 600)))
    for _ in range(2000):
        docs.append(_random_string(rng, rng.randint(1, 400)))
    # Every code point of planes 0-3 and the tag/variation-selector block, 4096 per document.
    for lo in list(range(0, 0x32400, 4096)) + [0xE0000]:
        docs.append(_sweep(lo, lo + 4096))
    # One long input (>= 100,000 characters) mixing everything, as a pasted document would.
    parts: list[str] = []
    while sum(map(len, parts)) < 100_000:
        r = rng.random()
        if r < 0.45:
            parts.append(_prose(rng, rng.randint(20, 200)))
        elif r < 0.8:
            parts.append(rng.choice(SNIPPETS))
        else:
            parts.append(_random_string(rng, rng.randint(10, 300)))
        parts.append(rng.choice(["\n\n", " ", "\n", ""]))
    docs.append("".join(parts))
    return docs


def english_reply(target_tokens: int = 10_000) -> str:
    """A long English chat reply (prose with some code and a list), for the benchmarks."""
    rng = random.Random(SEED + 1)
    parts = []
    chars = target_tokens * 43 // 10  # about 4.3 characters per token in English prose
    while sum(map(len, parts)) < chars:
        parts.append(_prose(rng, rng.randint(40, 120)))
        if rng.random() < 0.1:
            parts.append("```python\n" + PYTHON[:400] + "\n```")
        if rng.random() < 0.1:
            parts.append("\n".join(f"- {_prose(rng, 8)}" for _ in range(4)))
    return "\n\n".join(parts)
