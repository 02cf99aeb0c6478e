import { randomUUID } from 'crypto';

import type { ClaimEventRef } from '../../nodes/shared/schemas';

/**
 * Realistic Karla claim events for the sender, the simulator and tests. Field names and shapes follow
 * the claim events Karla sends; the values are invented.
 */

export type JsonValue =
	string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface RealisticClaimOptions {
	ref?: ClaimEventRef;
	/** Merged into the event: objects are merged key by key, arrays and other values replace. */
	overrides?: JsonObject;
	claimId?: string;
	/** Time the event is sent; defaults to now. */
	now?: Date;
}

function isPlainObject(value: unknown): value is JsonObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges `overrides` into `base` without changing either; nested objects merge recursively. */
export function mergeJson(base: JsonObject, overrides: JsonObject): JsonObject {
	const merged: JsonObject = { ...base };
	for (const [key, value] of Object.entries(overrides)) {
		const current = merged[key];
		merged[key] =
			isPlainObject(current) && isPlainObject(value) ? mergeJson(current, value) : value;
	}
	return merged;
}

/** Formats a date the way Karla's examples do: ISO 8601, seconds precision, `+00:00`. */
function karlaTimestamp(date: Date): string {
	return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/**
 * Builds a claim event of a customer who reports a parcel with a chipped mug, with photos on
 * Karla's CDN. `claims/updated` events carry the status `accepted` and a later `updated_at`.
 */
export function buildRealisticClaimEvent(options: RealisticClaimOptions = {}): JsonObject {
	const ref = options.ref ?? 'claims/created';
	const eventName = ref === 'claims/created' ? 'created' : 'updated';
	const now = options.now ?? new Date();
	const claimId = options.claimId ?? randomUUID();
	const createdAt = new Date(now.getTime() - (eventName === 'created' ? 2_000 : 3_600_000));
	const updatedAt = eventName === 'created' ? createdAt : new Date(now.getTime() - 2_000);
	const photoFolder = claimId.slice(0, 8);

	const event: JsonObject = {
		source: 'claims',
		ref,
		version: 1,
		triggered_at: karlaTimestamp(now),
		event_group: `claim_${eventName}`,
		event_data: {
			claim_id: claimId,
			event_name: eventName,
			event_group: `claim_${eventName}`,
			created_at: karlaTimestamp(createdAt),
			updated_at: karlaTimestamp(updatedAt),
			status: eventName === 'created' ? 'pending' : 'accepted',
			reason: 'partial_damage',
			resolution_preference: 'refund',
			description: 'The box arrived crushed on one corner and one of the two mugs is chipped.',
			customer_signature_image_url: `https://cdn.gokarla.io/claims/${photoFolder}/signature.png`,
			selected_items: [
				{
					sku: 'MUG-BLUE-01',
					title: 'Stoneware mug, blue',
					quantity: 1,
					net_price: 12.5,
					image_urls: [`https://cdn.gokarla.io/claims/${photoFolder}/mug-chipped.jpg`],
				},
			],
			image_urls: [
				`https://cdn.gokarla.io/claims/${photoFolder}/parcel-outside.jpg`,
				`https://cdn.gokarla.io/claims/${photoFolder}/mug-chipped.jpg`,
			],
			optional_image_urls: [],
		},
		context: {
			order: {
				external_id: '5809234411723',
				external_customer_id: '7301128339605',
				order_number: '1042',
				order_name: '#1042',
				currency: 'EUR',
				total_order_price: 29.9,
				address: {
					name: 'Jane Doe',
					street: 'Torstraße 109',
					zip_code: '10119',
					city: 'Berlin',
					country: 'Germany',
					country_code: 'DE',
				},
			},
			customer: {
				external_id: '7301128339605',
				email: 'jane.doe@example.com',
				first_name: 'Jane',
				last_name: 'Doe',
			},
			shipments: [
				{
					tracking_number: '00340434161094042557',
					tracking_url: 'https://www.dhl.de/en/privatkunden/dhl-sendungsverfolgung.html',
					carrier_reference: 'dhl',
				},
			],
			claims: [],
		},
		shop_slug: 'example-shop',
		shop_id: 'b3c1d8f0-5a2e-4c77-9e1b-6f0a2d4c8e31',
	};
	return options.overrides === undefined ? event : mergeJson(event, options.overrides);
}
