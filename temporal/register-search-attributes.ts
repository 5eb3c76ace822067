// Registers Troupe's search attributes on a Temporal server that Troupe did not start (docker-compose,
// a shared cluster). The dev server that `npm start` runs registers them itself.
import { Connection } from '@temporalio/client';
import { loadConfig, temporalAddress } from '../src/config';
import { troupeSearchAttributes } from '../src/engine/search-attributes';
import { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';

const { temporal } = proto;
const { IndexedValueType } = temporal.api.enums.v1;
const indexedValueType: Record<SearchAttributeType, proto.temporal.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

async function main() {
  const config = loadConfig();
  const connection = await Connection.connect({ address: temporalAddress(config) });
  const existing = await connection.operatorService.listSearchAttributes({
    namespace: config.TEMPORAL_NAMESPACE,
  });
  const missing = troupeSearchAttributes.filter((key) => !(key.name in existing.customAttributes));
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace: config.TEMPORAL_NAMESPACE,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedValueType[key.type]])),
    });
  }
  console.log(
    `search attributes: ${troupeSearchAttributes.map((key) => key.name).join(', ')} (${missing.length} added)`,
  );
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
