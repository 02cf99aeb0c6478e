import {
	buildClaimRecord,
	detectClaimInput,
	expandPerProduct,
	formatAddress,
	normalizeClaim,
	summarizeItem,
	type ClaimInput,
	type InputDetection,
	type NormalizedClaim,
	type NormalizeResult,
	type UnsupportedInput,
} from '../../nodes/shared/normalize';
import { listClaimFixtures, loadClaimFixture } from '../helpers/claim-fixtures';

/** Normalizes a fixture and fails the test when it is not a claim. */
function normalizeFixture(name: string, options = {}): NormalizedClaim {
	const result = normalizeClaim(loadClaimFixture(name), options);
	if (!result.ok) throw new Error(`fixture ${name} was not detected as a claim: ${result.problem}`);
	return result.record;
}

function recordOf(result: NormalizeResult): NormalizedClaim {
	if (!result.ok) throw new Error(`expected a claim record, got ${result.problem}`);
	return result.record;
}

function inputOf(detection: InputDetection): ClaimInput {
	if (!detection.supported) throw new Error(`expected a claim input, got ${detection.problem}`);
	return detection.input;
}

function problemOf(detection: InputDetection): UnsupportedInput {
	if (detection.supported) throw new Error('expected an unsupported input, got a claim');
	return detection;
}

/** Output fields in the order of the public contract. */
const CONTRACT_FIELDS = [
	'claim_id',
	'event',
	'event_ref',
	'triggered_at',
	'created_at',
	'updated_at',
	'shop_slug',
	'status',
	'reason',
	'reason_label',
	'resolution_preference',
	'resolution_label',
	'description',
	'customer_email',
	'customer_first_name',
	'customer_last_name',
	'customer_name',
	'customer_external_id',
	'customer_phone',
	'order_number',
	'order_external_id',
	'order_currency',
	'order_total',
	'shipping_address',
	'shipping_address_text',
	'items',
	'item_count',
	'item_quantity_total',
	'item_skus',
	'items_summary',
	'photo_urls',
	'photo_count',
	'signature_image_url',
	'tracking_numbers',
	'carriers',
	'tracking_urls',
	'ticket_subject',
	'ticket_body_text',
	'ticket_body_html',
	'ticket_tags',
	'ticket_external_id',
	'dedupe_key',
];

const CLAIM_FIXTURES = listClaimFixtures().filter((name) => name !== 'shipment-event');

describe('normalizeClaim', () => {
	it('full claim, every field', () => {
		const record = normalizeFixture('full-claim');

		expect(record).toEqual({
			claim_id: '5b7c9a02-3f1e-4d8a-9c61-2e4f0b8d7a13',
			event: 'created',
			event_ref: 'claims/created',
			triggered_at: '2026-03-02T09:15:00+00:00',
			created_at: '2026-03-02T09:14:58+00:00',
			updated_at: '2026-03-02T09:14:58+00:00',
			shop_slug: 'example-shop',
			status: 'pending',
			reason: 'partial_damage',
			reason_label: 'Partial damage',
			resolution_preference: 'refund',
			resolution_label: 'Refund',
			description: 'Box crushed on one corner, the mug inside is chipped.\nThe saucer is fine.',
			customer_email: 'jane.doe@example.com',
			customer_first_name: 'Jane',
			customer_last_name: 'Doe',
			customer_name: 'Jane Doe',
			customer_external_id: 'cust-77',
			customer_phone: '+49 30 1234567',
			order_number: '1001',
			order_external_id: 'order-1001',
			order_currency: 'EUR',
			order_total: 31.9,
			shipping_address: {
				name: 'Jane Doe',
				company: '',
				phone: '+49 30 1234567',
				street: 'Hauptstraße 5',
				address_line_1: 'Hauptstraße 5',
				address_line_2: '2nd floor',
				zip_code: '10115',
				city: 'Berlin',
				province: null,
				province_code: 'BE',
				country: 'Germany',
				country_code: 'DE',
			},
			shipping_address_text: 'Jane Doe, Hauptstraße 5, 2nd floor, 10115 Berlin, BE, Germany',
			items: [
				{
					sku: 'MUG-BLUE-01',
					title: 'Blue mug',
					quantity: 2,
					net_price: 12.5,
					image_urls: ['https://cdn.gokarla.io/products/mug-blue.jpg'],
				},
				{
					sku: 'SAUCER-WHITE-02',
					title: 'White saucer',
					quantity: 1,
					net_price: 6.9,
					image_urls: [],
				},
			],
			item_count: 2,
			item_quantity_total: 3,
			item_skus: ['MUG-BLUE-01', 'SAUCER-WHITE-02'],
			items_summary: '2 × Blue mug (MUG-BLUE-01); 1 × White saucer (SAUCER-WHITE-02)',
			photo_urls: [
				'https://cdn.gokarla.io/claims/5b7c/photo-1.jpg',
				'https://cdn.gokarla.io/claims/5b7c/photo-2.jpg',
				'https://cdn.gokarla.io/claims/5b7c/box.jpg',
			],
			photo_count: 3,
			signature_image_url: 'https://cdn.gokarla.io/claims/5b7c/signature.png',
			tracking_numbers: ['00340434161234567890', '1Z999AA10123456784'],
			carriers: ['dhl', 'ups'],
			tracking_urls: ['https://www.dhl.de/track?piececode=00340434161234567890'],
			ticket_subject: 'Claim for order 1001: Partial damage (refund requested)',
			ticket_body_text: [
				'Reason: Partial damage',
				'Preferred resolution: Refund',
				'Status: Pending',
				'',
				'Description:',
				'Box crushed on one corner, the mug inside is chipped.',
				'The saucer is fine.',
				'',
				'Items:',
				'- 2 × Blue mug (MUG-BLUE-01)',
				'- 1 × White saucer (SAUCER-WHITE-02)',
				'',
				'Photos:',
				'- https://cdn.gokarla.io/claims/5b7c/photo-1.jpg',
				'- https://cdn.gokarla.io/claims/5b7c/photo-2.jpg',
				'- https://cdn.gokarla.io/claims/5b7c/box.jpg',
				'',
				'Order: 1001 (order-1001)',
				'Customer: Jane Doe <jane.doe@example.com>',
				'Phone: +49 30 1234567',
				'Shipping address: Jane Doe, Hauptstraße 5, 2nd floor, 10115 Berlin, BE, Germany',
				'Tracking: 00340434161234567890, 1Z999AA10123456784',
				'Karla claim ID: 5b7c9a02-3f1e-4d8a-9c61-2e4f0b8d7a13',
			].join('\n'),
			ticket_body_html: [
				'<p><strong>Reason:</strong> Partial damage</p>',
				'<p><strong>Preferred resolution:</strong> Refund</p>',
				'<p><strong>Status:</strong> Pending</p>',
				'<p><strong>Description:</strong><br>Box crushed on one corner, the mug inside is chipped.<br>The saucer is fine.</p>',
				'<p><strong>Items:</strong></p>',
				'<ul><li>2 × Blue mug (MUG-BLUE-01)</li><li>1 × White saucer (SAUCER-WHITE-02)</li></ul>',
				'<p><strong>Photos:</strong></p>',
				'<ul>' +
					'<li><a href="https://cdn.gokarla.io/claims/5b7c/photo-1.jpg">https://cdn.gokarla.io/claims/5b7c/photo-1.jpg</a></li>' +
					'<li><a href="https://cdn.gokarla.io/claims/5b7c/photo-2.jpg">https://cdn.gokarla.io/claims/5b7c/photo-2.jpg</a></li>' +
					'<li><a href="https://cdn.gokarla.io/claims/5b7c/box.jpg">https://cdn.gokarla.io/claims/5b7c/box.jpg</a></li>' +
					'</ul>',
				'<p><strong>Order:</strong> 1001 (order-1001)</p>',
				'<p><strong>Customer:</strong> Jane Doe &lt;jane.doe@example.com&gt;</p>',
				'<p><strong>Phone:</strong> +49 30 1234567</p>',
				'<p><strong>Shipping address:</strong> Jane Doe, Hauptstraße 5, 2nd floor, 10115 Berlin, BE, Germany</p>',
				'<p><strong>Tracking:</strong> 00340434161234567890, 1Z999AA10123456784</p>',
				'<p><strong>Karla claim ID:</strong> 5b7c9a02-3f1e-4d8a-9c61-2e4f0b8d7a13</p>',
			].join('\n'),
			ticket_tags: ['karla', 'claim', 'reason_partial_damage', 'prefers_refund', 'status_pending'],
			ticket_external_id: 'karla-claim-5b7c9a02-3f1e-4d8a-9c61-2e4f0b8d7a13',
			dedupe_key: 'claims/created:5b7c9a02-3f1e-4d8a-9c61-2e4f0b8d7a13:2026-03-02T09:14:58+00:00',
		});
	});

	it('full claim, field order', () => {
		expect(Object.keys(normalizeFixture('full-claim'))).toEqual(CONTRACT_FIELDS);
	});

	it.each(CLAIM_FIXTURES)('%s has every contract field', (name) => {
		const record = normalizeFixture(name);
		expect(Object.keys(record)).toEqual(CONTRACT_FIELDS);
		expect(typeof record.claim_id).toBe('string');
		expect(typeof record.event).toBe('string');
		expect(typeof record.description).toBe('string');
		expect(Array.isArray(record.items)).toBe(true);
		expect(record.item_count).toBe(record.items.length);
		expect(record.photo_count).toBe(record.photo_urls.length);
		expect(record.ticket_subject).not.toMatch(/\n/);
		expect(Array.from(record.ticket_subject).length).toBeLessThan(150);
		expect(record.ticket_external_id).toBe(`karla-claim-${record.claim_id}`);
		for (const tag of record.ticket_tags) expect(tag).toMatch(/^[a-z0-9_]+$/);
	});

	it('guest with null ids and no names', () => {
		const record = normalizeFixture('guest-claim');
		expect(record.customer_external_id).toBeNull();
		expect(record.order_external_id).toBeNull();
		expect(record.customer_first_name).toBeNull();
		expect(record.customer_last_name).toBeNull();
		expect(record.customer_name).toBeNull();
		expect(record.customer_email).toBe('guest@example.com');
		expect(record.ticket_body_text).toContain('Customer: guest@example.com');
		expect(record.description).toBe('');
		expect(record.ticket_body_text).not.toContain('Description:');
		expect(record.items[0].net_price).toBeNull();
	});

	it('claim without context', () => {
		const record = normalizeFixture('no-context');
		expect(record.event).toBe('updated');
		expect(record.customer_email).toBeNull();
		expect(record.customer_name).toBeNull();
		expect(record.order_number).toBeNull();
		expect(record.shipping_address).toBeNull();
		expect(record.shipping_address_text).toBeNull();
		expect(record.tracking_numbers).toEqual([]);
		expect(record.carriers).toEqual([]);
		expect(record.tracking_urls).toEqual([]);
		expect(record.ticket_subject).toBe('Claim claim-no-context: Investigation (refund requested)');
	});

	it('nulls where objects are expected', () => {
		const record = normalizeFixture('null-objects');
		expect(record.event).toBe('created');
		expect(record.triggered_at).toBeNull();
		expect(record.updated_at).toBeNull();
		expect(record.status).toBeNull();
		expect(record.reason).toBeNull();
		expect(record.reason_label).toBeNull();
		expect(record.resolution_label).toBeNull();
		expect(record.description).toBe('');
		expect(record.customer_email).toBeNull();
		expect(record.order_number).toBeNull();
		expect(record.order_total).toBeNull();
		expect(record.shipping_address).toBeNull();
		expect(record.signature_image_url).toBeNull();
		expect(record.items).toEqual([
			{ sku: null, title: null, quantity: null, net_price: null, image_urls: [] },
		]);
		expect(record.item_quantity_total).toBe(0);
		expect(record.item_skus).toEqual([]);
		expect(record.items_summary).toBe('Item without title');
		expect(record.photo_urls).toEqual([]);
		expect(record.ticket_subject).toBe('Claim claim-with-nulls');
		expect(record.ticket_tags).toEqual(['karla', 'claim']);
		expect(record.dedupe_key).toBe('claims/created:claim-with-nulls:');
	});

	it.each(['empty-arrays', 'missing-arrays'])('%s gives empty lists', (name) => {
		const record = normalizeFixture(name);
		expect(record.items).toEqual([]);
		expect(record.item_count).toBe(0);
		expect(record.item_quantity_total).toBe(0);
		expect(record.item_skus).toEqual([]);
		expect(record.items_summary).toBe('');
		expect(record.photo_urls).toEqual([]);
		expect(record.photo_count).toBe(0);
		expect(record.tracking_numbers).toEqual([]);
		expect(record.ticket_body_text).not.toContain('Items:');
		expect(record.ticket_body_html).not.toContain('<ul>');
	});

	it('unknown reason, status and resolution', () => {
		const record = normalizeFixture('unknown-values');
		expect(record.reason).toBe('LOST_IN_TRANSIT');
		expect(record.reason_label).toBe('Lost in transit');
		expect(record.status).toBe('waiting_for_carrier');
		expect(record.resolution_preference).toBe('store_credit');
		expect(record.resolution_label).toBe('Store credit');
		expect(record.ticket_subject).toBe(
			'Claim for order 4004: Lost in transit (store credit requested)',
		);
		expect(record.ticket_tags).toEqual([
			'karla',
			'claim',
			'reason_lost_in_transit',
			'prefers_store_credit',
			'status_waiting_for_carrier',
		]);
	});

	it('twenty items', () => {
		const record = normalizeFixture('twenty-items');
		expect(record.item_count).toBe(20);
		expect(record.items).toHaveLength(20);
		expect(record.item_skus[0]).toBe('ITEM-01');
		expect(record.item_skus[19]).toBe('ITEM-20');
		// quantities cycle 2, 3, 1, ... for items 1 to 20
		expect(record.item_quantity_total).toBe(41);
		expect(record.items_summary.split('; ')).toHaveLength(20);
		expect(record.items_summary.startsWith('2 × Glass 1 (ITEM-01); 3 × Glass 2 (ITEM-02)')).toBe(
			true,
		);
		expect(record.ticket_body_text.match(/^- \d+ × Glass/gm)).toHaveLength(20);
	});

	it('non-ASCII names from \\u escapes', () => {
		const record = normalizeFixture('unicode-escaped');
		expect(record.customer_first_name).toBe('Zoë');
		expect(record.customer_name).toBe('Zoë Ångström-Łukasiewicz');
		expect(record.description).toBe('Die Tasse ist zerbrochen – трещина 📦');
		expect(record.order_number).toBe('東京-77');
		expect(record.items_summary).toBe('1 × Kaffeetasse „München“ (TASSE-ÖKO)');
		expect(record.reason_label).toBe('Beschädigt');
		expect(record.ticket_tags).toContain('reason_beschadigt');
		expect(record.shipping_address_text).toBe(
			'Zoë Ångström, Straße des 17. Juni 1, 10623 Berlin, DE',
		);
		expect(record.photo_urls).toEqual(['https://cdn.gokarla.io/claims/ü/Foto Tasse.jpg']);
		expect(record.ticket_body_html).toContain('Zoë Ångström-Łukasiewicz');
	});

	it('HTML in the description is escaped in HTML only', () => {
		const record = normalizeFixture('html-description');
		expect(record.description).toBe('<script>alert(\'x\')</script> <b>broken</b> & "dented"');
		expect(record.ticket_body_text).toContain("<script>alert('x')</script>");
		const html = record.ticket_body_html;
		expect(html).not.toContain('<script>');
		expect(html).not.toContain('<img');
		expect(html).not.toContain('<b>');
		expect(html).toContain(
			'&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &lt;b&gt;broken&lt;/b&gt; &amp; &quot;dented&quot;',
		);
		expect(html).toContain('<li>1 × &lt;img src=x onerror=alert(1)&gt; (&lt;SKU&amp;1&gt;)</li>');
		expect(html).toContain('<strong>Order:</strong> &lt;5005&gt;');
		expect(html).toContain('&lt;Sean&gt; O&#39;Brien &lt;o&#39;brien@example.com&gt;');
	});

	it('photo link href is escaped, javascript URL is not linked', () => {
		const html = normalizeFixture('html-description').ticket_body_html;
		expect(html).toContain(
			'<a href="https://cdn.gokarla.io/claims/html/a.jpg?x=1&amp;y=&quot;2&quot;">',
		);
		expect(html).toContain('<li>javascript:alert(1)</li>');
		expect(html).not.toContain('href="javascript');
	});

	it('numbers sent as strings and strings sent as numbers', () => {
		const record = normalizeFixture('numbers-as-strings');
		expect(record.claim_id).toBe('987654');
		expect(record.order_number).toBe('1001');
		expect(record.order_external_id).toBe('555');
		expect(record.order_total).toBe(49.9);
		expect(record.items.map((item) => item.quantity)).toEqual([2, 3, null]);
		expect(record.items.map((item) => item.net_price)).toEqual([12.5, null, 3]);
		expect(record.items[0].sku).toBe('12345');
		expect(record.item_quantity_total).toBe(5);
		expect(record.items_summary).toBe(
			'2 × Numbered item (12345); 3 × Plate (PLATE-3); Cup (CUP-4)',
		);
	});

	it('duplicate photo URLs are removed in order', () => {
		const record = normalizeFixture('full-claim');
		expect(record.photo_urls).toEqual([
			'https://cdn.gokarla.io/claims/5b7c/photo-1.jpg',
			'https://cdn.gokarla.io/claims/5b7c/photo-2.jpg',
			'https://cdn.gokarla.io/claims/5b7c/box.jpg',
		]);
	});

	it('bare event_data', () => {
		const record = normalizeFixture('bare-event-data');
		expect(record.claim_id).toBe('claim-bare');
		expect(record.event).toBe('created');
		expect(record.event_ref).toBeNull();
		expect(record.customer_email).toBeNull();
		expect(record.order_number).toBeNull();
		expect(record.reason_label).toBe('Damaged');
		expect(record.dedupe_key).toBe('claims:claim-bare:2026-03-10T10:00:00Z');
	});

	it('webhook body equals the envelope', () => {
		const fromBody = normalizeFixture('webhook-body');
		const fromEnvelope = normalizeFixture('full-claim');
		expect(fromBody).toEqual(fromEnvelope);
	});

	it('original event is copied on request', () => {
		const event = loadClaimFixture('full-claim');
		const record = normalizeFixture('full-claim', { includeOriginalEvent: true });
		expect(record.karla_event).toEqual(event);
		expect(Object.keys(record).at(-1)).toBe('karla_event');
		expect(normalizeFixture('full-claim')).not.toHaveProperty('karla_event');
	});

	it('original bare event_data is copied', () => {
		const record = normalizeFixture('bare-event-data', { includeOriginalEvent: true });
		expect(record.karla_event).toEqual(loadClaimFixture('bare-event-data'));
	});

	it('unknown fields do not break output', () => {
		const record = normalizeFixture('unknown-values', { includeOriginalEvent: true });
		const original = record.karla_event as { event_data: { brand_new_field: unknown } };
		expect(original.event_data.brand_new_field).toEqual({ nested: [1, 2, 3] });
	});
});

describe('normalizeClaim event name', () => {
	const eventData = { claim_id: 'c-1', updated_at: 'u' };

	it.each([
		[{ ref: 'claims/created', event_data: eventData }, 'created'],
		[{ ref: 'claims/updated', event_data: { ...eventData, event_name: 'created' } }, 'updated'],
		[{ ref: 'Claims/Updated', event_data: eventData }, 'updated'],
		[{ source: 'claims', event_data: { ...eventData, event_name: 'Updated' } }, 'updated'],
		[{ source: 'claims', event_data: { ...eventData, event_name: 'CLAIM_CREATED' } }, 'created'],
		[{ source: 'claims', event_group: 'claim_updated', event_data: eventData }, 'updated'],
		[{ source: 'claims', event_data: eventData }, 'unknown'],
	])('%j gives %s', (event, expected) => {
		const result = normalizeClaim(event);
		expect(recordOf(result).event).toBe(expected);
	});
});

describe('normalizeClaim odd shapes', () => {
	it.each([
		['null', null],
		['string', 'claims/created'],
		['number', 42],
		['array', [{ claim_id: 'x' }]],
		['empty object', {}],
		['event_data null', { source: 'claims', event_data: null }],
		['event_data string', { ref: 'claims/created', event_data: 'x' }],
		['claim_id empty', { ref: 'claims/created', event_data: { claim_id: '  ' } }],
		['claim_id object', { event_data: { claim_id: { id: 1 } } }],
		['bare claim_id null', { claim_id: null }],
		['body string', { body: '{"event_data":{"claim_id":"x"}}' }],
	])('%s is reported, not thrown', (_, value) => {
		const result = normalizeClaim(value);
		expect(result.ok).toBe(false);
	});

	it.each([
		['context array', { context: [] }],
		['context string', { context: 'none' }],
		['customer array', { context: { customer: ['Jane'] } }],
		['order number', { context: { order: 17 } }],
		['shipments object', { context: { shipments: { tracking_number: 'x' } } }],
		['shipments with nulls', { context: { shipments: [null, 'x', { tracking_number: 5 }] } }],
		['items object', { event_data: { claim_id: 'c', selected_items: { sku: 'x' } } }],
		['image_urls string', { event_data: { claim_id: 'c', image_urls: 'https://x/y.jpg' } }],
		['address array', { context: { order: { address: ['Main St'] } } }],
		['description number', { event_data: { claim_id: 'c', description: 12 } }],
		['reason number', { event_data: { claim_id: 'c', reason: 404 } }],
		['quantity NaN text', { event_data: { claim_id: 'c', selected_items: [{ quantity: 'NaN' }] } }],
	])('%s still gives a whole record', (_, patch) => {
		const event = {
			source: 'claims',
			ref: 'claims/created',
			event_data: { claim_id: 'c' },
			...patch,
		};
		const result = normalizeClaim(event);
		expect(result.ok).toBe(true);
		if (result.ok) expect(Object.keys(result.record)).toEqual(CONTRACT_FIELDS);
	});

	it('shipment numbers become strings', () => {
		const result = normalizeClaim({
			ref: 'claims/created',
			event_data: { claim_id: 'c' },
			context: { shipments: [null, 'x', { tracking_number: 5, carrier: 'gls' }] },
		});
		expect(recordOf(result).tracking_numbers).toEqual(['5']);
		expect(recordOf(result).carriers).toEqual(['gls']);
	});

	it('reason number is kept as text', () => {
		const result = normalizeClaim({
			ref: 'claims/created',
			event_data: { claim_id: 'c', reason: 404 },
		});
		expect(recordOf(result).reason).toBe('404');
	});
});

describe('detectClaimInput', () => {
	it('envelope', () => {
		const detection = detectClaimInput(loadClaimFixture('full-claim'));
		expect(inputOf(detection).shape).toBe('envelope');
	});

	it('webhook node body', () => {
		const detection = detectClaimInput(loadClaimFixture('webhook-body'));
		expect(inputOf(detection).shape).toBe('webhook_body');
	});

	it('bare event_data', () => {
		const detection = detectClaimInput(loadClaimFixture('bare-event-data'));
		expect(inputOf(detection).shape).toBe('event_data');
		expect(inputOf(detection).envelope).toBeNull();
	});

	it('trigger item with delivery metadata', () => {
		const event = loadClaimFixture('full-claim') as Record<string, unknown>;
		const detection = detectClaimInput({ ...event, karla_delivery: { dedupe_key: 'x' } });
		expect(inputOf(detection).shape).toBe('envelope');
	});

	it('shipment event names the missing claim id', () => {
		const detection = detectClaimInput(loadClaimFixture('shipment-event'));
		expect(detection).toEqual({
			supported: false,
			problem: 'not_a_claim_event',
			missing: 'event_data.claim_id',
			found: 'a shipments/delivered/SUCCESSFULLY_DELIVERED event',
		});
	});

	it('shipment event inside a webhook body', () => {
		const detection = detectClaimInput({ body: loadClaimFixture('shipment-event') });
		expect(detection.supported).toBe(false);
		expect(problemOf(detection).problem).toBe('not_a_claim_event');
	});

	it('shipment source without ref', () => {
		const detection = detectClaimInput({ source: 'shipments', event_data: { shipment_id: 's' } });
		expect(problemOf(detection).found).toBe('a shipments event');
	});

	it('event without event_data', () => {
		const detection = detectClaimInput({ source: 'claims', ref: 'claims/created' });
		expect(problemOf(detection).missing).toBe('event_data');
	});

	it('claim without claim id', () => {
		const detection = detectClaimInput({ ref: 'claims/created', event_data: { reason: 'x' } });
		expect(problemOf(detection).missing).toBe('event_data.claim_id');
		expect(problemOf(detection).problem).toBe('missing_claim_id');
	});

	it('arbitrary object', () => {
		const detection = detectClaimInput({ hello: 'world' });
		expect(detection).toEqual({
			supported: false,
			problem: 'missing_event_data',
			missing: 'event_data',
			found: 'an object that is not a Karla event',
		});
	});

	it('non-object values', () => {
		expect(detectClaimInput(null)).toMatchObject({ supported: false, found: 'a null value' });
		expect(detectClaimInput('x')).toMatchObject({ supported: false, found: 'a string value' });
		expect(detectClaimInput([])).toMatchObject({ supported: false, found: 'an array' });
	});
});

describe('expandPerProduct', () => {
	it('one record per item', () => {
		const record = normalizeFixture('full-claim');
		const products = expandPerProduct(record);
		expect(products).toHaveLength(2);
		expect(products[0]).toMatchObject({
			item_index: 0,
			item_sku: 'MUG-BLUE-01',
			item_title: 'Blue mug',
			item_quantity: 2,
			item_net_price: 12.5,
		});
		expect(products[1]).toMatchObject({
			item_index: 1,
			item_sku: 'SAUCER-WHITE-02',
			item_title: 'White saucer',
			item_quantity: 1,
			item_net_price: 6.9,
		});
	});

	it('keeps every claim field', () => {
		const record = normalizeFixture('full-claim');
		for (const product of expandPerProduct(record)) {
			expect(Object.keys(product)).toEqual([
				...CONTRACT_FIELDS,
				'item_index',
				'item_sku',
				'item_title',
				'item_quantity',
				'item_net_price',
			]);
			expect(product.claim_id).toBe(record.claim_id);
			expect(product.ticket_subject).toBe(record.ticket_subject);
			expect(product.dedupe_key).toBe(record.dedupe_key);
		}
	});

	it('claim without items gives one record', () => {
		const products = expandPerProduct(normalizeFixture('empty-arrays'));
		expect(products).toHaveLength(1);
		expect(products[0]).toMatchObject({
			claim_id: 'claim-empty-arrays',
			item_index: null,
			item_sku: null,
			item_title: null,
			item_quantity: null,
			item_net_price: null,
		});
	});

	it('twenty items give twenty records', () => {
		const products = expandPerProduct(normalizeFixture('twenty-items'));
		expect(products).toHaveLength(20);
		expect(products.map((product) => product.item_index)).toEqual([...Array(20).keys()]);
	});

	it('numbers as strings per product', () => {
		const products = expandPerProduct(normalizeFixture('numbers-as-strings'));
		expect(products.map((product) => product.item_quantity)).toEqual([2, 3, null]);
		expect(products.map((product) => product.item_net_price)).toEqual([12.5, null, 3]);
	});
});

describe('formatAddress', () => {
	it('leaves out empty parts', () => {
		expect(formatAddress({ street: ' ', city: 'Berlin', zip_code: null, country_code: 'DE' })).toBe(
			'Berlin, DE',
		);
	});

	it('joins first and last name without a name', () => {
		expect(formatAddress({ first_name: 'Jane', last_name: 'Doe', city: 'Paris' })).toBe(
			'Jane Doe, Paris',
		);
	});

	it('does not repeat address_line_1 equal to street', () => {
		expect(formatAddress({ street: 'Main St 1', address_line_1: 'Main St 1' })).toBe('Main St 1');
	});

	it('null when empty', () => {
		expect(formatAddress({})).toBeNull();
		expect(formatAddress(null)).toBeNull();
	});
});

describe('summarizeItem', () => {
	it.each([
		[{ sku: 'A', title: 'Mug', quantity: 2, net_price: null, image_urls: [] }, '2 × Mug (A)'],
		[{ sku: 'A', title: null, quantity: 1, net_price: null, image_urls: [] }, '1 × A'],
		[{ sku: null, title: 'Mug', quantity: null, net_price: null, image_urls: [] }, 'Mug'],
	])('%j', (item, expected) => {
		expect(summarizeItem(item)).toBe(expected);
	});
});

describe('buildClaimRecord', () => {
	it('customer id falls back to the order', () => {
		const record = buildClaimRecord({
			shape: 'envelope',
			envelope: { context: { order: { external_customer_id: 'cust-9' } } },
			eventData: { claim_id: 'c' },
			claimId: 'c',
		});
		expect(record.customer_external_id).toBe('cust-9');
	});

	it('phone prefers the customer', () => {
		const record = buildClaimRecord({
			shape: 'envelope',
			envelope: {
				context: {
					customer: { phone: ' +1 555 0100 ' },
					order: { address: { phone: '+1 555 0199' } },
				},
			},
			eventData: { claim_id: 'c' },
			claimId: 'c',
		});
		expect(record.customer_phone).toBe('+1 555 0100');
	});
});
