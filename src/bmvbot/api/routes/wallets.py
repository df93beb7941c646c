"""``/api/wallets`` and ``/api/swarm/addresses``: public wallet data only, never a secret key."""

from __future__ import annotations

from fastapi import APIRouter

from bmvbot.api.context import ApiContext
from bmvbot.api.deps import Context, CurrentUser
from bmvbot.api.schemas import SwarmAddressesResponse, WalletResponse
from bmvbot.core.errors import RetryableVenueError
from bmvbot.ports.store import WalletAddress

router = APIRouter(prefix="/api", tags=["wallets"])


async def _stored_addresses(context: ApiContext) -> list[WalletAddress]:
    if context.stores is None:
        return []
    return [record.address for record in await context.stores.wallets.wallets()]


@router.get("/wallets", response_model=list[WalletResponse])
async def wallets(user: CurrentUser, context: Context) -> list[WalletResponse]:
    """Return each swarm wallet's public key, label, role and holdings (native units).

    Holdings come from the running bot's last tick; label and role from the wallet store
    when there is one. Secret keys are never read here.
    """
    if context.bot is None:
        raise RetryableVenueError("no trading service runs in this process")
    stored = {address.pubkey: address for address in await _stored_addresses(context)}
    result = []
    for inventory in context.bot.service.state.wallets:
        address = stored.get(inventory.wallet)
        result.append(
            WalletResponse(
                wallet=inventory.wallet,
                label=None if address is None else address.label,
                role=None if address is None else address.role.value,
                base_native=inventory.base_native,
                quote_native=inventory.quote_native,
                base_locked_native=inventory.base_locked_native,
                quote_locked_native=inventory.quote_locked_native,
                lamports=inventory.lamports,
                bid_count=inventory.bid_count,
                ask_count=inventory.ask_count,
            )
        )
    return result


@router.get("/swarm/addresses", response_model=SwarmAddressesResponse)
async def swarm_addresses(user: CurrentUser, context: Context) -> SwarmAddressesResponse:
    """Return every address the bot trades or holds funds with, for auditors.

    The running swarm's wallets in swarm order, then every stored wallet (disabled ones
    included) not already listed. Public keys only.
    """
    addresses: list[str] = []
    if context.bot is not None:
        addresses.extend(await context.bot.service.wallets())
    seen = set(addresses)
    for address in await _stored_addresses(context):
        if address.pubkey not in seen:
            seen.add(address.pubkey)
            addresses.append(address.pubkey)
    return SwarmAddressesResponse(count=len(addresses), addresses=addresses)
