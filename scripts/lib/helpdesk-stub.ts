import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';

/** A ticket as the helpdesk stand-in stored it. */
export interface StoredTicket {
	/** Sequential id assigned by the stand-in, starting at 1. */
	id: number;
	receivedAt: string;
	method: string;
	path: string;
	headers: IncomingHttpHeaders;
	/** The parsed JSON body, or the raw text when the body was not JSON. */
	body: unknown;
}

export interface HelpdeskStub {
	/** Base URL, for example `http://127.0.0.1:40123`. */
	baseUrl: string;
	/** URL that creates a ticket with a POST. */
	ticketsUrl: string;
	tickets(): StoredTicket[];
	/**
	 * Resolves with the matching tickets once at least `count` match `filter` (every ticket by
	 * default); rejects after `timeoutMs` (30 s by default).
	 */
	waitForTickets(count: number, options?: WaitForTicketsOptions): Promise<StoredTicket[]>;
	clear(): void;
	close(): Promise<void>;
}

export interface WaitForTicketsOptions {
	filter?: (ticket: StoredTicket) => boolean;
	timeoutMs?: number;
}

export interface HelpdeskStubOptions {
	/** Called for every stored ticket, for example to print it. */
	onTicket?: (ticket: StoredTicket) => void;
}

/** Path on which the stand-in accepts tickets. */
export const TICKETS_PATH = '/tickets';

const MAX_BODY_BYTES = 5 * 1024 * 1024;

/**
 * Starts a minimal helpdesk stand-in on 127.0.0.1 and a free port. `POST /tickets` stores the
 * request and returns 201 with the ticket id; `GET /tickets` returns every stored ticket.
 */
export async function startHelpdeskStub(options: HelpdeskStubOptions = {}): Promise<HelpdeskStub> {
	const stored: StoredTicket[] = [];
	const waiters = new Set<() => void>();

	const server: Server = createServer((request, response) => {
		const chunks: Buffer[] = [];
		let size = 0;
		request.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > MAX_BODY_BYTES) {
				response.writeHead(413).end();
				request.destroy();
				return;
			}
			chunks.push(chunk);
		});
		request.on('end', () => {
			const path = (request.url ?? '/').split('?')[0];
			if (path !== TICKETS_PATH) {
				sendJson(response, 404, { error: 'not_found' });
				return;
			}
			if (request.method === 'GET') {
				sendJson(response, 200, stored);
				return;
			}
			if (request.method !== 'POST') {
				sendJson(response, 405, { error: 'method_not_allowed' });
				return;
			}

			const text = Buffer.concat(chunks).toString('utf8');
			let body: unknown = text;
			try {
				body = JSON.parse(text);
			} catch {
				// Kept as text so that a test can show what arrived instead.
			}
			const ticket: StoredTicket = {
				id: stored.length + 1,
				receivedAt: new Date().toISOString(),
				method: request.method,
				path,
				headers: request.headers,
				body,
			};
			stored.push(ticket);
			options.onTicket?.(ticket);
			sendJson(response, 201, { id: ticket.id });
			for (const wake of waiters) wake();
		});
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	const baseUrl = `http://127.0.0.1:${port}`;

	return {
		baseUrl,
		ticketsUrl: `${baseUrl}${TICKETS_PATH}`,
		tickets: () => [...stored],
		clear: () => {
			stored.length = 0;
		},
		waitForTickets: async (count, waitOptions = {}) => {
			const { filter = () => true, timeoutMs = 30_000 } = waitOptions;
			return await new Promise<StoredTicket[]>((resolve, reject) => {
				const check = () => {
					const matching = stored.filter(filter);
					if (matching.length < count) return;
					cleanup();
					resolve(matching);
				};
				const timer = setTimeout(() => {
					cleanup();
					const found = stored.filter(filter).length;
					reject(
						new Error(
							`Helpdesk stand-in timed out after ${timeoutMs} ms: expected ${count} matching tickets, received ${found} (${stored.length} in total)`,
						),
					);
				}, timeoutMs);
				const cleanup = () => {
					clearTimeout(timer);
					waiters.delete(check);
				};
				waiters.add(check);
				check();
			});
		},
		close: async () => {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
	const text = JSON.stringify(body);
	response.writeHead(status, {
		'content-type': 'application/json; charset=utf-8',
		'content-length': Buffer.byteLength(text),
	});
	response.end(text);
}
