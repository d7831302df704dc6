"""Stateful fuzz of ArenaToken against a Python ghost ledger.

Invariants: the sum of balances equals totalSupply, which never exceeds the
cap; every balance, allowance and nonce equals the ghost's; a permit is
accepted once and refused on replay; only minters mint.
"""

import boa
from eth_account import Account
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ape_arena.chain.permit import sign_permit
from support.constants import MAX_SUPPLY, WAD
from support.paths import contract_path

TOKEN = boa.load_partial(contract_path("ArenaToken"))
MAX_UINT = 2**256 - 1

# Holders with known keys, so that each of them can sign permits.
HOLDERS = [Account.from_key(bytes([i + 1]) * 32) for i in range(4)]
holder_index = st.integers(min_value=0, max_value=len(HOLDERS) - 1)
# Amounts span dust, ordinary sizes and sizes past any balance or the cap.
amount = st.one_of(
    st.integers(min_value=0, max_value=1_000),
    st.integers(min_value=0, max_value=10_000_000 * WAD),
    st.integers(min_value=MAX_SUPPLY // 2, max_value=MAX_SUPPLY + WAD),
)
allowance_amount = st.one_of(amount, st.just(MAX_UINT))


class TokenLedger(RuleBasedStateMachine):
    @initialize(genesis=st.integers(min_value=0, max_value=MAX_SUPPLY))
    def deploy(self, genesis):
        self.admin = boa.env.generate_address("admin")
        self.minters = [boa.env.generate_address(f"minter{i}") for i in range(2)]
        self.genesis_holder = HOLDERS[0].address
        with boa.env.prank(self.admin):
            self.token = TOKEN.deploy(self.admin, self.genesis_holder, genesis)
            self.token.grantRole(self.token.MINTER_ROLE(), self.minters[0])
        self.is_minter = {self.minters[0]: True, self.minters[1]: False}
        self.balances = {h.address: 0 for h in HOLDERS}
        self.balances[self.genesis_holder] = genesis
        self.allowances = {}
        self.nonces = {h.address: 0 for h in HOLDERS}
        self.used_permits = []
        self.supply = genesis
        note(f"deployed with genesis supply {genesis}")

    # --- rules -------------------------------------------------------------

    @rule(who=st.integers(min_value=0, max_value=1), to=holder_index, value=amount)
    def mint(self, who, to, value):
        minter = self.minters[who]
        receiver = HOLDERS[to].address
        note(f"minter{who} mints {value} to holder{to}")
        if not self.is_minter[minter]:
            with boa.reverts("token: caller is not a minter"), boa.env.prank(minter):
                self.token.mint(receiver, value)
        elif self.supply + value > MAX_SUPPLY:
            with boa.reverts("token: supply cap exceeded"), boa.env.prank(minter):
                self.token.mint(receiver, value)
        else:
            with boa.env.prank(minter):
                self.token.mint(receiver, value)
            self.balances[receiver] += value
            self.supply += value

    @rule(who=st.integers(min_value=0, max_value=1), grant=st.booleans())
    def set_minter(self, who, grant):
        minter = self.minters[who]
        role = self.token.MINTER_ROLE()
        note(f"admin {'grants' if grant else 'revokes'} minter{who}")
        with boa.env.prank(self.admin):
            if grant:
                self.token.grantRole(role, minter)
            else:
                self.token.revokeRole(role, minter)
        self.is_minter[minter] = grant

    @rule(src=holder_index, dst=holder_index, value=amount)
    def transfer(self, src, dst, value):
        a, b = HOLDERS[src].address, HOLDERS[dst].address
        note(f"holder{src} transfers {value} to holder{dst}")
        if value > self.balances[a]:
            with boa.reverts("erc20: transfer amount exceeds balance"), boa.env.prank(a):
                self.token.transfer(b, value)
            return
        with boa.env.prank(a):
            self.token.transfer(b, value)
        self.balances[a] -= value
        self.balances[b] += value

    @rule(owner=holder_index, spender=holder_index, value=allowance_amount)
    def approve(self, owner, spender, value):
        a, b = HOLDERS[owner].address, HOLDERS[spender].address
        note(f"holder{owner} approves holder{spender} for {value}")
        with boa.env.prank(a):
            self.token.approve(b, value)
        self.allowances[(a, b)] = value

    @rule(owner=holder_index, spender=holder_index, dst=holder_index, value=amount)
    def transfer_from(self, owner, spender, dst, value):
        a, s, d = (HOLDERS[i].address for i in (owner, spender, dst))
        allowed = self.allowances.get((a, s), 0)
        note(f"holder{spender} moves {value} of holder{owner} to holder{dst} (allowed {allowed})")
        if value > allowed:
            with boa.reverts("erc20: insufficient allowance"), boa.env.prank(s):
                self.token.transferFrom(a, d, value)
            return
        if value > self.balances[a]:
            with boa.reverts("erc20: transfer amount exceeds balance"), boa.env.prank(s):
                self.token.transferFrom(a, d, value)
            return
        with boa.env.prank(s):
            self.token.transferFrom(a, d, value)
        if allowed != MAX_UINT:
            self.allowances[(a, s)] = allowed - value
        self.balances[a] -= value
        self.balances[d] += value

    @rule(
        owner=holder_index,
        spender=holder_index,
        value=allowance_amount,
        ttl=st.integers(min_value=-100, max_value=10_000),
    )
    def permit(self, owner, spender, value, ttl):
        signer, s = HOLDERS[owner], HOLDERS[spender].address
        deadline = max(0, boa.env.evm.patch.timestamp + ttl)
        _, name, version, chain_id, _, _, _ = self.token.eip712Domain()
        sig = sign_permit(
            signer.key,
            name=name,
            version=version,
            chain_id=chain_id,
            token=self.token.address,
            spender=s,
            value=value,
            nonce=self.nonces[signer.address],
            deadline=deadline,
        )
        args = (signer.address, s, value, deadline, sig.v, sig.r, sig.s)
        note(f"holder{owner} permits holder{spender} for {value}, deadline in {ttl}s")
        if deadline < boa.env.evm.patch.timestamp:
            with boa.reverts("erc20: expired deadline"):
                self.token.permit(*args)
            return
        self.token.permit(*args)
        self.nonces[signer.address] += 1
        self.allowances[(signer.address, s)] = value
        self.used_permits.append(args)

    @rule(data=st.data())
    def replay_permit(self, data):
        if not self.used_permits:
            return
        args = data.draw(st.sampled_from(self.used_permits))
        note(f"replays a used permit of {args[0]}")
        if args[3] < boa.env.evm.patch.timestamp:
            with boa.reverts("erc20: expired deadline"):
                self.token.permit(*args)
        else:
            with boa.reverts("erc20: invalid signature"):
                self.token.permit(*args)

    @rule(seconds=st.integers(min_value=1, max_value=20_000))
    def time_passes(self, seconds):
        boa.env.time_travel(seconds=seconds)

    # --- invariants --------------------------------------------------------

    @invariant()
    def supply_is_sum_of_balances_and_capped(self):
        onchain = [self.token.balanceOf(h.address) for h in HOLDERS]
        assert sum(onchain) == self.token.totalSupply() == self.supply
        assert self.token.totalSupply() <= MAX_SUPPLY
        assert self.token.mintable() == MAX_SUPPLY - self.supply

    @invariant()
    def ledger_matches(self):
        for h in HOLDERS:
            assert self.token.balanceOf(h.address) == self.balances[h.address]
            assert self.token.nonces(h.address) == self.nonces[h.address]
        for (a, s), value in self.allowances.items():
            assert self.token.allowance(a, s) == value


TestTokenLedger = TokenLedger.TestCase
