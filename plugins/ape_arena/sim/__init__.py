"""In-process simulations of the protocol on titanoboa (no chain, no node)."""
