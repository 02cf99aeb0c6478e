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
		claim_id: z.string().min(1, 'claim_id must be a non-empty string'),
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

/** Validates a parsed event against the claim schema. Never throws. */
export function validateClaimEvent(event: unknown): ClaimValidation {
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
	return typeof ref === 'string' && ref.startsWith('claims/');
}
