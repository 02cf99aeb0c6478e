import { runLoad, type LoadResult } from './load';

const DRAIN_POLL_MS = 250;

/** A published workflow the load generator sends deliveries to. */
export interface BenchEndpoint {
	name: string;
	workflowId: string;
	url: string;
	/** Executions that should have finished once everything sent so far is processed. */
	expectedExecutions: number;
}

export interface RunAndDrainOptions {
	endpoint: BenchEndpoint;
	body: Buffer;
	headers: Record<string, string>;
	/** Deliveries in flight at once. */
	concurrency: number;
	seconds: number;
	/** Reader of the number of a workflow's executions finished so far. */
	countFinished: (workflowId: string) => Promise<number>;
	/** Process that runs the executions, named in the timeout error: "n8n", "The workers". */
	runner: string;
	drainTimeoutMs: number;
}

/**
 * Waits until every execution a run started has finished, so that the next run does not pay for
 * this one's backlog. Returns the time waited in milliseconds, and throws after the timeout.
 */
async function waitForDrain(options: RunAndDrainOptions): Promise<number> {
	const { endpoint } = options;
	const startedAt = Date.now();
	for (;;) {
		const finished = await options.countFinished(endpoint.workflowId);
		if (finished >= endpoint.expectedExecutions) return Date.now() - startedAt;
		if (Date.now() - startedAt > options.drainTimeoutMs) {
			throw new Error(
				`${options.runner} finished ${finished} of ${endpoint.expectedExecutions} executions ` +
					`of ${endpoint.name} within ${options.drainTimeoutMs / 1000} s`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
	}
}

/**
 * Sends deliveries to the endpoint for the given time, then waits until their executions have
 * finished. Throws when any request got a status other than 200.
 */
export async function runAndDrain(
	options: RunAndDrainOptions,
): Promise<LoadResult & { latencies: number[]; drainMs: number }> {
	const { endpoint } = options;
	const result = await runLoad({
		url: endpoint.url,
		body: options.body,
		headers: options.headers,
		concurrency: options.concurrency,
		durationMs: options.seconds * 1000,
	});
	if (result.errors > 0) {
		throw new Error(
			`${endpoint.name} returned an error for ${result.errors} requests: ` +
				JSON.stringify(result.statusCounts),
		);
	}
	endpoint.expectedExecutions += result.ok;
	const drainMs = await waitForDrain(options);
	return { ...result, drainMs };
}

/**
 * Sends one delivery with a current timestamp and a wrong signature, and throws unless it gets
 * exactly one 401, so that no figure is taken with verification off.
 */
export async function checkForgeryRejected(
	endpoint: BenchEndpoint,
	body: Buffer,
	responder: string,
): Promise<void> {
	const result = await runLoad({
		url: endpoint.url,
		body,
		headers: { 'karla-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
		concurrency: 1,
		durationMs: 10_000,
		maxRequests: 1,
	});
	if (result.statusCounts['401'] !== 1) {
		throw new Error(
			`${responder} responded ${JSON.stringify(result.statusCounts)} to a forged delivery, ` +
				'not one 401',
		);
	}
}
