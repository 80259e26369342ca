/**
 * The artifact store: where state that can grow (full transcripts, exports, research artifacts)
 * lives, so workflow state and history keep only a bounded tail and a reference.
 * The default is a local directory; the interface is small enough for an object store later.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ArtifactOwner, ArtifactRef } from '../contracts/sessions.js';

export type { ArtifactRef };

/**
 * Whose artifacts these are: a workflow id and its run chain (the `firstExecutionRunId`, stable
 * across retries and continue-as-new). Two runs that reuse a workflow id after the first ended are
 * two chains, so neither appends to the other's transcript. A bare string is the workflow id alone,
 * as activities scheduled before run chains existed pass it.
 */
export type { ArtifactOwner };

export interface ArtifactStore {
  /** Writes (or overwrites) a whole artifact. */
  put(owner: ArtifactOwner, name: string, content: string | Uint8Array): Promise<ArtifactRef>;
  /** Appends JSON lines (at-least-once: readers dedupe by `id`). */
  appendLines(owner: ArtifactOwner, name: string, rows: unknown[]): Promise<ArtifactRef>;
  read(ref: ArtifactRef | string): Promise<string>;
}

/** Readable part of a key: anything but letters, digits, `_` and `-` becomes `_` (no dots: no `..`). */
function slug(part: string, max: number): string {
  return part.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, max);
}

/**
 * One path segment for an untrusted string (a workflow id may be 1,000 characters of anything):
 * a short readable slug plus 16 hex digits of the SHA-256 of the exact string, so two ids that
 * slug alike (`a/b`, `a:b`, `a_b`) still get their own directory, and the length is bounded (≤ 81).
 */
export function keySegment(part: string): string {
  return `${slug(part, 64)}-${createHash('sha256').update(part).digest('hex').slice(0, 16)}`;
}

/** Names are ours (`transcript.jsonl`, `final.md`, …) and kept as they are when plainly safe. */
function nameSegment(name: string): string {
  return /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/.test(name) ? name : keySegment(name);
}

/** The directory (relative to the store) that holds one owner's artifacts. */
export function ownerPath(owner: ArtifactOwner): string[] {
  if (typeof owner !== 'string') return [keySegment(owner.workflowId), keySegment(owner.chain)];
  // The layout before run chains: `<dir>/<id with unsafe characters as _>`, kept so a run that
  // started then goes on writing the transcript it began. An id that would climb out (`.`, `..`)
  // gets the encoded form instead.
  const legacy = owner.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
  return [/^\.*$/.test(legacy) ? keySegment(owner) : legacy];
}

/**
 * Stores artifacts under `<dir>/<workflow id segment>/<run chain segment>/<name>` (see
 * {@link keySegment}); references are file:// URIs, and any earlier reference stays readable.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly dir: string;
  /** Folders known to exist (bounded: cleared when large). */
  private readonly folders = new Set<string>();

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  private where(owner: ArtifactOwner, name: string): { folder: string; file: string } {
    const folder = join(this.dir, ...ownerPath(owner));
    const file = join(folder, nameSegment(name));
    // Belt and braces: whatever the encoding above, nothing is written outside the store.
    const rel = relative(this.dir, file);
    if (!rel || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
      throw new Error(`artifact key escapes the store: ${JSON.stringify(name)}`);
    return { folder, file };
  }

  async put(owner: ArtifactOwner, name: string, content: string | Uint8Array): Promise<ArtifactRef> {
    const { folder, file } = this.where(owner, name);
    await mkdir(folder, { recursive: true });
    await writeFile(file, content);
    const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
    return {
      name,
      uri: pathToFileURL(file).toString(),
      bytes,
      sha256: createHash('sha256').update(content).digest('hex'),
    };
  }

  async appendLines(owner: ArtifactOwner, name: string, rows: unknown[]): Promise<ArtifactRef> {
    const { folder, file } = this.where(owner, name);
    // A live transcript is appended to once per platform event, and live readers wait on the
    // write: the folder is made once per store, not before every line (made again if removed).
    if (!this.folders.has(folder)) {
      await mkdir(folder, { recursive: true });
      if (this.folders.size >= 10_000) this.folders.clear();
      this.folders.add(folder);
    }
    if (rows.length > 0) {
      const text = rows.map((r) => JSON.stringify(r) + '\n').join('');
      await appendFile(file, text).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
        await mkdir(folder, { recursive: true });
        await appendFile(file, text);
      });
    }
    const s = await stat(file).catch(() => undefined);
    return { name, uri: pathToFileURL(file).toString(), bytes: s?.size ?? 0 };
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
