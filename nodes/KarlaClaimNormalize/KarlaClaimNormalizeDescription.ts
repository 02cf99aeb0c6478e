import type { INodeProperties } from 'n8n-workflow';

import {
	DEFAULT_ALLOWED_HOSTS,
	DEFAULT_MAX_PHOTOS_PER_CLAIM,
	DEFAULT_MAX_PHOTO_SIZE_MB,
	DEFAULT_PHOTO_TIMEOUT_SECONDS,
} from '../shared/photos';

export const DEFAULT_BINARY_PROPERTY_PREFIX = 'photo_';

export const normalizeProperties: INodeProperties[] = [
	{
		displayName: 'Output',
		name: 'output',
		type: 'options',
		default: 'perClaim',
		description: 'Whether each claim becomes one item, or each claimed product becomes one item',
		options: [
			{
				name: 'One Item per Claim',
				value: 'perClaim',
				description: 'One ticket per claim, with all products listed in the item fields',
			},
			{
				name: 'One Item per Product',
				value: 'perProduct',
				description:
					'One item for every claimed product, with item_sku, item_title, item_quantity and item_net_price set',
			},
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Allow HTTP Photo URLs',
				name: 'allowHttp',
				type: 'boolean',
				default: false,
				description:
					'Whether to also download photos over plain HTTP. Off: only HTTPS URLs are fetched. Used only when Download Photos is on.',
			},
			{
				displayName: 'Allowed Photo Hosts',
				name: 'allowedHosts',
				type: 'string',
				default: DEFAULT_ALLOWED_HOSTS,
				placeholder: 'cdn.gokarla.io, images.example.com',
				description:
					'Comma-separated host names that photos may be downloaded from, each including its subdomains. Enter * to allow any host. Addresses in private, loopback, link-local and cloud metadata ranges are always rejected. Used only when Download Photos is on.',
			},
			{
				displayName: 'Binary Property Prefix',
				name: 'binaryPropertyPrefix',
				type: 'string',
				default: DEFAULT_BINARY_PROPERTY_PREFIX,
				description:
					'Start of the binary property names for downloaded photos. With photo_ the photos are photo_0, photo_1, and so on, numbered by their position in photo_urls.',
			},
			{
				displayName: 'Download Photos',
				name: 'downloadPhotos',
				type: 'boolean',
				default: false,
				description:
					'Whether to download every URL in photo_urls and attach it as binary data. The field photo_downloads then lists the outcome of each URL. A failed photo never drops the claim.',
			},
			{
				displayName: 'Include Original Event',
				name: 'includeOriginalEvent',
				type: 'boolean',
				default: false,
				description: 'Whether to copy the whole event as received into the field karla_event',
			},
			{
				displayName: 'Max Photo Size (MB)',
				name: 'maxPhotoSizeMb',
				type: 'number',
				default: DEFAULT_MAX_PHOTO_SIZE_MB,
				typeOptions: { minValue: 0.1, numberPrecision: 1 },
				description:
					'Largest photo to keep, in megabytes (1 MB = 1,048,576 bytes). A larger file is recorded as failed with reason too_large.',
			},
			{
				displayName: 'Max Photos per Claim',
				name: 'maxPhotosPerClaim',
				type: 'number',
				default: DEFAULT_MAX_PHOTOS_PER_CLAIM,
				typeOptions: { minValue: 1, maxValue: 100 },
				description:
					'How many photos of one claim to download at most. Later URLs are recorded as skipped with reason photo_limit_reached.',
			},
			{
				displayName: 'Photo Timeout (Seconds)',
				name: 'photoTimeoutSeconds',
				type: 'number',
				default: DEFAULT_PHOTO_TIMEOUT_SECONDS,
				typeOptions: { minValue: 1, maxValue: 300 },
				description:
					'How long to wait for each photo request, in seconds. Every redirect is a new request.',
			},
			{
				displayName: 'Unsupported Items',
				name: 'unsupportedItems',
				type: 'options',
				default: 'error',
				description:
					'What to do with an item that is not a Karla claim event, such as a shipment event',
				options: [
					{
						name: 'Stop With an Error',
						value: 'error',
						description: 'Fail the node, or output an error item when Continue On Fail is on',
					},
					{
						name: 'Skip the Item',
						value: 'skip',
						description: 'Leave the item out of the output',
					},
				],
			},
		],
	},
];
