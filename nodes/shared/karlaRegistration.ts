import {
	buildCreateWebhookRequest,
	buildDeleteWebhookRequest,
	buildListWebhooksRequest,
	buildUpdateWebhookRequest,
	buildWebhookDescription,
	generateWebhookSecret,
	hasSameEvents,
	isSameWebhookUrl,
	KarlaSettingsError,
	MAX_WEBHOOKS_PER_PAGE,
	parseWebhook,
	parseWebhookList,
	toKarlaApiError,
	unexpectedResponseError,
	type KarlaConnection,
	type KarlaRequestOptions,
	type KarlaWebhook,
	type ListWebhooksQuery,
	type UpdateWebhookBody,
} from './karlaApi';

/** Keys of the node's static data that hold the registered webhook. */
export const WEBHOOK_UUID_KEY = 'webhookUuid';
export const WEBHOOK_SECRET_KEY = 'webhookSecret';

/** Stops paging after this many pages, so a server that ignores `per_page` cannot loop forever. */
const MAX_LIST_PAGES = 20;

const MIN_SECRET_LENGTH = 16;
const MAX_SECRET_LENGTH = 64;

/** Karla's response as the trigger's HTTP wrapper returns it: status and parsed JSON body. */
export interface KarlaApiResponse {
	status: number;
	body: unknown;
}

/**
 * Inputs from the trigger. `request` must resolve for every HTTP status (n8n's
 * `ignoreHttpStatusErrors`) and reject only when no response arrived.
 */
export interface RegistrationContext {
	connection: KarlaConnection;
	request: (options: KarlaRequestOptions) => Promise<KarlaApiResponse>;
	/** The node's static data from `getWorkflowStaticData('node')`, which n8n persists. */
	staticData: Record<string, unknown>;
	/** The node's production webhook URL, or its test URL while n8n listens for a test event. */
	webhookUrl: string;
	workflowName: string;
	events: readonly string[];
}

/** The three methods of n8n's `webhookMethods.default`. */
export interface RegistrationHooks {
	checkExists(): Promise<boolean>;
	create(): Promise<boolean>;
	delete(): Promise<boolean>;
}

function isSuccess(status: number): boolean {
	return status >= 200 && status < 300;
}

function readStoredString(staticData: Record<string, unknown>, key: string): string | undefined {
	const value = staticData[key];
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Returns the secret of the webhook this node registered, or undefined when none is stored. */
export function readRegisteredSecret(staticData: Record<string, unknown>): string | undefined {
	return readStoredString(staticData, WEBHOOK_SECRET_KEY);
}

function clearStoredWebhook(staticData: Record<string, unknown>): void {
	delete staticData[WEBHOOK_UUID_KEY];
	delete staticData[WEBHOOK_SECRET_KEY];
}

/**
 * Lists every webhook that matches the query, page by page. Throws `KarlaApiError` when Karla
 * responds with an error or with something other than a JSON array.
 */
export async function listAllWebhooks(
	context: RegistrationContext,
	query: Omit<ListWebhooksQuery, 'page' | 'perPage'>,
): Promise<KarlaWebhook[]> {
	const webhooks: KarlaWebhook[] = [];
	for (let page = 1; page <= MAX_LIST_PAGES; page++) {
		const options = buildListWebhooksRequest(context.connection, {
			...query,
			page,
			perPage: MAX_WEBHOOKS_PER_PAGE,
		});
		const response = await context.request(options);
		if (!isSuccess(response.status)) {
			throw toKarlaApiError(response.status, response.body, 'list', context.connection.shopSlug);
		}
		if (!Array.isArray(response.body)) {
			throw unexpectedResponseError(response.status, 'list', 'a JSON array of webhooks');
		}
		webhooks.push(...(parseWebhookList(response.body) ?? []));
		if (response.body.length < MAX_WEBHOOKS_PER_PAGE) break;
	}
	return webhooks;
}

/** Deletes one webhook. A 404 counts as deleted, and any other error throws `KarlaApiError`. */
async function deleteWebhook(context: RegistrationContext, uuid: string): Promise<void> {
	const response = await context.request(buildDeleteWebhookRequest(context.connection, uuid));
	if (isSuccess(response.status) || response.status === 404) return;
	throw toKarlaApiError(response.status, response.body, 'delete', context.connection.shopSlug);
}

function validateEvents(events: readonly string[]): void {
	if (events.length === 0) {
		throw new KarlaSettingsError(
			'No event is selected',
			'Select at least one event, such as Claim Created, so that Karla knows what to send.',
		);
	}
}

/** Returns the changes that bring a registered webhook in line with the node's settings. */
function findDrift(webhook: KarlaWebhook, context: RegistrationContext): UpdateWebhookBody {
	const changes: UpdateWebhookBody = {};
	if (!isSameWebhookUrl(webhook.url, context.webhookUrl)) changes.url = context.webhookUrl;
	if (webhook.enabledEvents === null || !hasSameEvents(webhook.enabledEvents, context.events)) {
		changes.enabledEvents = context.events;
	}
	if (webhook.status !== null && webhook.status !== 'active') changes.status = 'active';
	return changes;
}

/**
 * Returns true when the webhook whose uuid is stored still exists in Karla. When its URL, events
 * or status no longer match the node, it is updated in place, which keeps its secret. Without a
 * stored uuid and secret, or when Karla no longer has the webhook, the stored data is cleared and
 * false is returned, so that n8n calls `create`.
 */
async function checkExists(context: RegistrationContext): Promise<boolean> {
	const uuid = readStoredString(context.staticData, WEBHOOK_UUID_KEY);
	const secret = readRegisteredSecret(context.staticData);
	if (uuid === undefined || secret === undefined) {
		clearStoredWebhook(context.staticData);
		return false;
	}

	const matches = await listAllWebhooks(context, { uuid });
	const registered = matches.find((webhook) => webhook.uuid === uuid);
	if (registered === undefined) {
		clearStoredWebhook(context.staticData);
		return false;
	}

	const changes = findDrift(registered, context);
	if (Object.keys(changes).length > 0) {
		validateEvents(context.events);
		const options = buildUpdateWebhookRequest(context.connection, uuid, changes);
		const response = await context.request(options);
		if (!isSuccess(response.status)) {
			throw toKarlaApiError(response.status, response.body, 'update', context.connection.shopSlug);
		}
	}
	return true;
}

/**
 * Registers the webhook URL with the selected events and a new secret, and stores the uuid and
 * secret in the static data. Webhooks that already point at this URL are deleted first: their
 * secret is unknown here, so each of their deliveries would fail verification and be retried.
 */
async function create(context: RegistrationContext): Promise<boolean> {
	validateEvents(context.events);

	const existing = await listAllWebhooks(context, { url: context.webhookUrl });
	for (const webhook of existing) {
		if (isSameWebhookUrl(webhook.url, context.webhookUrl))
			await deleteWebhook(context, webhook.uuid);
	}

	const secret = generateWebhookSecret();
	const options = buildCreateWebhookRequest(context.connection, {
		url: context.webhookUrl,
		enabledEvents: context.events,
		secret,
		description: buildWebhookDescription(context.workflowName),
		status: 'active',
	});
	const response = await context.request(options);
	if (!isSuccess(response.status)) {
		throw toKarlaApiError(response.status, response.body, 'create', context.connection.shopSlug);
	}
	const webhook = parseWebhook(response.body);
	if (webhook === null) {
		throw unexpectedResponseError(response.status, 'create', 'a webhook with a uuid');
	}

	// Karla returns the secret it signs with. It should be ours, but the returned one decides.
	const returned = webhook.secret;
	const usable =
		returned !== null &&
		returned.length >= MIN_SECRET_LENGTH &&
		returned.length <= MAX_SECRET_LENGTH;
	context.staticData[WEBHOOK_UUID_KEY] = webhook.uuid;
	context.staticData[WEBHOOK_SECRET_KEY] = usable ? returned : secret;
	return true;
}

/**
 * Deletes the stored webhook from Karla and clears the stored data. A 404 counts as deleted.
 * On any other error the stored data is kept, so that a later activation finds the webhook.
 */
async function remove(context: RegistrationContext): Promise<boolean> {
	const uuid = readStoredString(context.staticData, WEBHOOK_UUID_KEY);
	if (uuid !== undefined) await deleteWebhook(context, uuid);
	clearStoredWebhook(context.staticData);
	return true;
}

/**
 * Builds n8n's `checkExists`, `create` and `delete` webhook methods on top of a request function.
 * They throw `KarlaApiError` for Karla's error responses and `KarlaSettingsError` for settings that
 * cannot work. A rejection of `request` itself passes through unchanged. Nothing is logged.
 */
export function buildRegistrationHooks(context: RegistrationContext): RegistrationHooks {
	return {
		checkExists: async () => await checkExists(context),
		create: async () => await create(context),
		delete: async () => await remove(context),
	};
}
