/**
 * Whether a URL names a host that must not receive callbacks: loopback, private, link-local,
 * carrier-grade NAT, unspecified, or a cloud metadata address, written as a literal or as a
 * well-known local name. Workflow-safe (no DNS): a check on what was written. Names that resolve
 * to such addresses are the outbox's concern, which resolves and pins before it connects
 * (src/providers/webhooks.ts); a platform that posts to a callback does its own resolving.
 */

const LOCAL_NAMES = /^(localhost|.*\.localhost|.*\.local|.*\.internal|metadata|metadata\.google\.internal)$/i;

function ipv4Private(host: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168)
  );
}

function ipv6Private(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (!h.includes(':')) return false;
  if (h === '::' || h === '::1') return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
  if (mapped) return ipv4Private(mapped[1]!);
  return /^f[cd][0-9a-f]{0,2}:/.test(h) || /^fe[89ab][0-9a-f]?:/.test(h);
}

/** Why `url` must not be a callback target, or undefined when its host is not a local or private one. */
export function privateCallbackReason(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return 'not a URL';
  }
  if (LOCAL_NAMES.test(host) || ipv4Private(host) || ipv6Private(host)) {
    return `${host} is a loopback, private, link-local or metadata address`;
  }
  return undefined;
}
