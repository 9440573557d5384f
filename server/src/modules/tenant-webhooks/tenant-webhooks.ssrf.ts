import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

// A tenant's URL is fetched by our workers, inside our network: it must not reach our own
// services (loopback, private ranges, the cloud's metadata address at 169.254.169.254). The
// check runs where the connection is made, on the addresses DNS answered for THIS connection, so
// a name that resolved to a public address when the endpoint was saved and to 127.0.0.1 now
// (DNS rebinding) is still refused. In development (WEBHOOK_ALLOW_PRIVATE) localhost is allowed.

export interface WebhookUrlPolicy {
  /** Only https URLs (production). */
  httpsOnly: boolean;
  /** Loopback, private and link-local addresses may be reached (development, tests). */
  allowPrivate: boolean;
}

export class RefusedUrlError extends Error {}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24],
  ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['64:ff9b::', 96]] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** Why an address may not be reached, or null when it may. */
export function refusedAddress(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  if (family === 6) {
    // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is the IPv4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return refusedAddress(mapped[1]);
  }
  if (blocked.check(address, family === 4 ? 'ipv4' : 'ipv6')) return `${address} is a loopback, private, link-local or metadata address`;
  return null;
}

/** Checks a URL's form (scheme, credentials, a literal address); the name's addresses are checked when connecting. */
export function checkWebhookUrl(raw: string, policy: WebhookUrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RefusedUrlError('not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RefusedUrlError(`the scheme must be https, not ${url.protocol.replace(':', '')}`);
  if (policy.httpsOnly && url.protocol !== 'https:') throw new RefusedUrlError('the scheme must be https');
  if (url.username || url.password) throw new RefusedUrlError('credentials in the URL are not allowed; authenticate with the signature');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowPrivate && isIP(host)) {
    const why = refusedAddress(host);
    if (why) throw new RefusedUrlError(why);
  }
  return url;
}

/** A `lookup` for http.request that resolves, then refuses a name with any address we may not reach. */
export function guardedLookup(policy: WebhookUrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as LookupAddress[];
      if (!policy.allowPrivate) {
        for (const a of list) {
          const why = refusedAddress(a.address);
          if (why) return callback(new RefusedUrlError(`${hostname} resolves to ${why}`), '', 0);
        }
      }
      if (list.length === 0) return callback(new Error(`${hostname} has no address`), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
