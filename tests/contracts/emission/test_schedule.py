"""The emission schedule, to the wei.

D = 100,000 ARENA a day (support/dao.py), cut by 20% every year: each
checkpoint mints the pieces of the schedule since the last one, each piece
(up to a yearly cut, or up to now) floored on its own, and never more than
MAX_DECAYS_PER_CHECKPOINT cuts per call. With no task verified, all of it goes
to the treasury (governance).
"""

import boa
import pytest
from emission_support import (
    BPS,
    DAY,
    DECAY_BPS,
    MAX_DECAYS_PER_CHECKPOINT,
    YEAR,
    D,
    cut,
    logs_named,
    over,
)

from support.constants import GENESIS_SUPPLY


def warp_to(arena, timestamp: int) -> None:
    arena.warp_to(timestamp)
    assert arena.now() == timestamp


def checkpoint_and_check(arena, expected: int) -> None:
    """checkpoint() announces, returns, mints and pays `expected`."""
    emission, token, treasury = arena.emission, arena.token, arena.treasury
    supply, received = token.totalSupply(), token.balanceOf(treasury)
    assert emission.pending() == expected
    assert emission.checkpoint() == expected
    assert token.totalSupply() - supply == expected
    # No task is verified: the treasury takes everything.
    assert token.balanceOf(treasury) - received == expected
    assert token.balanceOf(emission) == 0


def test_one_day_releases_the_daily_emission(arena, emission, token, start):
    warp_to(arena, start + DAY)
    checkpoint_and_check(arena, D)
    (log,) = logs_named(emission, "Checkpointed")
    assert (log.released, log.to_tasks, log.to_treasury, log.until) == (D, 0, D, start + DAY)
    assert emission.emitted() == D
    assert token.totalSupply() == GENESIS_SUPPLY + D
    assert emission.last_checkpoint() == start + DAY
    assert emission.daily_emission() == D


def test_release_is_per_second_and_each_piece_is_floored(arena, emission, start):
    warp_to(arena, start + 1)
    first = D // DAY
    assert first == 1_157_407_407_407_407_407
    checkpoint_and_check(arena, first)
    warp_to(arena, start + DAY)
    checkpoint_and_check(arena, D * (DAY - 1) // DAY)
    # Two floored pieces: one wei short of the day's emission, never more.
    assert emission.emitted() == D - 1


def test_a_second_checkpoint_in_the_same_block_releases_nothing(arena, emission, token, start):
    warp_to(arena, start + 3 * DAY)
    checkpoint_and_check(arena, 3 * D)
    supply = token.totalSupply()
    assert emission.checkpoint() == 0
    assert logs_named(emission, "Checkpointed") == []
    assert token.totalSupply() == supply


def test_the_first_year_releases_365_days(arena, emission, start):
    warp_to(arena, start + YEAR)
    checkpoint_and_check(arena, 365 * D)
    # The cut applies at the anniversary itself.
    assert emission.daily_emission() == cut(D) == 80_000 * 10**18
    assert emission.next_decay_at() == start + 2 * YEAR


def test_the_cut_waits_for_its_second(arena, emission, start):
    warp_to(arena, start + YEAR - 1)
    checkpoint_and_check(arena, over(D, YEAR - 1))
    assert emission.daily_emission() == D
    assert emission.next_decay_at() == start + YEAR
    warp_to(arena, start + YEAR)
    checkpoint_and_check(arena, over(D, 1))
    assert emission.daily_emission() == cut(D)


def test_a_yearly_cut_splits_the_release_in_two_pieces(arena, emission, start):
    warp_to(arena, start + YEAR - 1_000)
    checkpoint_and_check(arena, over(D, YEAR - 1_000))
    warp_to(arena, start + YEAR + 5_000)
    before, after = over(D, 1_000), over(cut(D), 5_000)
    assert (before, after) == (1_157_407_407_407_407_407_407, 4_629_629_629_629_629_629_629)
    checkpoint_and_check(arena, before + after)
    assert emission.daily_emission() == cut(D)
    assert emission.next_decay_at() == start + 2 * YEAR
    assert emission.last_checkpoint() == start + YEAR + 5_000


def test_years_without_a_checkpoint_are_caught_up_in_bounded_calls(arena, emission, start):
    years, extra = 40, 12_345
    end = start + years * YEAR + extra
    # Yardstick: the same schedule checkpointed every year, on a snapshot.
    with boa.env.anchor():
        yearly = 0
        for k in range(1, years + 1):
            warp_to(arena, start + k * YEAR)
            yearly += emission.checkpoint()
        warp_to(arena, end)
        yearly += emission.checkpoint()

    # The daily emission of each year: cut by 20%, floored, every year.
    rates = [D]
    for _ in range(years):
        rates.append(cut(rates[-1]))
    # Exact while 5**k divides D = 1e23; from the 24th cut on, floored.
    assert rates[23] == D * 4**23 // 5**23
    assert D * 4**24 % 5**24 != 0 and rates[24] == rates[23] * 4 // 5

    warp_to(arena, end)
    first = 365 * sum(rates[0:16])
    assert MAX_DECAYS_PER_CHECKPOINT == 16
    checkpoint_and_check(arena, first)
    assert emission.last_checkpoint() == start + 16 * YEAR
    assert emission.next_decay_at() == start + 17 * YEAR
    assert emission.daily_emission() == rates[16]
    # The view announces the next bounded call, not the whole backlog.
    checkpoint_and_check(arena, 365 * sum(rates[16:32]))
    assert emission.last_checkpoint() == start + 32 * YEAR
    checkpoint_and_check(arena, 365 * sum(rates[32:40]) + over(rates[40], extra))
    assert emission.last_checkpoint() == end
    assert emission.next_decay_at() == start + 41 * YEAR
    assert emission.daily_emission() == rates[40]
    checkpoint_and_check(arena, 0)

    assert emission.emitted() == yearly
    # E(t) never exceeds 365 D0 / d, whatever t.
    assert emission.emitted() <= 365 * D * BPS // DECAY_BPS


def test_no_decay_keeps_the_daily_emission(arena, emission, start, governor):
    with boa.env.prank(governor):
        emission.set_decay_bps(0)
    warp_to(arena, start + 3 * YEAR + DAY)
    checkpoint_and_check(arena, 3 * 365 * D + D)
    assert emission.daily_emission() == D
    assert emission.next_decay_at() == start + 4 * YEAR


def test_a_zero_rate_releases_nothing_until_it_is_raised(arena, emission, token, start, governor):
    with boa.env.prank(governor):
        emission.set_daily_emission(0)
    warp_to(arena, start + 2 * YEAR + 100)
    supply = token.totalSupply()
    checkpoint_and_check(arena, 0)
    assert logs_named(emission, "Checkpointed") == []
    assert token.totalSupply() == supply
    # The clock still moved on: nothing of the zero-rate time is owed later.
    assert emission.last_checkpoint() == start + 2 * YEAR + 100
    assert emission.next_decay_at() == start + 3 * YEAR
    assert emission.daily_emission() == 0

    with boa.env.prank(governor):
        emission.set_daily_emission(D)
    # The next cut keeps the deployment's anniversary.
    warp_to(arena, start + 3 * YEAR + DAY)
    checkpoint_and_check(arena, over(D, YEAR - 100) + over(cut(D), DAY))


@pytest.mark.parametrize(
    "offset",
    [1, 59, DAY + 7, YEAR - 1, YEAR, YEAR + 1, 3 * YEAR + 17, 17 * YEAR + 5, 33 * YEAR],
)
def test_pending_is_what_checkpoint_mints(arena, emission, token, start, offset):
    warp_to(arena, start + offset)
    calls = 0
    while True:
        announced = emission.pending()
        supply = token.totalSupply()
        assert emission.checkpoint() == announced
        assert token.totalSupply() - supply == announced
        calls += 1
        if emission.last_checkpoint() == arena.now():
            break
    assert emission.pending() == 0
    # One call per MAX_DECAYS_PER_CHECKPOINT years, and one more for the rest.
    assert calls == offset // YEAR // MAX_DECAYS_PER_CHECKPOINT + 1
