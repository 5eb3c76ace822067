import { lookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { ToolError } from './tool-kit';

/**
 * Addresses an agent must never reach unless an operator names the host and port: loopback (the
 * Troupe API itself), private networks, link-local (cloud metadata at 169.254.169.254), CGNAT
 * (Alibaba's metadata), multicast, and the unspecified and reserved ranges.
 */
const inward = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  inward.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const)
  inward.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address inside an IPv4-mapped, -compatible or NAT64 IPv6 address, if it is one. */
function embeddedIpv4(address: string): string | undefined {
  const dotted = /^(?:::ffff:|::|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const [high, low] = [parseInt(hex[1] ?? '0', 16), parseInt(hex[2] ?? '0', 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** True for an address on the loopback, private, link-local, metadata or reserved ranges. */
export function isInwardAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return inward.check(bare, 'ipv4');
  if (family !== 6) return true;
  const v4 = embeddedIpv4(bare);
  return v4 !== undefined ? inward.check(v4, 'ipv4') : inward.check(bare, 'ipv6');
}

/** What the allowlist says of a URL: refused, allowed, or allowed even inward (host and port named). */
export type AllowVerdict = 'no' | 'outward' | 'inward';

const defaultPort = (url: URL) => url.port || (url.protocol === 'https:' ? '443' : '80');

/**
 * Checks a URL against the allowlist: `example.com` and `*.example.com` allow those hosts on public
 * addresses only; `127.0.0.1:8080` or `localhost:5173` (a host with its port) also allow that one
 * inward address, since an operator named it on purpose.
 */
export function allowVerdict(url: URL, allow: readonly string[]): AllowVerdict {
  const name = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = defaultPort(url);
  let verdict: AllowVerdict = 'no';
  for (const entry of allow.map((pattern) => pattern.toLowerCase())) {
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(entry);
    if (withPort) {
      if (withPort[1]?.replace(/^\[|\]$/g, '') === name && withPort[2] === port) return 'inward';
      continue;
    }
    const host = entry.replace(/^\[|\]$/g, '');
    if (host.startsWith('*.') ? name.endsWith(host.slice(1)) : name === host) verdict = 'outward';
  }
  return verdict;
}

const refusal = (url: string, what: string) =>
  new ToolError(
    'inward-address',
    `refused URL "${url}": ${what}, a loopback, private, link-local or metadata address (rule inward-address; an operator can allow one by listing its host with the port, e.g. "127.0.0.1:8080")`,
  );

/**
 * A `lookup` for http.request that resolves the name once and refuses when any of its addresses
 * is inward, so the address checked is the address connected to (no DNS rebinding in between).
 */
export function checkedLookup(url: string, verdict: AllowVerdict): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { all: true, ...(options.family ? { family: options.family } : {}) }).then(
      (addresses) => {
        const bad = addresses.find(({ address }) => isInwardAddress(address));
        if (bad && verdict !== 'inward')
          return callback(refusal(url, `${hostname} resolves to ${bad.address}`), '', 4);
        const [first] = addresses;
        if (!first) return callback(new Error(`${hostname} has no address`), '', 4);
        if (options.all) return callback(null, addresses);
        callback(null, first.address, first.family);
      },
      (err: Error) => callback(err as NodeJS.ErrnoException, '', 4),
    );
  };
}

/** Refuses an IP literal on the inward ranges (names are checked when they resolve). */
export function checkLiteralAddress(url: URL, verdict: AllowVerdict): void {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) && verdict !== 'inward' && isInwardAddress(host))
    throw refusal(url.toString(), `${host} is`);
}

/** Resolves a URL's host and refuses it when it is (or resolves to) an inward address not allowed. */
export async function checkAddress(url: URL, verdict: AllowVerdict): Promise<void> {
  checkLiteralAddress(url, verdict);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) || verdict === 'inward') return;
  const addresses = await lookup(host, { all: true }).catch(() => []);
  const bad = addresses.find(({ address }) => isInwardAddress(address));
  if (bad) throw refusal(url.toString(), `${host} resolves to ${bad.address}`);
}
