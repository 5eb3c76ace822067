import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { EncryptionCodec, isEncrypted } from './encryption-codec';
import { loadPayloadKeys, payloadKeyring, rotatePayloadKey } from './payload-keys';

const toPayload = (value: unknown) => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Payload) => defaultPayloadConverter.fromPayload(payload);

describe('EncryptionCodec', () => {
  const codec = new EncryptionCodec(payloadKeyring(randomBytes(32)));

  it('round-trips values of every shape and leaves no plaintext in the encoded bytes', async () => {
    for (let index = 0; index < 200; index += 1) {
      const secret = `secret-${randomBytes(1 + (index % 40)).toString('hex')}`;
      const value = [secret, { secret, n: index, nested: [secret, null, true] }, ''][index % 3];
      const [encoded] = await codec.encode([toPayload(value)]);
      expect(isEncrypted(encoded!)).toBe(true);
      if (value !== '') expect(Buffer.from(encoded!.data!).toString('latin1')).not.toContain(secret);
      const [decoded] = await codec.decode([encoded!]);
      expect(fromPayload(decoded!)).toEqual(value);
    }
  });

  it('encrypts the same value differently each time', async () => {
    const [first, second] = await codec.encode([toPayload('same'), toPayload('same')]);
    expect(Buffer.from(first!.data!).equals(Buffer.from(second!.data!))).toBe(false);
  });

  it('passes payloads written before the codec through unchanged', async () => {
    const plain = toPayload({ old: true });
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('refuses a changed ciphertext and a payload of an unknown key, naming the key', async () => {
    const [encoded] = await codec.encode([toPayload('x')]);
    const data = Buffer.from(encoded!.data!);
    data[20] = (data[20] ?? 0) ^ 1;
    await expect(codec.decode([{ ...encoded!, data }])).rejects.toThrow(/fails authentication/);
    const other = new EncryptionCodec(payloadKeyring(randomBytes(32)));
    await expect(other.decode([encoded!])).rejects.toThrow(/which this process does not have/);
  });

  it('decrypts payloads of older keys after a rotation', async () => {
    const [oldKey, newKey] = [randomBytes(32), randomBytes(32)];
    const [encoded] = await new EncryptionCodec(payloadKeyring(oldKey)).encode([toPayload('kept')]);
    const rotated = new EncryptionCodec(payloadKeyring(newKey, oldKey));
    expect(fromPayload((await rotated.decode([encoded!]))[0]!)).toBe('kept');
  });
});

describe('loadPayloadKeys', () => {
  it('makes one key file readable by its owner only, and every later load finds the same key', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'troupe-keys-'));
    const [first, second] = await Promise.all([loadPayloadKeys(dataDir, {}), loadPayloadKeys(dataDir, {})]);
    expect(first.current.id).toBe(second.current.id);
    expect((await stat(join(dataDir, 'payload-keys.json'))).mode & 0o777).toBe(0o600);
    const id = await rotatePayloadKey(dataDir);
    const after = await loadPayloadKeys(dataDir, {});
    expect(after.current.id).toBe(id);
    expect(after.all.has(first.current.id)).toBe(true);
    expect(await readFile(join(dataDir, 'payload-keys.json'), 'utf8')).toContain(first.current.id);
  });

  it('takes TROUPE_PAYLOAD_KEY over the file, and names a malformed one', async () => {
    const key = randomBytes(32);
    const ring = await loadPayloadKeys('/nonexistent', { TROUPE_PAYLOAD_KEY: key.toString('base64') });
    expect(ring.current.key.equals(key)).toBe(true);
    await expect(loadPayloadKeys('/nonexistent', { TROUPE_PAYLOAD_KEY: 'short' })).rejects.toThrow(
      /TROUPE_PAYLOAD_KEY: key 1 of 1 is not 32 bytes/,
    );
  });
});
