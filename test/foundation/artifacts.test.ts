/**
 * Artifact keys from untrusted workflow ids: whatever the id, everything lands inside the store's
 * directory, distinct ids get distinct directories, and two run chains of one id never share a file.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dedupeLines, LocalArtifactStore } from '../../src/artifacts/store.js';

const IDS = [
  '..',
  '.',
  '../../etc',
  '../../../tmp/escape',
  '/',
  '/etc/passwd',
  'a/b',
  'a:b',
  'a_b',
  'a\\b',
  '',
  'zürich ☃ 会话',
  'x'.repeat(1_000),
  '..'.repeat(500),
];

function inside(dir: string, uri: string): string {
  const rel = relative(dir, fileURLToPath(uri));
  expect(rel === '..' || rel.startsWith(`..${sep}`) || rel === '', `${uri} is outside ${dir}`).toBe(false);
  return rel;
}

describe('LocalArtifactStore keys', () => {
  it('keeps every artifact inside the directory, one directory per distinct id, bounded segments', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'sb-store-'));
    const dir = join(parent, 'artifacts');
    const store = new LocalArtifactStore(dir);
    const folders = new Set<string>();
    for (const workflowId of IDS) {
      const owner = { workflowId, chain: 'run-1' };
      const put = await store.put(owner, 'final.md', `# ${workflowId}`);
      const appended = await store.appendLines(owner, 'transcript.jsonl', [{ id: '1', text: workflowId }]);
      const rel = inside(dir, put.uri);
      inside(dir, appended.uri);
      for (const segment of rel.split(sep)) expect(segment.length).toBeLessThanOrEqual(100);
      folders.add(rel.split(sep)[0]!);
      expect(await store.read(put)).toBe(`# ${workflowId}`);
      expect(dedupeLines<{ id: string; text: string }>(await store.read(appended))).toEqual([
        { id: '1', text: workflowId },
      ]);
    }
    expect(folders.size).toBe(IDS.length);
    // Nothing was written next to the store.
    expect(readdirSync(parent)).toEqual(['artifacts']);
  });

  it('gives two run chains of the same id their own transcript', async () => {
    const store = new LocalArtifactStore(mkdtempSync(join(tmpdir(), 'sb-store-')));
    const first = await store.appendLines({ workflowId: 'session-1', chain: 'run-a' }, 'transcript.jsonl', [
      { id: 'e1', run: 'a' },
    ]);
    const second = await store.appendLines({ workflowId: 'session-1', chain: 'run-b' }, 'transcript.jsonl', [
      { id: 'e1', run: 'b' },
    ]);
    expect(first.uri).not.toBe(second.uri);
    expect(dedupeLines(await store.read(first))).toEqual([{ id: 'e1', run: 'a' }]);
    expect(dedupeLines(await store.read(second))).toEqual([{ id: 'e1', run: 'b' }]);
  });

  it('keeps writing where runs recorded before chains wrote (a bare id), but never outside the directory', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'sb-store-'));
    const dir = join(parent, 'artifacts');
    const store = new LocalArtifactStore(dir);
    const ref = await store.appendLines('session-1', 'transcript.jsonl', [{ id: 'e1' }]);
    expect(inside(dir, ref.uri)).toBe(join('session-1', 'transcript.jsonl'));
    for (const id of ['..', '.', '../..', '....']) inside(dir, (await store.put(id, 'export.json', '{}')).uri);
    expect(readdirSync(parent)).toEqual(['artifacts']);
    // An old reference is still readable.
    expect(await readFile(new URL(ref.uri), 'utf8')).toBe('{"id":"e1"}\n');
  });
});
