import { normalizeClaim } from '../nodes/shared/normalize';
import { buildBenchBodies, buildBenchBody, type BodyLabel } from './lib/bodies';
import { compareInRounds, type CaseResult, type RoundOptions } from './lib/measure';

/**
 * Part 2: Karla Claim Normalize's pure function on one claim, next to JSON.parse of the same
 * event, and the heap while it normalizes many claims in a row.
 */

/** Retained heap may grow by at most this much over the whole memory run. */
export const MAX_HEAP_GROWTH_BYTES = 1024 * 1024;

export const NORMALIZE_TARGETS = {
	maxRatioToParse: 3,
	maxHeapGrowthBytes: MAX_HEAP_GROWTH_BYTES,
} as const;

export interface NormalizeSizeResult {
	body: string;
	bodyBytes: number;
	jsonParse: CaseResult;
	normalize: CaseResult;
	claimsPerSecond: number;
	meetsTarget: boolean;
}

export interface MemorySample {
	claims: number;
	heapUsed: number;
	rss: number;
	external: number;
	arrayBuffers: number;
}

export interface MemoryResult {
	body: string;
	claims: number;
	/** Taken after a full garbage collection, every `claims / 20` claims. */
	samples: MemorySample[];
	/** Last sample's heapUsed minus the first's. */
	heapGrowthBytes: number;
	/** Least-squares slope of heapUsed, projected over the whole run. */
	heapTrendBytes: number;
	peakHeapUsedBytes: number;
	flat: boolean;
}

export interface NormalizeResult {
	sizes: NormalizeSizeResult[];
	memory: MemoryResult;
}

function checkNormalizes(event: unknown, label: string): void {
	const result = normalizeClaim(event);
	if (!result.ok) throw new Error(`normalizeClaim rejected the ${label} claim: ${result.problem}`);
}

export function runSpeed(options: RoundOptions): NormalizeSizeResult[] {
	return buildBenchBodies().map((body) => {
		const event: unknown = JSON.parse(body.text);
		checkNormalizes(event, body.label);
		const [jsonParse, normalize] = compareInRounds(
			[
				{ name: 'JSON.parse of the event', run: () => JSON.parse(body.text) as unknown },
				{ name: 'normalizeClaim', run: () => normalizeClaim(event) },
			],
			options,
		);
		return {
			body: body.label,
			bodyBytes: body.bytes.length,
			jsonParse,
			normalize,
			claimsPerSecond: normalize.opsPerSecond,
			meetsTarget:
				(normalize.ratioToBaseline?.median ?? Infinity) <= NORMALIZE_TARGETS.maxRatioToParse,
		};
	});
}

function collectGarbage(): void {
	if (typeof global.gc !== 'function') {
		throw new Error('global.gc is missing: run node with --expose-gc (bench/run.ts does)');
	}
	global.gc();
	global.gc();
}

function sampleMemory(claims: number): MemorySample {
	collectGarbage();
	const { heapUsed, rss, external, arrayBuffers } = process.memoryUsage();
	return { claims, heapUsed, rss, external, arrayBuffers };
}

function slope(points: ReadonlyArray<[number, number]>): number {
	const meanX = points.reduce((sum, [x]) => sum + x, 0) / points.length;
	const meanY = points.reduce((sum, [, y]) => sum + y, 0) / points.length;
	let covariance = 0;
	let variance = 0;
	for (const [x, y] of points) {
		covariance += (x - meanX) * (y - meanY);
		variance += (x - meanX) ** 2;
	}
	return variance === 0 ? 0 : covariance / variance;
}

/**
 * Normalizes `claims` claims one after another, each with its own claim id, so that a cache or a
 * list keyed by claim would show as growth. Outputs are dropped, as n8n drops them once the
 * execution is saved.
 */
export function runMemory(claims: number, label: BodyLabel): MemoryResult {
	const event = JSON.parse(buildBenchBody(label).text) as { event_data: { claim_id: string } };
	checkNormalizes(event, label);
	const baseClaimId = event.event_data.claim_id;
	const sampleEvery = Math.max(1, Math.floor(claims / 20));

	for (let index = 0; index < 2_000; index++) normalizeClaim(event);
	const samples = [sampleMemory(0)];
	let peakHeapUsedBytes = samples[0].heapUsed;
	let normalized = 0;
	for (let index = 1; index <= claims; index++) {
		event.event_data.claim_id = `${baseClaimId}-${index}`;
		if (normalizeClaim(event).ok) normalized++;
		if (index % sampleEvery === 0) {
			// Peak before the collection, to show the short-lived garbage too.
			peakHeapUsedBytes = Math.max(peakHeapUsedBytes, process.memoryUsage().heapUsed);
			samples.push(sampleMemory(index));
		}
	}
	if (normalized !== claims) throw new Error(`normalized ${normalized} of ${claims} claims`);

	const heapGrowthBytes = samples[samples.length - 1].heapUsed - samples[0].heapUsed;
	const heapTrendBytes = slope(samples.map((sample) => [sample.claims, sample.heapUsed])) * claims;
	return {
		body: label,
		claims,
		samples,
		heapGrowthBytes,
		heapTrendBytes,
		peakHeapUsedBytes,
		flat:
			heapGrowthBytes <= NORMALIZE_TARGETS.maxHeapGrowthBytes &&
			heapTrendBytes <= NORMALIZE_TARGETS.maxHeapGrowthBytes,
	};
}
