/**
 * The SSRF guard of every request the server makes to a URL a caller gave it: such a request may go
 * only to public internet addresses, never to loopback, private, link-local (cloud metadata), CGNAT,
 * multicast or reserved ones. The guard sits in the connection's own DNS lookup, so the address
 * checked is the address connected to (a name that resolves differently a moment later gains nothing).
 */
import dns, { type LookupAddress } from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** A connection the guard refused: its message names the host and the address, never more. */
export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKEDADDRESS';
  constructor(host: string, address: string) {
    super(`${host} resolves to ${address}, which is not a public internet address`);
    this.name = 'BlockedAddressError';
  }
}

/** Public unicast only (ipaddr.js's classification); an IPv4-mapped IPv6 address counts as its IPv4 one. */
export function isPublicAddress(address: string): boolean {
  return ipaddr.isValid(address) && ipaddr.process(address).range() === 'unicast';
}

/** A URL's hostname as an address or a name to resolve ("[::1]" → "::1"). */
export const bareHost = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1');

/** Every address the host resolves to, or the literal address; throws BlockedAddressError if any is not public. */
export async function resolvePublic(host: string, timeoutMs = 5_000): Promise<LookupAddress[]> {
  const name = bareHost(host);
  const family = net.isIP(name);
  const addresses = family !== 0 ? [{ address: name, family }]
    : await withTimeout(dns.promises.lookup(name, { all: true, verbatim: true }), timeoutMs, `${name} did not resolve within ${timeoutMs / 1000} s`);
  const blocked = addresses.find((a) => !isPublicAddress(a.address));
  if (blocked) throw new BlockedAddressError(name, blocked.address);
  return addresses;
}

/**
 * A `lookup` for http.request: resolves as dns.lookup does and fails the connection when an
 * address is not public. Node connects to an IP literal without a lookup: `resolvePublic` checks
 * those before the request.
 */
export const publicOnlyLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const blocked = addresses.find((a) => !isPublicAddress(a.address));
    if (blocked) return callback(new BlockedAddressError(hostname, blocked.address), '', 0);
    if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
    const [first] = addresses;
    callback(null, first!.address, first!.family);
  });
};

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}
