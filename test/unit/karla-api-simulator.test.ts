import axios from 'axios';

import { KarlaApiError, type KarlaRequestOptions } from '../../nodes/shared/karlaApi';
import {
	buildRegistrationHooks,
	readRegisteredSecret,
	type KarlaApiResponse,
	type RegistrationContext,
} from '../../nodes/shared/karlaRegistration';
import { buildRealisticClaimEvent } from '../../scripts/lib/realistic-claims';
import { startKarlaSimulator, type KarlaSimulator } from '../../tools/karla-simulator';
import { startSignedReceiver, type SignedReceiver } from '../helpers/signed-receiver';

const SHOP = { slug: 'example-shop', apiKey: 'key-example-0123456789' };

/**
 * Sends a request the way the trigger does through n8n's `httpRequestWithAuthentication`: Basic
 * auth from the credential, JSON, and every HTTP status resolved instead of thrown.
 */
function requestWith(username: string, apiKey: string) {
	return async (options: KarlaRequestOptions): Promise<KarlaApiResponse> => {
		const response = await axios.request({
			method: options.method,
			url: options.url,
			params: options.qs,
			data: options.body,
			auth: { username, password: apiKey },
			headers: { Accept: 'application/json' },
			validateStatus: () => true,
		});
		return { status: response.status, body: response.data };
	};
}

let simulator: KarlaSimulator;
let receiver: SignedReceiver | undefined;

beforeEach(async () => {
	simulator = await startKarlaSimulator({ shops: [SHOP], retryBackoffMs: 1, maxAttempts: 2 });
});

afterEach(async () => {
	await simulator.stop();
	await receiver?.close();
	receiver = undefined;
});

function contextFor(webhookUrl: string, apiKey = SHOP.apiKey): RegistrationContext {
	return {
		connection: { baseUrl: simulator.baseUrl, shopSlug: SHOP.slug },
		request: requestWith(SHOP.slug, apiKey),
		staticData: {},
		webhookUrl,
		workflowName: 'Claims to helpdesk',
		events: ['claims/created', 'claims/updated'],
	};
}

describe('registration against the simulator', () => {
	it('registers, delivers and removes', async () => {
		const staticData: Record<string, unknown> = {};
		const probe = await startSignedReceiver({ secret: 'unused-until-registered' });
		const webhookUrl = probe.url;
		await probe.close();

		const hooks = buildRegistrationHooks({ ...contextFor(webhookUrl), staticData });
		await expect(hooks.checkExists()).resolves.toBe(false);
		await expect(hooks.create()).resolves.toBe(true);

		const [webhook] = simulator.webhooks();
		expect(simulator.webhooks()).toHaveLength(1);
		expect(webhook.url).toBe(webhookUrl);
		expect(webhook.enabled_events).toEqual(['claims/created', 'claims/updated']);
		expect(webhook.description).toBe('n8n workflow "Claims to helpdesk"');
		expect(readRegisteredSecret(staticData)).toBe(webhook.secret);
		await expect(hooks.checkExists()).resolves.toBe(true);

		receiver = await startSignedReceiver({ secret: readRegisteredSecret(staticData) ?? '' });
		const moved = buildRegistrationHooks({ ...contextFor(receiver.url), staticData });
		await expect(moved.checkExists()).resolves.toBe(true);
		expect(simulator.webhooks()[0].url).toBe(receiver.url);

		const [result] = await simulator.deliver(buildRealisticClaimEvent());
		expect(result.delivered).toBe(true);
		expect(receiver.requests[0].signatureValid).toBe(true);

		await expect(moved.delete()).resolves.toBe(true);
		expect(simulator.webhooks()).toEqual([]);
		expect(staticData).toEqual({});
	});

	it('second create replaces the first', async () => {
		const url = 'http://127.0.0.1:9/webhook/abc/karla';
		await buildRegistrationHooks(contextFor(url)).create();
		await buildRegistrationHooks(contextFor(url)).create();
		expect(simulator.webhooks()).toHaveLength(1);
	});

	it('wrong key registers nothing', async () => {
		const context = contextFor('http://127.0.0.1:9/webhook/abc/karla', 'wrong-key');
		const error = await buildRegistrationHooks(context)
			.create()
			.catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(KarlaApiError);
		expect((error as KarlaApiError).status).toBe(401);
		expect((error as KarlaApiError).message).toBe(
			'Karla rejected the API key as deleted or expired (HTTP 401) when trying to list the webhooks',
		);
		expect((error as KarlaApiError).description).toBe(
			'Karla: "Invalid or expired API key." (unauthorized). Create a new API key in Karla\'s portal and enter it in the Karla API credential.',
		);
		expect(simulator.webhooks()).toEqual([]);
		expect(context.staticData).toEqual({});
	});

	it('unknown shop gives 404', async () => {
		const context = {
			...contextFor('http://127.0.0.1:9/webhook/abc/karla'),
			connection: { baseUrl: simulator.baseUrl, shopSlug: 'no-such-shop' },
		};
		await expect(buildRegistrationHooks(context).create()).rejects.toThrow(
			'Karla found no shop "no-such-shop" (HTTP 404)',
		);
	});

	it('invalid URL gives 422', async () => {
		const context = contextFor('ftp://n8n.example/webhook/abc/karla');
		const error = await buildRegistrationHooks(context)
			.create()
			.catch((caught: unknown) => caught);
		expect((error as KarlaApiError).status).toBe(422);
		expect((error as KarlaApiError).operation).toBe('create');
		expect((error as KarlaApiError).description).toContain('url: must be an http or https URL.');
	});

	it('delete after Karla lost it', async () => {
		const context = contextFor('http://127.0.0.1:9/webhook/abc/karla');
		const hooks = buildRegistrationHooks(context);
		await hooks.create();
		await axios.delete(
			`${simulator.baseUrl}/v1/shops/${SHOP.slug}/webhooks/${simulator.webhooks()[0].uuid}`,
			{ auth: { username: SHOP.slug, password: SHOP.apiKey } },
		);
		await expect(hooks.delete()).resolves.toBe(true);
		expect(context.staticData).toEqual({});
	});

	it('server error keeps stored data', async () => {
		const context = contextFor('http://127.0.0.1:9/webhook/abc/karla');
		const hooks = buildRegistrationHooks(context);
		await hooks.create();
		const stored = { ...context.staticData };
		simulator.failNextRequests(500);
		await expect(hooks.delete()).rejects.toThrow(/internal error \(HTTP 500\)/);
		expect(context.staticData).toEqual(stored);
		expect(simulator.webhooks()).toHaveLength(1);
	});
});
