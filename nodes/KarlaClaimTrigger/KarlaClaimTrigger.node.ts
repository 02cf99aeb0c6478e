import {
	NodeApiError,
	NodeConnectionTypes,
	NodeOperationError,
	type ICredentialsDecrypted,
	type ICredentialTestFunctions,
	type IDataObject,
	type IHookFunctions,
	type IN8nHttpFullResponse,
	type JsonObject,
	type INodeCredentialTestResult,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookDescription,
	type IWebhookResponseData,
	webhookDescriptionFields,
} from 'n8n-workflow';

import {
	checkDeliveryHeader,
	handleDelivery,
	type DeliverySettings,
	type InvalidClaimHandling,
	type NonClaimEventHandling,
} from '../shared/delivery';
import { KarlaApiError, KarlaSettingsError } from '../shared/karlaApi';
import {
	buildRegistrationHooks,
	readRegisteredSecret,
	type RegistrationHooks,
} from '../shared/karlaRegistration';
import { CLAIM_EVENT_REFS, type ClaimEventRef } from '../shared/schemas';
import { checkSigningSecrets } from '../shared/secrets';
import { DEFAULT_TOLERANCE_SECONDS, SIGNATURE_HEADER } from '../shared/signature';

type Registration = 'manual' | 'automatic';

const ACKNOWLEDGEMENT_TEMPLATE = '={{ { "received": true } }}';

/**
 * Returns the `responseData` field: the body of the 200 that acknowledges an accepted delivery.
 * Without it, n8n 2.x sends its default setting's name, the string "firstEntryJson". n8n 2.41 and
 * later resolve a field declared with a native resolver without the expression engine, which
 * otherwise takes an expression isolate for every delivery. Older n8n lacks
 * `webhookDescriptionFields` and evaluates the template.
 */
function acknowledgementField(): Partial<IWebhookDescription> {
	if (typeof webhookDescriptionFields !== 'function') {
		return { responseData: ACKNOWLEDGEMENT_TEMPLATE };
	}
	return webhookDescriptionFields({
		responseData: { template: ACKNOWLEDGEMENT_TEMPLATE, resolve: () => ({ received: true }) },
	});
}

interface TriggerOptions {
	toleranceSeconds?: number;
	nonClaimEvents?: NonClaimEventHandling;
	invalidClaims?: InvalidClaimHandling;
}

function readSettings(context: IWebhookFunctions): DeliverySettings {
	const events = (context.getNodeParameter('events', []) as string[]).filter(
		(event): event is ClaimEventRef => (CLAIM_EVENT_REFS as readonly string[]).includes(event),
	);
	const options = context.getNodeParameter('options', {}) as TriggerOptions;
	const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
	// An expression can make the option anything. The signature check then rejects every
	// timestamp, and this warning is the only place that reports why.
	if (!Number.isFinite(Number(toleranceSeconds))) {
		context.logger.warn(
			'Karla Claim Trigger rejects every delivery because Timestamp Tolerance (Seconds) is not a ' +
				'number. Set it to a number of seconds, such as 300.',
		);
	}
	return {
		events,
		toleranceSeconds,
		nonClaimEvents: options.nonClaimEvents ?? 'ignore',
		invalidClaims: options.invalidClaims ?? 'emit',
	};
}

function readRegistration(context: IWebhookFunctions | IHookFunctions): Registration {
	return context.getNodeParameter('registration', 'manual') === 'automatic'
		? 'automatic'
		: 'manual';
}

async function readSecrets(
	context: IWebhookFunctions,
): Promise<{ current: string; previous?: string }> {
	if (readRegistration(context) === 'automatic') {
		// An empty secret makes every delivery a 401 until the workflow is published again.
		const stored = readRegisteredSecret(context.getWorkflowStaticData('node'));
		return { current: stored ?? '' };
	}
	const credentials = await context.getCredentials('karlaSigningSecretApi');
	const current = typeof credentials.signingSecret === 'string' ? credentials.signingSecret : '';
	const previous =
		typeof credentials.previousSigningSecret === 'string' && credentials.previousSigningSecret
			? credentials.previousSigningSecret
			: undefined;
	return { current, previous };
}

async function registrationHooks(context: IHookFunctions): Promise<RegistrationHooks> {
	const credentials = await context.getCredentials('karlaApi');
	const events = (context.getNodeParameter('events', []) as string[]).filter((event) =>
		(CLAIM_EVENT_REFS as readonly string[]).includes(event),
	);
	return buildRegistrationHooks({
		connection: {
			baseUrl: typeof credentials.baseUrl === 'string' ? credentials.baseUrl : '',
			shopSlug: typeof credentials.shopSlug === 'string' ? credentials.shopSlug : '',
		},
		request: async (options) => {
			const response = (await context.helpers.httpRequestWithAuthentication.call(
				context,
				'karlaApi',
				{ ...options, returnFullResponse: true, ignoreHttpStatusErrors: true },
			)) as IN8nHttpFullResponse;
			return { status: response.statusCode, body: response.body };
		},
		staticData: context.getWorkflowStaticData('node'),
		webhookUrl: context.getNodeWebhookUrl('default') ?? '',
		workflowName: context.getWorkflow().name ?? '',
		events,
	});
}

/** Runs one registration step and turns its errors into n8n's error classes with a remedy. */
async function runRegistrationStep(
	context: IHookFunctions,
	step: keyof RegistrationHooks,
): Promise<boolean> {
	// In manual mode the user registers the URL in Karla's portal, so there is nothing to do.
	if (readRegistration(context) === 'manual') return true;
	const hooks = await registrationHooks(context);
	try {
		return await hooks[step]();
	} catch (error) {
		if (error instanceof KarlaApiError) {
			throw new NodeApiError(
				context.getNode(),
				{ message: error.message, type: error.karlaType, status: error.status } as JsonObject,
				{
					message: error.message,
					description: error.description,
					httpCode: String(error.status),
				},
			);
		}
		if (error instanceof KarlaSettingsError) {
			throw new NodeOperationError(context.getNode(), error.message, {
				description: error.description,
			});
		}
		// No response arrived: DNS, TLS, a timeout or a refused connection.
		throw new NodeApiError(context.getNode(), error as JsonObject, {
			message: "Could not reach Karla's API",
			description:
				'Check the base URL in the Karla API credential and that this n8n can open HTTPS connections to it, then publish the workflow again.',
		});
	}
}

export class KarlaClaimTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Karla Claim Trigger',
		name: 'karlaClaimTrigger',
		icon: { light: 'file:karla.svg', dark: 'file:karla.dark.svg' },
		group: ['trigger'],
		// Version 1.1 changes nothing in the node. n8n evaluates an expression for every request to
		// a webhook node of version 1, which with lazy isolate acquisition costs an isolate each.
		version: [1, 1.1],
		defaultVersion: 1.1,
		subtitle: '={{$parameter["events"].join(", ")}}',
		description:
			'Starts the workflow when Karla sends a signed claim event, after verifying its signature',
		defaults: {
			name: 'Karla Claim Trigger',
		},
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'karlaSigningSecretApi',
				required: true,
				testedBy: 'karlaSigningSecretTest',
				displayOptions: { show: { registration: ['manual'] } },
			},
			{
				name: 'karlaApi',
				required: true,
				displayOptions: { show: { registration: ['automatic'] } },
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				...acknowledgementField(),
				path: 'karla',
			},
		],
		properties: [
			{
				displayName: 'Registration',
				name: 'registration',
				type: 'options',
				default: 'manual',
				description: 'How Karla learns where to send claim events',
				options: [
					{
						name: 'Manual',
						value: 'manual',
						description:
							"You paste the webhook URL into Karla's portal and the webhook's secret into a Karla Signing Secret credential",
					},
					{
						name: 'Automatic',
						value: 'automatic',
						description:
							"The node registers its webhook through Karla's API when the workflow is published, with a secret it generates, and deletes it when unpublished",
					},
				],
			},
			{
				displayName:
					"Paste the Production URL above into the webhook settings of Karla's portal, then publish this workflow. The Test URL only works while n8n is listening for a test event.",
				name: 'setupNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { registration: ['manual'] } },
			},
			{
				displayName:
					'Publishing this workflow registers its Production URL with Karla. Unpublishing deletes that webhook in Karla.',
				name: 'automaticNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { registration: ['automatic'] } },
			},
			{
				displayName: 'Events',
				name: 'events',
				type: 'multiOptions',
				required: true,
				default: ['claims/created', 'claims/updated'],
				description:
					'Which claim events start the workflow. Other authentic claim events are answered with 200 and ignored.',
				options: [
					{
						name: 'Claim Created',
						value: 'claims/created',
						description: 'A customer filed a new claim',
					},
					{
						name: 'Claim Updated',
						value: 'claims/updated',
						description: 'A claim changed, for example its status',
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
						displayName: 'Invalid Claims',
						name: 'invalidClaims',
						type: 'options',
						default: 'emit',
						description:
							'What to do with an authentic delivery that does not match the claim schema, for example one without a claim ID',
						options: [
							{
								name: 'Emit With Validation Problems',
								value: 'emit',
								description:
									'Start the workflow; karla_delivery.validation lists what is wrong, so nothing is lost',
							},
							{
								name: 'Answer 400',
								value: 'reject',
								description: 'Respond with 400 Bad Request and start nothing',
							},
						],
					},
					{
						displayName: 'Non-Claim Events',
						name: 'nonClaimEvents',
						type: 'options',
						default: 'ignore',
						description:
							'What to do with authentic events that are not about claims, such as shipment events of a webhook subscribed to all events',
						options: [
							{
								name: 'Answer 200 and Ignore',
								value: 'ignore',
								description:
									'Acknowledge the event so that Karla does not retry it, and start nothing',
							},
							{
								name: 'Emit',
								value: 'emit',
								description: 'Start the workflow with the event as it is',
							},
						],
					},
					{
						displayName: 'Timestamp Tolerance (Seconds)',
						name: 'toleranceSeconds',
						type: 'number',
						default: DEFAULT_TOLERANCE_SECONDS,
						typeOptions: { minValue: 1 },
						description:
							"How far the signature timestamp may be from n8n's clock, in either direction, before a delivery is rejected as a possible replay. Karla's own receivers use 300.",
					},
				],
			},
		],
	};

	methods = {
		credentialTest: {
			async karlaSigningSecretTest(
				this: ICredentialTestFunctions,
				credential: ICredentialsDecrypted,
			): Promise<INodeCredentialTestResult> {
				const data = credential.data ?? {};
				return checkSigningSecrets(data.signingSecret, data.previousSigningSecret);
			},
		},
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return await runRegistrationStep(this, 'checkExists');
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return await runRegistrationStep(this, 'create');
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return await runRegistrationStep(this, 'delete');
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const request = this.getRequestObject();
		const header = this.getHeaderData()[SIGNATURE_HEADER];
		const signatureHeader = Array.isArray(header) ? header.join(',') : header;

		// The HMAC covers the exact bytes Karla sent, so the raw body is read even when n8n has
		// already parsed it as JSON. n8n cannot give the bytes of a multipart body or of one over
		// its size limit. The node then responds itself, so the request does not fail as an
		// execution.
		let rawBody: Buffer | null;
		try {
			if (request.rawBody === undefined) await request.readRawBody();
			rawBody = Buffer.isBuffer(request.rawBody) ? request.rawBody : Buffer.alloc(0);
		} catch {
			rawBody = null;
		}
		if (rawBody === null && signatureHeader !== undefined && signatureHeader.trim() !== '') {
			this.logger.debug(
				'Karla Claim Trigger responded to a delivery without starting the workflow',
				{
					status: 400,
					reason: 'body_unreadable',
				},
			);
			this.getResponseObject()
				.status(400)
				.json({ error: 'Bad Request', reason: 'body_unreadable' });
			return { noWebhookResponse: true };
		}

		const receivedAtMs = Date.now();
		const settings = readSettings(this);
		const headerCheck = checkDeliveryHeader(signatureHeader, receivedAtMs, settings);
		const outcome =
			'rejection' in headerCheck
				? headerCheck.rejection
				: handleDelivery(
						{
							signatureHeader: headerCheck.header,
							rawBody: rawBody ?? Buffer.alloc(0),
							secrets: await readSecrets(this),
							receivedAtMs,
						},
						settings,
					);

		if (outcome.action === 'emit') {
			// n8n 1.x sends webhookResponse as the body of the 200; 2.x uses responseData above.
			return {
				workflowData: [[{ json: outcome.item as IDataObject }]],
				webhookResponse: { received: true },
			};
		}

		// Reason codes only: the payload carries customer data.
		this.logger.debug('Karla Claim Trigger responded to a delivery without starting the workflow', {
			status: outcome.status,
			reason: outcome.reason,
		});
		const response = this.getResponseObject();
		response.status(outcome.status).json(outcome.body);
		return { noWebhookResponse: true };
	}
}
