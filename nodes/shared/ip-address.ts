/**
 * Classification of IP address literals for the photo download guard. A claim's photo URL comes
 * from the customer's side of Karla, so an address that points into the n8n host's own network
 * (loopback, private ranges, cloud metadata endpoints) is rejected before any request is sent.
 */

/**
 * Kind of forbidden range that an address literal is in. {@link classifyIpAddress} returns null
 * for a public address.
 */
export type ForbiddenAddressKind =
	| 'unspecified'
	| 'loopback'
	| 'private'
	| 'shared'
	| 'link_local'
	| 'metadata'
	| 'unique_local'
	| 'multicast'
	| 'reserved'
	| 'ipv4_mapped'
	| 'ipv4_compatible';

/** Parses a dotted-quad IPv4 address into its four octets; returns null for anything else. */
export function parseIpv4(text: string): number[] | null {
	const parts = text.split('.');
	if (parts.length !== 4) return null;
	const octets: number[] = [];
	for (const part of parts) {
		if (!/^\d{1,3}$/.test(part)) return null;
		const value = Number(part);
		if (value > 255) return null;
		octets.push(value);
	}
	return octets;
}

function parseHexGroups(part: string): number[] | null {
	if (part === '') return [];
	const groups: number[] = [];
	for (const group of part.split(':')) {
		if (!/^[0-9a-f]{1,4}$/.test(group)) return null;
		groups.push(parseInt(group, 16));
	}
	return groups;
}

/**
 * Parses an IPv6 address (without brackets or zone id) into eight 16-bit groups. Accepts `::`
 * compression and a dotted IPv4 tail such as `::ffff:127.0.0.1`. Returns null for anything else.
 */
export function parseIpv6(text: string): number[] | null {
	let address = text.toLowerCase();
	const lastColon = address.lastIndexOf(':');
	if (lastColon === -1) return null;

	const lastPart = address.slice(lastColon + 1);
	if (lastPart.includes('.')) {
		const ipv4 = parseIpv4(lastPart);
		if (ipv4 === null) return null;
		const high = ((ipv4[0] << 8) | ipv4[1]).toString(16);
		const low = ((ipv4[2] << 8) | ipv4[3]).toString(16);
		address = `${address.slice(0, lastColon + 1)}${high}:${low}`;
	}

	const halves = address.split('::');
	if (halves.length > 2) return null;
	const head = parseHexGroups(halves[0]);
	if (head === null) return null;
	if (halves.length === 1) return head.length === 8 ? head : null;

	const tail = parseHexGroups(halves[1]);
	if (tail === null) return null;
	const missing = 8 - head.length - tail.length;
	if (missing < 1) return null;
	return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

function classifyIpv4(octets: number[]): ForbiddenAddressKind | null {
	const [a, b, c, d] = octets;
	if (a === 169 && b === 254 && c === 169 && d === 254) return 'metadata';
	if (a === 0) return 'unspecified';
	if (a === 127) return 'loopback';
	if (a === 10) return 'private';
	if (a === 172 && b >= 16 && b <= 31) return 'private';
	if (a === 192 && b === 168) return 'private';
	if (a === 100 && b >= 64 && b <= 127) return 'shared';
	if (a === 169 && b === 254) return 'link_local';
	// IETF protocol assignments (192.0.0.0/24) and benchmarking networks (198.18.0.0/15).
	if (a === 192 && b === 0 && c === 0) return 'reserved';
	if (a === 198 && (b === 18 || b === 19)) return 'reserved';
	if (a >= 224 && a <= 239) return 'multicast';
	if (a >= 240) return 'reserved';
	return null;
}

function embeddedIpv4(groups: number[]): number[] {
	return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff];
}

function classifyIpv6(groups: number[]): ForbiddenAddressKind | null {
	const isZero = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);

	// fd00:ec2::254 is the IPv6 address of the EC2 instance metadata service.
	if (groups[0] === 0xfd00 && groups[1] === 0x0ec2 && isZero(2, 7) && groups[7] === 0x254) {
		return 'metadata';
	}
	if (isZero(0, 8)) return 'unspecified';
	if (isZero(0, 7) && groups[7] === 1) return 'loopback';
	if (isZero(0, 5) && groups[5] === 0xffff) return 'ipv4_mapped';
	// IPv4-translated addresses (::ffff:0:0/96, RFC 2765) also carry an IPv4 address.
	if (isZero(0, 4) && groups[4] === 0xffff && groups[5] === 0) return 'ipv4_mapped';
	if (isZero(0, 6)) return 'ipv4_compatible';
	if ((groups[0] & 0xfe00) === 0xfc00) return 'unique_local';
	if ((groups[0] & 0xffc0) === 0xfe80) return 'link_local';
	if ((groups[0] & 0xff00) === 0xff00) return 'multicast';
	// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address that the gateway reaches.
	if (groups[0] === 0x0064 && groups[1] === 0xff9b && isZero(2, 6)) {
		return classifyIpv4(embeddedIpv4(groups));
	}
	if (groups[0] === 0x2002) {
		return classifyIpv4([groups[1] >> 8, groups[1] & 0xff, groups[2] >> 8, groups[2] & 0xff]);
	}
	return null;
}

/**
 * Classifies a URL host name that is an IP literal. Takes the host as the WHATWG URL parser
 * writes it (`127.0.0.1`, `[::1]`). Returns the kind of forbidden range, `null` for a public
 * address, or `undefined` when the host is a domain name and not an IP literal.
 */
export function classifyIpAddress(host: string): ForbiddenAddressKind | null | undefined {
	const bracketed = host.startsWith('[') && host.endsWith(']');
	const bare = bracketed ? host.slice(1, -1) : host;

	const ipv4 = bracketed ? null : parseIpv4(bare);
	if (ipv4 !== null) return classifyIpv4(ipv4);

	const zoneStart = bare.indexOf('%');
	const ipv6 = parseIpv6(zoneStart === -1 ? bare : bare.slice(0, zoneStart));
	if (ipv6 !== null) return classifyIpv6(ipv6);

	return undefined;
}
