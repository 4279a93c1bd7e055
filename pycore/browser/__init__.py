"""The browser entry point: what the extension's Pyodide worker imports (``pycore.browser.handle``).

``entry`` answers the worker's JSON requests, ``prewarm`` fills the caches saved in the Pyodide
memory snapshot, ``bundle`` zips the inference path the extension ships.
"""

from pycore.browser.entry import handle

__all__ = ["handle"]
