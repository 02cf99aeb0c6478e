import axios from 'axios';
import { createServer } from 'http';
import type { AddressInfo } from 'net';

import { verifySignature } from '../../nodes/shared/signature';
import { buildRealisticClaimEvent } from '../../scripts/lib/realistic-claims';
import {
	startKarlaSimulator,
	type KarlaSimulator,
	type KarlaSimulatorOptions,
} from '../../tools/karla-simulator';
import {
	startSignedReceiver,
	type ReceiverResponse,
	type SignedReceiver,
} from '../helpers/signed-receiver';

const SHOP = { slug: 'example-shop', apiKey: 'key-example-0123456789' };
const OTHER_SHOP = { slug: 'other-shop', apiKey: 'key-other-9876543210' };
const SECRET = 'delivery-secret-7f3a9c2e41b8';

let simulator: KarlaSimulator | undefined;
let receiver: SignedReceiver | undefined;

afterEach(async () => {
	await simulator?.stop();
	await receiver?.close();
	simulator = undefined;
	receiver = undefined;
});

async function setUp(
	respond?: (index: number) => ReceiverResponse,
	options: Partial<KarlaSimulatorOptions> = {},
): Promise<{ simulator: KarlaSimulator; receiver: SignedReceiver }> {
	receiver = await startSignedReceiver({
		secret: SECRET,
		respond: respond === undefined ? undefined : (_request, index) => respond(index),
	});
	simulator = await startKarlaSimulator({
		shops: [SHOP, OTHER_SHOP],
		retryBackoffMs: 1,
		...options,
	});
	return { simulator, receiver };
}

async function register(
	target: KarlaSimulator,
	body: Record<string, unknown>,
	shop: { slug: string; apiKey: string } = SHOP,
): Promise<string> {
	const response = await axios.post(
		`${target.baseUrl}/v1/shops/${shop.slug}/webhooks`,
		{ secret: SECRET, ...body },
		{ auth: { username: shop.slug, password: shop.apiKey } },
	);
	return response.data.uuid as string;
}

describe('simulator delivery', () => {
	it('signs the exact bytes', async () => {
		const { simulator, receiver } = await setUp();
		await register(simulator, { url: receiver.url });
		const rawBody = Buffer.from(
			'{ "ref":"claims/created",\n\t"note":"\\u00e9t\u00e9 \ud83d\udce6" }\r\n',
			'utf8',
		);

		const [result] = await simulator.deliver(rawBody);

		expect(result.delivered).toBe(true);
		expect(receiver.requests).toHaveLength(1);
		const [request] = receiver.requests;
		expect(request.rawBody.equals(rawBody)).toBe(true);
		expect(request.signatureValid).toBe(true);
		expect(request.headers['content-type']).toBe('application/json');
		const check = verifySignature(
			request.headers['karla-signature'] as string,
			request.rawBody,
			{ current: SECRET },
			{ nowSeconds: request.timestamp ?? 0 },
		);
		expect(check.valid).toBe(true);
	});

	it('sends objects as JSON', async () => {
		const { simulator, receiver } = await setUp();
		await register(simulator, { url: receiver.url });
		const event = buildRealisticClaimEvent();
		await simulator.deliver(event);
		expect(receiver.requests[0].rawBody.toString('utf8')).toBe(JSON.stringify(event));
	});

	it('uses the current time for t', async () => {
		const { simulator, receiver } = await setUp(undefined, { now: () => 1_772_000_000_999 });
		await register(simulator, { url: receiver.url });
		const [result] = await simulator.deliver({ ref: 'claims/created' });
		expect(receiver.requests[0].timestamp).toBe(1_772_000_000);
		expect(result.attempts[0].signatureTimestamp).toBe(1_772_000_000);
		expect(result.attempts[0].startedAt).toBe('2026-02-25T06:13:20.999Z');
	});

	it('matches enabled_events', async () => {
		const { simulator, receiver } = await setUp();
		const all = await register(simulator, { url: `${receiver.url}?all` });
		const prefix = await register(simulator, {
			url: `${receiver.url}?prefix`,
			enabled_events: ['claims'],
		});
		const created = await register(simulator, {
			url: `${receiver.url}?created`,
			enabled_events: ['claims/created'],
		});
		await register(simulator, { url: `${receiver.url}?shipments`, enabled_events: ['shipments'] });

		const updated = await simulator.deliver(buildRealisticClaimEvent({ ref: 'claims/updated' }));
		expect(updated.map((result) => result.webhookUuid).sort()).toEqual([all, prefix].sort());

		const createdResults = await simulator.deliver(buildRealisticClaimEvent());
		expect(createdResults.map((result) => result.webhookUuid).sort()).toEqual(
			[all, prefix, created].sort(),
		);
	});

	it('ref option overrides the event', async () => {
		const { simulator, receiver } = await setUp();
		await register(simulator, { url: receiver.url, enabled_events: ['claims/updated'] });
		const results = await simulator.deliver(buildRealisticClaimEvent(), { ref: 'claims/updated' });
		expect(results).toHaveLength(1);
	});

	it('skips inactive webhooks', async () => {
		const { simulator, receiver } = await setUp();
		await register(simulator, { url: receiver.url, status: 'inactive' });
		await expect(simulator.deliver(buildRealisticClaimEvent())).resolves.toEqual([]);
		expect(receiver.requests).toHaveLength(0);
	});

	it('delivers to the event shop', async () => {
		const { simulator, receiver } = await setUp();
		await register(simulator, { url: `${receiver.url}?mine` });
		const other = await register(simulator, { url: `${receiver.url}?other` }, OTHER_SHOP);

		const byEvent = await simulator.deliver(
			buildRealisticClaimEvent({ overrides: { shop_slug: 'other-shop' } }),
		);
		expect(byEvent.map((result) => result.webhookUuid)).toEqual([other]);

		const byOption = await simulator.deliver(buildRealisticClaimEvent(), { shop: 'other-shop' });
		expect(byOption.map((result) => result.webhookUuid)).toEqual([other]);
	});

	it('retries until success', async () => {
		let clock = 1_772_000_000_000;
		const { simulator, receiver } = await setUp((index) => ({ status: index < 2 ? 500 : 200 }), {
			now: () => (clock += 1_000),
			maxAttempts: 5,
		});
		const uuid = await register(simulator, { url: receiver.url });

		const [result] = await simulator.deliver(buildRealisticClaimEvent());

		expect(result.delivered).toBe(true);
		expect(result.attempts.map((attempt) => attempt.status)).toEqual([500, 500, 200]);
		expect(result.attempts.map((attempt) => attempt.attempt)).toEqual([1, 2, 3]);
		expect(receiver.requests).toHaveLength(3);
		const timestamps = receiver.requests.map((request) => request.timestamp);
		expect(new Set(timestamps).size).toBe(3);
		for (const request of receiver.requests) expect(request.signatureValid).toBe(true);
		for (const request of receiver.requests) {
			expect(request.rawBody.equals(receiver.requests[0].rawBody)).toBe(true);
		}
		expect(simulator.deliveries()).toHaveLength(3);
		expect(simulator.deliveries().every((attempt) => attempt.webhookUuid === uuid)).toBe(true);
		expect(new Set(result.attempts.map((attempt) => attempt.deliveryId)).size).toBe(1);
	});

	it('retries after a dropped connection', async () => {
		const { simulator, receiver } = await setUp((index) =>
			index === 0 ? { status: 200, dropConnection: true } : { status: 200 },
		);
		await register(simulator, { url: receiver.url });
		const [result] = await simulator.deliver(buildRealisticClaimEvent());
		expect(result.delivered).toBe(true);
		expect(result.attempts[0].status).toBeNull();
		expect(result.attempts[0].error).toMatch(/socket hang up|ECONNRESET/);
		expect(result.attempts[1].status).toBe(200);
	});

	it('retries a refused connection', async () => {
		const { simulator, receiver } = await setUp(undefined, { maxAttempts: 2 });
		await register(simulator, { url: receiver.url });
		await receiver.close();
		const [result] = await simulator.deliver(buildRealisticClaimEvent());
		expect(result.delivered).toBe(false);
		expect(result.attempts).toHaveLength(2);
		expect(result.attempts[1].error).toMatch(/ECONNREFUSED/);
	});

	it('stops after maxAttempts', async () => {
		const { simulator, receiver } = await setUp(() => ({ status: 503, body: 'busy' }), {
			maxAttempts: 4,
		});
		await register(simulator, { url: receiver.url });
		const [result] = await simulator.deliver(buildRealisticClaimEvent());
		expect(result.delivered).toBe(false);
		expect(result.attempts).toHaveLength(4);
		expect(receiver.requests).toHaveLength(4);
		expect(result.attempts[3]).toMatchObject({ status: 503, ok: false, responseBody: 'busy' });
	});

	it('treats 401 as a failure', async () => {
		const { simulator, receiver } = await setUp(undefined, { maxAttempts: 2 });
		const response = await axios.post(
			`${simulator.baseUrl}/v1/shops/${SHOP.slug}/webhooks`,
			{ url: receiver.url, secret: 'a-different-secret-1234' },
			{ auth: { username: SHOP.slug, password: SHOP.apiKey } },
		);
		expect(response.status).toBe(201);
		const [result] = await simulator.deliver(buildRealisticClaimEvent());
		expect(result.attempts.map((attempt) => attempt.status)).toEqual([401, 401]);
	});

	it('times out a silent receiver', async () => {
		const { simulator } = await setUp(undefined, { maxAttempts: 1, deliveryTimeoutMs: 50 });
		const silent = createServer(() => undefined);
		await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
		try {
			const { port } = silent.address() as AddressInfo;
			await register(simulator, { url: `http://127.0.0.1:${port}/hook` });
			const [result] = await simulator.deliver(buildRealisticClaimEvent());
			expect(result.delivered).toBe(false);
			expect(result.attempts[0].error).toBe('timed out after 50 ms');
		} finally {
			silent.closeAllConnections();
			await new Promise<void>((resolve) => silent.close(() => resolve()));
		}
	});

	it('never sends to other hosts', async () => {
		const { simulator } = await setUp();
		await register(simulator, { url: 'https://n8n.example.com/webhook/abc/karla' });
		const [result] = await simulator.deliver(buildRealisticClaimEvent());
		expect(result.delivered).toBe(false);
		expect(result.attempts).toHaveLength(1);
		expect(result.attempts[0]).toMatchObject({
			status: null,
			error: 'delivery_host_not_allowed',
		});
	});

	it('stops retrying a deleted webhook', async () => {
		// The backoff only has to outlast one local DELETE request.
		const { simulator, receiver } = await setUp(() => ({ status: 500 }), {
			retryBackoffMs: 1_000,
			maxAttempts: 5,
		});
		const uuid = await register(simulator, { url: receiver.url });
		const pending = simulator.deliver(buildRealisticClaimEvent());
		while (receiver.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
		await axios.delete(`${simulator.baseUrl}/v1/shops/${SHOP.slug}/webhooks/${uuid}`, {
			auth: { username: SHOP.slug, password: SHOP.apiKey },
		});
		const [result] = await pending;
		expect(result.attempts).toHaveLength(1);
		expect(receiver.requests).toHaveLength(1);
	});

	it('stop cancels pending retries', async () => {
		const { simulator, receiver } = await setUp(() => ({ status: 500 }), {
			retryBackoffMs: 60_000,
			maxAttempts: 3,
		});
		await register(simulator, { url: receiver.url });
		const pending = simulator.deliver(buildRealisticClaimEvent());
		while (receiver.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
		await simulator.stop();
		const [result] = await pending;
		expect(result.attempts).toHaveLength(1);
		expect(result.delivered).toBe(false);
	});

	it('control route delivers a claim', async () => {
		const { simulator, receiver } = await setUp();
		await register(simulator, { url: receiver.url, enabled_events: ['claims/updated'] });
		const response = await axios.post(
			`${simulator.baseUrl}/_simulator/deliver?ref=claims/updated`,
			undefined,
		);
		expect(response.status).toBe(200);
		expect(response.data).toHaveLength(1);
		expect(response.data[0].delivered).toBe(true);
		const event = JSON.parse(receiver.requests[0].rawBody.toString('utf8'));
		expect(event.ref).toBe('claims/updated');
		expect(event.shop_slug).toBe('example-shop');
	});

	it('control route sends bytes unchanged', async () => {
		const { simulator, receiver } = await setUp();
		await register(simulator, { url: receiver.url });
		const raw = '{"ref":"claims/created",  "x":1}';
		await axios.post(`${simulator.baseUrl}/_simulator/deliver`, raw, {
			headers: { 'Content-Type': 'application/json' },
			transformRequest: [(data: unknown) => data],
		});
		expect(receiver.requests[0].rawBody.toString('utf8')).toBe(raw);
	});

	it('control routes list webhooks and deliveries', async () => {
		const { simulator, receiver } = await setUp();
		await register(simulator, { url: receiver.url });
		await simulator.deliver(buildRealisticClaimEvent());
		const webhooks = await axios.get(`${simulator.baseUrl}/_simulator/webhooks`);
		expect(webhooks.data[0].secret).toBe(SECRET);
		const deliveries = await axios.get(`${simulator.baseUrl}/_simulator/deliveries`);
		expect(deliveries.data).toHaveLength(1);
		expect(deliveries.data[0].ok).toBe(true);
	});
});
