# pragma version ~=0.4.3
"""
@title Checkpointed values by block number
@notice The history of one value per account (here: voting power), so that
        the value an account had at the end of any past block can be read
        back, and the sum over every account (the total voting power) with
        its last two checkpoints. Governance reads voting power and the
        total at a proposal's snapshot block, so tokens staked or moved
        after it give no extra power and do not move the quorum.
@dev A checkpoint is 128 bits: block << 96 | value. An account's newest
     checkpoint and the number of its checkpoints share one word, its head:
         _head[account] = count << 128 | newest checkpoint
     so reading the value now is one storage read, and a write in the block
     of the newest checkpoint rewrites that word only. A write in a later
     block moves the newest checkpoint into the history, two checkpoints
     per word (checkpoint i in the low half of word i // 2 when i is even,
     the high half when odd): every other such write fills the second half
     of a word that exists (5,000 gas) instead of a new word (22,100).
     Several writes in one block overwrite that block's checkpoint, so the
     history holds at most one entry per block and is sorted by block.
     Lookups are a binary search bounded by MAX_SEARCH_STEPS.
     Values are at most MAX_VALUE (2**96 - 1): an account's value is part
     of the total, which must fit the same bound (`_write_total`), so the
     bound turns away no value the total would take. Blocks are at most
     MAX_BLOCK, 2**32 - 1: over 270 years of 2-second blocks.
     The total keeps only its last checkpoint and the one before, packed in
     one word overwritten in place (a 32-bit block and a 96-bit value
     each): its value at the end of any block since the one before its last
     change. That is all governance asks for (the block before the current
     one), and a stake or a withdrawal request pays one write of a word
     that exists, as a plain counter would, instead of a new word per
     block.
"""

# @notice Binary search steps of a lookup: a history of 2**64 checkpoints
#         would take more blocks than any chain will ever have.
MAX_SEARCH_STEPS: constant(uint256) = 64

# @notice Largest value a checkpoint holds (callers keep values under the
#         token's 1e27 supply cap, far below it).
MAX_VALUE: constant(uint256) = 2**96 - 1

# Layout of the total: before << 128 | latest, each checkpoint
# block << 96 | value (the same 128-bit checkpoint as an account's).
MAX_TOTAL: constant(uint256) = MAX_VALUE
MAX_BLOCK: constant(uint256) = 2**32 - 1
_TOTAL_BLOCK_SHIFT: constant(uint256) = 96
_CHECKPOINT_BITS: constant(uint256) = 128
_CHECKPOINT_MASK: constant(uint256) = 2**128 - 1

# _head[account]: count << 128 | newest checkpoint (0 with none).
_head: HashMap[address, uint256]
# _history[account][i]: checkpoints 2i (low half) and 2i + 1 (high half),
# oldest first; the newest checkpoint is in the head, not here.
_history: HashMap[address, HashMap[uint256, uint256]]
# The total's two latest checkpoints, packed (see MAX_TOTAL).
_total: uint256


@internal
@view
def _latest(account: address) -> uint256:
    # The current value: that of the newest checkpoint, 0 with none.
    return self._head[account] & MAX_VALUE


@internal
def _add(account: address, amount: uint256):
    # Raise the account's value, and the total, by `amount`. Each word is
    # read once and handed on.
    head: uint256 = self._head[account]
    self._write(account, head, (head & MAX_VALUE) + amount)
    packed: uint256 = self._total
    self._write_total(packed, (packed & MAX_TOTAL) + amount)


@internal
def _sub(account: address, amount: uint256):
    # Lower the account's value by `amount`, down to zero at most, and the
    # total by as much.
    head: uint256 = self._head[account]
    value: uint256 = head & MAX_VALUE
    lost: uint256 = min(amount, value)
    self._write(account, head, unsafe_sub(value, lost))
    packed: uint256 = self._total
    # lost <= value <= the total, which is the sum of every account's.
    self._write_total(packed, unsafe_sub(packed & MAX_TOTAL, lost))


@internal
def _write(account: address, head: uint256, amount: uint256):
    # Record `amount` as the account's value from this block on; `head` is
    # the account's head word, as just read.
    assert amount <= MAX_VALUE, "checkpoints: value out of range"
    assert block.number <= MAX_BLOCK, "checkpoints: block out of range"
    n: uint256 = head >> _CHECKPOINT_BITS
    if n != 0 and (head >> _TOTAL_BLOCK_SHIFT) & MAX_BLOCK != block.number:
        # The newest checkpoint, number n - 1, joins the history.
        newest: uint256 = head & _CHECKPOINT_MASK
        # n >= 1; the count is far below 2**128.
        last: uint256 = unsafe_sub(n, 1)
        if last % 2 == 0:
            self._history[account][last // 2] = newest
        else:
            self._history[account][last // 2] |= newest << _CHECKPOINT_BITS
        n = unsafe_add(n, 1)
    elif n == 0:
        n = 1
    self._head[account] = (n << _CHECKPOINT_BITS) | (block.number << _TOTAL_BLOCK_SHIFT) | amount


@internal
@view
def _at(account: address, block_number: uint256) -> uint256:
    # The account's value at the end of `block_number`: that of the newest
    # checkpoint written in that block or before, 0 with none.
    head: uint256 = self._head[account]
    if (head >> _TOTAL_BLOCK_SHIFT) & MAX_BLOCK <= block_number:
        # The newest checkpoint is old enough (or there is none: 0).
        return head & MAX_VALUE
    # Then the one sought is among the n - 1 in the history (n >= 1 since
    # the head is not empty).
    low: uint256 = 0
    high: uint256 = unsafe_sub(head >> _CHECKPOINT_BITS, 1)
    for _step: uint256 in range(MAX_SEARCH_STEPS):
        if low >= high:
            break
        # low < high <= 2**64: no overflow.
        mid: uint256 = unsafe_add(low, high) // 2
        if (self._old(account, mid) >> _TOTAL_BLOCK_SHIFT) & MAX_BLOCK > block_number:
            high = mid
        else:
            low = unsafe_add(mid, 1)
    if low == 0:
        return 0
    return self._old(account, unsafe_sub(low, 1)) & MAX_VALUE


@internal
@view
def _old(account: address, i: uint256) -> uint256:
    # Checkpoint number i of the history.
    word: uint256 = self._history[account][i // 2]
    if i % 2 == 0:
        return word & _CHECKPOINT_MASK
    return word >> _CHECKPOINT_BITS


@internal
@view
def _latest_total() -> uint256:
    # The total now.
    return self._total & MAX_TOTAL


@internal
def _write_total(packed: uint256, amount: uint256):
    # Record `amount` as the total from this block on (`packed`: the
    # total's word, as just read); the checkpoint it replaces becomes the
    # one before when it is from an earlier block.
    assert amount <= MAX_TOTAL, "checkpoints: value out of range"
    assert block.number <= MAX_BLOCK, "checkpoints: block out of range"
    kept: uint256 = packed >> _CHECKPOINT_BITS
    if (packed >> _TOTAL_BLOCK_SHIFT) & MAX_BLOCK != block.number:
        kept = packed & _CHECKPOINT_MASK
    self._total = (kept << _CHECKPOINT_BITS) | (block.number << _TOTAL_BLOCK_SHIFT) | amount


@internal
@view
def _total_at(block_number: uint256) -> uint256:
    # The total at the end of `block_number`, for any block since the one of
    # the checkpoint before the latest (0 before the first checkpoint).
    packed: uint256 = self._total
    if block_number >= (packed >> _TOTAL_BLOCK_SHIFT) & MAX_BLOCK:
        return packed & MAX_TOTAL
    assert block_number >= packed >> (_CHECKPOINT_BITS + _TOTAL_BLOCK_SHIFT), "checkpoints: total not kept that far back"
    return (packed >> _CHECKPOINT_BITS) & MAX_TOTAL
