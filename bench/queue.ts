import { randomUUID } from 'crypto';

import { ensureBuilt } from '../scripts/lib/build';
import { startN8nQueue, type RunningQueue } from '../scripts/lib/n8n-queue';
import {
	buildClaimWorkflow,
	buildSigningCredential,
	claimWebhookPath,
} from '../scripts/lib/workflows';
import { buildBenchBody, type BodyLabel } from './lib/bodies';
import { checkForgeryRejected, runAndDrain, type BenchEndpoint } from './lib/endpoint-runs';
import { summarizeLatencies, type LoadResult } from './lib/load';
import { summarize, type Summary } from './lib/measure';
import { describeN8nSettings, formatRate, formatRatio, formatTable } from './lib/table';
import { signatureHeader } from '../scripts/lib/signer';

/**
 * Queue mode: deliveries through n8n 2.41.1's webhook process with two workers, on PostgreSQL and
 * Redis (scripts/queue-services.sh), the package installed as a community package in every
 * process. Two published workflows run Karla Claim Normalize after the trigger, so the workers do
 * the same work for both. They differ only in the trigger that runs in the webhook process: Karla
 * Claim Trigger verifies the signature, and n8n's own Webhook node verifies nothing.
 * Normalize accepts the Webhook node's output, whose `body` is the event. Runs alternate, and
 * after each run the bench waits until the workers have finished every execution it queued.
 *
 *   npx tsx bench/queue.ts [--quick]
 */

export interface QueueBenchOptions {
	body: BodyLabel;
	/** Deliveries in flight at once. */
	concurrency: number;
	rounds: number;
	runSeconds: number;
	warmupSeconds: number;
	/** Extra settings for every n8n process; none by default. */
	n8nEnv: Record<string, string>;
	log: (line: string) => void;
}

export interface QueueEndpointRuns {
	/** Deliveries with a 200 response from the webhook process per second, one value per run. */
	acceptedPerSecond: number[];
	/**
	 * Deliveries per second from the first request to the last finished execution, one value per
	 * run: what the webhook process and both workers sustain together.
	 */
	completedPerSecond: number[];
	/** Latencies of the webhook process's responses, all runs together. */
	latencyMs: LoadResult['latencyMs'];
	deliveries: number;
	/** Time the workers needed after each run to finish its executions, in milliseconds. */
	drainMs: number[];
}

export interface QueueBenchResult {
	n8nVersion: string;
	n8nNodeVersion: string;
	/** The settings every n8n process ran with beyond the defaults. */
	n8nEnv: Record<string, string>;
	workers: number;
	/** Jobs each worker runs at once (n8n's default). */
	workerConcurrency: number;
	body: string;
	bodyBytes: number;
	concurrency: number;
	/** Time to start PostgreSQL, Redis and the four n8n processes, in seconds. */
	startSeconds: number;
	karlaTrigger: QueueEndpointRuns;
	webhookNode: QueueEndpointRuns;
	/** Karla's accepted deliveries per second divided by the Webhook node's, per pair of runs. */
	acceptedRatio: Summary;
	/** The same ratio for completed deliveries per second. */
	completedRatio: Summary;
}

const SECRET = '5a7f0c3e-94b1-4d2a-8e6f-1b3c5d7e9f02';
const CREDENTIAL_ID = 'BenchQueueSign01';
const KARLA_WORKFLOW_ID = 'BenchQueueKarla1';
const WEBHOOK_WORKFLOW_ID = 'BenchQueueHook01';
const WORKERS = 2;
const WORKER_CONCURRENCY = 10;
const DRAIN_TIMEOUT_MS = 180_000;

type EndpointName = 'karlaTrigger' | 'webhookNode';

interface Endpoint extends BenchEndpoint {
	name: EndpointName;
}

const NORMALIZE_NODE = {
	id: 'c4e1d2b3-0002-4f6a-9b00-000000000002',
	name: 'Karla Claim Normalize',
	type: 'n8n-nodes-karla.karlaClaimNormalize',
	typeVersion: 1,
	position: [260, 0],
	parameters: { output: 'perClaim', options: {} },
};

function buildWebhookNodeWorkflow(path: string): object {
	return {
		id: WEBHOOK_WORKFLOW_ID,
		name: 'Bench: n8n Webhook node, then Normalize',
		active: false,
		nodes: [
			{
				id: 'c4e1d2b3-0001-4f6a-9b00-000000000001',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2.1,
				position: [0, 0],
				webhookId: path,
				parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
			},
			NORMALIZE_NODE,
		],
		connections: {
			Webhook: { main: [[{ node: NORMALIZE_NODE.name, type: 'main', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

function signedHeaders(body: Buffer): Record<string, string> {
	return { 'karla-signature': signatureHeader(SECRET, body) };
}

async function countFinished(queue: RunningQueue, workflowId: string): Promise<number> {
	const rows = await queue.query<{ finished: number | string }>(
		`SELECT COUNT(*) AS finished FROM execution_entity
		 WHERE "workflowId" = ? AND status IN ('success', 'error', 'crashed', 'canceled')`,
		[workflowId],
	);
	return Number(rows[0]?.finished ?? 0);
}

async function runEndpoint(
	queue: RunningQueue,
	endpoint: Endpoint,
	body: Buffer,
	options: QueueBenchOptions,
	seconds: number,
): Promise<LoadResult & { latencies: number[]; drainMs: number; completedPerSecond: number }> {
	const result = await runAndDrain({
		endpoint,
		body,
		// Signed per run: every run is far shorter than the trigger's 300 s tolerance.
		headers: signedHeaders(body),
		concurrency: options.concurrency,
		seconds,
		countFinished: (workflowId) => countFinished(queue, workflowId),
		runner: 'The workers',
		drainTimeoutMs: DRAIN_TIMEOUT_MS,
	});
	const completedPerSecond = (result.ok / (result.elapsedMs + result.drainMs)) * 1000;
	return { ...result, completedPerSecond };
}

function emptyRuns(): QueueEndpointRuns {
	return {
		acceptedPerSecond: [],
		completedPerSecond: [],
		latencyMs: summarizeLatencies([]),
		deliveries: 0,
		drainMs: [],
	};
}

/** Starts the queue-mode setup, measures both workflows in alternating runs and stops it. */
export async function runQueueBench(options: QueueBenchOptions): Promise<QueueBenchResult> {
	const karlaWebhookId = randomUUID();
	const plainPath = randomUUID();
	const startedAt = Date.now();
	const queue = await startN8nQueue({
		env: options.n8nEnv,
		workers: WORKERS,
		workerConcurrency: WORKER_CONCURRENCY,
		credentials: [buildSigningCredential({ id: CREDENTIAL_ID, signingSecret: SECRET })],
		workflows: [
			buildClaimWorkflow({
				packageMode: 'community',
				workflowId: KARLA_WORKFLOW_ID,
				name: 'Bench: Karla Claim Trigger, then Normalize',
				webhookId: karlaWebhookId,
				credentialId: CREDENTIAL_ID,
			}),
			buildWebhookNodeWorkflow(plainPath),
		],
		publish: [KARLA_WORKFLOW_ID, WEBHOOK_WORKFLOW_ID],
		onProgress: options.log,
	});
	const startSeconds = (Date.now() - startedAt) / 1000;

	try {
		const endpoints: Record<EndpointName, Endpoint> = {
			karlaTrigger: {
				name: 'karlaTrigger',
				workflowId: KARLA_WORKFLOW_ID,
				url: queue.webhookUrl(claimWebhookPath(karlaWebhookId)),
				expectedExecutions: 0,
			},
			webhookNode: {
				name: 'webhookNode',
				workflowId: WEBHOOK_WORKFLOW_ID,
				url: queue.webhookUrl(plainPath),
				expectedExecutions: 0,
			},
		};
		const body = buildBenchBody(options.body).bytes;
		await checkForgeryRejected(endpoints.karlaTrigger, body, 'The webhook process');

		options.log(`[queue] warming up both workflows for ${options.warmupSeconds} s each`);
		for (const endpoint of Object.values(endpoints)) {
			await runEndpoint(queue, endpoint, body, options, options.warmupSeconds);
		}

		const runs = { karlaTrigger: emptyRuns(), webhookNode: emptyRuns() };
		const latencies: Record<EndpointName, number[]> = { karlaTrigger: [], webhookNode: [] };
		for (let round = 0; round < options.rounds; round++) {
			// Alternating which goes first cancels a drift of the machine's speed within a round.
			const order: EndpointName[] =
				round % 2 === 0 ? ['karlaTrigger', 'webhookNode'] : ['webhookNode', 'karlaTrigger'];
			for (const name of order) {
				const result = await runEndpoint(queue, endpoints[name], body, options, options.runSeconds);
				runs[name].acceptedPerSecond.push(result.okPerSecond);
				runs[name].completedPerSecond.push(result.completedPerSecond);
				runs[name].deliveries += result.ok;
				runs[name].drainMs.push(result.drainMs);
				latencies[name].push(...result.latencies);
				options.log(
					`[queue] round ${round + 1}/${options.rounds} ${name}: ` +
						`${result.okPerSecond.toFixed(1)}/s accepted, ` +
						`${result.completedPerSecond.toFixed(1)}/s completed, ` +
						`p50 ${result.latencyMs.median.toFixed(1)} ms, drained in ${result.drainMs} ms`,
				);
			}
		}
		runs.karlaTrigger.latencyMs = summarizeLatencies(latencies.karlaTrigger);
		runs.webhookNode.latencyMs = summarizeLatencies(latencies.webhookNode);

		const ratio = (key: 'acceptedPerSecond' | 'completedPerSecond') =>
			summarize(runs.karlaTrigger[key].map((value, round) => value / runs.webhookNode[key][round]));
		return {
			n8nVersion: queue.runtime.n8nVersion,
			n8nNodeVersion: queue.runtime.nodeVersion,
			n8nEnv: options.n8nEnv,
			workers: WORKERS,
			workerConcurrency: WORKER_CONCURRENCY,
			body: options.body,
			bodyBytes: body.length,
			concurrency: options.concurrency,
			startSeconds,
			karlaTrigger: runs.karlaTrigger,
			webhookNode: runs.webhookNode,
			acceptedRatio: ratio('acceptedPerSecond'),
			completedRatio: ratio('completedPerSecond'),
		};
	} finally {
		await queue.stop();
	}
}

/** Returns the options for `npm run bench`, shorter with `--quick`. */
export function queueBenchOptions(quick: boolean): Omit<QueueBenchOptions, 'log' | 'n8nEnv'> {
	return {
		body: '1 KB',
		concurrency: 20,
		rounds: quick ? 2 : 4,
		runSeconds: quick ? 5 : 10,
		warmupSeconds: quick ? 2 : 5,
	};
}

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

/** Formats the result as the table `npm run bench` prints. */
export function formatQueueBench(result: QueueBenchResult): string {
	const rows: string[][] = [];
	for (const [name, runs] of [
		['Karla Claim Trigger', result.karlaTrigger],
		['n8n Webhook node', result.webhookNode],
	] as const) {
		rows.push([
			name,
			formatRate(median(runs.acceptedPerSecond)),
			formatRate(median(runs.completedPerSecond)),
			`${runs.latencyMs.median.toFixed(1)} ms`,
			`${runs.latencyMs.p99.toFixed(1)} ms`,
		]);
	}
	rows.push([
		'Karla ÷ Webhook node',
		formatRatio(result.acceptedRatio),
		formatRatio(result.completedRatio),
		'',
		'',
	]);
	return [
		`Queue mode: n8n ${result.n8nVersion} (Node ${result.n8nNodeVersion}), ` +
			`${describeN8nSettings(result.n8nEnv)}, one webhook ` +
			`process, ${result.workers} workers × ${result.workerConcurrency} jobs, ` +
			`${result.body} body, ${result.concurrency} in flight, each workflow then Normalize`,
		formatTable(
			['trigger in the webhook process', 'accepted/s', 'completed/s', 'p50', 'p99'],
			rows,
		),
	].join('\n');
}

if (require.main === module) {
	const quick = process.argv.includes('--quick');
	const log = (line: string) => process.stderr.write(`${line}\n`);
	ensureBuilt(log);
	runQueueBench({ ...queueBenchOptions(quick), n8nEnv: {}, log })
		.then((result) => {
			console.log(formatQueueBench(result));
			console.log(JSON.stringify(result, null, '\t'));
		})
		.catch((error: unknown) => {
			console.error(error instanceof Error ? (error.stack ?? error.message) : error);
			process.exit(1);
		});
}
