import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { KarlaClaimNormalize } from '../../nodes/KarlaClaimNormalize/KarlaClaimNormalize.node';
import { normalizeClaim } from '../../nodes/shared/normalize';
import { downloadClaimPhotos } from '../../nodes/shared/photo-download';
import { buildPhotoPolicy } from '../../nodes/shared/photos';
import { loadClaimFixture } from '../helpers/claim-fixtures';
import {
	chain,
	createNodeTypes,
	FixtureEmitter,
	outputOf,
	removeTemporaryN8nUserFolder,
	runWorkflow,
	useTemporaryN8nUserFolder,
	workflowNode,
} from '../helpers/n8n-workflow';
import {
	jpegBytes,
	redirectTo,
	sendFile,
	startPhotoServer,
	type PhotoServer,
} from '../helpers/photo-server';

/**
 * Test node that downloads the URLs in its `urls` parameter with the package's downloader and
 * n8n's real helpers, under a policy that reaches the test server on 127.0.0.1.
 */
class LocalPhotoFetcher implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Local Photo Fetcher',
		name: 'localPhotoFetcher',
		group: ['transform'],
		version: 1,
		description: 'Downloads photos from a local test server',
		defaults: { name: 'Local Photo Fetcher' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: [{ displayName: 'URLs', name: 'urls', type: 'string', default: '[]' }],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const urls = JSON.parse(this.getNodeParameter('urls', 0) as string) as string[];
		const policy = buildPhotoPolicy({
			allowHttp: true,
			allowedHosts: '127.0.0.1',
			allowPrivateAddresses: true,
			photoTimeoutSeconds: 5,
		});
		const { binary, records } = await downloadClaimPhotos(urls, 'claim-1', policy, 'photo_', {
			httpRequest: async (options) => await this.helpers.httpRequest(options),
			prepareBinaryData: async (buffer, fileName, mimeType) =>
				await this.helpers.prepareBinaryData(buffer, fileName, mimeType),
		});
		return [
			[{ json: { records: records as unknown as string[] }, binary, pairedItem: { item: 0 } }],
		];
	}
}

const nodeTypes = createNodeTypes({
	fixtureEmitter: new FixtureEmitter(),
	karlaClaimNormalize: new KarlaClaimNormalize(),
	localPhotoFetcher: new LocalPhotoFetcher(),
});

/** Runs Fixture Emitter → Karla Claim Normalize with the given items and node settings. */
async function runNormalize(
	items: unknown[],
	parameters: Record<string, unknown> = {},
	settings: { onError?: 'stopWorkflow' | 'continueRegularOutput' } = {},
) {
	return await runWorkflow({
		nodes: [
			workflowNode('Claims', 'fixtureEmitter', { items: JSON.stringify(items) }),
			workflowNode('Karla Claim Normalize', 'karlaClaimNormalize', parameters as never, settings),
		],
		connections: chain('Claims', 'Karla Claim Normalize'),
		nodeTypes,
	});
}

function normalized(name: string) {
	const result = normalizeClaim(loadClaimFixture(name));
	if (!result.ok) throw new Error(`fixture ${name} is not a claim`);
	return result.record;
}

describe('Karla Claim Normalize in n8n-core', () => {
	beforeAll(() => {
		useTemporaryN8nUserFolder();
	});

	afterAll(() => {
		removeTemporaryN8nUserFolder();
	});

	it('one item per claim from all input shapes', async () => {
		const run = await runNormalize([
			loadClaimFixture('full-claim'),
			loadClaimFixture('webhook-body'),
			loadClaimFixture('bare-event-data'),
		]);
		expect(run.status).toBe('success');
		const items = outputOf(run, 'Karla Claim Normalize');
		expect(items).toHaveLength(3);
		expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(items[0].json).toEqual(normalized('full-claim'));
		expect(items[1].json).toEqual(normalized('full-claim'));
		expect(items[2].json).toEqual(normalized('bare-event-data'));
		expect(items[0].binary).toBeUndefined();
	});

	it('one item per product', async () => {
		const run = await runNormalize(
			[loadClaimFixture('full-claim'), loadClaimFixture('empty-arrays')],
			{ output: 'perProduct' },
		);
		const items = outputOf(run, 'Karla Claim Normalize');
		expect(items.map((item) => [item.json.item_sku, item.pairedItem])).toEqual([
			['MUG-BLUE-01', { item: 0 }],
			['SAUCER-WHITE-02', { item: 0 }],
			[null, { item: 1 }],
		]);
		expect(items[0].json.ticket_subject).toBe(
			'Claim for order 1001: Partial damage (refund requested)',
		);
	});

	it('original event on request', async () => {
		const run = await runNormalize([loadClaimFixture('full-claim')], {
			options: { includeOriginalEvent: true },
		});
		const [item] = outputOf(run, 'Karla Claim Normalize');
		expect(item.json.karla_event).toEqual(loadClaimFixture('full-claim'));
	});

	it('shipment event stops the workflow with a remedy', async () => {
		const run = await runNormalize([
			loadClaimFixture('full-claim'),
			loadClaimFixture('shipment-event'),
		]);
		expect(run.status).toBe('error');
		const error = run.data.resultData.error as unknown as {
			message: string;
			description: string;
			context: { itemIndex: number };
		};
		expect(error.message).toBe('Item 1 is not a Karla claim event: event_data.claim_id is missing');
		expect(error.description).toContain('a shipments/delivered/SUCCESSFULLY_DELIVERED event');
		expect(error.description).toContain('Unsupported Items');
		expect(error.context.itemIndex).toBe(1);
	});

	it('continue on fail gives an error item', async () => {
		const run = await runNormalize(
			[
				loadClaimFixture('full-claim'),
				loadClaimFixture('shipment-event'),
				loadClaimFixture('guest-claim'),
			],
			{},
			{ onError: 'continueRegularOutput' },
		);
		expect(run.status).toBe('success');
		const items = outputOf(run, 'Karla Claim Normalize');
		expect(items).toHaveLength(3);
		expect(items[0].json.claim_id).toBe('5b7c9a02-3f1e-4d8a-9c61-2e4f0b8d7a13');
		expect(items[1]).toEqual({
			json: { error: 'Item 1 is not a Karla claim event: event_data.claim_id is missing' },
			pairedItem: { item: 1 },
		});
		expect(items[2].json.claim_id).toBe('guest-claim-0001');
		expect(items[2].pairedItem).toEqual({ item: 2 });
	});

	it('skip option leaves out unsupported items', async () => {
		const run = await runNormalize(
			[loadClaimFixture('shipment-event'), loadClaimFixture('guest-claim'), { hello: 'world' }],
			{ options: { unsupportedItems: 'skip' } },
		);
		expect(run.status).toBe('success');
		const items = outputOf(run, 'Karla Claim Normalize');
		expect(items).toHaveLength(1);
		expect(items[0].json.claim_id).toBe('guest-claim-0001');
		expect(items[0].pairedItem).toEqual({ item: 1 });
	});

	describe('photo downloads', () => {
		let server: PhotoServer;

		beforeAll(async () => {
			server = await startPhotoServer({
				'/photo.jpg': sendFile(jpegBytes(128)),
				'/download': sendFile(jpegBytes(96), { 'content-type': 'application/octet-stream' }),
				'/moved': redirectTo('/photo.jpg'),
				'/to-metadata': redirectTo('http://169.254.169.254/latest/meta-data/'),
				// Declares 50 MB, sends 1 MB and then nothing more.
				'/declared-huge': (_request, response) => {
					response.writeHead(200, {
						'content-type': 'image/jpeg',
						'content-length': 50 * 1024 * 1024,
					});
					response.write(jpegBytes(1024 * 1024));
				},
				// Sends one byte every 200 ms, 8 s in all, past the fetcher's 5 s timeout.
				'/trickle': (_request, response) => {
					const bytes = jpegBytes(40);
					response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': bytes.length });
					let sent = 0;
					const timer = setInterval(() => {
						if (response.destroyed || sent >= bytes.length) {
							clearInterval(timer);
							response.end();
							return;
						}
						response.write(bytes.subarray(sent, sent + 1));
						sent++;
					}, 200);
				},
			});
		});

		afterAll(async () => {
			await server.close();
		});

		beforeEach(() => {
			server.requests.length = 0;
		});

		it('default policy refuses the local server and keeps the claim', async () => {
			const claim = loadClaimFixture('bare-event-data') as Record<string, unknown>;
			const run = await runNormalize(
				[
					{
						...claim,
						image_urls: [`${server.origin}/photo.jpg`, 'https://images.example.com/x.jpg'],
					},
				],
				{ options: { downloadPhotos: true, allowHttp: true } },
			);
			expect(run.status).toBe('success');
			const [item] = outputOf(run, 'Karla Claim Normalize');
			expect(item.json.claim_id).toBe('claim-bare');
			expect(item.binary).toBeUndefined();
			const downloads = item.json.photo_downloads as Array<Record<string, unknown>>;
			expect(downloads.map((record) => [record.outcome, record.reason])).toEqual([
				['skipped', 'address_not_allowed'],
				['skipped', 'host_not_allowed'],
			]);
			expect(Object.keys(item.json).slice(-2)).toEqual(['dedupe_key', 'photo_downloads']);
			expect(server.requests).toEqual([]);
		});

		async function fetchLocal(urls: string[]) {
			const run = await runWorkflow({
				nodes: [
					workflowNode('Start', 'fixtureEmitter', { items: '[{}]' }),
					workflowNode('Fetch', 'localPhotoFetcher', { urls: JSON.stringify(urls) }),
				],
				connections: chain('Start', 'Fetch'),
				nodeTypes,
			});
			expect(run.status).toBe('success');
			const [item] = outputOf(run, 'Fetch');
			return item.json.records as unknown as Array<Record<string, unknown>>;
		}

		it("n8n's helpers download, redirect and store binary data", async () => {
			const run = await runWorkflow({
				nodes: [
					workflowNode('Start', 'fixtureEmitter', { items: '[{}]' }),
					workflowNode('Fetch', 'localPhotoFetcher', {
						urls: JSON.stringify([
							`${server.origin}/moved`,
							`${server.origin}/download`,
							`${server.origin}/to-metadata`,
						]),
					}),
				],
				connections: chain('Start', 'Fetch'),
				nodeTypes,
			});
			expect(run.status).toBe('success');
			const [item] = outputOf(run, 'Fetch');
			const records = item.json.records as unknown as Array<Record<string, unknown>>;
			expect(records.map((record) => [record.outcome, record.reason])).toEqual([
				['downloaded', null],
				['downloaded', null],
				['failed', 'redirect_not_allowed'],
			]);
			expect(Object.keys(item.binary ?? {})).toEqual(['photo_0', 'photo_1']);
			expect(item.binary?.photo_0).toMatchObject({
				fileName: 'photo.jpg',
				mimeType: 'image/jpeg',
				fileExtension: 'jpg',
				bytes: 128,
			});
			expect(item.binary?.photo_1).toMatchObject({
				fileName: 'download.jpg',
				mimeType: 'image/jpeg',
				bytes: 96,
			});
			// Without a configured binary data store n8n-core keeps the file inline as base64.
			expect(Buffer.from(item.binary?.photo_0.data ?? '', 'base64').equals(jpegBytes(128))).toBe(
				true,
			);
			expect(server.requests.sort()).toEqual(['/download', '/moved', '/photo.jpg', '/to-metadata']);
		});

		it('rejects a declared size over the limit early', async () => {
			const records = await fetchLocal([`${server.origin}/declared-huge`]);
			expect(records.map((record) => [record.outcome, record.reason])).toEqual([
				['failed', 'too_large'],
			]);
		}, 30_000);

		it('times out a trickling response', async () => {
			const records = await fetchLocal([`${server.origin}/trickle`]);
			expect(records.map((record) => [record.outcome, record.reason])).toEqual([
				['failed', 'timeout'],
			]);
		}, 30_000);
	});
});
