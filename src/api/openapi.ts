import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { chatOpenApiRoutes } from './chat-openapi';
import { problem, routes } from './openapi-paths';

/** The OpenAPI 3.1 document; built once per process, since the routes do not change at run time. */
export function openApiDocument(): ReturnType<OpenApiGeneratorV31['generateDocument']> {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer' });
  for (const { scope, ...route } of [...routes(), ...chatOpenApiRoutes()]) {
    const auth = scope === 'none' ? {} : { security: [{ bearerAuth: [scope] }] };
    const authErrors: RouteConfig['responses'] =
      scope === 'none'
        ? {}
        : {
            401: problem('No or unknown API key'),
            403: problem(`The key lacks the "${scope}" scope`),
            429: problem('Too many requests'),
          };
    registry.registerPath({ ...route, ...auth, responses: { ...route.responses, ...authErrors } });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Troupe API',
      version: '0.1.0',
      description:
        'Runs teams of AI agents as durable Temporal workflows. Keys are needed unless the API listens on loopback only.',
    },
    servers: [{ url: '/' }],
  });
}
