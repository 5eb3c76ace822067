// Registers Troupe's search attributes on a Temporal server that Troupe did not start (docker-compose,
// a shared cluster). The dev server that `npm start` runs registers them itself, and the workers and
// the API make sure of them at start too (temporal/search-attributes.ts); this is the same, by hand.
import { Connection } from '@temporalio/client';
import { loadConfig, temporalAddress } from '../src/config';
import { troupeSearchAttributes } from '../src/engine/search-attributes';
import { ensureSearchAttributes } from './search-attributes';

async function main() {
  const config = loadConfig();
  const address = temporalAddress(config);
  const connection = await Connection.connect({ address });
  try {
    const { added } = await ensureSearchAttributes(connection.operatorService, {
      namespace: config.TEMPORAL_NAMESPACE,
      address,
    });
    console.log(
      `search attributes: ${troupeSearchAttributes.map((key) => key.name).join(', ')} (${added.length} added)`,
    );
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
