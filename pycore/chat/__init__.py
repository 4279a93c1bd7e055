"""Chat accounting: exact tokenizers, what a chat label stands for, stand-in architectures, a
conversation's energy exchange by exchange, and its impact (wall energy, CO2, equivalents)."""
