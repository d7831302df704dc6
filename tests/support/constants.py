"""Numbers the tests share."""

WAD = 10**18
MAX_SUPPLY = 1_000_000_000 * WAD
GENESIS_SUPPLY = 100_000_000 * WAD
ZERO_ADDRESS = "0x" + "00" * 20
