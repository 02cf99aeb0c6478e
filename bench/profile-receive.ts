import { createHmac } from 'crypto';

import {
	checkDeliveryHeader,
	handleDelivery,
	type DeliverySettings,
} from '../nodes/shared/delivery';
import { buildBenchBody, BODY_SIZES_BYTES, type BodyLabel } from './lib/bodies';

/**
 * Runs the floor (one HMAC and one JSON.parse, in `receiveAsFloor`) and handleDelivery (in
 * `receiveAsPackage`) in alternating loops on one body size, for a CPU profile of both in one
 * process:
 *   node --cpu-prof --cpu-prof-dir=.tmp/profiles --import tsx bench/profile-receive.ts "1 KB" 10
 *   npx tsx bench/profile-summary.ts .tmp/profiles/<file>.cpuprofile 25 receiveAsFloor receiveAsPackage
 */

const label = (process.argv[2] ?? '1 KB') as BodyLabel;
if (!(label in BODY_SIZES_BYTES)) {
	const sizes = Object.keys(BODY_SIZES_BYTES).join(', ');
	throw new Error(`Unknown body size "${label}": use one of ${sizes}`);
}
const seconds = Number(process.argv[3] ?? '10');

const secret = '8f14e45f-ceea-467f-a0e6-4f2b1c9d3e70';
const timestampSeconds = Math.floor(Date.now() / 1000);
const body = buildBenchBody(label);
const v1 = createHmac('sha256', secret)
	.update(`${timestampSeconds}.`)
	.update(body.bytes)
	.digest('hex');
const signatureHeader = `t=${timestampSeconds},v1=${v1}`;
const settings: DeliverySettings = {
	events: ['claims/created', 'claims/updated'],
	toleranceSeconds: 300,
	nonClaimEvents: 'ignore',
	invalidClaims: 'emit',
};

function receiveAsFloor(): boolean {
	const mac = createHmac('sha256', secret)
		.update(`${timestampSeconds}.`)
		.update(body.bytes)
		.digest('hex');
	const event = JSON.parse(body.bytes.toString('utf8')) as { ref?: unknown };
	return mac.length > 0 && event.ref === 'claims/created';
}

function receiveAsPackage(): boolean {
	const receivedAtMs = Date.now();
	const headerCheck = checkDeliveryHeader(signatureHeader, receivedAtMs, settings);
	if ('rejection' in headerCheck) return false;
	const outcome = handleDelivery(
		{
			signatureHeader: headerCheck.header,
			rawBody: body.bytes,
			secrets: { current: secret },
			receivedAtMs,
		},
		settings,
	);
	return outcome.action === 'emit';
}

const deadline = Date.now() + seconds * 1000;
let deliveries = 0;
let accepted = 0;
while (Date.now() < deadline) {
	for (let index = 0; index < 100; index++) if (receiveAsFloor()) accepted++;
	for (let index = 0; index < 100; index++) if (receiveAsPackage()) accepted++;
	deliveries += 200;
}
console.log(`${deliveries} deliveries of the ${label} body, ${accepted} accepted`);
