/**
 * Live transcripts for the gateway's event streams, read from the artifact store.
 *
 * Why the artifact store, not workflow queries or a long-poll update: the follow activity appends
 * each platform event to `transcript.jsonl` as it reads it (before heartbeating its cursor),
 * while the workflow's own state learns of events only when a follow batch returns (up to 60 s
 * or 1,000 events later) and keeps just the last 50. A query poll would therefore be late by a
 * batch and could skip entries a slow client had not read; an update would write history for
 * every read. The file is the workflow's whole ordered transcript: appends are at-least-once and
 * readers keep the first line of each id, so an entry's position (1, 2, …) never changes once
 * written — a retried activity after a worker crash re-appends lines that are dropped, and a
 * continued run appends to the same file (the file is keyed by the run chain). That position is
 * the SSE `id:`, so `Last-Event-ID` resumes exactly.
 *
 * One {@link TranscriptTail} per file, shared by every stream on it: one `fs.watch` plus a slow
 * poll (a watch can miss events on some file systems), whatever the number of clients.
 */
import { type FSWatcher, watch } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { ownerPath } from '../artifacts/store.js';
import type { TranscriptEntry } from '../contracts/sessions.js';

/** A transcript entry with its position in the workflow's transcript (1-based). */
export interface PositionedEntry {
  pos: number;
  entry: TranscriptEntry;
}

/** Fallback poll when no watch event arrives. @default 250 ms */
const POLL_MS = 250;
/** Poll while no watch is possible yet (the transcript's folder appears with its first entry). */
const FAST_POLL_MS = 25;
/** How long one workflow status answer is shared by the streams on it. */
const STATUS_TTL_MS = 500;
/** Largest single read; a bigger backlog is read in several. */
const READ_CHUNK = 64 * 1024;

/** The transcript file of a workflow run chain (as the worker's LocalArtifactStore lays it out). */
export function transcriptFile(artifactDir: string, workflowId: string, chain: string): string {
  return join(artifactDir, ...ownerPath({ workflowId, chain }), 'transcript.jsonl');
}

/** Reads one transcript file incrementally and fans new entries out to its listeners. */
export class TranscriptTail {
  readonly entries: PositionedEntry[] = [];
  private readonly seen = new Set<string>();
  private offset = 0;
  private partial = '';
  private listeners = new Set<() => void>();
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;
  private again = false;
  private fh?: FileHandle;
  private readonly decoder = new StringDecoder('utf8');
  /** One read buffer per tail (its bytes are decoded into strings before the next read). */
  private buf?: Buffer;

  constructor(
    readonly file: string,
    private readonly onIdle: () => void,
  ) {}

  /** Reads what is new; concurrent calls coalesce into one more read. */
  refresh(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.again = false;
          await this.readNew();
        } while (this.again);
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  /**
   * Reads from the last offset to the end of the file. The file stays open while the tail is
   * followed (files are only ever appended to), so a wake-up costs one read — not a stat, an open,
   * a read and a close, which were most of the gateway's share of an event's latency.
   */
  private async readNew(): Promise<void> {
    this.fh ??= await open(this.file, 'r').catch(() => undefined);
    const fh = this.fh;
    if (!fh) return;
    let grew = false;
    for (;;) {
      const buf = (this.buf ??= Buffer.allocUnsafe(READ_CHUNK));
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      // The decoder keeps a character split between two reads for the next one.
      const text = this.partial + this.decoder.write(buf.subarray(0, bytesRead));
      const lines = text.split('\n');
      // A line is complete only once its newline is written.
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        let e: TranscriptEntry;
        try {
          e = JSON.parse(line) as TranscriptEntry;
        } catch {
          continue;
        }
        if (typeof e?.id !== 'string' || this.seen.has(e.id)) continue;
        this.seen.add(e.id);
        this.entries.push({ pos: this.entries.length + 1, entry: e });
        grew = true;
      }
      // A short read reached the end of what is written (no extra read to learn it).
      if (bytesRead < READ_CHUNK) break;
    }
    if (grew) for (const l of this.listeners) l();
  }

  /** Closes the file once any read in progress is done, unless someone follows the tail again by then. */
  async close(): Promise<void> {
    await this.reading?.catch(() => undefined);
    if (this.listeners.size > 0) return;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }

  /** Calls `fn` whenever entries were added; returns the unsubscribe. */
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    this.start();
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0) {
        this.stop();
        this.onIdle();
      }
    };
  }

  private start(): void {
    if (this.timer) return;
    this.watchFile();
    const loop = () => {
      this.tick();
      void this.refresh();
      // Until the folder exists there is nothing to watch: poll fast so the first entries are not late.
      this.timer = setTimeout(loop, this.watcher ? POLL_MS : FAST_POLL_MS);
      this.timer.unref();
    };
    this.timer = setTimeout(loop, this.watcher ? POLL_MS : FAST_POLL_MS);
    this.timer.unref();
  }

  private watchFile(): void {
    if (this.watcher) return;
    try {
      // Watch the folder: the file may not exist yet (no event read so far).
      this.watcher = watch(dirname(this.file), { persistent: false }, () => void this.refresh());
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // The folder is created with the first event; the poll covers until then (and retries the watch).
      this.watcher = undefined;
    }
  }

  private stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    void this.close();
  }

  /** Called by the poll: a watch that could not start (no folder yet) is tried again. */
  tick(): void {
    if (!this.watcher && this.timer) this.watchFile();
  }
}

/** The whole transcript of a file as it is now (for a page rendered on the server). */
export async function readTranscript(file: string): Promise<PositionedEntry[]> {
  const t = new TranscriptTail(file, () => undefined);
  try {
    await t.refresh();
  } finally {
    await t.close();
  }
  return t.entries;
}

/** Every open tail, by file; a tail nobody listens to is dropped. */
export class TranscriptTails {
  private tails = new Map<string, TranscriptTail>();

  get(file: string): TranscriptTail {
    let t = this.tails.get(file);
    if (!t) {
      t = new TranscriptTail(file, () => this.tails.delete(file));
      this.tails.set(file, t);
    }
    return t;
  }

  private statuses = new Map<string, { at: number; status: Promise<string> }>();

  /**
   * A workflow's execution status, shared by every stream on it: at most one `describe` per
   * workflow per {@link STATUS_TTL_MS}, however many clients watch it.
   */
  status(workflowId: string, fetch: () => Promise<string>): Promise<string> {
    const hit = this.statuses.get(workflowId);
    if (hit && Date.now() - hit.at < STATUS_TTL_MS) return hit.status;
    const status = fetch().catch(() => 'RUNNING');
    this.statuses.set(workflowId, { at: Date.now(), status });
    if (this.statuses.size > 10_000) this.statuses.delete(this.statuses.keys().next().value!);
    return status;
  }

  /** How many files are being followed (for the bench). */
  get size(): number {
    return this.tails.size;
  }
}
