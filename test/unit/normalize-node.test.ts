import { NodeOperationError, type IHttpRequestOptions } from 'n8n-workflow';

import { KarlaClaimNormalize } from '../../nodes/KarlaClaimNormalize/KarlaClaimNormalize.node';
import { loadClaimFixture } from '../helpers/claim-fixtures';
import { createExecuteContext, type ExecuteContextOptions } from '../helpers/execute-context';
import { jpegBytes } from '../helpers/photo-server';

const node = new KarlaClaimNormalize();

async function execute(options: ExecuteContextOptions) {
	const [output] = await node.execute.call(createExecuteContext(options));
	return output;
}

/** Fake `httpRequest` that returns a small JPEG for every URL, like n8n with a full response. */
function jpegResponder(calls: IHttpRequestOptions[] = []) {
	return async (request: IHttpRequestOptions) => {
		calls.push(request);
		return { body: jpegBytes(), headers: { 'content-type': 'image/jpeg' }, statusCode: 200 };
	};
}

describe('KarlaClaimNormalize description', () => {
	const { description } = node;

	it('names and tool use', () => {
		expect(description.name).toBe('karlaClaimNormalize');
		expect(description.displayName).toBe('Karla Claim Normalize');
		expect(description.usableAsTool).toBe(true);
		expect(description.icon).toEqual({ light: 'file:karla.svg', dark: 'file:karla.dark.svg' });
	});

	it('parameters of the contract', () => {
		const output = description.properties.find((property) => property.name === 'output');
		expect(output?.default).toBe('perClaim');
		expect(output?.options?.map((option) => ('value' in option ? option.value : null))).toEqual([
			'perClaim',
			'perProduct',
		]);

		const options = description.properties.find((property) => property.name === 'options');
		const defaults = Object.fromEntries(
			(options?.options ?? []).map((option) => [
				option.name,
				'default' in option ? option.default : undefined,
			]),
		);
		expect(defaults).toEqual({
			allowHttp: false,
			allowedHosts: 'cdn.gokarla.io',
			binaryPropertyPrefix: 'photo_',
			downloadPhotos: false,
			includeOriginalEvent: false,
			maxPhotoSizeMb: 10,
			maxPhotosPerClaim: 10,
			photoTimeoutSeconds: 15,
			unsupportedItems: 'error',
		});
	});
});

describe('KarlaClaimNormalize execute', () => {
	it('pairs every item', async () => {
		const output = await execute({
			items: [
				{ json: loadClaimFixture('full-claim') as never },
				{ json: loadClaimFixture('guest-claim') as never },
			],
			parameters: { output: 'perProduct' },
		});
		expect(output.map((item) => [item.json.item_sku, item.pairedItem])).toEqual([
			['MUG-BLUE-01', { item: 0 }],
			['SAUCER-WHITE-02', { item: 0 }],
			['LAMP-01', { item: 1 }],
		]);
	});

	it('unsupported item throws NodeOperationError', async () => {
		const context = createExecuteContext({ items: [{ json: { hello: 'world' } }] });
		const error = await node.execute.call(context).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(NodeOperationError);
		const operationError = error as NodeOperationError;
		expect(operationError.message).toBe('Item 0 is not a Karla claim event: event_data is missing');
		expect(operationError.description).toContain('an object that is not a Karla event');
		expect(operationError.description).toContain('Karla Claim Trigger');
		expect(operationError.context.itemIndex).toBe(0);
	});

	it('continue on fail keeps the other items', async () => {
		const output = await execute({
			items: [{ json: { claim_id: '' } }, { json: loadClaimFixture('bare-event-data') as never }],
			continueOnFail: true,
		});
		expect(output).toHaveLength(2);
		expect(output[0]).toEqual({
			json: { error: 'Item 0 is not a Karla claim event: claim_id is missing' },
			pairedItem: { item: 0 },
		});
		expect(output[1].json.claim_id).toBe('claim-bare');
	});

	it('skip option', async () => {
		const output = await execute({
			items: [{ json: loadClaimFixture('shipment-event') as never }],
			parameters: { options: { unsupportedItems: 'skip' } },
		});
		expect(output).toEqual([]);
	});

	it('downloads photos onto every product item', async () => {
		const calls: IHttpRequestOptions[] = [];
		const output = await execute({
			items: [{ json: loadClaimFixture('full-claim') as never }],
			parameters: {
				output: 'perProduct',
				options: { downloadPhotos: true, binaryPropertyPrefix: 'evidence_', maxPhotosPerClaim: 2 },
			},
			httpRequest: jpegResponder(calls),
		});
		expect(calls.map((call) => call.url)).toEqual([
			'https://cdn.gokarla.io/claims/5b7c/photo-1.jpg',
			'https://cdn.gokarla.io/claims/5b7c/photo-2.jpg',
		]);
		expect(output).toHaveLength(2);
		for (const item of output) {
			expect(Object.keys(item.binary ?? {})).toEqual(['evidence_0', 'evidence_1']);
			const downloads = item.json.photo_downloads as Array<Record<string, unknown>>;
			expect(downloads.map((record) => record.outcome)).toEqual([
				'downloaded',
				'downloaded',
				'skipped',
			]);
		}
		expect(output[0].binary).not.toBe(output[1].binary);
	});

	it('photo settings reach the policy', async () => {
		const calls: IHttpRequestOptions[] = [];
		const claim = loadClaimFixture('bare-event-data') as Record<string, unknown>;
		const output = await execute({
			items: [
				{
					json: {
						...claim,
						image_urls: ['http://images.example.com/a.jpg', 'https://cdn.gokarla.io/b.jpg'],
					},
				},
			],
			parameters: {
				options: {
					downloadPhotos: true,
					allowHttp: true,
					allowedHosts: 'images.example.com',
					photoTimeoutSeconds: 4,
				},
			},
			httpRequest: jpegResponder(calls),
		});
		expect(calls.map((call) => [call.url, call.timeout])).toEqual([
			['http://images.example.com/a.jpg', 4000],
		]);
		const downloads = output[0].json.photo_downloads as Array<Record<string, unknown>>;
		expect(downloads.map((record) => [record.outcome, record.reason])).toEqual([
			['downloaded', null],
			['skipped', 'host_not_allowed'],
		]);
	});

	it('empty prefix falls back to photo_', async () => {
		const output = await execute({
			items: [{ json: loadClaimFixture('bare-event-data') as never }],
			parameters: { options: { downloadPhotos: true, binaryPropertyPrefix: '  ' } },
			httpRequest: jpegResponder(),
		});
		expect(Object.keys(output[0].binary ?? {})).toEqual(['photo_0']);
	});

	it('no photo_downloads without downloading', async () => {
		const output = await execute({ items: [{ json: loadClaimFixture('full-claim') as never }] });
		expect(output[0].json).not.toHaveProperty('photo_downloads');
		expect(output[0].binary).toBeUndefined();
	});

	it('karla_event stays last with downloads', async () => {
		const output = await execute({
			items: [{ json: loadClaimFixture('bare-event-data') as never }],
			parameters: { options: { downloadPhotos: true, includeOriginalEvent: true } },
			httpRequest: jpegResponder(),
		});
		expect(Object.keys(output[0].json).slice(-3)).toEqual([
			'dedupe_key',
			'photo_downloads',
			'karla_event',
		]);
	});

	it('binary storage failure is a node error with a remedy', async () => {
		const context = createExecuteContext({
			items: [{ json: loadClaimFixture('bare-event-data') as never }],
			parameters: { options: { downloadPhotos: true } },
			httpRequest: jpegResponder(),
			prepareBinaryData: async () => {
				throw new Error('ENOSPC: no space left on device');
			},
		});
		const error = (await node.execute
			.call(context)
			.catch((caught: unknown) => caught)) as NodeOperationError;
		expect(error).toBeInstanceOf(NodeOperationError);
		expect(error.message).toBe('Storing a downloaded photo as binary data failed');
		expect(error.description).toContain('Download Photos');
		expect(error.context.itemIndex).toBe(0);
	});

	it('binary storage failure with continue on fail', async () => {
		const output = await execute({
			items: [{ json: loadClaimFixture('bare-event-data') as never }],
			parameters: { options: { downloadPhotos: true } },
			continueOnFail: true,
			httpRequest: jpegResponder(),
			prepareBinaryData: async () => {
				throw new Error('ENOSPC: no space left on device');
			},
		});
		expect(output).toEqual([
			{
				json: { error: 'Storing a downloaded photo as binary data failed' },
				pairedItem: { item: 0 },
			},
		]);
	});
});
