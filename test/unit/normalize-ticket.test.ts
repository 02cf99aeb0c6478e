import { handleDelivery } from '../../nodes/shared/delivery';
import {
	normalizeClaim,
	type NormalizedClaim,
	type NormalizeResult,
} from '../../nodes/shared/normalize';
import {
	buildTicketSubject,
	buildTicketTags,
	escapeHtml,
	humanizeLabel,
	MAX_SUBJECT_LENGTH,
	toTagPart,
} from '../../nodes/shared/ticket';
import { readClaimFixtureBytes } from '../helpers/claim-fixtures';
import { karlaSignature } from '../helpers/signer';

function recordOf(result: NormalizeResult): NormalizedClaim {
	if (!result.ok) throw new Error(`expected a claim record, got ${result.problem}`);
	return result.record;
}

describe('humanizeLabel', () => {
	it.each([
		['partial_damage', 'Partial damage'],
		['damage', 'Damage'],
		['damaged', 'Damaged'],
		['investigation', 'Investigation'],
		['refund', 'Refund'],
		['reorder', 'Reorder'],
		['store_credit', 'Store credit'],
		['LOST_IN_TRANSIT', 'Lost in transit'],
		['wrong__item ', 'Wrong item'],
		['DHL_delay', 'DHL delay'],
		['beschädigt', 'Beschädigt'],
	])('%s', (value, label) => {
		expect(humanizeLabel(value)).toBe(label);
	});

	it('blank and null', () => {
		expect(humanizeLabel(null)).toBeNull();
		expect(humanizeLabel(' _ ')).toBeNull();
	});
});

describe('escapeHtml', () => {
	it('escapes the five special characters', () => {
		expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe(
			'&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;',
		);
	});

	it('escapes an ampersand only once', () => {
		expect(escapeHtml('&amp;')).toBe('&amp;amp;');
	});
});

describe('toTagPart', () => {
	it.each([
		['partial_damage', 'partial_damage'],
		['Store Credit', 'store_credit'],
		['beschädigt', 'beschadigt'],
		['  -weird--value!! ', 'weird_value'],
		['東京', ''],
	])('%s', (value, part) => {
		expect(toTagPart(value)).toBe(part);
	});
});

describe('buildTicketTags', () => {
	it('reason, resolution and status', () => {
		expect(
			buildTicketTags({
				reason: 'partial_damage',
				resolution_preference: 'refund',
				status: 'pending',
			}),
		).toEqual(['karla', 'claim', 'reason_partial_damage', 'prefers_refund', 'status_pending']);
	});

	it('leaves out missing and unusable values', () => {
		expect(buildTicketTags({ reason: '東京', resolution_preference: null, status: null })).toEqual([
			'karla',
			'claim',
		]);
	});
});

describe('buildTicketSubject', () => {
	const base = {
		claim_id: 'c-1',
		order_number: '1001',
		reason_label: 'Partial damage',
		resolution_label: 'Refund',
	};

	it('order, reason and resolution', () => {
		expect(buildTicketSubject(base)).toBe(
			'Claim for order 1001: Partial damage (refund requested)',
		);
	});

	it('claim id without an order', () => {
		expect(buildTicketSubject({ ...base, order_number: null, resolution_label: null })).toBe(
			'Claim c-1: Partial damage',
		);
	});

	it('line breaks become spaces', () => {
		expect(buildTicketSubject({ ...base, order_number: '10\r\n01\u2028x' })).toBe(
			'Claim for order 10 01 x: Partial damage (refund requested)',
		);
	});

	it('long subject is cut under 150 characters', () => {
		const subject = buildTicketSubject({ ...base, reason_label: 'Ä'.repeat(400) });
		expect(Array.from(subject)).toHaveLength(MAX_SUBJECT_LENGTH);
		expect(subject.endsWith('…')).toBe(true);
	});

	it('cut never splits an emoji', () => {
		const subject = buildTicketSubject({ ...base, reason_label: '📦'.repeat(200) });
		expect(subject).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
		expect(Array.from(subject).length).toBeLessThan(150);
	});
});

describe('dedupe_key', () => {
	it('equals the trigger key for the same event', () => {
		const body = readClaimFixtureBytes('full-claim');
		const receivedAtMs = Date.UTC(2026, 2, 2, 9, 15, 1);
		const outcome = handleDelivery(
			{
				signatureHeader: karlaSignature('normalize-secret-0123', body, receivedAtMs / 1000),
				rawBody: body,
				secrets: { current: 'normalize-secret-0123' },
				receivedAtMs,
			},
			{
				events: ['claims/created', 'claims/updated'],
				toleranceSeconds: 300,
				nonClaimEvents: 'ignore',
				invalidClaims: 'emit',
			},
		);
		if (outcome.action !== 'emit') throw new Error(`delivery was not emitted: ${outcome.action}`);

		const result = normalizeClaim(outcome.item);
		expect(recordOf(result).dedupe_key).toBe(outcome.metadata.dedupe_key);
	});

	it('equals the trigger key without ref', () => {
		const event = {
			source: 'claims',
			event_data: { claim_id: 'c-2', event_name: 'Updated', updated_at: '2026-01-01T00:00:00Z' },
		};
		const body = Buffer.from(JSON.stringify(event));
		const receivedAtMs = Date.UTC(2026, 0, 1);
		const outcome = handleDelivery(
			{
				signatureHeader: karlaSignature('normalize-secret-0123', body, receivedAtMs / 1000),
				rawBody: body,
				secrets: { current: 'normalize-secret-0123' },
				receivedAtMs,
			},
			{
				events: ['claims/created', 'claims/updated'],
				toleranceSeconds: 300,
				nonClaimEvents: 'ignore',
				invalidClaims: 'emit',
			},
		);
		if (outcome.action !== 'emit') throw new Error(`delivery was not emitted: ${outcome.action}`);

		const result = normalizeClaim(outcome.item);
		expect(recordOf(result).dedupe_key).toBe(outcome.metadata.dedupe_key);
		expect(recordOf(result).dedupe_key).toBe('claims/updated:c-2:2026-01-01T00:00:00Z');
	});

	it('changes with updated_at', () => {
		const first = normalizeClaim({
			ref: 'claims/updated',
			event_data: { claim_id: 'c', updated_at: '2026-01-01T00:00:00Z' },
		});
		const second = normalizeClaim({
			ref: 'claims/updated',
			event_data: { claim_id: 'c', updated_at: '2026-01-02T00:00:00Z' },
		});
		expect(recordOf(first).dedupe_key).not.toBe(recordOf(second).dedupe_key);
	});
});
