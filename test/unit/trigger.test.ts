import {
	NodeApiError,
	resolveWebhookDescriptionField,
	webhookDescriptionIsNativelyResolvable,
	type IDataObject,
	type IHookFunctions,
	type INode,
	type IWebhookFunctions,
} from 'n8n-workflow';

import { KarlaClaimTrigger } from '../../nodes/KarlaClaimTrigger/KarlaClaimTrigger.node';
import { karlaSignature, nowSeconds } from '../helpers/signer';

const SECRET = 'trigger-secret-0123456789';
const PREVIOUS = 'older-secret-0123456789ab';

interface FakeResponse {
	statusCode?: number;
	body?: unknown;
}

interface DeliveryInput {
	body: string;
	header?: string | string[];
	parameters?: Record<string, unknown>;
	rawBodyPreloaded?: boolean;
	/** n8n cannot read the body, as for multipart bodies or one over its size limit. */
	rawBodyUnreadable?: boolean;
	staticData?: Record<string, unknown>;
}

function fakeWebhookContext(input: DeliveryInput) {
	const response: FakeResponse = {};
	const rawBody = Buffer.from(input.body, 'utf8');
	const request: { rawBody?: Buffer; readRawBody: jest.Mock } = {
		rawBody: input.rawBodyPreloaded ? rawBody : undefined,
		readRawBody: jest.fn(async () => {
			if (input.rawBodyUnreadable) throw new Error('Request body stream was aborted');
			request.rawBody = rawBody;
		}),
	};
	const parameters: Record<string, unknown> = {
		events: ['claims/created', 'claims/updated'],
		options: {},
		...input.parameters,
	};
	const headers: Record<string, string | string[]> = {};
	if (input.header !== undefined) headers['karla-signature'] = input.header;

	const getCredentials = jest.fn(async () => ({
		signingSecret: SECRET,
		previousSigningSecret: PREVIOUS,
	}));
	const context = {
		getRequestObject: () => request,
		getResponseObject: () => {
			const res = {
				status(code: number) {
					response.statusCode = code;
					return res;
				},
				json(body: unknown) {
					response.body = body;
					return res;
				},
			};
			return res;
		},
		getHeaderData: () => headers,
		getNodeParameter: (name: string, fallback: unknown) => parameters[name] ?? fallback,
		getCredentials,
		getWorkflowStaticData: () => input.staticData ?? {},
		logger: { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() },
	} as unknown as IWebhookFunctions;
	return { context, response, request, getCredentials };
}

const claimBody = (ref = 'claims/created') =>
	JSON.stringify({
		source: 'claims',
		ref,
		event_data: { claim_id: 'claim-9', updated_at: '2026-12-01T10:00:00Z' },
		context: { customer: { email: 'jane.doe@example.com' } },
	});

async function run(input: DeliveryInput) {
	const node = new KarlaClaimTrigger();
	const fake = fakeWebhookContext(input);
	const result = await node.webhook.call(fake.context);
	return { result, ...fake };
}

describe('KarlaClaimTrigger.webhook', () => {
	it('starts one execution for a valid claim', async () => {
		const body = claimBody();
		const { result, response, request } = await run({
			body,
			header: karlaSignature(SECRET, body, nowSeconds()),
		});
		expect(request.readRawBody).toHaveBeenCalledTimes(1);
		expect(response.statusCode).toBeUndefined();
		expect(result.workflowData).toHaveLength(1);
		const items = result.workflowData?.[0] ?? [];
		expect(items).toHaveLength(1);
		const json = items[0].json;
		expect((json.event_data as IDataObject).claim_id).toBe('claim-9');
		expect((json.karla_delivery as IDataObject).matched_secret).toBe('current');
	});

	it('uses a raw body n8n already read', async () => {
		const body = claimBody();
		const { result, request } = await run({
			body,
			header: karlaSignature(SECRET, body, nowSeconds()),
			rawBodyPreloaded: true,
		});
		expect(request.readRawBody).not.toHaveBeenCalled();
		expect(result.workflowData?.[0]).toHaveLength(1);
	});

	it.each([
		['no header', undefined],
		['malformed header', 't=abc,v1=123'],
		['forged signature', karlaSignature('forged-secret-0123456789', claimBody(), nowSeconds())],
		['stale timestamp', karlaSignature(SECRET, claimBody(), nowSeconds() - 3600)],
		['future timestamp', karlaSignature(SECRET, claimBody(), nowSeconds() + 3600)],
	])('answers 401 and starts nothing for %s', async (_case, header) => {
		const { result, response } = await run({ body: claimBody(), header });
		expect(response.statusCode).toBe(401);
		expect(result.noWebhookResponse).toBe(true);
		expect(result.workflowData).toBeUndefined();
		expect(JSON.stringify(response.body)).not.toContain(SECRET);
	});

	it('answers 401 to an unsigned body n8n cannot read', async () => {
		const { result, response } = await run({ body: 'x', rawBodyUnreadable: true });
		expect(response.statusCode).toBe(401);
		expect(result.workflowData).toBeUndefined();
	});

	it('answers 400 to a signed body n8n cannot read', async () => {
		const { result, response } = await run({
			body: 'x',
			header: karlaSignature(SECRET, 'x', nowSeconds()),
			rawBodyUnreadable: true,
		});
		expect(response.statusCode).toBe(400);
		expect(response.body).toEqual({ error: 'Bad Request', reason: 'body_unreadable' });
		expect(result.workflowData).toBeUndefined();
	});

	it.each([
		['unsigned', undefined],
		['malformed', 't=abc,v1=xyz'],
		['stale', karlaSignature(SECRET, claimBody(), nowSeconds() - 3600)],
	])('answers an %s delivery without reading the credential', async (_name, header) => {
		const { result, response, getCredentials } = await run({ body: claimBody(), header });
		expect(response.statusCode).toBe(401);
		expect(result).toEqual({ noWebhookResponse: true });
		expect(getCredentials).not.toHaveBeenCalled();
	});

	it('reads the credential for current signatures', async () => {
		const body = claimBody();
		const header = karlaSignature('not-the-secret-0123456789', body, nowSeconds());
		const { response, getCredentials } = await run({ body, header });
		expect(response.statusCode).toBe(401);
		expect(response.body).toEqual({ error: 'Unauthorized', reason: 'no_matching_signature' });
		expect(getCredentials).toHaveBeenCalledTimes(1);
	});

	it('accepts the previous secret', async () => {
		const body = claimBody();
		const { result } = await run({ body, header: karlaSignature(PREVIOUS, body, nowSeconds()) });
		const json = result.workflowData?.[0][0].json;
		expect((json?.karla_delivery as IDataObject).matched_secret).toBe('previous');
	});

	it('answers 400 to a body that is not JSON', async () => {
		const body = '<xml/>';
		const { result, response } = await run({
			body,
			header: karlaSignature(SECRET, body, nowSeconds()),
		});
		expect(response.statusCode).toBe(400);
		expect(result.workflowData).toBeUndefined();
	});

	it('answers 200 and starts nothing for an unselected event', async () => {
		const body = claimBody('claims/updated');
		const { result, response } = await run({
			body,
			header: karlaSignature(SECRET, body, nowSeconds()),
			parameters: { events: ['claims/created'] },
		});
		expect(response.statusCode).toBe(200);
		expect(response.body).toEqual({ received: true, ignored: 'event_not_selected' });
		expect(result.workflowData).toBeUndefined();
	});

	it('honours the tolerance option', async () => {
		const body = claimBody();
		const { response, context } = await run({
			body,
			header: karlaSignature(SECRET, body, nowSeconds() - 100),
			parameters: { options: { toleranceSeconds: 60 } },
		});
		expect(response.statusCode).toBe(401);
		expect(context.logger.warn).not.toHaveBeenCalled();
	});

	it('rejects all for a non-numeric tolerance', async () => {
		const body = claimBody();
		const { result, response, getCredentials, context } = await run({
			body,
			header: karlaSignature(SECRET, body, nowSeconds()),
			parameters: { options: { toleranceSeconds: 'five minutes' } },
		});
		expect(response.statusCode).toBe(401);
		expect(response.body).toEqual({
			error: 'Unauthorized',
			reason: 'timestamp_outside_tolerance',
		});
		expect(result.workflowData).toBeUndefined();
		expect(getCredentials).not.toHaveBeenCalled();
		expect(context.logger.warn).toHaveBeenCalledWith(
			expect.stringContaining('Timestamp Tolerance (Seconds) is not a number'),
		);
	});

	it('answers 400 to an invalid claim when asked to', async () => {
		const body = JSON.stringify({ source: 'claims', ref: 'claims/created', event_data: {} });
		const { result, response } = await run({
			body,
			header: karlaSignature(SECRET, body, nowSeconds()),
			parameters: { options: { invalidClaims: 'reject' } },
		});
		expect(response.statusCode).toBe(400);
		expect(result.workflowData).toBeUndefined();
	});

	it('joins a repeated signature header', async () => {
		const body = claimBody();
		const signed = karlaSignature(SECRET, body, nowSeconds());
		const { result } = await run({ body, header: [signed, `v1=${'0'.repeat(64)}`] });
		expect(result.workflowData?.[0]).toHaveLength(1);
	});

	it('logs no customer data', async () => {
		const body = claimBody();
		const { context } = await run({
			body,
			header: karlaSignature('forged-secret-0123456789', body, nowSeconds()),
		});
		const logged = JSON.stringify((context.logger.debug as jest.Mock).mock.calls);
		expect(logged).toContain('no_matching_signature');
		expect(logged).not.toContain('jane.doe');
	});
});

describe('KarlaClaimTrigger credential test', () => {
	it('checks the secret format offline', async () => {
		const node = new KarlaClaimTrigger();
		const test = node.methods.credentialTest.karlaSigningSecretTest;
		const result = await test.call({} as never, {
			id: '1',
			name: 'Karla',
			type: 'karlaSigningSecretApi',
			data: { signingSecret: 'short' },
		});
		expect(result.status).toBe('Error');
	});
});

describe('KarlaClaimTrigger automatic registration', () => {
	const STORED = 'stored-secret-0123456789abcdefghij';

	it('verifies with the stored secret', async () => {
		const body = claimBody();
		const { result } = await run({
			body,
			header: karlaSignature(STORED, body, nowSeconds()),
			parameters: { registration: 'automatic' },
			staticData: { webhookUuid: 'wh-1', webhookSecret: STORED },
		});
		expect(result.workflowData?.[0]).toHaveLength(1);
	});

	it('rejects the credential secret', async () => {
		const body = claimBody();
		const { response } = await run({
			body,
			header: karlaSignature(SECRET, body, nowSeconds()),
			parameters: { registration: 'automatic' },
			staticData: { webhookUuid: 'wh-1', webhookSecret: STORED },
		});
		expect(response.statusCode).toBe(401);
	});

	it('answers 401 when nothing is registered', async () => {
		const body = claimBody();
		const { result, response } = await run({
			body,
			header: karlaSignature(STORED, body, nowSeconds()),
			parameters: { registration: 'automatic' },
		});
		expect(response.statusCode).toBe(401);
		expect(response.body).toEqual({ error: 'Unauthorized', reason: 'no_secret_configured' });
		expect(result.workflowData).toBeUndefined();
	});

	function fakeHookContext(
		registration: 'manual' | 'automatic',
		answer: (options: { method: string; url: string }) => { statusCode: number; body: unknown },
	) {
		const staticData: Record<string, unknown> = {};
		const requests: Array<{ method: string; url: string; body?: unknown }> = [];
		const getCredentials = jest.fn(async () => ({
			shopSlug: 'example-shop',
			apiKey: 'key',
			baseUrl: 'https://api.example.test',
		}));
		const context = {
			getNodeParameter: (name: string, fallback: unknown) =>
				({ registration, events: ['claims/created', 'claims/updated'] })[name] ?? fallback,
			getCredentials,
			getWorkflowStaticData: () => staticData,
			getNodeWebhookUrl: () => 'https://n8n.example.test/webhook/abc/karla',
			getWorkflow: () => ({ id: 'wf-1', name: 'Claims to tickets', active: true }),
			getNode: () => ({ name: 'Karla Claim Trigger', type: 'karlaClaimTrigger', typeVersion: 1 }),
			helpers: {
				httpRequestWithAuthentication: jest.fn(
					async (_credential: string, options: { method: string; url: string; body?: unknown }) => {
						requests.push(options);
						return answer(options);
					},
				),
			},
		} as unknown as IHookFunctions;
		return { context, staticData, requests, getCredentials };
	}

	it('does nothing in manual mode', async () => {
		const node = new KarlaClaimTrigger();
		const fake = fakeHookContext('manual', () => ({ statusCode: 500, body: {} }));
		expect(await node.webhookMethods.default.checkExists.call(fake.context)).toBe(true);
		expect(await node.webhookMethods.default.create.call(fake.context)).toBe(true);
		expect(await node.webhookMethods.default.delete.call(fake.context)).toBe(true);
		expect(fake.getCredentials).not.toHaveBeenCalled();
		expect(fake.requests).toHaveLength(0);
	});

	it('registers the production URL', async () => {
		const node = new KarlaClaimTrigger();
		const fake = fakeHookContext('automatic', (options) =>
			options.method === 'POST'
				? {
						statusCode: 201,
						body: {
							uuid: 'wh-42',
							url: 'https://n8n.example.test/webhook/abc/karla',
							enabled_events: ['claims/created', 'claims/updated'],
							secret: (options as { body?: { secret?: string } }).body?.secret,
						},
					}
				: { statusCode: 200, body: [] },
		);
		expect(await node.webhookMethods.default.create.call(fake.context)).toBe(true);
		const post = fake.requests.find((request) => request.method === 'POST');
		expect(post?.url).toBe('https://api.example.test/v1/shops/example-shop/webhooks');
		expect(post?.body).toMatchObject({
			url: 'https://n8n.example.test/webhook/abc/karla',
			enabled_events: ['claims/created', 'claims/updated'],
		});
		expect(fake.staticData.webhookUuid).toBe('wh-42');
		expect(fake.staticData.webhookSecret).toHaveLength(48);
	});

	it('turns a Karla error into a NodeApiError', async () => {
		const node = new KarlaClaimTrigger();
		const fake = fakeHookContext('automatic', () => ({
			statusCode: 401,
			body: { message: 'API key expired', type: 'unauthorized' },
		}));
		const create = node.webhookMethods.default.create.call(fake.context);
		await expect(create).rejects.toBeInstanceOf(NodeApiError);
		await expect(create).rejects.toMatchObject({
			description: expect.stringContaining('API key expired'),
		});
	});
});

describe('KarlaClaimTrigger description', () => {
	const { description } = new KarlaClaimTrigger();
	const declared = new Set(description.properties.map((property) => property.name));

	it('declares every parameter its display options use', () => {
		const conditions = [
			...description.properties.map((property) => property.displayOptions),
			...(description.credentials ?? []).map((credential) => credential.displayOptions),
		];
		for (const displayOptions of conditions) {
			for (const name of Object.keys(displayOptions?.show ?? {})) {
				expect(declared).toContain(name);
			}
		}
	});

	const savedNode = (parameters: INode['parameters']): INode => ({
		id: 'a7c1f0de-0001-4c5e-9a11-000000000001',
		name: 'Karla Claim Trigger',
		type: 'n8n-nodes-karla.karlaClaimTrigger',
		typeVersion: 1.1,
		position: [0, 0],
		parameters,
	});

	it('keeps the acknowledgement template', () => {
		expect(description.webhooks?.[0].responseData).toBe('={{ { "received": true } }}');
	});

	it('acknowledges without the expression engine', () => {
		const [webhook] = description.webhooks ?? [];
		expect(webhookDescriptionIsNativelyResolvable(webhook)).toBe(true);
		const node = savedNode({ events: ['claims/created'], options: {} });
		expect(resolveWebhookDescriptionField(node, webhook, 'responseData')).toEqual({
			resolved: true,
			value: { received: true },
		});
	});

	it('uses the engine for expression parameters', () => {
		const [webhook] = description.webhooks ?? [];
		const node = savedNode({ events: '={{ ["claims/created"] }}', options: {} });
		expect(resolveWebhookDescriptionField(node, webhook, 'responseData')).toEqual({
			resolved: false,
		});
	});

	// n8n evaluates an expression for every request to a webhook node of version 1.
	it('defaults to version 1.1', () => {
		expect(description.version).toEqual([1, 1.1]);
		expect(description.defaultVersion).toBe(1.1);
	});

	it('defaults to manual registration', () => {
		const registration = description.properties.find(
			(property) => property.name === 'registration',
		);
		expect(registration?.default).toBe('manual');
	});
});
