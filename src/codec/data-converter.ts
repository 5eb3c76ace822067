import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec';
import { loadPayloadKeys, type PayloadKeyring } from './payload-keys';

/** The module the workers, the clients and the workflow bundle load their failure converter from. */
export const failureConverterPath = fileURLToPath(new URL('./failure-converter.ts', import.meta.url));

/**
 * Troupe's data converter: default JSON payloads, failure messages encoded as payloads, and every
 * payload encrypted. Every client and worker that talks to Troupe's namespace uses it.
 */
export function troupeDataConverter(keys: PayloadKeyring): DataConverter {
  return { payloadCodecs: [new EncryptionCodec(keys)], failureConverterPath };
}

/** The data converter with the keys of this data folder (or TROUPE_PAYLOAD_KEY). */
export async function loadDataConverter(
  dataDir: string,
  env: Record<string, string | undefined> = process.env,
): Promise<DataConverter> {
  return troupeDataConverter(await loadPayloadKeys(dataDir, env));
}
