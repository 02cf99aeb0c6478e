import { createHmac, timingSafeEqual } from 'crypto';
import { createServer, type IncomingHttpHeaders } from 'http';
import type { AddressInfo } from 'net';

/**
 * A webhook receiver on 127.0.0.1 that records each request and checks its `Karla-Signature`
 * with its own HMAC code, independent of the package's verifier.
 */

export interface ReceivedRequest {
	method: string;
	path: string;
	headers: IncomingHttpHeaders;
	rawBody: Buffer;
	/** The signature's `t`, or null when the header is missing or malformed. */
	timestamp: number | null;
	signatureValid: boolean;
}

export interface ReceiverResponse {
	status: number;
	body?: string;
	/** Destroys the connection without any response, like a crashed server. */
	dropConnection?: boolean;
}

export interface SignedReceiverOptions {
	secret: string;
	/** Chooses the response to the request with this zero-based index. Defaults to 200. */
	respond?: (request: ReceivedRequest, index: number) => ReceiverResponse;
}

export interface SignedReceiver {
	url: string;
	requests: ReceivedRequest[];
	/** Stops the server; calling it again does nothing. */
	close(): Promise<void>;
}

function checkSignature(
	secret: string,
	header: string | undefined,
	rawBody: Buffer,
): { timestamp: number | null; valid: boolean } {
	const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
	if (match === null) return { timestamp: null, valid: false };
	const timestamp = Number(match[1]);
	const expected = createHmac('sha256', Buffer.from(secret, 'utf8'))
		.update(Buffer.concat([Buffer.from(`${match[1]}.`, 'ascii'), rawBody]))
		.digest();
	const received = Buffer.from(match[2], 'hex');
	return { timestamp, valid: timingSafeEqual(expected, received) };
}

/** Starts the receiver on a free port of 127.0.0.1. */
export async function startSignedReceiver(options: SignedReceiverOptions): Promise<SignedReceiver> {
	const requests: ReceivedRequest[] = [];
	const server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			const rawBody = Buffer.concat(chunks);
			const header = request.headers['karla-signature'];
			const check = checkSignature(
				options.secret,
				Array.isArray(header) ? header.join(',') : header,
				rawBody,
			);
			const received: ReceivedRequest = {
				method: request.method ?? '',
				path: request.url ?? '',
				headers: request.headers,
				rawBody,
				timestamp: check.timestamp,
				signatureValid: check.valid,
			};
			requests.push(received);
			const chosen = options.respond?.(received, requests.length - 1) ?? { status: 200 };
			if (chosen.dropConnection === true) {
				request.socket.destroy();
				return;
			}
			const fallback = check.valid ? '{"received":true}' : '{"error":"Unauthorized"}';
			response.writeHead(check.valid ? chosen.status : 401, {
				'Content-Type': 'application/json',
			});
			response.end(check.valid ? (chosen.body ?? fallback) : fallback);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/webhook/test/karla`,
		requests,
		close: async () => {
			if (!server.listening) return;
			server.closeAllConnections();
			await new Promise<void>((resolve, reject) =>
				server.close((error) => (error ? reject(error) : resolve())),
			);
		},
	};
}
