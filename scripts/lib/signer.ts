import { createHmac } from 'crypto';

/**
 * Signs deliveries the way Karla does: `v1` is the lowercase hex HMAC-SHA256 of
 * `<t>.<raw body bytes>`, keyed with the secret's UTF-8 bytes, sent as
 * `Karla-Signature: t=<unix seconds>,v1=<hex>`. Written independently of the nodes' verifier so
 * that end-to-end tests do not check the verifier against itself.
 */
export function signBody(secret: string, timestampSeconds: number, rawBody: Buffer): string {
	return createHmac('sha256', Buffer.from(secret, 'utf8'))
		.update(Buffer.from(`${timestampSeconds}.`, 'ascii'))
		.update(rawBody)
		.digest('hex');
}

/** Builds the `Karla-Signature` header value for a body. */
export function signatureHeader(
	secret: string,
	rawBody: Buffer | string,
	timestampSeconds: number = Math.floor(Date.now() / 1000),
): string {
	const bytes = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
	return `t=${timestampSeconds},v1=${signBody(secret, timestampSeconds, bytes)}`;
}

/**
 * Rewrites every non-ASCII character of a JSON text as a `\uXXXX` escape (surrogate pairs for
 * characters outside the Basic Multilingual Plane), the way Python's `json.dumps` writes by
 * default. The result parses to the same value.
 */
export function escapeNonAscii(jsonText: string): string {
	let escaped = '';
	for (let index = 0; index < jsonText.length; index++) {
		const code = jsonText.charCodeAt(index);
		escaped += code > 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : jsonText[index];
	}
	return escaped;
}
