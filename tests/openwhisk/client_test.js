// OpenWhisk's own npm client (openwhisk@3.21.9, unchanged) against `hotmem
// serve`'s OpenWhisk API: a Python action created, invoked (blocking, with
// and without result, and non-blocking), its activations listed and read
// (record, result, logs; by start time too), an error, an action past its
// limits.timeout, an update (to a zipped action) and a delete.
//
// Run by tests/openwhisk-client-test, which starts the daemon and sets
// OW_APIHOST, OW_AUTH and NODE_PATH.
'use strict';
const assert = require('node:assert/strict');
const openwhisk = require('openwhisk');

const apihost = process.env.OW_APIHOST;
const api_key = process.env.OW_AUTH;
assert.ok(apihost && api_key, 'OW_APIHOST and OW_AUTH must be set');
const ow = openwhisk({ apihost, api_key });

const SRC = `
import time

def main(args):
    name = args.get("name", "stranger")
    print("hello " + name)
    if args.get("fail"):
        raise Exception("boom: " + name)
    time.sleep(args.get("sleep", 0))
    return {"greeting": args.get("greeting", "Hi") + " " + name}
`;
const SRC2 = SRC.replace('"greeting": ', '"version": 2, "greeting": ');

// A zip archive holding one file, stored (not compressed): enough for a
// zipped Python action (its __main__.py), with no zip library.
function zipOf(name, text) {
  const data = Buffer.from(text);
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  crc = (crc ^ 0xffffffff) >>> 0;
  const file = Buffer.from(name);
  const header = (signature, central) => {
    const h = Buffer.alloc(central ? 46 : 30);
    let at = 0;
    const u32 = (v) => { h.writeUInt32LE(v, at); at += 4; };
    const u16 = (v) => { h.writeUInt16LE(v, at); at += 2; };
    u32(signature);
    if (central) u16(20);                   // made by
    u16(20); u16(0); u16(0); u16(0); u16(0x21);  // needed, flags, stored, time, date 1980-01-01
    u32(crc); u32(data.length); u32(data.length); u16(file.length); u16(0);
    if (central) { u16(0); u16(0); u16(0); u32(0); u32(0); }  // comment, disk, attributes, offset 0
    return Buffer.concat([h, file]);
  };
  const local = Buffer.concat([header(0x04034b50, false), data]);
  const central = header(0x02014b50, true);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length, 12); end.writeUInt32LE(local.length, 16);
  return Buffer.concat([local, central, end]);
}

const began = Date.now();
async function step(what, fn) {
  const t = Date.now();
  await fn();
  console.log(`ok ${((Date.now() - t) / 1000).toFixed(1).padStart(5)} s  ${what}`);
}

// The OpenWhiskError the client throws for an HTTP error status.
async function rejects(promise, status, text) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.statusCode, status, `expected HTTP ${status}, got ${e.statusCode}: ${e.message}`);
    if (text) assert.match(e.message, text);
    return e;
  }
  assert.fail(`expected HTTP ${status}, got success`);
}

async function raw(method, path, body) {
  const r = await fetch(`${apihost}/api/v1/namespaces/_/${path}`, {
    method,
    headers: { Authorization: 'Basic ' + Buffer.from(api_key).toString('base64'), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, headers: r.headers, body: await r.json() };
}

async function poll(id) {
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) {
    try {
      return await ow.activations.get(id);
    } catch (e) {
      if (e.statusCode !== 404) throw e;  // 404 while it still runs, as OpenWhisk does
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`activation ${id} did not end within 60 s`);
}

const hexId = /^[0-9a-f]{32}$/;

(async () => {
  await step('a wrong key gets 401', async () => {
    const stranger = openwhisk({ apihost, api_key: '23bc46b1-71f6-4ed5-8c54-816aa4f8c502:wrong' });
    await rejects(stranger.actions.list(), 401, /Returned HTTP 401 \(Unauthorized\)/);
  });
  await step('namespaces.list', async () => {
    assert.deepEqual(await ow.namespaces.list(), ['guest']);
  });
  await step('an unknown action gets 404', async () => {
    const e = await rejects(ow.actions.get('hello'), 404, /does not exist/);
    assert.equal(typeof e.error.error, 'string');
  });
  await step('nodejs (the client\'s default kind) gets 400', async () => {
    await rejects(ow.actions.create({ name: 'js', action: 'function main() {}' }), 400, /runtime 'nodejs:default' is not supported/);
  });
  let created;
  await step('actions.create python:3 (boots its VM)', async () => {
    created = await ow.actions.create({
      name: 'hello', kind: 'python:3', action: SRC,
      limits: { memory: 256, timeout: 30000, concurrency: 1 },
      params: { greeting: 'Hello' }, annotations: { owner: 'test' },
    });
    assert.equal(created.version, '0.0.1');
    assert.equal(created.exec.kind, 'python:3');
    assert.equal(created.limits.memory, 256);
  });
  await step('creating it again gets 409', async () => {
    await rejects(ow.actions.create({ name: 'hello', kind: 'python:3', action: SRC }), 409, /resource already exists/);
  });
  await step('actions.get, ?code=false, actions.list', async () => {
    assert.equal((await ow.actions.get('hello')).exec.code, SRC);
    assert.equal((await ow.actions.get({ name: 'hello', code: false })).exec.code, undefined);
    assert.ok((await ow.actions.list()).some((a) => a.name === 'hello'));
  });
  await step('invoke blocking, result: true (cold start)', async () => {
    assert.deepEqual(await ow.actions.invoke({ name: 'hello', blocking: true, result: true, params: { name: 'World' } }),
                     { greeting: 'Hello World' });
  });
  let again;
  await step('invoke blocking: the full activation record', async () => {
    again = await ow.actions.invoke({ name: 'hello', blocking: true, params: { name: 'Again' } });
    assert.match(again.activationId, hexId);
    assert.equal(again.name, 'hello');
    assert.equal(again.response.success, true);
    assert.equal(again.response.status, 'success');
    assert.deepEqual(again.response.result, { greeting: 'Hello Again' });
    assert.ok(again.logs.some((l) => l.endsWith('stdout: hello Again')), JSON.stringify(again.logs));
    const annotations = Object.fromEntries(again.annotations.map((a) => [a.key, a.value]));
    assert.equal(annotations.path, 'guest/hello');
    assert.equal(annotations.kind, 'python:3');
    assert.equal(typeof annotations.waitTime, 'number');
    assert.ok(again.duration >= 0);
  });
  let later;
  await step('invoke non-blocking, then poll activations.get', async () => {
    const { activationId } = await ow.actions.invoke({ name: 'hello', params: { name: 'Later' } });
    assert.match(activationId, hexId);
    later = await poll(activationId);
    assert.equal(later.response.success, true);
  });
  await step('activations.list (briefs, and docs)', async () => {
    const briefs = await ow.activations.list({ name: 'hello', limit: 10 });
    const ids = briefs.map((a) => a.activationId);
    assert.ok(ids.includes(again.activationId) && ids.includes(later.activationId), JSON.stringify(ids));
    assert.ok(briefs.every((a) => a.statusCode === 0 && a.response === undefined));
    const docs = await ow.activations.list({ name: 'hello', limit: 2, docs: true });
    assert.equal(docs.length, 2);
    assert.ok(docs.every((a) => a.response && a.response.success));
    // since/upto keep those that started within them (both included).
    const within = await ow.activations.list({ name: 'hello', since: again.start, upto: later.start - 1 });
    assert.deepEqual(within.map((a) => a.activationId), [again.activationId]);
    assert.deepEqual(await ow.activations.list({ name: 'hello', since: later.start + 1 }), []);
  });
  await step('activations.result and activations.logs', async () => {
    assert.deepEqual(await ow.activations.result(later.activationId),
                     { status: 'success', success: true, result: { greeting: 'Hello Later' } });
    const { logs } = await ow.activations.logs(later.activationId);
    assert.ok(logs.some((l) => l.endsWith('stdout: hello Later')), JSON.stringify(logs));
  });
  await step('an action that raises: 502 with the activation', async () => {
    const e = await rejects(ow.actions.invoke({ name: 'hello', blocking: true, params: { fail: true, name: 'x' } }), 502,
                            /boom: x/);
    assert.equal(e.error.response.status, 'application error');
    assert.equal(e.error.response.success, false);
  });
  await step('raw: result=true, the blocking wait\'s timeout, bad ids', async () => {
    const bare = await raw('POST', 'actions/hello?blocking=true&result=true', { name: 'Raw' });
    assert.equal(bare.status, 200);
    assert.deepEqual(bare.body, { greeting: 'Hello Raw' });
    const slow = await raw('POST', 'actions/hello?blocking=true&timeout=300', { name: 'Slow', sleep: 2 });
    assert.equal(slow.status, 202);
    assert.match(slow.body.activationId, hexId);
    assert.equal(slow.headers.get('x-openwhisk-activation-id'), slow.body.activationId);
    assert.equal((await raw('POST', 'actions/hello?blocking=true&timeout=70000', {})).status, 400);
    assert.equal((await raw('GET', 'activations/xyz')).status, 400);
    assert.equal((await raw('GET', 'actions/hello', undefined)).status, 200);
  });
  await step('actions.update with parameters only (no new VM, version 0.0.2)', async () => {
    const t = Date.now();
    const updated = await ow.actions.update({ name: 'hello', params: { greeting: 'Howdy' } });
    assert.equal(updated.version, '0.0.2');
    assert.equal(updated.exec.code, SRC);
    assert.ok(Date.now() - t < 3000, 'a metadata update took as long as a boot');
    assert.deepEqual(await ow.actions.invoke({ name: 'hello', blocking: true, result: true, params: { name: 'P' } }),
                     { greeting: 'Howdy P' });
  });
  await step('limits.timeout: a run past it is the developer\'s error; the next run starts afresh', async () => {
    const updated = await ow.actions.update({ name: 'hello', limits: { timeout: 1000 } });
    assert.equal(updated.limits.timeout, 1000);
    const e = await rejects(ow.actions.invoke({ name: 'hello', blocking: true, params: { name: 'T', sleep: 4 } }), 502,
                            /exceeded its time limits of 1000 milliseconds/);
    assert.equal(e.error.response.status, 'action developer error');
    await rejects(ow.actions.update({ name: 'hello', limits: { timeout: 50 } }), 400, /between 100 milliseconds/);
    await ow.actions.update({ name: 'hello', limits: { timeout: 30000 } });
    assert.deepEqual(await ow.actions.invoke({ name: 'hello', blocking: true, result: true, params: { name: 'T2' } }),
                     { greeting: 'Howdy T2' });
  });
  await step('actions.update with new code, zipped (a new VM boots while the old one serves)', async () => {
    // A Buffer goes as base64 code without "binary": the daemon tells a zip
    // by its code, as OpenWhisk does, and the runner opens its __main__.py.
    const updating = ow.actions.update({ name: 'hello', kind: 'python:3', action: zipOf('__main__.py', SRC2) });
    await new Promise((r) => setTimeout(r, 300));
    // Meanwhile the old code answers (a VM boot takes seconds under TCG;
    // where it is quicker the new code may answer: never an error).
    const meanwhile = await ow.actions.invoke({ name: 'hello', blocking: true, result: true, params: { name: 'Old' } });
    const updated = await updating;
    if (meanwhile.version === undefined) {
      assert.deepEqual(meanwhile, { greeting: 'Howdy Old' });
    } else {
      console.log('   (the new VM was up before the invocation meant for the old one)');
    }
    assert.equal(updated.version, '0.0.5');
    assert.equal(updated.exec.binary, true);
    assert.deepEqual(await ow.actions.invoke({ name: 'hello', blocking: true, result: true, params: { name: 'New' } }),
                     { version: 2, greeting: 'Howdy New' });
  });
  await step('actions.delete, then 404', async () => {
    const deleted = await ow.actions.delete('hello');
    assert.equal(deleted.name, 'hello');
    await rejects(ow.actions.get('hello'), 404);
    await rejects(ow.actions.invoke({ name: 'hello', blocking: true }), 404);
  });
  console.log(`openwhisk client test: all passed in ${((Date.now() - began) / 1000).toFixed(1)} s`);
})().catch((e) => {
  console.error('openwhisk client test: FAIL:', e && e.stack ? e.stack : e);
  if (e && e.error) console.error('body:', JSON.stringify(e.error));
  process.exit(1);
});
