/**
 * `npm run check:deploy`: the deployment files checked, not only read. The Helm chart passes `helm lint
 * --strict` and its rendering passes kubeconform (strict) against Kubernetes' and KEDA's schemas; the
 * compose file passes the Compose Specification's schema; every path the Dockerfile copies exists.
 * Docker and Kubernetes themselves do not run here: what only they can check is listed in docs/deploy.md.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Ajv, { type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { deployToolPaths, KUBERNETES_VERSION, missingDeployTools, schemaLocation } from './deploy-tools.mjs';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

export type CheckResult = { check: string; ok: boolean; detail: string };

export type DeployFiles = {
  chartDir: string;
  composeFile: string;
  dockerfile: string;
  /** `--set` values for the chart, as `helm template --set` takes them. */
  set?: string[];
};

export const shippedFiles: DeployFiles = {
  chartDir: join(root, 'deploy', 'helm', 'troupe'),
  composeFile: join(root, 'docker-compose.yml'),
  dockerfile: join(root, 'Dockerfile'),
};

/** Runs a tool, answering its exit status and output rather than throwing. */
async function tool(command: string, args: string[], input?: string) {
  const child = run(command, args, { maxBuffer: 32 * 1024 * 1024, encoding: 'utf8' });
  if (input !== undefined) child.child.stdin?.end(input);
  try {
    const { stdout, stderr } = await child;
    return { ok: true, output: `${stdout}${withoutSymlinkNotes(stderr)}` };
  } catch (err) {
    const failed = err as { stdout?: string; stderr?: string; message: string };
    return {
      ok: false,
      output: `${failed.stdout ?? ''}${withoutSymlinkNotes(failed.stderr ?? '')}` || failed.message,
    };
  }
}

/** helm notes each time that the chart's config/ is a link to the repository's config/: by design. */
const withoutSymlinkNotes = (text: string) =>
  text
    .split('\n')
    .filter((line) => !/walk\.go:\d+: found symbolic link in path/.test(line))
    .join('\n');

/** The chart is rendered for the Kubernetes whose schemas it is checked against. */
const chartArgs = (set: string[]) => [
  '--kube-version',
  KUBERNETES_VERSION,
  ...set.flatMap((value) => ['--set', value]),
];

/** `helm template troupe <chart>`: the manifests the chart renders, or what helm said was wrong. */
export function renderChart(chartDir: string, set: string[] = []) {
  return tool(deployToolPaths().helm, ['template', 'troupe', chartDir, ...chartArgs(set)]);
}

export async function checkChart(chartDir: string, set: string[] = []): Promise<CheckResult[]> {
  const { helm, kubeconform, kubernetesSchemas } = deployToolPaths();
  const lint = await tool(helm, ['lint', '--strict', chartDir, ...chartArgs(set)]);
  const rendered = await renderChart(chartDir, set);
  if (!rendered.ok) {
    return [
      { check: 'helm lint --strict', ok: lint.ok, detail: lint.output.trim() },
      { check: 'helm template', ok: false, detail: rendered.output.trim() },
    ];
  }
  const conform = await tool(
    kubeconform,
    ['-strict', '-summary', '-output', 'text', '-schema-location', schemaLocation(kubernetesSchemas), '-'],
    rendered.output,
  );
  const kinds = [...rendered.output.matchAll(/^kind: (\w+)$/gm)].map((match) => match[1] ?? '');
  return [
    { check: 'helm lint --strict', ok: lint.ok, detail: lint.output.trim().split('\n').at(-1) ?? '' },
    {
      check: 'helm template | kubeconform -strict',
      ok: conform.ok,
      detail: conform.ok ? `${kinds.length} resources: ${summarise(kinds)}` : conform.output.trim(),
    },
  ];
}

const summarise = (kinds: string[]) =>
  [...new Set(kinds)].map((kind) => `${kinds.filter((k) => k === kind).length} ${kind}`).join(', ');

/** The compose file against the Compose Specification's JSON Schema (from compose-go). */
export function checkCompose(composeFile: string): CheckResult {
  const schema = JSON.parse(readFileSync(deployToolPaths().composeSchema, 'utf8')) as Record<string, unknown>;
  delete schema.$schema; // "draft-07/schema" without the "#" that Ajv knows it by; it is draft-07
  const validate = new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(schema);
  let document: unknown;
  try {
    document = parse(readFileSync(composeFile, 'utf8'), { merge: true });
  } catch (err) {
    return { check: 'compose schema', ok: false, detail: `${composeFile}: ${(err as Error).message}` };
  }
  if (validate(document)) {
    const services = Object.keys((document as { services?: object }).services ?? {});
    return {
      check: 'compose schema',
      ok: true,
      detail: `${services.length} services: ${services.join(', ')}`,
    };
  }
  const errors = (validate.errors ?? []).map(
    (error: ErrorObject) =>
      `${error.instancePath || '(top)'} ${error.message}${error.params && 'additionalProperty' in error.params ? ` "${String(error.params.additionalProperty)}"` : ''}`,
  );
  return { check: 'compose schema', ok: false, detail: [...new Set(errors)].join('\n') };
}

/** Every COPY source of the Dockerfile exists (build stages aside), and the runtime has config/ and the UI. */
export function checkDockerfile(dockerfile: string): CheckResult {
  const text = readFileSync(dockerfile, 'utf8');
  const copies = [...text.matchAll(/^COPY\s+(.+)$/gm)].map((match) => (match[1] ?? '').trim().split(/\s+/));
  const missing = copies
    .filter((words) => !words.some((word) => word.startsWith('--from=')))
    .flatMap((words) => words.slice(0, -1))
    .filter((source) => !existsSync(join(dockerfile, '..', source)));
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const needed = ['./config', './ui/dist', './src', './bin'].filter(
    (target) => !new RegExp(`^COPY .* ${target.replace('/', '\\/')}$`, 'm').test(runtime),
  );
  const problems = [
    ...missing.map((source) => `COPY ${source}: no such file or folder`),
    ...needed.map((target) => `the runtime stage copies nothing to ${target}`),
    ...(/chown\s+node:node\s+\/data/.test(runtime) ? [] : ['/data is not owned by the node user']),
  ];
  return {
    check: 'Dockerfile copies',
    ok: problems.length === 0,
    detail: problems.join('\n') || `${copies.length} COPY lines, all sources present`,
  };
}

export async function checkDeploy(files: DeployFiles = shippedFiles): Promise<CheckResult[]> {
  const missing = missingDeployTools();
  if (missing.length > 0) {
    throw new Error(`the deployment checks need ${missing.join(', ')}: run \`npm run setup\` to build them`);
  }
  return [
    ...(await checkChart(files.chartDir, files.set)),
    checkCompose(files.composeFile),
    checkDockerfile(files.dockerfile),
  ];
}

async function main() {
  const results = await checkDeploy();
  for (const { check, ok, detail } of results) {
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${check.padEnd(36)} ${detail.split('\n').join('\n     ')}`);
  }
  const failed = results.filter((result) => !result.ok).length;
  console.log(`deploy checks: ${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
