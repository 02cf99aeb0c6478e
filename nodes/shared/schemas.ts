import { z } from 'zod';

/**
 * Schemas of Karla's webhook events. They are lenient where Karla is open: every object keeps
 * unknown keys, enumerations stay plain strings, and optional parts accept null. They are strict
 * only where the nodes depend on a field, such as a non-empty `event_data.claim_id`.
 */

const text = z.string();
const nullableText = text.nullish();

export const selectedItemSchema = z
	.object({
		sku: nullableText,
		title: nullableText,
		quantity: z.union([z.number(), z.string()]).nullish(),
		net_price: z.union([z.number(), z.string()]).nullish(),
		image_urls: z.array(z.unknown()).nullish(),
	})
	.passthrough();

export const claimEventDataSchema = z
	.object({
		// Karla documents a UUID string; a number is accepted too, as Karla Claim Normalize does.
		claim_id: z.union([z.string().min(1, 'claim_id must not be empty'), z.number()]),
		event_name: nullableText,
		event_group: nullableText,
		created_at: nullableText,
		updated_at: nullableText,
		status: nullableText,
		reason: nullableText,
		resolution_preference: nullableText,
		description: nullableText,
		customer_signature_image_url: nullableText,
		selected_items: z.array(z.unknown()).nullish(),
		image_urls: z.array(z.unknown()).nullish(),
		optional_image_urls: z.array(z.unknown()).nullish(),
	})
	.passthrough();

export const claimContextSchema = z
	.object({
		order: z.record(z.unknown()).nullish(),
		customer: z.record(z.unknown()).nullish(),
		shipments: z.array(z.unknown()).nullish(),
		claims: z.array(z.unknown()).nullish(),
	})
	.passthrough();

/** Any Karla event: claims, shipments, or a source that does not exist yet. */
export const eventEnvelopeSchema = z
	.object({
		source: nullableText,
		ref: nullableText,
		version: z.union([z.number(), z.string()]).nullish(),
		triggered_at: nullableText,
		event_group: nullableText,
		event_data: z.unknown(),
		context: z.unknown(),
		shop_slug: nullableText,
		shop_id: z.union([z.string(), z.number()]).nullish(),
	})
	.passthrough();

/** A claim event as the nodes rely on it. */
export const claimEventSchema = eventEnvelopeSchema.extend({
	event_data: claimEventDataSchema,
	context: claimContextSchema.nullish(),
});

export type SelectedItem = z.infer<typeof selectedItemSchema>;
export type ClaimEventData = z.infer<typeof claimEventDataSchema>;
export type ClaimContext = z.infer<typeof claimContextSchema>;
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;
export type ClaimEvent = z.infer<typeof claimEventSchema>;

export const CLAIM_EVENT_REFS = ['claims/created', 'claims/updated'] as const;
export type ClaimEventRef = (typeof CLAIM_EVENT_REFS)[number];

/** One validation problem, in a form that fits an n8n item and reads well in the data panel. */
export interface ValidationIssue {
	path: string;
	message: string;
}

export type ClaimValidation =
	{ valid: true; issues: [] } | { valid: false; issues: ValidationIssue[] };

/** Mirrors zod's parsed type `object`, but stricter: only plain objects, as JSON.parse makes. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
	const prototype: unknown = Object.getPrototypeOf(value);
	if (prototype !== Object.prototype && prototype !== null) return false;
	// zod treats an object with `then` and `catch` functions as a promise.
	return typeof (value as { then?: unknown }).then !== 'function';
}

function isNullish(value: unknown): value is null | undefined {
	return value === undefined || value === null;
}

function isNullishText(value: unknown): boolean {
	return isNullish(value) || typeof value === 'string';
}

function isNullishTextOrNumber(value: unknown): boolean {
	// zod's number rejects NaN.
	return isNullishText(value) || (typeof value === 'number' && !Number.isNaN(value));
}

function isNullishArray(value: unknown): boolean {
	return isNullish(value) || Array.isArray(value);
}

/** Checks a nullish `z.record(z.unknown())` field, which accepts every plain object. */
function isNullishRecord(value: unknown): boolean {
	return isNullish(value) || isPlainObject(value);
}

/**
 * Returns true only for events that `claimEventSchema` accepts. zod's safeParse copies every
 * object and array it walks, while this check reads the same fields and copies nothing. It mirrors
 * the schema field by field, so a change to the schema needs the same change here, and
 * `test/unit/schemas.test.ts` compares the two on mutated events. It returns false for some
 * events zod accepts, such as objects that are not plain, and zod then decides.
 */
function isWellFormedClaimEvent(event: unknown): boolean {
	if (!isPlainObject(event)) return false;
	if (
		!isNullishText(event.source) ||
		!isNullishText(event.ref) ||
		!isNullishTextOrNumber(event.version) ||
		!isNullishText(event.triggered_at) ||
		!isNullishText(event.event_group) ||
		!isNullishText(event.shop_slug) ||
		!isNullishTextOrNumber(event.shop_id)
	) {
		return false;
	}

	const data = event.event_data;
	if (!isPlainObject(data)) return false;
	if (typeof data.claim_id !== 'string' || data.claim_id.length === 0) return false;
	if (
		!isNullishText(data.event_name) ||
		!isNullishText(data.event_group) ||
		!isNullishText(data.created_at) ||
		!isNullishText(data.updated_at) ||
		!isNullishText(data.status) ||
		!isNullishText(data.reason) ||
		!isNullishText(data.resolution_preference) ||
		!isNullishText(data.description) ||
		!isNullishText(data.customer_signature_image_url) ||
		!isNullishArray(data.selected_items) ||
		!isNullishArray(data.image_urls) ||
		!isNullishArray(data.optional_image_urls)
	) {
		return false;
	}

	const context = event.context;
	if (isNullish(context)) return true;
	if (!isPlainObject(context)) return false;
	return (
		isNullishRecord(context.order) &&
		isNullishRecord(context.customer) &&
		isNullishArray(context.shipments) &&
		isNullishArray(context.claims)
	);
}

/** Validates a parsed event against the claim schema. Never throws. */
export function validateClaimEvent(event: unknown): ClaimValidation {
	if (isWellFormedClaimEvent(event)) return { valid: true, issues: [] };
	// zod lists the issues, and decides where the check above is unsure.
	const result = claimEventSchema.safeParse(event);
	if (result.success) return { valid: true, issues: [] };
	return {
		valid: false,
		issues: result.error.issues.map((issue) => ({
			path: issue.path.length > 0 ? issue.path.join('.') : '(root)',
			message: issue.message,
		})),
	};
}

/** Returns true when the event's `source` or `ref` marks it as a claim event. */
export function isClaimEvent(event: unknown): boolean {
	if (typeof event !== 'object' || event === null || Array.isArray(event)) return false;
	const { source, ref } = event as { source?: unknown; ref?: unknown };
	if (source === 'claims') return true;
	return typeof ref === 'string' && ref.toLowerCase().startsWith('claims/');
}
