/**
 * `npm run screenshot:gateway`: pictures of the web inbox and a gate page for the README
 * (docs/gateway-inbox.png, docs/gateway-gate.png).
 *
 * Self-contained: a dev server, the sandbox and a worker (as the benchmarks start them), a gateway
 * in this process with one person, a few open gates; then headless Chromium signs in and shoots.
 * Needs Debian's Chromium (`apt-get install chromium`) or CHROMIUM_PATH.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { runMain, startBenchEnv } from '../bench/support.js';
import { startGateway } from '../src/gateway/server.js';
import { UserStore } from '../src/gateway/state.js';
import { createKey } from '../src/identity/keys.js';

async function main(): Promise<void> {
  const executablePath =
    process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!executablePath) throw new Error('Chromium not found: apt-get install chromium (or set CHROMIUM_PATH)');
  const artifactDir = mkdtempSync(join(tmpdir(), 'sb-shot-artifacts-'));
  const keysDir = mkdtempSync(join(tmpdir(), 'sb-shot-keys-'));
  const env = await startBenchEnv({
    taskQueue: 'switchboard',
    tickMs: 20,
    workerEnv: { SWITCHBOARD_ARTIFACT_DIR: artifactDir, SWITCHBOARD_KEYS_DIR: keysDir },
  });
  const dir = mkdtempSync(join(tmpdir(), 'sb-shot-gw-'));
  const { password } = await new UserStore(dir).add('alice', { password: 'alice-screenshot-pw' });
  createKey(keysDir, 'alice');
  const gw = await startGateway({ sb: env.sb, port: 0, dir, keysDir, artifactDir });
  try {
    await env.sb.startResearch(
      {
        topic: 'Open-source vector DB landscape 2026',
        depth: 'deep',
        approvers: ['alice', 'bob'],
        onExpiry: { policy: 'escalate', to: ['carol'] },
      },
      { workflowId: 'research-vector-dbs' },
    );
    await env.sb.startResearch(
      { topic: 'EU AI Act obligations for agent platforms', approvers: ['legal', 'alice'], deadlineSeconds: 4 * 3600 },
      { workflowId: 'research-ai-act' },
    );
    await env.sb.startSession(
      {
        platform: 'webagent',
        task: 'Book the cheapest refundable flight script:ask',
        title: 'Flight booking (needs a choice)',
      },
      { workflowId: 'session-flight-booking' },
    );
    for (let i = 0; i < 100 && (await env.sb.inbox()).length < 3; i++) await new Promise((r) => setTimeout(r, 200));
    const browser = await chromium.launch({
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const page = await browser.newPage({ viewport: { width: 1200, height: 560 } });
    await page.goto(`${gw.url}/ui/inbox`);
    await page.fill('input[name=name]', 'alice');
    await page.fill('input[name=password]', password);
    await page.click('button:has-text("Sign in")');
    await page.waitForSelector('tr[data-workflow="research-vector-dbs"]');
    await page.screenshot({ path: 'docs/gateway-inbox.png' });
    await page.setViewportSize({ width: 1200, height: 1000 });
    await page.goto(`${gw.url}/ui/gates/research-vector-dbs`);
    await page.waitForSelector('#digest');
    await page.screenshot({ path: 'docs/gateway-gate.png', fullPage: true });
    await browser.close();
    console.log('saved docs/gateway-inbox.png, docs/gateway-gate.png');
  } finally {
    await gw.close();
    await env.close();
  }
}

runMain(main);
