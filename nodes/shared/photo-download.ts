import type { IBinaryData, IBinaryKeyData, IHttpRequestOptions } from 'n8n-workflow';

import { chooseFileName, reserveUniqueFileName, resolveMimeType } from './photo-files';
import { checkPhotoUrl, type PhotoPolicy, type UrlRejection } from './photos';

/** The part of n8n's `this.helpers` that the downloader uses; tests pass their own. */
export interface PhotoDownloadHelpers {
	httpRequest(options: IHttpRequestOptions): Promise<unknown>;
	prepareBinaryData(buffer: Buffer, fileName: string, mimeType: string): Promise<IBinaryData>;
}

export type PhotoDownloadOutcome = 'downloaded' | 'failed' | 'skipped';

export type PhotoFailureReason =
	| 'timeout'
	| 'request_failed'
	| 'http_status'
	| 'redirect_not_allowed'
	| 'redirect_without_location'
	| 'too_many_redirects'
	| 'too_large'
	| 'empty_response'
	| 'unexpected_response';

export type PhotoSkipReason = UrlRejection | 'photo_limit_reached';

/** One entry of `photo_downloads`: what happened to one URL of `photo_urls`. */
export interface PhotoDownloadRecord {
	url: string;
	/** Binary property that contains the file; null unless the outcome is `downloaded`. */
	binary_property: string | null;
	outcome: PhotoDownloadOutcome;
	/** Reason code; null for a download. */
	reason: PhotoFailureReason | PhotoSkipReason | null;
	/** One sentence for people, without payload data; null for a download. */
	detail: string | null;
	file_name: string | null;
	mime_type: string | null;
	size_bytes: number | null;
}

export interface ClaimPhotoDownloads {
	binary: IBinaryKeyData;
	records: PhotoDownloadRecord[];
}

interface FetchedPhoto {
	ok: true;
	buffer: Buffer;
	finalUrl: URL;
	headers: Record<string, unknown>;
}

interface FetchProblem {
	ok: false;
	outcome: 'failed' | 'skipped';
	reason: PhotoFailureReason | PhotoSkipReason;
	detail: string;
}

/** Downloads run at most this many at a time per claim, to be gentle with the photo host. */
const PHOTO_DOWNLOAD_CONCURRENCY = 4;
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];

function asRecord(value: unknown): Record<string, unknown> {
	return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function headerValue(headers: Record<string, unknown>, name: string): unknown {
	const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
	if (key === undefined) return undefined;
	const value = headers[key];
	return Array.isArray(value) ? value[0] : value;
}

function toBuffer(body: unknown): Buffer | null {
	if (Buffer.isBuffer(body)) return body;
	if (body instanceof ArrayBuffer) return Buffer.from(body);
	if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
	if (typeof body === 'string') return Buffer.from(body, 'latin1');
	if (body === undefined || body === null) return Buffer.alloc(0);
	return null;
}

/** The part of a Node.js readable stream that the downloader uses. */
interface ByteStream extends AsyncIterable<unknown> {
	destroy(): void;
}

function asByteStream(body: unknown): ByteStream | null {
	const candidate = body as Partial<ByteStream> | null;
	if (typeof candidate !== 'object' || candidate === null) return null;
	if (typeof candidate.destroy !== 'function') return null;
	return typeof candidate[Symbol.asyncIterator] === 'function' ? (candidate as ByteStream) : null;
}

/** Stops reading a response body that will not be used, so its socket is released. */
function discardBody(body: unknown): void {
	asByteStream(body)?.destroy();
}

/**
 * Reads a streamed body up to `maxBytes` and stops as soon as it is over, so a large or endless
 * body is never held in memory. Returns null when the body is over the limit.
 */
async function readWithLimit(stream: ByteStream, maxBytes: number): Promise<Buffer | null> {
	const chunks: Buffer[] = [];
	let total = 0;
	for await (const chunk of stream) {
		const bytes = toBuffer(chunk);
		if (bytes === null) continue;
		total += bytes.length;
		if (total > maxBytes) {
			stream.destroy();
			return null;
		}
		chunks.push(bytes);
	}
	return Buffer.concat(chunks, total);
}

function isTimeout(error: unknown): boolean {
	const { code, message } = asRecord(error);
	if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT') return true;
	return typeof message === 'string' && /timeout|timed out/i.test(message);
}

function describeRequestError(error: unknown): string {
	const { code } = asRecord(error);
	return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)
		? `The request failed (${code})`
		: 'The request failed';
}

/** Classifies an error of the request or of reading its body as a timeout or a failed request. */
function requestProblem(error: unknown, deadline: AbortSignal, policy: PhotoPolicy): FetchProblem {
	if (deadline.aborted || isTimeout(error)) {
		return {
			ok: false,
			outcome: 'failed',
			reason: 'timeout',
			detail: `No complete response within ${policy.timeoutMs / 1000} seconds`,
		};
	}
	return {
		ok: false,
		outcome: 'failed',
		reason: 'request_failed',
		detail: describeRequestError(error),
	};
}

/**
 * Fetches one photo, following redirects itself so that every hop passes the policy again.
 * Never throws: every problem comes back as a {@link FetchProblem}.
 */
async function fetchPhoto(
	startUrl: URL,
	policy: PhotoPolicy,
	helpers: PhotoDownloadHelpers,
): Promise<FetchedPhoto | FetchProblem> {
	let url = startUrl;
	for (let hop = 0; ; hop++) {
		// n8n-core 2.41's `timeout` restarts with every chunk received, so the signal bounds the
		// whole request, body included. The body comes as a stream so reading stops at the limit.
		const deadline = AbortSignal.timeout(policy.timeoutMs);
		let response: Record<string, unknown>;
		try {
			response = asRecord(
				await helpers.httpRequest({
					url: url.href,
					method: 'GET',
					headers: { Accept: 'image/*, */*;q=0.5' },
					encoding: 'stream',
					returnFullResponse: true,
					disableFollowRedirect: true,
					ignoreHttpStatusErrors: true,
					timeout: policy.timeoutMs,
					abortSignal: deadline,
				}),
			);
		} catch (error: unknown) {
			return requestProblem(error, deadline, policy);
		}

		const status = Number(response.statusCode);
		const headers = asRecord(response.headers);

		if (!Number.isInteger(status) || status < 200 || status > 299) discardBody(response.body);

		if (REDIRECT_STATUSES.includes(status)) {
			const location = headerValue(headers, 'location');
			if (typeof location !== 'string' || location.trim() === '') {
				return {
					ok: false,
					outcome: 'failed',
					reason: 'redirect_without_location',
					detail: `HTTP ${status} without a Location header`,
				};
			}
			if (hop >= policy.maxRedirects) {
				return {
					ok: false,
					outcome: 'failed',
					reason: 'too_many_redirects',
					detail: `More than ${policy.maxRedirects} redirects`,
				};
			}
			const next = checkPhotoUrl(location, policy, url);
			if (!next.allowed) {
				return {
					ok: false,
					outcome: 'failed',
					reason: 'redirect_not_allowed',
					detail: `Redirect rejected: ${next.detail}`,
				};
			}
			url = next.url;
			continue;
		}

		if (!Number.isInteger(status) || status < 200 || status > 299) {
			return {
				ok: false,
				outcome: 'failed',
				reason: 'http_status',
				detail: `HTTP ${Number.isFinite(status) ? status : 'status missing'}`,
			};
		}

		const declaredLength = Number(headerValue(headers, 'content-length'));
		if (Number.isFinite(declaredLength) && declaredLength > policy.maxBytes) {
			discardBody(response.body);
			return {
				ok: false,
				outcome: 'failed',
				reason: 'too_large',
				detail: `Content-Length ${declaredLength} bytes is over the limit of ${policy.maxBytes} bytes`,
			};
		}

		const stream = asByteStream(response.body);
		let buffer: Buffer | null;
		if (stream === null) {
			buffer = toBuffer(response.body);
		} else {
			try {
				buffer = await readWithLimit(stream, policy.maxBytes);
			} catch (error: unknown) {
				return requestProblem(error, deadline, policy);
			}
			if (buffer === null) {
				return {
					ok: false,
					outcome: 'failed',
					reason: 'too_large',
					detail: `The file is over the limit of ${policy.maxBytes} bytes`,
				};
			}
		}
		if (buffer === null) {
			return {
				ok: false,
				outcome: 'failed',
				reason: 'unexpected_response',
				detail: 'The response body is not binary data',
			};
		}
		if (buffer.length > policy.maxBytes) {
			return {
				ok: false,
				outcome: 'failed',
				reason: 'too_large',
				detail: `${buffer.length} bytes is over the limit of ${policy.maxBytes} bytes`,
			};
		}
		if (buffer.length === 0) {
			return {
				ok: false,
				outcome: 'failed',
				reason: 'empty_response',
				detail: 'The file is empty',
			};
		}
		return { ok: true, buffer, finalUrl: url, headers };
	}
}

async function mapWithConcurrency<T, R>(
	values: readonly T[],
	limit: number,
	task: (value: T, index: number) => Promise<R>,
): Promise<R[]> {
	const results = new Array<R>(values.length);
	let next = 0;
	const worker = async () => {
		while (next < values.length) {
			const index = next++;
			results[index] = await task(values[index], index);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, values.length) }, worker));
	return results;
}

function problemRecord(url: string, problem: FetchProblem): PhotoDownloadRecord {
	return {
		url,
		binary_property: null,
		outcome: problem.outcome,
		reason: problem.reason,
		detail: problem.detail,
		file_name: null,
		mime_type: null,
		size_bytes: null,
	};
}

/**
 * Downloads a claim's photos into binary properties `<prefix><index>`, where the index is the
 * URL's position in `photo_urls`. URLs past the policy's photo limit are skipped. Returns the
 * binary data and one record per URL, in order. Never rejects for one photo's failure; it rejects
 * only when `prepareBinaryData` itself fails, because then n8n cannot store binary data at all.
 */
export async function downloadClaimPhotos(
	photoUrls: readonly string[],
	claimId: string,
	policy: PhotoPolicy,
	binaryPropertyPrefix: string,
	helpers: PhotoDownloadHelpers,
): Promise<ClaimPhotoDownloads> {
	const fetched = await mapWithConcurrency(
		photoUrls,
		PHOTO_DOWNLOAD_CONCURRENCY,
		async (raw, i) => {
			if (i >= policy.maxPhotos) {
				const problem: FetchProblem = {
					ok: false,
					outcome: 'skipped',
					reason: 'photo_limit_reached',
					detail: `Only the first ${policy.maxPhotos} photos of a claim are downloaded`,
				};
				return problem;
			}
			const check = checkPhotoUrl(raw, policy);
			if (!check.allowed) {
				const problem: FetchProblem = {
					ok: false,
					outcome: 'skipped',
					reason: check.reason,
					detail: check.detail,
				};
				return problem;
			}
			return await fetchPhoto(check.url, policy, helpers);
		},
	);

	// Names are given in URL order after all downloads finish, so they do not depend on timing.
	const binary: IBinaryKeyData = {};
	const records: PhotoDownloadRecord[] = [];
	const takenNames = new Set<string>();
	for (const [i, result] of fetched.entries()) {
		const url = photoUrls[i];
		if (!result.ok) {
			records.push(problemRecord(url, result));
			continue;
		}
		const mimeType = resolveMimeType(headerValue(result.headers, 'content-type'), result.buffer);
		const fileName = reserveUniqueFileName(
			chooseFileName({
				contentDisposition: headerValue(result.headers, 'content-disposition'),
				url: result.finalUrl,
				claimId,
				photoNumber: i + 1,
				mimeType,
			}),
			takenNames,
		);
		const property = `${binaryPropertyPrefix}${i}`;
		binary[property] = await helpers.prepareBinaryData(result.buffer, fileName, mimeType);
		records.push({
			url,
			binary_property: property,
			outcome: 'downloaded',
			reason: null,
			detail: null,
			file_name: fileName,
			mime_type: mimeType,
			size_bytes: result.buffer.length,
		});
	}
	return { binary, records };
}
