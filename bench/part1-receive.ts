import { createHmac } from 'crypto';
import Stripe from 'stripe';

import {
	checkDeliveryHeader,
	handleDelivery,
	type DeliverySettings,
} from '../nodes/shared/delivery';
import { DEFAULT_TOLERANCE_SECONDS } from '../nodes/shared/signature';
import { buildBenchBodies, type BenchBody } from './lib/bodies';
import {
	compareInRounds,
	pairedRatio,
	type CaseResult,
	type RoundOptions,
	type Summary,
} from './lib/measure';

/**
 * Part 1: the cost of receiving one delivery, in process, next to the floor (one HMAC-SHA256 and
 * one JSON.parse) and to stripe-node's webhook verification, which reads the same header format.
 */

const SECRET = '8f14e45f-ceea-467f-a0e6-4f2b1c9d3e70';

const SETTINGS: DeliverySettings = {
	events: ['claims/created', 'claims/updated'],
	toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
	nonClaimEvents: 'ignore',
	invalidClaims: 'emit',
};

export const RECEIVE_TARGETS = { maxRatioToFloor: 1.3, maxRatioToStripe: 1 } as const;

export interface ReceiveSizeResult {
	body: string;
	bodyBytes: number;
	floor: CaseResult;
	package: CaseResult;
	stripe: CaseResult;
	/** This package's time divided by stripe's, taken per round. */
	packageToStripe: Summary;
	meetsTargets: { ratioToFloor: boolean; fasterThanStripe: boolean };
}

function signatureHeader(bytes: Buffer, timestampSeconds: number): string {
	const v1 = createHmac('sha256', SECRET)
		.update(`${timestampSeconds}.`)
		.update(bytes)
		.digest('hex');
	return `t=${timestampSeconds},v1=${v1}`;
}

/**
 * Builds the three cases for one body. The package and stripe read the clock on every delivery,
 * as they do in production. The header is signed when the part starts, and a part takes far less
 * than the 300 s tolerance.
 */
function buildCases(body: BenchBody, timestampSeconds: number) {
	const bytes = body.bytes;
	const header = signatureHeader(bytes, timestampSeconds);
	const floor = () => {
		const mac = createHmac('sha256', SECRET)
			.update(`${timestampSeconds}.`)
			.update(bytes)
			.digest('hex');
		const event: unknown = JSON.parse(bytes.toString('utf8'));
		return mac.length > 0 ? event : null;
	};
	// Both steps of the trigger: the header check before the credential read, then the rest.
	const karla = () => {
		const receivedAtMs = Date.now();
		const headerCheck = checkDeliveryHeader(header, receivedAtMs, SETTINGS);
		if ('rejection' in headerCheck) return headerCheck.rejection;
		return handleDelivery(
			{
				signatureHeader: headerCheck.header,
				rawBody: bytes,
				secrets: { current: SECRET },
				receivedAtMs,
			},
			SETTINGS,
		);
	};
	// stripe-node checks the timestamp only against the past; 300 s is also its default. Without
	// `receivedAt` it reads Date.now(), as the package's trigger does.
	const stripe = () =>
		Stripe.webhooks.constructEvent(bytes, header, SECRET, DEFAULT_TOLERANCE_SECONDS);
	return { floor, karla, stripe };
}

/** Fails loudly when a case does not do the full job, so that no figure measures a rejection. */
function checkCases(body: BenchBody, cases: ReturnType<typeof buildCases>): void {
	const outcome = cases.karla();
	if (outcome.action !== 'emit' || !outcome.metadata.validation.valid) {
		throw new Error(`handleDelivery did not emit a valid claim for the ${body.label} body`);
	}
	const stripeEvent = cases.stripe() as unknown as Record<string, unknown>;
	if (stripeEvent.ref !== 'claims/created') {
		throw new Error(`stripe did not return the parsed ${body.label} event`);
	}
	const floorEvent = cases.floor() as Record<string, unknown> | null;
	if (floorEvent?.ref !== 'claims/created') {
		throw new Error(`the floor did not parse the ${body.label} event`);
	}
}

export function runReceiving(options: RoundOptions): ReceiveSizeResult[] {
	return buildBenchBodies().map((body) => {
		const cases = buildCases(body, Math.floor(Date.now() / 1000));
		checkCases(body, cases);

		const [floor, karla, stripe] = compareInRounds(
			[
				{ name: 'floor: HMAC + JSON.parse', run: cases.floor },
				{ name: 'n8n-nodes-karla handleDelivery', run: cases.karla },
				{ name: 'stripe constructEvent', run: cases.stripe },
			],
			options,
		);
		const ratioToFloor = karla.ratioToBaseline?.median ?? Infinity;
		const packageToStripe = pairedRatio(karla, stripe);
		return {
			body: body.label,
			bodyBytes: body.bytes.length,
			floor,
			package: karla,
			stripe,
			packageToStripe,
			meetsTargets: {
				ratioToFloor: ratioToFloor <= RECEIVE_TARGETS.maxRatioToFloor,
				fasterThanStripe: packageToStripe.median < RECEIVE_TARGETS.maxRatioToStripe,
			},
		};
	});
}
