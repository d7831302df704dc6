# pragma version ~=0.4.3
"""
@title Checkpointed values by block number
@notice The history of one value per account (here: voting power), so that
        the value an account had at the end of any past block can be read
        back, and the sum over every account (the total voting power) with
        its last two checkpoints. Governance reads voting power and the
        total at a proposal's snapshot block, so tokens staked or moved
        after it give no extra power and do not move the quorum.
@dev One storage word per checkpoint: block << 192 | value. Several writes
     in one block overwrite that block's checkpoint, so the history holds at
     most one entry per block and is sorted by block. Lookups are a binary
     search bounded by MAX_SEARCH_STEPS.
     The total keeps only its last checkpoint and the one before, two
     words overwritten in place: its value at the end of any block since
     the one before its last change. That is all governance asks for (the
     block before the current one), and it costs a write of a word that
     exists instead of a new word per block, on every stake and every
     withdrawal request.
"""

# @notice Binary search steps of a lookup: a history of 2**64 checkpoints
#         would take more blocks than any chain will ever have.
MAX_SEARCH_STEPS: constant(uint256) = 64

# @notice Largest value a checkpoint holds (callers keep values under the
#         token's 1e27 supply cap, far below it).
MAX_VALUE: constant(uint256) = 2**192 - 1

_BLOCK_SHIFT: constant(uint256) = 192

# _history[account][i]: the i-th checkpoint, oldest first.
_history: HashMap[address, HashMap[uint256, uint256]]
# _count[account]: number of checkpoints.
_count: HashMap[address, uint256]
# The total's latest checkpoint, and the one before it (block << 192 | value).
_total: uint256
_total_before: uint256


@internal
@view
def _latest(account: address) -> uint256:
    # The current value: that of the newest checkpoint, 0 with none.
    n: uint256 = self._count[account]
    if n == 0:
        return 0
    # n >= 1.
    return self._history[account][unsafe_sub(n, 1)] & MAX_VALUE


@internal
def _write(account: address, amount: uint256):
    # Record `amount` as the account's value from this block on.
    assert amount <= MAX_VALUE, "checkpoints: value out of range"
    packed: uint256 = (block.number << _BLOCK_SHIFT) | amount
    n: uint256 = self._count[account]
    if n != 0 and self._history[account][unsafe_sub(n, 1)] >> _BLOCK_SHIFT == block.number:
        self._history[account][unsafe_sub(n, 1)] = packed
        return
    self._history[account][n] = packed
    self._count[account] = n + 1


@internal
@view
def _at(account: address, block_number: uint256) -> uint256:
    # The account's value at the end of `block_number`: that of the newest
    # checkpoint written in that block or before, 0 with none.
    low: uint256 = 0
    high: uint256 = self._count[account]
    for _step: uint256 in range(MAX_SEARCH_STEPS):
        if low >= high:
            break
        # low < high <= 2**64: no overflow.
        mid: uint256 = unsafe_add(low, high) // 2
        if self._history[account][mid] >> _BLOCK_SHIFT > block_number:
            high = mid
        else:
            low = unsafe_add(mid, 1)
    if low == 0:
        return 0
    return self._history[account][unsafe_sub(low, 1)] & MAX_VALUE


@internal
@view
def _latest_total() -> uint256:
    # The total now.
    return self._total & MAX_VALUE


@internal
def _write_total(amount: uint256):
    # Record `amount` as the total from this block on; the checkpoint it
    # replaces becomes the one before when it is from an earlier block.
    assert amount <= MAX_VALUE, "checkpoints: value out of range"
    last: uint256 = self._total
    if last >> _BLOCK_SHIFT != block.number:
        self._total_before = last
    self._total = (block.number << _BLOCK_SHIFT) | amount


@internal
@view
def _total_at(block_number: uint256) -> uint256:
    # The total at the end of `block_number`, for any block since the one of
    # the checkpoint before the latest (0 before the first checkpoint).
    last: uint256 = self._total
    if block_number >= last >> _BLOCK_SHIFT:
        return last & MAX_VALUE
    before: uint256 = self._total_before
    assert block_number >= before >> _BLOCK_SHIFT, "checkpoints: total not kept that far back"
    return before & MAX_VALUE
