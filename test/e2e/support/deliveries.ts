import axios, { type AxiosResponse } from 'axios';

import { signatureHeader } from '../../../scripts/lib/signer';

export interface DeliveryOptions {
	/** Secret to sign with; omit to send no `Karla-Signature` header. */
	secret?: string;
	/** Signature timestamp in Unix seconds; now by default. */
	timestamp?: number;
	/** Replaces the computed header, for malformed headers. */
	signatureHeader?: string;
	/** `null` sends no Content-Type header at all. */
	contentType?: string | null;
}

/**
 * POSTs the exact bytes given to a webhook URL, signed like Karla signs, and returns the response
 * whatever its status.
 */
export async function deliver(
	url: string,
	body: string | Buffer,
	options: DeliveryOptions = {},
): Promise<AxiosResponse> {
	const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
	const headers: Record<string, string | false> = {
		// axios sends a body without a type as application/x-www-form-urlencoded unless the value is false.
		'Content-Type':
			options.contentType === null ? false : (options.contentType ?? 'application/json'),
	};
	if (options.signatureHeader !== undefined) {
		headers['Karla-Signature'] = options.signatureHeader;
	} else if (options.secret !== undefined) {
		headers['Karla-Signature'] = signatureHeader(options.secret, bytes, options.timestamp);
	}
	return await axios.post(url, bytes, {
		headers,
		// The bytes are signed, so axios must send them unchanged.
		transformRequest: [(data: unknown) => data],
		validateStatus: () => true,
		timeout: 30_000,
	});
}

/** Sends `count` deliveries built by `send`, at most `concurrency` at a time, in index order. */
export async function sendConcurrently<T>(
	count: number,
	concurrency: number,
	send: (index: number) => Promise<T>,
): Promise<T[]> {
	const results: T[] = new Array<T>(count);
	let next = 0;
	const worker = async () => {
		while (next < count) {
			const index = next++;
			results[index] = await send(index);
		}
	};
	await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
	return results;
}
