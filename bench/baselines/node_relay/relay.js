#!/usr/bin/env node
// A small relay of the same protocol as the C++ relay (docs/protocol.md), for
// JSON clients only, in plain Node.js on the `ws` package: the relay a
// developer would write instead. It is a benchmark baseline, not a product:
// one process, one thread, no clustering, no metrics, no rate limits.
'use strict';

const crypto = require('node:crypto');
const { WebSocketServer } = require('ws');

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const opts = {
    listen: process.env.BIND_ADDR || '127.0.0.1:8080',
    authTimeout: 10, // seconds (the C++ relay's default is 5)
    rendezvousTtl: 300, // seconds
    maxMessage: 1 << 20, // bytes; larger frames close with 1009 (C++ default: 16 MiB)
    maxOutbound: 8 << 20, // bytes queued for one client before "slow consumer"
    drainSeconds: 0,
  };
  const flags = {
    '--listen': (v) => { opts.listen = v; },
    '--auth-timeout': (v) => { opts.authTimeout = positive(v); },
    '--rendezvous-ttl': (v) => { opts.rendezvousTtl = positive(v); },
    '--max-message': (v) => { opts.maxMessage = positive(v); },
    '--max-outbound': (v) => { opts.maxOutbound = positive(v); },
    '--drain-seconds': (v) => { opts.drainSeconds = Number(v); if (!(opts.drainSeconds >= 0)) throw new Error('bad value'); },
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help' || argv[i] === '-h') {
      console.log('usage: node relay.js [--listen HOST:PORT] [--auth-timeout S] [--rendezvous-ttl S]\n' +
                  '                     [--max-message BYTES] [--max-outbound BYTES] [--drain-seconds S]');
      process.exit(0);
    }
    const set = flags[argv[i]];
    if (!set || i + 1 >= argv.length) usage(`unknown option or missing value: ${argv[i]}`);
    try { set(argv[++i]); } catch (e) { usage(`bad value for ${argv[i - 1]}: ${argv[i]}`); }
  }
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(opts.listen);
  if (!m) usage(`bad --listen address: ${opts.listen}`);
  opts.host = m[1] || m[2];
  opts.port = Number(m[3]);
  return opts;
}

function positive(v) {
  const n = Number(v);
  if (!(n > 0)) throw new Error('bad value');
  return n;
}

function usage(msg) {
  console.error(`relay.js: ${msg}`);
  process.exit(2);
}

// ---------------------------------------------------------------- CBOR

// A strict decoder for the CBOR the handshake needs: every major type,
// definite and indefinite lengths, no trailing bytes, map keys must be
// integers or text and must not repeat (COSE labels, as coset requires).
class Tagged { constructor(tag, value) { this.tag = tag; this.value = value; } }
const BREAK = Symbol('break');
const utf8 = new TextDecoder('utf-8', { fatal: true });

function cborDecode(buf) {
  let pos = 0;
  const need = (n) => { if (pos + n > buf.length) throw new Error('truncated'); };
  function arg(ai) {
    if (ai < 24) return ai;
    if (ai === 24) { need(1); return buf[pos++]; }
    if (ai === 25) { need(2); pos += 2; return buf.readUInt16BE(pos - 2); }
    if (ai === 26) { need(4); pos += 4; return buf.readUInt32BE(pos - 4); }
    if (ai === 27) {
      need(8); pos += 8;
      const v = buf.readBigUInt64BE(pos - 8);
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    throw new Error('reserved additional info');
  }
  function string(major, ai) {
    if (ai !== 31) { const n = Number(arg(ai)); need(n); pos += n; return buf.subarray(pos - n, pos); }
    const chunks = [];
    for (;;) {
      need(1);
      if (buf[pos] === 0xff) { pos++; return Buffer.concat(chunks); }
      const ib = buf[pos++];
      if (ib >> 5 !== major || (ib & 31) === 31) throw new Error('bad chunk');
      chunks.push(string(major, ib & 31));
    }
  }
  function item(depth, breakOk) {
    if (depth > 128) throw new Error('too deep');
    need(1);
    const ib = buf[pos++], major = ib >> 5, ai = ib & 31;
    switch (major) {
      case 0: return arg(ai);
      case 1: { const v = arg(ai); return typeof v === 'bigint' ? -1n - v : -1 - v; }
      case 2: return Buffer.from(string(2, ai));
      case 3: return utf8.decode(string(3, ai));
      case 4: {
        const out = [];
        if (ai === 31) { for (let v; (v = item(depth + 1, true)) !== BREAK;) out.push(v); return out; }
        const n = arg(ai);
        if (n > buf.length - pos) throw new Error('truncated');
        for (let i = 0; i < n; i++) out.push(item(depth + 1, false));
        return out;
      }
      case 5: {
        const out = new Map(), seen = new Set();
        const n = ai === 31 ? Infinity : arg(ai);
        if (n !== Infinity && n > buf.length - pos) throw new Error('truncated');
        for (let i = 0; i < n; i++) {
          const k = item(depth + 1, ai === 31);
          if (k === BREAK) break;
          if (typeof k !== 'number' && typeof k !== 'bigint' && typeof k !== 'string') throw new Error('bad label');
          const id = typeof k + ':' + k;
          if (seen.has(id)) throw new Error('duplicate label');
          seen.add(id);
          out.set(typeof k === 'bigint' ? k.toString() : k, item(depth + 1, false));
        }
        return out;
      }
      case 6: { const tag = arg(ai); return new Tagged(tag, item(depth + 1, false)); }
      default:
        if (ai === 20) return false;
        if (ai === 21) return true;
        if (ai === 22) return null;
        if (ai === 23) return undefined;
        if (ai === 24) { need(1); return { simple: buf[pos++] }; }
        if (ai === 25) { need(2); pos += 2; return halfFloat(buf.readUInt16BE(pos - 2)); }
        if (ai === 26) { need(4); pos += 4; return buf.readFloatBE(pos - 4); }
        if (ai === 27) { need(8); pos += 8; return buf.readDoubleBE(pos - 8); }
        if (ai === 31 && breakOk) return BREAK;
        if (ai < 20) return { simple: ai };
        throw new Error('bad simple value');
    }
  }
  const v = item(0, false);
  if (pos !== buf.length) throw new Error('trailing bytes');
  return v;
}

function halfFloat(h) {
  const e = (h >> 10) & 31, f = h & 1023, s = h & 0x8000 ? -1 : 1;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

// ---------------------------------------------------------------- COSE auth

const ALG_EDDSA = -8, ALG_ML_DSA_65 = -49;

// OpenSSL accepts a small-order public key (e.g. the identity point, for which
// "R = B, s = 1" verifies for every challenge); libsodium, and so the C++
// relay, refuses it. These are libsodium's encodings, compared without the
// top (sign) bit: the 8 small-order points and the non-canonical 0 and 1.
const SMALL_ORDER = new Set(['00'.repeat(32), '01' + '00'.repeat(31),
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ec' + 'ff'.repeat(30) + '7f', 'ed' + 'ff'.repeat(30) + '7f', 'ee' + 'ff'.repeat(30) + '7f']);
const isSmallOrder = (x) => { const y = Buffer.from(x); y[31] &= 0x7f; return SMALL_ORDER.has(y.toString('hex')); };

// message: the close reason; step: which check failed (as in auth.json).
class AuthError extends Error {
  constructor(step, reason) { super(reason || `authentication failed: ${step}`); this.step = step; }
}

// Checks an AuthResponse against the challenge in the reference's order
// (../shared/conformance/README.md). The COSE_Sign1 is untagged and its
// signature is over the raw 32 challenge bytes (not a COSE Sig_structure).
// Returns the raw public key; throws AuthError(step) otherwise.
function verifyAuth(challenge, coseKeyBytes, coseSign1Bytes) {
  const fail = (step) => { throw new AuthError(step); };
  let sign1, prot;
  try {
    sign1 = cborDecode(coseSign1Bytes);
    if (!Array.isArray(sign1) || sign1.length !== 4) fail('cbor');
    const [p, unprotected, payload, sig] = sign1;
    if (!Buffer.isBuffer(p) || !(unprotected instanceof Map) ||
        !(payload === null || Buffer.isBuffer(payload)) || !Buffer.isBuffer(sig)) fail('cbor');
    prot = p.length === 0 ? new Map() : cborDecode(p);
    if (!(prot instanceof Map)) fail('cbor');
  } catch (e) {
    throw e instanceof AuthError ? e : new AuthError('cbor');
  }
  const alg = prot.get(1);
  if (alg !== ALG_EDDSA && alg !== ALG_ML_DSA_65) fail('alg');
  let key;
  try { key = cborDecode(coseKeyBytes); } catch (e) { fail('identity'); }
  if (!(key instanceof Map) || !key.has(1)) fail('identity');
  const keyAlg = key.get(3);
  if (keyAlg !== ALG_EDDSA && keyAlg !== ALG_ML_DSA_65) fail('identity');
  if (keyAlg !== alg) fail('alg');
  const payload = sign1[2];
  if (payload === null || !payload.equals(challenge)) fail('payload');
  if (alg === ALG_ML_DSA_65) throw new AuthError('unsupported', 'ML-DSA-65 keys are not supported');
  const x = key.get(-2), sig = sign1[3];
  if (!Buffer.isBuffer(x) || x.length !== 32) fail('identity');
  if (sig.length !== 64 || isSmallOrder(x)) fail('signature');
  let pub;
  try {
    pub = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: x.toString('base64url') }, format: 'jwk' });
  } catch (e) { fail('identity'); }
  if (!crypto.verify(null, challenge, pub, sig)) fail('signature');
  return x;
}

// ---------------------------------------------------------------- JSON messages

// serde_json's view of the messages: externally tagged enum, byte strings as
// arrays of integers 0..255; derived structs may also come as arrays in field
// order; unknown fields are ignored. Returns null for anything else.
const isBytes = (a) => Array.isArray(a) && a.every((x) => Number.isInteger(x) && x >= 0 && x <= 255 && !Object.is(x, -0));
const isFp = (a) => isBytes(a) && a.length === 32;

// A derived struct's fields by name (from an object or a same-length array).
function fields(v, names) {
  if (Array.isArray(v)) return v.length === names.length ? v : null;
  if (v === null || typeof v !== 'object') return null;
  return names.map((n) => (Object.prototype.hasOwnProperty.call(v, n) ? v[n] : undefined));
}

// Request spelling -> reply spelling. A Map, so that "toString" is no variant.
const UNIT = new Map([['GetRendezvous', 'RendezvousInfo'], ['GetRendevouz', 'RendevouzInfo']]);

function parseMessage(text) {
  let v;
  try { v = JSON.parse(text); } catch (e) { return null; }
  if (typeof v === 'string') return UNIT.has(v) ? { type: 'GetRendezvous', reply: UNIT.get(v) } : null;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const keys = Object.keys(v);
  if (keys.length !== 1) return null;
  const [name] = keys, body = v[name];
  if (UNIT.has(name)) return body === null ? { type: 'GetRendezvous', reply: UNIT.get(name) } : null;
  switch (name) {
    case 'Send': {
      const f = fields(body, ['source', 'destination', 'payload']);
      if (!f || !(f[0] === undefined || f[0] === null || isFp(f[0])) || !isFp(f[1]) || !isBytes(f[2])) return null;
      return { type: 'Send', destination: f[1], payload: f[2] };
    }
    case 'GetIdentity': {
      const f = fields(body, ['code']);
      return f && typeof f[0] === 'string' ? { type: 'GetIdentity', code: f[0] } : null;
    }
    case 'AuthResponse': {
      if (!Array.isArray(body) || body.length !== 2) return null;
      const id = fields(body[0], ['cose_key_bytes']), resp = fields(body[1], ['cose_sign1_bytes']);
      if (!id || !resp || !isBytes(id[0]) || !isBytes(resp[0])) return null;
      return { type: 'AuthResponse', coseKey: id[0], coseSign1: resp[0] };
    }
    case 'AuthChallenge': case 'RendezvousInfo': case 'RendevouzInfo': case 'IdentityInfo':
      return { type: 'server-only' }; // ignored after auth (their bodies are not checked)
    default:
      return null; // unknown variant
  }
}

// ---------------------------------------------------------------- the relay

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function newCode() {
  let s = '';
  for (let i = 0; i < 9; i++) s += (i === 3 || i === 6 ? '-' : '') + ALPHABET[crypto.randomInt(36)];
  return s;
}

function startRelay(opts) {
  const identities = new Map(); // fingerprint hex -> Set of sockets
  const codes = new Map(); // code -> { owner: fingerprint hex, timer }

  const wss = new WebSocketServer({ host: opts.host, port: opts.port, maxPayload: opts.maxMessage, clientTracking: true });

  function deliver(fpHex, frame) {
    const conns = identities.get(fpHex);
    if (!conns) return;
    for (const ws of conns) {
      if (ws.bufferedAmount > opts.maxOutbound) { ws.close(1008, 'slow consumer'); continue; }
      ws.send(frame);
    }
  }

  function onMessage(ws, data, isBinary) {
    if (ws.readyState !== ws.OPEN) return; // closing: nothing more from it counts
    if (!ws.fp) {
      if (isBinary) return ws.close(1008, 'binary frame during authentication');
      const msg = parseMessage(data.toString('utf8'));
      if (!msg) return ws.close(1008, 'malformed message during authentication');
      if (msg.type !== 'AuthResponse') return ws.close(1008, 'expected AuthResponse');
      let pub;
      try {
        pub = verifyAuth(ws.challenge, Buffer.from(msg.coseKey), Buffer.from(msg.coseSign1));
      } catch (e) {
        if (!(e instanceof AuthError)) throw e;
        return ws.close(1008, e.message);
      }
      clearTimeout(ws.authTimer);
      const fp = crypto.createHash('sha256').update(pub).digest();
      ws.fp = fp.toString('hex');
      ws.fpBytes = Array.from(fp);
      ws.identity = msg.coseKey;
      if (!identities.has(ws.fp)) identities.set(ws.fp, new Set());
      identities.get(ws.fp).add(ws);
      return;
    }
    if (isBinary) return; // JSON clients only; ignored after auth
    const msg = parseMessage(data.toString('utf8'));
    if (!msg) return;
    if (msg.type === 'Send') {
      const frame = JSON.stringify({ Send: { source: ws.fpBytes, destination: msg.destination, payload: msg.payload } });
      deliver(Buffer.from(msg.destination).toString('hex'), frame);
    } else if (msg.type === 'GetRendezvous') {
      const code = newCode();
      const timer = setTimeout(() => codes.delete(code), opts.rendezvousTtl * 1000);
      timer.unref();
      codes.set(code, { owner: ws.fp, timer });
      deliver(ws.fp, JSON.stringify({ [msg.reply]: { code } }));
    } else if (msg.type === 'GetIdentity') {
      const entry = codes.get(msg.code);
      if (!entry) return; // unknown, used or expired: no answer
      codes.delete(msg.code);
      clearTimeout(entry.timer);
      const owners = identities.get(entry.owner);
      if (!owners) return; // owner not connected: the code is spent anyway
      const owner = owners.values().next().value;
      deliver(ws.fp, JSON.stringify({ IdentityInfo: { fingerprint: owner.fpBytes, identity: { cose_key_bytes: owner.identity } } }));
    }
    // AuthResponse again, server-only messages: ignored
  }

  wss.on('connection', (ws) => {
    ws.challenge = crypto.randomBytes(32);
    ws.authTimer = setTimeout(() => ws.close(1008, 'authentication timeout'), opts.authTimeout * 1000);
    ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
    ws.on('error', () => {}); // e.g. oversize frame: ws closes with 1009 itself
    ws.on('close', () => {
      clearTimeout(ws.authTimer);
      const conns = ws.fp && identities.get(ws.fp);
      if (conns && conns.delete(ws) && conns.size === 0) identities.delete(ws.fp);
    });
    ws.send(JSON.stringify({ AuthChallenge: Array.from(ws.challenge) }));
  });

  wss.on('listening', () => {
    const { address, port } = wss.address();
    const host = address.includes(':') ? `[${address}]` : address;
    process.stdout.write(`listening on ws://${host}:${port}\n`);
  });

  wss.on('error', (e) => {
    console.error(`relay.js: ${e.message}`);
    process.exit(1);
  });

  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(0); // a second signal stops at once
    stopping = true;
    setTimeout(() => {
      wss.close();
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      setTimeout(() => process.exit(0), 100).unref();
    }, opts.drainSeconds * 1000);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return wss;
}

module.exports = { cborDecode, verifyAuth, parseMessage, newCode, startRelay, parseArgs };

if (require.main === module) startRelay(parseArgs(process.argv.slice(2)));
