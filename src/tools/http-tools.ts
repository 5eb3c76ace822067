import { z } from 'zod';
import { capText, defineTool, ToolError } from './tool-kit';

/** True when the host is on the allowlist (exact, or `*.example.com` for its subdomains). */
export function hostAllowed(host: string, allow: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return allow.some((pattern) => {
    const p = pattern.toLowerCase();
    return p.startsWith('*.') ? name.endsWith(p.slice(1)) : name === p;
  });
}

/** Parses a URL a model gave and refuses hosts and schemes not allowed, naming the rule. */
export function checkUrl(raw: string, allow: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ToolError('bad-url', `refused URL "${raw}": it is not an absolute http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ToolError(
      'http-only',
      `refused URL "${raw}": only http and https are allowed (rule http-only)`,
    );
  }
  if (!hostAllowed(url.hostname, allow)) {
    throw new ToolError(
      'host-allowlist',
      `refused URL "${raw}": host ${url.hostname} is not on the allowlist (rule host-allowlist; allowed: ${allow.join(', ')})`,
    );
  }
  return url;
}

/** Fetches a URL on an allowed host; redirects are followed only to allowed hosts. */
export const httpFetchTool = defineTool({
  name: 'http_fetch',
  description:
    'HTTP GET or POST a URL on an allowlisted host; returns status, content type and the body as text.',
  args: z.strictObject({
    url: z.string().min(1),
    method: z.enum(['GET', 'POST']).default('GET'),
    body: z.string().max(100_000).optional(),
    headers: z.record(z.string(), z.string()).optional(),
  }),
  mutates: false,
  async run({ url, method, body, headers }, { settings, signal }) {
    let target = checkUrl(url, settings.httpAllowHosts);
    const timeout = AbortSignal.any([signal, AbortSignal.timeout(settings.commandTimeoutMs)]);
    for (let hop = 0; hop < 5; hop++) {
      const response = await fetch(target, { method, body, headers, redirect: 'manual', signal: timeout });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        target = checkUrl(new URL(location, target).toString(), settings.httpAllowHosts);
        continue;
      }
      const { text, truncated } = capText(await response.text(), settings.maxOutputBytes);
      return {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body: text,
        ...(truncated && { truncated }),
      };
    }
    throw new ToolError('too-many-redirects', `http_fetch: ${url} redirected more than 5 times`);
  },
});

export const httpTools = [httpFetchTool];
