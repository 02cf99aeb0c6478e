import { randomUUID } from 'crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';

import { buildRealisticClaimEvent } from '../../scripts/lib/realistic-claims';
import { deliverToWebhook, LOOPBACK_HOSTS, type DeliverySettings } from './delivery';
import type {
	DeliverOptions,
	DeliveryAttempt,
	DeliveryResult,
	KarlaSimulator,
	KarlaSimulatorOptions,
	SimulatedWebhook,
	SimulatorShop,
} from './types';
import { matchesEnabledEvents, validateListQuery, validateWebhookBody } from './validation';

/**
 * A local stand-in for Karla's webhook API and its deliveries, for development and tests. It
 * implements what Karla documents: the four endpoints under `/v1/shops/{slug}/webhooks` with
 * HTTP Basic authentication, errors as `{ message, type }`, and signed deliveries with retries.
 * Behaviour Karla does not document (status codes of successful calls, error `type` values,
 * retry schedule) is chosen here and may differ from Karla.
 */

const MAX_REQUEST_BODY_BYTES = 1024 * 1024;
const WEBHOOKS_PATH = /^\/v1\/shops\/([^/]+)\/webhooks(?:\/([^/]+))?\/?$/;
const CONTROL_PREFIX = '/_simulator/';

type ApiError = { status: number; message: string; type: string };

// NOTE: Karla documents that errors carry `message` and `type` but not the `type` values.
const ERROR_TYPES: Record<number, string> = {
	400: 'bad_request',
	401: 'unauthorized',
	403: 'forbidden',
	404: 'not_found',
	405: 'method_not_allowed',
	413: 'payload_too_large',
	422: 'validation_error',
	500: 'internal_error',
};

function apiError(status: number, message: string): ApiError {
	return { status, message, type: ERROR_TYPES[status] ?? 'error' };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
	if (status === 204) {
		response.writeHead(204);
		response.end();
		return;
	}
	response.writeHead(status, { 'Content-Type': 'application/json' });
	response.end(JSON.stringify(body));
}

function sendError(response: ServerResponse, error: ApiError): void {
	sendJson(response, error.status, { message: error.message, type: error.type });
}

async function readBody(request: IncomingMessage): Promise<Buffer | null> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of request) {
		const buffer = chunk as Buffer;
		size += buffer.length;
		if (size > MAX_REQUEST_BODY_BYTES) return null;
		chunks.push(buffer);
	}
	return Buffer.concat(chunks);
}

/** Reads HTTP Basic credentials; returns null when the header is missing or malformed. */
export function parseBasicAuth(
	header: string | undefined,
): { username: string; password: string } | null {
	if (header === undefined) return null;
	const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
	if (match === null) return null;
	const decoded = Buffer.from(match[1], 'base64').toString('utf8');
	const separator = decoded.indexOf(':');
	if (separator <= 0) return null;
	const password = decoded.slice(separator + 1);
	if (password === '') return null;
	return { username: decoded.slice(0, separator), password };
}

/**
 * Returns the webhook as the API shows it: without the simulator's `shop_slug`, and with the
 * secret only when `includeSecret` is set, because Karla shows it only when creating a webhook.
 */
function toPublicWebhook(
	webhook: SimulatedWebhook,
	includeSecret: boolean,
): Record<string, unknown> {
	const visible: Record<string, unknown> = { ...webhook };
	delete visible.shop_slug;
	if (!includeSecret) delete visible.secret;
	return visible;
}

function decodeSegment(segment: string): string | null {
	try {
		return decodeURIComponent(segment);
	} catch {
		return null;
	}
}

function refOf(event: unknown): string | null {
	if (typeof event !== 'object' || event === null) return null;
	const ref = (event as { ref?: unknown }).ref;
	return typeof ref === 'string' ? ref : null;
}

function shopSlugOf(event: unknown): string | null {
	if (typeof event !== 'object' || event === null) return null;
	const slug = (event as { shop_slug?: unknown }).shop_slug;
	return typeof slug === 'string' ? slug : null;
}

function toRawBody(event: unknown): { rawBody: Buffer; parsed: unknown } {
	if (Buffer.isBuffer(event) || typeof event === 'string') {
		const rawBody = Buffer.isBuffer(event) ? event : Buffer.from(event, 'utf8');
		let parsed: unknown = null;
		try {
			parsed = JSON.parse(rawBody.toString('utf8'));
		} catch {
			parsed = null;
		}
		return { rawBody, parsed };
	}
	return { rawBody: Buffer.from(JSON.stringify(event), 'utf8'), parsed: event };
}

/** Starts the simulator on 127.0.0.1. */
export async function startKarlaSimulator(options: KarlaSimulatorOptions): Promise<KarlaSimulator> {
	if (options.shops.length === 0) throw new Error('The simulator needs at least one shop.');
	const shops = options.shops.map((shop: SimulatorShop) => ({
		slug: shop.slug,
		username: shop.username ?? shop.slug,
		apiKey: shop.apiKey,
	}));
	const now = options.now ?? (() => Date.now());
	const log = options.log ?? (() => undefined);
	const webhooks: SimulatedWebhook[] = [];
	const attempts: DeliveryAttempt[] = [];
	const pendingWaits = new Set<{ timer: NodeJS.Timeout; resolve: (value: boolean) => void }>();
	const injectedFailures: number[] = [];
	let stopped = false;

	const wait = (ms: number): Promise<boolean> =>
		new Promise<boolean>((resolve) => {
			if (stopped) {
				resolve(false);
				return;
			}
			const entry = {
				timer: setTimeout(() => {
					pendingWaits.delete(entry);
					resolve(!stopped);
				}, ms),
				resolve,
			};
			pendingWaits.add(entry);
		});

	const deliverySettings: DeliverySettings = {
		maxAttempts: Math.max(1, options.maxAttempts ?? 3),
		retryBackoffMs: Math.max(0, options.retryBackoffMs ?? 200),
		timeoutMs: options.deliveryTimeoutMs ?? 5_000,
		deliveryHosts: options.deliveryHosts ?? LOOPBACK_HOSTS,
		now,
		log,
		wait,
		lookup: (uuid) => webhooks.find((webhook) => webhook.uuid === uuid),
		record: (attempt) => attempts.push(attempt),
	};

	async function deliver(
		event: unknown,
		deliverOptions: DeliverOptions = {},
	): Promise<DeliveryResult[]> {
		const { rawBody, parsed } = toRawBody(event);
		const ref = deliverOptions.ref ?? refOf(parsed);
		const eventShop = shopSlugOf(parsed);
		const shopSlug =
			deliverOptions.shop ??
			(shops.some((shop) => shop.slug === eventShop) ? eventShop : null) ??
			shops[0].slug;
		const targets = webhooks.filter(
			(webhook) =>
				webhook.shop_slug === shopSlug &&
				webhook.status === 'active' &&
				matchesEnabledEvents(webhook.enabled_events, ref),
		);
		log(`delivering ${ref ?? '(no ref)'} of shop ${shopSlug} to ${targets.length} webhook(s)`);
		return await Promise.all(
			targets.map((webhook) => deliverToWebhook({ ...webhook }, rawBody, ref, deliverySettings)),
		);
	}

	function authenticate(request: IncomingMessage, slug: string): ApiError | null {
		const header = request.headers.authorization;
		const credentials = parseBasicAuth(header);
		if (credentials === null) {
			return apiError(
				400,
				header === undefined ? 'Missing API key.' : 'Malformed Authorization header.',
			);
		}
		const owner = shops.find(
			(shop) => shop.username === credentials.username && shop.apiKey === credentials.password,
		);
		if (owner === undefined) return apiError(401, 'Invalid or expired API key.');
		if (!shops.some((shop) => shop.slug === slug)) return apiError(404, `Shop ${slug} not found.`);
		if (owner.slug !== slug) return apiError(403, 'The API key has no access to this shop.');
		return null;
	}

	function listWebhooks(
		slug: string,
		params: URLSearchParams,
	): { status: number; body: unknown } | ApiError {
		const query = validateListQuery(params);
		if (!query.ok) return apiError(422, query.message);
		const { page, perPage, uuid, status, url } = query.value;
		const matching = webhooks.filter(
			(webhook) =>
				webhook.shop_slug === slug &&
				(uuid === undefined || webhook.uuid === uuid) &&
				(status === undefined || webhook.status === status) &&
				(url === undefined || webhook.url === url),
		);
		const pageItems = matching.slice((page - 1) * perPage, page * perPage);
		return { status: 200, body: pageItems.map((webhook) => toPublicWebhook(webhook, false)) };
	}

	function createWebhook(
		slug: string,
		body: unknown,
	): { status: number; body: unknown } | ApiError {
		const fields = validateWebhookBody(body, 'create');
		if (!fields.ok) return apiError(422, fields.message);
		const timestamp = new Date(now()).toISOString();
		const webhook: SimulatedWebhook = {
			uuid: randomUUID(),
			shop_slug: slug,
			url: fields.value.url ?? '',
			enabled_events: fields.value.enabled_events ?? ['*'],
			description: fields.value.description ?? null,
			status: fields.value.status ?? 'active',
			// Karla generates a UUID-like secret when the shop sets none.
			secret: fields.value.secret ?? randomUUID(),
			created_at: timestamp,
			updated_at: timestamp,
		};
		webhooks.push(webhook);
		return { status: 201, body: toPublicWebhook(webhook, true) };
	}

	function updateWebhook(
		slug: string,
		uuid: string,
		body: unknown,
	): { status: number; body: unknown } | ApiError {
		const webhook = webhooks.find((entry) => entry.shop_slug === slug && entry.uuid === uuid);
		if (webhook === undefined) return apiError(404, `Webhook ${uuid} not found.`);
		const fields = validateWebhookBody(body, 'update');
		if (!fields.ok) return apiError(422, fields.message);
		if (fields.value.url !== undefined) webhook.url = fields.value.url;
		if (fields.value.enabled_events !== undefined)
			webhook.enabled_events = fields.value.enabled_events;
		if (fields.value.description !== undefined) webhook.description = fields.value.description;
		if (fields.value.status !== undefined) webhook.status = fields.value.status;
		webhook.updated_at = new Date(now()).toISOString();
		return { status: 200, body: toPublicWebhook(webhook, false) };
	}

	function deleteWebhook(slug: string, uuid: string): { status: number; body: unknown } | ApiError {
		const index = webhooks.findIndex((entry) => entry.shop_slug === slug && entry.uuid === uuid);
		if (index === -1) return apiError(404, `Webhook ${uuid} not found.`);
		webhooks.splice(index, 1);
		return { status: 204, body: null };
	}

	async function handleApi(
		request: IncomingMessage,
		url: URL,
	): Promise<{ status: number; body: unknown } | ApiError> {
		const match = WEBHOOKS_PATH.exec(url.pathname);
		if (match === null) return apiError(404, `No route for ${url.pathname}.`);
		const slug = decodeSegment(match[1]);
		const uuid = match[2] === undefined ? undefined : decodeSegment(match[2]);
		if (slug === null || uuid === null) return apiError(404, `No route for ${url.pathname}.`);

		const injected = injectedFailures.shift();
		if (injected !== undefined) return apiError(injected, 'Simulated failure.');

		const authError = authenticate(request, slug);
		if (authError !== null) return authError;

		const method = request.method ?? 'GET';
		let body: unknown = undefined;
		if (method === 'POST' || method === 'PATCH') {
			const raw = await readBody(request);
			if (raw === null) return apiError(413, 'The request body is larger than 1 MiB.');
			try {
				body = JSON.parse(raw.toString('utf8'));
			} catch {
				return apiError(422, 'The request body is not valid JSON.');
			}
		}

		if (uuid === undefined) {
			if (method === 'GET') return listWebhooks(slug, url.searchParams);
			if (method === 'POST') return createWebhook(slug, body);
		} else {
			if (method === 'PATCH') return updateWebhook(slug, uuid, body);
			if (method === 'DELETE') return deleteWebhook(slug, uuid);
		}
		return apiError(405, `${method} is not allowed on ${url.pathname}.`);
	}

	/** Routes under `/_simulator/` that a developer uses from curl; Karla has nothing like them. */
	async function handleControl(
		request: IncomingMessage,
		url: URL,
	): Promise<{ status: number; body: unknown } | ApiError> {
		const route = `${request.method ?? 'GET'} ${url.pathname}`;
		if (route === 'GET /_simulator/webhooks') {
			return { status: 200, body: webhooks.map((webhook) => ({ ...webhook })) };
		}
		if (route === 'GET /_simulator/deliveries') return { status: 200, body: [...attempts] };
		if (route === 'POST /_simulator/deliver') {
			const raw = await readBody(request);
			if (raw === null) return apiError(413, 'The request body is larger than 1 MiB.');
			const ref = url.searchParams.get('ref') ?? undefined;
			const shop = url.searchParams.get('shop') ?? undefined;
			const event =
				raw.length > 0
					? raw
					: buildRealisticClaimEvent({
							ref: ref === 'claims/updated' ? 'claims/updated' : 'claims/created',
							overrides: { shop_slug: shop ?? shops[0].slug },
						});
			return { status: 200, body: await deliver(event, { ref, shop }) };
		}
		return apiError(404, `No route for ${route}.`);
	}

	const server = createServer((request, response) => {
		const url = new URL(request.url ?? '/', 'http://127.0.0.1');
		const handle = url.pathname.startsWith(CONTROL_PREFIX) ? handleControl : handleApi;
		handle(request, url)
			.then((result) => {
				log(`${request.method ?? 'GET'} ${url.pathname} ${result.status}`);
				if ('type' in result) sendError(response, result);
				else sendJson(response, result.status, result.body);
			})
			.catch((error: unknown) => {
				log(`${request.method ?? 'GET'} ${url.pathname} failed: ${String(error)}`);
				sendError(response, apiError(500, 'Internal error of the simulator.'));
			});
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	const baseUrl = `http://127.0.0.1:${port}`;
	log(`Karla simulator listening on ${baseUrl}`);

	return {
		baseUrl,
		shops,
		webhooks: (shopSlug) =>
			webhooks
				.filter((webhook) => shopSlug === undefined || webhook.shop_slug === shopSlug)
				.map((webhook) => ({ ...webhook, enabled_events: [...webhook.enabled_events] })),
		deliver,
		deliveries: () => attempts.map((attempt) => ({ ...attempt })),
		failNextRequests: (status, count = 1) => {
			for (let i = 0; i < count; i++) injectedFailures.push(status);
		},
		stop: async () => {
			if (stopped) return;
			stopped = true;
			for (const entry of pendingWaits) {
				clearTimeout(entry.timer);
				entry.resolve(false);
			}
			pendingWaits.clear();
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
			log('Karla simulator stopped');
		},
	};
}
