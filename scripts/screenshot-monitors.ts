/**
 * `npm run screenshot:monitors`: how an operator sees monitors in the Temporal Web UI. Starts a dev
 * server with its UI, the sandbox and a worker, creates a few scheduled monitors and a Track
 * monitor, lets them tick, then saves docs/monitors-schedules.png (the Schedules page: each
 * monitor's schedule, recent and upcoming runs) and docs/monitor-details.png (one monitor's
 * workflow page: its current details — schedule, last tick, last change, next run — and status).
 * Needs Debian's Chromium (`apt-get install chromium`) or CHROMIUM_PATH.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { runMain, startBenchEnv } from '../bench/support.js';

async function main(): Promise<void> {
  const executablePath =
    process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!executablePath) throw new Error('Chromium not found: apt-get install chromium (or set CHROMIUM_PATH)');
  const env = await startBenchEnv({ taskQueue: 'switchboard', ui: true, tickMs: 20 });
  try {
    const monitors = [
      {
        key: 'gpu-prices',
        description: 'GPU spot prices under $2/h',
        query: 'h100 spot price',
        every: 10,
        op: 'gt' as const,
      },
      {
        key: 'competitor-launches',
        description: 'New launches by competitors',
        query: 'agent platform launch',
        every: 15,
        op: 'changed' as const,
      },
      {
        key: 'status-pages',
        description: 'Vendor status pages mention an outage',
        query: 'status outage',
        every: 12,
        op: 'gt' as const,
      },
    ];
    for (const m of monitors) {
      await env.sb.scheduledMonitors.create({
        key: m.key,
        description: m.description,
        check: { kind: 'web_search', query: m.query },
        schedule: { everySeconds: [m.every], jitterSeconds: 1 },
        condition: m.op === 'changed' ? { op: 'changed', field: 'count' } : { op: 'gt', field: 'count', value: 0 },
        alerts: { dedupeSeconds: 3600, silenceSeconds: 86_400 },
        approvers: ['alice'],
      });
    }
    await env.sb.monitors.create('phone-price', {
      intent: 'Tell me when the 256 GB phone drops under $1,000',
      schedule: { kind: 'interval', every_seconds: 3600 },
      notifyChannel: { kind: 'callback_url', url: 'https://hooks.example.com/track' },
      triggerDsl: { op: 'lt', field: 'price', value: 1000 },
      approvers: ['alice'],
      pollSeconds: 5,
    });
    // Two ticks each, so "last tick" and "last change" are filled.
    for (let i = 0; i < 120; i++) {
      const shown = await Promise.all(monitors.map((m) => env.sb.scheduledMonitors.show(m.key)));
      if (shown.every((s) => s.counts.ticks >= 2)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const page = await browser.newPage({ viewport: { width: 1440, height: 820 } });
    await page.goto(`${env.uiUrl}/namespaces/default/schedules`, { waitUntil: 'networkidle', timeout: 60_000 });
    await page.waitForSelector('text=monitor-gpu-prices', { timeout: 30_000 });
    await page.screenshot({ path: 'docs/monitors-schedules.png' });
    await page.goto(`${env.uiUrl}/namespaces/default/workflows/monitor-gpu-prices`, {
      waitUntil: 'domcontentloaded',
      timeout: 60_000,
    });
    await page.waitForSelector('text=monitor-gpu-prices', { timeout: 30_000 });
    // Current details (schedule, last tick, last change, next run) are under "User Metadata".
    await page.getByText('User Metadata', { exact: true }).click();
    await page.waitForTimeout(1_500);
    await page.screenshot({ path: 'docs/monitor-details.png' });
    await browser.close();
    console.log('saved docs/monitors-schedules.png, docs/monitor-details.png');
  } finally {
    await env.close();
  }
}

runMain(main);
