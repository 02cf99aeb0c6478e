import axios, { type AxiosRequestConfig, type AxiosResponse } from 'axios';

import {
	matchesEnabledEvents,
	parseBasicAuth,
	startKarlaSimulator,
	type KarlaSimulator,
} from '../../tools/karla-simulator';

const SHOP = { slug: 'example-shop', apiKey: 'key-example-0123456789' };
const OTHER_SHOP = { slug: 'other-shop', username: 'other-user', apiKey: 'key-other-9876543210' };
const HOOK_URL = 'http://127.0.0.1:9/webhook/abc/karla';

let simulator: KarlaSimulator;

beforeEach(async () => {
	simulator = await startKarlaSimulator({ shops: [SHOP, OTHER_SHOP] });
});

afterEach(async () => {
	await simulator.stop();
});

function basic(username: string, password: string): string {
	return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

async function call(
	method: string,
	path: string,
	options: { auth?: string | null; body?: unknown; params?: Record<string, unknown> } = {},
): Promise<AxiosResponse> {
	const headers: Record<string, string> = {};
	const auth = options.auth === undefined ? basic(SHOP.slug, SHOP.apiKey) : options.auth;
	if (auth !== null) headers.Authorization = auth;
	const config: AxiosRequestConfig = {
		method,
		url: `${simulator.baseUrl}${path}`,
		headers,
		data: options.body,
		params: options.params,
		validateStatus: () => true,
	};
	return await axios.request(config);
}

const WEBHOOKS = '/v1/shops/example-shop/webhooks';

describe('simulator authentication', () => {
	it('400 without Authorization', async () => {
		const response = await call('GET', WEBHOOKS, { auth: null });
		expect(response.status).toBe(400);
		expect(response.data).toEqual({ message: 'Missing API key.', type: 'bad_request' });
	});

	it.each([
		['Bearer key-example-0123456789'],
		['Basic !!!'],
		[`Basic ${Buffer.from('no-colon').toString('base64')}`],
		[`Basic ${Buffer.from('example-shop:').toString('base64')}`],
	])('400 for malformed %s', async (auth) => {
		const response = await call('GET', WEBHOOKS, { auth });
		expect(response.status).toBe(400);
		expect(response.data.type).toBe('bad_request');
	});

	it('401 for a wrong key', async () => {
		const response = await call('GET', WEBHOOKS, { auth: basic('example-shop', 'wrong') });
		expect(response.status).toBe(401);
		expect(response.data).toEqual({ message: 'Invalid or expired API key.', type: 'unauthorized' });
	});

	it('401 for a wrong user name', async () => {
		const response = await call('GET', WEBHOOKS, { auth: basic('someone', SHOP.apiKey) });
		expect(response.status).toBe(401);
	});

	it('404 for an unknown shop', async () => {
		const response = await call('GET', '/v1/shops/no-such-shop/webhooks');
		expect(response.status).toBe(404);
		expect(response.data.type).toBe('not_found');
	});

	it('403 for another shop', async () => {
		const response = await call('GET', '/v1/shops/other-shop/webhooks');
		expect(response.status).toBe(403);
		expect(response.data.type).toBe('forbidden');
	});

	it('accepts a custom user name', async () => {
		const response = await call('GET', '/v1/shops/other-shop/webhooks', {
			auth: basic(OTHER_SHOP.username, OTHER_SHOP.apiKey),
		});
		expect(response.status).toBe(200);
		expect(response.data).toEqual([]);
	});

	it('parseBasicAuth splits at the first colon', () => {
		expect(parseBasicAuth(basic('user', 'pa:ss'))).toEqual({ username: 'user', password: 'pa:ss' });
		expect(parseBasicAuth(undefined)).toBeNull();
	});
});

describe('simulator create', () => {
	it('returns uuid and given secret', async () => {
		const secret = 's'.repeat(48);
		const response = await call('POST', WEBHOOKS, {
			body: {
				url: HOOK_URL,
				enabled_events: ['claims/created'],
				secret,
				description: 'n8n workflow "Claims"',
			},
		});
		expect(response.status).toBe(201);
		expect(response.data).toMatchObject({
			url: HOOK_URL,
			enabled_events: ['claims/created'],
			secret,
			description: 'n8n workflow "Claims"',
			status: 'active',
		});
		expect(response.data.uuid).toMatch(/^[0-9a-f-]{36}$/);
		expect(response.data.shop_slug).toBeUndefined();
		expect(simulator.webhooks()).toHaveLength(1);
	});

	it('generates a secret and defaults', async () => {
		const response = await call('POST', WEBHOOKS, { body: { url: HOOK_URL } });
		expect(response.status).toBe(201);
		expect(response.data.secret).toMatch(/^[0-9a-f-]{36}$/);
		expect(response.data.enabled_events).toEqual(['*']);
		expect(simulator.webhooks()[0].secret).toBe(response.data.secret);
	});

	it.each([
		[{}, /^url:/],
		[{ url: 'ftp://x.example/hook' }, /^url:/],
		[{ url: 'not a url' }, /^url:/],
		[{ url: HOOK_URL, secret: 'x'.repeat(15) }, /^secret: .*16 to 64/],
		[{ url: HOOK_URL, secret: 'x'.repeat(65) }, /^secret:/],
		[{ url: HOOK_URL, secret: 42 }, /^secret:/],
		[{ url: HOOK_URL, enabled_events: 'claims' }, /^enabled_events:/],
		[{ url: HOOK_URL, enabled_events: ['claims', 3] }, /^enabled_events:/],
		[{ url: HOOK_URL, status: 'paused' }, /^status:/],
		[{ url: HOOK_URL, description: 5 }, /^description:/],
		[[HOOK_URL], /JSON object/],
	])('422 for %j', async (body, message) => {
		const response = await call('POST', WEBHOOKS, { body });
		expect(response.status).toBe(422);
		expect(response.data.type).toBe('validation_error');
		expect(response.data.message).toMatch(message);
		expect(simulator.webhooks()).toHaveLength(0);
	});

	it('accepts 16 and 64 character secrets', async () => {
		for (const length of [16, 64]) {
			const response = await call('POST', WEBHOOKS, {
				body: { url: HOOK_URL, secret: 'x'.repeat(length) },
			});
			expect(response.status).toBe(201);
		}
	});

	it('422 for invalid JSON', async () => {
		const response = await axios.post(`${simulator.baseUrl}${WEBHOOKS}`, '{"url":', {
			headers: {
				Authorization: basic(SHOP.slug, SHOP.apiKey),
				'Content-Type': 'application/json',
			},
			transformRequest: [(data: unknown) => data],
			validateStatus: () => true,
		});
		expect(response.status).toBe(422);
		expect(response.data.message).toMatch(/not valid JSON/);
	});
});

describe('simulator list', () => {
	async function createMany(count: number, url = HOOK_URL): Promise<string[]> {
		const uuids: string[] = [];
		for (let i = 0; i < count; i++) {
			const response = await call('POST', WEBHOOKS, { body: { url: `${url}?n=${i}` } });
			uuids.push(response.data.uuid as string);
		}
		return uuids;
	}

	it('hides secrets', async () => {
		await createMany(1);
		const response = await call('GET', WEBHOOKS);
		expect(response.status).toBe(200);
		expect(response.data).toHaveLength(1);
		expect(response.data[0].secret).toBeUndefined();
	});

	it('pages with page and per_page', async () => {
		const uuids = await createMany(5);
		const page2 = await call('GET', WEBHOOKS, { params: { page: 2, per_page: 2 } });
		expect(page2.data.map((webhook: { uuid: string }) => webhook.uuid)).toEqual(uuids.slice(2, 4));
		const page3 = await call('GET', WEBHOOKS, { params: { page: 3, per_page: 2 } });
		expect(page3.data).toHaveLength(1);
	});

	it('defaults to 10 per page', async () => {
		await createMany(12);
		const response = await call('GET', WEBHOOKS);
		expect(response.data).toHaveLength(10);
	});

	it('filters by uuid, url and status', async () => {
		const [first, second] = await createMany(2);
		await call('PATCH', `${WEBHOOKS}/${second}`, { body: { status: 'inactive' } });

		const byUuid = await call('GET', WEBHOOKS, { params: { uuid: second } });
		expect(byUuid.data.map((webhook: { uuid: string }) => webhook.uuid)).toEqual([second]);
		const byUrl = await call('GET', WEBHOOKS, { params: { url: `${HOOK_URL}?n=0` } });
		expect(byUrl.data.map((webhook: { uuid: string }) => webhook.uuid)).toEqual([first]);
		const byStatus = await call('GET', WEBHOOKS, { params: { status: 'inactive' } });
		expect(byStatus.data.map((webhook: { uuid: string }) => webhook.uuid)).toEqual([second]);
	});

	it.each([
		[{ per_page: 101 }, /^per_page:/],
		[{ per_page: 0 }, /^per_page:/],
		[{ page: 0 }, /^page:/],
		[{ page: 'two' }, /^page:/],
		[{ status: 'paused' }, /^status:/],
	])('422 for %j', async (params, message) => {
		const response = await call('GET', WEBHOOKS, { params });
		expect(response.status).toBe(422);
		expect(response.data.message).toMatch(message);
	});

	it('lists only its own shop', async () => {
		await createMany(1);
		const other = await call('GET', '/v1/shops/other-shop/webhooks', {
			auth: basic(OTHER_SHOP.username, OTHER_SHOP.apiKey),
		});
		expect(other.data).toEqual([]);
	});
});

describe('simulator update and delete', () => {
	async function createOne(): Promise<string> {
		const response = await call('POST', WEBHOOKS, { body: { url: HOOK_URL } });
		return response.data.uuid as string;
	}

	it('PATCH changes documented fields', async () => {
		const uuid = await createOne();
		const secret = simulator.webhooks()[0].secret;
		const response = await call('PATCH', `${WEBHOOKS}/${uuid}`, {
			body: {
				url: 'https://n8n.example/webhook/new/karla',
				enabled_events: ['claims'],
				description: 'moved',
				status: 'inactive',
				secret: 'ignored-because-not-patchable',
			},
		});
		expect(response.status).toBe(200);
		expect(response.data).toMatchObject({
			uuid,
			url: 'https://n8n.example/webhook/new/karla',
			enabled_events: ['claims'],
			description: 'moved',
			status: 'inactive',
		});
		expect(response.data.secret).toBeUndefined();
		expect(simulator.webhooks()[0].secret).toBe(secret);
	});

	it('PATCH validates', async () => {
		const uuid = await createOne();
		const response = await call('PATCH', `${WEBHOOKS}/${uuid}`, { body: { url: 'mailto:x' } });
		expect(response.status).toBe(422);
	});

	it('PATCH 404 for unknown uuid', async () => {
		const response = await call('PATCH', `${WEBHOOKS}/missing`, { body: { status: 'active' } });
		expect(response.status).toBe(404);
	});

	it('DELETE removes, then 404', async () => {
		const uuid = await createOne();
		const first = await call('DELETE', `${WEBHOOKS}/${uuid}`);
		expect(first.status).toBe(204);
		expect(simulator.webhooks()).toEqual([]);
		const second = await call('DELETE', `${WEBHOOKS}/${uuid}`);
		expect(second.status).toBe(404);
		expect(second.data.type).toBe('not_found');
	});

	it('DELETE needs authentication', async () => {
		const uuid = await createOne();
		const response = await call('DELETE', `${WEBHOOKS}/${uuid}`, { auth: null });
		expect(response.status).toBe(400);
		expect(simulator.webhooks()).toHaveLength(1);
	});

	it('405 for other methods', async () => {
		const response = await call('PUT', WEBHOOKS, { body: {} });
		expect(response.status).toBe(405);
	});

	it('404 for unknown paths', async () => {
		const response = await call('GET', '/v1/shops/example-shop/orders');
		expect(response.status).toBe(404);
		expect(response.data).toEqual({
			message: 'No route for /v1/shops/example-shop/orders.',
			type: 'not_found',
		});
	});

	it('failNextRequests injects errors', async () => {
		simulator.failNextRequests(500, 2);
		expect((await call('GET', WEBHOOKS)).status).toBe(500);
		const second = await call('GET', WEBHOOKS);
		expect(second.status).toBe(500);
		expect(second.data).toEqual({ message: 'Simulated failure.', type: 'internal_error' });
		expect((await call('GET', WEBHOOKS)).status).toBe(200);
	});
});

describe('simulator setup', () => {
	it('listens on 127.0.0.1', () => {
		expect(simulator.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
	});

	it('defaults user name to slug', () => {
		expect(simulator.shops[0]).toEqual({ ...SHOP, username: SHOP.slug });
	});

	it('requires a shop', async () => {
		await expect(startKarlaSimulator({ shops: [] })).rejects.toThrow(/at least one shop/);
	});

	it('stop is idempotent', async () => {
		await simulator.stop();
		await expect(simulator.stop()).resolves.toBeUndefined();
	});
});

describe('matchesEnabledEvents', () => {
	it.each([
		[['*'], 'claims/created', true],
		[['*'], null, true],
		[['claims/created'], 'claims/created', true],
		[['claims/created'], 'claims/updated', false],
		[['claims'], 'claims/updated', true],
		[['claims/'], 'claims/updated', true],
		[['claim'], 'claims/updated', false],
		[['shipments'], 'claims/created', false],
		[['shipments/delivered'], 'shipments/delivered/SUCCESSFULLY_DELIVERED', true],
		[['claims'], null, false],
		[[], 'claims/created', false],
		[[''], 'claims/created', false],
	])('%j receives %s: %s', (patterns, ref, expected) => {
		expect(matchesEnabledEvents(patterns, ref)).toBe(expected);
	});
});
