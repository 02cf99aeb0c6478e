import { randomBytes } from 'crypto';

/**
 * Request builders and error descriptions for Karla's webhook API (`/v1/shops/{slug}/webhooks`).
 * Everything here is pure: the trigger sends the requests through n8n's HTTP helper, which adds
 * the Basic authentication of the Karla API credential.
 */

export const DEFAULT_KARLA_BASE_URL = 'https://api.gokarla.io';

/** Karla's list endpoint returns at most this many webhooks per page. */
export const MAX_WEBHOOKS_PER_PAGE = 100;

/** Length of the secrets the trigger generates; Karla accepts 16 to 64 characters. */
export const GENERATED_SECRET_LENGTH = 48;

/** Longest Karla message copied into an error description, in characters. */
const MAX_QUOTED_MESSAGE_LENGTH = 300;

// NOTE: Karla documents no limit on `description`; 200 characters is a guess that keeps it short.
const MAX_DESCRIPTION_LENGTH = 200;

const URL_SAFE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export type KarlaWebhookStatus = 'active' | 'inactive';

/** Base URL and shop slug from the Karla API credential. */
export interface KarlaConnection {
	baseUrl: string;
	shopSlug: string;
}

/**
 * Request options in the shape of n8n's `IHttpRequestOptions`, so the trigger can pass them to
 * `httpRequestWithAuthentication` unchanged.
 */
export interface KarlaRequestOptions {
	method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
	url: string;
	qs?: Record<string, string | number>;
	body?: Record<string, unknown>;
	json: true;
}

export interface ListWebhooksQuery {
	page?: number;
	perPage?: number;
	uuid?: string;
	status?: KarlaWebhookStatus;
	url?: string;
}

export interface CreateWebhookBody {
	url: string;
	enabledEvents: readonly string[];
	secret?: string;
	description?: string;
	status?: KarlaWebhookStatus;
}

export type UpdateWebhookBody = Partial<Omit<CreateWebhookBody, 'secret'>>;

/** A webhook as Karla returns it. Only `uuid` and `url` are relied on; other fields may be absent. */
export interface KarlaWebhook {
	uuid: string;
	url: string;
	enabledEvents: string[] | null;
	status: string | null;
	description: string | null;
	/** Present only in the response that creates the webhook. */
	secret: string | null;
}

export type KarlaOperation = 'list' | 'create' | 'update' | 'delete';

/**
 * A failed Karla API call, or a response the trigger cannot use. `status` is the HTTP status of
 * Karla's response. The trigger turns it into n8n's `NodeApiError`.
 */
export class KarlaApiError extends Error {
	readonly status: number;

	readonly description: string;

	readonly operation: KarlaOperation;

	/** Karla's own `message`, when its response had one. */
	readonly karlaMessage: string | null;

	/** Karla's own `type`, when its response had one. */
	readonly karlaType: string | null;

	constructor(
		details: { message: string; description: string },
		status: number,
		operation: KarlaOperation,
		karlaBody: { message: string | null; type: string | null },
	) {
		super(details.message);
		this.name = 'KarlaApiError';
		this.status = status;
		this.description = details.description;
		this.operation = operation;
		this.karlaMessage = karlaBody.message;
		this.karlaType = karlaBody.type;
	}
}

/** Settings that make a Karla request impossible, found before anything is sent. */
export class KarlaSettingsError extends Error {
	readonly description: string;

	constructor(message: string, description: string) {
		super(message);
		this.name = 'KarlaSettingsError';
		this.description = description;
	}
}

function parseUrl(text: string): URL | null {
	try {
		return new URL(text);
	} catch {
		return null;
	}
}

/**
 * Builds the absolute URL of the shop's webhook collection, or of one webhook when `uuid` is
 * given. The slug and uuid are encoded as single path segments. Throws `KarlaSettingsError` for
 * a base URL that is not http(s) or an empty shop slug.
 */
export function buildWebhooksUrl(connection: KarlaConnection, uuid?: string): string {
	const baseText = connection.baseUrl.trim() === '' ? DEFAULT_KARLA_BASE_URL : connection.baseUrl;
	const base = parseUrl(baseText.trim());
	if (base === null) {
		throw new KarlaSettingsError(
			'The base URL in the Karla API credential is not a valid URL',
			`Enter Karla's API address, ${DEFAULT_KARLA_BASE_URL}, as the base URL.`,
		);
	}
	if (base.protocol !== 'https:' && base.protocol !== 'http:') {
		throw new KarlaSettingsError(
			'The base URL in the Karla API credential must start with https://',
			`Enter Karla's API address, ${DEFAULT_KARLA_BASE_URL}, as the base URL.`,
		);
	}

	const slug = connection.shopSlug.trim();
	if (slug === '' || slug === '.' || slug === '..') {
		throw new KarlaSettingsError(
			'The shop slug in the Karla API credential is missing',
			"Enter your shop's slug, the shop identifier that Karla's portal shows, in the Karla API credential.",
		);
	}

	// A base URL may carry a path prefix (a proxy in front of Karla), so the path is appended.
	const prefix = base.pathname.replace(/\/+$/, '');
	let path = `${prefix}/v1/shops/${encodeURIComponent(slug)}/webhooks`;
	if (uuid !== undefined) path += `/${encodeURIComponent(uuid)}`;
	return `${base.origin}${path}`;
}

/** Builds `GET /v1/shops/{slug}/webhooks` with the given filters and paging. */
export function buildListWebhooksRequest(
	connection: KarlaConnection,
	query: ListWebhooksQuery = {},
): KarlaRequestOptions {
	const qs: Record<string, string | number> = {};
	if (query.page !== undefined) qs.page = query.page;
	if (query.perPage !== undefined) qs.per_page = Math.min(query.perPage, MAX_WEBHOOKS_PER_PAGE);
	if (query.uuid !== undefined) qs.uuid = query.uuid;
	if (query.status !== undefined) qs.status = query.status;
	if (query.url !== undefined) qs.url = query.url;
	return { method: 'GET', url: buildWebhooksUrl(connection), qs, json: true };
}

/** Builds `POST /v1/shops/{slug}/webhooks`; fields left undefined are not sent. */
export function buildCreateWebhookRequest(
	connection: KarlaConnection,
	webhook: CreateWebhookBody,
): KarlaRequestOptions {
	const body: Record<string, unknown> = {
		url: webhook.url,
		enabled_events: [...webhook.enabledEvents],
	};
	if (webhook.secret !== undefined) body.secret = webhook.secret;
	if (webhook.description !== undefined) body.description = webhook.description;
	if (webhook.status !== undefined) body.status = webhook.status;
	return { method: 'POST', url: buildWebhooksUrl(connection), body, json: true };
}

/** Builds `PATCH /v1/shops/{slug}/webhooks/{uuid}` with only the fields to change. */
export function buildUpdateWebhookRequest(
	connection: KarlaConnection,
	uuid: string,
	changes: UpdateWebhookBody,
): KarlaRequestOptions {
	const body: Record<string, unknown> = {};
	if (changes.url !== undefined) body.url = changes.url;
	if (changes.enabledEvents !== undefined) body.enabled_events = [...changes.enabledEvents];
	if (changes.description !== undefined) body.description = changes.description;
	if (changes.status !== undefined) body.status = changes.status;
	return { method: 'PATCH', url: buildWebhooksUrl(connection, uuid), body, json: true };
}

/** Builds `DELETE /v1/shops/{slug}/webhooks/{uuid}`. */
export function buildDeleteWebhookRequest(
	connection: KarlaConnection,
	uuid: string,
): KarlaRequestOptions {
	return { method: 'DELETE', url: buildWebhooksUrl(connection, uuid), json: true };
}

/**
 * Generates a webhook secret of 48 characters from `crypto.randomBytes`, in the URL-safe base64
 * alphabet. Each byte picks one of 64 characters, and 256 is a multiple of 64, so every
 * character is equally likely: 288 bits of entropy.
 */
export function generateWebhookSecret(): string {
	const bytes = randomBytes(GENERATED_SECRET_LENGTH);
	let secret = '';
	for (const byte of bytes) secret += URL_SAFE_ALPHABET[byte & 63];
	return secret;
}

/**
 * Builds the webhook description that Karla's portal shows, naming the workflow so that a shop
 * owner can tell which n8n workflow a webhook belongs to. Control characters are removed and the
 * text is cut to 200 characters.
 */
export function buildWebhookDescription(workflowName: string): string {
	const name = workflowName.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
	const description = name === '' ? 'n8n workflow' : `n8n workflow "${name}"`;
	if (description.length <= MAX_DESCRIPTION_LENGTH) return description;
	return `${description.slice(0, MAX_DESCRIPTION_LENGTH - 2)}…"`;
}

function asRecord(value: unknown): Record<string, unknown> | null {
	return typeof value === 'object' && value !== null && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: null;
}

function stringOrNull(value: unknown): string | null {
	return typeof value === 'string' ? value : null;
}

/** Reads one webhook from Karla's JSON; returns null unless it has a string `uuid` and `url`. */
export function parseWebhook(value: unknown): KarlaWebhook | null {
	const record = asRecord(value);
	if (record === null) return null;
	const uuid = stringOrNull(record.uuid);
	const url = stringOrNull(record.url);
	if (uuid === null || uuid === '' || url === null) return null;
	const events = Array.isArray(record.enabled_events)
		? record.enabled_events.filter((event): event is string => typeof event === 'string')
		: null;
	return {
		uuid,
		url,
		enabledEvents: events,
		status: stringOrNull(record.status),
		description: stringOrNull(record.description),
		secret: stringOrNull(record.secret),
	};
}

/** Reads Karla's list response, a JSON array. Returns null when the body is not an array. */
export function parseWebhookList(body: unknown): KarlaWebhook[] | null {
	if (!Array.isArray(body)) return null;
	const webhooks: KarlaWebhook[] = [];
	for (const entry of body) {
		const webhook = parseWebhook(entry);
		if (webhook !== null) webhooks.push(webhook);
	}
	return webhooks;
}

/**
 * Compares two webhook URLs after URL parsing, so that a host in upper case or an explicit
 * default port still matches. Unparseable URLs are compared as exact strings.
 */
export function isSameWebhookUrl(left: string, right: string): boolean {
	const leftUrl = parseUrl(left);
	const rightUrl = parseUrl(right);
	if (leftUrl === null || rightUrl === null) return left === right;
	return leftUrl.href === rightUrl.href;
}

/** Finds the webhook with both the given uuid and URL in a list. Returns null when none matches. */
export function findRegisteredWebhook(
	list: readonly KarlaWebhook[],
	url: string,
	uuid: string,
): KarlaWebhook | null {
	return (
		list.find((webhook) => webhook.uuid === uuid && isSameWebhookUrl(webhook.url, url)) ?? null
	);
}

/** Returns true when both lists contain the same events, ignoring order and duplicates. */
export function hasSameEvents(left: readonly string[], right: readonly string[]): boolean {
	const leftSet = new Set(left);
	const rightSet = new Set(right);
	return leftSet.size === rightSet.size && [...leftSet].every((event) => rightSet.has(event));
}

function quoteKarlaMessage(message: string | null, type: string | null): string {
	if (message === null || message.trim() === '') return '';
	let text = message.trim();
	if (text.length > MAX_QUOTED_MESSAGE_LENGTH) {
		text = `${text.slice(0, MAX_QUOTED_MESSAGE_LENGTH)}…`;
	}
	return type === null ? `Karla: "${text}". ` : `Karla: "${text}" (${type}). `;
}

function readKarlaErrorBody(body: unknown): { message: string | null; type: string | null } {
	const record = asRecord(body);
	if (record === null) return { message: null, type: null };
	return { message: stringOrNull(record.message), type: stringOrNull(record.type) };
}

const OPERATION_TEXT: Record<KarlaOperation, string> = {
	list: 'list the webhooks',
	create: 'register the webhook',
	update: 'update the webhook',
	delete: 'remove the webhook',
};

function describeStatus(
	status: number,
	operation: KarlaOperation,
	shopSlug: string,
): { message: string; remedy: string } {
	const attempt = OPERATION_TEXT[operation];
	switch (status) {
		case 400:
			return {
				message: `Karla rejected the API key as missing or malformed (HTTP 400) when trying to ${attempt}`,
				remedy:
					"Copy the API key again from Karla's portal into the Karla API credential, without spaces. The user name must be the one assigned to the key; leave it empty to use the shop slug.",
			};
		case 401:
			return {
				message: `Karla rejected the API key as deleted or expired (HTTP 401) when trying to ${attempt}`,
				remedy: "Create a new API key in Karla's portal and enter it in the Karla API credential.",
			};
		case 403:
			return {
				message: `Karla denied access to shop "${shopSlug}" (HTTP 403) when trying to ${attempt}`,
				remedy:
					'Check that the API key belongs to this shop and may manage webhooks, and that the user name is the one assigned to the key.',
			};
		case 404:
			return {
				message:
					operation === 'update'
						? `Karla found no shop "${shopSlug}" or no such webhook (HTTP 404)`
						: `Karla found no shop "${shopSlug}" (HTTP 404)`,
				remedy:
					"Check the shop slug in the Karla API credential: it is the shop identifier that Karla's portal shows. Also check the base URL.",
			};
		case 422:
			return {
				message: `Karla rejected the webhook settings (HTTP 422) when trying to ${attempt}`,
				remedy:
					"Karla must accept n8n's production webhook URL as a public http(s) URL, and the selected events. If n8n runs behind a proxy, set WEBHOOK_URL to its public address.",
			};
		default:
			if (status >= 500) {
				return {
					message: `Karla failed with an internal error (HTTP ${status}) when trying to ${attempt}`,
					remedy:
						"Try again in a few minutes. If it keeps failing, contact Karla's support with the time of the error.",
				};
			}
			return {
				message: `Karla responded with HTTP ${status} when trying to ${attempt}`,
				remedy: `Check the base URL in the Karla API credential; Karla's API is at ${DEFAULT_KARLA_BASE_URL}.`,
			};
	}
}

/**
 * Maps a Karla error response (HTTP status and a `{ message, type }` body) to a short message and
 * a description that quotes Karla's message and gives the remedy. Never throws.
 */
export function describeKarlaError(
	status: number,
	body: unknown,
	operation: KarlaOperation,
	shopSlug: string,
): { message: string; description: string } {
	const karla = readKarlaErrorBody(body);
	const { message, remedy } = describeStatus(status, operation, shopSlug);
	return { message, description: `${quoteKarlaMessage(karla.message, karla.type)}${remedy}` };
}

/** Builds the `KarlaApiError` for a Karla response with a non-2xx status. */
export function toKarlaApiError(
	status: number,
	body: unknown,
	operation: KarlaOperation,
	shopSlug: string,
): KarlaApiError {
	return new KarlaApiError(
		describeKarlaError(status, body, operation, shopSlug),
		status,
		operation,
		readKarlaErrorBody(body),
	);
}

/** Builds the `KarlaApiError` for a 2xx response whose body is not what Karla documents. */
export function unexpectedResponseError(
	status: number,
	operation: KarlaOperation,
	expected: string,
): KarlaApiError {
	return new KarlaApiError(
		{
			message: `Karla's response to the request to ${OPERATION_TEXT[operation]} is not ${expected}`,
			description: `Check the base URL in the Karla API credential; Karla's API is at ${DEFAULT_KARLA_BASE_URL} and responds with JSON.`,
		},
		status,
		operation,
		{ message: null, type: null },
	);
}
