// `npm run payload-key [-- ensure|rotate]`: makes the payload key file in the data folder if there is
// none (setup runs this), or puts a new key in front of it. Old payloads keep decrypting with the keys
// behind it. Prints key ids only, never a key.
import { loadConfig } from '../src/config';
import { loadPayloadKeys, payloadKeyFile, rotatePayloadKey } from '../src/codec/payload-keys';

async function main() {
  const command = process.argv[2] ?? 'ensure';
  const { TROUPE_DATA_DIR: dataDir } = loadConfig();
  if (command === 'ensure') {
    if (process.env.TROUPE_PAYLOAD_KEY !== undefined) {
      const keys = await loadPayloadKeys(dataDir);
      console.log(`payload key: ${keys.current.id} from TROUPE_PAYLOAD_KEY`);
      return;
    }
    const keys = await loadPayloadKeys(dataDir, {});
    console.log(`payload key: ${keys.current.id} in ${payloadKeyFile(dataDir)}`);
  } else if (command === 'rotate') {
    const id = await rotatePayloadKey(dataDir);
    console.log(`payload key: ${id} now encrypts; older keys in ${payloadKeyFile(dataDir)} still decrypt`);
  } else {
    throw new Error(`unknown command "${command}": use ensure or rotate`);
  }
}

main().catch((err) => {
  console.error(`payload-key: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
