import { createHmac } from 'crypto';

import { handleDelivery } from '../nodes/shared/delivery';
import { buildBenchBody, BODY_SIZES_BYTES, type BodyLabel } from './lib/bodies';

/**
 * Runs handleDelivery (or, with `floor`, one HMAC and one JSON.parse) in a loop on one body size,
 * for a CPU profile:
 *   node --cpu-prof --cpu-prof-dir=.tmp/profiles --import tsx bench/profile-receive.ts "1 KB" 5 [floor]
 * then `npx tsx bench/profile-summary.ts .tmp/profiles/<file>.cpuprofile`.
 */

const label = (process.argv[2] ?? '1 KB') as BodyLabel;
if (!(label in BODY_SIZES_BYTES)) {
	throw new Error(
		`Unknown body size "${label}": use one of ${Object.keys(BODY_SIZES_BYTES).join(', ')}`,
	);
}
const seconds = Number(process.argv[3] ?? '5');

const secret = '8f14e45f-ceea-467f-a0e6-4f2b1c9d3e70';
const timestampSeconds = 1_772_442_900;
const body = buildBenchBody(label);
const v1 = createHmac('sha256', secret)
	.update(`${timestampSeconds}.`)
	.update(body.bytes)
	.digest('hex');
const request = {
	signatureHeader: `t=${timestampSeconds},v1=${v1}`,
	rawBody: body.bytes,
	secrets: { current: secret },
	receivedAtMs: timestampSeconds * 1000,
};
const settings = {
	events: ['claims/created', 'claims/updated'] as const,
	toleranceSeconds: 300,
	nonClaimEvents: 'ignore' as const,
	invalidClaims: 'emit' as const,
};

const floor = process.argv[4] === 'floor';

function receiveAsFloor(): boolean {
	const mac = createHmac('sha256', secret)
		.update(`${timestampSeconds}.`)
		.update(body.bytes)
		.digest('hex');
	const event = JSON.parse(body.bytes.toString('utf8')) as { ref?: unknown };
	return mac.length > 0 && event.ref === 'claims/created';
}

const deadline = Date.now() + seconds * 1000;
let deliveries = 0;
let accepted = 0;
while (Date.now() < deadline) {
	for (let index = 0; index < 100; index++) {
		const ok = floor ? receiveAsFloor() : handleDelivery(request, settings).action === 'emit';
		if (ok) accepted++;
	}
	deliveries += 100;
}
console.log(
	`${deliveries} deliveries of the ${label} body (${floor ? 'floor' : 'package'}), ${accepted} accepted`,
);
