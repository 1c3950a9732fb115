#!/usr/bin/env node
// Checks relay.js against the conformance vectors (../shared/conformance/ next
// to the repository, or $CONFORMANCE_DIR), then starts it on port 0 and talks
// to it with ws clients, byte for byte against the vectors. Bounded: a
// watchdog ends the run after 10 s. `node selftest.js RELAY [ARGS]` runs the
// live part against another relay binary instead (e.g. build/bin/relay).
// Prints "N passed, N failed" and exits non-zero on any failure.
'use strict';

const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');
const { spawn } = require('node:child_process');
const WebSocket = require('ws');
const { verifyAuth, parseMessage, newCode } = require('./relay.js');

const dir = process.env.CONFORMANCE_DIR || path.resolve(__dirname, '../../../../shared/conformance');
const load = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
const identities = Object.fromEntries(load('identities.json').identities.map((i) => [i.name, i]));
const auth = load('auth.json');
const messages = load('messages.json');
const hex = (h) => Buffer.from(h, 'hex');
const byName = (list, name) => list.find((m) => m.name === name);

let passed = 0, failed = 0;
function check(name, fn) {
  try { fn(); passed++; } catch (e) { failed++; console.log(`FAIL ${name}: ${e.message}`); }
}
async function checkAsync(name, fn) {
  try { await fn(); passed++; } catch (e) { failed++; console.log(`FAIL ${name}: ${e.message}`); }
}

const watchdog = setTimeout(() => { console.log('FAIL watchdog: selftest took longer than 10 s'); process.exit(1); }, 10000);

// ------------------------------------------------------------ offline: auth.json

for (const c of auth.cases) {
  check(`auth ${c.name}`, () => {
    let got, step = null;
    try { got = verifyAuth(hex(c.challenge_hex), hex(c.identity_cose_key_hex), hex(c.cose_sign1_hex)); } catch (e) { step = e.step; }
    if (c.requires_feature) { assert.ok(step, 'ML-DSA-65 must be refused'); return; }
    if (c.expect === 'accept') {
      assert.strictEqual(step, null, `rejected (${step})`);
      assert.strictEqual(crypto.createHash('sha256').update(got).digest('hex'), c.fingerprint_hex);
    } else {
      assert.ok(step, 'accepted');
      // The step is the close reason; node:crypto cannot tell a point that is
      // not on the curve from a bad signature.
      const want = c.name === 'ed25519/reject/key-x-not-on-curve' ? 'signature' : c.failure;
      assert.strictEqual(step, want, `failed at ${step}, reference at ${c.failure}`);
    }
  });
}
for (const q of auth.reference_quirks) {
  check(`quirk ${q.name} is refused (as libsodium does)`, () => assert.throws(
    () => verifyAuth(hex(q.challenge_hex), hex(q.identity_cose_key_hex), hex(q.cose_sign1_hex))));
}

// ------------------------------------------------------------ offline: messages.json

// Where JSON.parse cannot see what serde_json sees (duplicate keys, 1.0 vs 1,
// huge numbers): known and listed, not failures. After auth the C++ relay
// ignores these frames; this relay acts on them.
// Server-only messages are ignored after auth with their bodies unchecked
// (before auth they close with "expected AuthResponse", not "malformed").
const KNOWN_DIVERGENT = new Set(['shape/two-variant-keys', 'duplicate/send-payload', 'duplicate/send-source-null',
  'type/payload-element-float', 'type/payload-element-exponent',
  'arity/challenge-31', 'arity/challenge-33', 'arity/challenge-nested', 'type/challenge-hex-string',
  'type/identity-fingerprint-33', 'missing/identity-info-identity']);
const divergent = [];
for (const m of messages.decode_reject) {
  const msg = parseMessage(m.text);
  if (msg === null) continue;
  divergent.push(m.name);
  check(`reject ${m.name}`, () => assert.ok(KNOWN_DIVERGENT.has(m.name), `accepted as ${msg.type}`));
}
for (const m of messages.decode_accept_variants) {
  check(`accept ${m.name}`, () => assert.notStrictEqual(parseMessage(m.text), null));
}
for (const m of messages.messages.filter((m) => m.direction === 'client->relay')) {
  check(`canonical ${m.name}`, () => assert.notStrictEqual(parseMessage(m.json), null));
}
for (const m of messages.spelling_specific) {
  check(`spelling ${m.name}`, () => assert.notStrictEqual(parseMessage(m.text), null));
}
console.log(`note: ${divergent.length} of ${messages.decode_reject.length} decode_reject texts are not rejected (known): ${divergent.join(', ')}`);
check('no variant from Object.prototype', () => {
  for (const t of ['"toString"', '"constructor"', '"__proto__"', '{"toString":null}', '{"__proto__":null}', '{"hasOwnProperty":{}}'])
    assert.strictEqual(parseMessage(t), null, t);
});
check('rendezvous code format', () => { for (let i = 0; i < 100; i++) assert.match(newCode(), /^[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}$/); });

// ------------------------------------------------------------ live

function client(url) {
  const ws = new WebSocket(url);
  const inbox = [], waiters = [];
  ws.on('message', (d) => { const s = d.toString(); (waiters.length ? waiters.shift() : (x) => inbox.push(x))(s); });
  ws.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.next = (ms = 2000) => inbox.length ? Promise.resolve(inbox.shift()) : new Promise((resolve, reject) => {
    const t = setTimeout(() => { waiters.splice(waiters.indexOf(done), 1); reject(new Error('no message')); }, ms);
    const done = (s) => { clearTimeout(t); resolve(s); };
    waiters.push(done);
  });
  ws.opened = new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  return ws;
}

function authResponse(name, challenge) {
  const id = identities[name];
  const key = crypto.createPrivateKey({ format: 'jwk', key: { kty: 'OKP', crv: 'Ed25519',
    d: hex(id.seed_hex).toString('base64url'), x: hex(id.public_key_hex).toString('base64url') } });
  const sig = crypto.sign(null, challenge, key);
  const sign1 = Buffer.concat([hex('8443a10127a05820'), challenge, hex('5840'), sig]);
  return JSON.stringify({ AuthResponse: [{ cose_key_bytes: Array.from(hex(id.cose_key_hex)) },
    { cose_sign1_bytes: Array.from(sign1) }] });
}

async function login(url, name) {
  const ws = client(url);
  await ws.opened;
  const challenge = Buffer.from(JSON.parse(await ws.next()).AuthChallenge);
  ws.send(authResponse(name, challenge));
  return ws;
}

// A frame the client sends itself (through the relay) marks "everything
// before this has been handled": nothing else arrived in between.
// `conns`: every connection of the identity (each gets the marker).
async function expectNothingBefore(selfFp, ...conns) {
  const marker = JSON.stringify({ Send: { destination: selfFp, payload: [42] } });
  conns[0].send(marker);
  for (const ws of conns) {
    const got = JSON.parse(await ws.next());
    assert.deepStrictEqual(got.Send && got.Send.payload, [42], `unexpected ${JSON.stringify(got).slice(0, 80)}`);
  }
}

async function live() {
  // `node selftest.js [RELAY [ARGS...]]` runs the live part against another
  // relay of the same command line (e.g. the C++ build/bin/relay).
  const [cmd, ...cmdArgs] = process.argv.length > 2 ? process.argv.slice(2) : [process.execPath, path.join(__dirname, 'relay.js')];
  const relay = spawn(cmd, [...cmdArgs, '--listen', '127.0.0.1:0', '--auth-timeout', '0.5', '--max-message', '65536',
    '--drain-seconds', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise((resolve) => relay.on('exit', (code, signal) => resolve({ code, signal })));
  const line = await new Promise((resolve) => readline.createInterface({ input: relay.stdout }).once('line', resolve));
  await checkAsync('listening line', async () => assert.match(line, /^listening on ws:\/\/127\.0\.0\.1:\d+$/));
  const url = line.slice('listening on '.length);
  const fp1 = JSON.parse(identities['ed25519-1'].fingerprint_json);
  const fp2 = JSON.parse(identities['ed25519-2'].fingerprint_json);

  await checkAsync('AuthChallenge shape', async () => {
    const ws = client(url);
    await ws.opened;
    assert.match(await ws.next(), /^\{"AuthChallenge":\[(\d{1,3},){31}\d{1,3}\]\}$/);
    ws.terminate();
  });

  const a = await login(url, 'ed25519-1');
  const a2 = await login(url, 'ed25519-1');
  const b = await login(url, 'ed25519-2');
  await checkAsync('authenticated (no reply)', async () => { await expectNothingBefore(fp1, a, a2); await expectNothingBefore(fp2, b); });

  await checkAsync('Send forwarded byte for byte', async () => {
    for (const [c, f] of [['Send/client', 'Send/forwarded'], ['Send/client-empty-payload', 'Send/forwarded-empty-payload'],
      ['Send/client-1000-byte-payload', 'Send/forwarded-1000-byte-payload']]) {
      a.send(byName(messages.messages, c).json);
      assert.strictEqual(await b.next(), byName(messages.messages, f).json);
    }
    for (const v of messages.decode_accept_variants.filter((v) => v.relay_forwards_json)) {
      a.send(v.text);
      assert.strictEqual(await b.next(), v.relay_forwards_json, v.name);
    }
  });

  await checkAsync('every connection of the destination gets a copy', async () => {
    b.send(JSON.stringify({ Send: { destination: fp1, payload: [1, 2, 3] } }));
    const want = JSON.stringify({ Send: { source: fp2, destination: fp1, payload: [1, 2, 3] } });
    assert.strictEqual(await a.next(), want);
    assert.strictEqual(await a2.next(), want);
  });

  await checkAsync('unknown destination and garbage are ignored', async () => {
    a.send(JSON.stringify({ Send: { destination: new Array(32).fill(7), payload: [1] } }));
    for (const m of messages.decode_reject.slice(0, 5)) a.send(m.text);
    a.send(Buffer.from('binary'), { binary: true });
    await expectNothingBefore(fp1, a, a2);
  });

  await checkAsync('rendezvous and identity', async () => {
    a.send('"GetRendezvous"');
    const info = await a.next();
    assert.match(info, /^\{"RendezvousInfo":\{"code":"[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}"\}\}$/);
    assert.strictEqual(await a2.next(), info);
    const code = JSON.parse(info).RendezvousInfo.code;
    b.send(JSON.stringify({ GetIdentity: { code } }));
    assert.strictEqual(await b.next(), byName(messages.messages, 'IdentityInfo/ed25519-1').json);
    b.send(JSON.stringify({ GetIdentity: { code } })); // spent: no answer
    b.send('{"GetIdentity":{"code":"AAA-AAA-AAA"}}'); // unknown: no answer
    await expectNothingBefore(fp2, b);
    b.send('"GetRendevouz"');
    assert.match(await b.next(), /^\{"RendevouzInfo":\{"code":"[A-Z0-9]{3}-[A-Z0-9]{3}-[A-Z0-9]{3}"\}\}$/);
  });

  const refused = async (name, act, reason, code = 1008) => checkAsync(name, async () => {
    const ws = client(url);
    await ws.opened;
    const challenge = Buffer.from(JSON.parse(await ws.next()).AuthChallenge);
    act(ws, challenge);
    assert.deepStrictEqual(await ws.closed, { code, reason });
  });
  await refused('refuse garbage', (ws) => ws.send('hello'), 'malformed message during authentication');
  await refused('refuse other message', (ws) => ws.send('"GetRendezvous"'), 'expected AuthResponse');
  await refused('refuse binary', (ws) => ws.send(Buffer.from('x'), { binary: true }), 'binary frame during authentication');
  await refused('refuse wrong challenge', (ws, ch) => ws.send(authResponse('ed25519-3', Buffer.alloc(32, 1))),
    'authentication failed: payload');
  await refused('refuse on timeout', () => {}, 'authentication timeout');
  await checkAsync('oversize frame closes with 1009', async () => {
    const ws = await login(url, 'ed25519-4');
    await expectNothingBefore(JSON.parse(identities['ed25519-4'].fingerprint_json), ws);
    ws.send(JSON.stringify({ Send: { destination: fp2, payload: new Array(40000).fill(1) } }));
    assert.strictEqual((await ws.closed).code, 1009);
  });

  await checkAsync('SIGTERM: clients get 1001, exit code 0', async () => {
    relay.kill('SIGTERM');
    assert.strictEqual((await a.closed).code, 1001);
    assert.deepStrictEqual(await exited, { code: 0, signal: null });
  });
}

live().catch((e) => { failed++; console.log(`FAIL live: ${e.stack}`); }).finally(() => {
  clearTimeout(watchdog);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
});
