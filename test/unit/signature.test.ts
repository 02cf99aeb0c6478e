import {
	checkSignatureHeader,
	computeSignature,
	parseSignatureHeader,
	verifySignature,
} from '../../nodes/shared/signature';
import { karlaSignature } from '../helpers/signer';

const SECRET = 'whsec-test-0123456789abcdef';
const T = 1710864000;
const BODY = Buffer.from(
	'{"source":"claims","ref":"claims/created","event_data":{"claim_id":"c-1"}}',
	'utf8',
);

// Computed with OpenSSL, outside this project's code:
//   printf '%s' '1710864000.<body>' | openssl dgst -sha256 -hmac '<secret>'
const KNOWN_ANSWERS = [
	{
		secret: SECRET,
		body: Buffer.from(BODY),
		hex: 'd91c80c671350e4087f76ce5f2bf6ad4f60068964bbe07388f449432d5192d6c',
	},
	{
		// The body contains the six characters \u00fc, not the letter they encode.
		secret: SECRET,
		body: Buffer.from('{"name":"J\\u00fcrgen"}', 'utf8'),
		hex: 'c4a4ac13ef71e6f96237e1c90b0ba0a9ea9e7da405046d6e31938d6ee2e2456a',
	},
	{
		// Non-ASCII secret and body: both are taken as UTF-8 bytes.
		secret: 'sëcret-with-ümlauts-1234',
		body: Buffer.from('{"name":"Jürgen"}', 'utf8'),
		hex: 'a8320bfef663d01a994ccd95c366edf45d3df119254f668e3ff1170b81ab00a3',
	},
];

const at = (nowSeconds: number) => ({ nowSeconds });

describe('computeSignature', () => {
	it.each(KNOWN_ANSWERS)('matches OpenSSL vector $hex', ({ secret, body, hex }) => {
		expect(computeSignature(secret, T, body)).toBe(hex);
	});

	it('agrees with the test-side signer', () => {
		const header = karlaSignature(SECRET, BODY, T);
		expect(header).toBe(`t=${T},v1=${computeSignature(SECRET, T, BODY)}`);
	});
});

describe('parseSignatureHeader', () => {
	const v1 = 'a'.repeat(64);
	const v1b = 'b'.repeat(64);

	it('parses t and v1', () => {
		expect(parseSignatureHeader(`t=${T},v1=${v1}`)).toEqual({ timestamp: T, signatures: [v1] });
	});

	it('accepts any order and spaces', () => {
		expect(parseSignatureHeader(` v1=${v1} ,  t=${T} `)).toEqual({
			timestamp: T,
			signatures: [v1],
		});
	});

	it('keeps every v1', () => {
		expect(parseSignatureHeader(`t=${T},v1=${v1},v1=${v1b}`)?.signatures).toEqual([v1, v1b]);
	});

	it('ignores unknown keys', () => {
		expect(parseSignatureHeader(`t=${T},v0=xyz,v2=abc,v1=${v1}`)?.signatures).toEqual([v1]);
	});

	it('lower-cases uppercase hex', () => {
		expect(parseSignatureHeader(`t=${T},v1=${'A'.repeat(64)}`)?.signatures).toEqual([v1]);
	});

	it.each([
		['empty', ''],
		['no t', `v1=${v1}`],
		['no v1', `t=${T}`],
		['t not a number', `t=abc,v1=${v1}`],
		['t negative', `t=-5,v1=${v1}`],
		['t fractional', `t=1710864000.5,v1=${v1}`],
		['t in milliseconds with exponent', `t=1.7e9,v1=${v1}`],
		['two t values', `t=${T},t=${T + 1},v1=${v1}`],
		['v1 too short', `t=${T},v1=${'a'.repeat(63)}`],
		['v1 too long (65 digits, as in the docs sample)', `t=${T},v1=${'a'.repeat(65)}`],
		['v1 not hex', `t=${T},v1=${'g'.repeat(64)}`],
		['one bad v1 among good ones', `t=${T},v1=${v1},v1=xyz`],
		['no equals signs', 'garbage'],
	])('rejects %s', (_case, header) => {
		expect(parseSignatureHeader(header)).toBeNull();
	});
});

describe('verifySignature', () => {
	const secrets = { current: SECRET };
	const header = karlaSignature(SECRET, BODY, T);

	it('accepts a valid signature', () => {
		expect(verifySignature(header, BODY, secrets, at(T))).toEqual({
			valid: true,
			timestamp: T,
			matchedSecret: 'current',
		});
	});

	it('rejects a missing header', () => {
		expect(verifySignature(undefined, BODY, secrets, at(T))).toEqual({
			valid: false,
			reason: 'missing_header',
		});
		expect(verifySignature('  ', BODY, secrets, at(T))).toMatchObject({ reason: 'missing_header' });
	});

	it('rejects a malformed header', () => {
		expect(verifySignature('t=1,v1=abc', BODY, secrets, at(T))).toMatchObject({
			valid: false,
			reason: 'malformed_header',
		});
	});

	it('accepts the edges of the window', () => {
		expect(verifySignature(header, BODY, secrets, at(T + 300)).valid).toBe(true);
		expect(verifySignature(header, BODY, secrets, at(T - 300)).valid).toBe(true);
	});

	it('rejects a stale timestamp', () => {
		expect(verifySignature(header, BODY, secrets, at(T + 301))).toMatchObject({
			valid: false,
			reason: 'timestamp_outside_tolerance',
		});
	});

	it('rejects a future timestamp', () => {
		expect(verifySignature(header, BODY, secrets, at(T - 301))).toMatchObject({
			valid: false,
			reason: 'timestamp_outside_tolerance',
		});
	});

	it('honours a custom tolerance', () => {
		const options = { nowSeconds: T + 30, toleranceSeconds: 10 };
		expect(verifySignature(header, BODY, secrets, options)).toMatchObject({
			reason: 'timestamp_outside_tolerance',
		});
	});

	it('rejects a wrong secret', () => {
		const forged = karlaSignature('another-secret-0123456789', BODY, T);
		expect(verifySignature(forged, BODY, secrets, at(T))).toMatchObject({
			valid: false,
			reason: 'no_matching_signature',
		});
	});

	it('rejects a changed body', () => {
		const changed = Buffer.from(BODY.toString('utf8').replace('c-1', 'c-2'), 'utf8');
		expect(verifySignature(header, changed, secrets, at(T))).toMatchObject({
			reason: 'no_matching_signature',
		});
	});

	it('rejects a re-serialised body', () => {
		const pretty = Buffer.from(JSON.stringify(JSON.parse(BODY.toString('utf8')), null, 2));
		expect(verifySignature(header, pretty, secrets, at(T)).valid).toBe(false);
	});

	it('rejects a timestamp swapped into a valid signature', () => {
		const v1 = header.split('v1=')[1];
		expect(verifySignature(`t=${T + 1},v1=${v1}`, BODY, secrets, at(T))).toMatchObject({
			reason: 'no_matching_signature',
		});
	});

	it('accepts the previous secret', () => {
		const rotated = { current: 'new-secret-0123456789abcdef', previous: SECRET };
		expect(verifySignature(header, BODY, rotated, at(T))).toEqual({
			valid: true,
			timestamp: T,
			matchedSecret: 'previous',
		});
	});

	it('accepts any matching v1', () => {
		const good = header.split('v1=')[1];
		const several = `t=${T},v1=${'0'.repeat(64)},v1=${good},v2=whatever`;
		expect(verifySignature(several, BODY, secrets, at(T)).valid).toBe(true);
	});

	it('rejects when no secret is configured', () => {
		expect(verifySignature(header, BODY, { current: '' }, at(T))).toMatchObject({
			valid: false,
			reason: 'no_secret_configured',
		});
	});

	it('verifies the exact bytes of escaped and non-ASCII bodies', () => {
		for (const { secret, body } of KNOWN_ANSWERS) {
			const signed = karlaSignature(secret, body, T);
			expect(verifySignature(signed, body, { current: secret }, at(T)).valid).toBe(true);
		}
	});
});

describe('checkSignatureHeader', () => {
	const header = karlaSignature(SECRET, BODY, T);

	it('returns the parsed header', () => {
		expect(checkSignatureHeader(header, at(T))).toEqual({
			valid: true,
			header: parseSignatureHeader(header),
		});
	});

	it.each([
		['missing_header', undefined, T],
		['malformed_header', 't=1,v1=abc', T],
		['timestamp_outside_tolerance', header, T + 301],
	])('gives %s with the reason verifySignature gives', (reason, value, now) => {
		expect(checkSignatureHeader(value, at(now))).toMatchObject({ valid: false, reason });
		expect(verifySignature(value, BODY, { current: SECRET }, at(now))).toEqual(
			checkSignatureHeader(value, at(now)),
		);
	});

	it.each([
		['NaN', Number.NaN],
		['a word', 'five minutes' as unknown as number],
	])('rejects a current timestamp when the tolerance is %s', (_name, toleranceSeconds) => {
		expect(checkSignatureHeader(header, { nowSeconds: T, toleranceSeconds })).toMatchObject({
			valid: false,
			reason: 'timestamp_outside_tolerance',
		});
	});

	it('checks a parsed header again', () => {
		const parsed = parseSignatureHeader(header);
		if (parsed === null) throw new Error('Expected the header to parse');
		expect(checkSignatureHeader(parsed, at(T))).toEqual({ valid: true, header: parsed });
		expect(checkSignatureHeader(parsed, at(T + 301))).toMatchObject({
			valid: false,
			reason: 'timestamp_outside_tolerance',
		});
		expect(verifySignature(parsed, BODY, { current: SECRET }, at(T))).toMatchObject({
			valid: true,
		});
		expect(verifySignature(parsed, BODY, { current: 'another-secret-0123' }, at(T))).toMatchObject({
			valid: false,
			reason: 'no_matching_signature',
		});
	});

	it('accepts a tolerance given as digits', () => {
		const options = { nowSeconds: T + 200, toleranceSeconds: '300' as unknown as number };
		expect(checkSignatureHeader(header, options)).toMatchObject({ valid: true });
	});
});
