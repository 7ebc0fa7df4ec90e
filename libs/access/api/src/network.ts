import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a single address; IPv4-mapped IPv6 counts as IPv4 (D10). */
export function parseRange(text: string): Range | null {
  try {
    const t = text.trim();
    let [addr, bits]: Range = t.includes('/') ? ipaddr.parseCIDR(t) : [ipaddr.parse(t), ipaddr.parse(t).kind() === 'ipv4' ? 32 : 128];
    if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      addr = (addr as ipaddr.IPv6).toIPv4Address();
      bits -= 96;
    }
    return [addr, bits];
  } catch {
    return null;
  }
}

/** The network form PostgreSQL stores (`cidr` refuses host bits), e.g. `10.1.2.3/8` → `10.0.0.0/8`. */
export function normaliseRange(text: string): string | null {
  const r = parseRange(text);
  if (!r) return null;
  const [addr, bits] = r;
  const network = addr.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`) : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}

export function inRanges(ip: string, ranges: readonly Range[]): boolean {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip); // ::ffff:a.b.c.d becomes a.b.c.d
  } catch {
    return false;
  }
  return ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net as never, bits));
}

export type { Range };
