import { randomBytes, randomUUID } from 'crypto';

import { ensureBuilt } from './lib/build';
import { buildClaimEvent, buildShipmentEvent, photoUrls, type KarlaEvent } from './lib/claims';
import { startHelpdeskStub, type HelpdeskStub, type StoredTicket } from './lib/helpdesk-stub';
import { createOwner, startN8n, type RunningN8n } from './lib/n8n-harness';
import { signatureHeader } from './lib/signer';
import { formatTable } from './lib/table';
import { buildClaimWorkflow, buildSigningCredential, claimWebhookPath } from './lib/workflows';

/**
 * `npm run demo` starts a helpdesk stand-in and n8n with this package installed from its tarball.
 * It loads the example workflow (Karla Claim Trigger, Karla Claim Normalize, HTTP Request to the
 * helpdesk) and sends signed claims plus deliveries that must be rejected or ignored. It prints
 * one table of the outcomes, then keeps n8n running until Ctrl-C. With `--once` it exits instead:
 * 0 when every outcome was the expected one, 1 otherwise.
 */

const WORKFLOW_ID = 'karlaDemoClaims1';
const WEBHOOK_ID = '3f6f2a8e-5c1b-4d7e-9a20-6b8c4d2e1f00';
const CREDENTIAL_ID = 'karlaDemoSecret1';
const OWNER_EMAIL = 'demo@example.com';
const TICKET_TIMEOUT_MS = 30_000;

interface Expected {
	status: number;
	/** Ticket fields to compare; `null` means no ticket may arrive. */
	ticket: null | { requester: string; items: number; photos: number };
}

interface Scenario {
	label: string;
	/** Claim id of the delivery, used to find its ticket. */
	claimId?: string;
	body: string;
	/** Signature header to send; undefined sends none. */
	signature: (body: string) => string | undefined;
	expected: Expected;
}

interface Outcome {
	scenario: Scenario;
	status: number;
	tickets: StoredTicket[];
	problems: string[];
}

interface TicketBody {
	subject?: string;
	requester?: { name?: string | null; email?: string | null };
	tags?: string[];
	claim?: { id?: string; item_count?: number; photo_count?: number };
}

function log(line: string): void {
	process.stderr.write(`${line}\n`);
}

function nowSeconds(): number {
	return Math.floor(Date.now() / 1000);
}

function buildScenarios(secret: string): Scenario[] {
	const signed = (body: string) => signatureHeader(secret, body);
	const claimScenario = (
		label: string,
		event: KarlaEvent,
		claimId: string,
		ticket: Expected['ticket'],
	): Scenario => ({
		label,
		claimId,
		body: JSON.stringify(event),
		signature: signed,
		expected: { status: 200, ticket },
	});

	const newClaimId = randomUUID();
	const guestClaimId = randomUUID();
	const accentsClaimId = randomUUID();
	const photosClaimId = randomUUID();
	const forgedClaimId = randomUUID();
	const staleClaimId = randomUUID();

	return [
		claimScenario(
			'New claim, registered customer',
			buildClaimEvent({ claimId: newClaimId, orderNumber: '1001' }),
			newClaimId,
			{ requester: 'Jane Doe <jane.doe@example.com>', items: 1, photos: 1 },
		),
		claimScenario(
			'Update of that claim (accepted)',
			buildClaimEvent({ claimId: newClaimId, orderNumber: '1001', event: 'updated' }),
			newClaimId,
			{ requester: 'Jane Doe <jane.doe@example.com>', items: 1, photos: 1 },
		),
		claimScenario(
			'Guest customer, missing item',
			buildClaimEvent({
				claimId: guestClaimId,
				orderNumber: '1002',
				customerExternalId: null,
				email: 'guest.buyer@example.org',
				firstName: 'Sam',
				lastName: 'Guest',
				reason: 'investigation',
				resolutionPreference: 'reorder',
				description: 'The parcel arrived without the lamp shade.',
				items: [{ sku: 'LAMP-SHD-07', title: 'Linen lamp shade', quantity: 1, net_price: 29 }],
				photoUrls: [],
			}),
			guestClaimId,
			{ requester: 'Sam Guest <guest.buyer@example.org>', items: 1, photos: 0 },
		),
		claimScenario(
			'Non-ASCII names',
			buildClaimEvent({
				claimId: accentsClaimId,
				orderNumber: '1003',
				email: 'zoe.angstrom@example.se',
				firstName: 'Zoë',
				lastName: 'Ångström-Nuñez',
				description: 'Glas zerbrochen, Karton beschädigt.',
			}),
			accentsClaimId,
			{ requester: 'Zoë Ångström-Nuñez <zoe.angstrom@example.se>', items: 1, photos: 1 },
		),
		claimScenario(
			'Several items and photos',
			buildClaimEvent({
				claimId: photosClaimId,
				orderNumber: '1004',
				email: 'lukasz.zolc@example.pl',
				firstName: 'Łukasz',
				lastName: 'Żółć',
				reason: 'damage',
				items: [
					{ sku: 'PLT-WHT-01', title: 'Dinner plate', quantity: 4, net_price: 9.5 },
					{ sku: 'BWL-WHT-02', title: 'Bowl', quantity: 2, net_price: 7.25 },
					{ sku: 'CUP-WHT-03', title: 'Cup', quantity: 2, net_price: 6 },
				],
				photoUrls: photoUrls(photosClaimId, 4),
				optionalPhotoUrls: [`https://cdn.gokarla.io/claims/${photosClaimId}/box-label.jpg`],
			}),
			photosClaimId,
			{ requester: 'Łukasz Żółć <lukasz.zolc@example.pl>', items: 3, photos: 5 },
		),
		{
			label: 'Forged signature',
			claimId: forgedClaimId,
			body: JSON.stringify(buildClaimEvent({ claimId: forgedClaimId })),
			signature: (body) => signatureHeader('someone-else-secret-1234', body),
			expected: { status: 401, ticket: null },
		},
		{
			label: 'Stale signature (1 hour old)',
			claimId: staleClaimId,
			body: JSON.stringify(buildClaimEvent({ claimId: staleClaimId })),
			signature: (body) => signatureHeader(secret, body, nowSeconds() - 3600),
			expected: { status: 401, ticket: null },
		},
		{
			label: 'Shipment event (not a claim)',
			body: JSON.stringify(buildShipmentEvent()),
			signature: signed,
			expected: { status: 200, ticket: null },
		},
	];
}

function claimIdOf(ticket: StoredTicket): string | undefined {
	return (ticket.body as TicketBody).claim?.id;
}

function requesterOf(body: TicketBody): string {
	const name = body.requester?.name ?? '';
	const email = body.requester?.email ?? '';
	return name === '' ? email : `${name} <${email}>`;
}

async function send(url: string, scenario: Scenario): Promise<number> {
	const headers: Record<string, string> = { 'content-type': 'application/json' };
	const signature = scenario.signature(scenario.body);
	if (signature !== undefined) headers['karla-signature'] = signature;
	const response = await fetch(url, { method: 'POST', headers, body: scenario.body });
	await response.arrayBuffer();
	return response.status;
}

/** Sends every scenario in order and collects what n8n and the helpdesk did with it. */
async function runScenarios(
	n8n: RunningN8n,
	helpdesk: HelpdeskStub,
	scenarios: Scenario[],
): Promise<Outcome[]> {
	const url = n8n.webhookUrl(claimWebhookPath(WEBHOOK_ID));
	const outcomes: Outcome[] = [];

	for (const scenario of scenarios) {
		const ticketsBefore = helpdesk.tickets().length;
		const status = await send(url, scenario);
		const problems: string[] = [];
		if (status !== scenario.expected.status) {
			problems.push(`HTTP ${status}, expected ${scenario.expected.status}`);
		}

		let tickets: StoredTicket[] = [];
		if (scenario.expected.ticket !== null && status === 200) {
			try {
				// The update of a claim creates a second ticket with the same claim id.
				const count =
					helpdesk.tickets().filter((ticket) => claimIdOf(ticket) === scenario.claimId).length + 1;
				const matching = await helpdesk.waitForTickets(count, {
					filter: (ticket) => claimIdOf(ticket) === scenario.claimId,
					timeoutMs: TICKET_TIMEOUT_MS,
				});
				tickets = matching.slice(-1);
			} catch (error: unknown) {
				problems.push(error instanceof Error ? error.message : String(error));
			}
		}
		if (scenario.expected.ticket === null) {
			tickets = helpdesk.tickets().slice(ticketsBefore);
		}
		outcomes.push({ scenario, status, tickets, problems });
	}

	// Deliveries that must not create a ticket get time to do so anyway, so a late ticket counts.
	await n8n.waitForExecutions({
		workflowId: WORKFLOW_ID,
		count: scenarios.filter((scenario) => scenario.expected.ticket !== null).length,
	});
	await new Promise((resolve) => setTimeout(resolve, 1000));
	for (const outcome of outcomes) {
		const { expected, claimId } = outcome.scenario;
		if (expected.ticket === null && claimId !== undefined) {
			outcome.tickets = helpdesk.tickets().filter((ticket) => claimIdOf(ticket) === claimId);
		}
		checkTicket(outcome);
	}
	return outcomes;
}

function checkTicket(outcome: Outcome): void {
	const expected = outcome.scenario.expected.ticket;
	const [ticket] = outcome.tickets;
	if (expected === null) {
		if (ticket !== undefined) outcome.problems.push('a ticket was created');
		return;
	}
	if (ticket === undefined) {
		if (outcome.problems.length === 0) outcome.problems.push('no ticket');
		return;
	}
	const body = ticket.body as TicketBody;
	if (requesterOf(body) !== expected.requester) {
		outcome.problems.push(`requester ${requesterOf(body)}, expected ${expected.requester}`);
	}
	if (body.claim?.item_count !== expected.items) {
		outcome.problems.push(`${body.claim?.item_count} items, expected ${expected.items}`);
	}
	if (body.claim?.photo_count !== expected.photos) {
		outcome.problems.push(`${body.claim?.photo_count} photos, expected ${expected.photos}`);
	}
}

function printOutcomes(outcomes: Outcome[]): void {
	const rows = outcomes.map(({ scenario, status, tickets, problems }) => {
		const body = tickets[0]?.body as TicketBody | undefined;
		return [
			scenario.label,
			String(status),
			body?.subject ?? '-',
			body === undefined ? '-' : requesterOf(body),
			body?.tags?.join(' ') ?? '-',
			body?.claim?.item_count === undefined ? '-' : String(body.claim.item_count),
			body?.claim?.photo_count === undefined ? '-' : String(body.claim.photo_count),
			problems.length === 0 ? 'ok' : `UNEXPECTED: ${problems.join('; ')}`,
		];
	});
	const table = formatTable(
		[
			{ title: 'Sent' },
			{ title: 'HTTP' },
			{ title: 'Ticket subject', maxWidth: 56 },
			{ title: 'Requester', maxWidth: 46 },
			{ title: 'Tags', maxWidth: 64 },
			{ title: 'Items' },
			{ title: 'Photos' },
			{ title: 'Result' },
		],
		rows,
	);
	process.stdout.write(`\n${table}\n\n`);
}

function printTicket(ticket: StoredTicket): void {
	const body = ticket.body as TicketBody;
	log(`[helpdesk] ticket #${ticket.id} created: ${body.subject ?? '(no subject)'}`);
}

async function main(): Promise<number> {
	const once = process.argv.includes('--once');
	const startedAt = Date.now();
	const secret = `demo-${randomBytes(12).toString('hex')}`;

	ensureBuilt(log);
	const helpdesk = await startHelpdeskStub({ onTicket: printTicket });
	log(`[demo] helpdesk stand-in listening on ${helpdesk.baseUrl}`);

	let n8n: RunningN8n | undefined;
	const shutDown = async () => {
		await n8n?.stop();
		await helpdesk.close();
	};

	try {
		n8n = await startN8n({
			packageMode: 'community',
			credentials: [buildSigningCredential({ id: CREDENTIAL_ID, signingSecret: secret })],
			workflows: [
				buildClaimWorkflow({
					packageMode: 'community',
					workflowId: WORKFLOW_ID,
					webhookId: WEBHOOK_ID,
					credentialId: CREDENTIAL_ID,
					ticketsUrl: helpdesk.ticketsUrl,
				}),
			],
			publish: [WORKFLOW_ID],
			onProgress: log,
		});
		log(`[demo] n8n ${n8n.runtime.n8nVersion} with the package is up, sending deliveries`);

		const outcomes = await runScenarios(n8n, helpdesk, buildScenarios(secret));
		printOutcomes(outcomes);
		const executions = await n8n.executions(WORKFLOW_ID);
		const succeeded = executions.filter((execution) => execution.status === 'success').length;
		const failures = outcomes.filter((outcome) => outcome.problems.length > 0).length;
		process.stdout.write(
			`n8n recorded ${executions.length} executions (${succeeded} successful); ` +
				`${outcomes.length - failures} of ${outcomes.length} outcomes as expected ` +
				`(${((Date.now() - startedAt) / 1000).toFixed(0)} s in total).\n`,
		);
		const allExpected = failures === 0 && succeeded === executions.length;

		if (once) {
			await shutDown();
			return allExpected ? 0 : 1;
		}

		const password = `Demo-${randomBytes(6).toString('hex')}-9`;
		await createOwner(n8n.baseUrl, { email: OWNER_EMAIL, password });
		const webhookUrl = n8n.webhookUrl(claimWebhookPath(WEBHOOK_ID));
		process.stdout.write(
			[
				'',
				`Editor:      ${n8n.baseUrl}  (log in as ${OWNER_EMAIL} / ${password})`,
				`Webhook URL: ${webhookUrl}`,
				`Helpdesk:    ${helpdesk.ticketsUrl}  (GET lists every ticket)`,
				'',
				'Send another claim:',
				`  npm run send-claim -- --url ${webhookUrl} --secret ${secret}`,
				'',
				'n8n keeps running until Ctrl-C.',
				'',
			].join('\n'),
		);
		await new Promise<void>((resolve) => {
			process.once('SIGINT', () => resolve());
			process.once('SIGTERM', () => resolve());
		});
		log('\n[demo] stopping n8n and the helpdesk stand-in');
		await shutDown();
		return allExpected ? 0 : 1;
	} catch (error: unknown) {
		await shutDown();
		throw error;
	}
}

main().then(
	(exitCode) => {
		process.exitCode = exitCode;
	},
	(error: unknown) => {
		process.stderr.write(
			`[demo] failed: ${error instanceof Error ? error.message : String(error)}\n`,
		);
		process.exitCode = 1;
	},
);
