// Decodes the final OpenBook accounts of every golden trace with the official TypeScript client
// (@openbook-dex/openbook-v2, pinned in package.json) and writes openbook_ts_decodes.json.gz.
// tests/unit/openbook/test_openbook_ts_decodes.py checks the Python decoders agree, field by
// field, without Node.
//
//   cd tests/vectors && npm ci && node decode_golden_accounts.mjs [golden_dir] [output.json]
//
// Normalization: camelCase keys become snake_case, BN and numbers become decimal strings,
// PublicKeys base58, NonZeroPubkeyOption {key} its key, padding/reserved fields are dropped.
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const anchor = require('@coral-xyz/anchor');
const web3 = require('@solana/web3.js');
const ob = require('@openbook-dex/openbook-v2');

const here = path.dirname(fileURLToPath(import.meta.url));
const goldenDir = process.argv[2] ?? path.join(here, '..', '..', '..', 'shared', 'golden', 'openbook-v2');
const target = process.argv[3] ?? path.join(here, 'openbook_ts_decodes.json.gz');

const connection = new web3.Connection('http://127.0.0.1:9');
const provider = new anchor.AnchorProvider(connection, new anchor.Wallet(web3.Keypair.generate()), {});
const client = new ob.OpenBookV2Client(provider);
const coder = client.program.coder.accounts;

const snake = (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
function norm(v) {
  if (v === null || v === undefined) return null;
  if (v instanceof web3.PublicKey) return v.toBase58();
  if (anchor.BN.isBN(v)) return v.toString();
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (Array.isArray(v)) return v.map(norm);
  if (typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === 'key' && v.key instanceof web3.PublicKey) {
      return v.key.toBase58();
    }
    const out = {};
    for (const k of keys) {
      if (/^(padding|reserved|_pad)/.test(k)) continue;
      out[snake(k)] = k === 'name' && Array.isArray(v[k]) ? ob.nameToString(v[k]) : norm(v[k]);
    }
    return out;
  }
  return String(v);
}

const TYPES = {
  Market: 'market',
  OpenOrdersAccount: 'openOrdersAccount',
  OpenOrdersIndexer: 'openOrdersIndexer',
  BookSide: 'bookSide',
  EventHeap: 'eventHeap',
};

const entries = [];
for (const file of readdirSync(goldenDir).filter((f) => f.endsWith('.json.gz')).sort()) {
  const trace = JSON.parse(gunzipSync(readFileSync(path.join(goldenDir, file))).toString());
  // every distinct state of books, heaps and OpenOrders accounts; the final state of the rest
  const last = new Map();
  const states = new Map();
  const keep = (s) => {
    if (!s.exists) return;
    last.set(s.pubkey, s);
    if (['BookSide', 'EventHeap', 'OpenOrdersAccount'].includes(s.decoded?.type)) {
      states.set(s.data_sha256, s);
    }
  };
  trace.meta.initial_accounts.forEach(keep);
  for (const step of trace.steps) {
    if (step.kind === 'transaction') step.accounts.forEach(keep);
  }
  const raw = (s) => inflateSync(Buffer.from(s.data_zlib_b64, 'base64'));
  const markets = new Map();
  for (const s of last.values()) {
    if (s.decoded?.type === 'Market') {
      const account = coder.decode('market', raw(s));
      markets.set(s.pubkey, new ob.Market(client, new web3.PublicKey(s.pubkey), account));
    }
  }
  const marketOf = (pubkey, field) =>
    [...markets.values()].find((m) => m.account[field].toBase58() === pubkey);
  const chosen = [...last.values()].filter((s) => ['Market', 'OpenOrdersIndexer'].includes(s.decoded?.type));
  chosen.push(...states.values());
  for (const s of chosen) {
    const kind = s.decoded?.type;
    if (!(kind in TYPES)) continue;
    const data = raw(s);
    const sha = createHash('sha256').update(data).digest('hex');
    const decoded = coder.decode(TYPES[kind], data);
    const entry = { trace: file, pubkey: s.pubkey, type: kind, data_sha256: sha };
    if (kind === 'BookSide') {
      const field = decoded.nodes.orderTreeType === 0 ? 'bids' : 'asks';
      const market = marketOf(s.pubkey, field);
      if (market === undefined) continue;
      const side = field === 'bids' ? ob.SideUtils.Bid : ob.SideUtils.Ask;
      const book = new ob.BookSide(market, new web3.PublicKey(s.pubkey), decoded, side);
      entry.ts = {
        roots: norm(decoded.roots),
        order_tree_type: String(decoded.nodes.orderTreeType),
        bump_index: String(decoded.nodes.bumpIndex),
        free_list_len: String(decoded.nodes.freeListLen),
        free_list_head: String(decoded.nodes.freeListHead),
        orders: [...book.items()].map((o) => ({
          order_id: o.leafNode.key.toString(),
          price_lots: o.priceLots.toString(),
          base_lots: o.leafNode.quantity.toString(),
          owner: o.leafNode.owner.toBase58(),
          seq_num: o.seqNum.toString(),
          client_order_id: o.leafNode.clientOrderId.toString(),
          timestamp: o.leafNode.timestamp.toString(),
          time_in_force: String(o.leafNode.timeInForce),
          owner_slot: String(o.leafNode.ownerSlot),
          peg_limit: o.leafNode.pegLimit.toString(),
        })),
        l2: book.getL2(1000).map(([, , p, q]) => [p.toString(), q.toString()]),
      };
    } else if (kind === 'EventHeap') {
      const market = marketOf(s.pubkey, 'eventHeap');
      if (market === undefined) continue;
      const heap = new ob.EventHeap(new web3.PublicKey(s.pubkey), decoded, market);
      // EventHeap.parsedEvents() calls an unbound coder.types.decode and throws; walk with the
      // client's rawEvents() and decode each event with the client's coder, as it intends to
      const types = client.program.coder.types;
      const events = [...heap.rawEvents()].map((event) => {
        const buffer = Buffer.from([event.eventType].concat(event.padding));
        const name = event.eventType === 0 ? 'FillEvent' : 'OutEvent';
        return { event_type: name, ...norm(types.decode(name, buffer)) };
      });
      entry.ts = { header: norm(decoded.header), events };
    } else {
      entry.ts = norm(decoded);
    }
    entries.push(entry);
  }
}

const pkg = (name) =>
  JSON.parse(readFileSync(path.join(here, 'node_modules', name, 'package.json'), 'utf8')).version;
const out = {
  format: 'openbook-ts-decodes',
  format_version: 1,
  generator: 'tests/vectors/decode_golden_accounts.mjs',
  packages: {
    '@openbook-dex/openbook-v2': pkg('@openbook-dex/openbook-v2'),
    '@coral-xyz/anchor': pkg('@coral-xyz/anchor'),
  },
  entries,
};
// gzip with a fixed header (no timestamp) so regeneration is byte-identical
writeFileSync(target, gzipSync(`${JSON.stringify(out)}\n`, { level: 9 }));
console.log(`wrote ${entries.length} decoded accounts`);
