import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ApplicationFailure, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { PayloadKeyring } from './payload-keys';

const ProtoPayload = proto.temporal.api.common.v1.Payload;

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const text = (bytes: Uint8Array | null | undefined) =>
  bytes ? Buffer.from(bytes).toString('utf8') : undefined;

/** True when a payload is one this codec encrypted (whatever the key). */
export const isEncrypted = (payload: Payload) => text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;

/**
 * Encrypts every payload with AES-256-GCM (Node's crypto): the whole original payload, metadata
 * included, becomes `iv | ciphertext | tag`, and the key id goes in the clear beside it. The key id is
 * authenticated too, so a payload cannot be passed off as another key's. Payloads written before
 * the codec existed have no key id and pass through as they are, so old histories still decode.
 */
export class EncryptionCodec implements PayloadCodec {
  constructor(private readonly keys: PayloadKeyring) {}

  // eslint-disable-next-line @typescript-eslint/require-await -- async, so a failure rejects rather than throws
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async, so a failure rejects rather than throws
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.keys.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(id));
    const plain = ProtoPayload.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(id) },
      data,
    };
  }

  private decrypt(payload: Payload): Payload {
    const id = text(payload.metadata?.[KEY_ID_METADATA]) ?? '';
    const found = this.keys.all.get(id);
    if (!found) {
      throw ApplicationFailure.create({
        type: 'UnknownPayloadKey',
        message: `a payload is encrypted with key "${id}", which this process does not have; add it to TROUPE_PAYLOAD_KEY or the payload key file`,
        nonRetryable: true,
      });
    }
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) throw badPayload(id, 'it is too short');
    const decipher = createDecipheriv(CIPHER, found.key, data.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw badPayload(id, 'it fails authentication (changed, or not made with this key)');
    }
    return ProtoPayload.decode(plain);
  }
}

function badPayload(id: string, why: string) {
  return ApplicationFailure.create({
    type: 'BadEncryptedPayload',
    message: `a payload encrypted with key "${id}" cannot be decrypted: ${why}`,
    nonRetryable: true,
  });
}
