import type { IBinaryData, IHttpRequestOptions } from 'n8n-workflow';

import {
	downloadClaimPhotos,
	type PhotoDownloadHelpers,
	type PhotoDownloadRecord,
} from '../../nodes/shared/photo-download';
import { buildPhotoPolicy, type PhotoPolicySettings } from '../../nodes/shared/photos';
import { createHttpRequest, type RecordedRequest } from '../helpers/http-request';
import {
	jpegBytes,
	neverAnswer,
	pngBytes,
	redirectTo,
	sendFile,
	startPhotoServer,
	type PhotoServer,
} from '../helpers/photo-server';

interface StoredFile {
	buffer: Buffer;
	fileName: string;
	mimeType: string;
}

/** Helpers with real HTTP and a `prepareBinaryData` that keeps the files in memory. */
function realHelpers(
	calls: RecordedRequest[] = [],
	stored: StoredFile[] = [],
): PhotoDownloadHelpers {
	return {
		httpRequest: createHttpRequest(calls),
		prepareBinaryData: async (buffer, fileName, mimeType): Promise<IBinaryData> => {
			stored.push({ buffer, fileName, mimeType });
			return {
				data: buffer.toString('base64'),
				mimeType,
				fileName,
				fileExtension: fileName.split('.').pop(),
				bytes: buffer.length,
			};
		},
	};
}

/** Policy that lets the test reach its own server on 127.0.0.1 over plain HTTP. */
function localPolicy(settings: PhotoPolicySettings = {}) {
	return buildPhotoPolicy({
		allowHttp: true,
		allowedHosts: '127.0.0.1',
		allowPrivateAddresses: true,
		...settings,
	});
}

/** Fake `httpRequest` that responds from a table of URLs, like n8n with a full response. */
function fakeHttpRequest(
	responses: Record<
		string,
		{ statusCode: number; headers?: Record<string, unknown>; body?: unknown } | Error
	>,
	calls: IHttpRequestOptions[] = [],
) {
	return async (options: IHttpRequestOptions): Promise<unknown> => {
		calls.push(options);
		const response = responses[options.url];
		if (response === undefined) throw new Error(`unexpected request to ${options.url}`);
		if (response instanceof Error) throw response;
		return {
			body: response.body,
			headers: response.headers ?? {},
			statusCode: response.statusCode,
			statusMessage: '',
		};
	};
}

function fakeHelpers(httpRequest: PhotoDownloadHelpers['httpRequest']): PhotoDownloadHelpers {
	return { httpRequest, prepareBinaryData: realHelpers().prepareBinaryData };
}

function outcomes(records: PhotoDownloadRecord[]) {
	return records.map((record) => [record.outcome, record.reason]);
}

describe('downloadClaimPhotos with a local server', () => {
	let server: PhotoServer;
	const photo = jpegBytes(256);

	beforeAll(async () => {
		server = await startPhotoServer({
			'/photos/photo-1.jpg': sendFile(photo),
			'/photos/second.png': sendFile(pngBytes(), { 'content-type': 'image/png' }),
			'/a/photo.jpg': sendFile(photo),
			'/b/photo.jpg': sendFile(photo),
			'/named/1': sendFile(photo, { 'content-disposition': 'attachment; filename="evidence.jpg"' }),
			'/named/2': sendFile(photo, { 'content-disposition': 'attachment; filename="evidence.jpg"' }),
			'/unicode/1': sendFile(photo, {
				'content-disposition':
					'attachment; filename="x.jpg"; filename*=UTF-8\'\'Stra%C3%9Fe%20%E2%82%AC.jpg',
			}),
			'/download': sendFile(photo, { 'content-type': 'application/octet-stream' }),
			'/photos/Foto%20Tasse%20%C3%BC.jpg': sendFile(photo),
			'/photos/a%20b.jpg': sendFile(photo),
			'/big': sendFile(Buffer.alloc(4096, 1)),
			'/big-chunked': (_request, response) => {
				response.writeHead(200, { 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' });
				response.write(Buffer.alloc(1024, 1));
				response.write(Buffer.alloc(1024, 1));
				response.end(Buffer.alloc(1024, 1));
			},
			'/slow': neverAnswer,
			'/headers-then-stall': (_request, response) => {
				response.writeHead(200, { 'content-type': 'image/jpeg' });
				response.write(Buffer.alloc(10));
			},
			'/missing.jpg': (_request, response) => {
				response.writeHead(404);
				response.end();
			},
			'/empty.jpg': sendFile(Buffer.alloc(0)),
			'/redirect/ok': redirectTo('/redirect/step-2'),
			'/redirect/step-2': redirectTo('/photos/final-name.jpg', 301),
			'/photos/final-name.jpg': sendFile(photo),
			'/redirect/metadata': redirectTo('http://169.254.169.254/latest/meta-data/'),
			'/redirect/other-host': redirectTo('https://images.example.com/photo.jpg'),
			'/redirect/ipv6-loopback': redirectTo('http://[::1]/photo.jpg', 307),
			'/redirect/no-location': (_request, response) => {
				response.writeHead(302);
				response.end();
			},
			'/loop': redirectTo('/loop'),
		});
	});

	afterAll(async () => {
		await server.close();
	});

	beforeEach(() => {
		server.requests.length = 0;
	});

	it('downloads photos into binary properties', () => {
		const stored: StoredFile[] = [];
		return downloadClaimPhotos(
			[`${server.origin}/photos/photo-1.jpg`, `${server.origin}/photos/second.png`],
			'claim-1',
			localPolicy(),
			'photo_',
			realHelpers([], stored),
		).then(({ binary, records }) => {
			expect(Object.keys(binary)).toEqual(['photo_0', 'photo_1']);
			expect(binary.photo_0).toMatchObject({ fileName: 'photo-1.jpg', mimeType: 'image/jpeg' });
			expect(binary.photo_1).toMatchObject({ fileName: 'second.png', mimeType: 'image/png' });
			expect(stored[0].buffer.equals(photo)).toBe(true);
			expect(records).toEqual([
				{
					url: `${server.origin}/photos/photo-1.jpg`,
					binary_property: 'photo_0',
					outcome: 'downloaded',
					reason: null,
					detail: null,
					file_name: 'photo-1.jpg',
					mime_type: 'image/jpeg',
					size_bytes: 256,
				},
				{
					url: `${server.origin}/photos/second.png`,
					binary_property: 'photo_1',
					outcome: 'downloaded',
					reason: null,
					detail: null,
					file_name: 'second.png',
					mime_type: 'image/png',
					size_bytes: 64,
				},
			]);
		});
	});

	it('sends the request options n8n needs', async () => {
		const calls: RecordedRequest[] = [];
		await downloadClaimPhotos(
			[`${server.origin}/redirect/ok`],
			'claim-1',
			localPolicy({ photoTimeoutSeconds: 3 }),
			'photo_',
			realHelpers(calls),
		);
		expect(calls).toHaveLength(3);
		for (const call of calls) {
			expect(call.method).toBe('GET');
			expect(call.disableFollowRedirect).toBe(true);
			expect(call.returnFullResponse).toBe(true);
			expect(call.encoding).toBe('stream');
			expect(call.ignoreHttpStatusErrors).toBe(true);
			expect(call.timeout).toBe(3000);
		}
	});

	it('default policy rejects the local server', async () => {
		const url = `${server.origin}/photos/photo-1.jpg`;
		const https = await downloadClaimPhotos(
			[url],
			'c',
			buildPhotoPolicy(),
			'photo_',
			realHelpers(),
		);
		expect(outcomes(https.records)).toEqual([['skipped', 'scheme_not_allowed']]);

		const httpOnly = await downloadClaimPhotos(
			[url],
			'c',
			buildPhotoPolicy({ allowHttp: true, allowedHosts: '127.0.0.1' }),
			'photo_',
			realHelpers(),
		);
		expect(outcomes(httpOnly.records)).toEqual([['skipped', 'address_not_allowed']]);
		expect(httpOnly.binary).toEqual({});
		expect(server.requests).toEqual([]);
	});

	it('follows allowed redirects and names the file from the last URL', async () => {
		const { binary, records } = await downloadClaimPhotos(
			[`${server.origin}/redirect/ok`],
			'c',
			localPolicy(),
			'photo_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([['downloaded', null]]);
		expect(binary.photo_0.fileName).toBe('final-name.jpg');
		expect(server.requests).toEqual(['/redirect/ok', '/redirect/step-2', '/photos/final-name.jpg']);
	});

	it.each([
		['/redirect/metadata', 'host 169.254.169.254 is a metadata address'],
		['/redirect/other-host', 'not in the allowed hosts'],
		['/redirect/ipv6-loopback', 'host [::1] is not in the allowed hosts'],
	])('redirect %s to a forbidden host fails', async (path, detail) => {
		const { binary, records } = await downloadClaimPhotos(
			[`${server.origin}${path}`],
			'c',
			localPolicy(),
			'photo_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([['failed', 'redirect_not_allowed']]);
		expect(records[0].detail).toContain(detail);
		expect(binary).toEqual({});
		expect(server.requests).toEqual([path]);
	});

	it('redirect to a metadata address fails even with private addresses allowed', async () => {
		const { records } = await downloadClaimPhotos(
			[`${server.origin}/redirect/metadata`],
			'c',
			localPolicy({ allowedHosts: '*' }),
			'photo_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([['failed', 'redirect_not_allowed']]);
		expect(records[0].detail).toBe(
			'Redirect rejected: The host 169.254.169.254 is a metadata address',
		);
	});

	it('redirect without Location fails', async () => {
		const { records } = await downloadClaimPhotos(
			[`${server.origin}/redirect/no-location`],
			'c',
			localPolicy(),
			'photo_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([['failed', 'redirect_without_location']]);
	});

	it('stops after five redirects', async () => {
		const { records } = await downloadClaimPhotos(
			[`${server.origin}/loop`],
			'c',
			localPolicy(),
			'photo_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([['failed', 'too_many_redirects']]);
		expect(server.requests).toHaveLength(6);
	});

	it('over-size file with Content-Length fails', async () => {
		const { binary, records } = await downloadClaimPhotos(
			[`${server.origin}/big`],
			'c',
			{ ...localPolicy(), maxBytes: 1024 },
			'photo_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([['failed', 'too_large']]);
		expect(records[0].detail).toBe('Content-Length 4096 bytes is over the limit of 1024 bytes');
		expect(binary).toEqual({});
	});

	it('over-size chunked file fails', async () => {
		const { records } = await downloadClaimPhotos(
			[`${server.origin}/big-chunked`],
			'c',
			{ ...localPolicy(), maxBytes: 2048 },
			'photo_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([['failed', 'too_large']]);
		expect(records[0].detail).toBe('The file is over the limit of 2048 bytes');
	});

	it('file at the limit is kept', async () => {
		const { records } = await downloadClaimPhotos(
			[`${server.origin}/big`],
			'c',
			{ ...localPolicy(), maxBytes: 4096 },
			'photo_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([['downloaded', null]]);
	});

	it.each(['/slow', '/headers-then-stall'])('%s times out', async (path) => {
		const { records } = await downloadClaimPhotos(
			[`${server.origin}${path}`],
			'c',
			{ ...localPolicy(), timeoutMs: 200 },
			'photo_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([['failed', 'timeout']]);
	});

	it('octet-stream with JPEG bytes becomes image/jpeg', async () => {
		const { binary, records } = await downloadClaimPhotos(
			[`${server.origin}/download`],
			'c',
			localPolicy(),
			'photo_',
			realHelpers(),
		);
		expect(records[0].mime_type).toBe('image/jpeg');
		expect(binary.photo_0).toMatchObject({ mimeType: 'image/jpeg', fileName: 'download.jpg' });
	});

	it('URL with spaces and non-ASCII is encoded once', async () => {
		const { binary, records } = await downloadClaimPhotos(
			[`${server.origin}/photos/Foto Tasse ü.jpg`, `${server.origin}/photos/a%20b.jpg`],
			'c',
			localPolicy(),
			'photo_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([
			['downloaded', null],
			['downloaded', null],
		]);
		expect(server.requests.sort()).toEqual([
			'/photos/Foto%20Tasse%20%C3%BC.jpg',
			'/photos/a%20b.jpg',
		]);
		expect(binary.photo_0.fileName).toBe('Foto Tasse ü.jpg');
		expect(binary.photo_1.fileName).toBe('a b.jpg');
		expect(records[0].url).toBe(`${server.origin}/photos/Foto Tasse ü.jpg`);
	});

	it('duplicate file names get a number', async () => {
		const { binary } = await downloadClaimPhotos(
			[
				`${server.origin}/a/photo.jpg`,
				`${server.origin}/b/photo.jpg`,
				`${server.origin}/named/1`,
				`${server.origin}/named/2`,
			],
			'c',
			localPolicy(),
			'photo_',
			realHelpers(),
		);
		expect(Object.values(binary).map((file) => file.fileName)).toEqual([
			'photo.jpg',
			'photo-2.jpg',
			'evidence.jpg',
			'evidence-2.jpg',
		]);
	});

	it('filename* from Content-Disposition', async () => {
		const { binary } = await downloadClaimPhotos(
			[`${server.origin}/unicode/1`],
			'c',
			localPolicy(),
			'photo_',
			realHelpers(),
		);
		expect(binary.photo_0.fileName).toBe('Straße €.jpg');
	});

	it('allow-list miss is skipped without a request', async () => {
		const port = new URL(server.origin).port;
		const { records } = await downloadClaimPhotos(
			[`http://localhost:${port}/photos/photo-1.jpg`],
			'c',
			localPolicy(),
			'photo_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([['skipped', 'host_not_allowed']]);
		expect(records[0].detail).toBe('The host localhost is not in the allowed hosts');
		expect(server.requests).toEqual([]);
	});

	it('failed photos keep their place and the others download', async () => {
		const { binary, records } = await downloadClaimPhotos(
			[
				`${server.origin}/missing.jpg`,
				`${server.origin}/photos/photo-1.jpg`,
				`${server.origin}/empty.jpg`,
				'https://images.example.com/x.jpg',
				`${server.origin}/photos/second.png`,
			],
			'c',
			localPolicy(),
			'evidence_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([
			['failed', 'http_status'],
			['downloaded', null],
			['failed', 'empty_response'],
			['skipped', 'host_not_allowed'],
			['downloaded', null],
		]);
		expect(records[0].detail).toBe('HTTP 404');
		expect(records[0].binary_property).toBeNull();
		expect(Object.keys(binary)).toEqual(['evidence_1', 'evidence_4']);
	});

	it('photo limit skips later URLs', async () => {
		const { binary, records } = await downloadClaimPhotos(
			[
				`${server.origin}/photos/photo-1.jpg`,
				`${server.origin}/photos/second.png`,
				`${server.origin}/a/photo.jpg`,
			],
			'c',
			localPolicy({ maxPhotosPerClaim: 2 }),
			'photo_',
			realHelpers(),
		);
		expect(outcomes(records)).toEqual([
			['downloaded', null],
			['downloaded', null],
			['skipped', 'photo_limit_reached'],
		]);
		expect(Object.keys(binary)).toEqual(['photo_0', 'photo_1']);
		expect(server.requests).not.toContain('/a/photo.jpg');
	});
});

describe('downloadClaimPhotos with a fake httpRequest', () => {
	const policy = buildPhotoPolicy();
	const url = 'https://cdn.gokarla.io/claims/c/photo.jpg';

	it('HTTPS downgrade on redirect fails', async () => {
		const { records } = await downloadClaimPhotos(
			[url],
			'c',
			policy,
			'photo_',
			fakeHelpers(
				fakeHttpRequest({
					[url]: {
						statusCode: 302,
						headers: { Location: 'http://cdn.gokarla.io/claims/c/photo.jpg' },
					},
				}),
			),
		);
		expect(outcomes(records)).toEqual([['failed', 'redirect_not_allowed']]);
		expect(records[0].detail).toBe(
			'Redirect rejected: The URL scheme http is not allowed, only https',
		);
	});

	it('declared size over the limit fails before reading', async () => {
		const { records } = await downloadClaimPhotos(
			[url],
			'c',
			policy,
			'photo_',
			fakeHelpers(
				fakeHttpRequest({
					[url]: {
						statusCode: 200,
						headers: { 'Content-Length': String(11 * 1024 * 1024) },
						body: Buffer.alloc(1),
					},
				}),
			),
		);
		expect(outcomes(records)).toEqual([['failed', 'too_large']]);
	});

	it.each([
		['ArrayBuffer', new Uint8Array(jpegBytes()).buffer],
		['Uint8Array', new Uint8Array(jpegBytes())],
		['Buffer', jpegBytes()],
	])('%s body is accepted', async (_, body) => {
		const { binary } = await downloadClaimPhotos(
			[url],
			'c',
			policy,
			'photo_',
			fakeHelpers(fakeHttpRequest({ [url]: { statusCode: 200, headers: {}, body } })),
		);
		expect(binary.photo_0).toMatchObject({
			mimeType: 'image/jpeg',
			fileName: 'photo.jpg',
			bytes: 64,
		});
	});

	it('object body is unexpected', async () => {
		const { records } = await downloadClaimPhotos(
			[url],
			'c',
			policy,
			'photo_',
			fakeHelpers(fakeHttpRequest({ [url]: { statusCode: 200, body: { json: true } } })),
		);
		expect(outcomes(records)).toEqual([['failed', 'unexpected_response']]);
	});

	it.each([
		[
			'axios timeout',
			Object.assign(new Error('timeout of 15000ms exceeded'), { code: 'ECONNABORTED' }),
			'timeout',
		],
		[
			'socket timeout',
			Object.assign(new Error('socket hang up'), { code: 'ETIMEDOUT' }),
			'timeout',
		],
		[
			'refused',
			Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
			'request_failed',
		],
		['plain error', new Error('boom'), 'request_failed'],
	])('%s', async (_, error, reason) => {
		const { records } = await downloadClaimPhotos(
			[url],
			'c',
			policy,
			'photo_',
			fakeHelpers(fakeHttpRequest({ [url]: error })),
		);
		expect(outcomes(records)).toEqual([['failed', reason]]);
	});

	it('error detail names the code only', async () => {
		const error = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443 secret'), {
			code: 'ECONNREFUSED',
		});
		const { records } = await downloadClaimPhotos(
			[url],
			'c',
			policy,
			'photo_',
			fakeHelpers(fakeHttpRequest({ [url]: error })),
		);
		expect(records[0].detail).toBe('The request failed (ECONNREFUSED)');
	});

	it('fallback name when the URL has no file name', async () => {
		const root = 'https://cdn.gokarla.io/';
		const { binary } = await downloadClaimPhotos(
			[root],
			'5b7c-9a02',
			policy,
			'photo_',
			fakeHelpers(
				fakeHttpRequest({
					[root]: {
						statusCode: 200,
						headers: { 'content-type': 'image/webp' },
						body: Buffer.alloc(8, 1),
					},
				}),
			),
		);
		expect(binary.photo_0.fileName).toBe('claim-5b7c-9a02-photo-1.webp');
	});

	it('array header values use the first', async () => {
		const { binary } = await downloadClaimPhotos(
			[url],
			'c',
			policy,
			'photo_',
			fakeHelpers(
				fakeHttpRequest({
					[url]: {
						statusCode: 200,
						headers: { 'content-type': ['image/png', 'image/jpeg'] },
						body: pngBytes(),
					},
				}),
			),
		);
		expect(binary.photo_0.mimeType).toBe('image/png');
	});

	it('no URLs gives no records', async () => {
		const calls: IHttpRequestOptions[] = [];
		const result = await downloadClaimPhotos(
			[],
			'c',
			policy,
			'photo_',
			fakeHelpers(fakeHttpRequest({}, calls)),
		);
		expect(result).toEqual({ binary: {}, records: [] });
		expect(calls).toEqual([]);
	});

	it('storage failure rejects', async () => {
		const helpers: PhotoDownloadHelpers = {
			httpRequest: fakeHttpRequest({ [url]: { statusCode: 200, body: jpegBytes() } }),
			prepareBinaryData: async () => {
				throw new Error('disk full');
			},
		};
		await expect(downloadClaimPhotos([url], 'c', policy, 'photo_', helpers)).rejects.toThrow(
			'disk full',
		);
	});
});
