"""The API operations, one module per area; importing this package registers their handlers."""

from kmspolicy.simulator.operations import aliases, crypto, grants, keys

__all__ = ["aliases", "crypto", "grants", "keys"]
