import axios from 'axios';
import { randomUUID } from 'crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

import { buildClaimEvent } from '../../scripts/lib/claims';
import {
	startHelpdeskStub,
	type HelpdeskStub,
	type StoredTicket,
} from '../../scripts/lib/helpdesk-stub';
import { packProject, startN8n, type RunningN8n } from '../../scripts/lib/n8n-harness';
import { PROJECT_DIR } from '../../scripts/lib/n8n-install';
import {
	buildClaimWorkflow,
	buildSigningCredential,
	claimWebhookPath,
} from '../../scripts/lib/workflows';
import { builtCredentialFiles, builtNodeFiles, referencedIcons } from '../helpers/package-contents';
import { deliver } from './support/deliveries';

// The package is installed as in a user's n8n: the npm pack tarball is unpacked into
// ~/.n8n/nodes/node_modules/n8n-nodes-karla, and n8n's community package loader loads it. n8n runs
// with the lazy expression isolates the README recommends; the other end-to-end tests use n8n's
// default settings.
jest.setTimeout(180_000);

const SECRET = 'community-package-secret-4e1f';
const CREDENTIAL_ID = 'karlaPkgSecret01';
const WORKFLOW = {
	workflowId: 'karlaPkgFlow0001',
	webhookId: '7a3e5b10-2c4d-4e6f-8a9b-0c1d2e3f4a01',
};
/** A workflow saved before the trigger's version 1.1. */
const VERSION_1_WORKFLOW = {
	workflowId: 'karlaPkgFlowV101',
	webhookId: '7a3e5b10-2c4d-4e6f-8a9b-0c1d2e3f4a02',
	triggerVersion: 1,
};
/** The trigger alone, so that no later node evaluates an expression. */
const TRIGGER_ONLY_WORKFLOW = {
	workflowId: 'karlaPkgFlowTrig',
	webhookId: '7a3e5b10-2c4d-4e6f-8a9b-0c1d2e3f4a03',
	triggerOnly: true,
};

const packageJson = JSON.parse(readFileSync(join(PROJECT_DIR, 'package.json'), 'utf8')) as {
	name: string;
	n8n: { nodes: string[]; credentials: string[] };
};

let n8n: RunningN8n;
let helpdesk: HelpdeskStub;
/** Icons the built descriptions reference, read when the tarball is packed. */
let referencedIconPaths: string[];
let packDir: string | undefined;

function ticketOf(claimId: string) {
	return (ticket: StoredTicket) =>
		(ticket.body as { external_id?: string }).external_id === `karla-claim-${claimId}`;
}

/** Reads n8n's count of expression isolates taken from the pool since it started. */
async function isolatesAcquired(): Promise<number> {
	const response = await axios.get<string>(`${n8n.baseUrl}/metrics`, { responseType: 'text' });
	const match = /^n8n_expression_pool_acquired_total (\d+)$/m.exec(response.data);
	if (match === null) throw new Error('n8n_expression_pool_acquired_total not found in /metrics');
	return Number(match[1]);
}

function installedPackageDir(): string {
	return join(n8n.userFolder, '.n8n', 'nodes', 'node_modules', packageJson.name);
}

beforeAll(async () => {
	helpdesk = await startHelpdeskStub();
	// dist/ is read right when it is packed, because a build elsewhere in the checkout may replace
	// it while the tests run.
	packDir = mkdtempSync(join(tmpdir(), 'karla-pack-'));
	const tarball = packProject(packDir);
	referencedIconPaths = [...builtNodeFiles(), ...builtCredentialFiles()].flatMap(referencedIcons);
	n8n = await startN8n({
		packageMode: 'community',
		tarball,
		credentials: [buildSigningCredential({ id: CREDENTIAL_ID, signingSecret: SECRET })],
		workflows: [
			buildClaimWorkflow({
				packageMode: 'community',
				...WORKFLOW,
				credentialId: CREDENTIAL_ID,
				ticketsUrl: helpdesk.ticketsUrl,
			}),
			buildClaimWorkflow({
				packageMode: 'community',
				...VERSION_1_WORKFLOW,
				name: 'Karla claim to ticket, trigger version 1',
				credentialId: CREDENTIAL_ID,
				ticketsUrl: helpdesk.ticketsUrl,
			}),
			buildClaimWorkflow({
				packageMode: 'community',
				...TRIGGER_ONLY_WORKFLOW,
				name: 'Karla Claim Trigger alone',
				credentialId: CREDENTIAL_ID,
			}),
		],
		publish: [WORKFLOW.workflowId, VERSION_1_WORKFLOW.workflowId, TRIGGER_ONLY_WORKFLOW.workflowId],
		// N8N_METRICS serves /metrics, where n8n 2.41 counts the isolates its expression engine
		// takes from the pool.
		env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true', N8N_METRICS: 'true' },
	});
});

afterAll(async () => {
	await n8n?.stop();
	await helpdesk?.close();
	if (packDir !== undefined) rmSync(packDir, { recursive: true, force: true });
});

describe('community package', () => {
	it('is unpacked with every file n8n loads', () => {
		const files = [...packageJson.n8n.nodes, ...packageJson.n8n.credentials];

		expect(files.length).toBeGreaterThan(0);
		for (const file of ['package.json', ...files]) {
			expect(existsSync(join(installedPackageDir(), file))).toBe(true);
		}
	});

	it('loads without loader errors', () => {
		const problems = n8n.logs
			.lines()
			.filter((line) =>
				/Unrecognized node type|Failed to load package|Skipping package|Error loading/i.test(line),
			);

		expect(problems).toEqual([]);
	});

	it('serves every referenced icon', async () => {
		expect(referencedIconPaths.length).toBeGreaterThan(0);
		for (const icon of referencedIconPaths) {
			const response = await axios.get(`${n8n.baseUrl}/icons/${packageJson.name}/${icon}`, {
				validateStatus: () => true,
			});
			expect({ icon, status: response.status }).toEqual({ icon, status: 200 });
		}
	});

	it('runs a valid claim through both nodes', async () => {
		const claimId = randomUUID();
		const before = await n8n.executions(WORKFLOW.workflowId);

		const response = await deliver(
			n8n.webhookUrl(claimWebhookPath(WORKFLOW.webhookId)),
			JSON.stringify(buildClaimEvent({ claimId, orderNumber: '3005' })),
			{ secret: SECRET },
		);

		expect({
			status: response.status,
			log: response.status === 200 ? '' : n8n.logs.tail(30),
		}).toEqual({ status: 200, log: '' });
		expect(response.headers['content-type']).toMatch(/^application\/json/);
		expect(response.data).toEqual({ received: true });
		const executions = await n8n.waitForExecutions({
			workflowId: WORKFLOW.workflowId,
			count: before.length + 1,
		});
		expect(executions.slice(before.length).map((execution) => execution.status)).toEqual([
			'success',
		]);
		const [ticket] = await helpdesk.waitForTickets(1, { filter: ticketOf(claimId) });
		expect(ticket.body).toMatchObject({
			external_id: `karla-claim-${claimId}`,
			requester: { email: 'jane.doe@example.com' },
			claim: { id: claimId, order_number: '3005' },
		});
	});

	it('still runs a version 1 trigger', async () => {
		const claimId = randomUUID();
		const before = await n8n.executions(VERSION_1_WORKFLOW.workflowId);

		const response = await deliver(
			n8n.webhookUrl(claimWebhookPath(VERSION_1_WORKFLOW.webhookId)),
			JSON.stringify(buildClaimEvent({ claimId })),
			{ secret: SECRET },
		);

		expect(response.status).toBe(200);
		expect(response.data).toEqual({ received: true });
		await n8n.waitForExecutions({
			workflowId: VERSION_1_WORKFLOW.workflowId,
			count: before.length + 1,
		});
		const [ticket] = await helpdesk.waitForTickets(1, { filter: ticketOf(claimId) });
		expect(ticket.body).toMatchObject({ external_id: `karla-claim-${claimId}` });
	});

	it('takes no isolate for version 1.1', async () => {
		const triggerOnlyUrl = n8n.webhookUrl(claimWebhookPath(TRIGGER_ONLY_WORKFLOW.webhookId));
		const before = await n8n.executions(TRIGGER_ONLY_WORKFLOW.workflowId);
		const acquiredBefore = await isolatesAcquired();

		for (let index = 0; index < 2; index++) {
			const response = await deliver(triggerOnlyUrl, JSON.stringify(buildClaimEvent()), {
				secret: SECRET,
			});
			expect(response.status).toBe(200);
		}
		await n8n.waitForExecutions({
			workflowId: TRIGGER_ONLY_WORKFLOW.workflowId,
			count: before.length + 2,
		});
		expect(await isolatesAcquired()).toBe(acquiredBefore);

		// The same delivery to a version 1 trigger takes one, so the counter does count.
		const version1Response = await deliver(
			n8n.webhookUrl(claimWebhookPath(VERSION_1_WORKFLOW.webhookId)),
			JSON.stringify(buildClaimEvent()),
			{ secret: SECRET },
		);
		expect(version1Response.status).toBe(200);
		expect(await isolatesAcquired()).toBeGreaterThan(acquiredBefore);
	});

	it('rejects a forged claim with 401', async () => {
		const before = await n8n.executions(WORKFLOW.workflowId);

		const response = await deliver(
			n8n.webhookUrl(claimWebhookPath(WORKFLOW.webhookId)),
			JSON.stringify(buildClaimEvent()),
			{ secret: 'a-different-secret-0000' },
		);

		expect(response.status).toBe(401);
		expect(await n8n.executions(WORKFLOW.workflowId)).toEqual(before);
	});
});
