/**
 * `npm run bench:gateway`: the gateway (`switchboard serve`, its own process) in front of a local
 * dev server, the sandbox and a real worker process. Writes bench/results/gateway.json.
 *
 * Measures, in one run:
 * - platform event → client latency through the gateway's event stream, beside the platform's own
 *   SSE read directly by a client at the same time (both against the platform's event timestamp,
 *   same clock: the sandbox runs in this process);
 * - CLIENTS concurrent event-stream clients on one gateway process: its RSS, entries lost or
 *   repeated per client;
 * - the inbox page (`/ui/inbox`, server-rendered) and `GET /inbox` with GATES open gates;
 * - a decision through the gateway API (`POST /workflows/{id}/decision`, signed by the gateway as
 *   the person) beside the client library's `decide` with the same key, taken in turn, one at a time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';
import { dedupeLines } from '../src/artifacts/store.js';
import { Credentials, parseEnv, PLATFORM_ENV } from '../src/config.js';
import type { TranscriptEntry } from '../src/contracts/sessions.js';
import { freePort } from '../src/devserver/index.js';
import { loadSecret, UserStore } from '../src/gateway/state.js';
import { sealSession, SESSION_COOKIE, Signer } from '../src/gateway/tokens.js';
import { transcriptFile } from '../src/gateway/transcript.js';
import { createKey, loadPrivateKey } from '../src/identity/keys.js';
import { PLATFORMS } from '../src/providers/errors.js';
import { ProviderRegistry } from '../src/providers/registry.js';
import { KeyRing } from '../src/sandbox/server.js';
import { bounded, percentile, pool, round, runMain, startBenchEnv, writeResults } from './support.js';

const LATENCY_EVENTS = Number(process.env.BENCH_GATEWAY_EVENTS ?? 150);
const CLIENTS = Number(process.env.BENCH_GATEWAY_CLIENTS ?? 500);
const FANOUT_SESSIONS = Number(process.env.BENCH_GATEWAY_SESSIONS ?? 10);
const GATES = Number(process.env.BENCH_GATEWAY_GATES ?? 1000);
const DECISIONS = Number(process.env.BENCH_GATEWAY_DECISIONS ?? 60);
const PHASE_MS = 6 * 60_000;

function procKb(pid: number, field: string): number {
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

const stats = (xs: number[]) => ({ n: xs.length, p50: round(percentile(xs, 50)), p99: round(percentile(xs, 99)) });

/** Reads an event stream to its end; calls `onEntry` with each entry and its arrival time. */
async function follow(
  url: string,
  token: string,
  onEntry: (pos: number, e: TranscriptEntry, at: number) => void,
  timeoutMs: number,
): Promise<boolean> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let ended = false;
  try {
    const res = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: ac.signal,
    });
    if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}`);
    const parser = createParser({
      onEvent: (ev) => {
        if (ev.event === 'end') ended = true;
        else if (ev.event === 'entry') onEntry(Number(ev.id), JSON.parse(ev.data) as TranscriptEntry, Date.now());
      },
    });
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (ended) break;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
  }
  return ended;
}

async function main(): Promise<void> {
  const artifactDir = mkdtempSync(join(tmpdir(), 'sb-bench-gw-artifacts-'));
  const keysDir = mkdtempSync(join(tmpdir(), 'sb-bench-gw-keys-'));
  const gwDir = mkdtempSync(join(tmpdir(), 'sb-bench-gw-'));
  // Decisions must be proven: both paths sign with alice's key, and the worker checks each.
  const env = await startBenchEnv({
    taskQueue: 'bench-gateway',
    heartbeatMs: 15_000,
    workerEnv: {
      SWITCHBOARD_ARTIFACT_DIR: artifactDir,
      SWITCHBOARD_KEYS_DIR: keysDir,
      SWITCHBOARD_DECISION_PROOF: 'required',
    },
  });
  const { token } = await new UserStore(gwDir).add('alice', { password: 'alice-bench-password' });
  createKey(keysDir, 'alice');
  const port = await freePort();
  let gateway: ChildProcess | undefined;
  try {
    gateway = spawn(process.execPath, ['bin/switchboard.mjs', 'serve', '--port', String(port)], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: env.address,
        SWITCHBOARD_TASK_QUEUE: env.taskQueue,
        SWITCHBOARD_GATEWAY_DIR: gwDir,
        SWITCHBOARD_KEYS_DIR: keysDir,
        SWITCHBOARD_ARTIFACT_DIR: artifactDir,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const base = `http://127.0.0.1:${port}`;
    await bounded(
      (async () => {
        for (;;) {
          if (
            await fetch(`${base}/healthz`).then(
              (r) => r.ok,
              () => false,
            )
          )
            return;
          await new Promise((r) => setTimeout(r, 100));
        }
      })(),
      60_000,
      'gateway start',
    );
    const gwPid = gateway.pid!;
    const rssIdleMb = round(procKb(gwPid, 'VmRSS') / 1024);

    // ---- 1. platform event → client: gateway stream vs the platform's own SSE ----
    const rawEnv: NodeJS.ProcessEnv = { WEBAGENT_PROJECT_ID: 'proj_bench' };
    for (const p of PLATFORMS) {
      rawEnv[PLATFORM_ENV[p].baseUrl] = env.sandbox.baseUrl(p);
      rawEnv[p === 'mycel' ? 'MYCEL_TOKEN_DEFAULT' : PLATFORM_ENV[p].key] = KeyRing.defaultKey(p);
    }
    const webagent = new ProviderRegistry(new Credentials(parseEnv(rawEnv), rawEnv)).client('webagent');
    // A pause first, so both readers are connected before the first event; then events 20 ms apart.
    await env.control.script('bench-gw-latency', [
      { type: 'wait', ms: 2_000 },
      ...Array.from({ length: LATENCY_EVENTS }, () => [
        { type: 'emit' as const, count: 1 },
        { type: 'wait' as const, ms: 20 },
      ]).flat(),
      { type: 'finish', result: 'latency done' },
    ]);
    const latency = await bounded(
      (async () => {
        const { workflowId } = await env.sb.startSession({
          platform: 'webagent',
          task: 'Latency script:bench-gw-latency',
        });
        const ref = await bounded(
          (async () => {
            for (;;) {
              const st = await env.sb.state(workflowId).catch(() => undefined);
              if (st?.ref?.taskId) return st.ref;
              await new Promise((r) => setTimeout(r, 20));
            }
          })(),
          30_000,
          'session ref',
        );
        const direct: number[] = [];
        const viaGateway: number[] = [];
        const readDirect = (async () => {
          for await (const ev of webagent.events.stream(ref.sessionId, ref.taskId!)) {
            if (ev.type === 'task.progress' && ev.createdAt) direct.push(Date.now() - Date.parse(ev.createdAt));
          }
        })();
        const readGateway = follow(
          `${base}/workflows/${workflowId}/events`,
          token,
          (_, e, at) => {
            if (e.kind === 'progress' && e.at) viaGateway.push(at - Date.parse(e.at));
          },
          120_000,
        );
        await Promise.all([readDirect, readGateway]);
        return {
          direct: stats(direct),
          gateway: stats(viaGateway),
          p50Ratio: round(percentile(viaGateway, 50) / Math.max(0.5, percentile(direct, 50)), 2),
        };
      })(),
      PHASE_MS,
      'latency',
    );
    console.log('latency', latency);

    // ---- 2. CLIENTS concurrent streams on one gateway ----
    const holdMs = 10_000 + CLIENTS * 10;
    await env.control.script('bench-gw-fanout', [
      { type: 'wait', ms: holdMs },
      ...Array.from({ length: 40 }, () => [
        { type: 'emit' as const, count: 1 },
        { type: 'wait' as const, ms: 50 },
      ]).flat(),
      { type: 'finish', result: 'fan-out done' },
    ]);
    const fanout = await bounded(
      (async () => {
        const sessions = await Promise.all(
          Array.from({ length: FANOUT_SESSIONS }, (_, i) =>
            env.sb.startSession({ platform: 'webagent', task: `Fan-out ${i} script:bench-gw-fanout` }),
          ),
        );
        writeFileSafe(`/proc/${gwPid}/clear_refs`, '5');
        const received: { workflowId: string; positions: number[]; ended: boolean }[] = [];
        const t0 = Date.now();
        let peakOpen = 0;
        let open = 0;
        const clients = Array.from({ length: CLIENTS }, (_, i) => {
          const workflowId = sessions[i % sessions.length]!.workflowId;
          const row = { workflowId, positions: [] as number[], ended: false };
          received.push(row);
          open += 1;
          peakOpen = Math.max(peakOpen, open);
          return follow(
            `${base}/workflows/${workflowId}/events`,
            token,
            (pos) => row.positions.push(pos),
            holdMs + 120_000,
          ).then((ended) => {
            row.ended = ended;
            open -= 1;
          });
        });
        let rssPeakDuring = 0;
        const sampler = setInterval(() => (rssPeakDuring = Math.max(rssPeakDuring, procKb(gwPid, 'VmRSS'))), 200);
        await Promise.all(clients);
        clearInterval(sampler);
        const elapsedMs = Date.now() - t0;
        // Expected: the whole transcript of each session, as the worker wrote it.
        const expected = new Map<string, number>();
        for (const s of sessions) {
          const desc = await env.client.workflow.getHandle(s.workflowId).describe();
          const chain = desc.raw.workflowExecutionInfo?.firstRunId || desc.runId;
          expected.set(
            s.workflowId,
            dedupeLines(readFileSync(transcriptFile(artifactDir, s.workflowId, chain), 'utf8')).length,
          );
        }
        let lost = 0;
        let repeated = 0;
        let outOfOrder = 0;
        for (const r of received) {
          const want = expected.get(r.workflowId)!;
          const uniq = new Set(r.positions);
          lost += Math.max(0, want - uniq.size);
          repeated += r.positions.length - uniq.size;
          if (r.positions.some((p, i) => p !== i + 1)) outOfOrder += 1;
        }
        return {
          clients: CLIENTS,
          sessions: FANOUT_SESSIONS,
          entriesPerSession: [...expected.values()][0],
          clientsEnded: received.filter((r) => r.ended).length,
          eventsLost: lost,
          eventsRepeated: repeated,
          clientsOutOfOrder: outOfOrder,
          gatewayRssMb: {
            idle: rssIdleMb,
            peakDuring: round(rssPeakDuring / 1024),
            highWater: round(procKb(gwPid, 'VmHWM') / 1024),
          },
          peakOpenStreams: peakOpen,
          elapsedMs,
        };
      })(),
      PHASE_MS,
      'fan-out',
    );
    console.log('fanout', fanout);

    // ---- 3. the inbox with GATES open gates ----
    const ids = await bounded(
      pool(
        Array.from({ length: GATES }, (_, i) => i),
        40,
        async (i) =>
          (await env.sb.startResearch({ topic: `gateway bench ${i}`, approvers: ['alice'], deadlineSeconds: 86_400 }))
            .workflowId,
      ),
      PHASE_MS,
      'open gates',
    );
    await bounded(
      (async () => {
        for (;;) {
          if ((await env.sb.inbox({ limit: GATES + 100 })).length >= GATES) return;
          await new Promise((r) => setTimeout(r, 1000));
        }
      })(),
      PHASE_MS,
      'gates open',
    );
    const cookie = `${SESSION_COOKIE}=${sealSession(new Signer(loadSecret(gwDir)), new UserStore(gwDir).get('alice')!).value}`;
    const page: number[] = [];
    const api: number[] = [];
    const visibility: number[] = [];
    const render: number[] = [];
    let rows = 0;
    for (let i = 0; i < 5; i++) {
      let t = performance.now();
      const res = await fetch(`${base}/ui/inbox`, { headers: { cookie } });
      const html = await res.text();
      page.push(performance.now() - t);
      const timing = Object.fromEntries(
        [...(res.headers.get('server-timing') ?? '').matchAll(/(\w+);dur=([\d.]+)/g)].map(
          (m) => [m[1]!, Number(m[2])] as const,
        ),
      );
      visibility.push(timing.visibility ?? NaN);
      render.push(timing.render ?? NaN);
      rows = (html.match(/<tr data-workflow=/g) ?? []).length;
      t = performance.now();
      await (await fetch(`${base}/inbox`, { headers: { authorization: `Bearer ${token}` } })).json();
      api.push(performance.now() - t);
    }
    const inbox = {
      openGates: GATES,
      rowsRendered: rows,
      pageMs: stats(page),
      serverVisibilityMs: stats(visibility),
      serverRenderMs: stats(render),
      apiMs: stats(api),
    };
    console.log('inbox', inbox);

    // ---- 4. a decision through the gateway vs the library's decide (same key), in turn ----
    const key = loadPrivateKey(keysDir, 'alice')!;
    const viaGateway: number[] = [];
    const viaLibrary: number[] = [];
    await bounded(
      (async () => {
        for (let i = 0; i < DECISIONS * 2; i++) {
          const id = ids[i]!;
          const t = performance.now();
          if (i % 2 === 0) {
            const r = await fetch(`${base}/workflows/${id}/decision`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ decision: 'approve' }),
            });
            if (r.status !== 200) throw new Error(`gateway decision answered ${r.status}: ${await r.text()}`);
            viaGateway.push(performance.now() - t);
          } else {
            await env.sb.decide(id, { decider: 'alice', decision: 'approve' }, { signWith: key });
            viaLibrary.push(performance.now() - t);
          }
        }
      })(),
      PHASE_MS,
      'decisions',
    );
    const decisions = {
      gateway: stats(viaGateway),
      decideFloor: stats(viaLibrary),
      p50Ratio: round(percentile(viaGateway, 50) / percentile(viaLibrary, 50), 2),
    };
    console.log('decisions', decisions);

    writeResults('gateway', {
      at: new Date().toISOString(),
      machine: env.machine,
      notes: [
        'latency: ms from the platform event timestamp to arrival at a client; direct = Web Agent SSE read by the provider client, gateway = /workflows/{id}/events, both connected before the first event, same run',
        'gateway RSS is the `switchboard serve` process (tsx from source, as `npm run switchboard -- serve` runs it)',
        'decisions: wall time of one decision (signed as alice; the update returns after intervene reached the platform), gateway API vs SwitchboardClient.decide with signWith, alternating, one at a time',
      ],
      latency,
      fanout,
      inbox,
      decisions,
    });
  } finally {
    gateway?.kill('SIGTERM');
    await env.close();
  }
}

function writeFileSafe(file: string, text: string): void {
  try {
    // Resets the high-water mark (Linux clear_refs 5), so VmHWM is the fan-out's own peak.
    writeFileSync(file, text);
  } catch {
    // not Linux
  }
}

runMain(main);
