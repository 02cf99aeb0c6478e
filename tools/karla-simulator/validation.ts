import type { WebhookStatus } from './types';

/**
 * Validation of request bodies and list queries, with the limits Karla documents: `url` must be
 * http(s), `secret` 16 to 64 characters, `enabled_events` an array of strings, `per_page` at
 * most 100.
 */

export const MIN_SECRET_LENGTH = 16;
export const MAX_SECRET_LENGTH = 64;
export const MAX_PER_PAGE = 100;
// NOTE: Karla does not document its default page size; 10 is a guess.
export const DEFAULT_PER_PAGE = 10;

export type Validated<T> = { ok: true; value: T } | { ok: false; message: string };

export interface WebhookFields {
	url?: string;
	enabled_events?: string[];
	secret?: string;
	description?: string | null;
	status?: WebhookStatus;
}

export interface ListQuery {
	page: number;
	perPage: number;
	uuid?: string;
	status?: string;
	url?: string;
}

function isHttpUrl(value: string): boolean {
	try {
		const url = new URL(value);
		return url.protocol === 'http:' || url.protocol === 'https:';
	} catch {
		return false;
	}
}

function invalid<T>(message: string): Validated<T> {
	return { ok: false, message };
}

/**
 * Validates the JSON body of a create or update request, depending on `mode`. Fields outside Karla's
 * documented set are ignored; `secret` is accepted only on create.
 */
export function validateWebhookBody(
	body: unknown,
	mode: 'create' | 'update',
): Validated<WebhookFields> {
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		return invalid('The request body must be a JSON object.');
	}
	const input = body as Record<string, unknown>;
	const fields: WebhookFields = {};

	if (input.url !== undefined || mode === 'create') {
		if (typeof input.url !== 'string' || !isHttpUrl(input.url)) {
			return invalid('url: must be an http or https URL.');
		}
		fields.url = input.url;
	}

	if (input.enabled_events !== undefined) {
		const events = input.enabled_events;
		if (!Array.isArray(events) || !events.every((event) => typeof event === 'string')) {
			return invalid('enabled_events: must be an array of strings.');
		}
		fields.enabled_events = events as string[];
	}

	if (mode === 'create' && input.secret !== undefined && input.secret !== null) {
		const secret = input.secret;
		if (
			typeof secret !== 'string' ||
			secret.length < MIN_SECRET_LENGTH ||
			secret.length > MAX_SECRET_LENGTH
		) {
			return invalid(
				`secret: must be a string of ${MIN_SECRET_LENGTH} to ${MAX_SECRET_LENGTH} characters.`,
			);
		}
		fields.secret = secret;
	}

	if (input.description !== undefined) {
		if (input.description !== null && typeof input.description !== 'string') {
			return invalid('description: must be a string.');
		}
		fields.description = input.description;
	}

	if (input.status !== undefined) {
		if (input.status !== 'active' && input.status !== 'inactive') {
			return invalid('status: must be active or inactive.');
		}
		fields.status = input.status;
	}
	return { ok: true, value: fields };
}

function readPositiveInteger(text: string | null, fallback: number): number | null {
	if (text === null) return fallback;
	if (!/^\d{1,9}$/.test(text)) return null;
	const value = Number(text);
	return value >= 1 ? value : null;
}

/** Validates the list endpoint's query: page, per_page (1 to 100), uuid, status, url. */
export function validateListQuery(params: URLSearchParams): Validated<ListQuery> {
	const page = readPositiveInteger(params.get('page'), 1);
	if (page === null) return invalid('page: must be a positive integer.');
	const perPage = readPositiveInteger(params.get('per_page'), DEFAULT_PER_PAGE);
	if (perPage === null || perPage > MAX_PER_PAGE) {
		return invalid(`per_page: must be an integer from 1 to ${MAX_PER_PAGE}.`);
	}
	const status = params.get('status') ?? undefined;
	if (status !== undefined && status !== 'active' && status !== 'inactive') {
		return invalid('status: must be active or inactive.');
	}
	return {
		ok: true,
		value: {
			page,
			perPage,
			uuid: params.get('uuid') ?? undefined,
			status,
			url: params.get('url') ?? undefined,
		},
	};
}

/**
 * Returns true when a webhook subscribed to `patterns` receives an event with this ref: `*`
 * matches everything, an exact ref matches itself, and a prefix such as `claims` matches every
 * ref below it (`claims/created`). An event without a ref reaches only `*` subscribers.
 */
export function matchesEnabledEvents(patterns: readonly string[], ref: string | null): boolean {
	for (const pattern of patterns) {
		if (pattern === '*') return true;
		if (ref === null) continue;
		const prefix = pattern.replace(/\/+$/, '');
		if (prefix === '') continue;
		if (ref === prefix || ref.startsWith(`${prefix}/`)) return true;
	}
	return false;
}
