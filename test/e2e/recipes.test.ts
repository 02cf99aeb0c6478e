import axios from 'axios';
import { readdirSync, readFileSync } from 'fs';
import { createServer, type IncomingHttpHeaders } from 'http';
import type { AddressInfo } from 'net';
import { join } from 'path';
import {
	NodeHelpers,
	type INode,
	type INodeParameters,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { normalizeClaim, type NormalizedClaim } from '../../nodes/shared/normalize';
import { buildClaimEvent, type ClaimOptions } from '../../scripts/lib/claims';
import { PROJECT_DIR } from '../../scripts/lib/n8n-install';
import { startN8n, type RunningN8n } from '../../scripts/lib/n8n-harness';
import { karlaSignature, nowSeconds } from '../helpers/signer';

/**
 * Every workflow in examples/ runs in one real n8n with the package installed as a community
 * package. The HTTP-based recipes run end to end against stand-ins of the APIs they call. The
 * copies that run differ from the files users import only in their Settings values and in the
 * photo host allow-list of Karla Claim Normalize.
 */

const EXAMPLES_DIR = join(PROJECT_DIR, 'examples');
const SIGNING_SECRET = 'recipes-signing-secret-0123456789';
const GORGIAS_USER = 'agent@shop.example';
const GORGIAS_API_KEY = 'gorgias-key-123';
const INTERNAL_AUTH_HEADER = 'Authorization';
const INTERNAL_AUTH_VALUE = 'Bearer internal-token-456';
const INTERCOM_TOKEN = 'intercom-token-789';

interface WorkflowNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	webhookId?: string;
	credentials?: Record<string, { id: string; name: string }>;
}

interface WorkflowFile {
	name: string;
	nodes: WorkflowNode[];
	connections: Record<string, unknown>;
	settings?: Record<string, unknown>;
}

interface Example {
	file: string;
	workflowId: string;
	workflow: WorkflowFile;
}

// ------------------------------------------------------------------------------------------
// Stand-ins of the APIs, each on its own free port of 127.0.0.1.

interface RecordedRequest {
	method: string;
	path: string;
	query: URLSearchParams;
	headers: IncomingHttpHeaders;
	body: Buffer;
}

interface StandInResponse {
	status: number;
	json?: unknown;
	body?: Buffer;
	contentType?: string;
}

interface StandIn {
	url: string;
	requests: RecordedRequest[];
	close(): Promise<void>;
}

async function startStandIn(
	handle: (request: RecordedRequest) => StandInResponse,
	host = '127.0.0.1',
): Promise<StandIn> {
	const requests: RecordedRequest[] = [];
	const server = createServer((incoming, response) => {
		const chunks: Buffer[] = [];
		incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
		incoming.on('end', () => {
			const url = new URL(incoming.url ?? '/', 'http://stand-in');
			const request: RecordedRequest = {
				method: incoming.method ?? '',
				path: url.pathname,
				query: url.searchParams,
				headers: incoming.headers,
				body: Buffer.concat(chunks),
			};
			requests.push(request);
			const answer = handle(request);
			const body =
				answer.json === undefined ? (answer.body ?? Buffer.alloc(0)) : JSON.stringify(answer.json);
			response.writeHead(answer.status, {
				'content-type':
					answer.json === undefined ? (answer.contentType ?? 'text/plain') : 'application/json',
			});
			response.end(body);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://${host}:${port}`,
		requests,
		close: async () => {
			// n8n keeps connections alive, so without this the server would wait for them to close.
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

/** Photo bytes with real magic numbers, so that n8n and the Normalize node see images. */
const PHOTOS: Record<string, { contentType: string; bytes: Buffer }> = {
	'photo-1.jpg': {
		contentType: 'image/jpeg',
		bytes: Buffer.concat([
			Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]),
			Buffer.alloc(700, 0x31),
			Buffer.from([0xff, 0xd9]),
		]),
	},
	'photo-2.png': {
		contentType: 'image/png',
		bytes: Buffer.concat([
			Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
			Buffer.alloc(400, 0x52),
		]),
	},
};

function servePhoto(request: RecordedRequest): StandInResponse {
	const photo = PHOTOS[request.path.split('/').pop() ?? ''];
	if (request.method !== 'GET' || photo === undefined)
		return { status: 404, body: Buffer.from('') };
	return { status: 200, body: photo.bytes, contentType: photo.contentType };
}

interface GorgiasFile {
	content_type: string;
	name: string;
	size: number;
	url: string;
}

function gorgiasFileFor(name: string, contentType: string, size: number): GorgiasFile {
	return {
		content_type: contentType,
		name,
		size,
		url: `https://uploads.gorgias.example/attachments/${name}`,
	};
}

/** Parses a multipart/form-data body with the fetch API's own parser. */
async function parseMultipart(request: RecordedRequest): Promise<FormData> {
	return await new Response(request.body, {
		headers: { 'content-type': String(request.headers['content-type']) },
	}).formData();
}

function serveGorgias(request: RecordedRequest): StandInResponse {
	if (request.method === 'POST' && request.path === '/api/upload') {
		// The stand-in builds its response from the multipart headers, and the test parses the bytes.
		const text = request.body.toString('latin1');
		const files: GorgiasFile[] = [];
		const part =
			/Content-Disposition: form-data; name="[^"]*"; filename="([^"]*)"\r\nContent-Type: ([^\r]*)\r\n\r\n/g;
		for (let match = part.exec(text); match !== null; match = part.exec(text)) {
			const start = match.index + match[0].length;
			const end = text.indexOf('\r\n--', start);
			files.push(gorgiasFileFor(match[1], match[2], end - start));
		}
		return { status: 201, json: files };
	}
	if (request.method === 'POST' && request.path === '/api/tickets') {
		return { status: 201, json: { id: 9001, uri: '/api/tickets/9001/' } };
	}
	return { status: 404, json: { error: 'not found' } };
}

function serveInternalTool(request: RecordedRequest): StandInResponse {
	if (request.method === 'POST' && request.path === '/tickets') {
		return { status: 201, json: { id: 'TCK-1' } };
	}
	return { status: 404, json: { error: 'not found' } };
}

function serveIntercom(request: RecordedRequest): StandInResponse {
	if (request.method === 'POST' && request.path === '/tickets') {
		return { status: 200, json: { type: 'ticket', id: '77', ticket_id: '1001' } };
	}
	return { status: 404, json: { error: 'not found' } };
}

// ------------------------------------------------------------------------------------------
// The example files, and the copies n8n runs.

function readExamples(): Example[] {
	return readdirSync(EXAMPLES_DIR)
		.filter((file) => file.endsWith('.json'))
		.sort()
		.map((file, index) => ({
			file,
			workflowId: `recipeFile${String(index).padStart(6, '0')}`,
			workflow: JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as WorkflowFile,
		}));
}

function findNode(workflow: WorkflowFile, name: string): WorkflowNode {
	const node = workflow.nodes.find((candidate) => candidate.name === name);
	if (node === undefined) throw new Error(`Workflow "${workflow.name}" has no node "${name}"`);
	return node;
}

/** Sets fields of the Settings node, for example to a stand-in's URL. Throws for a missing field. */
function overrideSettings(workflow: WorkflowFile, values: Record<string, string>): void {
	const settings = findNode(workflow, 'Settings');
	const assignments = (
		settings.parameters.assignments as { assignments: Array<{ name: string; value: unknown }> }
	).assignments;
	for (const [name, value] of Object.entries(values)) {
		const assignment = assignments.find((candidate) => candidate.name === name);
		if (assignment === undefined)
			throw new Error(`Settings node of "${workflow.name}" has no field ${name}`);
		assignment.value = value;
	}
}

/** Lets the Normalize node fetch photos from the local photo server. */
function allowLocalPhotos(workflow: WorkflowFile): void {
	const normalize = findNode(workflow, 'Karla Claim Normalize');
	const options = (normalize.parameters.options ?? {}) as Record<string, unknown>;
	normalize.parameters.options = { ...options, allowedHosts: 'localhost', allowHttp: true };
}

/** Test data for every credential type the examples reference. */
function credentialData(type: string): Record<string, string> {
	switch (type) {
		case 'karlaSigningSecretApi':
			return { signingSecret: SIGNING_SECRET, previousSigningSecret: '' };
		case 'httpBasicAuth':
			return { user: GORGIAS_USER, password: GORGIAS_API_KEY };
		case 'httpHeaderAuth':
			return { name: INTERNAL_AUTH_HEADER, value: INTERNAL_AUTH_VALUE };
		case 'intercomApi':
			return { apiKey: INTERCOM_TOKEN };
		case 'zendeskApi':
			return { subdomain: 'example', email: 'agent@shop.example', apiToken: 'zendesk-token' };
		case 'freshdeskApi':
			return { apiKey: 'freshdesk-key', domain: 'example' };
		default:
			throw new Error(`No test data for credential type ${type}: add it to credentialData()`);
	}
}

function collectCredentials(examples: Example[]): object[] {
	const byId = new Map<string, { id: string; name: string; type: string }>();
	for (const { workflow } of examples) {
		for (const node of workflow.nodes) {
			for (const [type, reference] of Object.entries(node.credentials ?? {})) {
				byId.set(reference.id, { id: reference.id, name: reference.name, type });
			}
		}
	}
	return [...byId.values()].map((credential) => ({
		...credential,
		data: credentialData(credential.type),
	}));
}

// ------------------------------------------------------------------------------------------
// Node descriptions as the running n8n serves them to its editor.

async function fetchNodeTypes(n8n: RunningN8n): Promise<INodeTypeDescription[]> {
	const setup = await axios.post(`${n8n.baseUrl}/rest/owner/setup`, {
		email: 'owner@shop.example',
		firstName: 'Recipe',
		lastName: 'Tester',
		password: 'Recipe-Tester-2026',
	});
	const cookie = String(setup.headers['set-cookie']?.[0] ?? '').split(';')[0];
	const types = await axios.get<INodeTypeDescription[]>(`${n8n.baseUrl}/types/nodes.json`, {
		headers: { cookie },
	});
	return types.data;
}

function describeNode(
	types: INodeTypeDescription[],
	node: WorkflowNode,
): INodeTypeDescription | undefined {
	return types.find(
		(type) =>
			type.name === node.type &&
			(Array.isArray(type.version)
				? type.version.includes(node.typeVersion)
				: type.version === node.typeVersion),
	);
}

/**
 * Lists the parameter paths of `configured` that are missing from `resolved`, which is what n8n
 * keeps of them: a path is missing when n8n does not know the parameter or hides it.
 */
function droppedParameters(configured: unknown, resolved: unknown, path = ''): string[] {
	if (Array.isArray(configured)) {
		if (!Array.isArray(resolved)) return [path];
		return configured.flatMap((value, index) =>
			droppedParameters(value, resolved[index], `${path}[${index}]`),
		);
	}
	if (typeof configured === 'object' && configured !== null) {
		if (typeof resolved !== 'object' || resolved === null) return [path];
		const resolvedObject = resolved as Record<string, unknown>;
		return Object.entries(configured).flatMap(([key, value]) => {
			const childPath = path === '' ? key : `${path}.${key}`;
			if (!(key in resolvedObject)) return [childPath];
			// Values of the `assignments` and `conditions` fields are free-form data.
			if (key === 'assignments' || key === 'conditions') return [];
			return droppedParameters(value, resolvedObject[key], childPath);
		});
	}
	return [];
}

// ------------------------------------------------------------------------------------------
// Deliveries and expectations.

function claimEvent(photoHost: string, options: ClaimOptions = {}): Record<string, unknown> {
	const claimId = options.claimId ?? '5b7c9a02-3f1e-4d8a-9c61-2e4f0b8d7a13';
	return buildClaimEvent({
		claimId,
		photoUrls: [
			`${photoHost}/claims/${claimId}/photo-1.jpg`,
			`${photoHost}/claims/${claimId}/photo-2.png`,
			`${photoHost}/claims/${claimId}/missing.jpg`,
		],
		...options,
	});
}

function normalized(event: unknown): NormalizedClaim {
	const result = normalizeClaim(event);
	if (!result.ok) throw new Error(`The test event is not a claim: ${result.missing} missing`);
	return result.record;
}

async function deliver(
	n8n: RunningN8n,
	example: Example,
	event: unknown,
	timestamp = nowSeconds(),
): Promise<void> {
	const trigger = findNode(example.workflow, 'Karla Claim Trigger');
	const body = JSON.stringify(event);
	const response = await axios.post(n8n.webhookUrl(`${trigger.webhookId}/karla`), body, {
		headers: {
			'content-type': 'application/json',
			'karla-signature': karlaSignature(SIGNING_SECRET, body, timestamp),
		},
		validateStatus: () => true,
	});
	if (response.status !== 200) {
		throw new Error(
			`${example.file}: the trigger returned ${response.status} ${JSON.stringify(response.data)}\n` +
				`--- n8n log tail ---\n${n8n.logs.tail(30)}`,
		);
	}
}

/** Waits for `count` finished executions of the example and expects all of them to succeed. */
async function expectSuccessfulRuns(n8n: RunningN8n, example: Example, count: number) {
	const executions = await n8n.waitForExecutions({ workflowId: example.workflowId, count });
	for (const execution of executions) {
		if (execution.status !== 'success') {
			const failure = await n8n.executionFailure(execution.id);
			throw new Error(
				`${example.file}: execution ${execution.id} ended ${execution.status} in ` +
					`${failure.lastNodeExecuted}: ${failure.errorMessage} ${failure.errorDescription ?? ''}`,
			);
		}
	}
	return executions;
}

function basicAuth(user: string, password: string): string {
	return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function jsonBody(request: RecordedRequest): unknown {
	return JSON.parse(request.body.toString('utf8'));
}

function expectedInternalTicket(
	claim: NormalizedClaim,
	requester: { email: string; name: string },
	attachments: unknown[],
): Record<string, unknown> {
	return {
		format: 'karla-claim-ticket',
		format_version: 1,
		external_id: claim.ticket_external_id,
		dedupe_key: claim.dedupe_key,
		event: claim.event,
		subject: claim.ticket_subject,
		body_text: claim.ticket_body_text,
		body_html: claim.ticket_body_html,
		tags: claim.ticket_tags,
		requester,
		claim: {
			id: claim.claim_id,
			status: claim.status,
			reason: claim.reason,
			reason_label: claim.reason_label,
			resolution_preference: claim.resolution_preference,
			resolution_label: claim.resolution_label,
			description: claim.description,
			created_at: claim.created_at,
			updated_at: claim.updated_at,
		},
		order: { number: claim.order_number, external_id: claim.order_external_id },
		customer: {
			email: claim.customer_email,
			name: claim.customer_name,
			external_id: claim.customer_external_id,
			phone: claim.customer_phone,
		},
		items: claim.items,
		photo_urls: claim.photo_urls,
		attachments,
	};
}

function expectedBase64Attachments(claim: NormalizedClaim): unknown[] {
	return [
		{
			file_name: 'photo-1.jpg',
			mime_type: 'image/jpeg',
			size_bytes: PHOTOS['photo-1.jpg'].bytes.length,
			source_url: claim.photo_urls[0],
			content_base64: PHOTOS['photo-1.jpg'].bytes.toString('base64'),
		},
		{
			file_name: 'photo-2.png',
			mime_type: 'image/png',
			size_bytes: PHOTOS['photo-2.png'].bytes.length,
			source_url: claim.photo_urls[1],
			content_base64: PHOTOS['photo-2.png'].bytes.toString('base64'),
		},
	];
}

function expectedGorgiasTicket(
	claim: NormalizedClaim,
	requester: { email: string; name: string },
	attachments: GorgiasFile[],
): Record<string, unknown> {
	return {
		channel: 'api',
		via: 'api',
		from_agent: false,
		subject: claim.ticket_subject,
		external_id: claim.ticket_external_id,
		customer: requester,
		tags: claim.ticket_tags.map((name) => ({ name })),
		messages: [
			{
				channel: 'api',
				via: 'api',
				from_agent: false,
				sender: requester,
				subject: claim.ticket_subject,
				body_html: claim.ticket_body_html,
				body_text: claim.ticket_body_text,
				attachments,
			},
		],
	};
}

/** Checks the Gorgias uploads: one multipart request per downloaded photo, bytes unchanged. */
async function expectGorgiasUploads(requests: RecordedRequest[]): Promise<GorgiasFile[]> {
	const uploads = requests.filter((request) => request.path === '/api/upload');
	expect(uploads.map((upload) => upload.query.get('type'))).toEqual(['attachment', 'attachment']);
	const files: GorgiasFile[] = [];
	for (const [index, name] of ['photo-1.jpg', 'photo-2.png'].entries()) {
		const upload = uploads[index];
		expect(upload.method).toBe('POST');
		expect(upload.headers.authorization).toBe(basicAuth(GORGIAS_USER, GORGIAS_API_KEY));
		const form = await parseMultipart(upload);
		expect([...form.keys()]).toEqual([name]);
		const file = form.get(name) as File;
		expect(file.name).toBe(name);
		expect(file.type).toBe(PHOTOS[name].contentType);
		expect(Buffer.from(await file.arrayBuffer()).equals(PHOTOS[name].bytes)).toBe(true);
		files.push(gorgiasFileFor(name, PHOTOS[name].contentType, PHOTOS[name].bytes.length));
	}
	return files;
}

// ------------------------------------------------------------------------------------------

describe('recipes in examples/', () => {
	const examples = readExamples();
	const byFile = (file: string): Example => {
		const example = examples.find((candidate) => candidate.file === file);
		if (example === undefined) throw new Error(`examples/${file} is missing`);
		return example;
	};

	let n8n: RunningN8n;
	let nodeTypes: INodeTypeDescription[];
	let photos: StandIn;
	let gorgias: StandIn;
	let internalTool: StandIn;
	let intercom: StandIn;

	beforeAll(async () => {
		photos = await startStandIn(servePhoto, 'localhost');
		gorgias = await startStandIn(serveGorgias);
		internalTool = await startStandIn(serveInternalTool);
		intercom = await startStandIn(serveIntercom);

		const runs = examples.map((example) => ({
			...example.workflow,
			id: example.workflowId,
			active: false,
		}));
		const run = (file: string) => runs[examples.indexOf(byFile(file))];
		const ticketApiUrl = `${internalTool.url}/tickets`;

		overrideSettings(run('gorgias-ticket.json'), { gorgias_base_url: gorgias.url });
		overrideSettings(run('internal-tool-ticket.json'), { ticket_api_url: ticketApiUrl });
		overrideSettings(run('fan-out-gorgias-and-internal-tool.json'), {
			gorgias_base_url: gorgias.url,
			ticket_api_url: ticketApiUrl,
		});
		overrideSettings(run('no-duplicate-tickets.json'), { ticket_api_url: ticketApiUrl });
		overrideSettings(run('intercom-ticket.json'), {
			intercom_api_url: intercom.url,
			intercom_ticket_type_id: '42',
		});
		for (const workflow of runs) {
			if (workflow.nodes.some((node) => node.name === 'Karla Claim Normalize')) {
				allowLocalPhotos(workflow);
			}
		}

		try {
			n8n = await startN8n({
				packageMode: 'community',
				workflows: runs,
				credentials: collectCredentials(examples),
				publish: runs.map((workflow) => workflow.id),
			});
		} catch (error: unknown) {
			const files = examples.map((example) => `${example.workflowId}: ${example.file}`);
			throw new Error(`${String(error)}\nworkflow ids:\n${files.join('\n')}`);
		}
		nodeTypes = await fetchNodeTypes(n8n);
	}, 300_000);

	afterAll(async () => {
		await n8n?.stop();
		await Promise.all([photos, gorgias, internalTool, intercom].map((s) => s?.close()));
	});

	beforeEach(() => {
		for (const standIn of [photos, gorgias, internalTool, intercom]) standIn.requests.length = 0;
	});

	it.each(examples.map((example) => example.file))('%s uses only known node types', (file) => {
		const unknown = byFile(file)
			.workflow.nodes.filter((node) => describeNode(nodeTypes, node) === undefined)
			.map((node) => `${node.name}: ${node.type} version ${node.typeVersion}`);
		expect(unknown).toEqual([]);
	});

	it.each(examples.map((example) => example.file))('%s sets only valid parameters', (file) => {
		const problems: string[] = [];
		for (const node of byFile(file).workflow.nodes) {
			const description = describeNode(nodeTypes, node);
			if (description === undefined) continue;
			const parameters = node.parameters as INodeParameters;
			const resolvedParameters = NodeHelpers.getNodeParameters(
				description.properties,
				parameters,
				true,
				false,
				node as unknown as INode,
				description,
			);
			for (const path of droppedParameters(parameters, resolvedParameters)) {
				problems.push(`${node.name}: ${path} is not a parameter n8n shows`);
			}
			const issues = NodeHelpers.getNodeParametersIssues(
				description.properties,
				{ ...(node as unknown as INode), parameters: resolvedParameters ?? {} },
				description,
			);
			for (const [parameter, messages] of Object.entries(issues?.parameters ?? {})) {
				problems.push(`${node.name}: ${parameter}: ${messages.join('; ')}`);
			}
		}
		expect(problems).toEqual([]);
	});

	it('gorgias recipe uploads photos and opens ticket', async () => {
		const example = byFile('gorgias-ticket.json');
		const event = claimEvent(photos.url);
		await deliver(n8n, example, event);
		await expectSuccessfulRuns(n8n, example, 1);

		const files = await expectGorgiasUploads(gorgias.requests);
		const tickets = gorgias.requests.filter((request) => request.path === '/api/tickets');
		expect(tickets).toHaveLength(1);
		expect(tickets[0].method).toBe('POST');
		expect(tickets[0].headers.authorization).toBe(basicAuth(GORGIAS_USER, GORGIAS_API_KEY));
		expect(tickets[0].headers['content-type']).toMatch(/^application\/json/);
		expect(jsonBody(tickets[0])).toEqual(
			expectedGorgiasTicket(
				normalized(event),
				{ email: 'jane.doe@example.com', name: 'Jane Doe' },
				files,
			),
		);
		expect(gorgias.requests).toHaveLength(3);
	});

	it('gorgias recipe uses fallback requester', async () => {
		const example = byFile('gorgias-ticket.json');
		const event = claimEvent(photos.url, {
			claimId: 'claim-without-customer',
			email: '  ',
			firstName: '',
			lastName: '',
			photoUrls: [],
		});
		await deliver(n8n, example, event);
		await expectSuccessfulRuns(n8n, example, 2);

		expect(gorgias.requests.map((request) => request.path)).toEqual(['/api/tickets']);
		expect(jsonBody(gorgias.requests[0])).toEqual(
			expectedGorgiasTicket(
				normalized(event),
				{ email: 'claims@your-shop.example', name: 'Karla customer' },
				[],
			),
		);
	});

	it('internal tool recipe posts documented ticket', async () => {
		const example = byFile('internal-tool-ticket.json');
		const event = claimEvent(photos.url);
		await deliver(n8n, example, event);
		await expectSuccessfulRuns(n8n, example, 1);

		const claim = normalized(event);
		expect(internalTool.requests).toHaveLength(1);
		const [ticket] = internalTool.requests;
		expect(ticket.method).toBe('POST');
		expect(ticket.path).toBe('/tickets');
		expect(ticket.headers.authorization).toBe(INTERNAL_AUTH_VALUE);
		expect(ticket.headers['idempotency-key']).toBe(claim.dedupe_key);
		expect(ticket.headers['content-type']).toMatch(/^application\/json/);
		expect(jsonBody(ticket)).toEqual(
			expectedInternalTicket(
				claim,
				{ email: 'jane.doe@example.com', name: 'Jane Doe' },
				expectedBase64Attachments(claim),
			),
		);
		expect(photos.requests.map((request) => request.path).sort()).toEqual(
			claim.photo_urls.map((url) => new URL(url).pathname).sort(),
		);
	});

	it('fan-out recipe reaches both systems', async () => {
		const example = byFile('fan-out-gorgias-and-internal-tool.json');
		const event = claimEvent(photos.url, { firstName: 'Jörg', lastName: 'Müller' });
		await deliver(n8n, example, event);
		await expectSuccessfulRuns(n8n, example, 1);

		const claim = normalized(event);
		const requester = { email: 'jane.doe@example.com', name: 'Jörg Müller' };
		const files = await expectGorgiasUploads(gorgias.requests);
		const gorgiasTickets = gorgias.requests.filter((request) => request.path === '/api/tickets');
		expect(gorgiasTickets).toHaveLength(1);
		expect(jsonBody(gorgiasTickets[0])).toEqual(expectedGorgiasTicket(claim, requester, files));

		expect(internalTool.requests).toHaveLength(1);
		expect(jsonBody(internalTool.requests[0])).toEqual(
			expectedInternalTicket(claim, requester, expectedBase64Attachments(claim)),
		);
		// Both systems get the photos, but Karla's CDN stand-in serves each one once.
		expect(photos.requests).toHaveLength(3);
	});

	it('no-duplicates recipe opens one ticket per event', async () => {
		const example = byFile('no-duplicate-tickets.json');
		const event = claimEvent(photos.url, { claimId: 'claim-delivered-twice' });
		const other = claimEvent(photos.url, { claimId: 'claim-delivered-once' });
		await deliver(n8n, example, event);
		await expectSuccessfulRuns(n8n, example, 1);
		// A redelivery carries the same event under a new signature timestamp.
		await deliver(n8n, example, event, nowSeconds() - 30);
		await expectSuccessfulRuns(n8n, example, 2);
		await deliver(n8n, example, other);
		await expectSuccessfulRuns(n8n, example, 3);

		const requester = { email: 'jane.doe@example.com', name: 'Jane Doe' };
		expect(internalTool.requests.map(jsonBody)).toEqual([
			expectedInternalTicket(normalized(event), requester, []),
			expectedInternalTicket(normalized(other), requester, []),
		]);
		expect(photos.requests).toHaveLength(0);
	});

	it('intercom recipe creates ticket', async () => {
		const example = byFile('intercom-ticket.json');
		const event = claimEvent(photos.url);
		await deliver(n8n, example, event);
		await expectSuccessfulRuns(n8n, example, 1);

		const claim = normalized(event);
		expect(intercom.requests).toHaveLength(1);
		const [ticket] = intercom.requests;
		expect(ticket.method).toBe('POST');
		expect(ticket.path).toBe('/tickets');
		expect(ticket.headers.authorization).toBe(`Bearer ${INTERCOM_TOKEN}`);
		expect(ticket.headers['intercom-version']).toBe('2.11');
		expect(jsonBody(ticket)).toEqual({
			ticket_type_id: '42',
			contacts: [{ email: 'jane.doe@example.com' }],
			ticket_attributes: {
				_default_title_: claim.ticket_subject,
				_default_description_: claim.ticket_body_text,
			},
		});
	});
});
