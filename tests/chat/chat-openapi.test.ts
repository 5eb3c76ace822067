import { Validator } from '@seriousme/openapi-schema-validator';
import { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { loadAgentRegistry } from '../../src/agents/registry';
import { chatRoutes } from '../../src/api/chat-routes';
import { openApiDocument } from '../../src/api/openapi';
import { SpecStore } from '../../src/api/spec-store';
import { Config } from '../../src/config';
import { storeOf } from '../../src/store/store';

type Layer = { route?: { path: string; methods: Record<string, boolean> } };

/** The chat router's own routes, as `METHOD /api/chat/...` with OpenAPI's `{param}`s. */
async function expressChatRoutes(): Promise<string[]> {
  const config = Config.parse({ TROUPE_DATA_DIR: '/tmp/troupe-chat-openapi' });
  const router = chatRoutes({
    // A lazy client: building the router talks to no server.
    client: new Client(),
    config,
    specs: new SpecStore(storeOf(config)),
    agents: await loadAgentRegistry(),
    mayAdmin: () => Promise.resolve(false),
  });
  return (router.stack as Layer[]).flatMap(({ route }) =>
    route
      ? Object.keys(route.methods).map(
          (method) => `${method} /api/chat${route.path.replace(/:([A-Za-z]+)/g, '{$1}')}`,
        )
      : [],
  );
}

describe('the OpenAPI document and the chat API', () => {
  it('describes every route the chat router serves, and nothing it does not', async () => {
    const document = openApiDocument();
    const served = await expressChatRoutes();
    expect(served.length).toBeGreaterThanOrEqual(9);
    const documented = Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
      path.startsWith('/api/chat/')
        ? Object.keys(item as object)
            .filter((method) => ['get', 'post', 'put', 'delete', 'patch'].includes(method))
            .map((method) => `${method} ${path}`)
        : [],
    );
    expect(documented.sort()).toEqual([...new Set(served)].sort());
  });

  it('documents ui-config with its simulated mark, and stays a valid OpenAPI 3.1 document', async () => {
    const document = openApiDocument();
    const uiConfig = document.paths?.['/api/ui-config']?.get;
    const schema = JSON.stringify(uiConfig?.responses?.['200']);
    expect(schema).toContain('"simulated"');
    expect(schema).toContain('scripted model server');
    const validation = await new Validator().validate(document as never);
    expect(validation.errors ?? []).toEqual([]);
    expect(validation.valid).toBe(true);
  });
});
