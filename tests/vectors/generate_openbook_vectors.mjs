// Generates tests/vectors/openbook_ts_vectors.json with the official OpenBook V2 TypeScript
// client (@openbook-dex/openbook-v2, pinned in package.json). Offline: the two RPC calls the
// builders make are stubbed, and Keypair.generate is made deterministic.
//
//   cd tests/vectors && npm ci && node generate_openbook_vectors.mjs [output.json]
//
// Each vector records the Python call that must reproduce it (tests/unit/openbook/
// test_openbook_ts_vectors.py): the encoder name, the MarketKeys, the account arguments, the
// argument struct and scalars, and the instruction the TS client built (program id, data,
// account metas).
import { createRequire } from 'node:module';
import { writeFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const anchor = require('@coral-xyz/anchor');
const web3 = require('@solana/web3.js');
const spl = require('@solana/spl-token');
const ob = require('@openbook-dex/openbook-v2');

const { BN } = anchor;
const { Keypair, PublicKey, Connection } = web3;
const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = (name) =>
  JSON.parse(readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;

// --- deterministic keys --------------------------------------------------------------------
const kp = (i) => Keypair.fromSeed(new Uint8Array(32).fill(i));
let generated = 100;
Keypair.generate = () => kp(generated++);

const K = {
  wallet: kp(1),
  market: kp(2),
  bids: kp(3),
  asks: kp(4),
  eventHeap: kp(5),
  baseMint: kp(6),
  quoteMint: kp(7),
  userBase: kp(8),
  userQuote: kp(9),
  delegate: kp(10),
  referrer: kp(11),
  makerA: kp(12),
  makerB: kp(13),
  openOrdersAdmin: kp(14),
  consumeEventsAdmin: kp(15),
  closeMarketAdmin: kp(16),
  oracleA: kp(17),
  oracleB: kp(18),
  solDestination: kp(19),
  penaltyPayer: kp(20),
  collectFeeAdmin: kp(21),
  owner2: kp(22),
};
const pk = (name) => K[name].publicKey;
const ZERO = PublicKey.default;
const programId = ob.OPENBOOK_PROGRAM_ID;

const connection = new Connection('http://127.0.0.1:9');
connection.getMinimumBalanceForRentExemption = async (size) => (size + 128) * 6960;
const provider = new anchor.AnchorProvider(connection, new anchor.Wallet(K.wallet), {});
const client = new ob.OpenBookV2Client(provider);
const methods = client.program.methods;

const [marketAuthority] = PublicKey.findProgramAddressSync(
  [Buffer.from('Market'), pk('market').toBuffer()],
  programId,
);
const baseVault = spl.getAssociatedTokenAddressSync(pk('baseMint'), marketAuthority, true);
const quoteVault = spl.getAssociatedTokenAddressSync(pk('quoteMint'), marketAuthority, true);

// A MarketAccount with only the fields the builders read; `opts` sets oracles and admins.
function marketAccount(opts = {}) {
  return {
    bids: pk('bids'),
    asks: pk('asks'),
    eventHeap: pk('eventHeap'),
    marketAuthority,
    marketBaseVault: baseVault,
    marketQuoteVault: quoteVault,
    oracleA: { key: opts.oracleA ?? ZERO },
    oracleB: { key: opts.oracleB ?? ZERO },
    openOrdersAdmin: { key: opts.openOrdersAdmin ?? ZERO },
    consumeEventsAdmin: { key: opts.consumeEventsAdmin ?? ZERO },
    closeMarketAdmin: { key: opts.closeMarketAdmin ?? ZERO },
  };
}

// The Python MarketKeys matching a marketAccount(opts): absent oracles are the zero key in the
// TS client (fact sheet 8.3.1); absent admins are null (the program id in the slot).
function marketKeys(opts = {}, admins = {}) {
  const k = (v) => (v == null ? null : v.toBase58());
  return {
    market: k(pk('market')),
    bids: k(pk('bids')),
    asks: k(pk('asks')),
    event_heap: k(pk('eventHeap')),
    market_authority: k(marketAuthority),
    base_vault: k(baseVault),
    quote_vault: k(quoteVault),
    oracle_a: k(opts.oracleA ?? ZERO),
    oracle_b: k(opts.oracleB ?? ZERO),
    open_orders_admin: k(admins.openOrdersAdmin ?? null),
    consume_events_admin: k(admins.consumeEventsAdmin ?? null),
    close_market_admin: k(admins.closeMarketAdmin ?? null),
  };
}

const ooAccount = (owner = pk('wallet')) => ({ owner, market: pk('market') });
const oo = () => pk('makerA'); // the OpenOrders account used as "ours"

const vectors = [];
function record(name, builder, call, ix) {
  vectors.push({
    name,
    builder,
    call,
    expected: {
      program_id: ix.programId.toBase58(),
      data_hex: Buffer.from(ix.data).toString('hex'),
      accounts: ix.keys.map((m) => ({
        pubkey: m.pubkey.toBase58(),
        is_signer: m.isSigner,
        is_writable: m.isWritable,
      })),
    },
  });
}
const b58 = (x) => x.toBase58();
const side = { bid: ob.SideUtils.Bid, ask: ob.SideUtils.Ask };
const orderType = [
  ob.PlaceOrderTypeUtils.Limit,
  ob.PlaceOrderTypeUtils.ImmediateOrCancel,
  ob.PlaceOrderTypeUtils.PostOnly,
  ob.PlaceOrderTypeUtils.Market,
  ob.PlaceOrderTypeUtils.PostOnlySlide,
];
const stb = [
  ob.SelfTradeBehaviorUtils.DecrementTake,
  ob.SelfTradeBehaviorUtils.CancelProvide,
  ob.SelfTradeBehaviorUtils.AbortTransaction,
];

// --- place_order ---------------------------------------------------------------------------
async function placeOrderCase(name, a, { opts = {}, remaining = [], delegate = null } = {}) {
  const args = {
    side: a.side === 0 ? side.bid : side.ask,
    priceLots: new BN(a.price_lots),
    maxBaseLots: new BN(a.max_base_lots),
    maxQuoteLotsIncludingFees: new BN(a.max_quote_lots_including_fees),
    clientOrderId: new BN(a.client_order_id),
    orderType: orderType[a.order_type],
    expiryTimestamp: new BN(a.expiry_timestamp),
    selfTradeBehavior: stb[a.self_trade_behavior],
    limit: a.limit,
  };
  const userToken = a.side === 0 ? pk('userQuote') : pk('userBase');
  const [ix] = await client.placeOrderIx(
    oo(), pk('market'), marketAccount(opts), userToken, args, remaining, delegate,
  );
  const admins = { openOrdersAdmin: opts.openOrdersAdmin };
  record(name, 'client.placeOrderIx', {
    fn: 'place_order',
    market_keys: marketKeys(opts, admins),
    accounts: {
      signer: b58(delegate ? delegate.publicKey : pk('wallet')),
      open_orders_account: b58(oo()),
      user_token_account: b58(userToken),
      remaining_accounts: remaining.map(b58),
    },
    args: a,
    scalars: {},
  }, ix);
}

const po = (over) => ({
  side: 0, price_lots: '12345', max_base_lots: '10', max_quote_lots_including_fees: '123450',
  client_order_id: '7', order_type: 2, expiry_timestamp: '0', self_trade_behavior: 1, limit: 16,
  ...over,
});

await placeOrderCase('place_order_bid_post_only', po({}));
await placeOrderCase('place_order_ask_limit_remaining', po({
  side: 1, price_lots: '2600', max_base_lots: '3', max_quote_lots_including_fees: '1000000000000',
  client_order_id: '1', order_type: 0, self_trade_behavior: 0, limit: 10,
}), { remaining: [pk('makerB'), pk('referrer')] });
await placeOrderCase('place_order_extremes', po({
  price_lots: '9223372036854775807', max_base_lots: '9223372036854775807',
  max_quote_lots_including_fees: '9223372036854775807', client_order_id: '18446744073709551615',
  order_type: 4, expiry_timestamp: '18446744073709551615', self_trade_behavior: 2, limit: 255,
}));
await placeOrderCase('place_order_ioc_delegate', po({ order_type: 1, side: 1 }),
  { delegate: K.delegate });
await placeOrderCase('place_order_market_oracles_admin', po({ order_type: 3 }), {
  opts: { oracleA: pk('oracleA'), oracleB: pk('oracleB'), openOrdersAdmin: pk('openOrdersAdmin') },
});

// --- batches ---------------------------------------------------------------------------------
function entries(list) {
  return list.map((e) => ({
    priceLots: new BN(e.price_lots),
    maxQuoteLotsIncludingFees: new BN(e.max_quote_lots_including_fees),
    expiryTimestamp: new BN(e.expiry_timestamp),
  }));
}
const entry = (p, q, e = '0') => ({
  price_lots: String(p), max_quote_lots_including_fees: String(q), expiry_timestamp: e,
});

async function batchCase(name, builderName, fn, a, { opts = {}, admin = null, delegate = null } = {}) {
  const [ix] = await client[builderName](
    oo(), pk('market'), marketAccount(opts), pk('userBase'), pk('userQuote'), admin,
    orderType[a.orders_type], entries(a.bids), entries(a.asks), a.limit, delegate,
  );
  record(name, `client.${builderName}`, {
    fn,
    market_keys: marketKeys(opts, { openOrdersAdmin: admin }),
    accounts: {
      signer: b58(delegate ? delegate.publicKey : pk('wallet')),
      open_orders_account: b58(oo()),
      user_base_account: b58(pk('userBase')),
      user_quote_account: b58(pk('userQuote')),
    },
    args: a,
    scalars: {},
  }, ix);
}

await batchCase('cancel_all_and_place_orders_small', 'cancelAllAndPlaceOrdersIx',
  'cancel_all_and_place_orders', {
    orders_type: 2, bids: [entry(100, 1000), entry(99, 990)], asks: [entry(101, 1010)], limit: 12,
  });
const grid = (n, start, step) =>
  Array.from({ length: n }, (_, i) => entry(start + i * step, (start + i * step) * (i + 1)));
await batchCase('cancel_all_and_place_orders_32_grid', 'cancelAllAndPlaceOrdersIx',
  'cancel_all_and_place_orders', {
    orders_type: 2, bids: grid(16, 2490, -10), asks: grid(16, 2510, 10), limit: 10,
  });
await batchCase('cancel_all_and_place_orders_empty_delegate', 'cancelAllAndPlaceOrdersIx',
  'cancel_all_and_place_orders', { orders_type: 0, bids: [], asks: [], limit: 0 },
  { delegate: K.delegate });
await batchCase('place_orders_expiry_admin_oracle', 'placeOrdersIx', 'place_orders', {
  orders_type: 4, bids: [entry(5, 50, '1717200100')], asks: [entry(7, 70, '18446744073709551615')],
  limit: 255,
}, { opts: { oracleA: pk('oracleA') }, admin: pk('openOrdersAdmin') });

// --- place_take_order ------------------------------------------------------------------------
async function takeCase(name, a, { admin = null, delegate = null, remaining = [] } = {}) {
  const args = {
    side: a.side === 0 ? side.bid : side.ask,
    priceLots: new BN(a.price_lots),
    maxBaseLots: new BN(a.max_base_lots),
    maxQuoteLotsIncludingFees: new BN(a.max_quote_lots_including_fees),
    orderType: orderType[a.order_type],
    limit: a.limit,
  };
  const [ix] = await client.placeTakeOrderIx(
    pk('market'), marketAccount(), pk('userBase'), pk('userQuote'), admin, args, remaining,
    delegate,
  );
  record(name, 'client.placeTakeOrderIx', {
    fn: 'place_take_order',
    market_keys: marketKeys({}, { openOrdersAdmin: admin }),
    accounts: {
      signer: b58(delegate ? delegate.publicKey : pk('wallet')),
      penalty_payer: b58(pk('wallet')),
      user_base_account: b58(pk('userBase')),
      user_quote_account: b58(pk('userQuote')),
      remaining_accounts: remaining.map(b58),
    },
    args: a,
    scalars: {},
  }, ix);
}
await takeCase('place_take_order_bid_market', {
  side: 0, price_lots: '2700', max_base_lots: '1', max_quote_lots_including_fees: '1000000',
  order_type: 3, limit: 10,
});
await takeCase('place_take_order_ask_ioc_admin_remaining', {
  side: 1, price_lots: '1', max_base_lots: '500', max_quote_lots_including_fees: '0',
  order_type: 1, limit: 0,
}, { admin: pk('openOrdersAdmin'), remaining: [pk('makerB')] });

// --- cancels ----------------------------------------------------------------------------------
const cancelAccounts = () => ({ signer: b58(pk('wallet')), open_orders_account: b58(oo()) });
for (const [name, id] of [
  ['cancel_order_u64_max', '18446744073709551615'],
  ['cancel_order_u128_large', '170141183460469231731687303715884105733'],
]) {
  const [ix] = await client.cancelOrderByIdIx(oo(), ooAccount(), marketAccount(), new BN(id));
  record(name, 'client.cancelOrderByIdIx', {
    fn: 'cancel_order', market_keys: marketKeys(), accounts: cancelAccounts(), args: null,
    scalars: { order_id: id },
  }, ix);
}
{
  const [ix] = await client.cancelOrderByClientIdIx(oo(), ooAccount(), marketAccount(), new BN(42));
  record('cancel_order_by_client_order_id', 'client.cancelOrderByClientIdIx', {
    fn: 'cancel_order_by_client_order_id', market_keys: marketKeys(), accounts: cancelAccounts(),
    args: null, scalars: { client_order_id: '42' },
  }, ix);
}
for (const [name, s, limit] of [
  ['cancel_all_orders_both', null, 24], ['cancel_all_orders_ask', 1, 24],
  ['cancel_all_orders_bid_limit_1', 0, 1],
]) {
  const tsSide = s === null ? null : s === 0 ? side.bid : side.ask;
  const [ix] = await client.cancelAllOrdersIx(oo(), ooAccount(), marketAccount(), limit, tsSide);
  record(name, 'client.cancelAllOrdersIx', {
    fn: 'cancel_all_orders', market_keys: marketKeys(), accounts: cancelAccounts(), args: null,
    scalars: { side_option: s, limit },
  }, ix);
}

// --- crank ------------------------------------------------------------------------------------
{
  const ix = await client.consumeEventsIx(pk('market'), marketAccount(), new BN(8),
    [pk('makerA'), pk('makerB')]);
  record('consume_events_limit_8', 'client.consumeEventsIx', {
    fn: 'consume_events', market_keys: marketKeys(),
    accounts: { open_orders_accounts: [b58(pk('makerA')), b58(pk('makerB'))] }, args: null,
    scalars: { limit: '8' },
  }, ix);
  const opts = { consumeEventsAdmin: pk('consumeEventsAdmin') };
  const ix2 = await client.consumeEventsIx(pk('market'), marketAccount(opts), new BN(1), []);
  record('consume_events_with_admin', 'client.consumeEventsIx', {
    fn: 'consume_events', market_keys: marketKeys(opts, opts), accounts: { open_orders_accounts: [] },
    args: null, scalars: { limit: '1' },
  }, ix2);
  // quirk 8.3.6: the zero key stands in the admin slot when the market has none
  const ix3 = await client.consumeGivenEventsIx(pk('market'), marketAccount(),
    [new BN(0), new BN(5), new BN(599)], [pk('makerA')]);
  record('consume_given_events_zero_admin', 'client.consumeGivenEventsIx', {
    fn: 'consume_given_events', market_keys: marketKeys({}, { consumeEventsAdmin: ZERO }),
    accounts: { open_orders_accounts: [b58(pk('makerA'))] }, args: null,
    scalars: { slots: ['0', '5', '599'] },
  }, ix3);
}

// --- funds ------------------------------------------------------------------------------------
{
  const ix = await client.depositIx(oo(), ooAccount(), marketAccount(), pk('userBase'),
    pk('userQuote'), new BN('5500000000'), new BN('18446744073709551615'));
  const funding = {
    owner: b58(pk('wallet')), open_orders_account: b58(oo()), user_base_account: b58(pk('userBase')),
    user_quote_account: b58(pk('userQuote')),
  };
  record('deposit', 'client.depositIx', {
    fn: 'deposit', market_keys: marketKeys(), accounts: funding, args: null,
    scalars: { base_amount: '5500000000', quote_amount: '18446744073709551615' },
  }, ix);
  const ix2 = await methods.refill(new BN(6000000000), new BN(0)).accounts({
    owner: pk('wallet'), market: pk('market'), openOrdersAccount: oo(),
    userBaseAccount: pk('userBase'), userQuoteAccount: pk('userQuote'),
    marketBaseVault: baseVault, marketQuoteVault: quoteVault,
    tokenProgram: spl.TOKEN_PROGRAM_ID,
  }).instruction();
  record('refill', 'program.methods.refill', {
    fn: 'refill', market_keys: marketKeys(), accounts: funding, args: null,
    scalars: { base_amount: '6000000000', quote_amount: '0' },
  }, ix2);
}
for (const [name, referrer, delegate] of [
  ['settle_funds', null, null],
  ['settle_funds_referrer', pk('referrer'), null],
  ['settle_funds_delegate', null, K.delegate],
]) {
  const [ix] = await client.settleFundsIx(oo(), ooAccount(), pk('market'), marketAccount(),
    pk('userBase'), pk('userQuote'), referrer, pk('penaltyPayer'), delegate);
  record(name, 'client.settleFundsIx', {
    fn: 'settle_funds', market_keys: marketKeys(),
    accounts: {
      owner: b58(delegate ? delegate.publicKey : pk('wallet')),
      penalty_payer: b58(pk('penaltyPayer')), open_orders_account: b58(oo()),
      user_base_account: b58(pk('userBase')), user_quote_account: b58(pk('userQuote')),
      referrer_account: referrer ? b58(referrer) : null,
    },
    args: null, scalars: {},
  }, ix);
}
{
  const ix = await methods.sweepFees().accounts({
    collectFeeAdmin: pk('collectFeeAdmin'), market: pk('market'), marketAuthority,
    marketQuoteVault: quoteVault, tokenReceiverAccount: pk('userQuote'),
    tokenProgram: spl.TOKEN_PROGRAM_ID,
  }).instruction();
  record('sweep_fees', 'program.methods.sweepFees', {
    fn: 'sweep_fees', market_keys: marketKeys(),
    accounts: { collect_fee_admin: b58(pk('collectFeeAdmin')),
      token_receiver_account: b58(pk('userQuote')) },
    args: null, scalars: {},
  }, ix);
}

// --- OpenOrders plumbing ------------------------------------------------------------------------
{
  const indexer = client.findOpenOrdersIndexer(pk('wallet'));
  const ix = await client.createOpenOrdersIndexerIx(indexer, pk('wallet'));
  record('create_open_orders_indexer', 'client.createOpenOrdersIndexerIx', {
    fn: 'create_open_orders_indexer', market_keys: null,
    accounts: { payer: b58(pk('wallet')), owner: b58(pk('wallet')) }, args: null, scalars: {},
  }, ix);

  // no indexer yet: the client prepends its creation and uses account number 1
  client.deserializeOpenOrdersIndexerAccount = async () => null;
  const [ixs, ooa] = await client.createOpenOrdersIx(pk('market'), 'bot', pk('wallet'), null);
  record('create_open_orders_account_first', 'client.createOpenOrdersIx', {
    fn: 'create_open_orders_account', market_keys: null,
    accounts: { payer: b58(pk('wallet')), owner: b58(pk('wallet')), market: b58(pk('market')),
      open_orders_account: b58(ooa), delegate: null },
    args: null, scalars: { name: 'bot', account_num: 1 },
  }, ixs[1]);

  // an indexer that already created 2 accounts; another owner than the payer, with a delegate
  client.deserializeOpenOrdersIndexerAccount = async () => ({ createdCounter: 2, addresses: [] });
  const [ixs2, ooa2] = await client.createOpenOrdersIx(pk('market'), 'swarm-wallet-07-segment-b',
    pk('owner2'), pk('delegate'));
  record('create_open_orders_account_third_delegate', 'client.createOpenOrdersIx', {
    fn: 'create_open_orders_account', market_keys: null,
    accounts: { payer: b58(pk('wallet')), owner: b58(pk('owner2')), market: b58(pk('market')),
      open_orders_account: b58(ooa2), delegate: b58(pk('delegate')) },
    args: null, scalars: { name: 'swarm-wallet-07-segment-b', account_num: 3 },
  }, ixs2[0]);

  const [ix3] = await client.closeOpenOrdersAccountIx(K.wallet, oo(), pk('solDestination'));
  record('close_open_orders_account', 'client.closeOpenOrdersAccountIx', {
    fn: 'close_open_orders_account', market_keys: null,
    accounts: { owner: b58(pk('wallet')), open_orders_account: b58(oo()),
      sol_destination: b58(pk('solDestination')) },
    args: null, scalars: {},
  }, ix3);

  // the client's closeOpenOrdersIndexerIx passes the wrong accounts (8.3.5): use the coder
  const ix4 = await methods.closeOpenOrdersIndexer().accounts({
    owner: pk('wallet'), openOrdersIndexer: indexer, solDestination: pk('wallet'),
    tokenProgram: spl.TOKEN_PROGRAM_ID,
  }).instruction();
  record('close_open_orders_indexer', 'program.methods.closeOpenOrdersIndexer', {
    fn: 'close_open_orders_indexer', market_keys: null,
    accounts: { owner: b58(pk('wallet')), sol_destination: b58(pk('wallet')) }, args: null,
    scalars: {},
  }, ix4);

  for (const [name, delegate] of [['set_delegate', pk('delegate')], ['set_delegate_clear', null]]) {
    const ix5 = await methods.setDelegate().accounts({
      owner: pk('wallet'), openOrdersAccount: oo(), delegateAccount: delegate,
    }).instruction();
    record(name, 'program.methods.setDelegate', {
      fn: 'set_delegate', market_keys: null,
      accounts: { owner: b58(pk('wallet')), open_orders_account: b58(oo()),
        delegate: delegate ? b58(delegate) : null },
      args: null, scalars: {},
    }, ix5);
  }
}

// --- edit_order (no client builder; the client's coder and IDL) ----------------------------------
{
  const a = po({ side: 1, client_order_id: '2', order_type: 2 });
  const ix = await methods.editOrder(new BN(1), new BN(10), {
    side: side.ask, priceLots: new BN(a.price_lots), maxBaseLots: new BN(a.max_base_lots),
    maxQuoteLotsIncludingFees: new BN(a.max_quote_lots_including_fees),
    clientOrderId: new BN(a.client_order_id), orderType: orderType[a.order_type],
    expiryTimestamp: new BN(a.expiry_timestamp), selfTradeBehavior: stb[a.self_trade_behavior],
    limit: a.limit,
  }).accounts({
    signer: pk('wallet'), openOrdersAccount: oo(), openOrdersAdmin: null,
    userTokenAccount: pk('userBase'), market: pk('market'), bids: pk('bids'), asks: pk('asks'),
    eventHeap: pk('eventHeap'), marketVault: baseVault, oracleA: null, oracleB: null,
    tokenProgram: spl.TOKEN_PROGRAM_ID,
  }).remainingAccounts([{ pubkey: pk('makerB'), isSigner: false, isWritable: true }]).instruction();
  record('edit_order', 'program.methods.editOrder', {
    fn: 'edit_order', market_keys: { ...marketKeys(), oracle_a: null, oracle_b: null },
    accounts: { signer: b58(pk('wallet')), open_orders_account: b58(oo()),
      user_token_account: b58(pk('userBase')), remaining_accounts: [b58(pk('makerB'))] },
    args: { client_order_id: '1', expected_cancel_size: '10', place_order: a }, scalars: {},
  }, ix);
}

// --- market administration -----------------------------------------------------------------------
async function createMarketCase(name, o) {
  generated = 100;
  const [ixs, signers] = await client.createMarketIx(
    pk('wallet'), o.name, pk('quoteMint'), pk('baseMint'), new BN(o.quote_lot_size),
    new BN(o.base_lot_size), new BN(o.maker_fee), new BN(o.taker_fee), new BN(o.time_expiry),
    o.oracleA, o.oracleB, o.openOrdersAdmin, o.consumeEventsAdmin, o.closeMarketAdmin,
    o.oracleConfig, K.market, o.collectFeeAdmin,
  );
  const cfg = o.oracleConfig ?? { confFilter: 0.1, maxStalenessSlots: 100 };
  const k = (v) => (v == null ? null : v.toBase58());
  record(name, 'client.createMarketIx', {
    fn: 'create_market',
    market_keys: {
      market: k(pk('market')), bids: k(signers[1].publicKey), asks: k(signers[2].publicKey),
      event_heap: k(signers[3].publicKey), market_authority: k(marketAuthority),
      base_vault: k(baseVault), quote_vault: k(quoteVault), oracle_a: k(o.oracleA),
      oracle_b: k(o.oracleB), open_orders_admin: k(o.openOrdersAdmin),
      consume_events_admin: k(o.consumeEventsAdmin), close_market_admin: k(o.closeMarketAdmin),
    },
    accounts: { payer: b58(pk('wallet')), base_mint: b58(pk('baseMint')),
      quote_mint: b58(pk('quoteMint')), collect_fee_admin: b58(o.collectFeeAdmin ?? pk('wallet')) },
    args: {
      name: o.name,
      oracle_config: { conf_filter: cfg.confFilter, max_staleness_slots: cfg.maxStalenessSlots },
      quote_lot_size: o.quote_lot_size, base_lot_size: o.base_lot_size, maker_fee: o.maker_fee,
      taker_fee: o.taker_fee, time_expiry: o.time_expiry,
    },
    scalars: { create_account_spaces: ixs.slice(0, 3).map((i) => Number(i.data.readBigUInt64LE(12))) },
  }, ixs[3]);
}
await createMarketCase('create_market_default', {
  name: 'BMV/USDC', quote_lot_size: '1', base_lot_size: '1000', maker_fee: '0', taker_fee: '0',
  time_expiry: '0', oracleA: null, oracleB: null, openOrdersAdmin: null,
  consumeEventsAdmin: null, closeMarketAdmin: null,
});
await createMarketCase('create_market_admins_oracles_fees', {
  name: 'SIXTEEN-BYTES-NM', quote_lot_size: '10', base_lot_size: '100000000', maker_fee: '-200',
  taker_fee: '400', time_expiry: '1893456000', oracleA: pk('oracleA'), oracleB: pk('oracleB'),
  openOrdersAdmin: pk('openOrdersAdmin'), consumeEventsAdmin: pk('consumeEventsAdmin'),
  closeMarketAdmin: pk('closeMarketAdmin'), collectFeeAdmin: pk('collectFeeAdmin'),
  oracleConfig: { confFilter: 0.25, maxStalenessSlots: null },
});
{
  const opts = { closeMarketAdmin: pk('closeMarketAdmin') };
  const [ix] = await client.pruneOrdersIx(pk('market'), marketAccount(opts), oo(), 24);
  record('prune_orders', 'client.pruneOrdersIx', {
    fn: 'prune_orders', market_keys: marketKeys(opts, opts),
    accounts: { open_orders_account: b58(oo()) }, args: null, scalars: { limit: 24 },
  }, ix);
}

// --- market end of life ---------------------------------------------------------------------------
{
  const opts = { closeMarketAdmin: pk('closeMarketAdmin') };
  const [ix] = await client.closeMarketIx(pk('market'), marketAccount(opts), pk('solDestination'));
  record('close_market', 'client.closeMarketIx', {
    fn: 'close_market', market_keys: marketKeys(opts, opts),
    accounts: { sol_destination: b58(pk('solDestination')) }, args: null, scalars: {},
  }, ix);
  const ix2 = await methods.setMarketExpired().accounts({
    closeMarketAdmin: pk('closeMarketAdmin'), market: pk('market'),
  }).instruction();
  record('set_market_expired', 'program.methods.setMarketExpired', {
    fn: 'set_market_expired', market_keys: marketKeys(opts, opts), accounts: {}, args: null,
    scalars: {},
  }, ix2);
  const ix3 = await methods.settleFundsExpired().accounts({
    closeMarketAdmin: pk('closeMarketAdmin'), owner: pk('wallet'), penaltyPayer: pk('penaltyPayer'),
    openOrdersAccount: oo(), market: pk('market'), marketAuthority, marketBaseVault: baseVault,
    marketQuoteVault: quoteVault, userBaseAccount: pk('userBase'), userQuoteAccount: pk('userQuote'),
    referrerAccount: pk('referrer'), tokenProgram: spl.TOKEN_PROGRAM_ID,
    systemProgram: web3.SystemProgram.programId,
  }).instruction();
  record('settle_funds_expired_referrer', 'program.methods.settleFundsExpired', {
    fn: 'settle_funds_expired', market_keys: marketKeys(opts, opts),
    accounts: {
      owner: b58(pk('wallet')), penalty_payer: b58(pk('penaltyPayer')),
      open_orders_account: b58(oo()), user_base_account: b58(pk('userBase')),
      user_quote_account: b58(pk('userQuote')), referrer_account: b58(pk('referrer')),
    },
    args: null, scalars: {},
  }, ix3);
}

const out = {
  format: 'openbook-ts-vectors',
  format_version: 1,
  generator: 'tests/vectors/generate_openbook_vectors.mjs',
  packages: {
    '@openbook-dex/openbook-v2': pkg('@openbook-dex/openbook-v2'),
    '@coral-xyz/anchor': pkg('@coral-xyz/anchor'),
    '@solana/web3.js': pkg('@solana/web3.js'),
    '@solana/spl-token': pkg('@solana/spl-token'),
  },
  node: process.version,
  keys: Object.fromEntries(Object.entries(K).map(([n, k]) => [n, k.publicKey.toBase58()])),
  vectors,
};
const target = process.argv[2] ?? path.join(here, 'openbook_ts_vectors.json');
writeFileSync(target, `${JSON.stringify(out, null, 1)}\n`);
console.log(`wrote ${vectors.length} vectors`);
