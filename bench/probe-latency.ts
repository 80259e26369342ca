import { platformLatency, messageContent, percentile, pool, runMain, startBenchEnv, startFloor } from './support.js';
const PORT = 19465;
const N = Number(process.env.N ?? 60);
async function scrape(): Promise<Map<string, number>> {
  const txt = await (await fetch(`http://127.0.0.1:${PORT}/metrics`)).text();
  const m = new Map<string, number>();
  for (const line of txt.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i).replace(/namespace="default",|service_name="temporal-core-sdk",|task_queue="probe-lat",?/g, ''), Number(line.slice(i + 1)));
  }
  return m;
}
function delta(a: Map<string, number>, b: Map<string, number>, re: RegExp) {
  for (const [k, v] of b) if (re.test(k) && /_(sum|count)\b/.test(k) && v - (a.get(k) ?? 0) > 0) console.log('  ', k, v - (a.get(k) ?? 0));
}
runMain(async () => {
  const env = await startBenchEnv({ taskQueue: 'probe-lat', workerEnv: { SWITCHBOARD_METRICS_PORT: String(PORT) } });
  try {
    const gates = Number(process.env.GATES ?? 100);
    const ids = await pool(Array.from({ length: gates }, (_, i) => i), 50, async (i) => (await env.sb.startResearch({ topic: `t ${i} takes:600s`, approvers: ['alice'], deadlineSeconds: 86400 }, { workflowId: `gate-${i}` })).workflowId);
    for (;;) { if ((await env.sb.inbox({ limit: gates + 10 })).length >= gates) break; await new Promise((r) => setTimeout(r, 500)); }
    const floor = await startFloor(env, 1);
    const g = await pool(ids.slice(0, N), 10, async (id) => ({ id, requestId: (await env.sb.gate(id)).requestId! }));
    await new Promise((r) => setTimeout(r, 2000));
    const m0 = await scrape();
    const f = await platformLatency(env.control, N, 1, floor.send, 'floor', messageContent);
    const m1 = await scrape();
    await new Promise((r) => setTimeout(r, 4000));
    const d = await platformLatency(env.control, N, 1, async (i, marker) => env.sb.decide(g[i]!.id, { decider: 'alice', decision: 'approve', requestId: g[i]!.requestId, comment: marker }), 'dec',
      (body) => { const rid = (body as { request_id?: string } | undefined)?.request_id; const i = g.findIndex((x) => x.requestId === rid); return i >= 0 ? `dec-${i}` : undefined; });
    const m2 = await scrape();
    console.log('floor p50', percentile(f, 50), 'decide p50', percentile(d, 50));
    const re = /workflow_task|local_activity|activity_execution|sticky|request_latency/;
    console.log('FLOOR'); delta(m0, m1, re);
    console.log('DECIDE'); delta(m1, m2, re);
    await floor.close();
  } finally { await env.close(); }
});
