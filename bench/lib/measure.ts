/**
 * Interleaved in-process timing. Every case runs in short batches, one batch per case per round,
 * and the order of the cases rotates from round to round. A slow phase of the machine (another
 * process, frequency scaling, a major GC) then lands on every case alike, and the ratio of two
 * cases is taken per round, before the median, so that such phases cancel out.
 */

export interface BenchCase {
	name: string;
	/** One operation. Its return value is stored, so that the work cannot be optimised away. */
	run: () => unknown;
}

export interface RoundOptions {
	rounds: number;
	/** Time each case runs before measuring starts, in milliseconds. */
	warmupMs: number;
	/** Target duration of one batch of one case, in milliseconds. */
	batchMs: number;
}

export interface Summary {
	median: number;
	p25: number;
	p75: number;
	min: number;
	max: number;
}

export interface CaseResult {
	name: string;
	iterationsPerBatch: number;
	/** Nanoseconds per operation, one sample per round. */
	nsPerOp: Summary;
	/** Operations per second at the median time. */
	opsPerSecond: number;
	/** This case's time divided by the baseline's, taken per round. Null for the baseline. */
	ratioToBaseline: Summary | null;
	/** Nanoseconds per operation of each round, in round order. */
	samplesNs: number[];
}

// Every result is stored here, so that the optimising compiler cannot drop a case's work.
let sink: unknown;

/** Drops the stored result, so that the heap does not keep the last output, and returns it. */
function releaseSink(): unknown {
	const last = sink;
	sink = undefined;
	return last;
}

export function summarize(values: readonly number[]): Summary {
	const sorted = [...values].sort((a, b) => a - b);
	const at = (fraction: number): number => {
		const position = (sorted.length - 1) * fraction;
		const lower = Math.floor(position);
		const upper = Math.ceil(position);
		return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
	};
	return {
		median: at(0.5),
		p25: at(0.25),
		p75: at(0.75),
		min: sorted[0],
		max: sorted[sorted.length - 1],
	};
}

/** Half the interquartile range, relative to the median, in percent. */
export function spreadPercent(summary: Summary): number {
	return summary.median === 0 ? 0 : ((summary.p75 - summary.p25) / 2 / summary.median) * 100;
}

/** Summarises `numerator / denominator` round by round; both must come from one comparison. */
export function pairedRatio(numerator: CaseResult, denominator: CaseResult): Summary {
	return summarize(numerator.samplesNs.map((value, round) => value / denominator.samplesNs[round]));
}

function timeBatch(run: () => unknown, iterations: number): number {
	const start = process.hrtime.bigint();
	for (let index = 0; index < iterations; index++) sink = run();
	return Number(process.hrtime.bigint() - start);
}

/** Runs a case for about `durationMs` and returns its time per operation in nanoseconds. */
function warmUp(run: () => unknown, durationMs: number): number {
	const deadline = process.hrtime.bigint() + BigInt(Math.round(durationMs * 1e6));
	let iterations = 0;
	const start = process.hrtime.bigint();
	while (process.hrtime.bigint() < deadline) {
		sink = run();
		iterations++;
	}
	return Number(process.hrtime.bigint() - start) / iterations;
}

/**
 * Measures the cases in interleaved rounds. The first case is the baseline for the ratios.
 * Iterations per batch are fixed after the warm-up, so every round does the same work.
 */
export function compareInRounds(cases: readonly BenchCase[], options: RoundOptions): CaseResult[] {
	const warmupShareMs = options.warmupMs / cases.length;
	// Two passes, so that the cases measured first are warmed again after the others have run.
	const estimates = cases.map((benchCase) => warmUp(benchCase.run, warmupShareMs / 2));
	cases.forEach((benchCase, index) => {
		estimates[index] = warmUp(benchCase.run, warmupShareMs / 2);
	});
	const iterations = estimates.map((nsPerOp) =>
		Math.max(1, Math.round((options.batchMs * 1e6) / nsPerOp)),
	);

	const samples: number[][] = cases.map(() => []);
	for (let round = 0; round < options.rounds; round++) {
		for (let step = 0; step < cases.length; step++) {
			const index = (round + step) % cases.length;
			samples[index].push(timeBatch(cases[index].run, iterations[index]) / iterations[index]);
		}
	}

	releaseSink();

	return cases.map((benchCase, index) => {
		const nsPerOp = summarize(samples[index]);
		const ratios = samples[index].map((value, round) => value / samples[0][round]);
		return {
			name: benchCase.name,
			iterationsPerBatch: iterations[index],
			nsPerOp,
			opsPerSecond: 1e9 / nsPerOp.median,
			ratioToBaseline: index === 0 ? null : summarize(ratios),
			samplesNs: samples[index],
		};
	});
}
