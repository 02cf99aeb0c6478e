import { createHmac, timingSafeEqual } from 'crypto';

/** Name of the header that carries Karla's signature. */
export const SIGNATURE_HEADER = 'karla-signature';

/** Karla's own receiver accepts a timestamp at most this far from its clock, in both directions. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const HEX_SIGNATURE = /^[0-9a-f]{64}$/i;
const UNIX_SECONDS = /^\d{1,12}$/;

export interface ParsedSignatureHeader {
	timestamp: number;
	/** Every `v1` element, lower-cased, in the order received. */
	signatures: string[];
}

export type SignatureRejection =
	| 'missing_header'
	| 'malformed_header'
	| 'timestamp_outside_tolerance'
	| 'no_matching_signature'
	| 'no_secret_configured';

export type SignatureCheck =
	| { valid: true; timestamp: number; matchedSecret: 'current' | 'previous' }
	| { valid: false; reason: SignatureRejection; timestamp?: number };

export interface VerifyOptions {
	/** Current time in Unix seconds; passed in so that tests control the clock. */
	nowSeconds: number;
	toleranceSeconds?: number;
}

/**
 * Parses a `Karla-Signature` header: comma-separated `key=value` elements in any order, spaces
 * around them tolerated, unknown keys ignored. Returns null when there is no single integer `t`
 * or no `v1` element, or when any `v1` is not 64 hex digits. Never throws.
 */
export function parseSignatureHeader(header: string): ParsedSignatureHeader | null {
	let timestampText: string | undefined;
	const signatures: string[] = [];

	// Walks the elements with indexOf: split(',') allocates an array and every element, which
	// showed in CPU profiles of small deliveries. Empty and `=`-less elements are skipped alike.
	let start = 0;
	while (start <= header.length) {
		const elementStart = start;
		let end = header.indexOf(',', elementStart);
		if (end === -1) end = header.length;
		start = end + 1;
		const separator = header.indexOf('=', elementStart);
		if (separator === -1 || separator > end) continue;
		const key = header.slice(elementStart, separator).trim();
		const value = header.slice(separator + 1, end).trim();
		if (key === 't') {
			// Two timestamps leave it open which one was signed, so the header is rejected.
			if (timestampText !== undefined) return null;
			timestampText = value;
		} else if (key === 'v1') {
			if (!HEX_SIGNATURE.test(value)) return null;
			signatures.push(value.toLowerCase());
		}
	}

	if (timestampText === undefined || !UNIX_SECONDS.test(timestampText)) return null;
	if (signatures.length === 0) return null;
	return { timestamp: Number(timestampText), signatures };
}

/** Computes the lowercase hex HMAC-SHA256 of `<timestamp>.<raw body>` with a secret's UTF-8 bytes. */
export function computeSignature(
	secret: string,
	timestamp: number | string,
	rawBody: Buffer,
): string {
	return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest('hex');
}

function matchesAny(expected: string, received: string[]): boolean {
	const expectedBytes = Buffer.from(expected, 'hex');
	let matched = false;
	for (const signature of received) {
		const receivedBytes = Buffer.from(signature, 'hex');
		// timingSafeEqual throws on a length mismatch; the parser already enforces 64 hex digits,
		// and this check keeps that invariant local.
		if (receivedBytes.length !== expectedBytes.length) continue;
		// Every element is compared, so the time taken does not reveal which one matched.
		if (timingSafeEqual(receivedBytes, expectedBytes)) matched = true;
	}
	return matched;
}

export type SignatureHeaderCheck =
	| { valid: true; header: ParsedSignatureHeader }
	| { valid: false; reason: SignatureRejection; timestamp?: number };

/**
 * Runs the checks that need no secret: the header is present, well formed, and its timestamp
 * within the tolerance. The trigger runs them before it reads its credential, so that a request
 * failing them costs no credential read. A header parsed by an earlier call is not parsed again,
 * but its timestamp is checked again. Never throws.
 */
export function checkSignatureHeader(
	header: string | ParsedSignatureHeader | undefined,
	options: VerifyOptions,
): SignatureHeaderCheck {
	if (typeof header === 'object') return checkTimestamp(header, options);
	if (header === undefined || header.trim() === '')
		return { valid: false, reason: 'missing_header' };

	const parsed = parseSignatureHeader(header);
	if (parsed === null) return { valid: false, reason: 'malformed_header' };
	return checkTimestamp(parsed, options);
}

function checkTimestamp(
	parsed: ParsedSignatureHeader,
	options: VerifyOptions,
): SignatureHeaderCheck {
	const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
	// Written as `!(skew <= tolerance)` so that a tolerance that is not a number, such as NaN or a
	// word from an expression in the node's options, rejects every timestamp instead of none.
	const skew = Math.abs(options.nowSeconds - parsed.timestamp);
	if (!(skew <= tolerance)) {
		return { valid: false, reason: 'timestamp_outside_tolerance', timestamp: parsed.timestamp };
	}
	return { valid: true, header: parsed };
}

/**
 * Verifies a delivery against the current secret and, during a rotation, the previous one. The
 * HMAC covers the exact raw bytes received. Returns the reason on rejection; never throws.
 */
export function verifySignature(
	header: string | ParsedSignatureHeader | undefined,
	rawBody: Buffer,
	secrets: { current: string; previous?: string },
	options: VerifyOptions,
): SignatureCheck {
	const headerCheck = checkSignatureHeader(header, options);
	if (!headerCheck.valid) return headerCheck;
	const parsed = headerCheck.header;

	if (secrets.current === '') {
		return { valid: false, reason: 'no_secret_configured', timestamp: parsed.timestamp };
	}

	const candidates: Array<['current' | 'previous', string]> = [['current', secrets.current]];
	if (secrets.previous) candidates.push(['previous', secrets.previous]);

	for (const [which, secret] of candidates) {
		const expected = computeSignature(secret, parsed.timestamp, rawBody);
		if (matchesAny(expected, parsed.signatures)) {
			return { valid: true, timestamp: parsed.timestamp, matchedSecret: which };
		}
	}
	return { valid: false, reason: 'no_matching_signature', timestamp: parsed.timestamp };
}
