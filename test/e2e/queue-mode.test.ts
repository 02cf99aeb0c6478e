import type { AxiosResponse } from 'axios';
import { randomUUID } from 'crypto';

import { automaticRegistrationWorkflow, photoWorkflow } from './support/queue-workflows';
import { deliver, sendConcurrently } from './support/deliveries';
import { buildClaimEvent } from '../../scripts/lib/claims';
import {
	startHelpdeskStub,
	type HelpdeskStub,
	type StoredTicket,
} from '../../scripts/lib/helpdesk-stub';
import type { ExecutionSummary } from '../../scripts/lib/n8n-harness';
import {
	loggedExecutionIds,
	nodeRunsByWorkflow,
	startN8nQueue,
	type QueueProcess,
	type RunningQueue,
} from '../../scripts/lib/n8n-queue';
import {
	buildClaimWorkflow,
	buildSigningCredential,
	claimWebhookPath,
} from '../../scripts/lib/workflows';
import { startKarlaSimulator, type KarlaSimulator } from '../../tools/karla-simulator';
import {
	jpegBytes,
	pngBytes,
	sendFile,
	startPhotoServer,
	type PhotoServer,
} from '../helpers/photo-server';

/**
 * n8n 2.41.1 in queue mode: one main process, one webhook process and two workers on PostgreSQL
 * and Redis (scripts/queue-services.sh), with the package installed as a community package in
 * every process. Every delivery goes to the webhook process.
 */

// Starting the four processes takes about a minute; the fault run waits for n8n to notice the
// killed worker's jobs.
jest.setTimeout(600_000);

const SECRET = 'queue-signing-secret-4c1e7a9b2d';
const SIGNING_CREDENTIAL_ID = 'karlaQueueSecret';
const API_CREDENTIAL_ID = 'karlaQueueApiKey';
const SHOP = { slug: 'queue-shop', apiKey: 'queue-api-key-8d2f6b1e' };

const LOAD = { workflowId: 'karlaQueueLoad01', webhookId: '7a1d0e6f-2b3c-4d5e-8f90-1a2b3c4d5e01' };
const REJECT = {
	workflowId: 'karlaQueueReject1',
	webhookId: '7a1d0e6f-2b3c-4d5e-8f90-1a2b3c4d5e02',
};
const FAULT = {
	workflowId: 'karlaQueueFault01',
	webhookId: '7a1d0e6f-2b3c-4d5e-8f90-1a2b3c4d5e03',
};
const AUTO = { workflowId: 'karlaQueueAuto001', webhookId: '7a1d0e6f-2b3c-4d5e-8f90-1a2b3c4d5e04' };
const PHOTOS = {
	workflowId: 'karlaQueuePhoto01',
	webhookId: '7a1d0e6f-2b3c-4d5e-8f90-1a2b3c4d5e05',
};

const NORMALIZE_NODE = 'Karla Claim Normalize';
const TOLERANCE_SECONDS = 300;

let queue: RunningQueue;
let helpdesk: HelpdeskStub;
let simulator: KarlaSimulator;
let photos: PhotoServer;

function urlOf(workflow: { webhookId: string }): string {
	return queue.webhookUrl(claimWebhookPath(workflow.webhookId));
}

function claimIdOf(ticket: StoredTicket): unknown {
	return (ticket.body as { claim?: { id?: unknown } }).claim?.id;
}

function countBy<T>(values: T[], key: (value: T) => string): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const value of values) counts[key(value)] = (counts[key(value)] ?? 0) + 1;
	return counts;
}

function signedClaim(claimId: string, timestamp?: number): Promise<AxiosResponse> {
	const body = JSON.stringify(buildClaimEvent({ claimId }));
	return deliver(urlOf(LOAD), body, { secret: SECRET, timestamp });
}

/**
 * Kills the worker's process group with SIGKILL as soon as its log shows an execution it started
 * and has not finished, or after 10 s. Returns the executions it was running.
 */
async function killWhileRunning(worker: QueueProcess): Promise<number[]> {
	const deadline = Date.now() + 10_000;
	for (;;) {
		const open = new Set<number>();
		for (const line of worker.logs.lines().slice(-1000)) {
			const match = /Worker (started|finished) execution (\d+) /.exec(line);
			if (match === null) continue;
			if (match[1] === 'started') open.add(Number(match[2]));
			else open.delete(Number(match[2]));
		}
		if (open.size > 0 || Date.now() > deadline) {
			worker.kill('SIGKILL');
			return [...open];
		}
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

function isOpen(execution: ExecutionSummary): boolean {
	return execution.status === 'new' || execution.status === 'running';
}

/**
 * Polls the workflow's executions until none is open, or until they have not changed for
 * `quietMs`, which leaves the executions that n8n left open, and returns them.
 */
async function waitUntilQuiet(
	workflowId: string,
	quietMs: number,
	timeoutMs: number,
): Promise<ExecutionSummary[]> {
	const deadline = Date.now() + timeoutMs;
	let previous = '';
	let unchangedSince = Date.now();
	for (;;) {
		const executions = await queue.executions(workflowId);
		if (!executions.some(isOpen)) return executions;
		const current = JSON.stringify(executions.map((execution) => execution.status));
		if (current !== previous) {
			previous = current;
			unchangedSince = Date.now();
		} else if (Date.now() - unchangedSince >= quietMs) {
			return executions;
		}
		if (Date.now() > deadline) {
			const open = executions.filter(isOpen).map((execution) => execution.id);
			throw new Error(`Executions ${open.join(', ')} of ${workflowId} still changing`);
		}
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
}

beforeAll(async () => {
	helpdesk = await startHelpdeskStub();
	simulator = await startKarlaSimulator({ shops: [SHOP] });
	photos = await startPhotoServer({
		'/photos/box.jpg': sendFile(jpegBytes(2048)),
		'/photos/label.png': sendFile(pngBytes(1024), { 'content-type': 'image/png' }),
	});
	const manual = (ids: { workflowId: string; webhookId: string }) =>
		buildClaimWorkflow({
			packageMode: 'community',
			...ids,
			credentialId: SIGNING_CREDENTIAL_ID,
			ticketsUrl: helpdesk.ticketsUrl,
		});
	queue = await startN8nQueue({
		nodeLogs: true,
		credentials: [
			buildSigningCredential({ id: SIGNING_CREDENTIAL_ID, signingSecret: SECRET }),
			{
				id: API_CREDENTIAL_ID,
				name: 'Karla API',
				type: 'karlaApi',
				data: {
					shopSlug: SHOP.slug,
					username: '',
					apiKey: SHOP.apiKey,
					baseUrl: simulator.baseUrl,
				},
			},
		],
		workflows: [
			manual(LOAD),
			manual(REJECT),
			manual(FAULT),
			photoWorkflow({ ...PHOTOS, credentialId: SIGNING_CREDENTIAL_ID }),
			automaticRegistrationWorkflow({
				...AUTO,
				credentialId: API_CREDENTIAL_ID,
				ticketsUrl: helpdesk.ticketsUrl,
			}),
		],
		publish: [
			LOAD.workflowId,
			REJECT.workflowId,
			FAULT.workflowId,
			AUTO.workflowId,
			PHOTOS.workflowId,
		],
		env: {
			// Shorter than n8n's defaults (60 s lock, renewed every 10 s, stall check every 30 s),
			// so that n8n detects the killed worker's stalled jobs within about 25 s.
			QUEUE_WORKER_LOCK_DURATION: '15000',
			QUEUE_WORKER_LOCK_RENEW_TIME: '5000',
			QUEUE_WORKER_STALLED_INTERVAL: '10000',
		},
	});
});

afterAll(async () => {
	await queue?.stop();
	await simulator?.stop();
	await helpdesk?.close();
	await photos?.close();
});

describe('webhook process', () => {
	it('500 deliveries give 500 executions and tickets', async () => {
		const claimIds: string[] = Array.from({ length: 500 }, () => randomUUID());

		const responses = await sendConcurrently(500, 20, (index) => signedClaim(claimIds[index]));

		expect(countBy(responses, (response) => String(response.status))).toEqual({ '200': 500 });
		const executions = await queue.waitForExecutions({
			workflowId: LOAD.workflowId,
			count: 500,
			timeoutMs: 300_000,
		});
		expect(executions).toHaveLength(500);
		expect(countBy(executions, (execution) => execution.status)).toEqual({ success: 500 });

		const sent = new Set(claimIds);
		const tickets = await helpdesk.waitForTickets(500, {
			filter: (ticket) => sent.has(String(claimIdOf(ticket))),
			timeoutMs: 60_000,
		});
		const ticketClaimIds = tickets.map((ticket) => String(claimIdOf(ticket)));
		expect(ticketClaimIds).toHaveLength(500);
		expect(new Set(ticketClaimIds).size).toBe(500);
		expect([...sent].filter((claimId) => !ticketClaimIds.includes(claimId))).toEqual([]);
	});

	it('runs Normalize on the workers only', async () => {
		const executionIds = (await queue.executions(LOAD.workflowId)).map((execution) => execution.id);
		expect(executionIds).toHaveLength(500);

		// Workers log each node they run; the webhook process enqueued every execution and a worker
		// finished each one, so no other process ran Normalize.
		const runsOn = (worker: QueueProcess) =>
			nodeRunsByWorkflow(worker, NORMALIZE_NODE).get(LOAD.workflowId) ?? 0;
		const [first, second] = queue.workers;
		expect(runsOn(first) + runsOn(second)).toBe(500);
		// With 500 jobs and 10 slots per worker, both workers take some.
		expect(runsOn(first)).toBeGreaterThan(0);
		expect(runsOn(second)).toBeGreaterThan(0);

		const enqueued = loggedExecutionIds(queue.webhook, 'Enqueued execution');
		const finishedOnWorkers = new Set(
			queue.workers.flatMap((worker) => [
				...loggedExecutionIds(worker, 'Worker finished execution'),
			]),
		);
		expect(executionIds.filter((id) => !enqueued.has(id))).toEqual([]);
		expect(executionIds.filter((id) => !finishedOnWorkers.has(id))).toEqual([]);

		const sample = executionIds.slice(0, 20);
		const outputs = await queue.nodeOutputs(sample, NORMALIZE_NODE);
		for (const id of sample) {
			const items = outputs.get(id) ?? [];
			expect(items).toHaveLength(1);
			expect(items[0]).toMatchObject({
				event: 'created',
				ticket_external_id: expect.stringMatching(/^karla-claim-/),
				customer_email: 'jane.doe@example.com',
			});
		}
	});

	it('rejects forged and stale deliveries with 401', async () => {
		const body = JSON.stringify(buildClaimEvent({ claimId: randomUUID() }));
		const nowSeconds = Math.floor(Date.now() / 1000);
		const workerStartsBefore = queue.workers.map(
			(worker) => loggedExecutionIds(worker, 'Worker started execution').size,
		);

		const rejected = await sendConcurrently(40, 20, (index) => {
			if (index % 4 === 0) return deliver(urlOf(REJECT), body, { secret: 'forged-secret-0000' });
			if (index % 4 === 1) {
				const stale = nowSeconds - TOLERANCE_SECONDS - 60;
				return deliver(urlOf(REJECT), body, { secret: SECRET, timestamp: stale });
			}
			if (index % 4 === 2) {
				const future = nowSeconds + TOLERANCE_SECONDS + 60;
				return deliver(urlOf(REJECT), body, { secret: SECRET, timestamp: future });
			}
			return deliver(urlOf(REJECT), body);
		});
		// One authentic delivery after them: once its execution is recorded, any execution a
		// rejected delivery had started would be recorded too.
		const sentinel = await deliver(urlOf(REJECT), body, { secret: SECRET });

		expect(countBy(rejected, (response) => String(response.status))).toEqual({ '401': 40 });
		expect(sentinel.status).toBe(200);
		const executions = await queue.waitForExecutions({
			workflowId: REJECT.workflowId,
			count: 1,
			timeoutMs: 60_000,
		});
		expect(executions).toHaveLength(1);
		const workerStartsAfter = queue.workers.map(
			(worker) => loggedExecutionIds(worker, 'Worker started execution').size,
		);
		const started = workerStartsAfter.reduce(
			(sum, count, index) => sum + count - workerStartsBefore[index],
			0,
		);
		expect(started).toBe(1);
	});
});

describe('photo evidence', () => {
	it('stores downloaded photos in the database', async () => {
		const claimId = randomUUID();
		// The photo host is localhost, which the workflow's allow-list names.
		const host = photos.origin.replace('127.0.0.1', 'localhost');
		const event = buildClaimEvent({
			claimId,
			photoUrls: [`${host}/photos/box.jpg`, `${host}/photos/label.png`],
		});

		const response = await deliver(urlOf(PHOTOS), JSON.stringify(event), { secret: SECRET });

		expect(response.status).toBe(200);
		const [execution] = await queue.waitForExecutions({
			workflowId: PHOTOS.workflowId,
			count: 1,
			timeoutMs: 60_000,
		});
		expect(execution.status).toBe('success');
		const [item] = (await queue.nodeItems([execution.id], NORMALIZE_NODE)).get(execution.id) ?? [];
		const binaries = Object.values(item?.binary ?? {});
		expect(binaries).toHaveLength(2);
		for (const binary of binaries) expect(binary.id).toMatch(/^database:/);
		expect(binaries.map((binary) => binary.mimeType).sort()).toEqual(['image/jpeg', 'image/png']);
	});
});

describe('automatic registration', () => {
	it('registers the webhook process URL and receives', async () => {
		const webhooks = simulator.webhooks(SHOP.slug);
		expect(webhooks).toHaveLength(1);
		expect(webhooks[0].url).toBe(urlOf(AUTO));
		const claimId = randomUUID();

		const results = await simulator.deliver(buildClaimEvent({ claimId, shopSlug: SHOP.slug }));

		expect(results).toHaveLength(1);
		expect(results[0].delivered).toBe(true);
		expect(results[0].attempts.map((attempt) => attempt.status)).toEqual([200]);
		const executions = await queue.waitForExecutions({
			workflowId: AUTO.workflowId,
			count: 1,
			timeoutMs: 60_000,
		});
		expect(executions.map((execution) => execution.status)).toEqual(['success']);
		const tickets = await helpdesk.waitForTickets(1, {
			filter: (ticket) => claimIdOf(ticket) === claimId,
		});
		expect(tickets).toHaveLength(1);
	});
});

describe('worker killed under load', () => {
	it('keeps a record of every accepted delivery', async () => {
		const claimIds: string[] = Array.from({ length: 300 }, () => randomUUID());
		const victim = queue.workers[1];
		let answered = 0;
		let killedWhileRunning: number[] | undefined;

		const responses = await sendConcurrently(300, 20, async (index) => {
			const body = JSON.stringify(buildClaimEvent({ claimId: claimIds[index] }));
			const response = await deliver(urlOf(FAULT), body, { secret: SECRET });
			answered++;
			if (answered === 100) {
				killedWhileRunning = await killWhileRunning(victim);
			}
			return response;
		});

		const accepted = claimIds.filter((_, index) => responses[index].status === 200);
		// 25 s without a change is longer than n8n needs to detect a stalled job with the lock
		// settings above. What is still open then stays open until the main process's queue
		// recovery, which runs every 180 min by default and once when the main process starts.
		const settled = await waitUntilQuiet(FAULT.workflowId, 25_000, 240_000);
		const leftOpen = settled.filter(isOpen).length;
		if (leftOpen > 0) await queue.main.restart();
		const executions = await waitUntilQuiet(FAULT.workflowId, 25_000, 120_000);

		const data = await queue.executionDataText(executions.map((execution) => execution.id));
		const recordOf = new Map<string, number>();
		for (const [id, text] of data) {
			for (const claimId of claimIds) if (text.includes(claimId)) recordOf.set(claimId, id);
		}
		const withoutClaim = executions.filter(
			(execution) => ![...recordOf.values()].includes(execution.id),
		);
		const withoutRecord = accepted.filter((claimId) => !recordOf.has(claimId));
		const statuses = countBy(executions, (execution) => execution.status);
		const sent = new Set(claimIds);
		const tickets = helpdesk.tickets().filter((ticket) => sent.has(String(claimIdOf(ticket))));
		const otherAnswers = countBy(
			responses.filter((response) => response.status !== 200),
			(response) => String(response.status),
		);
		process.stderr.write(
			`[queue fault run] 300 deliveries, worker-2 killed with SIGKILL after 100 responses ` +
				`while it ran executions ${JSON.stringify(killedWhileRunning)}: ` +
				`${accepted.length} answered 200, other answers ${JSON.stringify(otherAnswers)}; ` +
				`${executions.length} execution records ${JSON.stringify(statuses)}, ` +
				`${leftOpen} left open until the main process restarted; ` +
				`${withoutClaim.length} records without the claim in their data ` +
				`(${withoutClaim.map((execution) => `${execution.id}:${execution.status}`).join(' ')}); ` +
				`${tickets.length} tickets; ${withoutRecord.length} accepted deliveries whose claim is ` +
				`in no record\n`,
		);

		expect(executions.length).toBe(accepted.length);
		expect(executions.filter(isOpen)).toEqual([]);
		// n8n 2.41.1 marks the job of a killed worker as failed once its lock expires, and replaces
		// the execution's data with that error, so the claim is no longer in the record. Only the
		// executions the worker was running may end that way, each for one delivery.
		expect(withoutRecord.length).toBeLessThanOrEqual(withoutClaim.length);
		for (const execution of withoutClaim) {
			expect(killedWhileRunning).toContain(execution.id);
			expect(execution.status).not.toBe('success');
		}
		expect(victim.isRunning()).toBe(false);

		// The restarted worker and the package in it pick up new deliveries as before.
		await victim.restart();
		const afterRestart = Array.from({ length: 20 }, () => randomUUID());
		const before = executions.length;
		const restartResponses = await sendConcurrently(20, 20, (index) =>
			deliver(urlOf(FAULT), JSON.stringify(buildClaimEvent({ claimId: afterRestart[index] })), {
				secret: SECRET,
			}),
		);
		expect(countBy(restartResponses, (response) => String(response.status))).toEqual({ '200': 20 });
		const all = await queue.waitForExecutions({
			workflowId: FAULT.workflowId,
			count: before + 20,
			timeoutMs: 60_000,
		});
		expect(all.slice(before).filter((execution) => execution.status !== 'success')).toEqual([]);
	});
});
