import { classifyIpAddress, parseIpv4, parseIpv6 } from '../../nodes/shared/ip-address';
import {
	buildPhotoPolicy,
	checkPhotoUrl,
	isHostAllowed,
	MAX_REDIRECTS,
	parseAllowedHosts,
	type UrlCheck,
} from '../../nodes/shared/photos';

const DEFAULT_POLICY = buildPhotoPolicy();

function allowedUrlOf(check: UrlCheck): URL {
	if (!check.allowed) throw new Error(`expected an allowed URL, got ${check.reason}`);
	return check.url;
}

function rejectionOf(check: UrlCheck): { reason: string; detail: string } {
	if (check.allowed) throw new Error(`expected a rejection, got allowed ${check.url.href}`);
	return check;
}

describe('buildPhotoPolicy', () => {
	it('defaults', () => {
		expect(DEFAULT_POLICY).toEqual({
			allowedHosts: ['cdn.gokarla.io'],
			allowHttp: false,
			allowPrivateAddresses: false,
			maxBytes: 10 * 1024 * 1024,
			maxPhotos: 10,
			timeoutMs: 15_000,
			maxRedirects: MAX_REDIRECTS,
		});
		expect(MAX_REDIRECTS).toBe(5);
	});

	it('settings', () => {
		const policy = buildPhotoPolicy({
			allowedHosts: 'images.example.com, cdn.gokarla.io',
			allowHttp: true,
			maxPhotoSizeMb: 0.5,
			maxPhotosPerClaim: 3,
			photoTimeoutSeconds: 2.5,
		});
		expect(policy.allowedHosts).toEqual(['images.example.com', 'cdn.gokarla.io']);
		expect(policy.allowHttp).toBe(true);
		expect(policy.maxBytes).toBe(524_288);
		expect(policy.maxPhotos).toBe(3);
		expect(policy.timeoutMs).toBe(2500);
	});

	it('invalid numbers fall back to defaults', () => {
		const policy = buildPhotoPolicy({
			maxPhotoSizeMb: -1,
			maxPhotosPerClaim: Number.NaN,
			photoTimeoutSeconds: 0,
		});
		expect(policy.maxBytes).toBe(10 * 1024 * 1024);
		expect(policy.maxPhotos).toBe(10);
		expect(policy.timeoutMs).toBe(15_000);
	});
});

describe('parseAllowedHosts', () => {
	it('normalizes entries', () => {
		expect(
			parseAllowedHosts(' CDN.GoKarla.io. , *.images.example.com, .static.example.org ,, '),
		).toEqual(['cdn.gokarla.io', 'images.example.com', 'static.example.org']);
	});

	it('internationalized names become punycode', () => {
		expect(parseAllowedHosts('bücher.example')).toEqual(['xn--bcher-kva.example']);
	});

	it('drops entries that are not host names', () => {
		expect(parseAllowedHosts('https://cdn.example.com/x, a b, user@host, ok.example')).toEqual([
			'ok.example',
		]);
	});

	it('keeps the wildcard', () => {
		expect(parseAllowedHosts('*')).toEqual(['*']);
	});

	it('empty setting allows nothing', () => {
		expect(parseAllowedHosts('')).toEqual([]);
		expect(buildPhotoPolicy({ allowedHosts: '' }).allowedHosts).toEqual([]);
	});
});

describe('isHostAllowed', () => {
	const hosts = ['cdn.gokarla.io'];

	it.each([
		['cdn.gokarla.io', true],
		['CDN.GOKARLA.IO', true],
		['eu.cdn.gokarla.io', true],
		['cdn.gokarla.io.', true],
		['gokarla.io', false],
		['evilcdn.gokarla.io', false],
		['cdn.gokarla.io.evil.example', false],
	])('%s', (host, allowed) => {
		expect(isHostAllowed(host, hosts)).toBe(allowed);
	});

	it('wildcard allows any host', () => {
		expect(isHostAllowed('images.example.com', ['*'])).toBe(true);
	});

	it('empty list allows nothing', () => {
		expect(isHostAllowed('cdn.gokarla.io', [])).toBe(false);
	});
});

describe('checkPhotoUrl', () => {
	it('allows https on the default host', () => {
		const check = checkPhotoUrl('https://cdn.gokarla.io/claims/a/photo.jpg', DEFAULT_POLICY);
		expect(check.allowed).toBe(true);
	});

	it('allows subdomains', () => {
		expect(checkPhotoUrl('https://eu.cdn.gokarla.io/p.jpg', DEFAULT_POLICY).allowed).toBe(true);
	});

	it.each([
		['http://cdn.gokarla.io/p.jpg', 'scheme_not_allowed'],
		['ftp://cdn.gokarla.io/p.jpg', 'scheme_not_allowed'],
		['file:///etc/passwd', 'scheme_not_allowed'],
		['data:image/png;base64,AAAA', 'scheme_not_allowed'],
		['javascript:alert(1)', 'scheme_not_allowed'],
		['not a url', 'invalid_url'],
		['/relative/photo.jpg', 'invalid_url'],
		['https://user:secret@cdn.gokarla.io/p.jpg', 'credentials_in_url'],
		['https://images.example.com/p.jpg', 'host_not_allowed'],
		['https://cdn.gokarla.io.evil.example/p.jpg', 'host_not_allowed'],
	])('%s is rejected: %s', (url, reason) => {
		const check = checkPhotoUrl(url, DEFAULT_POLICY);
		expect(check.allowed).toBe(false);
		expect(rejectionOf(check).reason).toBe(reason);
	});

	it('http only when allowed', () => {
		const policy = buildPhotoPolicy({ allowHttp: true });
		expect(checkPhotoUrl('http://cdn.gokarla.io/p.jpg', policy).allowed).toBe(true);
		expect(checkPhotoUrl('ftp://cdn.gokarla.io/p.jpg', policy).allowed).toBe(false);
	});

	it.each([
		'https://127.0.0.1/p.jpg',
		'https://127.1.2.3/p.jpg',
		'https://0x7f.1/p.jpg',
		'https://2130706433/p.jpg',
		'https://017700000001/p.jpg',
		'https://10.0.0.8/p.jpg',
		'https://172.16.0.1/p.jpg',
		'https://172.31.255.255/p.jpg',
		'https://192.168.1.10/p.jpg',
		'https://169.254.169.254/latest/meta-data/',
		'https://169.254.10.1/p.jpg',
		'https://0.0.0.0/p.jpg',
		'https://[::1]/p.jpg',
		'https://[::]/p.jpg',
		'https://[fe80::1]/p.jpg',
		'https://[fd00:ec2::254]/p.jpg',
		'https://[fc00::1]/p.jpg',
		'https://[fdab:cdef::1]/p.jpg',
		'https://[::ffff:127.0.0.1]/p.jpg',
		'https://[::ffff:8.8.8.8]/p.jpg',
		'https://[64:ff9b::10.0.0.1]/p.jpg',
		'https://[2002:c0a8:0101::1]/p.jpg',
	])('%s is an address that is not allowed', (url) => {
		const policy = buildPhotoPolicy({ allowedHosts: '*' });
		const check = checkPhotoUrl(url, policy);
		expect(check.allowed).toBe(false);
		expect(rejectionOf(check).reason).toBe('address_not_allowed');
	});

	it('address check runs before the allow-list', () => {
		const policy = buildPhotoPolicy({ allowedHosts: '127.0.0.1, 169.254.169.254' });
		const check = checkPhotoUrl('https://169.254.169.254/latest/meta-data/', policy);
		expect(rejectionOf(check).reason).toBe('address_not_allowed');
		expect(rejectionOf(check).detail).toBe('The host 169.254.169.254 is a metadata address');
	});

	it('public IP literal needs the allow-list', () => {
		expect(checkPhotoUrl('https://8.8.8.8/p.jpg', DEFAULT_POLICY)).toMatchObject({
			allowed: false,
			reason: 'host_not_allowed',
		});
		const policy = buildPhotoPolicy({ allowedHosts: '8.8.8.8' });
		expect(checkPhotoUrl('https://8.8.8.8/p.jpg', policy).allowed).toBe(true);
	});

	it('default policy rejects the local test server', () => {
		const check = checkPhotoUrl('http://127.0.0.1:8080/p.jpg', DEFAULT_POLICY);
		expect(rejectionOf(check).reason).toBe('scheme_not_allowed');
		const httpPolicy = buildPhotoPolicy({ allowHttp: true, allowedHosts: '*' });
		const check2 = checkPhotoUrl('http://127.0.0.1:8080/p.jpg', httpPolicy);
		expect(rejectionOf(check2).reason).toBe('address_not_allowed');
	});

	it('private addresses only with the test switch', () => {
		const policy = buildPhotoPolicy({
			allowHttp: true,
			allowedHosts: '127.0.0.1',
			allowPrivateAddresses: true,
		});
		expect(checkPhotoUrl('http://127.0.0.1:8080/p.jpg', policy).allowed).toBe(true);
		expect(checkPhotoUrl('http://10.0.0.1/p.jpg', policy)).toMatchObject({
			allowed: false,
			reason: 'host_not_allowed',
		});
	});

	it.each(['https://169.254.169.254/x', 'https://[fd00:ec2::254]/x'])(
		'%s stays rejected with private addresses allowed',
		(url) => {
			const policy = buildPhotoPolicy({ allowedHosts: '*', allowPrivateAddresses: true });
			const check = checkPhotoUrl(url, policy);
			expect(rejectionOf(check).reason).toBe('address_not_allowed');
		},
	);

	it('spaces and non-ASCII are encoded once', () => {
		const check = checkPhotoUrl(
			'https://cdn.gokarla.io/claims/ü/Foto Tasse.jpg?size=a b',
			DEFAULT_POLICY,
		);
		expect(allowedUrlOf(check).href).toBe(
			'https://cdn.gokarla.io/claims/%C3%BC/Foto%20Tasse.jpg?size=a%20b',
		);
	});

	it('existing escapes are not encoded again', () => {
		const check = checkPhotoUrl(
			'https://cdn.gokarla.io/claims/Foto%20Tasse%C3%BC.jpg',
			DEFAULT_POLICY,
		);
		expect(allowedUrlOf(check).href).toBe('https://cdn.gokarla.io/claims/Foto%20Tasse%C3%BC.jpg');
	});

	it('relative redirect target resolves against the base', () => {
		const base = new URL('https://cdn.gokarla.io/claims/a/photo.jpg');
		const check = checkPhotoUrl('../b/other.jpg', DEFAULT_POLICY, base);
		expect(allowedUrlOf(check).href).toBe('https://cdn.gokarla.io/claims/b/other.jpg');
	});
});

describe('classifyIpAddress', () => {
	it.each([
		['127.0.0.1', 'loopback'],
		['10.1.2.3', 'private'],
		['172.16.0.0', 'private'],
		['172.32.0.0', null],
		['192.168.0.1', 'private'],
		['100.64.0.1', 'shared'],
		['169.254.169.254', 'metadata'],
		['169.254.0.1', 'link_local'],
		['0.1.2.3', 'unspecified'],
		['224.0.0.1', 'multicast'],
		['255.255.255.255', 'reserved'],
		['8.8.8.8', null],
		['192.0.0.170', 'reserved'],
		['192.0.1.1', null],
		['198.18.0.1', 'reserved'],
		['198.19.255.255', 'reserved'],
		['198.20.0.1', null],
		['[::1]', 'loopback'],
		['[::ffff:0:7f00:1]', 'ipv4_mapped'],
		['[::]', 'unspecified'],
		['[fe80::abcd]', 'link_local'],
		['[febf::1]', 'link_local'],
		['[fec0::1]', null],
		['[fc00::]', 'unique_local'],
		['[fd00:ec2::254]', 'metadata'],
		['[::ffff:7f00:1]', 'ipv4_mapped'],
		['[::ffff:0808:0808]', 'ipv4_mapped'],
		['[::7f00:1]', 'ipv4_compatible'],
		['[ff02::1]', 'multicast'],
		['[64:ff9b::a00:1]', 'private'],
		['[64:ff9b::808:808]', null],
		['[2002:7f00:1::]', 'loopback'],
		['[2606:4700::1111]', null],
		['cdn.gokarla.io', undefined],
		['1.2.3', undefined],
	])('%s', (host, kind) => {
		expect(classifyIpAddress(host)).toBe(kind);
	});
});

describe('parseIpv6', () => {
	it.each([
		['::', [0, 0, 0, 0, 0, 0, 0, 0]],
		['::1', [0, 0, 0, 0, 0, 0, 0, 1]],
		['1::', [1, 0, 0, 0, 0, 0, 0, 0]],
		['fd00:ec2::254', [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]],
		['::ffff:127.0.0.1', [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
		['1:2:3:4:5:6:7:8', [1, 2, 3, 4, 5, 6, 7, 8]],
	])('%s', (text, groups) => {
		expect(parseIpv6(text)).toEqual(groups);
	});

	it.each([
		'',
		':',
		'1:2',
		':::',
		'1::2::3',
		'1:2:3:4:5:6:7:8:9',
		'g::1',
		'1:2:3:4:5:6:7::8',
		'::1.2.3',
	])('%s is invalid', (text) => {
		expect(parseIpv6(text)).toBeNull();
	});
});

describe('parseIpv4', () => {
	it('valid and invalid', () => {
		expect(parseIpv4('192.168.0.1')).toEqual([192, 168, 0, 1]);
		expect(parseIpv4('256.1.1.1')).toBeNull();
		expect(parseIpv4('1.2.3')).toBeNull();
		expect(parseIpv4('a.b.c.d')).toBeNull();
	});
});
