import { Agent, request } from 'http';

import { summarize, type Summary } from './measure';

/**
 * A closed-loop HTTP load generator: `concurrency` workers each send one POST, wait for the whole
 * response, and send the next, until the duration is over. Requests in flight then finish, so a
 * run ends by itself. Connections are kept alive, as a webhook sender's would be.
 */

export interface LoadOptions {
	url: string;
	body: Buffer;
	headers: Record<string, string>;
	concurrency: number;
	durationMs: number;
	/** Stops after this many requests even when time is left. */
	maxRequests?: number;
	/** A request that takes longer is aborted and counted as an error. */
	requestTimeoutMs?: number;
}

export interface LoadResult {
	/** Requests with a 200 response. */
	ok: number;
	/** Requests with another status, aborted, or without a connection. */
	errors: number;
	statusCounts: Record<string, number>;
	elapsedMs: number;
	okPerSecond: number;
	/** Latency of the requests with a 200 response, from sending to the end of the response. */
	latencyMs: Summary & { p90: number; p99: number; mean: number };
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

function percentile(sorted: readonly number[], fraction: number): number {
	if (sorted.length === 0) return Number.NaN;
	const index = Math.min(sorted.length - 1, Math.ceil(sorted.length * fraction) - 1);
	return sorted[Math.max(0, index)];
}

/** Summarises latencies with the percentiles a load test reports. */
export function summarizeLatencies(values: readonly number[]): LoadResult['latencyMs'] {
	if (values.length === 0) {
		const none = Number.NaN;
		return {
			median: none,
			p25: none,
			p75: none,
			min: none,
			max: none,
			p90: none,
			p99: none,
			mean: none,
		};
	}
	const sorted = [...values].sort((a, b) => a - b);
	const total = sorted.reduce((sum, value) => sum + value, 0);
	return {
		...summarize(sorted),
		p90: percentile(sorted, 0.9),
		p99: percentile(sorted, 0.99),
		mean: total / sorted.length,
	};
}

async function sendOne(
	agent: Agent,
	options: LoadOptions,
): Promise<{ status: number | 'error'; latencyMs: number }> {
	const startedAt = process.hrtime.bigint();
	const elapsed = () => Number(process.hrtime.bigint() - startedAt) / 1e6;
	return await new Promise((resolve) => {
		const outgoing = request(
			options.url,
			{
				method: 'POST',
				agent,
				headers: {
					...options.headers,
					'content-type': 'application/json',
					'content-length': String(options.body.length),
				},
				timeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
			},
			(response) => {
				response.resume();
				response.on('end', () =>
					resolve({ status: response.statusCode ?? 0, latencyMs: elapsed() }),
				);
				response.on('error', () => resolve({ status: 'error', latencyMs: elapsed() }));
			},
		);
		outgoing.on('timeout', () => outgoing.destroy(new Error('request timed out')));
		outgoing.on('error', () => resolve({ status: 'error', latencyMs: elapsed() }));
		outgoing.end(options.body);
	});
}

/**
 * Sends requests for `durationMs`, or until `maxRequests` are sent, with `concurrency` requests in
 * flight, and returns the counts and latencies.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult & { latencies: number[] }> {
	const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
	const latencies: number[] = [];
	const statusCounts: Record<string, number> = {};
	let errors = 0;
	const startedAt = process.hrtime.bigint();
	const deadline = startedAt + BigInt(Math.round(options.durationMs * 1e6));

	const maxRequests = options.maxRequests ?? Number.POSITIVE_INFINITY;
	let sent = 0;

	const worker = async () => {
		while (process.hrtime.bigint() < deadline && sent < maxRequests) {
			sent++;
			const { status, latencyMs } = await sendOne(agent, options);
			statusCounts[status] = (statusCounts[status] ?? 0) + 1;
			if (status === 200) latencies.push(latencyMs);
			else errors++;
		}
	};
	await Promise.all(Array.from({ length: options.concurrency }, worker));
	const elapsedMs = Number(process.hrtime.bigint() - startedAt) / 1e6;
	agent.destroy();

	return {
		ok: latencies.length,
		errors,
		statusCounts,
		elapsedMs,
		okPerSecond: (latencies.length / elapsedMs) * 1000,
		latencyMs: summarizeLatencies(latencies),
		latencies,
	};
}
