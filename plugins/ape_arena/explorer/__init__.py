"""`ape arena serve`: a read-only web explorer of one deployment.

`data` reads the chain (through `ape_arena.chain`, cached), `pages` renders
HTML from what it read, `app` is the Starlette application that joins them.
"""
