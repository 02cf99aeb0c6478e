import { readFileSync } from 'fs';
import { join } from 'path';

import { claimEventSchema, validateClaimEvent } from '../../nodes/shared/schemas';

// validateClaimEvent tries a field-by-field check before zod, for speed. These cases mutate a full
// claim event at random (every schema field set to values of each JSON type, removed, or given
// the wrong shape) and check that it always reaches zod's verdict.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const REPLACEMENTS: unknown[] = [
	undefined,
	null,
	true,
	0,
	-1.5,
	Number.NaN,
	Number.POSITIVE_INFINITY,
	'',
	'x',
	'12.50',
	[],
	[null],
	[1, 'a'],
	{},
	{ nested: { deeper: [1] } },
	new Date(0),
	Object.create(null),
];

const PATHS: string[][] = [
	[],
	['source'],
	['ref'],
	['version'],
	['triggered_at'],
	['event_group'],
	['event_data'],
	['context'],
	['shop_slug'],
	['shop_id'],
	['event_data', 'claim_id'],
	['event_data', 'event_name'],
	['event_data', 'created_at'],
	['event_data', 'updated_at'],
	['event_data', 'status'],
	['event_data', 'reason'],
	['event_data', 'description'],
	['event_data', 'customer_signature_image_url'],
	['event_data', 'selected_items'],
	['event_data', 'selected_items', '0'],
	['event_data', 'selected_items', '0', 'quantity'],
	['event_data', 'image_urls'],
	['event_data', 'image_urls', '0'],
	['event_data', 'optional_image_urls'],
	['event_data', 'unknown_field'],
	['context', 'order'],
	['context', 'order', 'order_number'],
	['context', 'customer'],
	['context', 'customer', 'email'],
	['context', 'shipments'],
	['context', 'claims'],
	['context', 'unknown_field'],
];

/** Deterministic pseudo-random numbers, so that a failure can be reproduced. */
function makeRandom(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state * 1_664_525 + 1_013_904_223) >>> 0;
		return state / 2 ** 32;
	};
}

function setPath(target: unknown, path: string[], value: unknown): unknown {
	if (path.length === 0) return value;
	if (typeof target !== 'object' || target === null) return target;
	let node = target as Record<string, unknown>;
	for (const key of path.slice(0, -1)) {
		const next = node[key];
		if (typeof next !== 'object' || next === null) return target;
		node = next as Record<string, unknown>;
	}
	const last = path[path.length - 1];
	if (value === undefined) delete node[last];
	else node[last] = value;
	return target;
}

const CASES = 5_000;

describe('validateClaimEvent', () => {
	it('agrees with the zod schema', () => {
		const random = makeRandom(20_260_302);
		const base = JSON.parse(
			readFileSync(join(__dirname, '..', 'fixtures', 'claims', 'full-claim.json'), 'utf8'),
		) as Json;
		let invalid = 0;
		for (let index = 0; index < CASES; index++) {
			let event: unknown = structuredClone(base);
			const mutations = 1 + Math.floor(random() * 3);
			for (let step = 0; step < mutations; step++) {
				const path = PATHS[Math.floor(random() * PATHS.length)];
				const replacement = REPLACEMENTS[Math.floor(random() * REPLACEMENTS.length)];
				event = setPath(event, path, replacement);
			}
			const expected = claimEventSchema.safeParse(event).success;
			if (!expected) invalid++;
			if (validateClaimEvent(event).valid !== expected) {
				throw new Error(`Case ${index} differs from zod: ${JSON.stringify(event).slice(0, 600)}`);
			}
		}
		// The mutations must produce both verdicts, or the comparison proves nothing.
		expect(invalid).toBeGreaterThan(CASES / 10);
		expect(invalid).toBeLessThan(CASES);
	});
});
