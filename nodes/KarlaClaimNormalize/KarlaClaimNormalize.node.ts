import {
	NodeConnectionTypes,
	NodeOperationError,
	type IBinaryKeyData,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import {
	expandPerProduct,
	normalizeClaim,
	type NormalizedClaim,
	type UnsupportedInput,
} from '../shared/normalize';
import { downloadClaimPhotos, type PhotoDownloadRecord } from '../shared/photo-download';
import { buildPhotoPolicy } from '../shared/photos';
import {
	DEFAULT_BINARY_PROPERTY_PREFIX,
	normalizeProperties,
} from './KarlaClaimNormalizeDescription';

type OutputMode = 'perClaim' | 'perProduct';

interface NormalizeNodeOptions {
	includeOriginalEvent?: boolean;
	unsupportedItems?: 'error' | 'skip';
	downloadPhotos?: boolean;
	binaryPropertyPrefix?: string;
	allowedHosts?: string;
	allowHttp?: boolean;
	maxPhotoSizeMb?: number;
	maxPhotosPerClaim?: number;
	photoTimeoutSeconds?: number;
}

function unsupportedItemError(
	context: IExecuteFunctions,
	itemIndex: number,
	problem: UnsupportedInput,
): NodeOperationError {
	return new NodeOperationError(
		context.getNode(),
		`Item ${itemIndex} is not a Karla claim event: ${problem.missing} is missing`,
		{
			itemIndex,
			description:
				`The item is ${problem.found}. Connect Karla Claim Trigger, a Webhook node that receives Karla's claim webhooks, or items that are a claim's event_data. ` +
				'To pass over other items, such as shipment events, set Options > Unsupported Items to Skip the Item.',
		},
	);
}

/** Puts `photo_downloads` after the ticket fields and keeps `karla_event` last. */
function withPhotoDownloads(
	record: NormalizedClaim,
	photoDownloads: PhotoDownloadRecord[],
): NormalizedClaim & { photo_downloads: PhotoDownloadRecord[] } {
	const { karla_event: karlaEvent, ...fields } = record;
	const result = { ...fields, photo_downloads: photoDownloads };
	return karlaEvent === undefined ? result : { ...result, karla_event: karlaEvent };
}

async function normalizeItem(
	context: IExecuteFunctions,
	item: INodeExecutionData,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const output = context.getNodeParameter('output', itemIndex, 'perClaim') as OutputMode;
	const options = context.getNodeParameter('options', itemIndex, {}) as NormalizeNodeOptions;

	const result = normalizeClaim(item.json, { includeOriginalEvent: options.includeOriginalEvent });
	if (!result.ok) {
		if (options.unsupportedItems === 'skip') return [];
		throw unsupportedItemError(context, itemIndex, result);
	}

	let record: NormalizedClaim = result.record;
	let binary: IBinaryKeyData | undefined;
	if (options.downloadPhotos === true) {
		const prefix = options.binaryPropertyPrefix?.trim() || DEFAULT_BINARY_PROPERTY_PREFIX;
		const downloads = await downloadClaimPhotos(
			record.photo_urls,
			record.claim_id,
			buildPhotoPolicy(options),
			prefix,
			{
				httpRequest: async (requestOptions) => await context.helpers.httpRequest(requestOptions),
				prepareBinaryData: async (buffer, fileName, mimeType) => {
					try {
						return await context.helpers.prepareBinaryData(buffer, fileName, mimeType);
					} catch (error: unknown) {
						throw new NodeOperationError(context.getNode(), error as Error, {
							itemIndex,
							message: 'Storing a downloaded photo as binary data failed',
							description:
								"Check the instance's binary data mode and free disk space, or turn off Options > Download Photos.",
						});
					}
				},
			},
		);
		record = withPhotoDownloads(record, downloads.records);
		if (Object.keys(downloads.binary).length > 0) binary = downloads.binary;
	}

	const records = output === 'perProduct' ? expandPerProduct(record) : [record];
	return records.map((json) => ({
		json: json as unknown as IDataObject,
		// Each product item of a claim gets the same photos; in n8n's filesystem and database
		// binary modes the items share one stored copy.
		...(binary === undefined ? {} : { binary: { ...binary } }),
		pairedItem: { item: itemIndex },
	}));
}

export class KarlaClaimNormalize implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Karla Claim Normalize',
		name: 'karlaClaimNormalize',
		icon: { light: 'file:karla.svg', dark: 'file:karla.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{$parameter["output"] === "perProduct" ? "One item per product" : "One item per claim"}}',
		description:
			'Turns Karla claim events into flat, helpdesk-ready fields, with the claim photos as binary data on request',
		defaults: {
			name: 'Karla Claim Normalize',
		},
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		properties: normalizeProperties,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const returnData: INodeExecutionData[] = [];

		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			try {
				returnData.push(...(await normalizeItem(this, items[itemIndex], itemIndex)));
			} catch (error: unknown) {
				const nodeError =
					error instanceof NodeOperationError
						? error
						: new NodeOperationError(this.getNode(), error as Error, { itemIndex });
				if (this.continueOnFail()) {
					returnData.push({ json: { error: nodeError.message }, pairedItem: { item: itemIndex } });
					continue;
				}
				throw nodeError;
			}
		}
		return [returnData];
	}
}
