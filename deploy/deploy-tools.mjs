// The tools that check the deployment files, in Troupe's cache: helm and kubeconform built from the Go
// module proxy, and the schemas they check against, taken from Go modules too (Kubernetes' OpenAPI
// document, KEDA's ScaledObject CRD and the Compose Specification), since no other host is reachable.
// Plain JavaScript with no dependencies, like temporal/cli.mjs, because `npm run setup` runs it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { platform } from 'node:os';
import { join } from 'node:path';
import { isExecutable, onPath, troupeCacheDir } from '../temporal/cli.mjs';
import { goInstall } from '../temporal/go-install.mjs';

export const HELM_VERSION = 'v3.22.0';
export const KUBECONFORM_VERSION = 'v0.8.0';
/** The Kubernetes whose API the chart is checked against: its OpenAPI document ships in its module. */
export const KUBERNETES_VERSION = 'v1.34.2';
export const KEDA_VERSION = 'v2.17.0';
export const COMPOSE_GO_VERSION = 'v2.9.0';

const exe = platform() === 'win32' ? '.exe' : '';

/** Where the tools and schemas live; versions are in the paths, so an upgrade builds anew. */
export function deployToolPaths() {
  const dir = join(troupeCacheDir(), 'deploy-tools');
  return {
    helm: join(dir, `helm-${HELM_VERSION}${exe}`),
    kubeconform: join(dir, `kubeconform-${KUBECONFORM_VERSION}${exe}`),
    kubernetesSchemas: join(dir, `schemas-kubernetes-${KUBERNETES_VERSION}-keda-${KEDA_VERSION}`),
    composeSchema: join(dir, `compose-spec-${COMPOSE_GO_VERSION}.json`),
  };
}

/**
 * kubeconform's -schema-location for the folder this file writes: `deployment-apps-v1.json`, `service-v1-v1.json`.
 * @param {string} dir
 */
export const schemaLocation = (dir) =>
  join(dir, '{{ .ResourceKind }}-{{ .Group }}-{{ .ResourceAPIVersion }}.json');

/** What is missing, by path; empty when `npm run check:deploy` has all it needs. */
export function missingDeployTools() {
  const paths = deployToolPaths();
  return [
    ...[paths.helm, paths.kubeconform].filter((path) => !isExecutable(path)),
    ...[join(paths.kubernetesSchemas, 'deployment-apps-v1.json'), paths.composeSchema].filter(
      (path) => !existsSync(path),
    ),
  ];
}

/**
 * Builds or writes what is missing. Reports progress like the Temporal builds.
 * @param {(p: import('../temporal/go-install.mjs').Progress) => void} onProgress
 * @returns {Promise<string[]>} what it made, by name
 */
export async function findOrBuildDeployTools(onProgress) {
  const paths = deployToolPaths();
  if (missingDeployTools().length === 0) return [];
  const go = onPath(`go${exe}`);
  if (!go) {
    throw new Error(
      `Go is not on PATH: the deployment checks build helm ${HELM_VERSION} and kubeconform ${KUBECONFORM_VERSION} from the Go module proxy. Install Go 1.24+ and run \`npm run setup\` again.`,
    );
  }
  /** @type {string[]} */
  const made = [];
  const builds = [
    {
      path: paths.helm,
      pkg: `helm.sh/helm/v3/cmd/helm@${HELM_VERSION}`,
      label: 'helm',
      expectedPackages: 700,
    },
    {
      path: paths.kubeconform,
      pkg: `github.com/yannh/kubeconform/cmd/kubeconform@${KUBECONFORM_VERSION}`,
      label: 'kubeconform',
      expectedPackages: 60,
    },
  ];
  for (const { path, pkg, label, expectedPackages } of builds) {
    if (isExecutable(path)) continue;
    const gobin = join(path, '..', 'gobin');
    await goInstall(
      go,
      { packages: [pkg], gobin, label, expectedDownloads: 0, expectedPackages },
      onProgress,
    );
    renameSync(join(gobin, `${label}${exe}`), path);
    rmSync(gobin, { recursive: true, force: true });
    made.push(label);
  }
  /** @param {string} module @param {string} version @returns {string} */
  const moduleDir = (module, version) => {
    const out = execFileSync(go, ['mod', 'download', '-json', `${module}@${version}`], {
      encoding: 'utf8',
      env: { ...process.env, GOFLAGS: '-mod=mod' },
    });
    // `go mod download -json` prints one object; its Dir is the module's folder in the module cache.
    const dir = /^\s*"Dir":\s*"([^"]+)"/m.exec(out)?.[1];
    if (!dir) throw new Error(`go mod download ${module}@${version} named no folder:\n${out}`);
    return dir;
  };
  if (!existsSync(join(paths.kubernetesSchemas, 'deployment-apps-v1.json'))) {
    onProgress({ phase: 'Kubernetes schemas: writing', done: 0, total: 1 });
    const k8s = moduleDir('k8s.io/kubernetes', KUBERNETES_VERSION);
    const keda = moduleDir('github.com/kedacore/keda/v2', KEDA_VERSION);
    const swagger = join(k8s, 'api', 'openapi-spec', 'swagger.json');
    const crd = join(keda, 'config', 'crd', 'bases', 'keda.sh_scaledobjects.yaml');
    rmSync(paths.kubernetesSchemas, { recursive: true, force: true });
    // Setup runs this after `npm ci`, so the typed writer runs through tsx.
    const writer = join(import.meta.dirname, 'kubernetes-schemas.ts');
    execFileSync(process.execPath, ['--import', 'tsx', writer, swagger, crd, paths.kubernetesSchemas], {
      stdio: 'inherit',
    });
    onProgress({ phase: 'Kubernetes schemas: writing', done: 1, total: 1 });
    made.push('kubernetes schemas');
  }
  if (!existsSync(paths.composeSchema)) {
    const from = join(
      moduleDir('github.com/compose-spec/compose-go/v2', COMPOSE_GO_VERSION),
      'schema',
      'compose-spec.json',
    );
    writeFileSync(paths.composeSchema, readFileSync(from));
    made.push('compose schema');
  }
  return made;
}
