import {
	KarlaApiError,
	KarlaSettingsError,
	type KarlaRequestOptions,
} from '../../nodes/shared/karlaApi';
import {
	buildRegistrationHooks,
	readRegisteredSecret,
	WEBHOOK_SECRET_KEY,
	WEBHOOK_UUID_KEY,
	type KarlaApiResponse,
	type RegistrationContext,
} from '../../nodes/shared/karlaRegistration';

const WEBHOOK_URL = 'https://n8n.example/webhook/0b5c/karla';
const COLLECTION_URL = 'https://api.gokarla.io/v1/shops/example-shop/webhooks';

interface StoredWebhook {
	uuid: string;
	url: string;
	enabled_events: string[];
	status: string;
	description: string;
	secret: string;
}

/** Karla shows a webhook's secret only in the response that creates it. */
function withoutSecret(webhook: StoredWebhook): Omit<StoredWebhook, 'secret'> {
	const copy: Partial<StoredWebhook> = { ...webhook };
	delete copy.secret;
	return copy as Omit<StoredWebhook, 'secret'>;
}

/**
 * A fake Karla that keeps webhooks in memory and records every request. `respond` replaces
 * the response to the next request whose method matches.
 */
class FakeKarla {
	webhooks: StoredWebhook[] = [];

	requests: KarlaRequestOptions[] = [];

	private overrides: Array<{ method: string; response: KarlaApiResponse | Error }> = [];

	private nextUuid = 1;

	respond(method: KarlaRequestOptions['method'], response: KarlaApiResponse | Error): void {
		this.overrides.push({ method, response });
	}

	add(webhook: Partial<StoredWebhook> & { url: string }): StoredWebhook {
		const stored: StoredWebhook = {
			uuid: `uuid-${this.nextUuid++}`,
			enabled_events: ['*'],
			status: 'active',
			description: '',
			secret: 'k'.repeat(36),
			...webhook,
		};
		this.webhooks.push(stored);
		return stored;
	}

	request = async (options: KarlaRequestOptions): Promise<KarlaApiResponse> => {
		this.requests.push(options);
		const override = this.overrides.findIndex((entry) => entry.method === options.method);
		if (override !== -1) {
			const [{ response }] = this.overrides.splice(override, 1);
			if (response instanceof Error) throw response;
			return response;
		}
		return this.handle(options);
	};

	private handle(options: KarlaRequestOptions): KarlaApiResponse {
		const uuid = options.url.startsWith(`${COLLECTION_URL}/`)
			? decodeURIComponent(options.url.slice(COLLECTION_URL.length + 1))
			: undefined;
		const index = this.webhooks.findIndex((webhook) => webhook.uuid === uuid);
		const notFound = { status: 404, body: { message: 'Webhook not found', type: 'not_found' } };
		switch (options.method) {
			case 'GET': {
				const qs = options.qs ?? {};
				const page = Number(qs.page ?? 1);
				const perPage = Number(qs.per_page ?? 10);
				const matching = this.webhooks.filter(
					(webhook) =>
						(qs.uuid === undefined || webhook.uuid === qs.uuid) &&
						(qs.url === undefined || webhook.url === qs.url),
				);
				const pageItems = matching.slice((page - 1) * perPage, page * perPage);
				return { status: 200, body: pageItems.map(withoutSecret) };
			}
			case 'POST': {
				const body = options.body ?? {};
				const created = this.add({
					url: String(body.url),
					enabled_events: body.enabled_events as string[],
					status: String(body.status ?? 'active'),
					description: String(body.description ?? ''),
					secret: String(body.secret),
				});
				return { status: 201, body: { ...created } };
			}
			case 'PATCH': {
				if (index === -1) return notFound;
				const body = options.body ?? {};
				const webhook = this.webhooks[index];
				if (body.url !== undefined) webhook.url = String(body.url);
				if (body.enabled_events !== undefined)
					webhook.enabled_events = body.enabled_events as string[];
				if (body.status !== undefined) webhook.status = String(body.status);
				return { status: 200, body: withoutSecret(webhook) };
			}
			case 'DELETE': {
				if (index === -1) return notFound;
				this.webhooks.splice(index, 1);
				return { status: 204, body: '' };
			}
		}
	}
}

function setUp(overrides: Partial<RegistrationContext> = {}) {
	const karla = new FakeKarla();
	const staticData: Record<string, unknown> = {};
	const context: RegistrationContext = {
		connection: { baseUrl: 'https://api.gokarla.io', shopSlug: 'example-shop' },
		request: karla.request,
		staticData,
		webhookUrl: WEBHOOK_URL,
		workflowName: 'Claims to helpdesk',
		events: ['claims/created', 'claims/updated'],
		...overrides,
	};
	return { karla, staticData, context, hooks: buildRegistrationHooks(context) };
}

const unauthorized = { status: 401, body: { message: 'API key expired', type: 'unauthorized' } };

describe('registration create', () => {
	it('registers URL, events and secret', async () => {
		const { karla, staticData, hooks } = setUp();
		await expect(hooks.create()).resolves.toBe(true);

		expect(karla.webhooks).toHaveLength(1);
		const [webhook] = karla.webhooks;
		expect(webhook.url).toBe(WEBHOOK_URL);
		expect(webhook.enabled_events).toEqual(['claims/created', 'claims/updated']);
		expect(webhook.status).toBe('active');
		expect(webhook.description).toBe('n8n workflow "Claims to helpdesk"');
		expect(webhook.secret).toMatch(/^[A-Za-z0-9_-]{48}$/);
		expect(staticData[WEBHOOK_UUID_KEY]).toBe(webhook.uuid);
		expect(staticData[WEBHOOK_SECRET_KEY]).toBe(webhook.secret);
		expect(readRegisteredSecret(staticData)).toBe(webhook.secret);
	});

	it('lists by URL before creating', async () => {
		const { karla, hooks } = setUp();
		await hooks.create();
		expect(karla.requests.map((request) => request.method)).toEqual(['GET', 'POST']);
		expect(karla.requests[0].qs).toEqual({ url: WEBHOOK_URL, page: 1, per_page: 100 });
	});

	it('deletes webhooks with the same URL', async () => {
		const { karla, staticData, hooks } = setUp();
		karla.add({ url: WEBHOOK_URL });
		karla.add({ url: WEBHOOK_URL });
		const unrelated = karla.add({ url: 'https://n8n.example/webhook/other/karla' });

		await hooks.create();

		expect(karla.webhooks.map((webhook) => webhook.uuid)).toEqual([
			unrelated.uuid,
			staticData[WEBHOOK_UUID_KEY],
		]);
	});

	it('ignores list entries with other URLs', async () => {
		const { karla, hooks } = setUp();
		// A server that does not filter by URL still must not lose unrelated webhooks.
		karla.respond('GET', {
			status: 200,
			body: [{ uuid: 'foreign', url: 'https://elsewhere.example/hook' }],
		});
		await hooks.create();
		expect(karla.requests.map((request) => request.method)).toEqual(['GET', 'POST']);
	});

	it('pages through long lists', async () => {
		const { karla, hooks } = setUp();
		for (let i = 0; i < 150; i++) karla.add({ url: WEBHOOK_URL });
		await hooks.create();
		const pages = karla.requests.filter((request) => request.method === 'GET');
		expect(pages.map((request) => request.qs?.page)).toEqual([1, 2]);
		expect(karla.webhooks).toHaveLength(1);
	});

	it('prefers the returned secret', async () => {
		const { karla, staticData, hooks } = setUp();
		const karlaSecret = '3f2b8c1e-7a4d-4e8b-9c0f-1a2b3c4d5e6f';
		karla.respond('POST', {
			status: 201,
			body: { uuid: 'u-9', url: WEBHOOK_URL, secret: karlaSecret },
		});
		await hooks.create();
		expect(staticData[WEBHOOK_SECRET_KEY]).toBe(karlaSecret);
	});

	it('keeps its secret without a returned one', async () => {
		const { karla, staticData, hooks } = setUp();
		karla.respond('POST', { status: 201, body: { uuid: 'u-9', url: WEBHOOK_URL } });
		await hooks.create();
		const created = karla.requests.find((request) => request.method === 'POST');
		expect(staticData[WEBHOOK_SECRET_KEY]).toBe(created?.body?.secret);
	});

	it('ignores a returned secret of invalid length', async () => {
		const { karla, staticData, hooks } = setUp();
		karla.respond('POST', {
			status: 201,
			body: { uuid: 'u-9', url: WEBHOOK_URL, secret: 'short' },
		});
		await hooks.create();
		expect(staticData[WEBHOOK_SECRET_KEY]).toHaveLength(48);
	});

	it('throws KarlaApiError on 401', async () => {
		const { karla, staticData, hooks } = setUp();
		karla.respond('GET', unauthorized);
		const error = await hooks.create().catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(KarlaApiError);
		expect((error as KarlaApiError).status).toBe(401);
		expect((error as KarlaApiError).operation).toBe('list');
		expect((error as KarlaApiError).karlaMessage).toBe('API key expired');
		expect(karla.webhooks).toHaveLength(0);
		expect(staticData).toEqual({});
	});

	it('throws KarlaApiError on 422', async () => {
		const { karla, staticData, hooks } = setUp();
		karla.respond('POST', {
			status: 422,
			body: { message: 'url must be a public URL', type: 'validation_error' },
		});
		const error = await hooks.create().catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(KarlaApiError);
		expect((error as KarlaApiError).operation).toBe('create');
		expect((error as KarlaApiError).description).toContain('url must be a public URL');
		expect(staticData).toEqual({});
	});

	it('rejects response without uuid', async () => {
		const { karla, staticData, hooks } = setUp();
		karla.respond('POST', { status: 200, body: '<html>ok</html>' });
		await expect(hooks.create()).rejects.toThrow(/is not a webhook with a uuid/);
		expect(staticData).toEqual({});
	});

	it('rejects a list that is not an array', async () => {
		const { karla, hooks } = setUp();
		karla.respond('GET', { status: 200, body: { data: [] } });
		await expect(hooks.create()).rejects.toThrow(/is not a JSON array of webhooks/);
	});

	it('rejects an empty event selection', async () => {
		const { karla, hooks } = setUp({ events: [] });
		await expect(hooks.create()).rejects.toThrow(KarlaSettingsError);
		expect(karla.requests).toHaveLength(0);
	});

	it('passes network errors through', async () => {
		const { karla, hooks } = setUp();
		const refused = new Error('connect ECONNREFUSED 127.0.0.1:9');
		karla.respond('GET', refused);
		await expect(hooks.create()).rejects.toBe(refused);
	});
});

describe('registration checkExists', () => {
	it('is false without stored data', async () => {
		const { karla, hooks } = setUp();
		await expect(hooks.checkExists()).resolves.toBe(false);
		expect(karla.requests).toHaveLength(0);
	});

	it('is true for the created webhook', async () => {
		const { karla, hooks } = setUp();
		await hooks.create();
		karla.requests = [];
		await expect(hooks.checkExists()).resolves.toBe(true);
		expect(karla.requests).toHaveLength(1);
		expect(karla.requests[0].qs?.uuid).toBe(karla.webhooks[0].uuid);
	});

	it('is false when Karla lost it', async () => {
		const { karla, staticData, hooks } = setUp();
		await hooks.create();
		karla.webhooks = [];
		await expect(hooks.checkExists()).resolves.toBe(false);
		expect(staticData).toEqual({});
	});

	it('is false without a stored secret', async () => {
		const { staticData, hooks } = setUp();
		await hooks.create();
		delete staticData[WEBHOOK_SECRET_KEY];
		await expect(hooks.checkExists()).resolves.toBe(false);
		expect(staticData).toEqual({});
	});

	it('ignores other uuids with this URL', async () => {
		const { karla, staticData, hooks } = setUp();
		karla.add({ url: WEBHOOK_URL });
		staticData[WEBHOOK_UUID_KEY] = 'gone';
		staticData[WEBHOOK_SECRET_KEY] = 's'.repeat(48);
		await expect(hooks.checkExists()).resolves.toBe(false);
	});

	it('updates changed events in place', async () => {
		const first = setUp({ events: ['claims/created'] });
		await first.hooks.create();
		const secret = first.staticData[WEBHOOK_SECRET_KEY];

		const second = buildRegistrationHooks({ ...first.context, events: ['claims/updated'] });
		first.karla.requests = [];
		await expect(second.checkExists()).resolves.toBe(true);

		expect(first.karla.requests.map((request) => request.method)).toEqual(['GET', 'PATCH']);
		expect(first.karla.requests[1].body).toEqual({ enabled_events: ['claims/updated'] });
		expect(first.karla.webhooks[0].enabled_events).toEqual(['claims/updated']);
		expect(first.staticData[WEBHOOK_SECRET_KEY]).toBe(secret);
	});

	it('updates a moved URL in place', async () => {
		const first = setUp();
		await first.hooks.create();
		const movedUrl = 'https://n8n.new.example/webhook/0b5c/karla';
		const second = buildRegistrationHooks({ ...first.context, webhookUrl: movedUrl });
		await expect(second.checkExists()).resolves.toBe(true);
		expect(first.karla.webhooks[0].url).toBe(movedUrl);
	});

	it('reactivates an inactive webhook', async () => {
		const { karla, hooks } = setUp();
		await hooks.create();
		karla.webhooks[0].status = 'inactive';
		await expect(hooks.checkExists()).resolves.toBe(true);
		expect(karla.webhooks[0].status).toBe('active');
	});

	it('throws KarlaApiError on 401', async () => {
		const { karla, staticData, hooks } = setUp();
		await hooks.create();
		const stored = { ...staticData };
		karla.respond('GET', unauthorized);
		await expect(hooks.checkExists()).rejects.toThrow(KarlaApiError);
		expect(staticData).toEqual(stored);
	});

	it('throws when the update fails', async () => {
		const { karla, hooks } = setUp();
		await hooks.create();
		karla.webhooks[0].enabled_events = ['*'];
		karla.respond('PATCH', { status: 500, body: { message: 'boom', type: 'internal_error' } });
		await expect(hooks.checkExists()).rejects.toThrow(/internal error \(HTTP 500\)/);
	});
});

describe('registration delete', () => {
	it('removes the webhook and stored data', async () => {
		const { karla, staticData, hooks } = setUp();
		await hooks.create();
		const uuid = staticData[WEBHOOK_UUID_KEY];
		karla.requests = [];

		await expect(hooks.delete()).resolves.toBe(true);

		expect(karla.requests).toHaveLength(1);
		expect(karla.requests[0].method).toBe('DELETE');
		expect(karla.requests[0].url).toBe(`${COLLECTION_URL}/${String(uuid)}`);
		expect(karla.webhooks).toHaveLength(0);
		expect(staticData).toEqual({});
	});

	it('treats 404 as removed', async () => {
		const { karla, staticData, hooks } = setUp();
		await hooks.create();
		karla.webhooks = [];
		await expect(hooks.delete()).resolves.toBe(true);
		expect(staticData).toEqual({});
	});

	it('does nothing without stored data', async () => {
		const { karla, hooks } = setUp();
		await expect(hooks.delete()).resolves.toBe(true);
		expect(karla.requests).toHaveLength(0);
	});

	it('keeps stored data on error', async () => {
		const { karla, staticData, hooks } = setUp();
		await hooks.create();
		const stored = { ...staticData };
		karla.respond('DELETE', unauthorized);
		const error = await hooks.delete().catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(KarlaApiError);
		expect((error as KarlaApiError).operation).toBe('delete');
		expect(staticData).toEqual(stored);
		expect(karla.webhooks).toHaveLength(1);
	});

	it('keeps other static data', async () => {
		const { staticData, hooks } = setUp();
		staticData.unrelated = 'kept';
		await hooks.create();
		await hooks.delete();
		expect(staticData).toEqual({ unrelated: 'kept' });
	});
});
