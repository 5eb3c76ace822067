import { troupeDataConverter } from '../../src/codec/data-converter';
import { payloadKeyring } from '../../src/codec/payload-keys';

/**
 * The payload key of every test stack and of the recorded histories: fixed, so histories recorded
 * with it replay in any later test run. A test key only; never configure it anywhere real.
 */
export const testPayloadKey = 'dHJvdXBlLXRlc3QtcGF5bG9hZC1rZXktMzItYnl0ZXM=';

/** Troupe's data converter with the test key, for every client and worker of the tests. */
export const testDataConverter = troupeDataConverter(payloadKeyring(Buffer.from(testPayloadKey, 'base64')));

/** What a process started by a test needs in its environment to share the test stack's key. */
export const testPayloadEnv = { TROUPE_PAYLOAD_KEY: testPayloadKey };
