import { createServer, type IncomingMessage, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';

export type PhotoRoute = (request: IncomingMessage, response: ServerResponse) => void;

export interface PhotoServer {
	/** `http://127.0.0.1:<port>` without a trailing slash. */
	origin: string;
	/** Raw request targets received, in order, such as `/photos/a%20b.jpg?x=1`. */
	requests: string[];
	close(): Promise<void>;
}

/** First bytes of a JPEG file (SOI marker and a JFIF APP0 segment), padded with zeros. */
export function jpegBytes(size = 64): Buffer {
	const header = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]);
	return Buffer.concat([header, Buffer.alloc(Math.max(0, size - header.length))]);
}

/** First bytes of a PNG file: its eight-byte signature, padded with zeros. */
export function pngBytes(size = 64): Buffer {
	const header = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
	return Buffer.concat([header, Buffer.alloc(Math.max(0, size - header.length))]);
}

/**
 * Starts an HTTP server on 127.0.0.1 and a free port. The route whose key equals the request's
 * path (the raw target without the query) handles each request; other paths get 404.
 */
export async function startPhotoServer(routes: Record<string, PhotoRoute>): Promise<PhotoServer> {
	const requests: string[] = [];
	const server = createServer((request, response) => {
		const target = request.url ?? '/';
		requests.push(target);
		const route = routes[target.split('?')[0]];
		if (route === undefined) {
			response.writeHead(404, { 'content-type': 'text/plain' });
			response.end('not found');
			return;
		}
		route(request, response);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		origin: `http://127.0.0.1:${port}`,
		requests,
		close: async () => {
			// Routes that never respond keep their sockets open, so end them to let close() return.
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

/** Builds a route that sends 200 with the body, its Content-Length and the given headers. */
export function sendFile(body: Buffer, headers: Record<string, string | number> = {}): PhotoRoute {
	return (_request, response) => {
		response.writeHead(200, {
			'content-type': 'image/jpeg',
			'content-length': body.length,
			...headers,
		});
		response.end(body);
	};
}

/** Builds a route that redirects to `location` with the given status (302 by default). */
export function redirectTo(location: string, status = 302): PhotoRoute {
	return (_request, response) => {
		response.writeHead(status, { location });
		response.end();
	};
}

/** Route that accepts the request and never responds. */
export const neverAnswer: PhotoRoute = () => undefined;
