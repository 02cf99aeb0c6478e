import { randomUUID } from 'crypto';

import { querySqlite } from '../scripts/lib/n8n-database';
import { startN8n, type RunningN8n } from '../scripts/lib/n8n-harness';
import {
	buildClaimWorkflow,
	buildSigningCredential,
	claimWebhookPath,
} from '../scripts/lib/workflows';
import { buildBenchBody, type BodyLabel } from './lib/bodies';
import { checkForgeryRejected, runAndDrain, type BenchEndpoint } from './lib/endpoint-runs';
import { summarizeLatencies, type LoadResult } from './lib/load';
import { summarize, type Summary } from './lib/measure';
import { signatureHeader } from '../scripts/lib/signer';

/**
 * Part 3: deliveries through a real n8n. One instance runs two published workflows that consist
 * of one trigger each: Karla Claim Trigger, and n8n's own Webhook node, which verifies nothing.
 * Both receive the same body with the same signature header at the same concurrency, in
 * alternating runs. After each run the bench waits until n8n has finished every execution the
 * run started, so that no run pays for the previous one's backlog.
 */

export const END_TO_END_TARGETS = { minThroughputRatio: 0.9, maxP99Ratio: 1.2 } as const;

export interface EndToEndOptions {
	bodies: BodyLabel[];
	concurrency: number;
	rounds: number;
	runSeconds: number;
	warmupSeconds: number;
	/** Extra n8n settings, such as `N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE`; none by default. */
	n8nEnv: Record<string, string>;
	log: (line: string) => void;
}

export interface EndpointRuns {
	/** Deliveries with a 200 response per second, one value per run. */
	perSecond: number[];
	/** Latencies of every run together. */
	latencyMs: LoadResult['latencyMs'];
	/** p99 latency of each run, in milliseconds. */
	p99PerRun: number[];
	deliveries: number;
	errors: number;
	/** Time n8n needed after each run to finish the executions it started, in milliseconds. */
	drainMs: number[];
}

export interface EndToEndSizeResult {
	body: string;
	bodyBytes: number;
	concurrency: number;
	karlaTrigger: EndpointRuns;
	webhookNode: EndpointRuns;
	/** Karla's deliveries per second divided by the Webhook node's, per pair of runs. */
	throughputRatio: Summary;
	/** Karla's p99 divided by the Webhook node's, per pair of runs. */
	p99Ratio: Summary;
	/** Karla's p99 over all runs divided by the Webhook node's. */
	pooledP99Ratio: number;
	meetsTargets: { throughput: boolean; p99: boolean };
}

export interface EndToEndResult {
	n8nVersion: string;
	n8nNodeVersion: string;
	/** The settings n8n ran with beyond its defaults. */
	n8nEnv: Record<string, string>;
	sizes: EndToEndSizeResult[];
}

const SECRET = '3c9e51b2-7d44-4f0a-8a6e-2b5d90c4e1f7';
const CREDENTIAL_ID = 'BenchSigning0001';
const KARLA_WORKFLOW_ID = 'BenchKarlaTrig01';
const WEBHOOK_WORKFLOW_ID = 'BenchPlainHook01';
const DRAIN_TIMEOUT_MS = 120_000;

interface Endpoint extends BenchEndpoint {
	name: 'karlaTrigger' | 'webhookNode';
}

function buildWebhookNodeWorkflow(path: string): object {
	return {
		id: WEBHOOK_WORKFLOW_ID,
		name: 'Bench: n8n Webhook node',
		active: false,
		nodes: [
			{
				id: 'b3f0c2a1-0001-4d6e-8f00-000000000001',
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2.1,
				position: [0, 0],
				webhookId: path,
				parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
			},
		],
		connections: {},
		settings: { executionOrder: 'v1' },
		pinData: {},
	};
}

function signedHeaders(body: Buffer): Record<string, string> {
	return { 'karla-signature': signatureHeader(SECRET, body) };
}

async function countFinishedExecutions(n8n: RunningN8n, workflowId: string): Promise<number> {
	const rows = await querySqlite<{ finished: number }>(
		n8n.runtime.nodeBin,
		n8n.databasePath,
		`SELECT COUNT(*) AS finished FROM execution_entity
		 WHERE "workflowId" = ? AND status IN ('success', 'error', 'crashed', 'canceled')`,
		[workflowId],
	);
	return Number(rows[0]?.finished ?? 0);
}

async function runEndpoint(
	n8n: RunningN8n,
	endpoint: Endpoint,
	body: Buffer,
	concurrency: number,
	seconds: number,
): Promise<LoadResult & { latencies: number[]; drainMs: number }> {
	return await runAndDrain({
		endpoint,
		body,
		// Signed per run: every run is far shorter than the trigger's 300 s tolerance.
		headers: signedHeaders(body),
		concurrency,
		seconds,
		countFinished: (workflowId) => countFinishedExecutions(n8n, workflowId),
		runner: 'n8n',
		drainTimeoutMs: DRAIN_TIMEOUT_MS,
	});
}

function emptyRuns(): EndpointRuns {
	return {
		perSecond: [],
		latencyMs: summarizeLatencies([]),
		p99PerRun: [],
		deliveries: 0,
		errors: 0,
		drainMs: [],
	};
}

async function measureSize(
	n8n: RunningN8n,
	endpoints: Record<Endpoint['name'], Endpoint>,
	label: BodyLabel,
	options: EndToEndOptions,
): Promise<EndToEndSizeResult> {
	const body = buildBenchBody(label).bytes;
	const runs = { karlaTrigger: emptyRuns(), webhookNode: emptyRuns() };
	const latencies = { karlaTrigger: [] as number[], webhookNode: [] as number[] };

	options.log(`[part 3] ${label}: warming up both workflows for ${options.warmupSeconds} s each`);
	for (const endpoint of Object.values(endpoints)) {
		await runEndpoint(n8n, endpoint, body, options.concurrency, options.warmupSeconds);
	}

	for (let round = 0; round < options.rounds; round++) {
		// Alternating which goes first cancels a drift of the machine's speed within a round.
		const order: Array<Endpoint['name']> =
			round % 2 === 0 ? ['karlaTrigger', 'webhookNode'] : ['webhookNode', 'karlaTrigger'];
		for (const name of order) {
			const result = await runEndpoint(
				n8n,
				endpoints[name],
				body,
				options.concurrency,
				options.runSeconds,
			);
			runs[name].perSecond.push(result.okPerSecond);
			runs[name].p99PerRun.push(result.latencyMs.p99);
			runs[name].deliveries += result.ok;
			runs[name].drainMs.push(result.drainMs);
			latencies[name].push(...result.latencies);
			options.log(
				`[part 3] ${label} round ${round + 1}/${options.rounds} ${name}: ` +
					`${result.okPerSecond.toFixed(0)}/s, p50 ${result.latencyMs.median.toFixed(1)} ms, ` +
					`p99 ${result.latencyMs.p99.toFixed(1)} ms, drained in ${result.drainMs} ms`,
			);
		}
	}

	runs.karlaTrigger.latencyMs = summarizeLatencies(latencies.karlaTrigger);
	runs.webhookNode.latencyMs = summarizeLatencies(latencies.webhookNode);
	const throughputRatio = summarize(
		runs.karlaTrigger.perSecond.map((value, round) => value / runs.webhookNode.perSecond[round]),
	);
	const p99Ratio = summarize(
		runs.karlaTrigger.p99PerRun.map((value, round) => value / runs.webhookNode.p99PerRun[round]),
	);
	const pooledP99Ratio = runs.karlaTrigger.latencyMs.p99 / runs.webhookNode.latencyMs.p99;
	return {
		body: label,
		bodyBytes: body.length,
		concurrency: options.concurrency,
		karlaTrigger: runs.karlaTrigger,
		webhookNode: runs.webhookNode,
		throughputRatio,
		p99Ratio,
		pooledP99Ratio,
		meetsTargets: {
			throughput: throughputRatio.median >= END_TO_END_TARGETS.minThroughputRatio,
			p99: p99Ratio.median <= END_TO_END_TARGETS.maxP99Ratio,
		},
	};
}

export async function runEndToEnd(options: EndToEndOptions): Promise<EndToEndResult> {
	const karlaWebhookId = randomUUID();
	const plainPath = randomUUID();
	const n8n = await startN8n({
		packageMode: 'custom',
		credentials: [buildSigningCredential({ id: CREDENTIAL_ID, signingSecret: SECRET })],
		workflows: [
			buildClaimWorkflow({
				packageMode: 'custom',
				workflowId: KARLA_WORKFLOW_ID,
				name: 'Bench: Karla Claim Trigger',
				webhookId: karlaWebhookId,
				credentialId: CREDENTIAL_ID,
				triggerOnly: true,
			}),
			buildWebhookNodeWorkflow(plainPath),
		],
		publish: [KARLA_WORKFLOW_ID, WEBHOOK_WORKFLOW_ID],
		env: options.n8nEnv,
		onProgress: options.log,
	});

	try {
		const endpoints: Record<Endpoint['name'], Endpoint> = {
			karlaTrigger: {
				name: 'karlaTrigger',
				workflowId: KARLA_WORKFLOW_ID,
				url: n8n.webhookUrl(claimWebhookPath(karlaWebhookId)),
				expectedExecutions: 0,
			},
			webhookNode: {
				name: 'webhookNode',
				workflowId: WEBHOOK_WORKFLOW_ID,
				url: n8n.webhookUrl(plainPath),
				expectedExecutions: 0,
			},
		};
		await checkForgeryRejected(endpoints.karlaTrigger, buildBenchBody('1 KB').bytes, 'The trigger');

		const sizes: EndToEndSizeResult[] = [];
		for (const label of options.bodies) {
			sizes.push(await measureSize(n8n, endpoints, label, options));
		}
		return {
			n8nVersion: n8n.runtime.n8nVersion,
			n8nNodeVersion: n8n.runtime.nodeVersion,
			n8nEnv: options.n8nEnv,
			sizes,
		};
	} finally {
		await n8n.stop();
	}
}
