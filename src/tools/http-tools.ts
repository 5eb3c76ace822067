import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { z } from 'zod';
import { allowVerdict, checkedLookup, checkLiteralAddress, type AllowVerdict } from './http-address';
import { defineTool, ToolError } from './tool-kit';

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
  if (allowVerdict(url, allow) === 'no') {
    throw new ToolError(
      'host-allowlist',
      `refused URL "${raw}": host ${url.hostname} is not on the allowlist (rule host-allowlist; allowed: ${allow.join(', ') || 'none: set httpAllowHosts in TROUPE_TOOLS_FILE'})`,
    );
  }
  return url;
}

/** One request through a lookup that refuses inward addresses; the body is read up to `maxBytes`. */
function fetchChecked(
  url: URL,
  {
    method,
    body,
    headers,
    signal,
    maxBytes,
    verdict,
  }: {
    method: string;
    body: string | undefined;
    headers: Record<string, string> | undefined;
    signal: AbortSignal;
    maxBytes: number;
    verdict: AllowVerdict;
  },
): Promise<{
  status: number;
  location: string | undefined;
  contentType: string;
  text: string;
  truncated: boolean;
}> {
  checkLiteralAddress(url, verdict);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, headers, signal, lookup: checkedLookup(url.toString(), verdict) },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        res.on('data', (chunk: Buffer) => {
          if (truncated) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size > maxBytes) {
            truncated = true;
            res.destroy();
            finish();
          }
        });
        const finish = () =>
          resolve({
            status: res.statusCode ?? 0,
            location: res.headers.location,
            contentType: res.headers['content-type'] ?? '',
            text: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8'),
            truncated,
          });
        res.on('end', finish);
        res.on('error', (err) => (truncated ? undefined : reject(err)));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Fetches a URL on an allowed host. Inward addresses (loopback, private, link-local, metadata) are
 * refused after DNS resolution, on every redirect, unless the allowlist names that host with its
 * port; the body is streamed and cut at the output cap.
 */
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
      const verdict = allowVerdict(target, settings.httpAllowHosts);
      const response = await fetchChecked(target, {
        method,
        body,
        headers,
        signal: timeout,
        maxBytes: settings.maxOutputBytes,
        verdict,
      });
      if (response.status >= 300 && response.status < 400 && response.location) {
        target = checkUrl(new URL(response.location, target).toString(), settings.httpAllowHosts);
        continue;
      }
      return {
        status: response.status,
        contentType: response.contentType,
        body: response.truncated
          ? `${response.text}\n…[cut at ${settings.maxOutputBytes} bytes]`
          : response.text,
        ...(response.truncated && { truncated: true }),
      };
    }
    throw new ToolError('too-many-redirects', `http_fetch: ${url} redirected more than 5 times`);
  },
});

export const httpTools = [httpFetchTool];
