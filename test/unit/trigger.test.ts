import type { IDataObject, IWebhookFunctions } from 'n8n-workflow';

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
}

function fakeWebhookContext(input: DeliveryInput) {
	const response: FakeResponse = {};
	const rawBody = Buffer.from(input.body, 'utf8');
	const request: { rawBody?: Buffer; readRawBody: jest.Mock } = {
		rawBody: input.rawBodyPreloaded ? rawBody : undefined,
		readRawBody: jest.fn(async () => {
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
		getCredentials: async () => ({ signingSecret: SECRET, previousSigningSecret: PREVIOUS }),
		logger: { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() },
	} as unknown as IWebhookFunctions;
	return { context, response, request };
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
		['stale timestamp', karlaSignature(SECRET, claimBody(), nowSeconds() - 301)],
		['future timestamp', karlaSignature(SECRET, claimBody(), nowSeconds() + 301)],
	])('answers 401 and starts nothing for %s', async (_case, header) => {
		const { result, response } = await run({ body: claimBody(), header });
		expect(response.statusCode).toBe(401);
		expect(result.noWebhookResponse).toBe(true);
		expect(result.workflowData).toBeUndefined();
		expect(JSON.stringify(response.body)).not.toContain(SECRET);
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
		const { response } = await run({
			body,
			header: karlaSignature(SECRET, body, nowSeconds() - 100),
			parameters: { options: { toleranceSeconds: 60 } },
		});
		expect(response.statusCode).toBe(401);
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
