"""What each fixture must yield: the texts a reader sees (screen-reader labels, buttons, citation
chips and hidden reasoning panels left out), the model label the page shows, the reasoning time.
Prompts are the plain text the user typed; replies and reasoning are the Markdown the model
emitted, as the rendered HTML shows it (``**bold**``, ``- `` items, fenced code with the language
of the site's code-block header, ``$TeX$``; blocks a blank line apart, list items a line apart).

Written by reading the fixture HTML, not by running the adapters: they are the adapters' spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass(frozen=True)
class Turn:
    prompt: str
    reply: str
    reasoning: str = ""
    reasoning_seconds: float | None = None

    def as_dict(self) -> dict:
        return {"prompt": self.prompt, "reply": self.reply, "reasoning": self.reasoning,
                "reasoning_seconds": self.reasoning_seconds}


@dataclass(frozen=True)
class Fixture:
    name: str
    platform: str
    url: str  # where the page lives (its conversation id is replaced per test)
    conversation_id: str
    model_label: str
    turns: tuple[Turn, ...] = field(default_factory=tuple)

    @property
    def html(self) -> str:
        return (FIXTURES / f"{self.name}.html").read_text("utf-8")


ALL = {f.name: f for f in [
    Fixture(
        "chatgpt", "chatgpt", "https://chatgpt.com/c/68f2a1c4-3b7e-8012-9d4a-5e6f7a8b9c0d",
        "68f2a1c4-3b7e-8012-9d4a-5e6f7a8b9c0d", "gpt-5-2-thinking",
        (
            Turn("Why does pasta take longer to cook when I'm camping up in the mountains?",
                 "Because water boils at a **lower temperature** when the air pressure around it drops.\n\n"
                 "- At sea level water boils near 100 °C; at about 3,000 m it boils closer to 90 °C.\n"
                 "- Pasta softens according to the water's temperature, not to how hard it bubbles, so it needs extra "
                 "minutes.\n\n"
                 "A lid helps the pot recover heat faster, but it cannot push the boiling point back up.",
                 reasoning_seconds=12),
            Turn("This is my stove. Would a pressure cooker fix it?",
                 "Yes. A pressure cooker raises the pressure inside the pot, so the water can get hotter than its "
                 "open-air boiling point.\n\n```text\ncook time at altitude ~= sea-level time x 1.25\n```\n\n"
                 "Release the pressure gradually and check the pasta a minute early."),
        ),
    ),
    Fixture(
        "gemini", "gemini", "https://gemini.google.com/app/3f9c2a7b1d0e4c55", "3f9c2a7b1d0e4c55", "Pro Extended",
        (
            Turn("Why does pasta take longer to cook when I'm camping up in the mountains?",
                 "Water boils at a **lower temperature** when the air pressure around it drops.\n\n"
                 "- At sea level the boiling point is about $100^\\circ\\mathrm{C}$.\n"
                 "- Around 3,000 m it is closer to 90 °C, so pasta softens more slowly.",
                 reasoning="**Linking pressure and boiling**\n\nI'm connecting lower air pressure at height with an earlier "
                           "boiling point, which caps how hot the pot gets."),
            Turn("This is my stove.\nWould a pressure cooker fix it?",
                 "Yes. A sealed pot raises the inside pressure, so the water can get hotter than it would in the open "
                 "air.\n\n```text\ncook time at altitude ~= sea-level time x 1.25\n```"),
        ),
    ),
    Fixture(
        "deepseek", "deepseek", "https://chat.deepseek.com/a/chat/s/5b8e2c1d-7f4a-4e3b-9c6d-0a1b2c3d4e5f",
        "5b8e2c1d-7f4a-4e3b-9c6d-0a1b2c3d4e5f", "Expert DeepThink",
        (
            Turn("Why does pasta take longer to cook when I'm camping up in the mountains?",
                 "Water boils at a **lower temperature** when the air pressure drops.\n\n- Near sea level: about 100 °C.\n"
                 "- Around 3,000 m: roughly 90 °C, so pasta needs several extra minutes.",
                 reasoning="The user asks about cooking time at altitude. Lower air pressure means a lower boiling "
                           "point, so the water is cooler.\n\nI should give approximate temperatures and mention that "
                           "cooking depends on temperature, not on bubbling.",
                 reasoning_seconds=12),
            Turn("Would a pressure cooker fix it?",
                 "Yes. A pressure cooker raises the pressure inside the pot, so the water can reach about 120 °C and "
                 "the pasta cooks faster.\n\n```text\ncook time at altitude ~= sea-level time x 1.25\n```"),
        ),
    ),
    Fixture(
        "chatgpt_units", "chatgpt", "https://chatgpt.com/c/68f3b2d5-4c8f-8012-8e5b-6f7a8b9c0d1e",
        "68f3b2d5-4c8f-8012-8e5b-6f7a8b9c0d1e", "Thinking",
        (
            Turn("How do I descale a kettle\nwithout vinegar?",
                 "Use citric acid: dissolve one tablespoon in a full kettle of water and boil it.\n\n"
                 "Let it stand for twenty minutes, then rinse twice.", reasoning_seconds=8),
            Turn("And lemon juice?", "Lemon juice works too, it is just weaker."),
        ),
    ),
    Fixture(
        "chatgpt_article", "chatgpt", "https://chatgpt.com/c/66a0f1e2-7b3c-8012-9a4b-3c2d1e0f9a8b",
        "66a0f1e2-7b3c-8012-9a4b-3c2d1e0f9a8b", "gpt-4o",
        (
            Turn("How often should I water a snake plant?",
                 "Every two to three weeks, and less in winter.\n\nLet the soil dry out completely between waterings."),
        ),
    ),
    Fixture(
        "deepseek_2025", "deepseek", "https://chat.deepseek.com/a/chat/s/3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
        "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "DeepThink (R1)",
        (
            Turn("How often should I oil my bike chain?",
                 "Every 150 to 300 km, or after riding in the rain.\n\nWipe off the excess oil afterwards.",
                 reasoning="The user rides a bike and asks about chain maintenance.", reasoning_seconds=9),
        ),
    ),
    Fixture(
        "gemini_2025", "gemini", "https://gemini.google.com/u/1/app/5e6f7a8b9c0d1e2f", "5e6f7a8b9c0d1e2f", "2.5 Flash",
        (
            Turn("Why is my bread crust so pale?",
                 "The oven is probably not hot enough, or the loaf lacks sugar for browning."),
        ),
    ),
    Fixture(
        "claude", "claude", "https://claude.ai/chat/3c1f9a7e-5b2d-4e8f-a6c4-0d9b8e7f6a5c",
        "3c1f9a7e-5b2d-4e8f-a6c4-0d9b8e7f6a5c", "Opus 4.5",
        (
            Turn("Why does pasta take longer to cook when I'm camping up in the mountains?",
                 "Water boils at a **lower temperature** when the surrounding air pressure is lower.\n\n"
                 "- About 100 °C at sea level.\n- Roughly 90 °C around 3,000 m, so pasta needs extra minutes.",
                 reasoning="The question links altitude and cooking time; the key fact is the lower boiling point "
                           "under lower pressure.",
                 reasoning_seconds=6),
            Turn("This is my stove.\nWould a pressure cooker fix it?",
                 "Yes. A pressure cooker raises the pressure inside the pot, so the water can get hotter and the pasta "
                 "cooks faster.\n\n```text\ncook time at altitude ~= sea-level time x 1.25\n```"),
        ),
    ),
    Fixture(
        "claude_2025", "claude", "https://claude.ai/chat/8e2d4f6a-1b3c-4d5e-9f70-a1b2c3d4e5f6",
        "8e2d4f6a-1b3c-4d5e-9f70-a1b2c3d4e5f6", "Claude 3.7 Sonnet Extended",
        (
            Turn("How warm should I keep my sourdough starter?",
                 "Keep it between **24 and 27 °C** for a steady rise.\n\n"
                 "1. Below 20 °C it slows down and tastes more sour.\n2. Above 30 °C it peaks fast and collapses early."
                 "\n\n```plaintext\nfeed: 1 part starter, 1 part flour, 1 part water\n```",
                 reasoning="A starter is a culture of yeast and bacteria, and both respond to temperature. I should "
                           "give a range and say what happens outside it."),
        ),
    ),
    Fixture(
        "grok", "grok", "https://grok.com/c/9d4e6f1a-2b3c-4d5e-8f6a-7b8c9d0e1f2a",
        "9d4e6f1a-2b3c-4d5e-8f6a-7b8c9d0e1f2a", "Expert",
        (
            Turn("Why does pasta take longer to cook when I'm camping up in the mountains?",
                 "Water boils at a **lower temperature** when the air pressure drops.\n\n"
                 "- At sea level: about 100 °C.\n- Around 3,000 m: roughly 90 °C, so pasta needs a few extra minutes.",
                 reasoning="Altitude lowers the air pressure, and the boiling point follows it down.\n\n"
                           "Give the temperatures at sea level and at about 3,000 m.",
                 reasoning_seconds=9),
            Turn("This is my stove.\nWould a pressure cooker fix it?",
                 "Yes. A pressure cooker raises the pressure inside the pot, so the water can get hotter and the pasta "
                 "cooks faster.\n\n```text\ncook time at altitude ~= sea-level time x 1.25\n```"),
        ),
    ),
    Fixture(
        "grok_2025", "grok", "https://grok.com/chat/4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e",
        "4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e", "Grok 3 Think",
        (
            Turn("How often should I oil my bike chain?",
                 "Every 150 to 300 km, or after riding in the rain.\n\nWipe off the *excess* oil afterwards.",
                 reasoning_seconds=12),
        ),
    ),
    # ---- Microsoft Copilot, Perplexity, Mistral Le Chat (docs/sites.md §5) ----
    Fixture(
        "copilot", "copilot", "https://www.copilot.com/chats/Hq7TzX2mKcV9rWbN4pLsA", "Hq7TzX2mKcV9rWbN4pLsA",
        "Think Deeper",
        (
            Turn("How long should I steep green tea, and how hot should the water be?",
                 "Green tea tastes best with water **below boiling**.\n\n"
                 "- Heat the water to 70–80 °C.\n"
                 "- Steep for 2 to 3 minutes, then taste before going longer.\n\n"
                 "Longer steeping pulls out more tannins and makes the cup bitter.",
                 reasoning="The user wants steeping guidance for green tea. Boiling water scalds the leaves, so I "
                           "should give a lower temperature range and a short time.",
                 reasoning_seconds=14),
            Turn("Could you write me a small timer for it?\nPython is fine.",
                 "Here is a minimal one:\n\n```python\nimport time\n\ntime.sleep(150)\nprint(\"Your tea is ready\")\n```"
                 "\n\nRun it with `python timer.py` as soon as the water is poured."),
        ),
    ),
    Fixture(
        "copilot_2025", "copilot", "https://copilot.microsoft.com/chats/uV3nB8xQe1ZrT6kLw9Jd2", "uV3nB8xQe1ZrT6kLw9Jd2",
        "Quick response",
        (
            Turn("How often should I clean my bike chain?",
                 "Clean it every *few hundred kilometres*, and after any ride in mud or rain.\n\n"
                 "Degrease, dry it, then apply a thin coat of chain lube."),
        ),
    ),
    Fixture(
        "perplexity", "perplexity", "https://www.perplexity.ai/search/why-is-my-sourdough-loaf-dense-Xq3bT9kLRoy2vN8dWm1ePg",
        "why-is-my-sourdough-loaf-dense-Xq3bT9kLRoy2vN8dWm1ePg", "Claude Sonnet 4.6 Thinking",
        (
            Turn("Why is my sourdough loaf so dense?",
                 "A dense loaf almost always comes from **too little fermentation**.\n\n## Common causes\n\n"
                 "1. A starter that does not double within 6 hours of feeding.\n"
                 "2. A bulk ferment cut short in a cold kitchen.\n\n"
                 "| Kitchen | Bulk ferment |\n| --- | --- |\n| 20 °C | 8 h |\n| 26 °C | 5 h |",
                 reasoning="A dense crumb usually means the dough was under-proofed or the starter was weak. I should "
                           "list the common causes and one quick test."),
            Turn("How do I work out\nthe float test?",
                 "Drop a spoonful of starter into water: if it *floats*, it is ready.\n\n"
                 "```text\nfloats -> bake within the hour\nsinks  -> feed again and wait\n```"),
        ),
    ),
    Fixture(
        "perplexity_2025", "perplexity", "https://perplexity.ai/search/how-long-do-eggs-keep-Lm4cR8wQTz2hK6pYd0aVbN",
        "how-long-do-eggs-keep-Lm4cR8wQTz2hK6pYd0aVbN", "Best",
        (
            Turn("How long do eggs keep in the fridge?",
                 "About **three to five weeks** from the day you buy them.\n\n"
                 "Keep them in their carton on a shelf, not in the door."),
        ),
    ),
    Fixture(
        "mistral", "mistral", "https://chat.mistral.ai/chat/7d3e9a1b-4c2f-4e8d-a6b5-0f1e2d3c4b5a",
        "7d3e9a1b-4c2f-4e8d-a6b5-0f1e2d3c4b5a", "Think",
        (
            Turn("How do I stop my cast iron pan from rusting?",
                 "Keep it **dry** and **lightly oiled**:\n\n"
                 "1. Dry it on a low flame right after washing.\n"
                 "2. Wipe a few drops of oil over the whole surface while it is warm.\n\n"
                 "> Never leave it soaking in the sink.",
                 reasoning="Rust comes from moisture on bare iron. The answer is drying, then a thin layer of oil.",
                 reasoning_seconds=9),
            Turn("And if it is already rusty?",
                 "Scrub the rust off with steel wool, then re-season it in the oven:\n\n"
                 "```text\noven: 230 °C\ntime: 1 hour\nthen: let it cool inside\n```"),
        ),
    ),
    Fixture(
        "mistral_2025", "mistral", "https://chat.mistral.ai/chat/2b6c8e0a-1d3f-4a5b-9c7d-8e9f0a1b2c3d",
        "2b6c8e0a-1d3f-4a5b-9c7d-8e9f0a1b2c3d", "Think",
        (
            Turn("Can I freeze cooked rice?",
                 "Yes: cool it quickly, then freeze it flat in a bag for up to a month.", reasoning_seconds=7),
        ),
    ),
]}

# The three fixtures of the current DOMs, driven end to end through the extension.
MAIN = [ALL["chatgpt"], ALL["gemini"], ALL["deepseek"]]


# Conversation ids the adapters must read from URLs (site, URL, id or None when the page is no conversation).
URLS = [
    ("chatgpt", "https://chatgpt.com/c/68f2a1c4-3b7e-8012-9d4a-5e6f7a8b9c0d", "68f2a1c4-3b7e-8012-9d4a-5e6f7a8b9c0d"),
    ("chatgpt", "https://chatgpt.com/g/g-p-abc123-project/c/68f2a1c4-3b7e-8012-9d4a-5e6f7a8b9c0d?model=x",
     "68f2a1c4-3b7e-8012-9d4a-5e6f7a8b9c0d"),
    ("chatgpt", "https://chat.openai.com/c/68f2a1c4-3b7e-8012-9d4a-5e6f7a8b9c0d", "68f2a1c4-3b7e-8012-9d4a-5e6f7a8b9c0d"),
    ("chatgpt", "https://chatgpt.com/", None),
    ("chatgpt", "https://chatgpt.com/c/local-chatgpt%3A68f2a1c4", None),
    ("chatgpt", "https://chatgpt.com/gpts", None),
    ("gemini", "https://gemini.google.com/app/3f9c2a7b1d0e4c55", "3f9c2a7b1d0e4c55"),
    ("gemini", "https://gemini.google.com/u/2/app/3f9c2a7b1d0e4c55", "3f9c2a7b1d0e4c55"),
    ("gemini", "https://gemini.google.com/gem/coding-partner/3f9c2a7b1d0e4c55", "3f9c2a7b1d0e4c55"),
    ("gemini", "https://gemini.google.com/app", None),
    ("gemini", "https://gemini.google.com/gem/coding-partner", None),
    ("deepseek", "https://chat.deepseek.com/a/chat/s/5b8e2c1d-7f4a-4e3b-9c6d-0a1b2c3d4e5f",
     "5b8e2c1d-7f4a-4e3b-9c6d-0a1b2c3d4e5f"),
    ("deepseek", "https://chat.deepseek.com/chat/s/5b8e2c1d-7f4a-4e3b-9c6d-0a1b2c3d4e5f",
     "5b8e2c1d-7f4a-4e3b-9c6d-0a1b2c3d4e5f"),
    ("deepseek", "https://chat.deepseek.com/", None),
    ("claude", "https://claude.ai/chat/3c1f9a7e-5b2d-4e8f-a6c4-0d9b8e7f6a5c", "3c1f9a7e-5b2d-4e8f-a6c4-0d9b8e7f6a5c"),
    ("claude", "https://claude.ai/chat/3c1f9a7e-5b2d-4e8f-a6c4-0d9b8e7f6a5c?artifactId=x#y",
     "3c1f9a7e-5b2d-4e8f-a6c4-0d9b8e7f6a5c"),
    ("claude", "https://claude.ai/new", None),
    ("claude", "https://claude.ai/project/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", None),
    ("claude", "https://claude.ai/share/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", None),
    ("claude", "https://claude.ai/recents", None),
    ("grok", "https://grok.com/c/9d4e6f1a-2b3c-4d5e-8f6a-7b8c9d0e1f2a", "9d4e6f1a-2b3c-4d5e-8f6a-7b8c9d0e1f2a"),
    ("grok", "https://grok.com/c/9d4e6f1a-2b3c-4d5e-8f6a-7b8c9d0e1f2a?rid=5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
     "9d4e6f1a-2b3c-4d5e-8f6a-7b8c9d0e1f2a"),
    ("grok", "https://grok.com/chat/4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e", "4b5c6d7e-8f9a-4b0c-9d1e-2f3a4b5c6d7e"),
    ("grok", "https://grok.com/", None),
    ("grok", "https://grok.com/chat", None),
    ("grok", "https://grok.com/imagine", None),
    ("copilot", "https://copilot.microsoft.com/chats/Hq7TzX2mKcV9rWbN4pLsA", "Hq7TzX2mKcV9rWbN4pLsA"),
    ("copilot", "https://www.copilot.com/chats/Hq7TzX2mKcV9rWbN4pLsA?form=MA13LH", "Hq7TzX2mKcV9rWbN4pLsA"),
    ("copilot", "https://www.copilot.com/", None),
    ("copilot", "https://www.copilot.com/discover", None),
    ("perplexity", "https://www.perplexity.ai/search/why-is-my-sourdough-loaf-dense-Xq3bT9kLRoy2vN8dWm1ePg",
     "why-is-my-sourdough-loaf-dense-Xq3bT9kLRoy2vN8dWm1ePg"),
    ("perplexity", "https://perplexity.ai/search/how-long-do-eggs-keep-Lm4cR8wQTz2hK6pYd0aVbN?s=c",
     "how-long-do-eggs-keep-Lm4cR8wQTz2hK6pYd0aVbN"),
    ("perplexity", "https://www.perplexity.ai/", None),
    ("perplexity", "https://www.perplexity.ai/discover", None),
    ("mistral", "https://chat.mistral.ai/chat/7d3e9a1b-4c2f-4e8d-a6b5-0f1e2d3c4b5a", "7d3e9a1b-4c2f-4e8d-a6b5-0f1e2d3c4b5a"),
    ("mistral", "https://chat.mistral.ai/chat/7d3e9a1b-4c2f-4e8d-a6b5-0f1e2d3c4b5a?q=x", "7d3e9a1b-4c2f-4e8d-a6b5-0f1e2d3c4b5a"),
    ("mistral", "https://chat.mistral.ai/chat", None),
    ("mistral", "https://chat.mistral.ai/agents", None),
]

TEMPORARY_CHAT_URL = "https://chatgpt.com/?temporary-chat=true"
