import { spawnSync } from 'child_process';
import { existsSync, writeFileSync } from 'fs';
import { loadavg } from 'os';
import { dirname, join, relative, resolve } from 'path';

import { describeMachine } from './lib/machine';
import type { RoundOptions } from './lib/measure';
import {
	describeN8nSettings,
	formatBytes,
	formatDuration,
	formatRate,
	formatRatio,
	formatSpread,
	formatTable,
	verdict,
} from './lib/table';
import { NORMALIZE_TARGETS, runMemory, runSpeed, type NormalizeResult } from './part2-normalize';
import { RECEIVE_TARGETS, runReceiving, type ReceiveSizeResult } from './part1-receive';
import {
	END_TO_END_TARGETS,
	runEndToEnd,
	type EndToEndOptions,
	type EndToEndResult,
} from './part3-end-to-end';
import { formatQueueBench, queueBenchOptions, runQueueBench, type QueueBenchResult } from './queue';

/**
 * `npm run bench`: the cost of receiving and normalizing Karla claims, each next to a baseline
 * measured in the same run. Prints tables and writes the figures to bench/results.json.
 *
 *   npm run bench -- [--quick] [--part=1,2,3,4] [--out=FILE] [--n8n-env=NAME=VALUE ...]
 *
 * Parts 3 and 4 run twice: with n8n's default settings, and with the expression engine's lazy
 * isolate acquisition, the setting that removes the per-delivery isolate n8n 2.x gives every
 * trigger except its own Webhook node. `--n8n-env` runs them once, with the settings given.
 */

const USAGE =
	'Usage: npm run bench -- [--quick] [--part=1,2,3,4] [--out=FILE] [--n8n-env=NAME=VALUE ...]';
const DEFAULT_OUT = join(__dirname, 'results.json');
const DEFAULT_N8N_SETTINGS: Array<Record<string, string>> = [
	{},
	{ N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' },
];

interface BenchArguments {
	quick: boolean;
	parts: number[];
	out: string;
	n8nEnv: Record<string, string>;
}

function parseArguments(argv: string[]): BenchArguments {
	const parsed: BenchArguments = {
		quick: false,
		parts: [1, 2, 3, 4],
		out: DEFAULT_OUT,
		n8nEnv: {},
	};
	for (const argument of argv) {
		if (argument === '--quick') {
			parsed.quick = true;
		} else if (argument.startsWith('--part=')) {
			parsed.parts = argument
				.slice('--part='.length)
				.split(',')
				.map((part) => Number(part.trim()));
			if (parsed.parts.some((part) => ![1, 2, 3, 4].includes(part))) {
				throw new Error(`Invalid ${argument}: parts are 1, 2, 3 and 4. ${USAGE}`);
			}
		} else if (argument.startsWith('--n8n-env=')) {
			const setting = argument.slice('--n8n-env='.length);
			const separator = setting.indexOf('=');
			if (separator <= 0) throw new Error(`Invalid ${argument}: expected NAME=VALUE. ${USAGE}`);
			parsed.n8nEnv[setting.slice(0, separator)] = setting.slice(separator + 1);
		} else if (argument.startsWith('--out=')) {
			parsed.out = argument.slice('--out='.length);
			if (parsed.out === '') throw new Error(`Invalid ${argument}: missing file path. ${USAGE}`);
		} else if (argument === '--help') {
			console.log(USAGE);
			process.exit(0);
		} else {
			throw new Error(`Unknown argument ${argument}. ${USAGE}`);
		}
	}
	const runsN8n = parsed.parts.includes(3) || parsed.parts.includes(4);
	if (Object.keys(parsed.n8nEnv).length > 0 && !runsN8n) {
		throw new Error(`--n8n-env applies to parts 3 and 4 only; add one of them. ${USAGE}`);
	}
	return parsed;
}

/**
 * Restarts this script with `--expose-gc` when `global.gc` is missing: the memory figures of
 * part 2 are taken after full collections. Returns only when the flag is already on.
 */
function ensureGcExposed(): void {
	if (typeof global.gc === 'function') return;
	const child = spawnSync(
		process.execPath,
		[...process.execArgv, '--expose-gc', process.argv[1], ...process.argv.slice(2)],
		{ stdio: 'inherit' },
	);
	process.exit(child.status ?? 1);
}

function log(line: string): void {
	process.stderr.write(`${line}\n`);
}

function loadAverage(): number[] {
	return loadavg().map((value) => Math.round(value * 100) / 100);
}

function receivingRounds(quick: boolean): RoundOptions {
	return quick
		? { rounds: 40, warmupMs: 1_000, batchMs: 5 }
		: { rounds: 150, warmupMs: 3_000, batchMs: 5 };
}

function normalizingRounds(quick: boolean): RoundOptions {
	return quick
		? { rounds: 30, warmupMs: 1_000, batchMs: 10 }
		: { rounds: 100, warmupMs: 3_000, batchMs: 10 };
}

function printReceiving(results: ReceiveSizeResult[], rounds: number): void {
	console.log(`\nPart 1: receiving one delivery, in process (median of ${rounds} rounds)`);
	const rows: string[][] = [];
	for (const size of results) {
		for (const [index, result] of [size.floor, size.package, size.stripe].entries()) {
			rows.push([
				index === 0 ? `${size.body} (${size.bodyBytes} B)` : '',
				result.name,
				`${formatDuration(result.nsPerOp.median)} ${formatSpread(result.nsPerOp)}`,
				formatRate(result.opsPerSecond),
				result.ratioToBaseline === null ? '1' : formatRatio(result.ratioToBaseline),
			]);
		}
		rows.push(['', 'package ÷ stripe', '', '', `${formatRatio(size.packageToStripe)}`]);
		rows.push([
			'',
			`targets: ≤ ${RECEIVE_TARGETS.maxRatioToFloor} × floor, < 1 × stripe`,
			'',
			'',
			`${verdict(size.meetsTargets.ratioToFloor)}, ${verdict(size.meetsTargets.fasterThanStripe)}`,
		]);
	}
	console.log(formatTable(['body', 'case', 'time per delivery', 'per second', '× floor'], rows));
}

function printNormalizing(result: NormalizeResult, rounds: number): void {
	console.log(`\nPart 2: normalizing one claim, in process (median of ${rounds} rounds)`);
	const rows = result.sizes.map((size) => [
		`${size.body} (${size.bodyBytes} B)`,
		`${formatDuration(size.jsonParse.nsPerOp.median)} ${formatSpread(size.jsonParse.nsPerOp)}`,
		`${formatDuration(size.normalize.nsPerOp.median)} ${formatSpread(size.normalize.nsPerOp)}`,
		formatRate(size.claimsPerSecond),
		size.normalize.ratioToBaseline === null ? '' : formatRatio(size.normalize.ratioToBaseline),
		`≤ ${NORMALIZE_TARGETS.maxRatioToParse}: ${verdict(size.meetsTarget)}`,
	]);
	console.log(
		formatTable(
			['body', 'JSON.parse', 'normalizeClaim', 'claims/s', '× JSON.parse', 'target'],
			rows,
		),
	);
	const memory = result.memory;
	const first = memory.samples[0];
	const last = memory.samples[memory.samples.length - 1];
	console.log(
		`Memory over ${formatRate(memory.claims)} claims of ${memory.body} (after full GC): heapUsed ` +
			`${formatBytes(first.heapUsed)} → ${formatBytes(last.heapUsed)} ` +
			`(growth ${formatBytes(memory.heapGrowthBytes)}, trend ${formatBytes(memory.heapTrendBytes)}), ` +
			`rss ${formatBytes(first.rss)} → ${formatBytes(last.rss)}, peak heapUsed before GC ` +
			`${formatBytes(memory.peakHeapUsedBytes)}; flat (≤ ${formatBytes(NORMALIZE_TARGETS.maxHeapGrowthBytes)}): ` +
			verdict(memory.flat),
	);
}

function printEndToEnd(result: EndToEndResult): void {
	console.log(
		`\nPart 3: end to end through n8n ${result.n8nVersion} (Node ${result.n8nNodeVersion}), ` +
			`${describeN8nSettings(result.n8nEnv)}, Karla Claim Trigger against the Webhook node`,
	);
	const rows: string[][] = [];
	for (const size of result.sizes) {
		for (const [name, runs] of [
			['Karla Claim Trigger', size.karlaTrigger],
			['n8n Webhook node', size.webhookNode],
		] as const) {
			const perSecond = [...runs.perSecond].sort((a, b) => a - b);
			rows.push([
				name === 'Karla Claim Trigger' ? `${size.body}, ${size.concurrency} in flight` : '',
				name,
				formatRate(perSecond[Math.floor(perSecond.length / 2)]),
				`${runs.latencyMs.median.toFixed(1)} ms`,
				`${runs.latencyMs.p99.toFixed(1)} ms`,
			]);
		}
		rows.push([
			'',
			'Karla ÷ Webhook node',
			`${formatRatio(size.throughputRatio)} (≥ ${END_TO_END_TARGETS.minThroughputRatio}: ${verdict(size.meetsTargets.throughput)})`,
			'',
			`${formatRatio(size.p99Ratio)} (≤ ${END_TO_END_TARGETS.maxP99Ratio}: ${verdict(size.meetsTargets.p99)})`,
		]);
	}
	console.log(formatTable(['body', 'workflow', 'deliveries/s', 'p50', 'p99'], rows));
}

async function main(): Promise<void> {
	const args = parseArguments(process.argv.slice(2));
	// The results are written after the last part, so a folder that does not exist is reported
	// now instead of after minutes of measuring.
	const outputDir = dirname(resolve(args.out));
	if (!existsSync(outputDir))
		throw new Error(`Invalid --out=${args.out}: folder ${outputDir} not found; create it first.`);
	ensureGcExposed();

	const n8nSettings = Object.keys(args.n8nEnv).length === 0 ? DEFAULT_N8N_SETTINGS : [args.n8nEnv];
	const machine = describeMachine();
	const results: Record<string, unknown> = {
		machine,
		command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
		quick: args.quick,
		parts: args.parts,
		loadAverageAtStart: loadAverage(),
	};
	log(
		`[bench] ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ` +
			`load average ${loadAverage().join(' ')}`,
	);

	if (args.parts.includes(1)) {
		const options = receivingRounds(args.quick);
		log('[bench] part 1: receiving');
		const receiving = runReceiving(options);
		results.receiving = { options, loadAverage: loadAverage(), sizes: receiving };
		printReceiving(receiving, options.rounds);
	}

	if (args.parts.includes(2)) {
		const options = normalizingRounds(args.quick);
		log('[bench] part 2: normalizing');
		const sizes = runSpeed(options);
		const memory = runMemory(args.quick ? 20_000 : 100_000, '1 KB');
		const normalizing: NormalizeResult = { sizes, memory };
		results.normalizing = { options, loadAverage: loadAverage(), ...normalizing };
		printNormalizing(normalizing, options.rounds);
	}

	if (args.parts.includes(3)) {
		const options: Omit<EndToEndOptions, 'log' | 'n8nEnv'> = {
			bodies: args.quick ? ['1 KB'] : ['1 KB', '20 KB'],
			concurrency: 8,
			rounds: args.quick ? 2 : 3,
			runSeconds: args.quick ? 2 : 6,
			warmupSeconds: args.quick ? 1 : 3,
		};
		const configurations: EndToEndResult[] = [];
		for (const n8nEnv of n8nSettings) {
			log(`[bench] part 3: end to end through n8n, ${describeN8nSettings(n8nEnv)}`);
			const endToEnd = await runEndToEnd({ ...options, n8nEnv, log });
			configurations.push(endToEnd);
			printEndToEnd(endToEnd);
		}
		results.endToEnd = { options, loadAverage: loadAverage(), configurations };
	}

	if (args.parts.includes(4)) {
		const configurations: QueueBenchResult[] = [];
		for (const n8nEnv of n8nSettings) {
			log(`[bench] part 4: queue mode, ${describeN8nSettings(n8nEnv)}`);
			const queue = await runQueueBench({ ...queueBenchOptions(args.quick), n8nEnv, log });
			configurations.push(queue);
			console.log(`\nPart 4: ${formatQueueBench(queue)}`);
		}
		results.queueMode = {
			options: queueBenchOptions(args.quick),
			loadAverage: loadAverage(),
			configurations,
		};
	}

	results.loadAverageAtEnd = loadAverage();
	writeFileSync(args.out, `${JSON.stringify(results, null, '\t')}\n`);
	log(`\n[bench] wrote ${relative(process.cwd(), args.out)}`);
}

main().catch((error: unknown) => {
	console.error(error instanceof Error ? (error.stack ?? error.message) : error);
	process.exit(1);
});
