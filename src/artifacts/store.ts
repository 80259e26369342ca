/**
 * The artifact store: where state that can grow (full transcripts, exports, research artifacts)
 * lives, so workflow state and history keep only a bounded tail and a reference.
 * The default is a local directory; the interface is small enough for an object store later.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ArtifactRef } from '../workflows/agentSession/types.js';

export type { ArtifactRef };

export interface ArtifactStore {
  /** Writes (or overwrites) a whole artifact. */
  put(owner: string, name: string, content: string | Uint8Array): Promise<ArtifactRef>;
  /** Appends JSON lines (at-least-once: readers dedupe by `id`). */
  appendLines(owner: string, name: string, rows: unknown[]): Promise<ArtifactRef>;
  read(ref: ArtifactRef | string): Promise<string>;
}

function safe(part: string): string {
  return part.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
}

/** Stores artifacts under `<dir>/<owner>/<name>`; references are file:// URIs. */
export class LocalArtifactStore implements ArtifactStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  private file(owner: string, name: string): string {
    return join(this.dir, safe(owner), safe(name));
  }

  async put(owner: string, name: string, content: string | Uint8Array): Promise<ArtifactRef> {
    const f = this.file(owner, name);
    await mkdir(join(this.dir, safe(owner)), { recursive: true });
    await writeFile(f, content);
    const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
    return { name, uri: pathToFileURL(f).toString(), bytes, sha256: createHash('sha256').update(content).digest('hex') };
  }

  async appendLines(owner: string, name: string, rows: unknown[]): Promise<ArtifactRef> {
    const f = this.file(owner, name);
    await mkdir(join(this.dir, safe(owner)), { recursive: true });
    if (rows.length > 0) await appendFile(f, rows.map((r) => JSON.stringify(r) + '\n').join(''));
    const s = await stat(f).catch(() => undefined);
    return { name, uri: pathToFileURL(f).toString(), bytes: s?.size ?? 0 };
  }

  async read(ref: ArtifactRef | string): Promise<string> {
    const uri = typeof ref === 'string' ? ref : ref.uri;
    return readFile(new URL(uri), 'utf8');
  }
}

/** Reads a JSON-lines transcript, dropping duplicate ids (appends are at-least-once). */
export function dedupeLines<T extends { id: string }>(text: string): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const row = JSON.parse(line) as T;
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    out.push(row);
  }
  return out;
}
