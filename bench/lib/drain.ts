const DRAIN_POLL_MS = 250;

export interface DrainOptions {
	/** Reader of the number of the workflow's executions finished so far. */
	countFinished: () => Promise<number>;
	/** Number of executions that must finish. */
	expected: number;
	/** Process that runs the executions, named in the timeout error: "n8n", "The workers". */
	runner: string;
	/** Workflow name for the timeout error. */
	name: string;
	timeoutMs: number;
}

/**
 * Waits until every execution a run started has finished, so that the next run does not pay for
 * this one's backlog. Returns the time waited in milliseconds; throws after `timeoutMs`.
 */
export async function waitForDrain(options: DrainOptions): Promise<number> {
	const startedAt = Date.now();
	for (;;) {
		const finished = await options.countFinished();
		if (finished >= options.expected) return Date.now() - startedAt;
		if (Date.now() - startedAt > options.timeoutMs) {
			throw new Error(
				`${options.runner} finished ${finished} of ${options.expected} executions of ` +
					`${options.name} within ${options.timeoutMs / 1000} s`,
			);
		}
		await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
	}
}
