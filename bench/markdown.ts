import { existsSync, readFileSync } from 'fs';

import type { MachineInfo } from './lib/machine';
import type { Summary } from './lib/measure';
import { formatBytes, formatDuration, formatRate } from './lib/table';
import type { ReceiveSizeResult } from './part1-receive';
import type { NormalizeResult } from './part2-normalize';
import type { EndToEndResult } from './part3-end-to-end';
import type { QueueBenchResult } from './queue';
import { describeN8nSettings } from './lib/table';

/**
 * Prints the figures of a results file as the Markdown of BENCHMARKS.md's "Last figures".
 *   npx tsx bench/markdown.ts [bench/results.json]
 */

interface Results {
	machine: MachineInfo;
	loadAverageAtStart: number[];
	loadAverageAtEnd: number[];
	receiving?: { sizes: ReceiveSizeResult[]; options: { rounds: number } };
	normalizing?: NormalizeResult & { options: { rounds: number } };
	endToEnd?: {
		/** `n8nEnv` appears only in files written before parts 3 and 4 ran under two settings. */
		options: { rounds: number; runSeconds: number; n8nEnv?: Record<string, string> };
		configurations: EndToEndResult[];
	};
	queueMode?: {
		options: { rounds: number; runSeconds: number; n8nEnv?: Record<string, string> };
		configurations: QueueBenchResult[];
	};
}

const file = process.argv[2] ?? 'bench/results.json';
if (!existsSync(file)) {
	console.error(`No results file at ${file}: run \`npm run bench\` first, or name a file.`);
	process.exit(1);
}
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;

/**
 * Returns the configurations a part ran under. Files written before parts 3 and 4 ran under two
 * n8n settings hold one result in place of the list, with any --n8n-env settings in its options.
 */
function configurationsOf<T>(part: {
	configurations?: T[];
	options: { n8nEnv?: Record<string, string> };
}): T[] {
	return part.configurations ?? [{ n8nEnv: part.options.n8nEnv ?? {}, ...part } as T];
}

/** Wraps a paragraph at 100 characters, as the rest of BENCHMARKS.md is wrapped. */
function wrap(text: string): string {
	const lines: string[] = [];
	let line = '';
	for (const word of text.split(' ')) {
		if (line !== '' && line.length + 1 + word.length > 100) {
			lines.push(line);
			line = word;
		} else {
			line = line === '' ? word : `${line} ${word}`;
		}
	}
	if (line !== '') lines.push(line);
	return lines.join('\n');
}

function ratio(summary: Summary | null): string {
	if (summary === null) return '1';
	return `${summary.median.toFixed(2)} (${summary.p25.toFixed(2)}–${summary.p75.toFixed(2)})`;
}

function row(cells: string[]): string {
	return `| ${cells.join(' | ')} |`;
}

function table(header: string[], rows: string[][]): string {
	return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}

function printMachine(): void {
	const { machine } = results;
	console.log(
		wrap(
			`${machine.cpuModel} (model name in /proc/cpuinfo), ${machine.cores} cores, ` +
				`${machine.memoryGiB} GiB, ${machine.platform}, Node ${machine.node}, ` +
				`${machine.date.slice(0, 16).replace('T', ' ')} UTC, load average ` +
				`${results.loadAverageAtStart.join(' ')} at the start and ` +
				`${results.loadAverageAtEnd.join(' ')} at the end.`,
		),
	);
	console.log();
}

function printReceiving(receiving: NonNullable<Results['receiving']>): void {
	const rows = receiving.sizes.map((size) => [
		`${size.body} (${size.bodyBytes} B)`,
		formatDuration(size.floor.nsPerOp.median),
		formatDuration(size.package.nsPerOp.median),
		formatDuration(size.stripe.nsPerOp.median),
		ratio(size.package.ratioToBaseline),
		ratio(size.stripe.ratioToBaseline),
		ratio(size.packageToStripe),
	]);
	console.log('### Part 1: receiving one delivery\n');
	console.log(`Median of ${receiving.options.rounds} rounds, quartiles in brackets.\n`);
	const header = [
		'body',
		'floor',
		'package',
		'stripe',
		'package ÷ floor',
		'stripe ÷ floor',
		'package ÷ stripe',
	];
	console.log(table(header, rows));
	console.log();
}

function printNormalizing(normalizing: NonNullable<Results['normalizing']>): void {
	const rows = normalizing.sizes.map((size) => [
		`${size.body} (${size.bodyBytes} B)`,
		formatDuration(size.jsonParse.nsPerOp.median),
		formatDuration(size.normalize.nsPerOp.median),
		formatRate(size.claimsPerSecond),
		ratio(size.normalize.ratioToBaseline),
	]);
	console.log('### Part 2: normalizing one claim\n');
	console.log(`Median of ${normalizing.options.rounds} rounds, quartiles in brackets.\n`);
	const header = ['body', 'JSON.parse', 'normalizeClaim', 'claims/s', 'normalize ÷ JSON.parse'];
	console.log(table(header, rows));
	console.log();

	const memory = normalizing.memory;
	const first = memory.samples[0];
	const last = memory.samples[memory.samples.length - 1];
	console.log(
		wrap(
			`Memory over ${formatRate(memory.claims)} claims of ${memory.body}, after full GC: ` +
				`heapUsed ${formatBytes(first.heapUsed)} at the start and ` +
				`${formatBytes(last.heapUsed)} at the end (growth ` +
				`${formatBytes(memory.heapGrowthBytes)}, least-squares trend ` +
				`${formatBytes(memory.heapTrendBytes)}), rss ${formatBytes(first.rss)} and ` +
				`${formatBytes(last.rss)}, highest heapUsed before a GC ` +
				`${formatBytes(memory.peakHeapUsedBytes)}.`,
		),
	);
	console.log();
}

function printEndToEnd(
	endToEnd: EndToEndResult,
	options: NonNullable<Results['endToEnd']>['options'],
): void {
	const rows: string[][] = [];
	for (const size of endToEnd.sizes) {
		for (const [name, runs] of [
			['Karla Claim Trigger', size.karlaTrigger],
			['Webhook node', size.webhookNode],
		] as const) {
			rows.push([
				name === 'Karla Claim Trigger' ? size.body : '',
				name,
				runs.perSecond.map((value) => value.toFixed(1)).join(', '),
				`${runs.latencyMs.median.toFixed(0)} ms`,
				`${runs.latencyMs.p99.toFixed(0)} ms`,
				String(runs.deliveries),
			]);
		}
		rows.push([
			'',
			'Karla ÷ Webhook node',
			ratio(size.throughputRatio),
			'',
			`${ratio(size.p99Ratio)}; all runs: ${size.pooledP99Ratio.toFixed(2)}`,
			'',
		]);
	}
	console.log(`#### ${describeN8nSettings(endToEnd.n8nEnv)}\n`);
	console.log(
		wrap(
			`n8n ${endToEnd.n8nVersion} on Node ${endToEnd.n8nNodeVersion}, ` +
				`${endToEnd.sizes[0]?.concurrency} requests in flight, ${options.rounds} ` +
				`runs of ${options.runSeconds} s per workflow, quartiles in brackets.`,
		),
	);
	console.log();
	const header = ['body', 'workflow', 'deliveries/s per run', 'p50', 'p99', 'deliveries'];
	console.log(table(header, rows));
	console.log();
}

function printQueue(
	queue: QueueBenchResult,
	options: NonNullable<Results['queueMode']>['options'],
): void {
	const rows: string[][] = [];
	for (const [name, runs] of [
		['Karla Claim Trigger', queue.karlaTrigger],
		['Webhook node', queue.webhookNode],
	] as const) {
		rows.push([
			name,
			runs.acceptedPerSecond.map((value) => value.toFixed(1)).join(', '),
			runs.completedPerSecond.map((value) => value.toFixed(1)).join(', '),
			`${runs.latencyMs.median.toFixed(0)} ms`,
			`${runs.latencyMs.p99.toFixed(0)} ms`,
		]);
	}
	rows.push([
		'Karla ÷ Webhook node',
		ratio(queue.acceptedRatio),
		ratio(queue.completedRatio),
		'',
		'',
	]);
	console.log(`#### ${describeN8nSettings(queue.n8nEnv)}\n`);
	console.log(
		wrap(
			`n8n ${queue.n8nVersion} on Node ${queue.n8nNodeVersion}, one webhook process and ` +
				`${queue.workers} workers of ${queue.workerConcurrency} jobs, ${queue.body} body, ` +
				`${queue.concurrency} requests in flight, ${options.rounds} runs of ` +
				`${options.runSeconds} s per workflow, quartiles in brackets.`,
		),
	);
	console.log();
	const header = ['trigger', 'accepted/s per run', 'completed/s per run', 'p50', 'p99'];
	console.log(table(header, rows));
	console.log();
}

printMachine();
if (results.receiving) printReceiving(results.receiving);
if (results.normalizing) printNormalizing(results.normalizing);
if (results.endToEnd) {
	console.log('### Part 3: through n8n\n');
	for (const configuration of configurationsOf(results.endToEnd)) {
		printEndToEnd(configuration, results.endToEnd.options);
	}
}
if (results.queueMode) {
	console.log('### Part 4: queue mode\n');
	for (const configuration of configurationsOf(results.queueMode)) {
		printQueue(configuration, results.queueMode.options);
	}
}
