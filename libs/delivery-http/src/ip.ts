/**
 * IP address parsing to bytes and the table of ranges a webhook destination may not reach.
 * Parsing is our own (not net.isIP) because attackers write addresses in forms net.isIP refuses
 * but URL parsers and some resolvers accept: decimal, octal, hex and short IPv4, and IPv6 with an
 * embedded dotted quad.
 */

/** WHATWG-style IPv4 parse: 1–4 parts, each decimal, octal (leading 0) or hex (0x); the last part fills the rest. */
export function parseIPv4(input: string): Uint8Array | null {
  let s = input;
  if (s.endsWith('.')) s = s.slice(0, -1); // URL parsers accept one trailing dot
  if (s === '') return null;
  const parts = s.split('.');
  if (parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    const n = parseIPv4Part(p);
    if (n === null) return null;
    nums.push(n);
  }
  const last = nums.pop() as number;
  for (const n of nums) if (n > 255) return null;
  if (last >= 256 ** (4 - nums.length)) return null;
  let value = last;
  nums.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return Uint8Array.of((value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255);
}

function parseIPv4Part(p: string): number | null {
  let digits = p;
  let radix = 10;
  if (/^0[xX]/.test(p)) {
    digits = p.slice(2);
    radix = 16;
    if (digits === '') return 0; // "0x" alone is zero in WHATWG URL
  } else if (p.length > 1 && p.startsWith('0')) {
    digits = p.slice(1);
    radix = 8;
  }
  const pattern = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!pattern.test(digits)) return null;
  const n = parseInt(digits, radix);
  return Number.isSafeInteger(n) && n <= 0xffffffff ? n : null;
}

/** IPv6 parse (with "::" and an optional trailing dotted quad); a zone id ("%eth0") is ignored. */
export function parseIPv6(input: string): Uint8Array | null {
  let s = input;
  const zone = s.indexOf('%');
  if (zone !== -1) s = s.slice(0, zone);
  if (!s.includes(':')) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] as string;
      if (i === pieces.length - 1 && piece.includes('.')) {
        if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(piece)) return null;
        const octets = piece.split('.').map(Number);
        if (octets.some((o) => o > 255)) return null;
        const [a, b, c, d] = octets as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return null;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (head === null || tail === null) return null;
  let all: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return null;
    all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  } else {
    all = head;
  }
  if (all.length !== 8) return null;
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 255;
  });
  return bytes;
}

/** Bytes of an IPv4 (4) or IPv6 (16) address in any accepted notation, brackets allowed; null if not an IP. */
export function parseIp(input: string): Uint8Array | null {
  let s = input.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  return s.includes(':') ? parseIPv6(s) : parseIPv4(s);
}

type Range = readonly [prefix: readonly number[], bits: number];

// Not reachable as a public webhook receiver, or reaching something inside our own network.
const BLOCKED_V4: readonly Range[] = [
  [[0], 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  [[10], 8],
  [[100, 64], 10], // carrier-grade NAT, often internal in clouds
  [[127], 8],
  [[169, 254], 16], // link-local, includes the cloud metadata service 169.254.169.254
  [[172, 16], 12],
  [[192, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2], 24], // documentation
  [[192, 88, 99], 24], // 6to4 relay anycast
  [[192, 168], 16],
  [[198, 18], 15], // benchmarking, used inside some networks
  [[198, 51, 100], 24], // documentation
  [[203, 0, 113], 24], // documentation
  [[224], 4], // multicast
  [[240], 4], // reserved, includes the broadcast 255.255.255.255
];

// Applied inside 2000::/3, the only IPv6 block allocated for global unicast; everything outside it
// (unspecified, loopback, deprecated IPv4-compatible ::a.b.c.d, ULA fc00::/7, link-local fe80::/10, multicast ff00::/8, discard 100::/64,
// local-use NAT64 64:ff9b:1::/48, …) is refused wholesale once embedded-IPv4 forms are handled.
const BLOCKED_V6: readonly Range[] = [
  [[0x20, 0x01, 0, 0], 32], // Teredo: its embedded addresses are obfuscated, refuse the lot
  [[0x20, 0x01, 0, 0x02, 0, 0], 48], // benchmarking
  [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation
  [[0x3f, 0xff], 20], // documentation
];

function inRange(bytes: Uint8Array, [prefix, bits]: Range): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const take = Math.min(8, bits - i * 8);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i] as number) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((b, i) => bytes[i] === b);
}

/** The IPv4 address an IPv6 address stands for, when it is a form that carries one to a v4 host. */
function embeddedV4(b: Uint8Array): Uint8Array | null {
  const zeros10 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  if (startsWith(b, [...zeros10, 0xff, 0xff])) return b.slice(12); // ::ffff:a.b.c.d mapped
  if (startsWith(b, [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0])) return b.slice(12); // ::ffff:0:a.b.c.d translated
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return b.slice(12); // NAT64 well-known
  if (startsWith(b, [0x20, 0x02])) return b.slice(2, 6); // 6to4
  return null;
}

/** True when the bytes (4 or 16) fall in a blocked range. */
export function isBlockedBytes(bytes: Uint8Array): boolean {
  if (bytes.length === 4) return BLOCKED_V4.some((r) => inRange(bytes, r));
  const v4 = embeddedV4(bytes);
  if (v4 !== null) return isBlockedBytes(v4);
  if (!inRange(bytes, [[0x20], 3])) return true;
  return BLOCKED_V6.some((r) => inRange(bytes, r));
}
