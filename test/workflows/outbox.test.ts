/**
 * The webhook outbox on a real dev server, posting to the sandbox's webhook receiver
 * (`/_control/webhooks`, one `inbox` per endpoint, answering what the endpoint's URL asks for).
 * Retry schedules are shortened through the input (bounded); the SSRF cases name literal
 * non-loopback addresses that are refused before any connection is made.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { SwitchboardClientError } from '../../src/client/index.js';
import { type DeliveryView, type WebhookDeliveryInput } from '../../src/contracts/outbox.js';
import { postSigned, resolveTarget, TargetPolicy, TargetRefused } from '../../src/providers/webhooks.js';
import { SandboxControl } from '../../src/sandbox/control.js';
import { ConfigError, Credentials, eventAllowed, parseEnv, WebhookEndpoints } from '../../src/config.js';
import { createHarness, eventually, type Harness, switchboardCli } from '../support/harness.js';

const secret = (s: string) => 'whsec_' + Buffer.from(`switchboard-outbox-${s}-0123456789`).toString('base64');
const SECRET = secret('main');
const OLD = secret('old');
const NEW = secret('new');

const sandbox = new SandboxControl(inject('sandboxOrigin'));
const endpoints = {
  ok: sandbox.webhookUrl('ok'),
  rotated: sandbox.webhookUrl('rotated'),
  gates: sandbox.webhookUrl('gates'),
  busy: sandbox.webhookUrl('busy', { status: 503, retryAfter: 2, failFirst: 1 }),
  flaky: sandbox.webhookUrl('flaky', { status: 500, failFirst: 2 }),
  gone: sandbox.webhookUrl('gone', { status: 410 }),
  down: sandbox.webhookUrl('down', { status: 500 }),
  teapot: sandbox.webhookUrl('teapot', { status: 418 }),
  metadata: 'http://169.254.169.254/latest/meta-data/',
  private: 'http://10.0.0.1:8080/hook',
};

let h: Harness;
beforeAll(async () => {
  const extraEnv: NodeJS.ProcessEnv = {};
  for (const [alias, url] of Object.entries(endpoints)) {
    extraEnv[`SWITCHBOARD_WEBHOOK_${alias.toUpperCase()}_URL`] = url;
    extraEnv[`SWITCHBOARD_WEBHOOK_${alias.toUpperCase()}_SECRET`] = alias === 'rotated' ? `${OLD},${NEW}` : SECRET;
  }
  extraEnv.SWITCHBOARD_WEBHOOK_GATES_EVENTS = 'gate.*,monitor.alert';
  h = await createHarness({ name: 'outbox', extraEnv });
});
afterAll(async () => h?.close());
beforeEach(async () => h.control.reset());

let seq = 0;
const msgId = (what: string) => `msg-${what}-${Date.now()}-${++seq}`;
const send = (endpoint: string, more: Partial<WebhookDeliveryInput> = {}) =>
  h.sb.outbox.send({
    endpoint,
    messageId: msgId(endpoint),
    eventType: 'test.event',
    payload: { hello: endpoint },
    ...more,
  });
const result = (id: string) => h.client.workflow.getHandle(id).result() as Promise<DeliveryView>;
/** Waits until the delivery is a dead letter (it stays open for replay). */
const dead = (id: string) =>
  eventually(async () => {
    const v = await h.sb.outbox.show(id);
    return v.status === 'dead' ? v : undefined;
  });

const cli = (...args: string[]) => switchboardCli(h)(...args);

describe('delivery', () => {
  it('signs with the Standard Webhooks scheme: webhook-id is the message id, verified with the secret', async () => {
    const { workflowId, duplicate } = await send('ok', {
      messageId: 'order-4711.created',
      eventType: 'order.created',
      payload: { order: 4711 },
    });
    expect(duplicate).toBe(false);
    expect(workflowId).toBe('outbox-ok-order-4711.created');
    const v = await result(workflowId);
    expect(v).toMatchObject({
      status: 'delivered',
      attemptCount: 1,
      attempts: [{ outcome: 'delivered', status: 200, n: 1 }],
    });
    const got = await h.control.webhooks('ok');
    expect(got).toHaveLength(1);
    expect(got[0]!.headers['webhook-id']).toBe('order-4711.created');
    const body = new Webhook(SECRET).verify(got[0]!.raw, got[0]!.headers) as {
      type: string;
      data: unknown;
      timestamp: string;
    };
    expect(body).toMatchObject({ type: 'order.created', data: { order: 4711 } });
    expect(() => new Webhook(secret('other')).verify(got[0]!.raw, got[0]!.headers)).toThrow();
  });

  it('signs with every secret while one is rotated: a receiver with either verifies', async () => {
    const { workflowId } = await send('rotated');
    expect((await result(workflowId)).status).toBe('delivered');
    const [d] = await h.control.webhooks('rotated');
    expect(d!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const s of [OLD, NEW])
      expect(new Webhook(s).verify(d!.raw, d!.headers)).toMatchObject({ data: { hello: 'rotated' } });
  });

  it('delivers a message id once: a second send is a duplicate, before and after delivery', async () => {
    const input = { endpoint: 'ok', messageId: msgId('once'), eventType: 'test.once', payload: { n: 1 } };
    const first = await h.sb.outbox.send(input);
    const again = await h.sb.outbox.send({ ...input, payload: { n: 2 } });
    expect(again).toEqual({ workflowId: first.workflowId, duplicate: true });
    await result(first.workflowId);
    expect(await h.sb.outbox.send(input)).toMatchObject({ duplicate: true });
    const got = await h.control.webhooks('ok');
    expect(got).toHaveLength(1);
    expect((got[0]!.body as { data: unknown }).data).toEqual({ n: 1 });
  });

  it('retries 5xx on schedule and delivers; the body is the same on every attempt', async () => {
    const { workflowId } = await send('flaky', { retrySchedule: [0, 0.2, 0.2] });
    const v = await result(workflowId);
    expect(v.status).toBe('delivered');
    expect(v.attempts.map((a) => a.outcome)).toEqual(['failed', 'failed', 'delivered']);
    const got = await h.control.webhooks('flaky');
    expect(got).toHaveLength(3);
    expect(new Set(got.map((g) => g.raw)).size).toBe(1);
    expect(new Set(got.map((g) => g.headers['webhook-id'])).size).toBe(1);
  });

  it('honours Retry-After: the next attempt waits for it, not the shorter schedule', async () => {
    const { workflowId } = await send('busy', { retrySchedule: [0, 0.1] });
    const v = await result(workflowId);
    expect(v.status).toBe('delivered');
    expect(v.attempts[0]).toMatchObject({ outcome: 'failed', status: 503, retryAfterSeconds: 2 });
    const [a, b] = await h.control.webhooks('busy');
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(1900);
  });

  it('one failing endpoint does not delay another', async () => {
    const slow = await send('down', { retrySchedule: [0, 30] });
    await eventually(async () => (await h.control.webhooks('down')).length === 1);
    const fast = await send('ok');
    const started = Date.now();
    expect((await result(fast.workflowId)).status).toBe('delivered');
    expect(Date.now() - started).toBeLessThan(10_000);
    await h.client.workflow.getHandle(slow.workflowId).terminate('test done');
  });
});

describe('410 Gone', () => {
  it('disables the endpoint: the next delivery is not attempted until it is enabled', async () => {
    const first = await send('gone', { retrySchedule: [0, 0.1, 0.1] });
    const v1 = await dead(first.workflowId);
    expect(v1.attempts).toHaveLength(1); // 410 is not retried
    expect(v1.deadReason).toContain('410');
    expect(await h.sb.outbox.disabled()).toEqual(
      expect.arrayContaining([expect.objectContaining({ endpoint: 'gone' })]),
    );

    const second = await send('gone');
    const v2 = await dead(second.workflowId);
    expect(v2.attempts[0]).toMatchObject({ outcome: 'disabled' });
    expect(await h.control.webhooks('gone')).toHaveLength(1);
    // Another endpoint is not affected.
    expect((await result((await send('ok')).workflowId)).status).toBe('delivered');

    await h.sb.outbox.enable('gone', 'ops');
    const again = await h.sb.outbox.replay([second.workflowId], { by: 'ops' });
    expect(again[0]).toMatchObject({ ok: true, attempt: { outcome: 'gone', replayBy: 'ops' } });
    expect(await h.control.webhooks('gone')).toHaveLength(2);
    await h.sb.outbox.enable('gone');
    const notDisabled = await h.sb.outbox.enable('gone').catch((e: unknown) => e);
    expect((notDisabled as SwitchboardClientError).code).toBe('rejected');
    for (const id of [first.workflowId, second.workflowId])
      await h.client.workflow.getHandle(id).terminate('test done');
  });
});

describe('dead letters', () => {
  it('after the last attempt the delivery is dead; a replay tries once more (one more POST)', async () => {
    const { workflowId } = await send('down', { retrySchedule: [0, 0.1] });
    const v = await dead(workflowId);
    expect(v.attemptCount).toBe(2);
    expect(v.deadReason).toContain('500');
    const listed = await eventually(async () => {
      const rows = await h.sb.outbox.list({ status: 'dead' });
      return rows.find((r) => r.workflowId === workflowId);
    });
    expect(listed).toMatchObject({ endpoint: 'down', attempts: 2, status: 'dead' });

    const [r] = await h.sb.outbox.replay([workflowId], { by: 'alice' });
    expect(r).toMatchObject({ ok: true, attempt: { outcome: 'failed', status: 500, n: 3, replayBy: 'alice' } });
    expect(await h.control.webhooks('down')).toHaveLength(3);
    expect((await dead(workflowId)).replays).toBe(1);

    // The CLI: list the dead letters, replay this one and an unknown id (exit 3, the rest still runs).
    const list = await cli('outbox', 'list', '--status', 'dead', '--json');
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { workflowId: string }[]).map((x) => x.workflowId)).toContain(workflowId);
    const replay = await cli('outbox', 'replay', workflowId, 'outbox-down-no-such', '--as', 'bob', '--json');
    expect(replay.code).toBe(3);
    expect(JSON.parse(replay.stdout)).toEqual([
      expect.objectContaining({ workflowId, ok: true, attempt: expect.objectContaining({ n: 4, replayBy: 'bob' }) }),
      expect.objectContaining({ workflowId: 'outbox-down-no-such', ok: false, code: 'not_found' }),
    ]);
    expect(await h.control.webhooks('down')).toHaveLength(4);
    await h.client.workflow.getHandle(workflowId).terminate('test done');
  });

  it('a replay of a delivered message is refused; a dead letter expires at its retention deadline', async () => {
    const ok = await send('ok');
    await result(ok.workflowId);
    const [r] = await h.sb.outbox.replay([ok.workflowId]);
    expect(r).toMatchObject({ ok: false, code: 'rejected' });
    expect(r!.ok === false && r!.message).toContain('not a dead letter');
    const cliReplay = await cli('outbox', 'replay', ok.workflowId);
    expect(cliReplay.code).toBe(4);

    const short = await send('teapot', { retrySchedule: [0], retentionSeconds: 2 });
    const v = await result(short.workflowId);
    expect(v).toMatchObject({ status: 'expired', attemptCount: 1 });
    expect(v.deadReason).toContain('418');
  });
});

describe('SSRF guard', () => {
  it('refuses metadata and private targets before connecting: a dead letter with the reason, never retried', async () => {
    for (const endpoint of ['metadata', 'private']) {
      const { workflowId } = await send(endpoint, { retrySchedule: [0, 0.1, 0.1] });
      const v = await dead(workflowId);
      expect(v.attempts).toEqual([expect.objectContaining({ outcome: 'refused' })]);
      expect(v.deadReason).toMatch(
        /target refused: .* resolves to (169\.254\.169\.254|10\.0\.0\.1), a loopback, private, link-local or metadata address/,
      );
      await h.client.workflow.getHandle(workflowId).terminate('test done');
    }
  });

  it('checks every resolved address, honours the allow list and pins the checked address', async () => {
    const strict = new TargetPolicy();
    const resolver = (addrs: string[]) => async () =>
      addrs.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    for (const url of [
      'http://127.0.0.1/',
      'http://[::1]/',
      'http://[::ffff:10.0.0.1]/',
      'http://100.64.1.1/',
      'http://[fd00:ec2::254]/',
      'http://0.0.0.0/',
    ]) {
      await expect(resolveTarget(new URL(url), strict)).rejects.toBeInstanceOf(TargetRefused);
    }
    // A name with one private address among public ones (rebinding-style) is refused.
    await expect(
      resolveTarget(new URL('http://hooks.example/'), strict, resolver(['93.184.216.34', '192.168.1.5'])),
    ).rejects.toBeInstanceOf(TargetRefused);
    expect(await resolveTarget(new URL('https://hooks.example/'), strict, resolver(['93.184.216.34']))).toMatchObject({
      address: '93.184.216.34',
    });
    const allowed = new TargetPolicy(['10.1.0.0/16', 'internal.example']);
    expect(await resolveTarget(new URL('http://10.1.2.3/'), allowed)).toMatchObject({ address: '10.1.2.3' });
    await expect(resolveTarget(new URL('http://10.2.0.1/'), allowed)).rejects.toBeInstanceOf(TargetRefused);
    expect(await resolveTarget(new URL('http://internal.example/'), allowed, resolver(['10.9.9.9']))).toMatchObject({
      address: '10.9.9.9',
    });

    // The request connects to the checked address, whatever the name would resolve to now
    // (`.invalid` never resolves): DNS is not asked again between check and connect.
    const origin = new URL(inject('sandboxOrigin'));
    const answer = await postSigned({
      url: `http://rebind.invalid:${origin.port}/_control/webhooks?inbox=pinned`,
      address: { address: '127.0.0.1', family: 4 },
      messageId: 'pinned-1',
      body: '{}',
      secrets: [SECRET],
      timeoutMs: 5000,
    });
    expect(answer.status).toBe(200);
    expect((await h.control.webhooks('pinned'))[0]!.headers.host).toBe(`rebind.invalid:${origin.port}`);
  });
});

describe('bad input', () => {
  it('is refused by the client and by the workflow; an unknown alias is a dead letter naming the variable', async () => {
    const bad: [Partial<WebhookDeliveryInput> & Record<string, unknown>, string][] = [
      [{ endpoint: 'https://evil.example/hook' }, 'endpoint must be an alias'],
      [{ messageId: '../etc passwd' }, 'messageId'],
      [{ eventType: '' }, 'eventType'],
      [{ payload: { blob: 'x'.repeat(70_000) } }, 'at most 65536'],
      [{ retrySchedule: [0, 99_999] }, 'retrySchedule'],
      [{ secret: 'whsec_abc' }, 'Unrecognized key'],
    ];
    for (const [more, why] of bad) {
      const err = await send('ok', more as Partial<WebhookDeliveryInput>).catch((e: unknown) => e);
      expect((err as SwitchboardClientError).code).toBe('invalid_input');
      expect((err as Error).message).toContain(why);
      // Started past the client (any namespace user can): the workflow refuses it the same way.
      const id = `outbox-bad-${++seq}`;
      await h.client.workflow.start('webhookDelivery', {
        taskQueue: h.taskQueue,
        workflowId: id,
        args: [{ endpoint: 'ok', messageId: 'm1', eventType: 'x', payload: {}, ...more }],
      });
      const failed: unknown = await h.client.workflow
        .getHandle(id)
        .result()
        .catch((e: unknown) => e);
      expect(String((failed as Error).cause)).toContain(why);
    }
    const replayArgs = await h.client.workflow
      .getHandle((await send('down', { retrySchedule: [0] })).workflowId)
      .executeUpdate('replay', { args: [{ fullSchedule: 'yes' }] })
      .catch((e: unknown) => e);
    expect(String((replayArgs as Error).cause ?? replayArgs)).toMatch(/invalid replay|not a dead letter/);

    // An endpoint that accepts some event types only: the rest are refused, never signed.
    const wrongType = await send('gates', { eventType: 'payment.captured' });
    expect((await dead(wrongType.workflowId)).deadReason).toContain('does not accept payment.captured events');
    expect((await result((await send('gates', { eventType: 'gate.reminder' })).workflowId)).status).toBe('delivered');
    expect(await h.control.webhooks('gates')).toHaveLength(1);
    await h.client.workflow.getHandle(wrongType.workflowId).terminate('test done');

    const { workflowId } = await send('nowhere');
    expect((await dead(workflowId)).deadReason).toContain('SWITCHBOARD_WEBHOOK_NOWHERE_URL');
    // No default endpoint here: a message to it is logged only.
    expect((await result((await send('default')).workflowId)).status).toBe('skipped');
    expect((await h.control.webhooks()).filter((w) => w.inbox !== 'down' && w.inbox !== 'gates')).toHaveLength(0);
    await h.client.workflow.getHandle(workflowId).terminate('test done');
  });
});

describe('configuration', () => {
  it('reads endpoints by alias, falls back to the notify variables, and names a bad variable', () => {
    const raw = {
      SWITCHBOARD_NOTIFY_WEBHOOK: 'https://hooks.example/notify',
      SWITCHBOARD_NOTIFY_SECRET: `${OLD}, ${NEW}`,
      SWITCHBOARD_WEBHOOK_OPS_TEAM_URL: 'https://hooks.example/ops',
      SWITCHBOARD_WEBHOOK_OPS_TEAM_SECRET: SECRET,
      SWITCHBOARD_WEBHOOK_ALLOW: '10.0.0.0/8, fd00::/8,internal.example',
    };
    const env = parseEnv(raw);
    const eps = new WebhookEndpoints(env, raw);
    expect(eps.get('default')).toMatchObject({ url: 'https://hooks.example/notify', secrets: [OLD, NEW] });
    expect(eps.get('ops-team')).toMatchObject({ url: 'https://hooks.example/ops', secrets: [SECRET] });
    expect(eps.get('nobody')).toBeUndefined();
    expect(eps.allow).toEqual(['10.0.0.0/8', 'fd00::/8', 'internal.example']);
    // Every signing secret is registered for redaction, whole and without its prefix.
    const secrets = new Credentials(env, raw).secretValues();
    for (const s of [OLD, NEW, SECRET]) expect(secrets).toEqual(expect.arrayContaining([s, s.replace(/^whsec_/, '')]));

    expect(() => new WebhookEndpoints(env, { ...raw, SWITCHBOARD_WEBHOOK_X_URL: 'ftp://x' })).toThrow(ConfigError);
    expect(() => new WebhookEndpoints(env, { ...raw, SWITCHBOARD_WEBHOOK_X_SECRET: 'plain' })).toThrow(
      /SWITCHBOARD_WEBHOOK_X_SECRET/,
    );
    expect(() => parseEnv({ SWITCHBOARD_WEBHOOK_ALLOW: '10.0.0.0/99' })).toThrow(/SWITCHBOARD_WEBHOOK_ALLOW/);
    expect(
      () => new WebhookEndpoints(env, { ...raw, SWITCHBOARD_WEBHOOK_OPS_TEAM_EVENTS: 'gate.*, bad type' }),
    ).toThrow(/SWITCHBOARD_WEBHOOK_OPS_TEAM_EVENTS/);
    expect(eventAllowed(['gate.*'], 'gate.reminder')).toBe(true);
    expect(eventAllowed(['gate.*'], 'gateway.x')).toBe(false);
    expect(eventAllowed(undefined, 'anything')).toBe(true);
  });
});
