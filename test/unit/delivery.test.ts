import {
	buildDedupeKey,
	checkDeliveryHeader,
	handleDelivery,
	resolveEventRef,
	type DeliveryOutcome,
	type DeliverySettings,
} from '../../nodes/shared/delivery';
import { normalizeClaim } from '../../nodes/shared/normalize';
import { karlaSignature } from '../helpers/signer';

const SECRET = 'delivery-secret-0123456789';
const NOW_MS = 1_767_225_600_000;
const T = NOW_MS / 1000;

const SETTINGS: DeliverySettings = {
	events: ['claims/created', 'claims/updated'],
	toleranceSeconds: 300,
	nonClaimEvents: 'ignore',
	invalidClaims: 'emit',
};

const claim = (ref = 'claims/created', extra: Record<string, unknown> = {}) => ({
	source: 'claims',
	ref,
	version: 1,
	triggered_at: '2026-01-01T00:00:00+00:00',
	event_group: ref === 'claims/created' ? 'claim_created' : 'claim_updated',
	event_data: {
		claim_id: 'claim-1',
		event_name: ref.split('/')[1],
		updated_at: '2026-01-01T00:00:00Z',
		reason: 'partial_damage',
		future_field: { nested: true },
	},
	context: { customer: { email: 'jane.doe@example.com' } },
	...extra,
});

function deliver(
	body: string,
	settings: Partial<DeliverySettings> = {},
	header: string | null = karlaSignature(SECRET, body, T),
) {
	return handleDelivery(
		{
			signatureHeader: header ?? undefined,
			rawBody: Buffer.from(body, 'utf8'),
			secrets: { current: SECRET },
			receivedAtMs: NOW_MS,
		},
		{ ...SETTINGS, ...settings },
	);
}

/** Asserts that the delivery was emitted and returns the emitted outcome. */
function emitted(outcome: DeliveryOutcome): Extract<DeliveryOutcome, { action: 'emit' }> {
	expect(outcome.action).toBe('emit');
	if (outcome.action !== 'emit') throw new Error(`Expected emit, got ${outcome.action}`);
	return outcome;
}

describe('handleDelivery', () => {
	it('emits an authentic claim', () => {
		const outcome = deliver(JSON.stringify(claim()));
		expect(outcome.action).toBe('emit');
		if (outcome.action !== 'emit') return;
		expect(outcome.item.event_data).toEqual(claim().event_data);
		expect(outcome.metadata).toMatchObject({
			signature_timestamp: T,
			received_at: new Date(NOW_MS).toISOString(),
			matched_secret: 'current',
			dedupe_key: 'claims/created:claim-1:2026-01-01T00:00:00Z',
			event_ref: 'claims/created',
			validation: { valid: true, issues: [] },
		});
		expect(outcome.metadata.body_sha256).toMatch(/^[0-9a-f]{64}$/);
		expect(outcome.item.karla_delivery).toBe(outcome.metadata);
	});

	it('keeps unknown fields untouched', () => {
		const body = JSON.stringify(claim('claims/created', { brand_new: [1, { a: null }] }));
		const outcome = deliver(body);
		expect(emitted(outcome).item.brand_new).toEqual([1, { a: null }]);
	});

	it('rejects a missing header with 401', () => {
		expect(deliver('{}', {}, null)).toMatchObject({
			action: 'reject',
			status: 401,
			reason: 'missing_header',
		});
	});

	it('rejects a forged signature with 401', () => {
		const body = JSON.stringify(claim());
		const forged = karlaSignature('wrong-secret-0123456789', body, T);
		expect(deliver(body, {}, forged)).toMatchObject({
			status: 401,
			reason: 'no_matching_signature',
		});
	});

	it('rejects a stale delivery with 401', () => {
		const body = JSON.stringify(claim());
		expect(deliver(body, {}, karlaSignature(SECRET, body, T - 301))).toMatchObject({
			status: 401,
			reason: 'timestamp_outside_tolerance',
		});
	});

	it('rejects a future delivery with 401', () => {
		const body = JSON.stringify(claim());
		expect(deliver(body, {}, karlaSignature(SECRET, body, T + 301))).toMatchObject({
			status: 401,
			reason: 'timestamp_outside_tolerance',
		});
	});

	it('keeps payload data out of rejection bodies', () => {
		const body = JSON.stringify(claim());
		const outcome = deliver(body, {}, karlaSignature('wrong-secret-0123456789', body, T));
		const text = JSON.stringify(outcome.action === 'reject' && outcome.body);
		expect(text).not.toContain('jane.doe');
		expect(text).not.toContain(SECRET);
	});

	it('rejects an authentic body that is not JSON with 400', () => {
		expect(deliver('not json {')).toMatchObject({ status: 400, reason: 'body_not_json' });
	});

	it('rejects an authentic empty body with 400', () => {
		expect(deliver('')).toMatchObject({ status: 400, reason: 'body_not_json' });
	});

	it('ignores an unselected claim event', () => {
		const outcome = deliver(JSON.stringify(claim('claims/updated')), {
			events: ['claims/created'],
		});
		expect(outcome).toMatchObject({
			action: 'ignore',
			status: 200,
			reason: 'event_not_selected',
			body: { received: true, ignored: 'event_not_selected' },
		});
	});

	it('ignores a shipment event', () => {
		const shipment = {
			source: 'shipments',
			ref: 'shipments/delivered/SUCCESSFULLY_DELIVERED',
			event_data: { shipment_id: 's-1', tracking_number: '00340434' },
		};
		expect(deliver(JSON.stringify(shipment))).toMatchObject({
			action: 'ignore',
			reason: 'not_a_claim_event',
		});
	});

	it('emits a shipment event when asked to', () => {
		const shipment = { source: 'shipments', ref: 'shipments/in_transit', event_data: {} };
		const outcome = deliver(JSON.stringify(shipment), { nonClaimEvents: 'emit' });
		expect(outcome.action).toBe('emit');
		expect(emitted(outcome).metadata.validation.valid).toBe(true);
	});

	it('emits an invalid claim with its problems', () => {
		const body = JSON.stringify({ source: 'claims', ref: 'claims/created', event_data: {} });
		const outcome = deliver(body);
		expect(outcome.action).toBe('emit');
		if (outcome.action !== 'emit') return;
		expect(outcome.metadata.validation.valid).toBe(false);
		expect(outcome.metadata.validation.issues).toContainEqual(
			expect.objectContaining({ path: 'event_data.claim_id' }),
		);
		expect(outcome.metadata.dedupe_key).toBe(`body:${outcome.metadata.body_sha256}`);
	});

	it('rejects an invalid claim with 400 when asked to', () => {
		const body = JSON.stringify({ source: 'claims', ref: 'claims/created', event_data: null });
		expect(deliver(body, { invalidClaims: 'reject' })).toMatchObject({
			action: 'reject',
			status: 400,
			reason: 'invalid_claim',
		});
	});

	it('treats an event without source or ref as a claim', () => {
		const outcome = deliver(JSON.stringify({ hello: 'world' }));
		expect(emitted(outcome).metadata.validation.valid).toBe(false);
	});

	it('keeps a JSON value that is not an object', () => {
		const outcome = deliver('[1,2,3]');
		expect(outcome.action).toBe('emit');
		expect(emitted(outcome).item.payload).toEqual([1, 2, 3]);
	});

	it('ignores an unknown claim ref', () => {
		const outcome = deliver(JSON.stringify(claim('claims/archived')));
		expect(outcome).toMatchObject({ action: 'ignore', reason: 'event_not_selected' });
	});

	it('compares refs without case', () => {
		const updated = JSON.stringify(claim('Claims/Updated'));
		expect(deliver(updated, { events: ['claims/created'] })).toMatchObject({
			action: 'ignore',
			reason: 'event_not_selected',
		});
		expect(deliver(updated).action).toBe('emit');
	});

	it('filters an event named CLAIM_UPDATED', () => {
		const event = {
			source: 'claims',
			event_data: { claim_id: 'c-1', event_name: 'CLAIM_UPDATED' },
		};
		expect(deliver(JSON.stringify(event), { events: ['claims/created'] })).toMatchObject({
			action: 'ignore',
			eventRef: 'claims/updated',
		});
	});

	it('accepts a numeric claim_id', () => {
		const event = claim('claims/created');
		const body = JSON.stringify({ ...event, event_data: { ...event.event_data, claim_id: 4711 } });
		const outcome = deliver(body, { invalidClaims: 'reject' });
		expect(outcome.action).toBe('emit');
	});

	it('emits an authentic body that starts with a byte order mark', () => {
		const body = Buffer.concat([
			Buffer.from([0xef, 0xbb, 0xbf]),
			Buffer.from(JSON.stringify(claim()), 'utf8'),
		]);
		const outcome = handleDelivery(
			{
				signatureHeader: karlaSignature(SECRET, body, T),
				rawBody: body,
				secrets: { current: SECRET },
				receivedAtMs: NOW_MS,
			},
			SETTINGS,
		);
		expect(outcome.action).toBe('emit');
		expect(emitted(outcome).item.event_data).toEqual(claim().event_data);
	});

	it('keys a numeric claim_id like Karla Claim Normalize does', () => {
		const body = JSON.stringify(claim('claims/created', { event_data: { claim_id: 4711 } }));
		const outcome = deliver(body);
		expect(outcome.action).toBe('emit');
		if (outcome.action !== 'emit') return;
		const normalized = normalizeClaim(JSON.parse(body));
		expect(normalized.ok).toBe(true);
		if (!normalized.ok) return;
		expect(normalized.record.dedupe_key).toBe(outcome.metadata.dedupe_key);
		expect(outcome.metadata.dedupe_key).toBe('claims/created:4711:');
	});

	it('decodes pretty-printed and escaped bodies', () => {
		const body =
			'{\n  "source": "claims",\n  "ref": "claims/created",\n  "event_data": {\n    "claim_id": "c-\\u00e9"\n  }\n}';
		const outcome = deliver(body);
		expect(emitted(outcome).item.event_data).toEqual({ claim_id: 'c-é' });
	});
});

describe('checkDeliveryHeader', () => {
	const body = JSON.stringify(claim());

	/** Passes the header the check returns to handleDelivery, as the trigger does. */
	function deliverChecked(header: string, secret = SECRET) {
		const check = checkDeliveryHeader(header, NOW_MS, SETTINGS);
		if (!('header' in check)) throw new Error('Expected the header to pass the check');
		return handleDelivery(
			{
				signatureHeader: check.header,
				rawBody: Buffer.from(body, 'utf8'),
				secrets: { current: secret },
				receivedAtMs: NOW_MS,
			},
			SETTINGS,
		);
	}

	it.each([
		['no header', undefined],
		['an empty header', ' '],
		['a header without v1', `t=${T}`],
		['a stale timestamp', karlaSignature(SECRET, body, T - 301)],
		['a future timestamp', karlaSignature(SECRET, body, T + 301)],
	])('answers %s as handleDelivery does', (_name, header) => {
		const check = checkDeliveryHeader(header, NOW_MS, SETTINGS);
		expect(check).toEqual({ rejection: deliver(body, {}, header ?? null) });
	});

	it('passes current headers on parsed', () => {
		const header = karlaSignature('another-secret-0123', body, T);
		expect(checkDeliveryHeader(header, NOW_MS, SETTINGS)).toEqual({
			header: { timestamp: T, signatures: [header.split('v1=')[1]] },
		});
	});

	it('gives handleDelivery the same outcome', () => {
		const valid = karlaSignature(SECRET, body, T);
		const forged = karlaSignature('another-secret-0123', body, T);
		expect(deliverChecked(valid)).toEqual(deliver(body, {}, valid));
		expect(deliverChecked(forged)).toEqual(deliver(body, {}, forged));
		expect(deliverChecked(forged).action).toBe('reject');
	});

	it('uses the tolerance setting', () => {
		const header = karlaSignature(SECRET, body, T - 400);
		const check = checkDeliveryHeader(header, NOW_MS, { ...SETTINGS, toleranceSeconds: 600 });
		expect(check).toHaveProperty('header');
	});
});

describe('resolveEventRef', () => {
	it('prefers ref', () => {
		expect(resolveEventRef(claim('claims/updated'))).toBe('claims/updated');
	});

	it('falls back to event_name', () => {
		expect(resolveEventRef({ source: 'claims', event_data: { event_name: 'CREATED' } })).toBe(
			'claims/created',
		);
	});

	it('returns null for other values', () => {
		expect(resolveEventRef(null)).toBeNull();
		expect(resolveEventRef([])).toBeNull();
	});
});

describe('buildDedupeKey', () => {
	it('is stable across redeliveries', () => {
		const first = buildDedupeKey('claims/updated', 'c-1', '2026-01-01T00:00:00Z', 'a');
		const again = buildDedupeKey('claims/updated', 'c-1', '2026-01-01T00:00:00Z', 'b');
		expect(first).toBe(again);
	});

	it('differs per update', () => {
		expect(buildDedupeKey('claims/updated', 'c-1', '2026-01-01T00:00:00Z', 'a')).not.toBe(
			buildDedupeKey('claims/updated', 'c-1', '2026-01-02T00:00:00Z', 'a'),
		);
	});
});
