import { createWriteStream, promises as fs, type WriteStream } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConversationRecord } from '../core/conversation';
import { formatIssue } from '../core/pool';

/** A record file that is not a valid conversation record: the message names the file and the field. */
export class RecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

/** The record files of a run's conversations folder, in index order (names only: 100,000 are small). */
export async function recordFiles(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  return names
    .filter((n) => /^conv-\d+\.json$/.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}

export async function readRecord(file: string): Promise<ConversationRecord> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new RecordError(`${file}: not JSON (${(e as Error).message})`);
  }
  const parsed = ConversationRecord.safeParse(raw);
  if (!parsed.success) throw new RecordError(formatIssue(file, 'record', parsed.error));
  return parsed.data;
}

/** One record at a time, so an export holds a single conversation in memory whatever the run's size. */
export async function* streamRecords(files: readonly string[]): AsyncGenerator<ConversationRecord> {
  for (const f of files) yield await readRecord(f);
}

/**
 * A file written line by line through a temporary name and renamed on close, so a reader (or a crash
 * halfway) never sees half an export; writes wait for the stream to drain so memory stays bounded.
 */
export class LineFile {
  readonly file: string;
  private readonly tmp: string;
  private readonly out: WriteStream;
  private failed: Error | undefined;
  lines = 0;

  private constructor(file: string) {
    this.file = file;
    this.tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    this.out = createWriteStream(this.tmp, { encoding: 'utf8' });
    this.out.on('error', (e) => (this.failed = e));
  }

  static async open(file: string): Promise<LineFile> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    return new LineFile(file);
  }

  async write(line: string): Promise<void> {
    if (this.failed) throw this.failed;
    this.lines++;
    if (!this.out.write(line + '\n')) {
      await new Promise<void>((resolve, reject) => {
        const onError = (e: Error): void => reject(e);
        this.out.once('error', onError);
        this.out.once('drain', () => {
          this.out.off('error', onError);
          resolve();
        });
      });
    }
  }

  async writeJson(value: unknown): Promise<void> {
    await this.write(JSON.stringify(value));
  }

  async close(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.out.end((e?: Error | null) => (e ? reject(e) : resolve()));
    });
    if (this.failed) throw this.failed;
    await fs.rename(this.tmp, this.file);
    return this.file;
  }

  /** Drops the partial file (an export that failed leaves nothing behind). */
  async abort(): Promise<void> {
    this.out.destroy();
    await fs.rm(this.tmp, { force: true });
  }
}

/** The sidecar holding the provenance of `file`'s lines (see LineProvenance). */
export function provenanceFile(file: string): string {
  return file.replace(/\.jsonl?$/, '') + '.provenance.jsonl';
}
