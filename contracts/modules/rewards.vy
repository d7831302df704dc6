# pragma version ~=0.4.3
"""
@title Reward formulas
@notice FLock's published reward formulas, in integer maths.
@dev With R the distributable reward, T and S the trainers' and validators'
     total stake weights, gamma and q in WAD:
         R_train = R * (gamma + (1 - 2 gamma) * T / (T + S))    (rounded down)
         R_val   = R - R_train
         trainer i at rank r_i:  w_i = q^r_i * t_i,   reward_i = R_train * w_i / sum(w)
         validator j:            w_j = trust_j * s_j,  reward_j = R_val * w_j / sum(w)
     Every division rounds down, so the sum of payouts never exceeds R; what
     rounding leaves behind is returned to the task's creator.
"""

from . import constants


@internal
@pure
def _train_share(reward: uint256, gamma: uint256, trainer_weight: uint256, validator_weight: uint256) -> uint256:
    """R_train for `reward`; the whole reward when nobody staked."""
    total: uint256 = trainer_weight + validator_weight
    if total == 0:
        return reward
    # gamma <= WAD / 2 is a bound of the parameter, so WAD - 2 gamma >= 0.
    numerator: uint256 = gamma * total + (constants.WAD - 2 * gamma) * trainer_weight
    return reward * numerator // (constants.WAD * total)


@internal
@pure
def _pow_wad(base: uint256, exponent: uint256) -> uint256:
    """base^exponent for a WAD base <= WAD, by squaring; rounds down."""
    result: uint256 = constants.WAD
    b: uint256 = base
    e: uint256 = exponent
    # exponent < 2**8 (ranks are below MAX_TRAINERS = 128): 8 rounds suffice.
    for _i: uint256 in range(8):
        if e == 0:
            break
        if e & 1 == 1:
            result = result * b // constants.WAD
        b = b * b // constants.WAD
        e >>= 1
    return result


@internal
@pure
def _share(amount: uint256, weight: uint256, total_weight: uint256) -> uint256:
    """amount * weight / total_weight, rounded down; 0 when total is 0."""
    if total_weight == 0:
        return 0
    return amount * weight // total_weight
