import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/** One AES-256 key; its id travels with every payload it encrypted, so old payloads find their key. */
export type PayloadKey = { id: string; key: Buffer };

/** The keys a process may decrypt with; the first one encrypts. */
export type PayloadKeyring = { current: PayloadKey; all: Map<string, PayloadKey> };

const KeyText = z
  .string()
  .trim()
  .refine((text) => Buffer.from(text, 'base64').length === 32, 'a key is 32 bytes, base64-encoded');
const KeyFile = z.object({
  keys: z.array(z.object({ id: z.string().min(1), key: KeyText, createdAt: z.string() })).min(1),
});

/** A key's id: the start of its sha256, so the same key has the same id wherever it is configured. */
export const payloadKeyId = (key: Buffer) =>
  `k${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;

export const payloadKeyFile = (dataDir: string) => join(dataDir, 'payload-keys.json');

function keyring(keys: PayloadKey[]): PayloadKeyring {
  const [current] = keys;
  if (!current) throw new Error('a payload keyring needs at least one key');
  return { current, all: new Map(keys.map((key) => [key.id, key])) };
}

/** A keyring from raw keys, for tests and tools that hold the keys themselves. */
export function payloadKeyring(...keys: Buffer[]): PayloadKeyring {
  return keyring(keys.map((key) => ({ id: payloadKeyId(key), key })));
}

/** A fresh random key, base64-encoded as TROUPE_PAYLOAD_KEY and the key file hold it. */
export const newPayloadKey = () => randomBytes(32).toString('base64');

/**
 * The payload keys: TROUPE_PAYLOAD_KEY (comma-separated base64 keys, the first encrypts) when set,
 * else `<dataDir>/payload-keys.json`, made on first use. Every process that shares the data folder
 * (or the variable) shares the keys; the file is created exclusively, so racing processes agree.
 */
export async function loadPayloadKeys(
  dataDir: string,
  env: Record<string, string | undefined> = process.env,
): Promise<PayloadKeyring> {
  const fromEnv = env.TROUPE_PAYLOAD_KEY;
  if (fromEnv !== undefined) {
    const texts = fromEnv.split(',').filter((text) => text.trim() !== '');
    const keys = texts.map((text, index) => {
      const parsed = KeyText.safeParse(text);
      if (!parsed.success)
        throw new Error(
          `TROUPE_PAYLOAD_KEY: key ${index + 1} of ${texts.length} is not 32 bytes of base64; make one with \`openssl rand -base64 32\``,
        );
      return Buffer.from(parsed.data, 'base64');
    });
    if (keys.length === 0) throw new Error('TROUPE_PAYLOAD_KEY is set but holds no key');
    return payloadKeyring(...keys);
  }
  const path = payloadKeyFile(dataDir);
  const text = await readFile(path, 'utf8').catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw new Error(`cannot read the payload keys ${path}: ${err.message}`);
    await createKeyFile(path, dataDir);
    return readFile(path, 'utf8');
  });
  const parsed = KeyFile.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new Error(`${path} is not a payload key file: ${parsed.error.issues[0]?.message}`);
  return keyring(parsed.data.keys.map(({ id, key }) => ({ id, key: Buffer.from(key, 'base64') })));
}

async function createKeyFile(path: string, dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const key = newPayloadKey();
  const body = {
    keys: [{ id: payloadKeyId(Buffer.from(key, 'base64')), key, createdAt: new Date().toISOString() }],
  };
  await writeFile(path, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600, flag: 'wx' }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    },
  );
}

/**
 * Puts a new key in front of the key file: new payloads use it, old ones still decrypt with the
 * keys behind it. Returns the new key's id.
 */
export async function rotatePayloadKey(dataDir: string): Promise<string> {
  const path = payloadKeyFile(dataDir);
  await loadPayloadKeys(dataDir, {});
  const file = KeyFile.parse(JSON.parse(await readFile(path, 'utf8')));
  const key = newPayloadKey();
  const id = payloadKeyId(Buffer.from(key, 'base64'));
  file.keys.unshift({ id, key, createdAt: new Date().toISOString() });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, path);
  return id;
}
