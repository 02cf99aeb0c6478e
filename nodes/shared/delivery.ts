import { hash } from 'crypto';

import {
	CLAIM_EVENT_REFS,
	isClaimEvent,
	validateClaimEvent,
	type ClaimEventRef,
	type ValidationIssue,
} from './schemas';
import {
	checkSignatureHeader,
	verifySignature,
	type ParsedSignatureHeader,
	type SignatureRejection,
} from './signature';

/** Key of the delivery metadata that the trigger adds to each emitted event. */
export const DELIVERY_METADATA_KEY = 'karla_delivery';

export type NonClaimEventHandling = 'ignore' | 'emit';
export type InvalidClaimHandling = 'emit' | 'reject';

export interface DeliverySettings {
	events: readonly ClaimEventRef[];
	toleranceSeconds: number;
	nonClaimEvents: NonClaimEventHandling;
	invalidClaims: InvalidClaimHandling;
}

export interface DeliveryRequest {
	/** The `Karla-Signature` header as received, or as parsed by {@link checkDeliveryHeader}. */
	signatureHeader: string | ParsedSignatureHeader | undefined;
	rawBody: Buffer;
	secrets: { current: string; previous?: string };
	/** Time of receipt in milliseconds since the epoch. */
	receivedAtMs: number;
}

/** Metadata the trigger adds under `karla_delivery`. */
export interface DeliveryMetadata {
	/** The signature's `t`, in Unix seconds. */
	signature_timestamp: number;
	received_at: string;
	/** The configured secret that matched. `previous` means Karla still signs with the old one. */
	matched_secret: 'current' | 'previous';
	/** Stable across redeliveries of one event; see {@link buildDedupeKey}. */
	dedupe_key: string;
	body_sha256: string;
	/** Karla's `ref`, or `claims/<event_name>` when only that is present. */
	event_ref: string | null;
	validation: { valid: boolean; issues: ValidationIssue[] };
}

export type DeliveryOutcome =
	| {
			action: 'reject';
			status: 400 | 401;
			reason: SignatureRejection | 'body_not_json' | 'invalid_claim';
			body: Record<string, unknown>;
	  }
	| {
			action: 'ignore';
			status: 200;
			reason: 'event_not_selected' | 'not_a_claim_event';
			body: Record<string, unknown>;
			eventRef: string | null;
	  }
	| { action: 'emit'; item: Record<string, unknown>; metadata: DeliveryMetadata };

/**
 * Builds the key that identifies one Karla event across redeliveries. Karla sends no event id
 * and signs each redelivery with a new timestamp, so the key combines the event's ref, claim id
 * and update time. Without a claim id it falls back to the SHA-256 of the body, which is stable
 * only when Karla resends identical bytes.
 */
export function buildDedupeKey(
	eventRef: string | null,
	claimId: string | null,
	updatedAt: string | null,
	bodySha256: string,
): string {
	if (claimId === null || claimId === '') return `body:${bodySha256}`;
	return `${eventRef ?? 'claims'}:${claimId}:${updatedAt ?? ''}`;
}

function asObject(value: unknown): Record<string, unknown> | null {
	return typeof value === 'object' && value !== null && !Array.isArray(value)
		? (value as Record<string, unknown>)
		: null;
}

function stringOrNull(value: unknown): string | null {
	return typeof value === 'string' ? value : null;
}

/**
 * Reads a claim id the way Karla Claim Normalize does, a number as its decimal string, so that
 * both nodes give one event the same dedupe key.
 */
function claimIdOrNull(value: unknown): string | null {
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	return stringOrNull(value);
}

/** Reads the event's ref; a claim that carries only `event_data.event_name` gets `claims/<name>`. */
export function resolveEventRef(event: unknown): string | null {
	const envelope = asObject(event);
	if (envelope === null) return null;
	const ref = stringOrNull(envelope.ref);
	if (ref !== null && ref !== '') return ref;
	const eventName = stringOrNull(asObject(envelope.event_data)?.event_name);
	if (envelope.source !== 'claims' || !eventName) return null;
	// Karla's event catalogue also writes names such as CLAIM_CREATED.
	return `claims/${eventName.toLowerCase().replace(/^claim_/, '')}`;
}

/**
 * Returns true for an authentic event that is not about claims: it names another source, or a
 * ref outside `claims/`. An event that names neither is treated as a claim, so that a broken
 * claim is reported instead of ignored.
 */
function isOtherEvent(event: unknown): boolean {
	const envelope = asObject(event);
	if (envelope === null || isClaimEvent(envelope)) return false;
	const { source, ref } = envelope;
	const namesSource = typeof source === 'string' && source !== '';
	const namesRef = typeof ref === 'string' && ref !== '';
	return namesSource || namesRef;
}

/** Largest distance from the epoch that a JavaScript Date can represent. */
const MAX_DATE_MS = 8.64e15;

let cachedSecond = Number.NaN;
let cachedSecondPrefix = '';

/**
 * Formats epoch milliseconds exactly as `Date.prototype.toISOString` does. A Date and its
 * toISOString for every delivery showed in CPU profiles of 1 KB deliveries, so the text up to the
 * seconds is reused while the second stays the same, as it does for most deliveries under load.
 */
function toIsoTimestamp(epochMs: number): string {
	if (!Number.isInteger(epochMs) || Math.abs(epochMs) > MAX_DATE_MS) {
		return new Date(epochMs).toISOString();
	}
	const second = Math.floor(epochMs / 1000);
	if (second !== cachedSecond) {
		const secondText = new Date(second * 1000).toISOString();
		// Drops the `000Z` of the milliseconds; the text before it ends with the seconds and `.`.
		cachedSecondPrefix = secondText.slice(0, -4);
		cachedSecond = second;
	}
	return `${cachedSecondPrefix}${String(epochMs - second * 1000).padStart(3, '0')}Z`;
}

/**
 * Returns true when a claim event's ref is one of the selected events, compared without case. A
 * claim ref outside Karla's known events, such as a future `claims/deleted`, is never selected.
 */
function isSelectedClaimEvent(eventRef: string, selected: readonly ClaimEventRef[]): boolean {
	const ref = eventRef.toLowerCase();
	return (
		(CLAIM_EVENT_REFS as readonly string[]).includes(ref) && selected.includes(ref as ClaimEventRef)
	);
}

function unauthorized(reason: SignatureRejection): DeliveryOutcome {
	return { action: 'reject', status: 401, reason, body: { error: 'Unauthorized', reason } };
}

/** Result of {@link checkDeliveryHeader}: the 401 to send, or the parsed header to verify. */
export type DeliveryHeaderCheck =
	{ rejection: DeliveryOutcome } | { header: ParsedSignatureHeader };

/**
 * Rejects a delivery whose signature header alone shows that it is not authentic: missing,
 * malformed, or with a timestamp outside the tolerance. The trigger calls it before reading its
 * credential, which n8n decrypts for every call, and passes the parsed header on to
 * handleDelivery. The response is the same as when handleDelivery gets the raw header.
 */
export function checkDeliveryHeader(
	signatureHeader: string | undefined,
	receivedAtMs: number,
	settings: DeliverySettings,
): DeliveryHeaderCheck {
	const check = checkSignatureHeader(signatureHeader, {
		nowSeconds: Math.floor(receivedAtMs / 1000),
		toleranceSeconds: settings.toleranceSeconds,
	});
	return check.valid ? { header: check.header } : { rejection: unauthorized(check.reason) };
}

/**
 * Decides what the trigger does with one delivery: reject it with 401 or 400, acknowledge and
 * ignore it, or emit it as an item. Pure and synchronous; never throws.
 */
export function handleDelivery(
	request: DeliveryRequest,
	settings: DeliverySettings,
): DeliveryOutcome {
	const check = verifySignature(request.signatureHeader, request.rawBody, request.secrets, {
		nowSeconds: Math.floor(request.receivedAtMs / 1000),
		toleranceSeconds: settings.toleranceSeconds,
	});
	if (!check.valid) return unauthorized(check.reason);

	let event: unknown;
	try {
		// n8n's own JSON parser accepts a leading byte order mark, and RFC 8259 lets parsers ignore
		// it; JSON.parse does not, so it is dropped here. The signature covered it already.
		const text = request.rawBody.toString('utf8');
		event = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
	} catch {
		return {
			action: 'reject',
			status: 400,
			reason: 'body_not_json',
			body: { error: 'Bad Request', reason: 'body_not_json' },
		};
	}

	const eventRef = resolveEventRef(event);

	const isClaim = !isOtherEvent(event);
	if (!isClaim) {
		if (settings.nonClaimEvents === 'ignore') {
			return {
				action: 'ignore',
				status: 200,
				reason: 'not_a_claim_event',
				eventRef,
				body: { received: true, ignored: 'not_a_claim_event' },
			};
		}
	} else if (eventRef !== null && !isSelectedClaimEvent(eventRef, settings.events)) {
		return {
			action: 'ignore',
			status: 200,
			reason: 'event_not_selected',
			eventRef,
			body: { received: true, ignored: 'event_not_selected' },
		};
	}

	const validation = isClaim ? validateClaimEvent(event) : { valid: true, issues: [] };
	if (!validation.valid && settings.invalidClaims === 'reject') {
		return {
			action: 'reject',
			status: 400,
			reason: 'invalid_claim',
			body: {
				error: 'Bad Request',
				reason: 'invalid_claim',
				// Paths and schema messages only; no payload values.
				issues: validation.issues,
			},
		};
	}

	// crypto.hash (Node 20.12 and later) skips the Hash object, most of the cost for small bodies.
	const bodySha256 = hash('sha256', request.rawBody, 'hex');
	const envelope = asObject(event);
	const eventData = asObject(envelope?.event_data);
	const claimId = eventData === null ? null : claimIdOrNull(eventData.claim_id);
	const metadata: DeliveryMetadata = {
		signature_timestamp: check.timestamp,
		received_at: toIsoTimestamp(request.receivedAtMs),
		matched_secret: check.matchedSecret,
		dedupe_key: buildDedupeKey(eventRef, claimId, stringOrNull(eventData?.updated_at), bodySha256),
		body_sha256: bodySha256,
		event_ref: eventRef,
		validation: { valid: validation.valid, issues: validation.issues },
	};

	// An n8n item must be an object, so a JSON value that is not one is kept under `payload`. The
	// parsed event belongs to this call alone, so the metadata is added to it without a copy.
	const item: Record<string, unknown> = envelope === null ? { payload: event } : envelope;
	item[DELIVERY_METADATA_KEY] = metadata;
	return { action: 'emit', item, metadata };
}
