"""The ``promptwatt`` command line: ``commands`` builds the parser and the estimate/catalog/training
commands, ``chat`` the chat-accounting ones (tokens, chat, history)."""

from pycore.cli.commands import main

__all__ = ["main"]
