import { randomUUID } from 'crypto';

/**
 * Realistic Karla events for the demo and the end-to-end tests. The shape follows Karla's claim
 * webhook: envelope (`source`, `ref`, `version`, `triggered_at`, `event_group`), `event_data` with
 * the claim, and `context` with order, customer and shipments. Values are invented.
 */

const CDN = 'https://cdn.gokarla.io/claims';

export type KarlaEvent = Record<string, unknown>;

export interface ClaimItem {
	sku: string;
	title: string;
	quantity: number;
	net_price?: number;
	image_urls?: string[];
}

export interface ClaimOptions {
	event?: 'created' | 'updated';
	claimId?: string;
	createdAt?: string;
	updatedAt?: string;
	orderNumber?: string;
	/** `null` makes the customer a guest: no customer or order customer id. */
	customerExternalId?: string | null;
	status?: string;
	reason?: string;
	resolutionPreference?: string;
	description?: string;
	items?: ClaimItem[];
	photoUrls?: string[];
	optionalPhotoUrls?: string[];
	email?: string;
	firstName?: string;
	lastName?: string;
	shopSlug?: string;
}

/** Builds a Karla claim event. Every option replaces one field of the default claim. */
export function buildClaimEvent(options: ClaimOptions = {}): KarlaEvent {
	const event = options.event ?? 'created';
	const claimId = options.claimId ?? randomUUID();
	const createdAt = options.createdAt ?? '2026-03-02T09:14:58+00:00';
	const updatedAt = options.updatedAt ?? (event === 'created' ? createdAt : '2026-03-03T11:02:10Z');
	const orderNumber = options.orderNumber ?? '1001';
	const customerExternalId =
		options.customerExternalId === undefined ? 'cust-77' : options.customerExternalId;
	const group = `claim_${event}`;
	return {
		source: 'claims',
		ref: `claims/${event}`,
		version: 1,
		triggered_at: updatedAt,
		event_group: group,
		event_data: {
			claim_id: claimId,
			event_name: event,
			event_group: group,
			created_at: createdAt,
			updated_at: updatedAt,
			status: options.status ?? (event === 'created' ? 'pending' : 'accepted'),
			reason: options.reason ?? 'partial_damage',
			resolution_preference: options.resolutionPreference ?? 'refund',
			description: options.description ?? 'Box crushed on one corner, the mug inside is chipped',
			customer_signature_image_url: `${CDN}/${claimId}/signature.png`,
			selected_items: options.items ?? [
				{ sku: 'MUG-BLUE-01', title: 'Blue mug', quantity: 2, net_price: 12.5, image_urls: [] },
			],
			image_urls: options.photoUrls ?? [`${CDN}/${claimId}/photo-1.jpg`],
			optional_image_urls: options.optionalPhotoUrls ?? [],
		},
		context: {
			order: {
				external_id: `order-${orderNumber}`,
				external_customer_id: customerExternalId,
				order_number: orderNumber,
			},
			customer: {
				external_id: customerExternalId,
				email: options.email ?? 'jane.doe@example.com',
				first_name: options.firstName ?? 'Jane',
				last_name: options.lastName ?? 'Doe',
			},
			shipments: [],
			claims: [],
		},
		shop_slug: options.shopSlug ?? 'example-shop',
		shop_id: 'shop-42',
	};
}

/** Builds a shipment event, which a claim trigger must acknowledge and ignore. */
export function buildShipmentEvent(): KarlaEvent {
	return {
		source: 'shipments',
		ref: 'shipments/delivered/SUCCESSFULLY_DELIVERED',
		version: 1,
		triggered_at: '2026-03-01T16:40:00+00:00',
		event_group: 'shipment_delivered',
		event_data: {
			shipment_id: 'shp-5501',
			tracking_number: '00340434161234567890',
			carrier_reference: 'dhl',
			phase: 'delivered',
		},
		context: { order: { external_id: 'order-1001', order_number: '1001' }, shipments: [] },
		shop_slug: 'example-shop',
	};
}

/** Returns `count` photo URLs on Karla's CDN for a claim. */
export function photoUrls(claimId: string, count: number): string[] {
	return Array.from({ length: count }, (_, index) => `${CDN}/${claimId}/photo-${index + 1}.jpg`);
}
