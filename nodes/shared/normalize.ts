import { buildDedupeKey, resolveEventRef } from './delivery';
import {
	buildTicketBodyHtml,
	buildTicketBodyText,
	buildTicketSubject,
	buildTicketTags,
	humanizeLabel,
	type TicketSource,
} from './ticket';

/**
 * Flattening of Karla claim events into the fields that helpdesk nodes take. Every function here
 * accepts any JSON value and never throws: a missing or oddly typed part of the payload gives
 * null, "" or [] in the output.
 */

type JsonObject = Record<string, unknown>;

/** One line of `items`: a claimed product. */
export interface ClaimItem {
	sku: string | null;
	title: string | null;
	quantity: number | null;
	net_price: number | null;
	image_urls: string[];
}

/** The flat record for one claim; field names and meanings are part of the node's contract. */
export interface NormalizedClaim {
	claim_id: string;
	event: string;
	event_ref: string | null;
	triggered_at: string | null;
	created_at: string | null;
	updated_at: string | null;
	shop_slug: string | null;
	status: string | null;
	reason: string | null;
	reason_label: string | null;
	resolution_preference: string | null;
	resolution_label: string | null;
	description: string;
	customer_email: string | null;
	customer_first_name: string | null;
	customer_last_name: string | null;
	customer_name: string | null;
	customer_external_id: string | null;
	customer_phone: string | null;
	order_number: string | null;
	order_external_id: string | null;
	order_currency: string | null;
	order_total: number | null;
	shipping_address: JsonObject | null;
	shipping_address_text: string | null;
	items: ClaimItem[];
	item_count: number;
	item_quantity_total: number;
	item_skus: string[];
	items_summary: string;
	photo_urls: string[];
	photo_count: number;
	signature_image_url: string | null;
	tracking_numbers: string[];
	carriers: string[];
	tracking_urls: string[];
	ticket_subject: string;
	ticket_body_text: string;
	ticket_body_html: string;
	ticket_tags: string[];
	ticket_external_id: string;
	dedupe_key: string;
	karla_event?: unknown;
}

/** Claim record for one claimed product; its `item_*` fields are null for a claim without items. */
export interface NormalizedClaimProduct extends NormalizedClaim {
	item_index: number | null;
	item_sku: string | null;
	item_title: string | null;
	item_quantity: number | null;
	item_net_price: number | null;
}

/** Input shape of an item: trigger envelope, Webhook node body or bare `event_data`. */
export type ClaimInputShape = 'envelope' | 'webhook_body' | 'event_data';

export interface ClaimInput {
	shape: ClaimInputShape;
	/** The event envelope; null for a bare `event_data` object. */
	envelope: JsonObject | null;
	eventData: JsonObject;
	claimId: string;
}

export type UnsupportedInputProblem =
	'not_an_object' | 'not_a_claim_event' | 'missing_event_data' | 'missing_claim_id';

export interface UnsupportedInput {
	problem: UnsupportedInputProblem;
	/** Path of the field that is missing, such as `event_data.claim_id`. */
	missing: string;
	/**
	 * Kind of item found instead, such as `a shipments/delivered event`, for the error message.
	 * Contains no payload values other than the event's ref or source.
	 */
	found: string;
}

export type InputDetection =
	{ supported: true; input: ClaimInput } | ({ supported: false } & UnsupportedInput);

export interface NormalizeOptions {
	/** Copy the event as received into `karla_event`. */
	includeOriginalEvent?: boolean;
}

export type NormalizeResult =
	{ ok: true; record: NormalizedClaim; input: ClaimInput } | ({ ok: false } & UnsupportedInput);

// ---------------------------------------------------------------------------------------------
// Readers that turn any JSON value into the expected type or null.

function asObject(value: unknown): JsonObject | null {
	return typeof value === 'object' && value !== null && !Array.isArray(value)
		? (value as JsonObject)
		: null;
}

function asArray(value: unknown): unknown[] {
	return Array.isArray(value) ? value : [];
}

/** Reads a string as received, or a finite number as its decimal string; null when blank. */
function readText(value: unknown): string | null {
	if (typeof value === 'string') return value.trim() === '' ? null : value;
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	return null;
}

function readTrimmed(value: unknown): string | null {
	return readText(value)?.trim() ?? null;
}

const DECIMAL_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** Reads a finite number, or a decimal string such as `"49.90"`; null for anything else. */
function readNumber(value: unknown): number | null {
	if (typeof value === 'number') return Number.isFinite(value) ? value : null;
	if (typeof value === 'string' && DECIMAL_PATTERN.test(value.trim())) return Number(value.trim());
	return null;
}

/** Reads the non-blank strings of an array, trimmed, without duplicates, in order. */
function readUniqueStrings(...lists: unknown[]): string[] {
	// A Set keeps the first occurrence in insertion order, in linear time for long photo lists.
	const unique = new Set<string>();
	for (const list of lists) {
		for (const entry of asArray(list)) {
			const text = typeof entry === 'string' ? entry.trim() : '';
			if (text !== '') unique.add(text);
		}
	}
	return [...unique];
}

function uniqueNonNull(values: Array<string | null>): string[] {
	const result: string[] = [];
	for (const value of values) if (value !== null && !result.includes(value)) result.push(value);
	return result;
}

// ---------------------------------------------------------------------------------------------
// Input shapes

function readClaimId(value: unknown): string | null {
	if (typeof value === 'string') return value.trim() === '' ? null : value;
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	return null;
}

function looksLikeEnvelope(value: JsonObject): boolean {
	return 'event_data' in value || 'source' in value || 'ref' in value;
}

/** Names the other event an envelope carries, or null when it is (or claims to be) a claim. */
function describeOtherEvent(envelope: JsonObject): string | null {
	const source = readTrimmed(envelope.source);
	const ref = readTrimmed(envelope.ref);
	if (source?.toLowerCase() === 'claims' || ref?.toLowerCase().startsWith('claims/')) return null;
	if (ref !== null) return `a ${ref} event`;
	if (source !== null) return `a ${source} event`;
	return null;
}

function detectEnvelope(envelope: JsonObject, shape: ClaimInputShape): InputDetection {
	const otherEvent = describeOtherEvent(envelope);
	if (otherEvent !== null) {
		return {
			supported: false,
			problem: 'not_a_claim_event',
			missing: 'event_data.claim_id',
			found: otherEvent,
		};
	}
	const eventData = asObject(envelope.event_data);
	if (eventData === null) {
		return {
			supported: false,
			problem: 'missing_event_data',
			missing: 'event_data',
			found: 'an event without event_data',
		};
	}
	const claimId = readClaimId(eventData.claim_id);
	if (claimId === null) {
		return {
			supported: false,
			problem: 'missing_claim_id',
			missing: 'event_data.claim_id',
			found: 'an event without a claim ID',
		};
	}
	return { supported: true, input: { shape, envelope, eventData, claimId } };
}

/**
 * Finds the claim event in an item's JSON. Accepts the event envelope (Karla Claim Trigger), an
 * object whose `body` is the envelope (n8n's Webhook node) and a bare `event_data` object (it
 * has `claim_id`). Anything else comes back with the missing field. Never throws.
 */
export function detectClaimInput(json: unknown): InputDetection {
	const item = asObject(json);
	if (item === null) {
		return {
			supported: false,
			problem: 'not_an_object',
			missing: 'event_data.claim_id',
			found: Array.isArray(json) ? 'an array' : `a ${json === null ? 'null' : typeof json} value`,
		};
	}

	if (looksLikeEnvelope(item)) return detectEnvelope(item, 'envelope');

	const body = asObject(item.body);
	if (body !== null && looksLikeEnvelope(body)) return detectEnvelope(body, 'webhook_body');

	if ('claim_id' in item) {
		const claimId = readClaimId(item.claim_id);
		if (claimId === null) {
			return {
				supported: false,
				problem: 'missing_claim_id',
				missing: 'claim_id',
				found: 'event data without a claim ID',
			};
		}
		return {
			supported: true,
			input: { shape: 'event_data', envelope: null, eventData: item, claimId },
		};
	}

	return {
		supported: false,
		problem: 'missing_event_data',
		missing: 'event_data',
		found: 'an object that is not a Karla event',
	};
}

// ---------------------------------------------------------------------------------------------
// Field groups

/** Derives `created` or `updated` from `ref`, else from the event name or group. */
function readEventName(envelope: JsonObject | null, eventData: JsonObject): string {
	const ref = readTrimmed(envelope?.ref)?.toLowerCase() ?? null;
	if (ref?.startsWith('claims/') && ref.length > 'claims/'.length) {
		return ref.slice('claims/'.length);
	}
	const candidates = [eventData.event_name, eventData.event_group, envelope?.event_group];
	for (const candidate of candidates) {
		const name = readTrimmed(candidate)?.toLowerCase();
		// The docs' event catalogue writes CLAIM_CREATED and groups read claim_created.
		if (name) return name.replace(/^claims?[_/.-]/, '');
	}
	return 'unknown';
}

function readCustomer(
	customer: JsonObject | null,
	order: JsonObject | null,
	address: JsonObject | null,
) {
	const firstName = readTrimmed(customer?.first_name);
	const lastName = readTrimmed(customer?.last_name);
	const joinedName = [firstName, lastName].filter((part) => part !== null).join(' ');
	return {
		customer_email: readTrimmed(customer?.email),
		customer_first_name: firstName,
		customer_last_name: lastName,
		customer_name: joinedName === '' ? null : joinedName,
		customer_external_id:
			readTrimmed(customer?.external_id) ?? readTrimmed(order?.external_customer_id),
		customer_phone: readTrimmed(customer?.phone) ?? readTrimmed(address?.phone),
	};
}

/** Writes an address on one line; empty parts are left out. Returns null when all are empty. */
export function formatAddress(address: JsonObject | null): string | null {
	if (address === null) return null;
	const name =
		readTrimmed(address.name) ??
		([readTrimmed(address.first_name), readTrimmed(address.last_name)]
			.filter((part) => part !== null)
			.join(' ') ||
			null);
	const street = readTrimmed(address.street);
	const line1 = readTrimmed(address.address_line_1);
	const zipAndCity = [readTrimmed(address.zip_code), readTrimmed(address.city)]
		.filter((part) => part !== null)
		.join(' ');
	const parts = [
		name,
		readTrimmed(address.company),
		street,
		line1 !== street ? line1 : null,
		readTrimmed(address.address_line_2),
		zipAndCity === '' ? null : zipAndCity,
		readTrimmed(address.province) ?? readTrimmed(address.province_code),
		readTrimmed(address.country) ?? readTrimmed(address.country_code),
	].filter((part): part is string => part !== null);
	return parts.length === 0 ? null : parts.join(', ');
}

function readItem(entry: JsonObject): ClaimItem {
	return {
		sku: readTrimmed(entry.sku),
		title: readTrimmed(entry.title),
		quantity: readNumber(entry.quantity),
		net_price: readNumber(entry.net_price),
		image_urls: readUniqueStrings(entry.image_urls),
	};
}

/** Writes one item as `2 × Blue mug (MUG-BLUE-01)`; parts that are missing are left out. */
export function summarizeItem(item: ClaimItem): string {
	const name = item.title ?? item.sku ?? 'Item without title';
	const sku = item.title !== null && item.sku !== null ? ` (${item.sku})` : '';
	const quantity = item.quantity !== null ? `${item.quantity} × ` : '';
	return `${quantity}${name}${sku}`;
}

function readShipments(shipments: unknown) {
	const entries = asArray(shipments)
		.map(asObject)
		.filter((entry): entry is JsonObject => entry !== null);
	return {
		tracking_numbers: uniqueNonNull(entries.map((entry) => readTrimmed(entry.tracking_number))),
		carriers: uniqueNonNull(
			entries.map((entry) => readTrimmed(entry.carrier_reference) ?? readTrimmed(entry.carrier)),
		),
		tracking_urls: uniqueNonNull(entries.map((entry) => readTrimmed(entry.tracking_url))),
	};
}

// ---------------------------------------------------------------------------------------------
// Records

/** Builds the flat record of one detected claim input. Never throws. */
export function buildClaimRecord(
	input: ClaimInput,
	options: NormalizeOptions = {},
): NormalizedClaim {
	const { envelope, eventData, claimId } = input;
	const context = asObject(envelope?.context);
	const customer = asObject(context?.customer);
	const order = asObject(context?.order);
	const address = asObject(order?.address) ?? asObject(order?.shipping_address);

	const status = readText(eventData.status);
	const reason = readText(eventData.reason);
	const resolutionPreference = readText(eventData.resolution_preference);
	const reasonLabel = humanizeLabel(reason);
	const resolutionLabel = humanizeLabel(resolutionPreference);
	const description = typeof eventData.description === 'string' ? eventData.description : '';
	const customerFields = readCustomer(customer, order, address);
	const orderNumber = readTrimmed(order?.order_number);
	const orderExternalId = readTrimmed(order?.external_id);
	const shippingAddressText = formatAddress(address);

	const items = asArray(eventData.selected_items)
		.map(asObject)
		.filter((entry): entry is JsonObject => entry !== null)
		.map(readItem);
	const itemLines = items.map(summarizeItem);
	const photoUrls = readUniqueStrings(eventData.image_urls, eventData.optional_image_urls);
	const shipments = readShipments(context?.shipments);

	const ticketSource: TicketSource = {
		claim_id: claimId,
		status,
		reason_label: reasonLabel,
		resolution_label: resolutionLabel,
		description,
		customer_email: customerFields.customer_email,
		customer_name: customerFields.customer_name,
		customer_phone: customerFields.customer_phone,
		order_number: orderNumber,
		order_external_id: orderExternalId,
		shipping_address_text: shippingAddressText,
		items_summary_lines: itemLines,
		photo_urls: photoUrls,
		tracking_numbers: shipments.tracking_numbers,
	};

	// The trigger builds karla_delivery.dedupe_key from the resolved ref and the raw `updated_at`
	// string. Passing the same inputs gives the same key for the same event. The body hash is
	// used only without a claim ID, and a detected claim always has one.
	const rawUpdatedAt = typeof eventData.updated_at === 'string' ? eventData.updated_at : null;

	// One literal in contract order, without spreads, because this runs once per claim and
	// copying a 40-field object several times dominated its cost.
	const record: NormalizedClaim = {
		claim_id: claimId,
		event: readEventName(envelope, eventData),
		event_ref: readText(envelope?.ref),
		triggered_at: readText(envelope?.triggered_at),
		created_at: readText(eventData.created_at),
		updated_at: readText(eventData.updated_at),
		shop_slug: readTrimmed(envelope?.shop_slug),
		status,
		reason,
		reason_label: reasonLabel,
		resolution_preference: resolutionPreference,
		resolution_label: resolutionLabel,
		description,
		customer_email: customerFields.customer_email,
		customer_first_name: customerFields.customer_first_name,
		customer_last_name: customerFields.customer_last_name,
		customer_name: customerFields.customer_name,
		customer_external_id: customerFields.customer_external_id,
		customer_phone: customerFields.customer_phone,
		order_number: orderNumber,
		order_external_id: orderExternalId,
		order_currency: readTrimmed(order?.currency),
		order_total: readNumber(order?.total_order_price ?? order?.total_price),
		shipping_address: address,
		shipping_address_text: shippingAddressText,
		items,
		item_count: items.length,
		item_quantity_total: items.reduce((sum, item) => sum + (item.quantity ?? 0), 0),
		item_skus: items.map((item) => item.sku).filter((sku): sku is string => sku !== null),
		items_summary: itemLines.join('; '),
		photo_urls: photoUrls,
		photo_count: photoUrls.length,
		signature_image_url: readTrimmed(eventData.customer_signature_image_url),
		tracking_numbers: shipments.tracking_numbers,
		carriers: shipments.carriers,
		tracking_urls: shipments.tracking_urls,
		ticket_subject: buildTicketSubject(ticketSource),
		ticket_body_text: buildTicketBodyText(ticketSource),
		ticket_body_html: buildTicketBodyHtml(ticketSource),
		ticket_tags: buildTicketTags({ reason, resolution_preference: resolutionPreference, status }),
		ticket_external_id: `karla-claim-${claimId}`,
		dedupe_key: buildDedupeKey(resolveEventRef(envelope), claimId, rawUpdatedAt, ''),
	};
	if (options.includeOriginalEvent === true) record.karla_event = envelope ?? eventData;
	return record;
}

/**
 * Normalizes one item's JSON into the flat claim record, or reports which field is missing when
 * the item is not a claim event. Never throws.
 */
export function normalizeClaim(json: unknown, options: NormalizeOptions = {}): NormalizeResult {
	const detection = detectClaimInput(json);
	if (!detection.supported) {
		const { problem, missing, found } = detection;
		return { ok: false, problem, missing, found };
	}
	return { ok: true, record: buildClaimRecord(detection.input, options), input: detection.input };
}

/**
 * Splits a claim record into one record per claimed product, each with `item_index`,
 * `item_sku`, `item_title`, `item_quantity` and `item_net_price`. A claim without items gives one
 * record with those fields null, so that no claim disappears.
 */
export function expandPerProduct<T extends NormalizedClaim>(
	record: T,
): Array<T & Omit<NormalizedClaimProduct, keyof NormalizedClaim>> {
	if (record.items.length === 0) {
		return [
			{
				...record,
				item_index: null,
				item_sku: null,
				item_title: null,
				item_quantity: null,
				item_net_price: null,
			},
		];
	}
	return record.items.map((item, index) => ({
		...record,
		item_index: index,
		item_sku: item.sku,
		item_title: item.title,
		item_quantity: item.quantity,
		item_net_price: item.net_price,
	}));
}
