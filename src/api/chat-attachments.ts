import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { extractText, getDocumentProxy } from 'unpdf';
import { blobStoreFor } from '../activities/blob-store';
import { storeLocation } from '../store/store';
import { runWorkspacePath } from '../activities/workspace';
import { Attachment, AttachmentKind } from '../engine/chat-types';
import { HttpError } from './http-error';

/** The largest attachment accepted, and the size from which it is also kept in the blob store. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
export const BLOB_FROM_BYTES = 1024 * 1024;

const sourceExtensions = [
  '.ts',
  '.tsx',
  '.js',
  '.jsx',
  '.mjs',
  '.cjs',
  '.py',
  '.go',
  '.rs',
  '.java',
  '.kt',
  '.c',
  '.h',
  '.cpp',
  '.hpp',
  '.cs',
  '.rb',
  '.php',
  '.swift',
  '.sh',
  '.sql',
  '.html',
  '.css',
  '.scss',
  '.yaml',
  '.yml',
  '.toml',
  '.xml',
  '.ini',
  '.vue',
  '.svelte',
];

/** What each kind may be called, and the media type it is stored as. */
const kinds: { kind: AttachmentKind; extensions: string[]; mediaType: (ext: string) => string }[] = [
  { kind: AttachmentKind.Text, extensions: ['.txt', '.log'], mediaType: () => 'text/plain' },
  { kind: AttachmentKind.Markdown, extensions: ['.md', '.markdown'], mediaType: () => 'text/markdown' },
  { kind: AttachmentKind.Json, extensions: ['.json'], mediaType: () => 'application/json' },
  {
    kind: AttachmentKind.Csv,
    extensions: ['.csv', '.tsv'],
    mediaType: (ext) => (ext === '.tsv' ? 'text/tab-separated-values' : 'text/csv'),
  },
  { kind: AttachmentKind.Pdf, extensions: ['.pdf'], mediaType: () => 'application/pdf' },
  {
    kind: AttachmentKind.Image,
    extensions: ['.png', '.jpg', '.jpeg', '.gif', '.webp'],
    mediaType: (ext) => `image/${ext === '.jpg' ? 'jpeg' : ext.slice(1)}`,
  },
  { kind: AttachmentKind.Source, extensions: sourceExtensions, mediaType: () => 'text/plain' },
];

export const acceptedExtensions = kinds.flatMap((kind) => kind.extensions);

const NAME = /^[A-Za-z0-9][A-Za-z0-9 _.()-]{0,150}$/;

/** A file name an upload may use: plain, no folders, a known extension. */
export function attachmentKind(name: string): { kind: AttachmentKind; mediaType: string } {
  if (!NAME.test(name) || name.includes('..'))
    throw new HttpError(400, {
      message: `"${name}" is not an attachment name: letters, digits, space, _ . ( ) - and no folders`,
      errors: [{ path: 'name', message: 'not a plain file name' }],
    });
  const ext = extname(name).toLowerCase();
  const found = kinds.find((kind) => kind.extensions.includes(ext));
  if (!found)
    throw new HttpError(415, {
      message: `"${name}": files of type ${ext || '(none)'} cannot be attached; accepted: ${acceptedExtensions.join(' ')}`,
      errors: [{ path: 'name', message: `type ${ext || '(none)'} is not accepted` }],
    });
  return { kind: found.kind, mediaType: found.mediaType(ext) };
}

const magic: Partial<Record<string, (bytes: Buffer) => boolean>> = {
  'application/pdf': (bytes) => bytes.subarray(0, 5).toString('latin1') === '%PDF-',
  'image/png': (bytes) =>
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (bytes) => bytes[0] === 0xff && bytes[1] === 0xd8,
  'image/gif': (bytes) => bytes.subarray(0, 4).toString('latin1') === 'GIF8',
  'image/webp': (bytes) => bytes.subarray(8, 12).toString('latin1') === 'WEBP',
};

/** Checks the bytes are what the name says: a PDF or image by its signature, text as UTF-8 without NULs. */
function checkContent(name: string, kind: AttachmentKind, mediaType: string, bytes: Buffer): void {
  const bad = (why: string) =>
    new HttpError(415, { message: `"${name}" ${why}`, errors: [{ path: 'body', message: why }] });
  const signature = magic[mediaType];
  if (signature) {
    if (!signature(bytes)) throw bad(`does not look like ${mediaType} (its first bytes do not match)`);
    return;
  }
  if (bytes.includes(0)) throw bad('is not text: it has NUL bytes');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('\uFFFD')) throw bad('is not UTF-8 text');
  if (kind === AttachmentKind.Json) {
    try {
      JSON.parse(text);
    } catch (err) {
      throw bad(`is not valid JSON: ${(err as Error).message}`);
    }
  }
}

const folder = (dataDir: string, sessionId: string) =>
  join(runWorkspacePath(dataDir, sessionId), 'attachments');

/**
 * Stores an upload in the session's workspace under attachments/, where the agents' file tools read it:
 * checked first (name, type, size, content), written to a temporary name and renamed, so a failed or
 * refused upload leaves nothing behind. A PDF's text is extracted beside it; large files also go to the
 * blob store.
 */
export async function saveAttachment(
  dataDir: string,
  sessionId: string,
  name: string,
  bytes: Buffer,
): Promise<Attachment> {
  const { kind, mediaType } = attachmentKind(name);
  if (bytes.length === 0)
    throw new HttpError(400, {
      message: `"${name}" is empty`,
      errors: [{ path: 'body', message: 'empty file' }],
    });
  if (bytes.length > MAX_ATTACHMENT_BYTES)
    throw new HttpError(413, {
      message: `"${name}" has ${bytes.length} bytes; an attachment may have at most ${MAX_ATTACHMENT_BYTES} (10 MB)`,
    });
  checkContent(name, kind, mediaType, bytes);
  const dir = folder(dataDir, sessionId);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.upload-${randomUUID()}`);
  const written: string[] = [];
  try {
    let textPath: string | undefined;
    if (kind === AttachmentKind.Pdf) {
      const text = await pdfText(name, bytes);
      await writeFile(`${temp}.txt`, text);
      written.push(`${temp}.txt`);
      textPath = `attachments/${name}.txt`;
    }
    await writeFile(temp, bytes);
    written.push(temp);
    const blob =
      bytes.length >= BLOB_FROM_BYTES ? await blobStoreFor(storeLocation(dataDir)).put(bytes) : undefined;
    const attachment: Attachment = {
      name,
      kind,
      mediaType,
      size: bytes.length,
      path: `attachments/${name}`,
      ...(textPath && { textPath }),
      ...(blob && { blob }),
    };
    await writeFile(`${temp}.meta`, JSON.stringify(attachment));
    written.push(`${temp}.meta`);
    if (textPath) await rename(`${temp}.txt`, join(dir, `${name}.txt`));
    await rename(`${temp}.meta`, join(dir, `.${name}.meta.json`));
    await rename(temp, join(dir, name));
    return attachment;
  } catch (err) {
    await Promise.all(written.map((path) => rm(path, { force: true })));
    throw err;
  }
}

async function pdfText(name: string, bytes: Buffer): Promise<string> {
  try {
    const pdf = await getDocumentProxy(new Uint8Array(bytes));
    const { text } = await extractText(pdf, { mergePages: true });
    return text;
  } catch (err) {
    throw new HttpError(415, {
      message: `"${name}" could not be read as a PDF: ${(err as Error).message}`,
      errors: [{ path: 'body', message: 'unreadable PDF' }],
    });
  }
}

/** The stored attachments a message names, or a 400 naming the ones that were never uploaded. */
export async function findAttachments(
  dataDir: string,
  sessionId: string,
  names: string[],
): Promise<Attachment[]> {
  const dir = folder(dataDir, sessionId);
  const found = await Promise.all(
    names.map(async (name) => {
      try {
        await stat(join(dir, name));
        return Attachment.parse(JSON.parse(await readFile(join(dir, `.${name}.meta.json`), 'utf8')));
      } catch {
        return undefined;
      }
    }),
  );
  const missing = names.filter((_, index) => !found[index]);
  if (missing.length > 0)
    throw new HttpError(400, {
      message: `attachment${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'were' : 'was'} not uploaded to this session; upload with PUT /api/chat/sessions/${sessionId}/attachments/<name>`,
      errors: missing.map((name) => ({
        path: `attachments[${names.indexOf(name)}]`,
        message: 'not uploaded',
      })),
    });
  return found.filter((item): item is Attachment => item !== undefined);
}
