import type { AxiosResponse } from 'axios';
import { randomUUID } from 'crypto';

import { deliver } from './support/deliveries';
import { normalizeClaim } from '../../nodes/shared/normalize';
import { buildClaimEvent } from '../../scripts/lib/claims';
import {
	startHelpdeskStub,
	type HelpdeskStub,
	type StoredTicket,
} from '../../scripts/lib/helpdesk-stub';
import { sqliteQuery } from '../../scripts/lib/n8n-database';
import { startN8n, type ExecutionSummary, type RunningN8n } from '../../scripts/lib/n8n-harness';
import { readNodeOutputs } from '../../scripts/lib/n8n-run-data';
import {
	buildClaimWorkflow,
	buildSigningCredential,
	claimWebhookPath,
} from '../../scripts/lib/workflows';

/**
 * The core cases on the n8n 1.x line: n8n 1.123.81 on Node 22, with the package installed as a
 * community package and the workflow activated with `n8n update:workflow --active=true`.
 */

// The first run installs n8n 1.123.81 (about 5 minutes); later runs start n8n in about 30 s.
jest.setTimeout(180_000);
const INSTALL_AND_START_TIMEOUT_MS = 900_000;

const CURRENT_SECRET = 'n8n1x-current-secret-5e2a8c0f7d';
const PREVIOUS_SECRET = 'n8n1x-previous-secret-1b9d3f6a4c';
const CREDENTIAL_ID = 'karlaN8n1xSecret';
const WORKFLOW = {
	workflowId: 'karlaN8n1xMain01',
	webhookId: '8b2e1f70-3c4d-4e5f-9a01-2b3c4d5e6f01',
};

let n8n: RunningN8n;
let helpdesk: HelpdeskStub;

function url(): string {
	return n8n.webhookUrl(claimWebhookPath(WORKFLOW.webhookId));
}

function claimIdOf(ticket: StoredTicket): unknown {
	return (ticket.body as { claim?: { id?: unknown } }).claim?.id;
}

function expectStatus(response: AxiosResponse, status: number): void {
	if (response.status === status) return;
	throw new Error(
		`Expected HTTP ${status}, received ${response.status}: ${JSON.stringify(response.data)}\n` +
			`--- n8n log tail ---\n${n8n.logs.tail(30)}`,
	);
}

async function newExecution(before: ExecutionSummary[]): Promise<ExecutionSummary> {
	const all = await n8n.waitForExecutions({
		workflowId: WORKFLOW.workflowId,
		count: before.length + 1,
		timeoutMs: 60_000,
	});
	const added = all.slice(before.length);
	expect(added).toHaveLength(1);
	if (added[0].status !== 'success') {
		const failure = await n8n.executionFailure(added[0].id);
		throw new Error(
			`Execution ${added[0].id} ended with status ${added[0].status} in node ` +
				`${failure.lastNodeExecuted}: ${failure.errorMessage}`,
		);
	}
	return added[0];
}

beforeAll(async () => {
	helpdesk = await startHelpdeskStub();
	n8n = await startN8n({
		line: 1,
		packageMode: 'community',
		credentials: [
			buildSigningCredential({
				id: CREDENTIAL_ID,
				signingSecret: CURRENT_SECRET,
				previousSigningSecret: PREVIOUS_SECRET,
			}),
		],
		workflows: [
			buildClaimWorkflow({
				packageMode: 'community',
				...WORKFLOW,
				credentialId: CREDENTIAL_ID,
				ticketsUrl: helpdesk.ticketsUrl,
			}),
		],
		publish: [WORKFLOW.workflowId],
	});
}, INSTALL_AND_START_TIMEOUT_MS);

afterAll(async () => {
	await n8n?.stop();
	await helpdesk?.close();
});

describe('n8n 1.123.81', () => {
	it('runs on the 1.x line and Node 22', () => {
		expect(n8n.runtime.n8nVersion).toBe('1.123.81');
		expect(n8n.runtime.nodeVersion).toMatch(/^v22\./);
	});

	it('valid claim gives one execution and ticket', async () => {
		const claimId = randomUUID();
		const before = await n8n.executions(WORKFLOW.workflowId);

		const response = await deliver(url(), JSON.stringify(buildClaimEvent({ claimId })), {
			secret: CURRENT_SECRET,
		});

		expectStatus(response, 200);
		await newExecution(before);
		const tickets = await helpdesk.waitForTickets(1, {
			filter: (ticket) => claimIdOf(ticket) === claimId,
		});
		expect(tickets).toHaveLength(1);
		expect(tickets[0].body).toMatchObject({
			requester: { name: 'Jane Doe', email: 'jane.doe@example.com' },
			external_id: `karla-claim-${claimId}`,
			claim: { id: claimId, event: 'created', order_number: '1001' },
		});
	});

	it('forged signature gives 401 and no execution', async () => {
		const before = await n8n.executions(WORKFLOW.workflowId);

		const response = await deliver(url(), JSON.stringify(buildClaimEvent()), {
			secret: 'forged-secret-of-nobody-0000',
		});

		expectStatus(response, 401);
		expect(response.data).toEqual(expect.objectContaining({ reason: 'no_matching_signature' }));
		expect(await n8n.executions(WORKFLOW.workflowId)).toEqual(before);
	});

	it('previous secret is accepted', async () => {
		const claimId = randomUUID();
		const before = await n8n.executions(WORKFLOW.workflowId);

		const response = await deliver(url(), JSON.stringify(buildClaimEvent({ claimId })), {
			secret: PREVIOUS_SECRET,
		});

		expectStatus(response, 200);
		await newExecution(before);
		const tickets = await helpdesk.waitForTickets(1, {
			filter: (ticket) => claimIdOf(ticket) === claimId,
		});
		expect(tickets).toHaveLength(1);
	});

	it('Normalize output matches the pure function', async () => {
		const claimId = randomUUID();
		const event = buildClaimEvent({
			claimId,
			event: 'updated',
			items: [
				{ sku: 'MUG-BLUE-01', title: 'Blue mug', quantity: 2, net_price: 12.5 },
				{ sku: 'SAU-WHT-02', title: 'Saucer', quantity: 1 },
			],
		});
		const before = await n8n.executions(WORKFLOW.workflowId);

		const response = await deliver(url(), JSON.stringify(event), { secret: CURRENT_SECRET });

		expectStatus(response, 200);
		const execution = await newExecution(before);
		const query = sqliteQuery(n8n.runtime.nodeBin, n8n.databasePath);
		const [triggerOutput] =
			(await readNodeOutputs(n8n.runtime, query, [execution.id], 'Karla Claim Trigger')).get(
				execution.id,
			) ?? [];
		const normalizeOutput =
			(await readNodeOutputs(n8n.runtime, query, [execution.id], 'Karla Claim Normalize')).get(
				execution.id,
			) ?? [];
		const expected = normalizeClaim(triggerOutput);
		if (!expected.ok) throw new Error(`The trigger output is not a claim: ${expected.missing}`);
		expect(normalizeOutput).toHaveLength(1);
		expect(normalizeOutput[0]).toEqual(JSON.parse(JSON.stringify(expected.record)));
		expect(normalizeOutput[0]).toMatchObject({
			claim_id: claimId,
			event: 'updated',
			ticket_external_id: `karla-claim-${claimId}`,
			customer_email: 'jane.doe@example.com',
			item_count: 2,
		});
	});
});
