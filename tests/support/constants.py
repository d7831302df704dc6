"""Numbers the tests share."""

WAD = 10**18
MAX_SUPPLY = 1_000_000_000 * WAD
GENESIS_SUPPLY = 100_000_000 * WAD
ZERO_ADDRESS = "0x" + "00" * 20

DAY = 86_400
# Staking parameters the tests deploy with (docs/staking.md lists the defaults).
UNBONDING_DELAY = 7 * DAY
COMMISSION_NOTICE = 7 * DAY
MAX_COMMISSION_BPS = 3_000
MAX_SLASH_BPS = 5_000
DELEGATION_WEIGHT_BPS = 10_000
