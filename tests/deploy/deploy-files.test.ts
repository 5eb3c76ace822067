import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  checkChart,
  checkCompose,
  checkDeploy,
  checkDockerfile,
  renderChart,
  shippedFiles,
} from '../../deploy/check-deploy';

type Manifest = {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { replicas?: number };
};

const scratch = () => mkdtempSync(join(tmpdir(), 'troupe-deploy-'));

describe('the deployment files', () => {
  it('pass helm lint, kubeconform on the rendered chart, the compose schema and the Dockerfile check', async () => {
    const results = await checkDeploy();
    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect(results.map((result) => result.check)).toEqual([
      'helm lint --strict',
      'helm template | kubeconform -strict',
      'compose schema',
      'Dockerfile copies',
    ]);
    // A Deployment and a ScaledObject per pool, the API's Deployment and Service, two ConfigMaps, a Secret.
    const rendered = results[1]?.detail ?? '';
    expect(rendered).toContain('6 Deployment');
    expect(rendered).toContain('5 ScaledObject');
    expect(rendered).toContain('1 Service');
    expect(rendered).toContain('2 ConfigMap');
    expect(results[2]?.detail).toContain('troupe-api');
  }, 120_000);

  it('render every shipped agent and the model catalogue into ConfigMaps, and leave KEDA out when asked', async () => {
    const rendered = await renderChart(shippedFiles.chartDir, ['keda.enabled=false']);
    expect(rendered.ok).toBe(true);
    const documents = parseAllDocuments(rendered.output).map((document) => document.toJS() as Manifest);
    const configMap = (suffix: string) =>
      documents.find((doc) => doc?.kind === 'ConfigMap' && doc.metadata.name.endsWith(suffix))?.data ?? {};
    const agentFiles = readdirSync(join(shippedFiles.chartDir, '..', '..', '..', 'config', 'agents'));
    expect(Object.keys(configMap('-agents')).sort()).toEqual(agentFiles.sort());
    for (const [file, text] of Object.entries(configMap('-agents'))) {
      expect(parse(text)).toHaveProperty('id', file.replace('.yaml', ''));
    }
    expect(parse(configMap('-config')['models.yaml'] ?? '')).toHaveProperty('providers');
    expect(documents.some((doc) => doc?.kind === 'ScaledObject')).toBe(false);
    // Without KEDA each pool's Deployment names its own replica count.
    const workers = documents.filter(
      (doc) => doc?.kind === 'Deployment' && !doc.metadata.name.endsWith('-api'),
    );
    expect(Object.fromEntries(workers.map((doc) => [doc.metadata.name, doc.spec?.replicas]))).toEqual({
      'troupe-agents': 1,
      'troupe-cloud-models': 0,
      'troupe-local-models': 1,
      'troupe-orchestration': 1,
      'troupe-tools': 1,
    });
  }, 120_000);

  it('fail when a rendered value has the wrong type, naming the field', async () => {
    const [, conform] = await checkChart(shippedFiles.chartDir, ['api.port=http']);
    expect(conform?.ok).toBe(false);
    expect(conform?.detail).toMatch(/containerPort/);
  }, 120_000);

  it('fail when a misspelt field reaches a Kubernetes object (strict schemas)', async () => {
    const dir = scratch();
    cpSync(shippedFiles.chartDir, join(dir, 'chart'), { recursive: true, dereference: true });
    const api = join(dir, 'chart', 'templates', 'api.yaml');
    writeFileSync(api, readFileSync(api, 'utf8').replace('readinessProbe:', 'readinesProbe:'));
    const [, conform] = await checkChart(join(dir, 'chart'));
    expect(conform?.ok).toBe(false);
    expect(conform?.detail).toMatch(/readinesProbe/);
  }, 120_000);

  it('refuse a compose file with an unknown service key, naming its path', () => {
    const dir = scratch();
    const file = join(dir, 'docker-compose.yml');
    writeFileSync(
      file,
      readFileSync(shippedFiles.composeFile, 'utf8').replace('    image: redis:7', '    imag: redis:7'),
    );
    const result = checkCompose(file);
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('/services/redis');
    expect(result.detail).toContain('"imag"');
  });

  it('refuse a Dockerfile that copies what is not there, or leaves config/ out', () => {
    const dir = scratch();
    const file = join(dir, 'Dockerfile');
    writeFileSync(file, 'FROM node:20\nCOPY nothing-here ./x\nRUN mkdir /data && chown node:node /data\n');
    const result = checkDockerfile(file);
    expect(result.ok).toBe(false);
    expect(result.detail).toContain('COPY nothing-here: no such file or folder');
    expect(result.detail).toContain('the runtime stage copies nothing to ./config');
  });
});
