import {
  CatalogueFile,
  resolveCatalogue,
  type Catalogue,
  type CatalogueFileInput,
} from '../src/models/catalogue';
import { CapabilityName, type Capability } from '../src/models/model-step-input';

/** A seeded generator, so every benchmark run sees the same tasks and the same catalogue. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export function summary(samples: number[]): { p50: number; p99: number; max: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    n: sorted.length,
  };
}

/** Builds a resolved catalogue from a plain object, failing loudly if it is wrong. */
export function buildCatalogue(input: CatalogueFileInput, taskQueuePrefix = 'bench-models'): Catalogue {
  const resolved = resolveCatalogue(CatalogueFile.parse(input), {
    source: 'bench',
    env: {},
    taskQueuePrefix,
  });
  if (!resolved.ok) throw new Error(`bad bench catalogue: ${JSON.stringify(resolved.problems)}`);
  return resolved.catalogue;
}

const capabilities = CapabilityName.options;

/** 100 models over 2 local and 3 cloud providers, with seeded capabilities, prices, speeds and quality. */
export function hundredModels(baseUrls: { ollama: string; openai: string }, size = 100): Catalogue {
  const random = seeded(2024);
  const providers = [
    { id: 'ollama-a', kind: 'ollama' as const, baseUrl: baseUrls.ollama },
    { id: 'ollama-b', kind: 'ollama' as const, baseUrl: baseUrls.ollama },
    { id: 'cloud-a', kind: 'openai' as const, baseUrl: baseUrls.openai },
    { id: 'cloud-b', kind: 'openai' as const, baseUrl: baseUrls.openai },
    { id: 'cloud-c', kind: 'openai' as const, baseUrl: baseUrls.openai },
  ];
  const models = Array.from({ length: size }, (_, index) => {
    const provider = providers[index % providers.length]!;
    const caps: Capability[] = capabilities.filter(() => random() < 0.6);
    return {
      id: `model-${String(index).padStart(3, '0')}`,
      provider: provider.id,
      capabilities: caps,
      contextTokens: [8_192, 32_768, 128_000, 200_000][Math.floor(random() * 4)]!,
      quality: Math.round(random() * 100),
      tokensPerSecond: Math.round(10 + random() * 200),
      ...(provider.kind === 'openai' && {
        pricing: {
          inputPerMillion: +(random() * 5).toFixed(2),
          outputPerMillion: +(random() * 20).toFixed(2),
        },
      }),
    };
  });
  return buildCatalogue({ providers, models });
}

/** Prints rows as a fixed-width table. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [
    line(rows[0]!),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.slice(1).map(line),
  ].join('\n');
}

export const ms = (value: number) => `${value.toFixed(3)} ms`;
export const pct = (value: number) => `${(value * 100).toFixed(1)}%`;
