import { describe, expect, it } from 'vitest';
import { checkUrl, hostAllowed } from './http-tools';

describe('host allowlist', () => {
  it('matches exact hosts and *.domain subdomains only', () => {
    const allow = ['127.0.0.1', '*.example.com'];
    expect(hostAllowed('127.0.0.1', allow)).toBe(true);
    expect(hostAllowed('api.example.com', allow)).toBe(true);
    expect(hostAllowed('example.com', allow)).toBe(false);
    expect(hostAllowed('evil-example.com', allow)).toBe(false);
    expect(hostAllowed('example.com.evil.net', allow)).toBe(false);
  });

  it('refuses non-http schemes and relative URLs with the rule named', () => {
    expect(() => checkUrl('ftp://127.0.0.1/x', ['127.0.0.1'])).toThrow(/rule http-only/);
    expect(() => checkUrl('/relative', ['127.0.0.1'])).toThrow(/not an absolute http\(s\) URL/);
  });
});
