import { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { troupeSearchAttributes } from '../src/engine/search-attributes';
import { retryUntil } from './retry-until';

const { IndexedValueType } = proto.temporal.api.enums.v1;
type IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

const indexedValueType: Record<SearchAttributeType, IndexedValueType> = {
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** The names the Temporal CLI and dev server use for each type (`--type Keyword`). */
export const searchAttributeTypeNames: Record<SearchAttributeType, string> = {
  [SearchAttributeType.TEXT]: 'Text',
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DOUBLE]: 'Double',
  [SearchAttributeType.BOOL]: 'Bool',
  [SearchAttributeType.DATETIME]: 'Datetime',
  [SearchAttributeType.KEYWORD_LIST]: 'KeywordList',
};

/** What the operator service offers both Connection (client) and NativeConnection (worker). */
type OperatorService = {
  listSearchAttributes(request: {
    namespace: string;
  }): Promise<{ customAttributes?: Record<string, IndexedValueType> | null }>;
  addSearchAttributes(request: {
    namespace: string;
    searchAttributes: Record<string, IndexedValueType>;
  }): Promise<unknown>;
};

/** The command an operator runs to register Troupe's search attributes by hand. */
export function registerCommand(namespace: string, address?: string): string {
  const names = troupeSearchAttributes
    .map((key) => `--name ${key.name} --type ${searchAttributeTypeNames[key.type]}`)
    .join(' ');
  const where = address ? ` --address ${address}` : '';
  return `temporal operator search-attribute create${where} --namespace ${namespace} ${names}`;
}

export class SearchAttributesError extends Error {
  override name = 'SearchAttributesError';
}

/**
 * Makes sure Troupe's search attributes exist on the namespace, adding those that are missing, and waits
 * until the server lists every one of them. Idempotent, and safe when several processes (the workers
 * and the API of `npm start`) do it at once: whoever loses the race finds them added. When they cannot
 * be registered (no permission, a name taken with another type), the error says what to run.
 */
export async function ensureSearchAttributes(
  operator: OperatorService,
  { namespace, address, timeoutMs = 30_000 }: { namespace: string; address?: string; timeoutMs?: number },
): Promise<{ added: string[] }> {
  const listed = async () => (await operator.listSearchAttributes({ namespace })).customAttributes ?? {};
  const fail = (why: string) =>
    new SearchAttributesError(
      `Troupe's search attributes (${troupeSearchAttributes.map((key) => key.name).join(', ')}) are not ` +
        `registered on namespace "${namespace}"${address ? ` of ${address}` : ''}: ${why}. ` +
        `Register them with \`${registerCommand(namespace, address)}\` ` +
        '(or `npx tsx temporal/register-search-attributes.ts` with TEMPORAL_ADDRESS set), then start again.',
    );
  let existing: Record<string, number>;
  try {
    existing = await listed();
  } catch (err) {
    throw fail(`listing them failed (${(err as Error).message})`);
  }
  const wrongType = troupeSearchAttributes.filter(
    (key) => key.name in existing && existing[key.name] !== indexedValueType[key.type],
  );
  if (wrongType.length > 0) {
    const names = wrongType.map((key) => `${key.name} should be ${searchAttributeTypeNames[key.type]}`);
    throw fail(`the namespace has ${names.join(', ')} with another type; remove them first`);
  }
  const missing = troupeSearchAttributes.filter((key) => !(key.name in existing));
  if (missing.length === 0) return { added: [] };
  try {
    await operator.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedValueType[key.type]])),
    });
  } catch (err) {
    // Another process may have added them a moment earlier; the wait below tells.
    const now = await listed().catch(() => ({}));
    if (missing.some((key) => !(key.name in now)))
      throw fail(`adding them failed (${(err as Error).message})`);
  }
  let absent = missing;
  return retryUntil(
    async () => {
      const now = await listed();
      absent = missing.filter((key) => !(key.name in now));
      return absent.length === 0 ? { added: missing.map((key) => key.name) } : undefined;
    },
    {
      timeoutMs,
      timeoutError: (err) =>
        fail(
          err
            ? `listing them failed (${(err as Error).message})`
            : `the server accepted them but still does not list ${absent.map((key) => key.name).join(', ')} after ${timeoutMs / 1000} s`,
        ),
    },
  );
}
