/**
 * Writes the schemas kubeconform checks the chart against, one standalone strict JSON Schema per kind,
 * from Kubernetes' OpenAPI (v2) document and a CRD (KEDA's ScaledObject), both taken from Go modules:
 * `node --import tsx deploy/kubernetes-schemas.ts <swagger.json> <crd.yaml> <folder>` (setup runs it).
 * Strict: an object with declared properties takes no others, so a misspelt field fails. int-or-string
 * values and quantities take either form, as the API server does.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

type Schema = { [key: string]: unknown };
type GroupVersionKind = { group: string; version: string; kind: string };
type Crd = {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema: { openAPIV3Schema: Schema } }[];
  };
};

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const intOrString: Schema = { oneOf: [{ type: 'string' }, { type: 'integer' }] };
const dualTyped: Record<string, Schema> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': intOrString,
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
};

/** A copy of a schema made strict, with Kubernetes' dual-typed values opened to both types. */
export function strictSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (!isObject(schema)) return schema;
  if (schema.format === 'int-or-string' || schema['x-kubernetes-int-or-string'] === true) return intOrString;
  const copy: Schema = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === 'properties' && isObject(value)
        ? Object.fromEntries(Object.entries(value).map(([name, item]) => [name, strictSchema(item)]))
        : strictSchema(value),
    ]),
  );
  const open =
    copy.additionalProperties !== undefined || copy['x-kubernetes-preserve-unknown-fields'] === true;
  if (copy.properties && !open) copy.additionalProperties = false;
  return copy;
}

/** The definitions a definition reaches through `$ref`, itself included. */
function reachable(start: string, definitions: Record<string, unknown>): Record<string, unknown> {
  const seen: Record<string, unknown> = {};
  const visit = (name: string) => {
    if (name in seen || !(name in definitions)) return;
    seen[name] = definitions[name];
    JSON.stringify(definitions[name], (key, value: unknown) => {
      if (key === '$ref' && typeof value === 'string') visit(value.replace('#/definitions/', ''));
      return value;
    });
  };
  visit(start);
  return seen;
}

/** kubeconform's file name for a kind: `deployment-apps-v1.json`; the core group is named by its version. */
const fileFor = ({ group, version, kind }: GroupVersionKind) =>
  `${kind.toLowerCase()}-${group || version}-${version}.json`;

export function writeKubernetesSchemas(
  swagger: { definitions: Record<string, Schema> },
  dir: string,
): number {
  mkdirSync(dir, { recursive: true });
  const definitions = Object.fromEntries(
    Object.entries(swagger.definitions).map(([name, schema]) => [
      name,
      dualTyped[name] ?? strictSchema(schema),
    ]),
  );
  let written = 0;
  for (const [name, schema] of Object.entries(swagger.definitions)) {
    const kinds = (schema['x-kubernetes-group-version-kind'] ?? []) as GroupVersionKind[];
    for (const kind of kinds) {
      const root = { ...(definitions[name] as Schema), definitions: reachable(name, definitions) };
      writeFileSync(join(dir, fileFor(kind)), JSON.stringify(root));
      written += 1;
    }
  }
  return written;
}

/** A CRD's versions as schemas, with `apiVersion`, `kind` and `metadata` declared (CRDs leave them out). */
export function writeCrdSchemas(crd: Crd, dir: string): number {
  const { group, names, versions } = crd.spec;
  for (const version of versions) {
    const schema = strictSchema(version.schema.openAPIV3Schema) as Schema;
    schema.properties = {
      ...(schema.properties as Schema),
      apiVersion: { type: 'string', enum: [`${group}/${version.name}`] },
      kind: { type: 'string', enum: [names.kind] },
      metadata: { type: 'object' },
    };
    writeFileSync(
      join(dir, fileFor({ group, version: version.name, kind: names.kind })),
      JSON.stringify(schema),
    );
  }
  return versions.length;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [swaggerFile, crdFile, dir] = process.argv.slice(2);
  if (!swaggerFile || !crdFile || !dir) {
    console.error('usage: kubernetes-schemas.ts <swagger.json> <crd.yaml> <folder>');
    process.exit(2);
  }
  const kinds = writeKubernetesSchemas(JSON.parse(readFileSync(swaggerFile, 'utf8')) as never, dir);
  const crds = writeCrdSchemas(parse(readFileSync(crdFile, 'utf8')) as Crd, dir);
  console.log(`  ${kinds} Kubernetes kinds and ${crds} CRD versions in ${dir}`);
}
