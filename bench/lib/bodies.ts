/**
 * Claim events for the benchmarks, built to a target size. The smallest is a plain claim of about
 * 1 KB, like the example in Karla's docs. Larger ones grow the way real claims grow: more claimed
 * items with their own photos, more photo evidence, a longer customer description, and an order
 * context that carries its products and shipments. Values are invented; some are non-ASCII, as
 * German customer data is.
 */

export type KarlaEvent = Record<string, unknown>;

export interface BenchBody {
	/** Label used in tables, such as `20 KB`. */
	label: string;
	event: KarlaEvent;
	text: string;
	bytes: Buffer;
}

export const BODY_SIZES_BYTES = { '1 KB': 1024, '20 KB': 20 * 1024, '500 KB': 500 * 1024 } as const;
export type BodyLabel = keyof typeof BODY_SIZES_BYTES;

const CDN = 'https://cdn.gokarla.io/claims';
const CLAIM_ID = '5b7c9a02-3f1e-4d8a-9c61-2e4f0b8d7a13';

const DESCRIPTION_SENTENCES = [
	'Der Karton war an einer Ecke eingedrückt und die Tasse darin ist angeschlagen.',
	'The parcel arrived two days late and the outer box was soaked through.',
	'Two of the plates have hairline cracks along the rim, visible in the photos.',
	'Die Lieferung war unvollständig, ein Teller fehlt komplett.',
];

function photo(index: number): string {
	return `${CDN}/${CLAIM_ID}/photo-${index + 1}.jpg`;
}

function selectedItem(index: number): KarlaEvent {
	return {
		sku: `MUG-${String(index).padStart(4, '0')}`,
		title: `Steingut Becher „Nordsee“ ${index + 1}`,
		quantity: 1 + (index % 3),
		net_price: 12.5 + (index % 7),
		image_urls: [
			`${CDN}/${CLAIM_ID}/item-${index}-a.jpg`,
			`${CDN}/${CLAIM_ID}/item-${index}-b.jpg`,
		],
	};
}

function orderProduct(index: number): KarlaEvent {
	return {
		sku: `MUG-${String(index).padStart(4, '0')}`,
		title: `Steingut Becher „Nordsee“ ${index + 1}`,
		quantity: 1 + (index % 3),
		price: 12.5 + (index % 7),
		images: [`https://cdn.example-shop.de/products/mug-${index}.jpg`],
	};
}

function shipment(index: number): KarlaEvent {
	return {
		tracking_number: `0034043416${String(index).padStart(10, '0')}`,
		tracking_url: `https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=${index}`,
		carrier_reference: 'dhl',
		phase: 'delivered',
	};
}

/** Builds a claim event with `units` extra items, photos, products and description sentences. */
export function buildBenchEvent(units: number): KarlaEvent {
	const description = [
		'Box crushed on one corner, the mug inside is chipped',
		...Array.from({ length: units }, (_, index) => DESCRIPTION_SENTENCES[index % 4]),
	].join(' ');
	const itemCount = 1 + units;
	return {
		source: 'claims',
		ref: 'claims/created',
		version: 1,
		triggered_at: '2026-03-02T09:15:00+00:00',
		event_group: 'claim_created',
		event_data: {
			claim_id: CLAIM_ID,
			event_name: 'created',
			event_group: 'claim_created',
			created_at: '2026-03-02T09:14:58+00:00',
			updated_at: '2026-03-02T09:14:58+00:00',
			status: 'pending',
			reason: 'partial_damage',
			resolution_preference: 'refund',
			description,
			customer_signature_image_url: `${CDN}/${CLAIM_ID}/signature.png`,
			selected_items: Array.from({ length: itemCount }, (_, index) => selectedItem(index)),
			image_urls: Array.from({ length: 1 + 2 * units }, (_, index) => photo(index)),
			optional_image_urls: [],
		},
		context: {
			order: {
				external_id: 'order-1001',
				external_customer_id: 'cust-77',
				order_number: '1001',
				...(units > 0
					? {
							currency: 'EUR',
							total_order_price: '49.90',
							products: Array.from({ length: itemCount }, (_, index) => orderProduct(index)),
						}
					: {}),
			},
			customer: {
				external_id: 'cust-77',
				email: 'jana.mueller@example.com',
				first_name: 'Jana',
				last_name: 'Müller',
			},
			shipments: Array.from({ length: Math.ceil(units / 8) }, (_, index) => shipment(index)),
			claims: [],
		},
		shop_slug: 'example-shop',
		shop_id: 'shop-42',
	};
}

function byteLength(units: number): number {
	return Buffer.byteLength(JSON.stringify(buildBenchEvent(units)), 'utf8');
}

/**
 * Returns the event whose compact JSON is closest to `targetBytes`. The size grows almost
 * linearly with `units`, so one estimate and a short walk find it.
 */
export function buildBenchBody(label: BodyLabel): BenchBody {
	const targetBytes = BODY_SIZES_BYTES[label];
	const base = byteLength(0);
	const perUnit = byteLength(1) - base;
	let units = Math.max(0, Math.round((targetBytes - base) / perUnit));
	while (units > 0 && byteLength(units) > targetBytes) units--;
	while (byteLength(units + 1) <= targetBytes) units++;
	if (Math.abs(byteLength(units + 1) - targetBytes) < Math.abs(byteLength(units) - targetBytes)) {
		units++;
	}
	const event = buildBenchEvent(units);
	const text = JSON.stringify(event);
	return { label, event, text, bytes: Buffer.from(text, 'utf8') };
}

export function buildBenchBodies(): BenchBody[] {
	return (Object.keys(BODY_SIZES_BYTES) as BodyLabel[]).map(buildBenchBody);
}
