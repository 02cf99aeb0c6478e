import type { AxiosResponse } from 'axios';
import { randomUUID } from 'crypto';

import { buildClaimEvent, buildShipmentEvent, photoUrls } from '../../scripts/lib/claims';
import {
	startHelpdeskStub,
	type HelpdeskStub,
	type StoredTicket,
} from '../../scripts/lib/helpdesk-stub';
import { startN8n, type ExecutionSummary, type RunningN8n } from '../../scripts/lib/n8n-harness';
import { escapeNonAscii, signatureHeader } from '../../scripts/lib/signer';
import {
	buildClaimWorkflow,
	buildSigningCredential,
	claimWebhookPath,
} from '../../scripts/lib/workflows';
import { deliver, sendConcurrently } from './support/deliveries';

// Starting n8n took 30 to 60 s on a busy 2-core machine, and one test waits for 100 executions.
jest.setTimeout(180_000);

// One n8n, with dist/ in its custom folder, serves every test in this file. The tests run one
// after another and compare a workflow's executions before and after each delivery.
const CURRENT_SECRET = 'e2e-current-secret-7f3a9c1d5b';
const PREVIOUS_SECRET = 'e2e-previous-secret-2b8e4d6f0a';
const CREDENTIAL_ID = 'karlaE2eSecret01';

const MAIN = { workflowId: 'karlaE2eMain0001', webhookId: '5d0c9f7e-1a2b-4c3d-8e9f-0a1b2c3d4e01' };
const CREATED_ONLY = {
	workflowId: 'karlaE2eCreated1',
	webhookId: '5d0c9f7e-1a2b-4c3d-8e9f-0a1b2c3d4e02',
};

const TOLERANCE_SECONDS = 300;

let n8n: RunningN8n;
let helpdesk: HelpdeskStub;

function urlOf(workflow: { webhookId: string }): string {
	return n8n.webhookUrl(claimWebhookPath(workflow.webhookId));
}

function nowSeconds(): number {
	return Math.floor(Date.now() / 1000);
}

function claimIdOf(ticket: StoredTicket): unknown {
	return (ticket.body as { claim?: { id?: unknown } }).claim?.id;
}

async function ticketsFor(claimId: string, count = 1): Promise<StoredTicket[]> {
	return await helpdesk.waitForTickets(count, {
		filter: (ticket) => claimIdOf(ticket) === claimId,
	});
}

/** Checks the HTTP status first, so that a wrong one shows n8n's response body and log tail. */
function expectStatus(response: AxiosResponse, status: number): void {
	if (response.status === status) return;
	throw new Error(
		`Expected HTTP ${status}, received ${response.status}: ${JSON.stringify(response.data)}\n` +
			`--- n8n log tail ---\n${n8n.logs.tail(30)}`,
	);
}

/** Waits for `count` executions after `before` and returns them, with failures explained. */
async function newExecutions(
	workflowId: string,
	before: ExecutionSummary[],
	count: number,
	timeoutMs = 60_000,
): Promise<ExecutionSummary[]> {
	const all = await n8n.waitForExecutions({
		workflowId,
		count: before.length + count,
		timeoutMs,
	});
	const added = all.slice(before.length);
	for (const execution of added) {
		if (execution.status === 'success') continue;
		const failure = await n8n.executionFailure(execution.id);
		throw new Error(
			`Execution ${execution.id} ended with status ${execution.status} in node ` +
				`${failure.lastNodeExecuted}: ${failure.errorMessage} ${failure.errorDescription ?? ''}\n` +
				`--- n8n log tail ---\n${n8n.logs.tail(30)}`,
		);
	}
	return added;
}

beforeAll(async () => {
	helpdesk = await startHelpdeskStub();
	const workflow = (ids: { workflowId: string; webhookId: string }, events?: string[]) =>
		buildClaimWorkflow({
			packageMode: 'custom',
			...ids,
			credentialId: CREDENTIAL_ID,
			ticketsUrl: helpdesk.ticketsUrl,
			events,
		});
	n8n = await startN8n({
		packageMode: 'custom',
		credentials: [
			buildSigningCredential({
				id: CREDENTIAL_ID,
				signingSecret: CURRENT_SECRET,
				previousSigningSecret: PREVIOUS_SECRET,
			}),
		],
		workflows: [workflow(MAIN), workflow(CREATED_ONLY, ['claims/created'])],
		publish: [MAIN.workflowId, CREATED_ONLY.workflowId],
	});
});

afterAll(async () => {
	await n8n?.stop();
	await helpdesk?.close();
});

describe('valid claim', () => {
	it('creates one ticket with normalized fields', async () => {
		const claimId = randomUUID();
		const photos = photoUrls(claimId, 2);
		const event = buildClaimEvent({
			claimId,
			orderNumber: '1001',
			description: 'Box <crushed> & the mug is chipped',
			items: [
				{ sku: 'MUG-BLUE-01', title: 'Blue mug', quantity: 2, net_price: 12.5, image_urls: [] },
				{ sku: 'SAU-WHT-02', title: 'Saucer', quantity: 1, net_price: 4.9 },
			],
			photoUrls: photos,
		});
		const before = await n8n.executions(MAIN.workflowId);

		const response = await deliver(urlOf(MAIN), JSON.stringify(event), { secret: CURRENT_SECRET });

		expectStatus(response, 200);
		expect(response.data).toEqual({ received: true });
		const added = await newExecutions(MAIN.workflowId, before, 1);
		expect(added).toHaveLength(1);
		const [ticket] = await ticketsFor(claimId);
		expect(ticket.body).toMatchObject({
			requester: { name: 'Jane Doe', email: 'jane.doe@example.com' },
			external_id: `karla-claim-${claimId}`,
			claim: {
				id: claimId,
				event: 'created',
				status: 'pending',
				reason: 'partial_damage',
				resolution_preference: 'refund',
				order_number: '1001',
				item_count: 2,
				items_summary: '2 × Blue mug (MUG-BLUE-01); 1 × Saucer (SAU-WHT-02)',
				photo_urls: photos,
				photo_count: 2,
				items: [
					{ sku: 'MUG-BLUE-01', title: 'Blue mug', quantity: 2, net_price: 12.5 },
					{ sku: 'SAU-WHT-02', title: 'Saucer', quantity: 1, net_price: 4.9 },
				],
			},
		});
		const body = ticket.body as {
			subject: string;
			tags: string[];
			body_html: string;
			dedupe_key: string;
		};
		expect(body.subject).toContain('1001');
		expect(body.subject).toContain('Partial damage');
		expect(body.tags).toEqual(
			expect.arrayContaining(['karla', 'claim', 'reason_partial_damage', 'prefers_refund']),
		);
		expect(body.dedupe_key).toContain(claimId);
		expect(body.body_html).toContain('Box &lt;crushed&gt; &amp; the mug is chipped');
		expect(body.body_html).not.toContain('<crushed>');
	});

	it('accepts the previous secret', async () => {
		const claimId = randomUUID();
		const before = await n8n.executions(MAIN.workflowId);

		const response = await deliver(urlOf(MAIN), JSON.stringify(buildClaimEvent({ claimId })), {
			secret: PREVIOUS_SECRET,
		});

		expectStatus(response, 200);
		expect(await newExecutions(MAIN.workflowId, before, 1)).toHaveLength(1);
		expect(await ticketsFor(claimId)).toHaveLength(1);
	});
});

describe('rejected delivery', () => {
	const body = JSON.stringify(buildClaimEvent({ claimId: 'rejected-claim' }));
	const hex = 'a'.repeat(64);

	const cases: Array<{
		name: string;
		send: () => ReturnType<typeof deliver>;
		reason: string;
	}> = [
		{
			name: 'forged with another secret',
			send: () => deliver(urlOf(MAIN), body, { secret: 'not-the-secret-of-this-webhook' }),
			reason: 'no_matching_signature',
		},
		{
			name: 'body changed after signing',
			send: () =>
				deliver(urlOf(MAIN), body.replace('Jane', 'Joan'), {
					signatureHeader: signatureHeader(CURRENT_SECRET, body),
				}),
			reason: 'no_matching_signature',
		},
		{
			name: 'stale in the past',
			send: () =>
				deliver(urlOf(MAIN), body, {
					secret: CURRENT_SECRET,
					timestamp: nowSeconds() - TOLERANCE_SECONDS - 60,
				}),
			reason: 'timestamp_outside_tolerance',
		},
		{
			name: 'stale in the future',
			send: () =>
				deliver(urlOf(MAIN), body, {
					secret: CURRENT_SECRET,
					timestamp: nowSeconds() + TOLERANCE_SECONDS + 60,
				}),
			reason: 'timestamp_outside_tolerance',
		},
		{
			name: 'header without timestamp',
			send: () => deliver(urlOf(MAIN), body, { signatureHeader: `v1=${hex}` }),
			reason: 'malformed_header',
		},
		{
			name: 'header with text timestamp',
			send: () => deliver(urlOf(MAIN), body, { signatureHeader: `t=yesterday,v1=${hex}` }),
			reason: 'malformed_header',
		},
		{
			name: 'header with short signature',
			send: () => deliver(urlOf(MAIN), body, { signatureHeader: `t=${nowSeconds()},v1=abc123` }),
			reason: 'malformed_header',
		},
		{
			name: 'header that is not key=value',
			send: () => deliver(urlOf(MAIN), body, { signatureHeader: 'sha256 deadbeef' }),
			reason: 'malformed_header',
		},
		{
			name: 'missing header',
			send: () => deliver(urlOf(MAIN), body),
			reason: 'missing_header',
		},
	];

	it.each(cases)('$name gives 401 and no execution', async ({ send, reason }) => {
		const before = await n8n.executions(MAIN.workflowId);

		const response = await send();

		expectStatus(response, 401);
		expect(response.data).toEqual(expect.objectContaining({ reason }));
		expect(await n8n.executions(MAIN.workflowId)).toEqual(before);
	});
});

describe('body encoding', () => {
	const names = { firstName: 'Zoë', lastName: 'Ångström-Nuñez' };

	it.each([
		['pretty-printed', (event: Record<string, unknown>) => JSON.stringify(event, null, 2)],
		[
			'pretty-printed with CRLF',
			(event: Record<string, unknown>) => JSON.stringify(event, null, '\t').replace(/\n/g, '\r\n'),
		],
		['\\uXXXX-escaped', (event: Record<string, unknown>) => escapeNonAscii(JSON.stringify(event))],
	])('%s body is accepted and decoded', async (_name, serialize) => {
		const claimId = randomUUID();
		const event = buildClaimEvent({ claimId, ...names, description: 'Tasse zerbrochen 😞' });
		const before = await n8n.executions(MAIN.workflowId);

		const response = await deliver(urlOf(MAIN), serialize(event), { secret: CURRENT_SECRET });

		expectStatus(response, 200);
		await newExecutions(MAIN.workflowId, before, 1);
		const [ticket] = await ticketsFor(claimId);
		expect(ticket.body).toMatchObject({
			requester: { name: 'Zoë Ångström-Nuñez', email: 'jane.doe@example.com' },
		});
		expect((ticket.body as { body_html: string }).body_html).toContain('Tasse zerbrochen 😞');
	});

	it.each([
		['application/json; charset=utf-8'],
		['text/plain'],
		[null],
		['application/x-www-form-urlencoded'],
	])('Content-Type %s is accepted', async (contentType) => {
		const claimId = randomUUID();
		const event = buildClaimEvent({ claimId, ...names });
		const before = await n8n.executions(MAIN.workflowId);

		const response = await deliver(urlOf(MAIN), JSON.stringify(event), {
			secret: CURRENT_SECRET,
			contentType,
		});

		expectStatus(response, 200);
		await newExecutions(MAIN.workflowId, before, 1);
		const [ticket] = await ticketsFor(claimId);
		expect(ticket.body).toMatchObject({ requester: { name: 'Zoë Ångström-Nuñez' } });
	});

	// n8n 2.41.1 parses an application/json body before the trigger runs and returns 422 itself
	// when it is not JSON, so the signature is never checked for such a request.
	it('malformed JSON as application/json gets n8n 422', async () => {
		const before = await n8n.executions(MAIN.workflowId);

		const response = await deliver(urlOf(MAIN), '{"source": "claims",', {
			secret: CURRENT_SECRET,
		});

		expectStatus(response, 422);
		expect(await n8n.executions(MAIN.workflowId)).toEqual(before);
	});

	it('JSON with a byte order mark is accepted', async () => {
		const claimId = randomUUID();
		const body = Buffer.concat([
			Buffer.from([0xef, 0xbb, 0xbf]),
			Buffer.from(JSON.stringify(buildClaimEvent({ claimId })), 'utf8'),
		]);
		const before = await n8n.executions(MAIN.workflowId);

		const response = await deliver(urlOf(MAIN), body, { secret: CURRENT_SECRET });

		expectStatus(response, 200);
		await newExecutions(MAIN.workflowId, before, 1);
		await ticketsFor(claimId);
	});

	// n8n gives no raw body for multipart requests, so the bytes cannot be verified.
	it.each([
		['signed', CURRENT_SECRET, 400],
		['unsigned', undefined, 401],
	])('%s multipart body gets %s and no execution', async (_name, secret, status) => {
		const body = `--b\r\nContent-Disposition: form-data; name="event"\r\n\r\n{}\r\n--b--\r\n`;
		const before = await n8n.executions(MAIN.workflowId);

		const response = await deliver(urlOf(MAIN), body, {
			secret,
			contentType: 'multipart/form-data; boundary=b',
		});

		expectStatus(response, status);
		expect(await n8n.executions(MAIN.workflowId)).toEqual(before);
	});

	it('malformed JSON as text/plain gets 400', async () => {
		const before = await n8n.executions(MAIN.workflowId);

		const response = await deliver(urlOf(MAIN), '{"source": "claims",', {
			secret: CURRENT_SECRET,
			contentType: 'text/plain',
		});

		expectStatus(response, 400);
		expect(response.data).toEqual(expect.objectContaining({ reason: 'body_not_json' }));
		expect(await n8n.executions(MAIN.workflowId)).toEqual(before);
	});
});

describe('ignored event', () => {
	it('unselected claim event gives 200 and no execution', async () => {
		const before = await n8n.executions(CREATED_ONLY.workflowId);
		const event = buildClaimEvent({ event: 'updated' });

		const response = await deliver(urlOf(CREATED_ONLY), JSON.stringify(event), {
			secret: CURRENT_SECRET,
		});

		expectStatus(response, 200);
		expect(response.data).toEqual({ received: true, ignored: 'event_not_selected' });
		expect(await n8n.executions(CREATED_ONLY.workflowId)).toEqual(before);
	});

	it('shipment event gives 200 and no execution', async () => {
		const before = await n8n.executions(MAIN.workflowId);

		const response = await deliver(urlOf(MAIN), JSON.stringify(buildShipmentEvent()), {
			secret: CURRENT_SECRET,
		});

		expectStatus(response, 200);
		expect(response.data).toEqual({ received: true, ignored: 'not_a_claim_event' });
		expect(await n8n.executions(MAIN.workflowId)).toEqual(before);
	});

	it('selected event still runs beside an unselected one', async () => {
		const claimId = randomUUID();
		const before = await n8n.executions(CREATED_ONLY.workflowId);

		const response = await deliver(
			urlOf(CREATED_ONLY),
			JSON.stringify(buildClaimEvent({ claimId, event: 'created' })),
			{ secret: CURRENT_SECRET },
		);

		expectStatus(response, 200);
		expect(await newExecutions(CREATED_ONLY.workflowId, before, 1)).toHaveLength(1);
		expect(await ticketsFor(claimId)).toHaveLength(1);
	});
});

describe('concurrent deliveries', () => {
	it('100 deliveries 10 at a time give 100 executions and tickets', async () => {
		const count = 100;
		const claimIds = Array.from({ length: count }, (): string => randomUUID());
		const idSet = new Set(claimIds);
		const before = await n8n.executions(MAIN.workflowId);

		const responses = await sendConcurrently(count, 10, async (index) => {
			const event = buildClaimEvent({
				claimId: claimIds[index],
				orderNumber: String(20_000 + index),
			});
			return await deliver(urlOf(MAIN), JSON.stringify(event), { secret: CURRENT_SECRET });
		});

		expect(responses.map((response) => response.status)).toEqual(Array(count).fill(200));
		const added = await newExecutions(MAIN.workflowId, before, count, 120_000);
		expect(added).toHaveLength(count);
		const tickets = await helpdesk.waitForTickets(count, {
			filter: (ticket) => idSet.has(String(claimIdOf(ticket))),
			timeoutMs: 60_000,
		});
		expect(new Set(tickets.map(claimIdOf)).size).toBe(count);

		// Nothing arrives twice: the counts stay exact after the queue has drained.
		await new Promise((resolve) => setTimeout(resolve, 1000));
		expect(await n8n.executions(MAIN.workflowId)).toHaveLength(before.length + count);
		expect(
			helpdesk.tickets().filter((ticket) => idSet.has(String(claimIdOf(ticket)))),
		).toHaveLength(count);
	});
});

describe('recorded executions', () => {
	it('every execution succeeded', async () => {
		const executions = await n8n.executions();

		const failed = executions.filter((execution) => execution.status !== 'success');

		expect(failed).toEqual([]);
		expect(executions.every((execution) => execution.mode === 'webhook')).toBe(true);
	});
});
