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

/** Runs a case for about `durationMs`, so that the optimising compiler has seen it. */
function warmUp(run: () => unknown, durationMs: number): void {
	const deadline = process.hrtime.bigint() + BigInt(Math.round(durationMs * 1e6));
	while (process.hrtime.bigint() < deadline) sink = run();
}

/**
 * Returns the iterations that make one batch last about `batchMs`. The fastest of a few short
 * batches is taken: a GC pause or a preemption during calibration would otherwise make every
 * later batch too short.
 */
function calibrate(run: () => unknown, batchMs: number): number {
	let iterations = 1;
	let nsPerOp = timeBatch(run, iterations);
	// Grows the probe until it lasts a tenth of a batch, so that the timer's resolution is no issue.
	while (nsPerOp * iterations < batchMs * 1e5 && iterations < 1e7) {
		iterations *= 2;
		nsPerOp = timeBatch(run, iterations) / iterations;
	}
	for (let probe = 0; probe < 4; probe++) {
		nsPerOp = Math.min(nsPerOp, timeBatch(run, iterations) / iterations);
	}
	return Math.max(1, Math.round((batchMs * 1e6) / nsPerOp));
}

/**
 * Measures the cases in interleaved rounds. The first case is the baseline for the ratios.
 * Iterations per batch are fixed after the warm-up, so every round does the same work.
 */
export function compareInRounds(cases: readonly BenchCase[], options: RoundOptions): CaseResult[] {
	const warmupShareMs = options.warmupMs / cases.length;
	// Two passes, so that the cases measured first are warmed again after the others have run.
	for (let pass = 0; pass < 2; pass++) {
		for (const benchCase of cases) warmUp(benchCase.run, warmupShareMs / 2);
	}
	const iterations = cases.map((benchCase) => calibrate(benchCase.run, options.batchMs));

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
