import type { IHttpRequestOptions } from 'n8n-workflow';

import {
	buildCreateWebhookRequest,
	buildDeleteWebhookRequest,
	buildListWebhooksRequest,
	buildUpdateWebhookRequest,
	buildWebhookDescription,
	buildWebhooksUrl,
	describeKarlaError,
	findRegisteredWebhook,
	generateWebhookSecret,
	hasSameEvents,
	isSameWebhookUrl,
	KarlaApiError,
	KarlaSettingsError,
	parseWebhook,
	parseWebhookList,
	toKarlaApiError,
	type KarlaWebhook,
} from '../../nodes/shared/karlaApi';

const connection = { baseUrl: 'https://api.gokarla.io', shopSlug: 'example-shop' };

describe('buildWebhooksUrl', () => {
	it('builds the collection URL', () => {
		expect(buildWebhooksUrl(connection)).toBe(
			'https://api.gokarla.io/v1/shops/example-shop/webhooks',
		);
	});

	it('encodes slug and uuid', () => {
		const url = buildWebhooksUrl({ ...connection, shopSlug: 'a/b c' }, 'x/../y');
		expect(url).toBe('https://api.gokarla.io/v1/shops/a%2Fb%20c/webhooks/x%2F..%2Fy');
	});

	it('trims slug and trailing slashes', () => {
		const url = buildWebhooksUrl({ baseUrl: 'http://127.0.0.1:4010//', shopSlug: ' shop ' });
		expect(url).toBe('http://127.0.0.1:4010/v1/shops/shop/webhooks');
	});

	it('keeps a base path prefix', () => {
		const url = buildWebhooksUrl({ baseUrl: 'https://proxy.example/karla/', shopSlug: 's' });
		expect(url).toBe('https://proxy.example/karla/v1/shops/s/webhooks');
	});

	it('defaults an empty base URL', () => {
		expect(buildWebhooksUrl({ baseUrl: ' ', shopSlug: 's' })).toBe(
			'https://api.gokarla.io/v1/shops/s/webhooks',
		);
	});

	it.each(['not a url', 'ftp://api.gokarla.io', 'file:///etc/passwd'])(
		'rejects base URL %s',
		(baseUrl) => {
			expect(() => buildWebhooksUrl({ baseUrl, shopSlug: 's' })).toThrow(KarlaSettingsError);
		},
	);

	it.each(['', '  ', '.', '..'])('rejects shop slug %j', (shopSlug) => {
		expect(() => buildWebhooksUrl({ ...connection, shopSlug })).toThrow(/shop slug .* is missing/);
	});
});

describe('request builders', () => {
	it('list sends filters and paging', () => {
		const options = buildListWebhooksRequest(connection, {
			page: 2,
			perPage: 500,
			uuid: 'u-1',
			status: 'active',
			url: 'https://n8n.example/webhook/abc/karla',
		});
		expect(options).toEqual({
			method: 'GET',
			url: 'https://api.gokarla.io/v1/shops/example-shop/webhooks',
			qs: {
				page: 2,
				per_page: 100,
				uuid: 'u-1',
				status: 'active',
				url: 'https://n8n.example/webhook/abc/karla',
			},
			json: true,
		});
	});

	it('list without query sends no filters', () => {
		expect(buildListWebhooksRequest(connection).qs).toEqual({});
	});

	it('create sends snake_case body', () => {
		const options = buildCreateWebhookRequest(connection, {
			url: 'https://n8n.example/webhook/abc/karla',
			enabledEvents: ['claims/created'],
			secret: 's'.repeat(48),
			description: 'n8n workflow "Claims"',
			status: 'active',
		});
		expect(options.method).toBe('POST');
		expect(options.url).toBe('https://api.gokarla.io/v1/shops/example-shop/webhooks');
		expect(options.body).toEqual({
			url: 'https://n8n.example/webhook/abc/karla',
			enabled_events: ['claims/created'],
			secret: 's'.repeat(48),
			description: 'n8n workflow "Claims"',
			status: 'active',
		});
	});

	it('create omits undefined fields', () => {
		const options = buildCreateWebhookRequest(connection, {
			url: 'https://n8n.example/x',
			enabledEvents: ['*'],
		});
		expect(options.body).toEqual({ url: 'https://n8n.example/x', enabled_events: ['*'] });
	});

	it('update sends only changes', () => {
		const options = buildUpdateWebhookRequest(connection, 'u-1', {
			enabledEvents: ['claims'],
			status: 'inactive',
		});
		expect(options).toEqual({
			method: 'PATCH',
			url: 'https://api.gokarla.io/v1/shops/example-shop/webhooks/u-1',
			body: { enabled_events: ['claims'], status: 'inactive' },
			json: true,
		});
	});

	it('delete targets one webhook', () => {
		expect(buildDeleteWebhookRequest(connection, 'u-1')).toEqual({
			method: 'DELETE',
			url: 'https://api.gokarla.io/v1/shops/example-shop/webhooks/u-1',
			json: true,
		});
	});

	it('options fit n8n request options', () => {
		const options: IHttpRequestOptions = {
			...buildCreateWebhookRequest(connection, { url: 'https://x.example', enabledEvents: ['*'] }),
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		};
		expect(options.json).toBe(true);
	});
});

describe('generateWebhookSecret', () => {
	it('has 48 URL-safe characters', () => {
		const secret = generateWebhookSecret();
		expect(secret).toHaveLength(48);
		expect(secret).toMatch(/^[A-Za-z0-9_-]{48}$/);
	});

	it('differs between calls', () => {
		const secrets = new Set(Array.from({ length: 50 }, () => generateWebhookSecret()));
		expect(secrets.size).toBe(50);
	});

	it('uses the whole alphabet', () => {
		const characters = new Set(Array.from({ length: 200 }, () => generateWebhookSecret()).join(''));
		expect(characters.size).toBe(64);
	});
});

describe('buildWebhookDescription', () => {
	it('names the workflow', () => {
		expect(buildWebhookDescription('Claims to Zendesk')).toBe('n8n workflow "Claims to Zendesk"');
	});

	it('removes control characters', () => {
		expect(buildWebhookDescription('Claims\n\tto\u0000 Zendesk ')).toBe(
			'n8n workflow "Claims to  Zendesk"',
		);
	});

	it('handles an empty name', () => {
		expect(buildWebhookDescription('  ')).toBe('n8n workflow');
	});

	it('caps the length', () => {
		const description = buildWebhookDescription('x'.repeat(500));
		expect(description).toHaveLength(200);
		expect(description.endsWith('…"')).toBe(true);
	});
});

describe('parseWebhook', () => {
	it('reads Karla fields', () => {
		expect(
			parseWebhook({
				uuid: 'u-1',
				url: 'https://n8n.example/x',
				enabled_events: ['claims/created', 7],
				status: 'active',
				description: 'd',
				secret: 's',
				extra: true,
			}),
		).toEqual({
			uuid: 'u-1',
			url: 'https://n8n.example/x',
			enabledEvents: ['claims/created'],
			status: 'active',
			description: 'd',
			secret: 's',
		});
	});

	it('defaults missing fields to null', () => {
		expect(parseWebhook({ uuid: 'u-1', url: 'https://n8n.example/x' })).toEqual({
			uuid: 'u-1',
			url: 'https://n8n.example/x',
			enabledEvents: null,
			status: null,
			description: null,
			secret: null,
		});
	});

	it.each([
		null,
		'text',
		[],
		{ uuid: 'u' },
		{ url: 'x' },
		{ uuid: '', url: 'x' },
		{ uuid: 1, url: 'x' },
	])('rejects %j', (value) => {
		expect(parseWebhook(value)).toBeNull();
	});

	it('list skips invalid entries', () => {
		const list = parseWebhookList([{ uuid: 'a', url: 'https://x' }, { nope: true }]);
		expect(list?.map((webhook) => webhook.uuid)).toEqual(['a']);
	});

	it('list rejects a non-array', () => {
		expect(parseWebhookList({ items: [] })).toBeNull();
		expect(parseWebhookList('<html>')).toBeNull();
	});
});

describe('findRegisteredWebhook', () => {
	const url = 'https://n8n.example/webhook/abc/karla';
	const list: KarlaWebhook[] = [
		{ uuid: 'other', url, enabledEvents: [], status: null, description: null, secret: null },
		{
			uuid: 'mine',
			url: 'https://N8N.example:443/webhook/abc/karla',
			enabledEvents: [],
			status: null,
			description: null,
			secret: null,
		},
		{
			uuid: 'moved',
			url: 'https://n8n.example/webhook/old/karla',
			enabledEvents: [],
			status: null,
			description: null,
			secret: null,
		},
	];

	it('matches uuid and URL', () => {
		expect(findRegisteredWebhook(list, url, 'mine')?.uuid).toBe('mine');
	});

	it('needs the stored uuid', () => {
		expect(findRegisteredWebhook(list, url, 'unknown')).toBeNull();
	});

	it('needs the same URL', () => {
		expect(findRegisteredWebhook(list, url, 'moved')).toBeNull();
	});
});

describe('URL and event comparison', () => {
	it('compares parsed URLs', () => {
		expect(isSameWebhookUrl('https://A.example:443/x', 'https://a.example/x')).toBe(true);
		expect(isSameWebhookUrl('https://a.example/x', 'https://a.example/x/')).toBe(false);
		expect(isSameWebhookUrl('not a url', 'not a url')).toBe(true);
	});

	it('compares event sets', () => {
		expect(hasSameEvents(['a', 'b'], ['b', 'a', 'a'])).toBe(true);
		expect(hasSameEvents(['a'], ['a', 'b'])).toBe(false);
		expect(hasSameEvents([], [])).toBe(true);
	});
});

describe('describeKarlaError', () => {
	const body = { message: 'Invalid credentials', type: 'authentication_error' };

	it.each([
		[400, /missing or malformed \(HTTP 400\)/, /Copy the API key again/],
		[401, /deleted or expired \(HTTP 401\)/, /Create a new API key/],
		[403, /denied access to shop "example-shop" \(HTTP 403\)/, /belongs to this shop/],
		[404, /no shop "example-shop" \(HTTP 404\)/, /Check the shop slug/],
		[422, /rejected the webhook settings \(HTTP 422\)/, /WEBHOOK_URL/],
		[500, /internal error \(HTTP 500\)/, /Try again in a few minutes/],
		[503, /internal error \(HTTP 503\)/, /Try again in a few minutes/],
		[418, /HTTP 418/, /Check the base URL/],
	])('status %i', (status, message, remedy) => {
		const described = describeKarlaError(status, body, 'create', 'example-shop');
		expect(described.message).toMatch(message);
		expect(described.description).toMatch(remedy);
		expect(described.description).toContain('Karla: "Invalid credentials" (authentication_error).');
	});

	it('names the operation', () => {
		expect(describeKarlaError(401, body, 'delete', 's').message).toMatch(/remove the webhook$/);
		expect(describeKarlaError(401, body, 'list', 's').message).toMatch(/list the webhooks$/);
	});

	it('404 on update names the webhook', () => {
		expect(describeKarlaError(404, body, 'update', 's').message).toMatch(/no such webhook/);
	});

	it('works without a JSON body', () => {
		const described = describeKarlaError(502, '<html>Bad gateway</html>', 'list', 's');
		expect(described.description).toMatch(/^Try again/);
	});

	it('quotes a message without type', () => {
		const described = describeKarlaError(422, { message: 'url: invalid' }, 'create', 's');
		expect(described.description).toMatch(/^Karla: "url: invalid"\. /);
	});

	it('cuts a long message', () => {
		const described = describeKarlaError(500, { message: 'x'.repeat(1000) }, 'create', 's');
		expect(described.description).toContain(`"${'x'.repeat(300)}…"`);
		expect(described.description.length).toBeLessThan(500);
	});

	it('builds a KarlaApiError', () => {
		const error = toKarlaApiError(401, body, 'create', 'example-shop');
		expect(error).toBeInstanceOf(KarlaApiError);
		expect(error.status).toBe(401);
		expect(error.operation).toBe('create');
		expect(error.karlaMessage).toBe('Invalid credentials');
		expect(error.karlaType).toBe('authentication_error');
		expect(error.message).toMatch(/HTTP 401/);
		expect(error.description).toMatch(/Create a new API key/);
	});
});
